"""Writing and reading the published CSV and Parquet files, typed by the table definitions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .tables import Table

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


def csv_cell(value: Any) -> str:
    """The one text form of a value: empty for null, true/false, ISO dates, no trailing .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_csv_bytes(table: Table, rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    for row in rows:
        writer.writerow([csv_cell(row[c]) for c in table.columns])
    return buffer.getvalue().encode("utf-8")


# pandas metadata written by hand (no library versions inside, so bytes do not drift): it makes
# pandas, and Frictionless's Parquet reader, load nullable columns as nullable dtypes, not NaN.
PANDAS_METADATA_TYPES = {
    "string": ("unicode", "string"),
    "integer": ("int64", "Int64"),
    "number": ("float64", "Float64"),
    "boolean": ("bool", "boolean"),
    "date": ("date", "object"),
}


def pandas_metadata(table: Table) -> bytes:
    columns = [
        {"name": f.name, "field_name": f.name, "pandas_type": PANDAS_METADATA_TYPES[f.type][0],
         "numpy_type": PANDAS_METADATA_TYPES[f.type][1], "metadata": None}
        for f in table.fields
    ]
    meta = {"index_columns": [], "column_indexes": [], "columns": columns, "creator": {"library": "cnkz", "version": "1"}, "pandas_version": "2.2.0"}
    return json.dumps(meta, sort_keys=True).encode("utf-8")


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, ARROW_TYPES[f.type], nullable=not f.required, metadata={"description": f.description}) for f in table.fields],
        metadata={"pandas": pandas_metadata(table)},
    )


def to_arrow(table: Table, rows: list[dict[str, Any]]) -> pa.Table:
    columns = {c: [row[c] for row in rows] for c in table.columns}
    return pa.table(columns, schema=arrow_schema(table))


# Fixed writer options: no timestamps are stored, so the bytes depend only on the data. Row groups of 64 Ki rows:
# a reader holds one row group's column chunks at a time, so a large table streams in bounded memory.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 9, "use_dictionary": False, "write_statistics": True,
                                   "version": "2.6", "data_page_version": "1.0", "row_group_size": 1 << 16}


def to_parquet_bytes(table: Table, rows: list[dict[str, Any]]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(to_arrow(table, rows), sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def is_package_path(path: object) -> bool:
    """The one rule for a name inside a package (zip members, descriptor paths, `source.file`, ids used as file names).

    A non-empty relative POSIX path, NFC-normalised, whose every segment is non-empty and neither `.` nor `..`: so
    `a//b` (which an archive's top folder, once stripped, turns into an absolute path) and `a/./b` (a second name for
    `a/b`) are refused, as are a leading `/`, `~` or `$`, a drive or URL colon, a backslash and any control character.
    """
    if not isinstance(path, str) or not path or len(path) > 1024 or "\\" in path or ":" in path or _CONTROL.search(path):
        return False  # NUL cannot be passed to the OS; other controls hide in listings
    if not unicodedata.is_normalized("NFC", path):
        return False  # two byte sequences for one name would give one file two names
    return all(part and part not in (".", "..") and not part.startswith(("$", "~")) for part in path.split("/"))


def path_key(path: str) -> str:
    """What two package paths must not share: one file on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", path).casefold()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

