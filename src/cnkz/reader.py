"""The one typed reader: a published CSV or Parquet file as typed Arrow record batches plus the cells that did not parse.

The loader stops at the first problem; the validator collects them all. Both read through here, so
a value is typed the same way wherever it is read, and the Parquet type check exists once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .files import ARROW_TYPES
from .limits import current
from .tables import Field, Table

BATCH_ROWS = 65_536  # Parquet rows per batch
CSV_BLOCK = 16 << 20  # CSV bytes per batch: big enough to amortise the checks' fixed cost per batch
# pyarrow's CSV reader holds many blocks ahead (about 300 MB of memory with 16 MB blocks, 40 MB with 1 MB ones, and
# faster): it reads small blocks, gathered into batches of CSV_BLOCK.
CSV_READ_BLOCK = 1 << 20
Source = Path | bytes

# The text forms our writer produces and the Table Schema reads; anything else is a bad cell.
_INTEGER = r"^-?[0-9]+$"
_NUMBER = r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class CellError:
    row: int  # 0-based data row in the file
    column: str
    value: str
    expected: str


@dataclass(frozen=True)
class FileProblem:
    """Something wrong with the file as a whole: unreadable, other columns, a Parquet column of another type."""

    check: str  # "unreadable", "columns" or "parquet_type"
    column: str
    expected: str
    found: str


@dataclass
class Batch:
    """Rows `offset`.. of a file, typed by the table definition, and the cells that did not parse (now null)."""

    offset: int
    record: pa.RecordBatch
    errors: list[CellError] = field(default_factory=list)


class DecodedTooLarge(pa.ArrowInvalid):
    """A Parquet file whose rows decode past the member cap; readers report it as they report a damaged file."""


def too_large(size: int) -> str:
    cap = current()
    return (f"the Parquet file's rows decode to at least {size} bytes, over the cap of {cap.member_bytes} for one file "
            f"(values repeated through a dictionary or compression); refusing to decode it ({cap.how_to_raise('member_bytes')})")


def decoded_bytes(column: pa.Array) -> int:
    """The bytes `column` takes once decoded, found without decoding it: a dictionary's values counted once per use."""
    if not pa.types.is_dictionary(column.type) or not pa.types.is_string(column.dictionary.type):
        return int(column.nbytes)
    used = pc.sum(pc.take(pc.binary_length(column.dictionary), column.indices)).as_py() or 0
    return int(used) + 4 * len(column)


def target_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(f.name, ARROW_TYPES[f.type]) for f in table.fields])


class TableReader:
    """Opens one file of a table; `problems` says what is wrong with the file, `batches()` streams its rows.

    Columns whose type cannot be trusted (a retyped Parquet column) are listed in `untyped` and come as nulls.
    """

    def __init__(self, source: Source, table: Table, fmt: str) -> None:
        self.table, self.fmt, self.source = table, fmt, source
        self.problems: list[FileProblem] = []
        self.untyped: set[str] = set()
        self.columns: list[str] = []
        self._parquet: pq.ParquetFile | None = None
        try:
            self.columns = self._csv_header() if fmt == "csv" else self._open_parquet()
        except (pa.ArrowException, OSError, UnicodeDecodeError, csv.Error) as exc:
            self.problems.append(FileProblem("unreadable", "", f"a readable {fmt} file", f"{type(exc).__name__}: {exc}"))
            return
        if self.columns != table.columns:
            self.problems.append(FileProblem("columns", "", ",".join(table.columns), ",".join(self.columns)))

    @property
    def readable(self) -> bool:
        """True when batches can be read: the file opens and has the table's columns."""
        return not any(p.check in ("unreadable", "columns") for p in self.problems)

    def _stream(self) -> pa.NativeFile:
        return pa.BufferReader(self.source) if isinstance(self.source, bytes) else pa.OSFile(str(self.source))

    def _csv_header(self) -> list[str]:
        if isinstance(self.source, bytes):
            first = self.source.split(b"\n", 1)[0]
        else:
            with open(self.source, "rb") as handle:
                first = handle.readline()
        return [h.strip("\r") for h in next(csv.reader(io.StringIO(first.decode("utf-8"))), [])]

    def _open_parquet(self) -> list[str]:
        # Text columns are read as dictionaries, so their decoded size is known before they are decoded (a 5 KB file can
        # repeat one megabyte-long dictionary value a thousand times).
        plain = pq.ParquetFile(self._stream())
        texts = [f.name for f in self.table.fields if ARROW_TYPES[f.type] == pa.string() and f.name in plain.schema_arrow.names]
        self._parquet = pq.ParquetFile(self._stream(), read_dictionary=texts) if texts else plain
        declared = sum(group.total_byte_size for group in map(self._parquet.metadata.row_group, range(self._parquet.metadata.num_row_groups)))
        if declared > current().member_bytes:
            raise DecodedTooLarge(too_large(declared))
        stored = self._parquet.schema_arrow
        for f in self.table.fields:
            if f.name not in stored.names:
                continue
            actual, expected = stored.field(f.name).type, ARROW_TYPES[f.type]
            if pa.types.is_dictionary(actual):
                actual = actual.value_type
            if actual != expected and not (expected == pa.string() and actual == pa.large_string()):
                self.problems.append(FileProblem("parquet_type", f.name, str(expected), str(actual)))
                self.untyped.add(f.name)
        return list(stored.names)

    def batches(self) -> Iterator[Batch]:
        """Typed batches in file order; raises pa.ArrowException when the file breaks part-way."""
        if not self.readable:
            return
        yield from self._csv_batches() if self.fmt == "csv" else self._parquet_batches()

    def _parquet_batches(self) -> Iterator[Batch]:
        assert self._parquet is not None
        schema = target_schema(self.table)
        offset = 0
        for record in self._parquet_records():
            arrays = [
                pa.nulls(record.num_rows, f.type) if f.name in self.untyped else record.column(f.name).cast(f.type)
                for f in schema
            ]
            yield Batch(offset, pa.RecordBatch.from_arrays(arrays, schema=schema))
            offset += record.num_rows

    def _parquet_records(self) -> Iterator[pa.RecordBatch]:
        """The Parquet file's batches, a row group at a time (small ones together). Read in one pass, a text column read as
        a dictionary keeps every value of the row groups before in each batch's dictionary: at a million rows the last
        batch of a column of distinct quotes held all million (peak RSS 1.4 GB, not 0.26, for one 60 MB file, and five
        times as slow). Each batch's decoded size is added up as it comes, and the file refused past the cap on one file."""
        assert self._parquet is not None
        metadata = self._parquet.metadata
        # Small row groups are read together, up to a batch of rows: a reader for each of thousands of one-row groups
        # would take twice as long as one pass, and their dictionaries together hold at most a batch.
        chunks: list[list[int]] = []
        rows = 0
        for group in range(metadata.num_row_groups):
            size = metadata.row_group(group).num_rows
            if not chunks or rows + size > BATCH_ROWS:
                chunks.append([])
                rows = 0
            chunks[-1].append(group)
            rows += size
        decoded, cap = 0, current().member_bytes
        for chunk in chunks:
            for record in self._parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=chunk, use_threads=False):
                decoded += sum(decoded_bytes(column) for column in record.columns)
                if decoded > cap:
                    raise DecodedTooLarge(too_large(decoded))
                yield record

    def scan_parquet(self) -> int:
        """Read every batch of a Parquet file without keeping or converting it: its decoded size within the cap, every page
        readable (raises as batches() does); its number of rows."""
        return sum(record.num_rows for record in self._parquet_records())

    def _csv_batches(self) -> Iterator[Batch]:
        reader = pacsv.open_csv(
            self._stream(),
            read_options=pacsv.ReadOptions(encoding="utf8", block_size=CSV_READ_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(self.columns, pa.string()), strings_can_be_null=True, null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
        schema = target_schema(self.table)
        offset = 0
        for raw in _gathered(reader, CSV_BLOCK):
            errors: list[CellError] = []
            arrays = [convert(raw.column(f.name), field, offset, errors) for f, field in zip(schema, self.table.fields)]
            yield Batch(offset, pa.RecordBatch.from_arrays(arrays, schema=schema), errors)
            offset += raw.num_rows


def _gathered(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Small record batches joined into batches of about `size` bytes."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.nbytes
        if held >= size:
            yield from pa.Table.from_batches(pending).combine_chunks().to_batches()  # one batch: the chunks are combined
            pending, held = [], 0
    if pending:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def convert(text: pa.Array, field: Field, offset: int, errors: list[CellError]) -> pa.Array:
    """A column of CSV text as the field's type; cells that do not parse become null and are added to `errors`."""
    if field.type == "string":
        return text
    present = pc.is_valid(text)
    if field.type == "boolean":
        good = pc.is_in(text, value_set=pa.array(["true", "false"]))
        typed = pc.equal(text, "true")
    elif field.type == "date":
        good = pc.match_substring_regex(text, _DATE)
        parsed = pc.strptime(pc.if_else(good, text, None), format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2010-11-31 over to 2010-12-01: a date is good only if it prints back as written.
        good = pc.and_kleene(good, pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text))
        typed = parsed.cast(pa.date32())
    elif field.type == "integer":
        good = pc.match_substring_regex(text, _INTEGER)
        # More than 18 digits may overflow int64; those few are checked one by one.
        long = pc.and_kleene(good, pc.greater(pc.utf8_length(text), 18))
        if pc.any(long).as_py():
            fits = [v is None or -(2**63) <= int(v) < 2**63 for v in pc.if_else(long, text, None).to_pylist()]
            good = pc.and_kleene(good, pc.or_kleene(pc.invert(long), pa.array(fits)))
        typed = pc.cast(pc.if_else(good, text, None), pa.int64())
    else:
        good = pc.match_substring_regex(text, _NUMBER)
        typed = pc.cast(pc.if_else(good, text, None), pa.float64())
        good = pc.and_kleene(good, pc.is_finite(typed))
    bad = pc.and_(present, pc.invert(pc.fill_null(good, False)))
    if pc.any(bad).as_py():
        rows = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        values = text.take(pa.array(rows)).to_pylist()
        errors += [CellError(offset + int(r), field.name, str(v), f"a value of type {field.type}") for r, v in zip(rows, values)]
        typed = pc.if_else(bad, pa.nulls(len(typed), typed.type), typed)
    return typed


def read_all(source: Source, table: Table, fmt: str) -> tuple[pa.Table | None, list[FileProblem], list[CellError]]:
    """The whole file as one typed table (None when unreadable), its file problems and its cell errors."""
    reader = TableReader(source, table, fmt)
    if not reader.readable:
        return None, reader.problems, []
    batches, errors = [], []
    try:
        for batch in reader.batches():
            batches.append(batch.record)
            errors += batch.errors
    except pa.ArrowException as exc:
        return None, [*reader.problems, FileProblem("unreadable", "", f"a readable {fmt} file", f"{type(exc).__name__}: {exc}")], errors
    return pa.Table.from_batches(batches, schema=target_schema(table)), reader.problems, errors
