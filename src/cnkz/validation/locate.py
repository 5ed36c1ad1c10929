"""Where a problem is: a row as the report names it, `N (key)`, N being the row's line in the CSV (the header is line 1)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .expr import ROW


def key_text(values: list[Any]) -> str:
    """A row's primary key as the report prints it: its values joined by '/' (an empty cell as <NA>)."""
    return "/".join("<NA>" if value is None else str(value) for value in values)


def row_key(record: pa.RecordBatch, offset: int, index: int, key: tuple[str, ...]) -> str:
    """Row `index` of a batch that starts at data row `offset`."""
    return f"{offset + index + 2} ({key_text([record.column(k)[index].as_py() for k in key if k in record.schema.names])})"


def listed_key(row: dict[str, Any], key: tuple[str, ...]) -> str:
    """A row fetched from the engine with its `_row` and its key columns as `__<column>`."""
    return f"{row[ROW] + 2} ({key_text([row[f'__{k}'] for k in key])})"
