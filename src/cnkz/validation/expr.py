"""Ibis building blocks the rules share: lookups in another table, and decisions taken once per distinct combination.

Every function here builds an expression for any Ibis backend and runs nothing. A rule decided in Python returns a `Decided`
(once per distinct combination of values) or a `Judged` (row by row): the runner fetches what they read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

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


@dataclass(frozen=True)
class Decided:
    """A verdict taken in Python once per distinct combination of `columns` of `rows` (a handful, where a rule reads codes):
    `decide(**values)` is True for good, False for failing, None where the rule does not apply. The runner counts each
    combination's rows in the engine, decides each once, and fetches failing rows only to list them."""

    rows: ir.Table  # the rule's table (with ROW), or that table joined with what the rule reads
    columns: tuple[str, ...]
    decide: Callable[..., bool | None]


@dataclass(frozen=True)
class Judged:
    """A verdict taken in Python for every row, a batch at a time: `judge(batch)` gives, for an Arrow batch of `columns`, one
    flag per row, True where the row is good (the word check of curators' sentences)."""

    rows: ir.Table
    columns: tuple[str, ...]
    judge: Callable[[pa.RecordBatch], Sequence[bool]]


def decided(t: ir.Table, columns: Sequence[str], decide: Callable[..., bool | None]) -> Decided:
    """`decide(**values)` of each row of `t`'s `columns`, taken once per distinct combination."""
    return Decided(t, tuple(columns), decide)


def failing_combinations(rule: Decided, bad: list[dict[str, Any]]) -> ir.Table:
    """The rows of a decided rule whose combination of values is one of `bad`, as a one-column table of ROW."""
    table = {column: [combo[column] for combo in bad] for column in rule.columns}
    schema = {column: rule.rows.schema()[column] for column in rule.columns}
    combos = ibis.memtable(table, schema=schema)
    matched = rule.rows.join(combos, [rule.rows[c].identical_to(combos[c]) for c in rule.columns])
    return matched.select(ROW)


def failing_rows(bad: Iterable[int]) -> ir.Table:
    """Rows given by number (a judged rule's failures), as a one-column table of ROW."""
    return ibis.memtable({ROW: sorted(set(bad))}, schema={ROW: "int64"})
