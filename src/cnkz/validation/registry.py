"""The cross-field and cross-table rules: declared once, as Ibis expressions, and registered by table.

A rule is a function of the table it checks and of every table of the package (`Tables`); it returns a boolean column of
that table (True where the row is good), or an Ibis table with the columns `_row` and `ok`. A missing (null) `ok` means the
rule does not apply to the row: it never fails on it. Either must be an expression of the tables alone, never of values a
query fetched: its SQL is compiled once (cnkz.validation.compiled). A rule decided in Python returns a
cnkz.validation.expr.Decided (once per distinct combination of values) or Judged (row by row), and the runner fetches what it
reads. Rules written by hand for the current data model are registered with
`@rule` in the module of their table (cnkz.validation.rules); the rules that follow from any table definition (keys, foreign
keys, evidence offsets) are made by `derived` for whichever data model a package has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

Tables = Mapping[str, "ir.Table"]
Check = Callable[["ir.Table", Tables], Any]


@dataclass(frozen=True)
class Rule:
    """One rule: its stable code, the table and column a failure is reported at, what was expected, and the check."""

    code: str
    table: str
    column: str
    expected: str
    check: Check
    # Tables other than its own the rule reads: it is applied only when the package has them all.
    reads: tuple[str, ...] = ()
    # How a failing row's value of `column` is shown (default: in full).
    found: Callable[[Any], str] | None = None


HAND: dict[str, list[Rule]] = {}


def rule(table: str, code: str, column: str, expected: str, reads: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Register the decorated function as a rule of `table` (the current data model's, written by hand)."""

    def register(check: Check) -> Check:
        HAND.setdefault(table, []).append(Rule(code, table, column, expected, check, reads))
        return check

    return register


def hand_rules(table: str) -> list[Rule]:
    from . import rules  # noqa: F401  (registers every table's rules)

    return list(HAND.get(table, []))


def rules_for(model: Any, table: Any) -> list[Rule]:
    """Every rule a data model (cnkz.datamodel.DataModel) applies to one of its tables: those that follow from the
    definition, then, for the current model only, those written by hand."""
    from .rules.derived import derived_rules

    return derived_rules(table) + (hand_rules(table.name) if model.current else [])
