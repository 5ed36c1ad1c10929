"""What a published file that differs from a fresh build differs in, and which curation record to edit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from .errors import CurationError, Problem
from .tables import TABLES_BY_NAME, Table

GENERATED = "resources/ and datapackage.json are generated from curation/*.yaml by `cnkz build`"


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace"), newline="")))


Parse = Callable[[Path], tuple[Any, Any]]


def _find(root: Path, table: Table, row: dict[str, str], load_yaml_positions: Parse) -> tuple[str, tuple[Any, ...] | None, Any, str]:
    """The curation record a row comes from: (the file as shown, the record's path in it or None, the file's positions, the
    record's label). The file alone when the record cannot be told."""
    source_id = row.get("source_id") or ""
    registry = root / "curation" / f"{table.name}.yaml"  # a table kept in a registry of its own (places)
    if not source_id and registry.is_file():
        try:
            _, found_at = load_yaml_positions(registry)
        except CurationError:
            return f"curation/{registry.name}", None, None, ""
        key = row.get(table.primary_key[0]) or ""
        return f"curation/{registry.name}", ((key,) if (key,) in found_at.values else None), found_at, ""
    path = root / "curation" / f"{source_id}.yaml"
    if not source_id or not path.is_file():
        return "curation/*.yaml", None, None, ""
    shown = f"curation/{path.name}"
    try:
        data, positions = load_yaml_positions(path)
    except CurationError:
        return shown, None, None, ""
    if table.name == "sources":
        return shown, ("source",), positions, "source"
    # The record whose values hold every primary-key part, read without the source prefix.
    parts = [v.removeprefix(f"{source_id}.") for k in table.primary_key if (v := str(row.get(k) or "")) and v != source_id]
    section = data.get(table.name) if isinstance(data, dict) else None
    matches = [
        index for index, record in enumerate(section if isinstance(section, list) else [])
        if isinstance(record, dict) and all(any(str(value) == part for value in record.values()) for part in parts)
    ]
    if len(matches) != 1:
        return shown, None, positions, ""
    return shown, (table.name, matches[0]), positions, f"{table.name}[{matches[0] + 1}]"


def _record(root: Path, table: Table, row: dict[str, str], load_yaml_positions: Parse) -> str:
    """`curation/<source>.yaml:<line>:<column> (<record>)` for the curation record a row comes from, or the file alone."""
    shown, found, positions, label = _find(root, table, row, load_yaml_positions)
    where = positions.values.get(found) if found is not None else None
    if where is None:
        return shown
    return f"{shown}:{where[0]}:{where[1]}" + (f" ({label})" if label else "")


def record_location(root: Path, table: Table, row: dict[str, str], column: str, load_yaml_positions: Parse) -> str:
    """`curation/<file>.yaml:<line>:<column> (<record>), key <key>` for one cell: the key it is written from (its own line when
    the record has it), else the record; the file alone when the record cannot be told."""
    from .curation import column_key

    shown, found, positions, label = _find(root, table, row, load_yaml_positions)
    if found is None:
        return shown
    key = column_key(table.name, column) if column else None
    at = positions.keys.get((*found, key)) if key else None
    where = at or positions.values.get(found)
    if where is None:
        return shown
    located = f"{shown}:{where[0]}:{where[1]}" + (f" ({label})" if label else "")
    if key and at:
        return f"{located}, key {key}"
    if key:
        return f"{located}, key {key} (not given: add it to the record)"
    return located


def stale_problems(root: Path, relative: str, published: bytes, fresh: bytes) -> list[Problem]:
    """Problems for a published file whose bytes differ from a fresh build: per row and column for a CSV table."""
    name = Path(relative).stem
    table = TABLES_BY_NAME.get(name)
    whole_file = [Problem(
        "stale", relative, "", "", "the bytes a fresh build writes", "different bytes",
        f"{GENERATED}: keep the values you want in curation/*.yaml, then run `cnkz build`, which rewrites this file",
    )]
    if table is None or not relative.endswith(".csv"):
        return whole_file
    try:
        old_rows, new_rows = _rows(published), _rows(fresh)
    except csv.Error:
        return whole_file

    def key(row: dict[str, str]) -> tuple[str, ...]:
        return tuple(row.get(k) or "" for k in table.primary_key)

    from .curation import load_yaml_positions

    # Only rows that differ are traced to their record, and each curation file is parsed once per call, not once per row.
    parse = cache(load_yaml_positions)

    def record_of(row: dict[str, str]) -> str:
        return _record(root, table, row, parse)

    new_by_key = {key(r): r for r in new_rows}
    old_keys = {key(r) for r in old_rows}
    problems = []
    for number, old in enumerate(old_rows, start=2):
        label = f"{number} ({'/'.join(key(old))})"
        new = new_by_key.get(key(old))
        if new is None:
            problems.append(Problem(
                "stale", relative, label, "", "no row with this key (curation gives none)", "a row",
                f"{GENERATED}: add the record to curation/{old.get('source_id') or '*'}.yaml or drop the row, then run `cnkz build`",
            ))
            continue
        changed = [column for column in table.columns if (old.get(column) or "") != (new.get(column) or "")]
        record = record_of(new) if changed else ""
        for column in changed:
            problems.append(Problem(
                "stale", relative, label, column, new.get(column) or "an empty cell", old.get(column) or "an empty cell",
                f"{GENERATED}: this row comes from {record}; make the change there, then run `cnkz build` "
                "(an edit made only in this file is lost when it runs)",
            ))
    for new in new_rows:
        if key(new) not in old_keys:
            problems.append(Problem(
                "stale", relative, "/".join(key(new)), "", f"the row {record_of(new)} gives", "no such row",
                f"{GENERATED}: run `cnkz build` to write it",
            ))
    return problems or whole_file
