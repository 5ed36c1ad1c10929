"""Column checks, derived from the table definitions (cnkz.tables): text hygiene, patterns, vocabularies, ranges, required.

Each check is declared once, as a condition on an Ibis column. `column_schema` turns them into a pandera schema on Ibis
tables (`pandera.ibis`), for anyone who validates a table with pandera itself; `column_rules` turns them into rules of the
runner, which counts every check of a table in one pass over it instead of one query per check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..tables import Field, Table
from .registry import Rule, Tables

if TYPE_CHECKING:
    import ibis.expr.types as ir

# Characters that make a spreadsheet evaluate a cell as a formula, at the start of a cell.
FORMULA_PATTERN = r"^[=+\-@\t\r]"
# Control characters other than tab, line feed and carriage return (RE2 and Java regular expressions alike).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
# Unicode white space (Python's str.strip, Arrow's utf8_trim_whitespace): ASCII's, NEL, and the separators of category Z.
WHITESPACE_AT_AN_END = r"^[\t\n\x0b\x0c\r\x{85}\p{Z}]|[\t\n\x0b\x0c\r\x{85}\p{Z}]$"

Condition = Callable[["ir.Column"], "ir.BooleanValue"]


@dataclass(frozen=True)
class ColumnCheck:
    """A check of one column: its code, what it expects, and the condition a good cell meets (an empty cell passes every
    check but `required`)."""

    code: str
    column: str
    expected: str
    good: Condition


def _formula(c: ir.Column) -> ir.BooleanValue:
    return ~c.re_search(FORMULA_PATTERN)


def _control(c: ir.Column) -> ir.BooleanValue:
    return ~c.re_search(CONTROL_CHARACTERS)


def _trimmed(c: ir.Column) -> ir.BooleanValue:
    return ~c.re_search(WHITESPACE_AT_AN_END)


def _matches(pattern: str) -> Condition:
    return lambda c: c.re_search(pattern)


def _one_of(codes: list[str]) -> Condition:
    return lambda c: c.isin(codes)


def _at_least(minimum: float) -> Condition:
    return lambda c: c >= minimum


def _at_most(maximum: float) -> Condition:
    return lambda c: c <= maximum


def field_checks(f: Field) -> list[ColumnCheck]:
    """The checks of one field, in the order they are reported."""
    checks: list[ColumnCheck] = []
    if f.required:
        checks.append(ColumnCheck("required", f.name, "a value (the field is required)", lambda c: c.notnull()))
    if f.type == "string":
        checks.append(ColumnCheck("formula_injection", f.name,
                                  "text not starting with = + - @ tab or carriage return (a spreadsheet would run it as a formula)", _formula))
        checks.append(ColumnCheck("control_character", f.name, "text without control characters", _control))
        checks.append(ColumnCheck("whitespace", f.name, "no leading or trailing whitespace", _trimmed))
    if f.pattern:
        checks.append(ColumnCheck("pattern", f.name, f"text matching {f.pattern}", _matches(f.pattern)))
    if f.vocabulary:
        checks.append(ColumnCheck("vocabulary", f.name, f"one of {', '.join(f.vocabulary.codes)}", _one_of(f.vocabulary.codes)))
    if f.minimum is not None:
        checks.append(ColumnCheck("minimum", f.name, f"a value >= {f.minimum}", _at_least(f.minimum)))
    if f.maximum is not None:
        checks.append(ColumnCheck("maximum", f.name, f"a value <= {f.maximum}", _at_most(f.maximum)))
    return checks


@functools.cache  # the same Rule objects each time: the runner compiles a table's one-row rules once per process
def column_rules(table: Table) -> list[Rule]:
    """Every column check of `table` as a rule of the runner (a boolean column of the table: the runner counts them in one
    pass). A null result passes, so an empty cell fails only `required`."""
    return [Rule(check.code, table.name, check.column, check.expected, _as_rule(check)) for f in table.fields for check in field_checks(f)]


def _as_rule(check: ColumnCheck) -> Callable[[ir.Table, Tables], ir.BooleanValue]:
    return lambda t, _: check.good(t[check.column])


IBIS_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "date": "date"}


@functools.cache
def column_schema(table: Table) -> Any:
    """The pandera schema (pandera.ibis) of `table`'s columns: types, required, and every check of field_checks."""
    import pandera.ibis as pa

    def column(f: Field) -> Any:
        checks = [pa.Check(lambda data, good=check.good: good(data.table[data.key]), name=check.code, error=check.expected)
                  for check in field_checks(f) if check.code != "required"]
        return pa.Column(IBIS_TYPES[f.type], checks=checks, nullable=not f.required)

    return pa.DataFrameSchema({f.name: column(f) for f in table.fields}, name=table.name)
