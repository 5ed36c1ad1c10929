"""Run one registered rule on hand-made tables in the embedded engine: the rows it fails."""

from __future__ import annotations

import pyarrow as pa

from cnkz.datamodel import current
from cnkz.validation.engine import Engine
from cnkz.validation.registry import rules_for
from cnkz.validation.runner import Built
from cnkz.validation.settings import Settings


def failing_rows(code: str, table: str, tables: dict[str, pa.Table]) -> list[int]:
    """The 0-based rows of `tables[table]` that the current model's rule `code` fails (every rule of that code)."""
    model = current()
    [definition] = [t for t in model.tables if t.name == table]
    rules = [r for r in rules_for(model, definition) if r.code == code]
    assert rules, f"no rule {code} of {table}"
    with Engine(Settings(threads=1)) as engine:
        for name, data in tables.items():
            engine.load(name, data.to_batches() or [], data.schema)
        loaded = engine.tables
        built = Built(rules, loaded)
        found: set[int] = set()
        for index in range(len(rules)):
            found |= set(built.failing(index).to_pyarrow().column("_row").to_pylist())
    return sorted(found)
