"""Ids as 32-bit codes: every column a foreign key links to a primary key shares one sorted domain of its values.

The whole-table rules join, map and compare ids; on codes those are integer operations, and a million
ids of forty characters are held once per domain instead of once per column. Codes keep the order of
the text (the domain is sorted), and a value outside the referenced table still gets a code, so a
foreign key check is a membership test on integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .tables import TABLES

Column = tuple[str, str]  # (table, column)
CODE = pd.Int32Dtype()


@cache
def domains() -> tuple[tuple[Column, ...], ...]:
    """Groups of columns holding the same kind of id: each primary key column a foreign key points at, with its referrers."""
    group_of: dict[Column, set[Column]] = {}
    for table in TABLES:
        for fk in table.foreign_keys:
            (column,), (target,) = fk.fields, fk.reference
            a, b = (table.name, column), (fk.table, target)
            merged = group_of.get(a, {a}) | group_of.get(b, {b})
            for member in merged:
                group_of[member] = merged
    order = [(t.name, c) for t in TABLES for c in t.columns]
    groups = {id(g): g for g in group_of.values()}.values()
    return tuple(sorted((tuple(sorted(g, key=order.index)) for g in groups), key=lambda g: order.index(g[0])))


@dataclass
class Encoded:
    """Key columns of every table as pandas frames, the id columns as codes, and the domains to read the codes back."""

    frames: dict[str, pd.DataFrame]
    domain_of: dict[Column, pa.Array]  # (table, column) -> the sorted distinct values its codes index

    def encoded(self, table: str) -> set[str]:
        return {c for t, c in self.domain_of if t == table}

    def decode(self, table: str, column: str, value: object) -> object:
        """The text a code stands for (other values unchanged)."""
        domain = self.domain_of.get((table, column))
        if domain is None or value is None or pd.isna(value):  # type: ignore[call-overload]
            return value
        return domain[int(value)].as_py()  # type: ignore[call-overload]


def encode(tables: Mapping[str, pa.Table], to_frame: object) -> Encoded:
    """Replace every id column of `tables` (Arrow tables of key columns) by its code; `to_frame` turns the rest into pandas."""
    domain_of: dict[Column, pa.Array] = {}
    coded: dict[Column, pa.Array] = {}
    for group in domains():
        present = [(t, c) for t, c in group if t in tables and c in tables[t].column_names]
        if not present:
            continue
        values = pa.chunked_array([chunk for t, c in present for chunk in tables[t].column(c).chunks], pa.string())
        domain = pc.unique(values.drop_null())
        domain = domain.take(pc.sort_indices(domain))
        for t, c in present:
            domain_of[(t, c)] = domain
            coded[(t, c)] = pc.index_in(tables[t].column(c), value_set=domain).cast(pa.int32())
    frames = {}
    for name, table in tables.items():
        plain = table.drop_columns([c for c in table.column_names if (name, c) in coded])
        frame = to_frame(plain)  # type: ignore[operator]
        frame.index = pd.RangeIndex(table.num_rows)
        for c in table.column_names:
            if (name, c) in coded:
                frame[c] = coded[(name, c)].to_pandas(types_mapper={pa.int32(): CODE}.get).array
        frames[name] = frame[table.column_names]
    return Encoded(frames, domain_of)
