"""The engines the rules run on: an Ibis backend holding the package's tables.

DuckDB is the default: embedded, multi-threaded, and bounded by a memory limit past which it spills to a private folder.
Spark (`--engine spark`) runs the very same rule expressions on a Spark session (local[2] unless one is running).
Tables are loaded from the typed record batches the row pass reads anyway, each with its 0-based file row as `_row`.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import CnkzError
from .expr import ROW
from .settings import ENGINES, Settings


class EngineError(CnkzError):
    """An engine could not be started or used: which one, and what to install or set."""


def out_of_memory(exc: BaseException) -> bool:
    """Whether an engine's error says it ran out of memory (then no rule can be decided: the run stops, never a rule's problem)."""
    return type(exc).__name__ == "OutOfMemoryException" or "java.lang.OutOfMemoryError" in str(exc)


def memory_error(settings: Settings, exc: BaseException) -> EngineError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if settings.engine == "spark":  # --memory-limit is DuckDB's: Spark's driver has the heap its session was started with
        return EngineError(f"spark ran out of memory ({first}): its driver's Java heap is full; start Spark with more "
                           "(PYSPARK_SUBMIT_ARGS='--driver-memory 4g pyspark-shell', or a session with spark.driver.memory set)")
    return EngineError(f"{settings.engine} ran out of memory within --memory-limit {settings.memory_limit} ({first}); "
                       "give a larger --memory-limit (or CNKZ_MEMORY_LIMIT), or --spill a folder on a disk with more room")


@dataclass
class Engine:
    """An Ibis connection and the tables loaded into it."""

    settings: Settings = field(default_factory=Settings)
    readable: tuple[Path, ...] = ()  # the only files the engine may open itself (a package's Parquet files; DuckDB only)
    connection: Any = None
    tables: dict[str, Any] = field(default_factory=dict)
    untyped: dict[str, set[str]] = field(default_factory=dict)  # columns of a loaded table that came as nulls (a retyped Parquet column)
    _scratch: str | None = None
    _pending: dict[str, list[pa.RecordBatch]] = field(default_factory=dict)
    _schemas: dict[str, pa.Schema] = field(default_factory=dict)
    _offsets: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.settings.engine not in ENGINES:
            raise EngineError(f"unknown engine {self.settings.engine!r}: use one of {', '.join(ENGINES)}")
        if self.settings.engine == "duckdb":
            self._connect_duckdb()
        else:
            self._connect_spark()

    def _connect_duckdb(self) -> None:
        import duckdb
        import ibis

        spill = self.settings.spill
        if spill is not None and (spill.exists() or spill.is_symlink()) and not spill.is_dir():
            raise EngineError(f"--spill {spill} is not a folder; give a folder DuckDB may write to past its memory limit (it is made if missing)")
        if spill is None:
            self._scratch = tempfile.mkdtemp(prefix="cnkz-spill-")
            spill = Path(self._scratch)
        try:
            # The tables arrive from Python; the rules need no file, extension or network, so DuckDB is allowed none.
            raw = duckdb.connect(config={
                "memory_limit": self.settings.memory_limit, "temp_directory": str(spill), "threads": self.settings.threads or os.cpu_count() or 1,
                "preserve_insertion_order": False, "autoload_known_extensions": False,
            })
            if self.readable:  # Parquet files DuckDB reads itself, in parallel and out of core, instead of a copy from Python
                raw.execute(f"SET allowed_paths = [{', '.join(_literal(str(p)) for p in self.readable)}]")
            raw.execute("SET enable_external_access = false")  # after temp_directory: DuckDB refuses to set that one later
            self.connection = ibis.duckdb.from_connection(raw)
        except Exception as exc:  # duckdb raises its own error types for a bad limit or folder
            self.close()
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EngineError(f"DuckDB could not start with memory limit {self.settings.memory_limit!r} and spill folder {spill}: {first}; "
                              "give --memory-limit a size such as 1GB or 512MB, and --spill a folder you can write to") from None

    def _connect_spark(self) -> None:
        try:
            import ibis
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise EngineError("--engine spark needs pyspark and Java: pip install 'ibis-framework[pyspark]' and apt-get install default-jre-headless") from exc
        session = SparkSession.getActiveSession() or (
            SparkSession.builder.master(os.environ.get("CNKZ_SPARK_MASTER", "local[2]"))
            .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.showConsoleProgress", "false").config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", os.environ.get("CNKZ_SPARK_PARTITIONS", "2"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        self.connection = ibis.pyspark.connect(session)

    def start(self, name: str, schema: pa.Schema) -> None:
        """Begin loading table `name` of Arrow `schema`; its rows follow in file order through `add`."""
        self._begin(name, schema)
        if self.settings.engine == "duckdb":
            raw = self.connection.con
            raw.register("__empty", pa.Table.from_batches([], self._schemas[name]))
            raw.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __empty')
            raw.unregister("__empty")
        else:
            self._pending[name] = []

    def add(self, name: str, batch: pa.RecordBatch) -> None:
        """Append a batch of typed rows (numbered in `_row` after the rows before it)."""
        numbered = self._numbered(name, batch)
        if self.settings.engine == "duckdb":
            raw = self.connection.con
            raw.register("__batch", numbered)
            raw.execute(f'INSERT INTO "{name}" SELECT * FROM __batch')
            raw.unregister("__batch")
        else:
            self._pending[name].append(numbered)

    def end(self, name: str) -> None:
        """The table is whole: make it available to the rules."""
        if self.settings.engine == "spark":
            whole = pa.Table.from_batches(self._pending.pop(name), self._schemas[name])
            self.connection._session.createDataFrame(whole).createOrReplaceTempView(name)
        self.tables[name] = self._bound(name, self._schemas[name])

    def _begin(self, name: str, schema: pa.Schema) -> None:
        self._schemas[name] = schema.insert(0, pa.field(ROW, pa.int64()))
        self._offsets[name] = 0

    def _numbered(self, name: str, batch: pa.RecordBatch) -> pa.RecordBatch:
        """`batch` with its rows' 0-based file rows as `_row`, counted on from the rows of `name` before it."""
        offset = self._offsets[name]
        self._offsets[name] = offset + batch.num_rows
        return batch.add_column(0, pa.field(ROW, pa.int64()), pa.array(range(offset, offset + batch.num_rows), pa.int64()))

    def reads(self, path: Path) -> bool:
        """Whether the engine reads the file at `path` itself (attach_parquet)."""
        return self.settings.engine == "duckdb" and path in self.readable

    def attach_parquet(self, name: str, path: Path, schema: pa.Schema, rows: int) -> None:
        """Make table `name` the Parquet file at `path` as DuckDB reads it (its 0-based file row as `_row`, each column of
        `schema` cast to its type), without loading it; only for a file the engine `reads`."""
        types = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN", pa.date32(): "DATE"}
        columns = ", ".join(f'CAST("{f.name}" AS {types[f.type]}) AS "{f.name}"' for f in schema)
        self.connection.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT file_row_number AS "{ROW}", {columns} '
                                    f"FROM read_parquet({_literal(str(path))}, file_row_number = true)")
        self._offsets[name] = rows
        self.tables[name] = self._bound(name, pa.schema([pa.field(ROW, pa.int64()), *schema]))

    def _bound(self, name: str, schema: pa.Schema) -> Any:
        """The Ibis table of engine table `name`, made in DuckDB as `schema`. On DuckDB it is written from that schema, with
        no query: `connection.table` asks DuckDB for it (a tenth of a small package's validation), and DuckDB gives
        back the same types, every column nullable (tests/test_engines.py holds the two equal). Spark is asked."""
        if self.settings.engine != "duckdb":
            return self.connection.table(name)
        import ibis
        import ibis.expr.operations as ops

        nullable = pa.schema([f.with_nullable(True) for f in schema])
        return ops.DatabaseTable(name, ibis.Schema.from_pyarrow(nullable), source=self.connection).to_expr()

    def rows(self, name: str) -> int:
        """How many rows were loaded into table `name` (counted as they came: no query)."""
        return self._offsets[name]

    def load(self, name: str, batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> None:
        """Load a whole table from typed record batches (in file order). DuckDB makes the table in one statement from the
        stream, then compresses it once: appending batch by batch made it compress at each automatic checkpoint, four
        fifths of loading (events at 10^6 rows: 11.5 s appended, 1.9 s streamed plus 3.6 s compressing, and 94 MiB
        held instead of 177)."""
        if self.settings.engine != "duckdb":
            self.start(name, schema)
            for batch in batches:
                self.add(name, batch)
            self.end(name)
            return
        self._begin(name, schema)
        raised: list[Exception] = []
        # DuckDB pulls the stream on threads of its own, where the caller's context variables (the caps of
        # cnkz.limits.using) would be unset: each batch is made in the caller's context.
        context, pending = contextvars.copy_context(), iter(batches)

        def numbered() -> Iterator[pa.RecordBatch]:
            try:
                while (batch := context.run(next, pending, None)) is not None:
                    if batch.schema != schema:  # the stream is read as declared, so a batch of other types must be cast first
                        batch = pa.RecordBatch.from_arrays([column.cast(f.type) for column, f in zip(batch.columns, schema)], schema=schema)
                    yield self._numbered(name, batch)
            except Exception as exc:  # DuckDB would raise its own error in its place, saying only that the stream failed
                raised.append(exc)

        raw = self.connection.con
        raw.register("__stream", pa.RecordBatchReader.from_batches(self._schemas[name], numbered()))
        try:
            raw.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __stream')
        finally:
            raw.unregister("__stream")
        if raised:  # the part read is dropped, as a table that never came whole
            raw.execute(f'DROP TABLE "{name}"')
            raise raised[0]
        raw.execute("CHECKPOINT")
        self.tables[name] = self._bound(name, self._schemas[name])

    def close(self) -> None:
        if self.settings.engine == "duckdb" and self.connection is not None:
            self.connection.disconnect()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
