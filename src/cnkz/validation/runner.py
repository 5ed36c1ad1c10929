"""Rules to Problems: every rule's failing rows counted in the engine, and only as many listed as the report still lists.

A rule that its engine cannot run (an expression Ibis cannot compile for that backend) is reported as an `engine` problem
naming the rule, never skipped in silence.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextvars
import functools
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..errors import Problem
from .compiled import Plan, remembered
from .engine import out_of_memory
from .expr import ROW, Decided, Judged, failing_combinations, failing_rows
from .locate import listed_key
from .problems import LISTED, problem, show
from .registry import Rule, Tables

if TYPE_CHECKING:
    from .problems import Report


Out: TypeAlias = "ir.BooleanColumn | ir.Table | Decided | Judged"
# Rows of a batch judged in Python: texts, a kilobyte or so a row, and the word check's arrays over them. At 65,536 rows a
# batch, this was the run's peak at 10^6 rows a table (1.02 GB under a 400 MB DuckDB limit).
JUDGED_ROWS = 8_192
JUDGING_THREADS = 2
JUDGES = concurrent.futures.ThreadPoolExecutor(max_workers=JUDGING_THREADS, thread_name_prefix="cnkz-judge")


def result(rule: Rule, tables: Tables) -> Out:
    """What the rule's check returns: a boolean column of its table (a rule of one row), a table of `_row` and `ok`, or a
    verdict to take in Python (Decided, Judged)."""
    t = tables[rule.table]
    out = rule.check(t, tables)
    return out if isinstance(out, ir.Table | ir.BooleanColumn | Decided | Judged) else t.select(ROW, ok=out)


def fails(ok: ir.BooleanValue) -> ir.BooleanValue:
    """True where a rule's `ok` is False (null: the rule does not apply). Written as NOT COALESCE(ok, TRUE), never `ok = FALSE`:
    Ibis' Spark SQL would leave `x RLIKE 'p' = FALSE` unbracketed, which Spark reads as `x RLIKE ('p' = FALSE)`."""
    return ~ok.fill_null(True)


def failing(t: ir.Table, out: ir.BooleanColumn | ir.Table) -> ir.Table:
    """The distinct rows where a rule's result `out` is False, as a one-column table of `_row`."""
    if isinstance(out, ir.BooleanColumn):
        return t.filter(fails(out)).select(ROW)
    return out.filter(fails(out["ok"])).select(ROW).distinct()


class Built:
    """Each rule's result, built when first needed and kept; why a rule could not be built; and the verdicts taken in Python
    (how many rows fail, and which combinations of values or which rows)."""

    def __init__(self, rules: list[Rule], tables: Tables) -> None:
        self.rules, self.tables = rules, tables
        self.outs: dict[int, Out] = {}
        self.errors: dict[int, str] = {}
        self.verdicts: dict[int, tuple[int, list[Any]]] = {}
        self.shapes = sorted([name, str(t.schema())] for name, t in tables.items())

    def out(self, index: int) -> Out | None:
        """The rule's result, or None when this backend cannot build it (why is in `errors`: reported, not skipped)."""
        if index not in self.outs and index not in self.errors:
            try:
                self.outs[index] = result(self.rules[index], self.tables)
            except Exception as exc:  # an expression this backend cannot build
                self.unrunnable(index, exc)
        return self.outs.get(index)

    def unrunnable(self, index: int, exc: Exception) -> None:
        """The backend cannot build or run the rule: why, for the report (never skipped). Out of memory is no such thing: it
        is raised again, for the row layer to stop the run and say what to set."""
        if out_of_memory(exc):
            raise exc
        self.errors[index] = _why(exc)

    def count(self, index: int, found: dict[int, int], how: Callable[[], int]) -> None:
        """found[index] = how(), or why the backend cannot run it."""
        try:
            found[index] = how()
        except Exception as exc:
            self.unrunnable(index, exc)

    def failing(self, index: int) -> ir.Table:
        out = self.out(index)
        if out is None:
            raise RuntimeError(self.errors[index])
        if isinstance(out, Decided):
            return failing_combinations(out, self.verdict(index)[1])
        if isinstance(out, Judged):
            return failing_rows(self.verdict(index)[1])
        return failing(self.tables[self.rules[index].table], out)

    def verdict(self, index: int) -> tuple[int, list[Any]]:
        """How many rows a rule decided in Python fails, and its failing combinations (Decided) or rows (Judged)."""
        if index not in self.verdicts:
            out = self.out(index)
            if not isinstance(out, Decided | Judged):
                raise TypeError(f"rule {self.rules[index].code} is not decided in Python")
            rule = self.rules[index]
            key = [rule.code, rule.table, rule.column, list(out.columns), self.shapes]
            self.verdicts[index] = _decide(out, key) if isinstance(out, Decided) else _judge(out, key)
        return self.verdicts[index]


def _decide(out: Decided, key: list[Any]) -> tuple[int, list[dict[str, Any]]]:
    """Each distinct combination of the rule's values counted in the engine and decided once."""
    backend, sql = compiled_sql(out.rows, ("decided", *key), lambda: out.rows.group_by(list(out.columns)).aggregate(__n=ibis._.count()))
    n, bad = 0, []
    for row in rows_of(backend, sql):
        rows = row.pop("__n")
        if out.decide(**row) is False:
            n += rows
            bad.append(row)
    return n, bad


def _judge(out: Judged, key: list[Any]) -> tuple[int, list[int]]:
    """Every row's values streamed from the engine in batches and judged, JUDGING_THREADS batches at a time (the word check
    spends most of its time in Arrow's kernels, which let go of the GIL), at most twice as many batches held at once."""
    backend, sql = compiled_sql(out.rows, ("judged", *key), lambda: out.rows.select(ROW, *out.columns))

    def failing_in(batch: pa.RecordBatch) -> list[int]:
        good = out.judge(batch.select(list(out.columns)))
        return [row for row, ok in zip(batch.column(ROW).to_pylist(), good) if not ok]

    bad: list[int] = []
    pending: collections.deque[concurrent.futures.Future[list[int]]] = collections.deque()
    for batch in batches_of(backend, sql, JUDGED_ROWS):
        pending.append(JUDGES.submit(contextvars.copy_context().run, failing_in, batch))  # in the caller's context, as Engine.load
        if len(pending) >= 2 * JUDGING_THREADS:
            bad += pending.popleft().result()
    while pending:
        bad += pending.popleft().result()
    return len(bad), bad


def engine_of(t: ir.Table) -> tuple[Any, list[str]]:
    """The backend a table is bound to, and its name and version as a plan's key names them."""
    backend = t._find_backend()
    module = sys.modules.get("duckdb" if backend.name == "duckdb" else "pyspark")
    return backend, [backend.name, getattr(module, "__version__", "")]


def compiled_sql(t: ir.Table, key: tuple[Any, ...], make: Callable[[], ir.Expr]) -> tuple[Any, str]:
    """The backend `t` is bound to, and the SQL of the expression `make()` builds, compiled once for that backend under
    `key` (its first item names the kind of query; cnkz.validation.compiled)."""
    backend, engine = engine_of(t)
    return backend, remembered((key[0], engine, *key[1:]), lambda: {"sql": ibis.to_sql(make())})["sql"]


def _identity(rules: list[Rule], indexes: list[int]) -> list[list[str]]:
    return [[rules[i].code, rules[i].table, rules[i].column] for i in indexes]


def _one_pass(built: Built, group: list[int], t: ir.Table) -> Plan:
    """The SQL that counts the failures of a table's one-row rules in one pass (`c<position>` for each), which positions of
    `group` it counts, and which are rules of more than one row (counted with the joined rules)."""
    local: dict[int, ir.BooleanColumn] = {}
    joined: list[int] = []
    for position, index in enumerate(group):
        out = built.out(index)
        if isinstance(out, ir.BooleanColumn):
            local[position] = out
        elif out is not None:
            joined.append(position)
    sql = None
    if local:
        # Each check as a 0/1 column first (a check may use a window function, which no aggregate may hold), then summed.
        failed = t.select(**{f"c{position}": fails(check).cast("int64") for position, check in local.items()})
        sql = ibis.to_sql(failed.aggregate(**{name: failed[name].sum().fill_null(0) for name in failed.columns}))
    return {"sql": sql, "local": list(local), "joined": joined}


def _in_memory(out: ir.Table) -> bool:
    """Whether a rule's result holds values fetched from the data (a table made in memory): its SQL is this package's only."""
    import ibis.expr.operations as ops

    return bool(out.op().find(ops.InMemoryTable))


def _joined(built: Built, joined: list[int]) -> Plan:
    """For each rule of more than one row whose SQL is the same for any package, the SQL that counts its failing rows (one
    query a rule: a union of them all planned slower and held every rule's hash tables at once), by its position in `joined`."""
    queries = []
    for position, index in enumerate(joined):
        if isinstance(out := built.out(index), ir.Table) and not _in_memory(out):
            try:
                queries.append([position, ibis.to_sql(built.failing(index).aggregate(n=ibis._.count()))])
            except Exception as exc:  # an expression this backend cannot compile: reported, not skipped
                built.unrunnable(index, exc)
    return {"queries": queries}


def counts(rules: list[Rule], tables: Tables) -> tuple[dict[int, int], dict[int, str], Built]:
    """How many rows fail each rule (by its index in `rules`), the rules the engine could not run with why, and the rules'
    results. The rules of one row are counted in one pass over each table; the others one query each; the SQL of both
    is compiled once (cnkz.validation.compiled)."""
    built = Built(rules, tables)
    found: dict[int, int] = {}
    joined: list[int] = []
    by_table: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        by_table.setdefault(rule.table, []).append(index)
    for table, group in by_table.items():
        t = tables[table]
        backend, engine = engine_of(t)
        plan = remembered(("one pass", engine, table, str(t.schema()), _identity(rules, group)), functools.partial(_one_pass, built, group, t))
        local = [group[p] for p in plan["local"]]
        joined += [group[p] for p in plan["joined"]]
        for index in [i for i in group if i not in local and i not in joined]:  # not buildable when the plan was made: again
            out = built.out(index)
            if isinstance(out, ir.BooleanColumn):
                _count_alone(index, built, found)
            elif out is not None:
                joined.append(index)
        if plan["sql"] is None:
            continue
        try:
            row = rows_of(backend, plan["sql"])[0]
            found.update({group[int(name[1:])]: n for name, n in row.items()})
        except Exception:  # one check the engine cannot run (or more memory than one pass may have): count them one by one
            for index in local:
                _count_alone(index, built, found)
    if joined:
        backend, engine = engine_of(tables[rules[joined[0]].table])
        plan = remembered(("joined", engine, built.shapes, _identity(rules, joined)), lambda: _joined(built, joined))
        _count_joined(backend, plan, joined, built, found)
    return found, built.errors, built


def _count_joined(backend: Any, plan: Plan, joined: list[int], built: Built, found: dict[int, int]) -> None:
    """Count the joined rules' failing rows, one query a rule: by the plan's SQL, or, for a rule decided in Python, its verdict."""
    planned = {joined[position]: sql for position, sql in plan["queries"]}

    def counted(sql: str) -> int:
        return int(rows_of(backend, sql)[0]["n"])

    def decided(index: int) -> int:
        return built.verdict(index)[0]

    for index in joined:
        if index in planned:
            built.count(index, found, functools.partial(counted, planned[index]))
            continue
        out = built.out(index)
        if isinstance(out, Decided | Judged):
            built.count(index, found, functools.partial(decided, index))
        elif out is not None:
            _count_alone(index, built, found)


def batches_of(backend: Any, sql: str, rows: int = 65_536) -> Iterator[pa.RecordBatch]:
    """The rows a compiled query gives, as Arrow batches streamed from the backend."""
    if backend.name == "duckdb":
        yield from backend.con.sql(sql).to_arrow_reader(rows)  # a relation streams; a DB-API result would copy the rows first
    else:
        yield from backend._session.sql(sql).toArrow().to_batches(rows)


def rows_of(backend: Any, sql: str) -> list[dict[str, Any]]:
    """The rows a compiled query gives, run as SQL on the backend. On DuckDB, `execute`: Ibis' own `sql()` leaves DuckDB 2's
    cursor open, and the connection's `sql()` builds a relation, which tokenises the query's text first (a fifth of a
    small package's validation)."""
    if backend.name == "duckdb":
        cursor = backend.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    return [row.asDict() for row in backend._session.sql(sql).collect()]


def _count_alone(index: int, built: Built, found: dict[int, int]) -> None:
    built.count(index, found, lambda: built.failing(index).count().to_pyarrow().as_py())


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def listed(built: Built, index: int, limit: int, key: tuple[str, ...]) -> list[dict[str, Any]]:
    """The first `limit` of a rule's failing rows in file order, with their key and the rule's column. The SQL of a rule of
    SQL alone is compiled once, for as many rows as a report lists, and cut to `limit` here."""
    rule, tables = built.rules[index], built.tables
    out = built.out(index)

    def query(limit: int) -> ir.Table:
        t = tables[rule.table]
        columns = list(dict.fromkeys([*key, rule.column]))
        first = built.failing(index).order_by(ROW).limit(limit)
        return first.join(t.select(ROW, *[t[c].name(f"__{c}") for c in columns]), ROW).order_by(ROW)

    if isinstance(out, ir.BooleanColumn) or (isinstance(out, ir.Table) and not _in_memory(out)):
        backend, sql = compiled_sql(tables[rule.table], ("listed", [rule.code, rule.table, rule.column], built.shapes, list(key)),
                                    lambda: query(LISTED))
        rows = rows_of(backend, sql)
    else:
        rows = query(limit).to_pyarrow().to_pylist()
    return sorted(rows, key=lambda row: row[ROW])[:limit]


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
        for row in listed(built, index, room, key):
            problems.append(problem(rule.code, rule.table, listed_key(row, key), rule.column, rule.expected,
                                   (rule.found or show)(row[f"__{rule.column}"])))
        report.add(problems)
