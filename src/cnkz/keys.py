"""Ids as 32-bit codes: every column a foreign key links to a primary key shares one sorted domain of its values.

The whole-table rules join, map and compare ids; on codes those are integer operations, and an id of
forty characters costs four bytes per row. A domain is built from its primary key column as soon as
that table has been read, so the tables that refer to it are encoded while they stream and never hold
their ids as text. Codes keep the order of the text (the domain is sorted); a value the primary key
lacks still gets a code (after the known ones), so a foreign key check is a membership test on integers
and the report can still print the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .tables import TABLES, Table

Column = tuple[str, str]  # (table, column)
CODE = pd.Int32Dtype()
SEARCHABLE = 256  # ids up to this many bytes are searched in a fixed-width array; longer ones (never valid) take a slower path


@cache
def domains(tables: tuple[Table, ...] = TABLES) -> tuple[tuple[Column, ...], ...]:
    """Groups of columns holding the same kind of id: the primary key column a foreign key points at first, then its referrers
    (of `tables`: a data model's definitions, cnkz.datamodel)."""
    group_of: dict[Column, set[Column]] = {}
    targets: set[Column] = set()
    for table in tables:
        for fk in table.foreign_keys:
            (column,), (target,) = fk.fields, fk.reference
            a, b = (table.name, column), (fk.table, target)
            targets.add(b)
            merged = group_of.get(a, {a}) | group_of.get(b, {b})
            for member in merged:
                group_of[member] = merged
    order = [(t.name, c) for t in tables for c in t.columns]
    groups = {id(g): g for g in group_of.values()}.values()
    ordered = (tuple(sorted(g, key=lambda m: (m not in targets, order.index(m)))) for g in groups)
    return tuple(sorted(ordered, key=lambda g: order.index(g[0])))


def _fixed_width(values: pa.Array, width: int, rows: int = 1 << 16) -> np.ndarray:
    """UTF-8 strings (no nulls, none longer than `width`) as a numpy array of fixed-width bytes, copied straight from
    Arrow's buffers a slice of `rows` at a time: no Python object per value, and bounded temporaries."""
    out = np.zeros(len(values), dtype=f"S{max(width, 1)}")
    grid = out.view(np.uint8).reshape(len(values), max(width, 1))
    values = values.cast(pa.string())
    for low in range(0, len(values), rows):
        part = values.slice(low, rows)
        offsets = np.frombuffer(part.buffers()[1], dtype=np.int32)[part.offset : part.offset + len(part) + 1].astype(np.int64)
        data = np.frombuffer(part.buffers()[2], dtype=np.uint8) if part.buffers()[2] is not None else np.zeros(0, np.uint8)
        lengths = np.diff(offsets)
        row = np.repeat(np.arange(len(part)), lengths)
        column = np.arange(int(lengths.sum())) - np.repeat(offsets[:-1] - offsets[0], lengths)
        grid[low + row, column] = data[offsets[0] : offsets[-1]]
    return out


class Domain:
    """The distinct values of a primary key column, sorted; codes index them, values it lacks get codes after them."""

    def __init__(self, key: pa.Array) -> None:
        known = key.is_valid().to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(known)
        present = key.filter(pa.array(known))
        order = pc.sort_indices(present).to_numpy(zero_copy_only=False)
        ordered = present.take(pa.array(order))
        # Keep the first of equal values (the sort is stable), and the row it came from.
        first = np.ones(len(ordered), dtype=bool)
        if len(ordered) > 1:
            first[1:] = pc.not_equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1)).to_numpy(zero_copy_only=False)
        values = ordered.filter(pa.array(first))
        # The key column's own codes come from the sort: no hashing of a million ids to find what the sort already placed.
        coded = np.zeros(len(key), dtype=np.int32)
        coded[rows[order]] = np.cumsum(first) - 1
        self.key_codes: pa.Array | None = pa.array(coded, pa.int32(), mask=~known)
        self.size = len(values)
        self.rows = rows[order][first].astype(np.int32)  # each value's first row in the key column
        self.width = pc.max(pc.binary_length(values)).as_py() or 0
        # Held once: as fixed-width bytes to search (and to read back), or, for ids too long for that, as Arrow text.
        nul = pc.any(pc.match_substring(values, "\x00")).as_py()  # numpy drops trailing NULs: such ids go the Arrow way
        self.search = _fixed_width(values, self.width) if self.width <= SEARCHABLE and not nul else None
        self.values = values if self.search is None else None
        self.extra: dict[str, int] = {}
        self.extra_values: list[str] = []

    def __len__(self) -> int:
        return self.size

    def find(self, distinct: pa.Array) -> np.ndarray:
        """The code of each of `distinct` (no nulls) among the known values, -1 where it is not one."""
        if self.size == 0 or len(distinct) == 0:
            return np.full(len(distinct), -1, dtype=np.int64)
        if self.search is None:
            return pc.fill_null(pc.index_in(distinct, value_set=self.values), -1).to_numpy(zero_copy_only=False).astype(np.int64)
        # No id of this domain holds a NUL or is longer than its width, so a value that does is none of them.
        fits = pc.and_(pc.less_equal(pc.binary_length(distinct), self.width), pc.invert(pc.match_substring(distinct, "\x00")))
        wanted = _fixed_width(pc.if_else(fits, distinct, ""), self.width)
        at = np.searchsorted(self.search, wanted).clip(0, len(self.search) - 1)
        return np.where((self.search[at] == wanted) & fits.to_numpy(zero_copy_only=False), at, -1)

    def codes(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        """`column` as int32 codes (null stays null); a value not in the domain gets a code of its own after the known ones."""
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        distinct = pc.unique(column.drop_null())
        found = self.find(distinct)
        for i in np.flatnonzero(found < 0).tolist():
            value = distinct[i].as_py()
            if value not in self.extra:
                self.extra[value] = self.size + len(self.extra_values)
                self.extra_values.append(value)
            found[i] = self.extra[value]
        where = pc.index_in(column, value_set=distinct)
        return pa.array(found.astype(np.int32), pa.int32()).take(where)

    def rows_of(self, column: pa.Array) -> np.ndarray:
        """Each value's first row in the key column, -1 for a value the key lacks or a null."""
        distinct = pc.unique(column.drop_null())
        found = self.find(distinct)
        rows = np.append(np.where(found >= 0, self.rows[found.clip(0)] if len(self.rows) else -1, -1), -1)
        return rows[pc.fill_null(pc.index_in(column, value_set=distinct), len(distinct)).to_numpy(zero_copy_only=False)]

    def decode(self, code: int) -> str | None:
        if code < self.size:
            return self.search[code].decode() if self.search is not None else str(self.values[code].as_py())  # type: ignore[index]
        extra = code - self.size
        return self.extra_values[extra] if extra < len(self.extra_values) else None


@dataclass
class Encoded:
    """Key columns of every table as pandas frames, the id columns as codes, and the domains to read the codes back."""

    frames: dict[str, pd.DataFrame]
    domain_of: dict[Column, Domain]

    def encoded(self, table: str) -> set[str]:
        return {c for t, c in self.domain_of if t == table}

    def decode(self, table: str, column: str, value: object) -> object:
        """The text a code stands for (other values unchanged)."""
        domain = self.domain_of.get((table, column))
        if domain is None or value is None or pd.isna(value):  # type: ignore[call-overload]
            return value
        return domain.decode(int(value))  # type: ignore[call-overload]


class KeyEncoder:
    """Encodes the id columns of the key columns kept from each table, as early as their domain is known."""

    def __init__(self, tables: tuple[Table, ...] = TABLES) -> None:
        self.groups = domains(tables)
        self.group_of = {member: group for group in self.groups for member in group}
        self.domains: dict[tuple[Column, ...], Domain] = {}
        self.tables: dict[str, pa.Table] = {}

    def batch(self, table: str, record: pa.RecordBatch) -> pa.RecordBatch:
        """A batch of key columns with the ids whose domain is already built as codes."""
        arrays, fields = [], []
        for name, array in zip(record.schema.names, record.columns):
            group = self.group_of.get((table, name))
            if group is not None and group in self.domains:
                array = self.domains[group].codes(array)
            arrays.append(array)
            fields.append(pa.field(name, array.type))
        return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))

    def table(self, name: str, batches: list[pa.RecordBatch], schema: pa.Schema) -> None:
        """The key columns of one whole table: builds the domains whose primary key it holds, encodes what is left."""
        whole = pa.Table.from_batches(batches) if batches else schema.empty_table()
        for group in self.groups:
            (target_table, target_column) = group[0]
            if target_table == name and group not in self.domains and target_column in whole.column_names:
                domain = self.domains[group] = Domain(whole.column(target_column).combine_chunks())
                whole = whole.set_column(whole.column_names.index(target_column), target_column, domain.key_codes)
                domain.key_codes = None  # handed over: the table holds them now
        self.tables[name] = self._encode(name, whole)

    def _encode(self, name: str, table: pa.Table) -> pa.Table:
        for i, column in enumerate(table.column_names):
            group = self.group_of.get((name, column))
            if group is not None and group in self.domains and not pa.types.is_int32(table.schema.field(i).type):
                table = table.set_column(i, column, self.domains[group].codes(table.column(i)))
        return table

    def domain(self, table: str, column: str) -> Domain | None:
        group = self.group_of.get((table, column))
        return None if group is None else self.domains.get(group)

    def finish(self, types: Callable[[pa.DataType], Any]) -> Encoded:
        """Every table's key columns as pandas in the validator's `types` (a types_mapper), ids as nullable int32 codes
        (those referring to a table read later are encoded now); one conversion per table, nothing reordered or copied twice."""
        frames, domain_of = {}, {}
        for name in list(self.tables):
            table = self._encode(name, self.tables.pop(name))
            for c in table.column_names:
                if self.domain(name, c) is not None:
                    domain_of[(name, c)] = self.domain(name, c)
            frames[name] = table.to_pandas(types_mapper=lambda t: CODE if t == pa.int32() else types(t))
            frames[name].index = pd.RangeIndex(table.num_rows)
        return Encoded(frames, {k: v for k, v in domain_of.items() if v is not None})
