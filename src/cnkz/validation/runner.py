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
from .locate import listed_key
from .problems import problem, show
from .registry import Rule, Tables

if TYPE_CHECKING:
    from .problems import Report


def result(rule: Rule, tables: Tables) -> ir.BooleanColumn | ir.Table:
    """What the rule's check returns: a boolean column of its table (a rule of one row), or a table of `_row` and `ok`."""
    t = tables[rule.table]
    out = rule.check(t, tables)
    return out if isinstance(out, ir.Table | ir.BooleanColumn) else t.select(ROW, ok=out)


def fails(ok: ir.BooleanValue) -> ir.BooleanValue:
    """True where a rule's `ok` is False (null: the rule does not apply). Written as NOT COALESCE(ok, TRUE), never `ok = FALSE`:
    Ibis' Spark SQL would leave `x RLIKE 'p' = FALSE` unbracketed, which Spark reads as `x RLIKE ('p' = FALSE)`."""
    return ~ok.fill_null(True)


def failing(t: ir.Table, out: ir.BooleanColumn | ir.Table) -> ir.Table:
    """The distinct rows where a rule's result `out` is False, as a one-column table of `_row`."""
    if isinstance(out, ir.BooleanColumn):
        return t.filter(fails(out)).select(ROW)
    return out.filter(fails(out["ok"])).select(ROW).distinct()


def counts(rules: list[Rule], tables: Tables) -> tuple[dict[int, int], dict[int, str], dict[int, ir.Table]]:
    """How many rows fail each rule (by its index in `rules`), the rules the engine could not run with why, and each rule's
    failing rows (built once: a rule may have run a query to build them). The rules of one row are counted in one pass over
    each table; the others in one query together."""
    local: dict[str, dict[int, ir.BooleanColumn]] = {}
    built: dict[int, ir.Table] = {}
    joined: list[int] = []
    errors: dict[int, str] = {}
    for index, rule in enumerate(rules):
        try:
            out = result(rule, tables)
            built[index] = failing(tables[rule.table], out)
            if isinstance(out, ir.BooleanColumn):
                local.setdefault(rule.table, {})[index] = out
            else:
                joined.append(index)
        except Exception as exc:  # an expression this backend cannot build: reported, not skipped
            errors[index] = _why(exc)
    found: dict[int, int] = {}
    for table, checks in local.items():
        # Each check as a 0/1 column first (a check may use a window function, which no aggregate may hold), then summed.
        failed = tables[table].select(**{f"c{index}": fails(check).cast("int64") for index, check in checks.items()})
        try:
            row = failed.aggregate(**{name: failed[name].sum().fill_null(0) for name in failed.columns}).to_pyarrow().to_pylist()[0]
            found.update({int(name[1:]): n for name, n in row.items()})
        except Exception:  # one check the engine cannot run spoils the pass: count them one by one to name it
            for index in checks:
                _count_alone(index, built[index], found, errors)
    parts = [built[index].aggregate(n=ibis._.count()).mutate(i=ibis.literal(index, "int64")) for index in joined]
    try:
        rows = ibis.union(*parts).to_pyarrow().to_pylist() if len(parts) > 1 else parts[0].to_pyarrow().to_pylist() if parts else []
        found.update({row["i"]: row["n"] for row in rows})
    except Exception:  # one rule the engine cannot run spoils the union: count them one by one to name it
        for index in joined:
            _count_alone(index, built[index], found, errors)
    return found, errors, built


def _count_alone(index: int, failing_rows: ir.Table, found: dict[int, int], errors: dict[int, str]) -> None:
    try:
        found[index] = failing_rows.count().to_pyarrow().as_py()
    except Exception as exc:
        errors[index] = _why(exc)


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def listed(rule: Rule, failing_rows: ir.Table, tables: Tables, limit: int, key: tuple[str, ...]) -> list[dict[str, Any]]:
    """The first `limit` of a rule's failing rows in file order, with their key and the rule's column."""
    t = tables[rule.table]
    columns = list(dict.fromkeys([*key, rule.column]))
    first = failing_rows.order_by(ROW).limit(limit)
    rows = first.join(t.select(ROW, *[t[c].name(f"__{c}") for c in columns]), ROW)
    return sorted(rows.to_pyarrow().to_pylist(), key=lambda row: row[ROW])


def run(rules: list[Rule], tables: Tables, report: Report, primary_key: Any, engine: str) -> None:
    """Every rule of `rules` whose tables are loaded, on the engine they are bound to; problems go to `report`."""
    applied = [r for r in rules if r.table in tables and all(t in tables for t in r.reads)]
    found, errors, built = counts(applied, tables)
    for index, why in errors.items():
        rule = applied[index]
        report.add([problem("engine", rule.table, None, rule.column, f"rule {rule.code} run by {engine}", why)])
    for index, n in found.items():
        rule = applied[index]
        room = report.room(rule.code, rule.table, rule.column, n)
        if not room:
            continue
        key = primary_key(rule.table)
        problems: list[Problem] = []
        for row in listed(rule, built[index], tables, room, key):
            problems.append(problem(rule.code, rule.table, listed_key(row, key), rule.column, rule.expected,
                                   (rule.found or show)(row[f"__{rule.column}"])))
        report.problems.extend(problems)
        report.listed[(rule.code, rule.table, rule.column)] = report.listed.get((rule.code, rule.table, rule.column), 0) + len(problems)
