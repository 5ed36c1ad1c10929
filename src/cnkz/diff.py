"""Data diff between two states of the package, classified as a semantic version bump."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CnkzError

LEVELS = ("none", "patch", "minor", "major")


@dataclass(frozen=True)
class Snapshot:
    """What a diff needs of a package: per CSV resource, its schema and rows by primary key."""

    version: str
    schemas: dict[str, dict[str, Any]]
    rows: dict[str, dict[tuple[str, ...], dict[str, str]]]


def load_snapshot(source: Path) -> Snapshot:
    """Read a package folder or release archive through the loader's package access (paths kept inside it)."""
    from .load import LoadError, open_package

    schemas: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[tuple[str, ...], dict[str, str]]] = {}
    # Unverified: a diff compares what is there, including packages edited on purpose.
    with open_package(Path(source), verify=False) as package:
        for resource in package.resources():
            if resource.get("format") != "csv":
                continue
            name = str(resource.get("name"))
            where = package._where(str(resource.get("path")))
            schema = resource.get("schema")
            if not isinstance(schema, dict) or not isinstance(schema.get("fields", []), list):
                raise LoadError("the resource has no inline schema with a list of fields; a diff needs one", file=where)
            try:
                reader = csv.reader(io.StringIO(package.data(resource).decode("utf-8"), newline=""))
                header = next(reader, [])
                body = [dict(zip(header, values)) for values in reader]
            except (UnicodeDecodeError, csv.Error) as exc:
                raise LoadError(f"not a readable UTF-8 CSV file ({exc})", file=where) from None
            # The columns the file really has: a column deleted from the CSV is a removed field even if the schema still lists it.
            declared = {f["name"]: f for f in schema.get("fields", []) if isinstance(f, dict) and isinstance(f.get("name"), str)}
            fields = [declared.get(column, {"name": column}) for column in header]
            schemas[name] = {**schema, "fields": fields}
            primary = schema.get("primaryKey") or []
            key = [primary] if isinstance(primary, str) else [k for k in primary if isinstance(k, str)] if isinstance(primary, list) else []
            table: dict[tuple[str, ...], dict[str, str]] = {}
            for row in body:
                table[tuple(row.get(k, "") for k in key)] = row
            rows[name] = table
        return Snapshot(package.version, schemas, rows)


@dataclass
class TableDiff:
    added_fields: list[str] = field(default_factory=list)
    removed_fields: list[str] = field(default_factory=list)
    retyped_fields: list[dict[str, str]] = field(default_factory=list)
    added_values: dict[str, list[str]] = field(default_factory=dict)
    removed_values: dict[str, list[str]] = field(default_factory=dict)
    added_rows: list[str] = field(default_factory=list)
    removed_rows: list[str] = field(default_factory=list)
    changed_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def level(self) -> str:
        if self.removed_fields or self.retyped_fields or self.removed_values or self.removed_rows:
            return "major"
        if self.added_fields or self.added_values or self.added_rows:
            return "minor"
        if self.changed_rows:
            return "patch"
        return "none"


@dataclass
class Diff:
    old_version: str
    new_version: str
    tables: dict[str, TableDiff]
    added_tables: list[str]
    removed_tables: list[str]

    @property
    def level(self) -> str:
        levels = [t.level for t in self.tables.values()]
        if self.removed_tables:
            levels.append("major")
        if self.added_tables:
            levels.append("minor")
        return max(levels, key=LEVELS.index, default="none")

    def to_json(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version, "new_version": self.new_version, "level": self.level,
            "added_tables": self.added_tables, "removed_tables": self.removed_tables,
            "tables": {name: {"level": t.level, **t.__dict__} for name, t in self.tables.items()},
        }


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema.get("fields", [])}


def _enum(field: dict[str, Any]) -> list[str]:
    constraints = field.get("constraints")
    enum = constraints.get("enum") if isinstance(constraints, dict) else None
    return [str(v) for v in enum] if isinstance(enum, list) else []


def diff(old: Snapshot, new: Snapshot) -> Diff:
    tables = {}
    for name in sorted(set(old.schemas) & set(new.schemas)):
        t = TableDiff()
        old_fields, new_fields = _fields(old.schemas[name]), _fields(new.schemas[name])
        t.added_fields = [f for f in new_fields if f not in old_fields]
        t.removed_fields = [f for f in old_fields if f not in new_fields]
        for f in old_fields.keys() & new_fields.keys():
            if old_fields[f].get("type") != new_fields[f].get("type"):
                t.retyped_fields.append({"field": f, "old": str(old_fields[f].get("type")), "new": str(new_fields[f].get("type"))})
            old_enum, new_enum = _enum(old_fields[f]), _enum(new_fields[f])
            if [v for v in new_enum if v not in old_enum] and old_enum:
                t.added_values[f] = [v for v in new_enum if v not in old_enum]
            if [v for v in old_enum if v not in new_enum]:
                t.removed_values[f] = [v for v in old_enum if v not in new_enum]
        t.retyped_fields.sort(key=lambda r: r["field"])
        old_rows, new_rows = old.rows[name], new.rows[name]
        t.added_rows = ["/".join(k) for k in new_rows if k not in old_rows]
        t.removed_rows = ["/".join(k) for k in old_rows if k not in new_rows]
        for key in old_rows.keys() & new_rows.keys():
            before, after = old_rows[key], new_rows[key]
            changes = {
                c: {"old": before.get(c, ""), "new": after.get(c, "")}
                for c in sorted(set(before) & set(after)) if before[c] != after[c]
            }
            if changes:
                t.changed_rows.append({"key": "/".join(key), "changes": changes})
        t.changed_rows.sort(key=lambda r: r["key"])
        tables[name] = t
    return Diff(
        old.version, new.version, tables,
        sorted(set(new.schemas) - set(old.schemas)), sorted(set(old.schemas) - set(new.schemas)),
    )


def bump_level(old_version: str, new_version: str) -> str:
    """The semver level of going from old to new ('none' when equal; raises when going back)."""
    old = tuple(int(x) for x in old_version.split("."))
    new = tuple(int(x) for x in new_version.split("."))
    if new < old:
        raise CnkzError(f"version {new_version} is lower than the previous release {old_version}")
    if new == old:
        return "none"
    if new[0] > old[0]:
        return "major"
    if new[1] > old[1]:
        return "minor"
    return "patch"


LEVEL_WORDS = {
    "none": "no change to the data; the version need not change",
    "patch": "a PATCH change: values corrected, nothing added or removed",
    "minor": "a MINOR change: rows, columns or vocabulary values added, nothing removed or retyped",
    "major": "a MAJOR change: rows, columns or vocabulary values removed, or columns retyped",
}


def _listed(lines: list[str], items: list[str], limit: int, what: str) -> list[str]:
    """At most `limit` items, then how many more there are: nothing is left out silently."""
    shown = lines + items[:limit]
    if len(items) > limit:
        shown.append(f"    … and {len(items) - limit} more {what} (--limit {len(items)} lists them all, --json gives everything)")
    return shown


def render_text(d: Diff, limit: int = 20) -> str:
    lines = [f"{d.old_version} -> {d.new_version}: {LEVEL_WORDS[d.level]}"]
    for name in d.added_tables:
        lines.append(f"  table {name}: added")
    for name in d.removed_tables:
        lines.append(f"  table {name}: removed")
    for name, t in d.tables.items():
        if t.level == "none":
            continue
        lines.append(f"  {name} ({t.level}): {len(t.added_rows)} rows added, {len(t.removed_rows)} removed, {len(t.changed_rows)} changed")
        lines += [f"    field added: {f}" for f in t.added_fields]
        lines += [f"    field removed: {f}" for f in t.removed_fields]
        lines += [f"    field retyped: {r['field']} {r['old']} -> {r['new']}" for r in t.retyped_fields]
        lines += [f"    values added to {f}: {', '.join(v)}" for f, v in t.added_values.items()]
        lines += [f"    values removed from {f}: {', '.join(v)}" for f, v in t.removed_values.items()]
        lines = _listed(lines, [f"    row added: {k}" for k in t.added_rows], limit, "rows added")
        lines = _listed(lines, [f"    row removed: {k}" for k in t.removed_rows], limit, "rows removed")
        changes = [
            f"    {change['key']} {column}: {values['old']!r} -> {values['new']!r}"
            for change in t.changed_rows for column, values in change["changes"].items()
        ]
        lines = _listed(lines, changes, limit, "changed values")
    return "\n".join(lines)
