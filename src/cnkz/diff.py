"""Data diff between two states of the package, classified as a semantic version bump.

Each package is read through the loader's verified access (paths kept inside it, every CSV file checked against
the descriptor's sha256 and against SHA256SUMS when there is one), each table as Arrow columns of text. Rows are
matched by primary key in DuckDB, in process, under a memory limit and spilling to a private temporary folder, and
the values of matched rows compared in Arrow: memory follows the size of the Arrow tables, not Python objects per
cell. Only counts and the example rows a report shows become Python objects; `Diff.to_json()` (`cnkz diff --json`)
lists every difference, and `Diff.write_json()` writes the same text a batch of rows at a time.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import CnkzError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

LEVELS = ("none", "patch", "minor", "major")
# DuckDB's share of memory: the hash tables and sorts of the comparison (the Arrow tables it scans are not counted).
# Past it, DuckDB spills to a temporary folder only this process can read.
ENGINE_MEMORY = "128MB"
ENGINE_THREADS = 4  # at most: each thread holds memory of its own within the limit
BATCH_ROWS = 4096  # rows of differences converted to Python at a time


@dataclass(frozen=True)
class Snapshot:
    """What a diff needs of a package: per CSV resource, its schema, its primary key and its cells as text, in file order."""

    version: str
    schemas: dict[str, dict[str, Any]]
    tables: dict[str, pa.Table]  # one string column per header column, named as in the header; an empty cell is ""
    keys: dict[str, list[str]]

    @property
    def rows(self) -> Mapping[str, dict[tuple[str, ...], dict[str, str]]]:
        """Rows by primary key as Python dicts, one table at a time when asked for. For small packages (a release's list
        of source texts): the diff itself never builds them."""
        return _RowsByKey(self)


class _RowsByKey(Mapping[str, dict[tuple[str, ...], dict[str, str]]]):
    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def __getitem__(self, name: str) -> dict[tuple[str, ...], dict[str, str]]:
        key = self._snapshot.keys[name]
        return {tuple(row.get(k, "") for k in key): row for row in self._snapshot.tables[name].to_pylist()}

    def __iter__(self) -> Iterator[str]:
        return iter(self._snapshot.tables)

    def __len__(self) -> int:
        return len(self._snapshot.tables)


def _first_line(error: BaseException, width: int = 200) -> str:
    """An error's message as one line of bounded length (parsers quote the offending row, which may be long or span lines)."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= width else text[: width - 1] + "…"


def _text_table(data: bytes, where: str) -> pa.Table:
    """A CSV file's cells as text in Arrow: one string column per header column, an empty cell "", rows in file order."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from .load import LoadError

    try:
        # The header as the csv module reads it; a byte order mark is dropped, as pyarrow drops it.
        header = next(csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"not a readable UTF-8 CSV file ({_first_line(exc)})", file=where) from None
    if not header:
        return pa.table({})
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise LoadError(f"column {column!r} appears twice in the header; a diff compares columns by name", file=where)
        seen.add(column)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError) as exc:
        raise LoadError(f"not a readable UTF-8 CSV file ({_first_line(exc)})", file=where) from None
    if table.column_names != header or any(t != pa.string() for t in table.schema.types):
        raise LoadError("the header reads differently as CSV text and as a table; not a CSV file a diff can compare", file=where)
    return table


def load_snapshot(source: Path) -> Snapshot:
    """Read a package folder or release archive through the loader's verified package access: paths kept inside it, and
    each CSV file checked against the descriptor's sha256 (and SHA256SUMS when there is one) before it is parsed."""
    from .load import LoadError, open_package

    schemas: dict[str, dict[str, Any]] = {}
    tables: dict[str, pa.Table] = {}
    keys: dict[str, list[str]] = {}
    # Verified: a diff reads only files the package's hashes vouch for. A hand-edited package is rebuilt (`cnkz build`) first.
    with open_package(Path(source), verify=True) as package:
        for resource in package.resources():
            if resource.get("format") != "csv":
                continue
            name = str(resource.get("name"))
            where = package._where(str(resource.get("path")))
            schema = resource.get("schema")
            if not isinstance(schema, dict) or not isinstance(schema.get("fields", []), list):
                raise LoadError("the resource has no inline schema with a list of fields; a diff needs one", file=where)
            table = _text_table(package.data(resource), where)
            # The columns the file really has: a column deleted from the CSV is a removed field even if the schema still lists it.
            declared = {f["name"]: f for f in schema.get("fields", []) if isinstance(f, dict) and isinstance(f.get("name"), str)}
            schemas[name] = {**schema, "fields": [declared.get(column, {"name": column}) for column in table.column_names]}
            primary = schema.get("primaryKey") or []
            keys[name] = [primary] if isinstance(primary, str) else [k for k in primary if isinstance(k, str)] if isinstance(primary, list) else []
            tables[name] = table
        return Snapshot(package.version, schemas, tables, keys)


def _head(keys: pa.ChunkedArray | None, limit: int) -> list[str]:
    return [] if keys is None else keys.slice(0, limit).to_pylist()


@dataclass(eq=False)
class TableDiff:
    added_fields: list[str] = field(default_factory=list)
    removed_fields: list[str] = field(default_factory=list)
    retyped_fields: list[dict[str, str]] = field(default_factory=list)
    added_values: dict[str, list[str]] = field(default_factory=dict)
    removed_values: dict[str, list[str]] = field(default_factory=dict)
    # The row differences as the engine returned them, in Arrow: keys joined by "/" of the rows added (in the new file's
    # order) and removed (in the old file's order); per changed row, ordered by key, the key and then for each compared
    # column j the old value o{j} and the new value n{j}, both null where the column did not change.
    added_keys: pa.ChunkedArray | None = None
    removed_keys: pa.ChunkedArray | None = None
    changes: pa.Table | None = None
    compared: list[str] = field(default_factory=list)  # the columns both files have, sorted

    @property
    def added_count(self) -> int:
        return 0 if self.added_keys is None else len(self.added_keys)

    @property
    def removed_count(self) -> int:
        return 0 if self.removed_keys is None else len(self.removed_keys)

    @property
    def changed_count(self) -> int:
        """Rows whose values changed."""
        return 0 if self.changes is None else self.changes.num_rows

    @property
    def changed_values(self) -> int:
        """Cells whose value changed, over all changed rows."""
        if self.changes is None:
            return 0
        return sum(self.changes.num_rows - self.changes.column(f"o{j}").null_count for j in range(len(self.compared)))

    @property
    def added_rows(self) -> list[str]:
        """Every added row's key: one Python string per row, for --json; a report takes the first few (_head)."""
        return _head(self.added_keys, self.added_count)

    @property
    def removed_rows(self) -> list[str]:
        return _head(self.removed_keys, self.removed_count)

    @property
    def changed_rows(self) -> list[dict[str, Any]]:
        """Every changed row as {"key", "changes": {column: {"old", "new"}}}, columns sorted: for --json."""
        return [{"key": key, "changes": changes} for key, changes in self._changed(self.changed_count)]

    def _changed(self, rows: int) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
        """The first `rows` changed rows, converted to Python a batch at a time."""
        if self.changes is None:
            return
        for batch in self.changes.slice(0, rows).to_batches(max_chunksize=BATCH_ROWS):
            for row in batch.to_pylist():
                yield row["key"], {
                    column: {"old": row[f"o{j}"], "new": row[f"n{j}"]} for j, column in enumerate(self.compared) if row[f"o{j}"] is not None
                }

    def changed_values_head(self, limit: int) -> list[tuple[str, str, str, str]]:
        """The first `limit` changed cells as (key, column, old, new), by key then column; only that many rows are read."""
        cells: list[tuple[str, str, str, str]] = []
        for key, changes in self._changed(limit):  # every changed row has at least one changed cell
            cells += [(key, column, values["old"], values["new"]) for column, values in changes.items()]
            if len(cells) >= limit:
                break
        return cells[:limit]

    @property
    def level(self) -> str:
        if self.removed_fields or self.retyped_fields or self.removed_values or self.removed_count:
            return "major"
        if self.added_fields or self.added_values or self.added_count:
            return "minor"
        if self.changed_count:
            return "patch"
        return "none"

    def to_json(self, rows: Callable[[str], Any] | None = None) -> dict[str, Any]:
        """The table's differences; `rows(name)` stands in for each list of rows when given (Diff.write_json)."""
        listed = rows or (lambda name: getattr(self, name))
        return {
            "level": self.level, "added_fields": self.added_fields, "removed_fields": self.removed_fields,
            "retyped_fields": self.retyped_fields, "added_values": self.added_values, "removed_values": self.removed_values,
            "added_rows": listed("added_rows"), "removed_rows": listed("removed_rows"), "changed_rows": listed("changed_rows"),
        }

    def iter_rows(self, name: str) -> Iterator[Any]:
        """The items of added_rows, removed_rows or changed_rows, converted to Python a batch at a time."""
        if name == "changed_rows":
            yield from ({"key": key, "changes": changes} for key, changes in self._changed(self.changed_count))
            return
        keys = self.added_keys if name == "added_rows" else self.removed_keys
        if keys is None:
            return
        for start in range(0, len(keys), BATCH_ROWS):
            yield from keys.slice(start, BATCH_ROWS).to_pylist()


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
        """Everything, every added, removed and changed row included: Python objects in proportion to the differences
        (write_json gives the same text a batch of rows at a time)."""
        return self._json(None)

    def _json(self, rows: Callable[[TableDiff, str], Any] | None) -> dict[str, Any]:
        return {
            "old_version": self.old_version, "new_version": self.new_version, "level": self.level,
            "added_tables": self.added_tables, "removed_tables": self.removed_tables,
            "tables": {name: t.to_json(None if rows is None else functools.partial(rows, t)) for name, t in self.tables.items()},
        }

    def write_json(self, out: TextIO) -> None:
        """Write exactly `json.dumps(self.to_json(), indent=2)`, converting the rows to Python a batch at a time, so that
        memory follows the Arrow tables of the differences rather than a Python object per changed cell."""
        tag = f"cnkz-diff-rows-{secrets.token_hex(16)}"
        lists: list[tuple[TableDiff, str]] = []

        def marker(t: TableDiff, name: str) -> str:
            lists.append((t, name))
            return f"{tag}-{len(lists) - 1}"

        text = json.dumps(self._json(marker), indent=2)
        position = 0
        for match in re.finditer(f'"{tag}-([0-9]+)"', text):
            line = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
            indent = len(line) - len(line.lstrip(" "))
            out.write(text[position : match.start()])
            inner = "\n" + " " * (indent + 2)
            empty = True
            for item in lists[int(match.group(1))][0].iter_rows(lists[int(match.group(1))][1]):
                out.write(("[" if empty else ",") + inner + json.dumps(item, indent=2).replace("\n", inner))
                empty = False
            out.write("[]" if empty else "\n" + " " * indent + "]")
            position = match.end()
        out.write(text[position:])


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema.get("fields", [])}


def _enum(field: dict[str, Any]) -> list[str]:
    constraints = field.get("constraints")
    enum = constraints.get("enum") if isinstance(constraints, dict) else None
    return [str(v) for v in enum] if isinstance(enum, list) else []


def _schema_diff(old: dict[str, Any], new: dict[str, Any]) -> TableDiff:
    t = TableDiff()
    old_fields, new_fields = _fields(old), _fields(new)
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
    return t


@contextlib.contextmanager
def _engine() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB under ENGINE_MEMORY, spilling to a fresh private folder, without access to files or extensions."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="cnkz-diff-") as spill:  # mode 0700: only this user reads what spills
        engine = duckdb.connect(":memory:", config={
            "memory_limit": ENGINE_MEMORY, "threads": min(ENGINE_THREADS, os.cpu_count() or 1), "temp_directory": spill,
            "preserve_insertion_order": False,
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        })
        try:
            # After temp_directory is set (it is a file access too): the queries read only the Arrow tables registered here.
            engine.execute("SET enable_external_access = false")
            engine.execute("SET lock_configuration = true")
            yield engine
        finally:
            engine.close()


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A query's result as an Arrow table (DuckDB 1.x returns a table, 2.x a stream of batches)."""
    import pyarrow as pa

    result = relation.arrow()
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _side(engine: duckdb.DuckDBPyConnection, alias: str, table: pa.Table, key: list[str]) -> None:
    """One file's primary key as the engine's table `alias`: one row per key (columns k0..), with the number of its first
    row (its place in the file) and of its last (whose values count when a key repeats, as they would in a dict).

    Only the key columns and row numbers go to the engine, renamed by position: no text of the file becomes part of a query."""
    import numpy as np
    import pyarrow as pa

    position = {column: n for n, column in enumerate(table.column_names)}
    arrays = {f"k{i}": table.column(position[k]) for i, k in enumerate(key) if k in position}
    arrays["r"] = pa.array(np.arange(table.num_rows, dtype=np.int64))
    engine.register(f"{alias}_file", pa.table(arrays))
    keys = [f"k{i}" for i in range(len(key))]
    select = ", ".join([*(k if k in arrays else f"'' AS {k}" for k in keys), "r"])
    engine.execute(f"CREATE OR REPLACE TEMP VIEW {alias}_rows AS SELECT {select} FROM {alias}_file")
    grouped = f"GROUP BY {', '.join(keys)}" if keys else "HAVING count(*) > 0"
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {alias} AS SELECT {''.join(k + ', ' for k in keys)}min(r) AS first, max(r) AS last "
                   f"FROM {alias}_rows {grouped}")


def _changes(pairs: pa.Table, old: pa.Table, new: pa.Table, compared: list[str]) -> pa.Table:
    """The rows of `pairs` (key, old_row, new_row) whose compared columns differ, sorted by key: the key, then o{j} and n{j}
    per column j, null where the column did not change. One column's values are taken at a time; the rest are bitmaps."""
    import pyarrow as pa
    import pyarrow.compute as pc

    differs = [pc.not_equal(old.column(c).take(pairs.column("old_row")), new.column(c).take(pairs.column("new_row"))) for c in compared]
    changed = functools.reduce(pc.or_, differs)
    order = pc.sort_indices(pairs.filter(changed), [("key", "ascending")])
    rows = pairs.filter(changed).take(order)
    unchanged = pa.scalar(None, pa.string())
    arrays: dict[str, Any] = {"key": rows.column("key")}
    for j, (column, differ) in enumerate(zip(compared, differs)):
        differ = differ.filter(changed).take(order)
        arrays[f"o{j}"] = pc.if_else(differ, old.column(column).take(rows.column("old_row")), unchanged)
        arrays[f"n{j}"] = pc.if_else(differ, new.column(column).take(rows.column("new_row")), unchanged)
    return pa.table(arrays)


def _compare_rows(engine: duckdb.DuckDBPyConnection, t: TableDiff, old: pa.Table, old_key: list[str], new: pa.Table, new_key: list[str]) -> None:
    """Rows matched by primary key in the engine (keys and row numbers only); the values of matched rows compared in Arrow."""
    t.compared = sorted(set(old.column_names) & set(new.column_names))
    _side(engine, "o", old, old_key)
    _side(engine, "n", new, new_key)
    # Keys of different lengths never match, as tuples of different lengths never do; no key at all is one row per file.
    on = "FALSE" if len(old_key) != len(new_key) else " AND ".join(f"o.k{i} = n.k{i}" for i in range(len(old_key))) or "TRUE"

    def joined(alias: str, key: list[str]) -> str:
        return f"concat_ws('/', {', '.join(f'{alias}.k{i}' for i in range(len(key)))})" if key else "''"

    # No ORDER BY in the engine: a sort of every matched key can exhaust its memory limit (DuckDB 2.0 fails rather than
    # spilling there); the results are put in order in Arrow, and only the changed rows are sorted by key.
    added = _arrow(engine.sql(f"SELECT {joined('n', new_key)} AS key, n.first FROM n ANTI JOIN o ON {on}"))
    t.added_keys = added.sort_by("first").column("key")
    removed = _arrow(engine.sql(f"SELECT {joined('o', old_key)} AS key, o.first FROM o ANTI JOIN n ON {on}"))
    t.removed_keys = removed.sort_by("first").column("key")
    if t.compared:
        pairs = _arrow(engine.sql(f"SELECT {joined('o', old_key)} AS key, o.last AS old_row, n.last AS new_row FROM o JOIN n ON {on}"))
        t.changes = _changes(pairs, old, new, t.compared)
    for alias in ("o", "n"):
        engine.unregister(f"{alias}_file")


def diff(old: Snapshot, new: Snapshot) -> Diff:
    import duckdb
    import pyarrow as pa

    tables = {}
    with _engine() as engine:
        for name in sorted(set(old.schemas) & set(new.schemas)):
            t = _schema_diff(old.schemas[name], new.schemas[name])
            try:
                _compare_rows(engine, t, old.tables[name], old.keys[name], new.tables[name], new.keys[name])
            except (duckdb.Error, pa.ArrowException) as exc:
                raise CnkzError(f"the rows of table {name} could not be compared ({_first_line(exc)})") from None
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


def _listed(lines: list[str], items: list[str], total: int, limit: int, what: str) -> list[str]:
    """The first `limit` of `total` items (`items` holds at least those), then how many more there are: nothing is left out silently."""
    shown = lines + items[:limit]
    if total > limit:
        shown.append(f"    … and {total - limit} more {what} (--limit {total} lists them all, --json gives everything)")
    return shown


def render_text(d: Diff, limit: int = 20) -> str:
    """The report: counts per table and the first `limit` examples of each kind (only those become Python strings)."""
    limit = max(limit, 0)
    lines = [f"{d.old_version} -> {d.new_version}: {LEVEL_WORDS[d.level]}"]
    for name in d.added_tables:
        lines.append(f"  table {name}: added")
    for name in d.removed_tables:
        lines.append(f"  table {name}: removed")
    for name, t in d.tables.items():
        if t.level == "none":
            continue
        rows = "row" if t.added_count == 1 else "rows"
        lines.append(f"  {name} ({t.level}): {t.added_count} {rows} added, {t.removed_count} removed, {t.changed_count} changed")
        lines += [f"    field added: {f}" for f in t.added_fields]
        lines += [f"    field removed: {f}" for f in t.removed_fields]
        lines += [f"    field retyped: {r['field']} {r['old']} -> {r['new']}" for r in t.retyped_fields]
        lines += [f"    values added to {f}: {', '.join(v)}" for f, v in t.added_values.items()]
        lines += [f"    values removed from {f}: {', '.join(v)}" for f, v in t.removed_values.items()]
        lines = _listed(lines, [f"    row added: {k}" for k in _head(t.added_keys, limit)], t.added_count, limit, "rows added")
        lines = _listed(lines, [f"    row removed: {k}" for k in _head(t.removed_keys, limit)], t.removed_count, limit, "rows removed")
        changes = [f"    {key} {column}: {old!r} -> {new!r}" for key, column, old, new in t.changed_values_head(limit)]
        lines = _listed(lines, changes, t.changed_values, limit, "changed values")
    return "\n".join(lines)
