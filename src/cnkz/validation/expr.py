"""Ibis building blocks the rules share: lookups in another table, and decisions taken once per distinct combination.

Every function here builds an expression for any Ibis backend; only `decided` and `failing_rows` run a query (on the
backend the tables are bound to), to hand a small set of values to Python and back as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

ROW = "_row"  # every loaded table's 0-based data row in its file (the report's row number is ROW + 2)


def first_by(table: ir.Table, key: str) -> ir.Table:
    """The first row (in file order) of each non-null `key`: what a lookup by `key` finds when the key is repeated."""
    keyed = table.filter(table[key].notnull())
    return keyed.filter(ibis.row_number().over(group_by=keyed[key], order_by=keyed[ROW]) == 0)


def lookup(t: ir.Table, other: ir.Table, left: str, right: str, **take: str) -> ir.Table:
    """`t` with columns of `other` beside each row, found by `t[left] == other[right]` (null when nothing matches):
    `take` maps each new column's name to the column of `other` it copies."""
    found = first_by(other, right)
    found = found.select(__key=found[right], **{name: found[column] for name, column in take.items()})
    return t.left_join(found, t[left] == found["__key"]).drop("__key")


def is_in(values: ir.Column, allowed: ir.Column) -> ir.BooleanColumn:
    """True where a value is one of `allowed` (a column of any table), False where it is not, null where it is null."""
    return ibis.cases((values.isnull(), ibis.null(bool)), else_=values.isin(allowed))


def holds(condition: ir.BooleanValue) -> ir.BooleanValue:
    """A condition where a missing comparison means the rule does not apply (null counts as good)."""
    return condition.fill_null(True)


def true(condition: ir.BooleanValue) -> ir.BooleanValue:
    """A condition where a missing comparison counts as not holding."""
    return condition.fill_null(False)


def rows(table: ir.Table, columns: Sequence[str], batch_rows: int = 65_536) -> Iterator[Any]:
    """`columns` (and ROW) of `table` as Arrow tables of at most `batch_rows` rows, by ranges of ROW: for rules decided in
    Python row by row. (Ibis' to_pyarrow_batches calls a cursor method DuckDB 2 no longer has, and leaves the connection
    unusable; a range of rows is one small query on any backend.)"""
    last = table[ROW].max().to_pyarrow().as_py()
    for low in range(0, -1 if last is None else last + 1, batch_rows):
        yield table.filter((table[ROW] >= low) & (table[ROW] < low + batch_rows)).select(ROW, *columns).to_pyarrow()


def failing_rows(bad: Iterable[int]) -> ir.Table:
    """The rows a rule decided in Python to fail, as the table of `_row` and `ok` the runner reads."""
    found = sorted(set(bad))
    return ibis.memtable({ROW: found, "ok": [False] * len(found)}, schema={ROW: "int64", "ok": "boolean"})


def decided(t: ir.Table, columns: Sequence[str], decide: Callable[..., bool | None]) -> ir.Table:
    """`ok` for each row of `t` as `decide(**values)` gives it for the row's `columns`: called once per distinct combination
    (a handful, where the rule reads codes), and joined back to the rows."""
    combos = t.select(*columns).distinct().to_pyarrow().to_pylist()
    if not combos:
        return t.select(ROW, ok=ibis.literal(True))
    table = {column: [combo[column] for combo in combos] for column in columns}
    table["__ok"] = [decide(**combo) for combo in combos]
    schema = {**{column: t.schema()[column] for column in columns}, "__ok": "boolean"}
    decisions = ibis.memtable(table, schema=schema)
    matched = t.left_join(decisions, [t[c].identical_to(decisions[c]) for c in columns])
    return matched.select(ROW, ok=matched["__ok"])
