"""The row layer on an engine: each table read once and loaded into it, then every check of the rows run there.

The CSV is parsed and typed by Arrow as it streams (a cell that is not of its type is a `type` problem and becomes empty);
its batches go to the engine, and so do its Parquet twin's and the source texts. Then the engine runs, table by table, the
column checks (cnkz.validation.columns), the rules (cnkz.validation.registry), the quotes against their texts
(cnkz.validation.provenance) and the CSV against the Parquet file: counted in a few queries, the first failures listed.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..datamodel import model_for, primary_key
from ..errors import Problem
from ..reader import TableReader, target_schema
from ..safety import regular_file_problem
from ..tables import Table
from .columns import column_rules
from .engine import Engine, memory_error, out_of_memory
from .expr import ROW
from .locate import listed_key, row_key
from .numbers import non_finite_cells
from .problems import Report, by_column, capped, problem, safe_path, show
from .provenance import SEED_ROWS, TEXTS, TEXTS_SCHEMA, Seeds, check_quotes, check_sources, differing_quotes, quote_rules, source_ids_repeat
from .registry import rules_for
from .runner import compiled_sql, rows_of, run
from .settings import Settings

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from ..validate import PackageUnderCheck

PARQUET = "__parquet"  # the engine's name of a table's Parquet twin is the table's name and this
# A package of CSV files this small runs DuckDB on one thread unless --threads says otherwise: on tables this small its
# parallelism costs more than it saves (the real package, 74 kB: 0.43 s on two threads, 0.39 s on one; a synthetic package
# of 18 MB, 10^4 rows a table: 1.41 s and 1.24-1.33 s).
SMALL_BYTES = 16 << 20


def check_rows(package: PackageUnderCheck) -> list[Problem]:
    """Typed reads of CSV and Parquet, column checks, rules, provenance, and CSV against Parquet, on the package's engine."""
    model = model_for(package.descriptor)
    if model is None:
        return []  # no definitions to read the rows with: check_descriptor_content says to upgrade cnkz
    settings = package.engine or Settings()
    if settings.threads is None and _csv_bytes(package, model) <= SMALL_BYTES:
        settings = dataclasses.replace(settings, threads=1)
    readable = tuple(path for t in model.tables if regular_file_problem(path := parquet_path(package, t)) is None)
    try:
        return _on_engine(package, model, settings, readable)
    except Exception as exc:
        if out_of_memory(exc):
            raise memory_error(settings, exc) from None
        raise


def _csv_bytes(package: PackageUnderCheck, model: Any) -> int:
    """The size of the package's CSV files (those that are regular files of the package; the others are not read)."""
    total = 0
    for t in model.tables:
        path = package.root / "resources" / f"{t.name}.csv"
        if regular_file_problem(path) is None:
            with contextlib.suppress(OSError):  # gone since it was looked at: not read either, and the reader says so
                total += path.stat().st_size
    return total


def _on_engine(package: PackageUnderCheck, model: Any, settings: Settings, readable: tuple[Path, ...]) -> list[Problem]:
    report = Report()
    with Engine(settings, readable) as engine:
        seeds = Seeds(package.root)
        loaded: dict[str, int] = {}  # rows of each CSV loaded whole
        # sources last: the other tables are each compressed by a CHECKPOINT once loaded (Engine.load), which would compress
        # the source texts too (28 s for 100,000 texts at 10^6 rows a table), while the quotes need them only uncompressed.
        for table in sorted(model.tables, key=lambda t: t.name == "sources"):
            rows = load_table(package, table, report, engine, seeds)
            pa.default_memory_pool().release_unused()  # hand the batches' memory back before the next table
            if rows is not None:
                loaded[table.name] = rows
        tables = {name: engine.tables[name] for name in loaded}
        rules = [r for table in model.tables if table.name in loaded for r in [*column_rules(table), *quote_rules(table), *rules_for(model, table)]]
        run(rules, tables, report, primary_key, settings.engine)
        ids_repeat = TEXTS in engine.tables and source_ids_repeat(engine.tables[TEXTS])
        quoted = {t.name: tables[t.name] for t in model.tables if t.name in loaded and "quote" in t.columns}
        differing = differing_quotes(quoted, engine.tables[TEXTS], ids_repeat) if quoted and TEXTS in engine.tables else {}
        for table in model.tables:
            if table.name not in loaded:
                continue
            key = primary_key(table.name)
            if differing.get(table.name):
                report.add(check_quotes(table.name, {**tables, TEXTS: engine.tables[TEXTS]}, report, key, differing[table.name], ids_repeat))
            if table.name + PARQUET in engine.tables:
                report.add(compare_formats(table, engine, loaded[table.name], report, key))
    return report.finish()


def parquet_path(package: PackageUnderCheck, table: Table) -> Path:
    """A table's Parquet file, as the engine is allowed to open it (absolute, links not followed)."""
    return (package.root / "resources" / f"{table.name}.parquet").absolute()


def _readers(package: PackageUnderCheck, table: Table, report: Report) -> dict[str, TableReader]:
    readers = {}
    for fmt, name in (("csv", table.name), ("parquet", f"{table.name}-parquet")):
        path = package.root / "resources" / f"{table.name}.{fmt}"
        if regular_file_problem(path) is not None or safe_path(package.root, f"resources/{table.name}.{fmt}") is None:
            continue  # reported by check_files: no FIFO, device or link out of the package is opened
        reader = TableReader(path, table, fmt)
        report.add([problem(p.check, name, None, p.column, p.expected, p.found) for p in reader.problems])
        readers[fmt] = reader
    return readers


def load_table(package: PackageUnderCheck, table: Table, report: Report, engine: Engine, seeds: Seeds) -> int | None:
    """Stream a table's CSV into the engine (type problems and, for `sources`, the seeds checked on the way), and its Parquet
    twin beside it; the CSV's row count, or None when the CSV could not be read whole."""
    readers = _readers(package, table, report)
    csv = readers.get("csv")
    if csv is None or not csv.readable:
        return None
    key = primary_key(table.name)
    rows = 0

    def checked() -> Iterator[pa.RecordBatch]:
        """The CSV's batches, each checked on the way (its cells' types; for `sources`, the seeds it names, whose texts go
        to the engine beside it)."""
        nonlocal rows
        for batch in csv.batches():
            rows += batch.record.num_rows
            report.add(type_problems(table, batch.record, batch.offset, batch.errors, report, key))
            if table.name == "sources":
                # The texts of a few hundred sources at a time: a batch of 16 MB of rows may name gigabytes of text.
                for start in range(0, batch.record.num_rows, SEED_ROWS):
                    problems, texts = check_sources(seeds, batch.record.slice(start, SEED_ROWS), batch.offset + start, key)
                    report.add(problems)
                    engine.add(TEXTS, texts)
            yield batch.record

    try:
        if table.name == "sources":
            # The texts go in as the rows are read, so the rows are appended alongside, not streamed by one statement.
            engine.start(TEXTS, TEXTS_SCHEMA)
            engine.start(table.name, target_schema(table))
            for record in checked():
                engine.add(table.name, record)
            engine.end(table.name)
            engine.end(TEXTS)
        else:
            engine.load(table.name, checked(), target_schema(table))
    except (pa.ArrowException, OSError) as exc:  # a damaged file part-way: the table (and the texts) never come whole
        report.add([problem("unreadable", table.name, None, "", "a readable csv file", f"{type(exc).__name__}: {exc}")])
        return None
    parquet = readers.get("parquet")
    if parquet is not None and parquet.readable:
        name, path = table.name + PARQUET, parquet_path(package, table)
        try:
            if engine.reads(path):  # DuckDB reads the file itself when it compares; here it is only checked, not copied
                typed = pa.schema([f for f in target_schema(table) if f.name not in parquet.untyped])
                engine.attach_parquet(name, path, typed, parquet.scan_parquet())
            else:
                engine.load(name, (batch.record for batch in parquet.batches()), target_schema(table))
            engine.untyped[name] = set(parquet.untyped)
        except (pa.ArrowException, OSError) as exc:  # a damaged Parquet page raises OSError
            report.add([problem("unreadable", f"{table.name}-parquet", None, "", "a readable parquet file", f"{type(exc).__name__}: {exc}")])
    return rows


def type_problems(table: Table, record: pa.RecordBatch, offset: int, errors: list[Any], report: Report, key: tuple[str, ...]) -> list[Problem]:
    """The cells of a batch that are not of their column's type (as many as the report still lists), and which of them are
    an infinity or NaN written in a number column (the reader refuses them as numbers; this names why)."""
    problems = []
    for column, found in by_column(errors).items():
        for e in capped(report, "type", table.name, column, found):
            problems.append(problem("type", table.name, row_key(record, offset, e.row - offset, key), column, e.expected, e.value))
    return problems + non_finite_cells(table, errors, report)


def compare_formats(table: Table, engine: Engine, rows: int, report: Report, key: tuple[str, ...]) -> list[Problem]:
    """The Parquet file holds the CSV's rows, value for value (a retyped Parquet column is reported by the reader)."""
    name = table.name
    csv, parquet = engine.tables[name], engine.tables[name + PARQUET]
    stored = engine.rows(name + PARQUET)
    if stored != rows:
        return [problem("csv_parquet", name, None, "", f"{rows} rows in Parquet as in CSV", stored)]
    columns = [f.name for f in table.fields if f.name not in engine.untyped.get(name + PARQUET, set())]
    if not columns:
        return []

    def joined() -> ir.Table:
        twin = parquet.select(__p_row=parquet[ROW], **{f"__p_{c}": parquet[c] for c in columns})
        return csv.join(twin, csv[ROW] == twin["__p_row"])

    def differ(j: ir.Table, c: str) -> ir.BooleanValue:
        return ~j[c].identical_to(j[f"__p_{c}"])

    def count() -> ir.Table:
        j = joined()
        return j.aggregate(**{f"n_{c}": differ(j, c).cast("int64").sum().fill_null(0) for c in columns})

    backend, sql = compiled_sql(csv, ("csv against parquet", name, str(csv.schema()), str(parquet.schema()), columns), count)
    counts = rows_of(backend, sql)[0]
    problems = []
    for c in columns:
        room = report.room("csv_parquet", name, c, counts[f"n_{c}"])
        if not room:
            continue
        j = joined()
        listed = j.filter(differ(j, c)).select(ROW, c, f"__p_{c}", *[j[k].name(f"__{k}") for k in key])
        for row in listed.order_by(ROW).limit(room).to_pyarrow().to_pylist():
            problems.append(problem("csv_parquet", name, listed_key(row, key), c, f"{show(row[c])} (the CSV value)", f"{show(row[f'__p_{c}'])} (in Parquet)"))
    return problems

