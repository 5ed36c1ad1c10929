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


# The SQL that counts a table's one-row rules, by backend, table, schema and rules: it depends on nothing else, so a process
# that validates many packages (a release, the tests) builds and compiles those few hundred expressions once.
_ONE_PASS: dict[tuple[Any, ...], tuple[str, tuple[int, ...]]] = {}


class Built:
    """Each rule's result, built when first needed (building may run a query) and kept."""

    def __init__(self, rules: list[Rule], tables: Tables) -> None:
        self.rules, self.tables = rules, tables
        self.outs: dict[int, ir.BooleanColumn | ir.Table] = {}

    def out(self, index: int) -> ir.BooleanColumn | ir.Table:
        if index not in self.outs:
            self.outs[index] = result(self.rules[index], self.tables)
        return self.outs[index]

    def failing(self, index: int) -> ir.Table:
        return failing(self.tables[self.rules[index].table], self.out(index))


def counts(rules: list[Rule], tables: Tables) -> tuple[dict[int, int], dict[int, str], Built]:
    """How many rows fail each rule (by its index in `rules`), the rules the engine could not run with why, and the rules'
    results. The rules of one row are counted in one pass over each table; the others in one query together."""
    built = Built(rules, tables)
    found: dict[int, int] = {}
    errors: dict[int, str] = {}
    joined: list[int] = []
    by_table: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        by_table.setdefault(rule.table, []).append(index)
    for table, group in by_table.items():
        t = tables[table]
        key = (t._find_backend().name, table, str(t.schema()), tuple(rules[i] for i in group))
        if key in _ONE_PASS:
            sql, local = _ONE_PASS[key]
            joined += [i for p, i in enumerate(group) if p not in local]
        else:
            local_checks: dict[int, ir.BooleanColumn] = {}
            for position, index in enumerate(group):
                try:
                    out = built.out(index)
                except Exception as exc:  # an expression this backend cannot build: reported, not skipped
                    errors[index] = _why(exc)
                    continue
                if isinstance(out, ir.BooleanColumn):
                    local_checks[position] = out
                else:
                    joined.append(index)
            if not local_checks:
                continue
            # Each check as a 0/1 column first (a check may use a window function, which no aggregate may hold), then summed.
            failed = t.select(**{f"c{position}": fails(check).cast("int64") for position, check in local_checks.items()})
            sql, local = ibis.to_sql(failed.aggregate(**{name: failed[name].sum().fill_null(0) for name in failed.columns})), tuple(local_checks)
        try:
            row = _one_row(t._find_backend(), sql)
            found.update({group[int(name[1:])]: n for name, n in row.items()})
            _ONE_PASS[key] = (sql, local)
        except Exception:  # one check the engine cannot run spoils the pass: count them one by one to name it
            for position in local:
                _count_alone(group[position], built, found, errors)
    parts = []
    for index in joined:
        try:
            parts.append(built.failing(index).aggregate(n=ibis._.count()).mutate(i=ibis.literal(index, "int64")))
        except Exception as exc:  # an expression this backend cannot build: reported, not skipped
            errors[index] = _why(exc)
    try:
        rows = ibis.union(*parts).to_pyarrow().to_pylist() if len(parts) > 1 else parts[0].to_pyarrow().to_pylist() if parts else []
        found.update({row["i"]: row["n"] for row in rows})
    except Exception:  # one rule the engine cannot run spoils the union: count them one by one to name it
        for index in joined:
            if index not in errors:
                _count_alone(index, built, found, errors)
    return found, errors, built


def _one_row(backend: Any, sql: str) -> dict[str, Any]:
    """The one row a compiled query gives, run as SQL on the backend (Ibis' own `sql()` leaves DuckDB 2's cursor open)."""
    if backend.name == "duckdb":
        relation = backend.con.sql(sql)
        return dict(zip(relation.columns, relation.fetchall()[0]))
    return backend._session.sql(sql).collect()[0].asDict()


def _count_alone(index: int, built: Built, found: dict[int, int], errors: dict[int, str]) -> None:
    try:
        found[index] = built.failing(index).count().to_pyarrow().as_py()
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
        for row in listed(rule, built.failing(index), tables, room, key):
            problems.append(problem(rule.code, rule.table, listed_key(row, key), rule.column, rule.expected,
                                   (rule.found or show)(row[f"__{rule.column}"])))
        report.add(problems)
