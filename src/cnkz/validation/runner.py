"""Rules to Problems: every rule's failing rows counted in one query, and only as many listed as the report still lists.

A rule that its engine cannot run (an expression Ibis cannot compile for that backend) is reported as an `engine` problem
naming the rule, never skipped in silence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from ..errors import Problem
from .expr import ROW
from .registry import Rule, Tables

if TYPE_CHECKING:
    from ..validate import Report


def failing(rule: Rule, tables: Tables) -> ir.Table:
    """The distinct rows where `rule` fails (its `ok` is False), as a one-column table of `_row`."""
    t = tables[rule.table]
    out = rule.check(t, tables)
    result = out if isinstance(out, ir.Table) else t.select(ROW, ok=out)
    return result.filter(result["ok"] == ibis.literal(False)).select(ROW).distinct()


def counts(rules: list[Rule], tables: Tables) -> tuple[dict[int, int], dict[int, str]]:
    """How many rows fail each rule (by its index in `rules`), in one query when the engine runs them all; the rules it could
    not run, with why."""
    built: dict[int, ir.Table] = {}
    errors: dict[int, str] = {}
    for index, rule in enumerate(rules):
        try:
            built[index] = failing(rule, tables)
        except Exception as exc:  # an expression this backend cannot build: reported, not skipped
            errors[index] = _why(exc)
    if not built:
        return {}, errors
    parts = [f.aggregate(n=ibis._.count()).mutate(i=ibis.literal(index, "int64")) for index, f in built.items()]
    try:
        found = ibis.union(*parts).to_pyarrow().to_pylist() if len(parts) > 1 else parts[0].to_pyarrow().to_pylist()
        return {row["i"]: row["n"] for row in found}, errors
    except Exception:  # one rule the engine cannot run spoils the union: count them one by one to name it
        result: dict[int, int] = {}
        for index, part in zip(built, parts):
            try:
                result[index] = part.to_pyarrow().to_pylist()[0]["n"]
            except Exception as exc:
                errors[index] = _why(exc)
        return result, errors


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def listed(rule: Rule, tables: Tables, limit: int, key: tuple[str, ...]) -> list[dict[str, Any]]:
    """The first `limit` failing rows of `rule` in file order, with their key and the rule's column."""
    t = tables[rule.table]
    columns = list(dict.fromkeys([*key, rule.column]))
    first = failing(rule, tables).order_by(ROW).limit(limit)
    rows = first.join(t.select(ROW, *[t[c].name(f"__{c}") for c in columns]), ROW)
    return sorted(rows.to_pyarrow().to_pylist(), key=lambda row: row[ROW])


def run(rules: list[Rule], tables: Tables, report: Report, primary_key: Any, engine: str) -> None:
    """Every rule of `rules` whose tables are loaded, on the engine they are bound to; problems go to `report`."""
    from ..validate import _p, _show

    applied = [r for r in rules if r.table in tables and all(t in tables for t in r.reads)]
    found, errors = counts(applied, tables)
    for index, why in errors.items():
        rule = applied[index]
        report.add([_p("engine", rule.table, None, rule.column, f"rule {rule.code} run by {engine}", why)])
    for index, n in found.items():
        rule = applied[index]
        room = report.room(rule.code, rule.table, rule.column, n)
        if not room:
            continue
        key = primary_key(rule.table)
        problems: list[Problem] = []
        for row in listed(rule, tables, room, key):
            values = "/".join(str(row[f"__{k}"]) for k in key)
            problems.append(_p(rule.code, rule.table, f"{row[ROW] + 2} ({values})", rule.column, rule.expected, _show(row[f"__{rule.column}"])))
        report.problems.extend(problems)
        report.listed[(rule.code, rule.table, rule.column)] = report.listed.get((rule.code, rule.table, rule.column), 0) + len(problems)
