"""The engines: DuckDB runs the rules under the limits it is given, a rule it cannot run is reported, and bad settings are
one line from the command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from cnkz.validate import Report, check_rows, validate
from cnkz.validation.engine import Engine, EngineError, memory_error, out_of_memory
from cnkz.validation.expr import ROW
from cnkz.validation.registry import Rule
from cnkz.validation.runner import run
from cnkz.validation.settings import Settings

from .conftest import ROOT, rehash

ROWS = pa.record_batch({"id": ["a", "b", "c"], "day": ["2024-01-02", "not a day", "2024-01-03"]})


def _engine_with_rows() -> Engine:
    engine = Engine(Settings(threads=1))
    engine.load("t", [ROWS], ROWS.schema)
    return engine


def test_a_rule_the_engine_cannot_run_is_reported_not_skipped() -> None:
    # A cast DuckDB refuses at run time ('not a day' is no date): the rule cannot be decided, so the report says so.
    broken = Rule("dates_together", "t", "day", "a day", lambda t, _: t["day"].cast("date") > ibis.date(2000, 1, 1))
    fine = Rule("body_order", "t", "id", "an id other than b", lambda t, _: t["id"] != "b")
    report = Report()
    with _engine_with_rows() as engine:
        run([broken, fine], engine.tables, report, lambda _: ("id",), "duckdb")
    problems = report.finish()
    assert [(p.check, p.table, p.column) for p in problems] == [("engine", "t", "day"), ("body_order", "t", "id")]
    assert problems[0].expected == "rule dates_together run by duckdb"
    assert "Conversion Error" in problems[0].found
    assert problems[1].row == "3 (b)" and problems[1].found == "b"


def test_failures_past_the_cap_are_counted_in_the_engine_not_listed() -> None:
    many = pa.record_batch({"id": [f"r{i}" for i in range(1000)]})
    report = Report()
    with Engine(Settings(threads=1)) as engine:
        engine.load("t", [many], many.schema)
        run([Rule("body_order", "t", "id", "none", lambda t, _: t["id"] == "")], engine.tables, report, lambda _: ("id",), "duckdb")
    problems = report.finish()
    listed = [p for p in problems if p.row]
    assert len(listed) == 200 and [p.row for p in listed[:2]] == ["2 (r0)", "3 (r1)"]
    assert [p.found for p in problems if not p.row] == ["800 more not listed"]


def test_the_engine_keeps_to_its_memory_limit_and_spill_folder(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    with Engine(Settings(memory_limit="64MB", spill=spill, threads=1)) as engine:
        settings = dict(engine.connection.con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'temp_directory', 'enable_external_access')").fetchall())
    assert settings["memory_limit"] in {"61.0 MiB", "64.0 MB", "61.0MiB"}, settings
    assert Path(settings["temp_directory"]) == spill
    assert settings["enable_external_access"] == "false"
    assert spill.is_dir()  # a folder the user gave is theirs: never removed


def test_the_private_spill_folder_is_removed_afterwards() -> None:
    engine = Engine(Settings(threads=1))
    scratch = Path(engine._scratch or "")
    assert scratch.is_dir()
    engine.close()
    assert not scratch.exists()


def test_an_unknown_engine_or_a_bad_memory_limit_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="unknown engine 'sqlite': use one of duckdb, spark"):
        Engine(Settings(engine="sqlite"))
    cnkz = Path(sys.executable).parent / "cnkz"
    result = subprocess.run([cnkz, "validate", "--no-rebuild", "--quiet", "--memory-limit", "lots", "--spill", tmp_path, ROOT],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"cnkz: error: DuckDB could not start with memory limit 'lots' and spill folder {tmp_path}: Parser Error: Memory must have a number "
        "(e.g. 1GB); give --memory-limit a size such as 1GB or 512MB, and --spill a folder you can write to"]


def test_the_published_package_is_valid_under_a_small_memory_limit() -> None:
    assert validate(ROOT, [check_rows], engine=Settings(memory_limit="100MB", threads=1)) == []


def test_the_column_checks_are_a_pandera_schema_that_finds_what_the_engine_finds() -> None:
    import pandera.errors
    import pyarrow.parquet as pq

    from cnkz.tables import TABLES_BY_NAME
    from cnkz.validation.columns import column_rules, column_schema, field_checks

    events = pq.read_table(ROOT / "resources" / "events.parquet")
    types, summaries = events.column("event_type").to_pylist(), events.column("summary").to_pylist()
    types[0], summaries[1] = "banquet", "=HYPERLINK(1)"
    events = events.set_column(events.schema.get_field_index("event_type"), "event_type", pa.array(types))
    events = events.set_column(events.schema.get_field_index("summary"), "summary", pa.array(summaries))
    table = TABLES_BY_NAME["events"]
    report = Report()
    with Engine(Settings(threads=1)) as engine:
        engine.load("events", events.to_batches(), events.schema)
        with pytest.raises(pandera.errors.SchemaErrors) as caught:
            column_schema(table).validate(engine.connection.table("events").drop("_row"), lazy=True)
        run(column_rules(table), engine.tables, report, lambda _: ("event_id",), "duckdb")
    cases = caught.value.failure_cases
    code_of = {check.expected: check.code for f in table.fields for check in field_checks(f)}  # pandera names a check by its error
    # pandera.ibis 0.35 names the column in each failure case's dict ({column: value}), its `column` field says "failure_case".
    by_pandera = {(code_of[check], next(iter(case))) for check, case in zip(cases["check"], cases["failure_case"])}
    by_engine = {(p.check, p.column) for p in report.finish()}
    assert by_pandera == by_engine == {("vocabulary", "event_type"), ("formula_injection", "summary")}


def test_a_spill_folder_that_is_a_file_or_threads_below_one_is_refused_in_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(EngineError, match=f"--spill {afile} is not a folder; give a folder DuckDB may write to"):
        Engine(Settings(spill=afile))
    cnkz = Path(sys.executable).parent / "cnkz"
    result = subprocess.run([cnkz, "validate", "--no-rebuild", "--threads", "-1", ROOT], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("argument --threads: '-1' is not a whole number of at least 1")


def test_an_engine_out_of_memory_stops_the_run_in_one_line_that_says_what_to_set(tmp_path: Path) -> None:
    # Out of memory is no rule the engine cannot run: nothing is reported as a problem, the run stops, and the line names the
    # limit and both ways out (it was a traceback from the quote comparison at 10^6 rows under --memory-limit 400MB).
    with pytest.raises(EngineError, match=r"^duckdb ran out of memory within --memory-limit 1MB \(Out of Memory Error: .*\); give a larger "
                       r"--memory-limit \(or CNKZ_MEMORY_LIMIT\), or --spill a folder on a disk with more room$"):
        validate(ROOT, [check_rows], engine=Settings(memory_limit="1MB", threads=1))
    cnkz = Path(sys.executable).parent / "cnkz"
    result = subprocess.run([cnkz, "validate", "--no-rebuild", "--memory-limit", "1MB", ROOT], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("cnkz: error: duckdb ran out of memory within --memory-limit 1MB")


def test_spark_out_of_memory_names_the_driver_heap_not_duckdb_s_limit() -> None:
    # As PySpark raises it (seen at 10^5 rows per table with the default 1g driver): the JVM's error is in the message.
    class Py4JJavaError(Exception):
        pass

    exc = Py4JJavaError("An error occurred while calling o36.sql.\n: java.lang.OutOfMemoryError: Java heap space")
    assert out_of_memory(exc) and not out_of_memory(Py4JJavaError("An error occurred while calling o36.sql.\n: ParseException"))
    assert memory_error(Settings(engine="spark"), exc).message == (
        "spark ran out of memory (An error occurred while calling o36.sql.): its driver's Java heap is full; start Spark with "
        "more (PYSPARK_SUBMIT_ARGS='--driver-memory 4g pyspark-shell', or a session with spark.driver.memory set)")


PHRASES = {
    "They attended the above activities.": True,
    "attended the activities": True,
    "(attended the above activities)": True,
    "Xi attended the above activities, and": True,
    "reattended the above activities": False,
    "attended the above activitiesX": False,
    "attended the above activities_": False,
    "2attended the activities": False,
    "attended the above  activities": False,
    "attended the other activities": False,
    "éattended the activities": True,  # é is no ASCII letter: a boundary, as in every engine (Python's \b would say no)
}


def test_the_attendance_phrase_is_found_alike_by_python_and_the_engine() -> None:
    """The rule's pattern is decided by the engine alone, so it must read the same there as in Python, boundaries included."""
    import re

    from cnkz.validation.rules.participants import ATTENDANCE

    assert {text: bool(re.search(ATTENDANCE, text)) for text in PHRASES} == PHRASES
    t = ibis.memtable({"text": list(PHRASES)})
    found = t.mutate(hit=t["text"].re_search(ATTENDANCE)).to_pyarrow()
    assert dict(zip(found["text"].to_pylist(), found["hit"].to_pylist())) == PHRASES


def test_the_tables_as_bound_without_asking_duckdb_are_the_tables_duckdb_has(tmp_path: Path) -> None:
    """Engine tables are written from the Arrow schema they were made with (no DESCRIBE): for every type a table holds,
    loaded from Arrow or read from Parquet, that must be exactly what DuckDB reports."""
    import datetime as dt

    import pyarrow.parquet as pq

    schema = pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("n", pa.int64()), pa.field("x", pa.float64()),
                        pa.field("ok", pa.bool_()), pa.field("day", pa.date32())])
    rows = pa.table({"id": ["a", "b"], "n": [1, None], "x": [0.5, None], "ok": [True, None], "day": [dt.date(2024, 1, 2), None]}, schema=schema)
    path = tmp_path / "t.parquet"
    pq.write_table(rows, path)
    with Engine(Settings(threads=1), (path,)) as engine:
        engine.load("t", rows.to_batches(), schema)
        engine.attach_parquet("t__parquet", path, schema, rows.num_rows)
        for name in ("t", "t__parquet"):
            assert engine.tables[name].schema() == engine.connection.table(name).schema(), name
            assert engine.tables[name].count().execute() == 2


def test_a_table_loaded_from_a_stream_is_read_in_the_caller_s_context_and_typed_as_declared() -> None:
    """DuckDB pulls a loaded stream on threads of its own: each batch is still made where the caps the caller set are the
    ones in force, and a batch of other types is cast to the declared schema rather than read as if it were of it."""
    from cnkz.limits import Limits, current, using

    caps_seen: list[int] = []
    narrow = pa.record_batch({"n": pa.array([7, 8, 9], pa.int32())})

    def batches() -> Iterator[pa.RecordBatch]:
        caps_seen.append(current().member_bytes)
        yield narrow

    with Engine(Settings(threads=2)) as engine, using(Limits(member_bytes=12_345)):
        engine.load("t", batches(), pa.schema([("n", pa.int64())]))
        assert engine.tables["t"].order_by(ROW).to_pyarrow()["n"].to_pylist() == [7, 8, 9]
    assert caps_seen == [12_345]


@pytest.mark.parametrize("table", ["events", "sources"])
def test_a_csv_broken_part_way_leaves_its_table_out_of_every_check(repo: Path, table: str) -> None:
    """The rows read before the break are no table: nothing is checked against them (for sources, no quote against part
    of the texts), and the file is one `unreadable` problem."""
    path = repo / "resources" / f"{table}.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    cut = len(lines) // 2
    path.write_bytes(b"".join(lines[:cut]) + b"\xff\xfe not UTF-8\n" + b"".join(lines[cut:]))
    rehash(repo)
    problems = validate(repo, [check_rows])
    assert [(p.check, p.table) for p in problems] == [("unreadable", table)], [str(p) for p in problems]
    assert "UTF-8" in problems[0].found or "utf8" in problems[0].found.lower(), problems[0].found


def test_rows_judged_in_python_by_a_pool_of_threads_are_each_found_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of a judged rule go to a pool of threads, a few at a time: every failing row is still found, and once."""
    import cnkz.validation.runner as runner
    from cnkz.limits import Limits, current, using
    from cnkz.validation.expr import Judged

    monkeypatch.setattr(runner, "JUDGED_ROWS", 3)
    words = pa.record_batch({"word": [f"w{i}" if i % 7 else "bad" for i in range(100)]})
    caps_seen: set[int] = set()

    def judge(batch: pa.RecordBatch) -> list[bool]:
        caps_seen.add(current().member_bytes)  # judged in the caller's context, as a stream is loaded
        return [w != "bad" for w in batch.column("word").to_pylist()]

    with Engine(Settings(threads=2)) as engine, using(Limits(member_bytes=12_345)):
        engine.load("t", [words], words.schema)
        n, rows = runner._judge(Judged(engine.tables["t"], ("word",), judge), ["judged_test", "t", "word", ["word"], []])
    assert sorted(rows) == list(range(0, 100, 7)) and n == len(rows)
    assert caps_seen == {12_345}


@pytest.mark.parametrize(("asked", "small_bytes", "runs_on"), [
    (None, 16 << 20, 1),  # the real package (74 kB) is small: one thread
    (None, 0, "every core"),  # a package over the size: DuckDB's default, a thread a core
    (2, 16 << 20, 2),  # --threads is kept whatever the size
])
def test_a_small_package_runs_duckdb_on_one_thread_unless_told(monkeypatch: pytest.MonkeyPatch, asked: int | None, small_bytes: int,
                                                                runs_on: int | str) -> None:
    import os

    import cnkz.validation.rows as rows

    seen: list[int] = []
    connect = Engine._connect_duckdb

    def spy(self: Engine) -> None:
        connect(self)
        seen.append(self.connection.con.execute("SELECT current_setting('threads')").fetchall()[0][0])

    monkeypatch.setattr(Engine, "_connect_duckdb", spy)
    monkeypatch.setattr(rows, "SMALL_BYTES", small_bytes)
    assert validate(ROOT, [check_rows], engine=Settings(threads=asked)) == []
    assert seen == [os.cpu_count() if runs_on == "every core" else runs_on]


def test_a_csv_removed_while_the_package_is_sized_is_left_out_not_a_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another process removes events.csv just after it was found a regular file: the size counts the files still there.
    import cnkz.validation.rows as rows
    from cnkz.datamodel import model_for
    from cnkz.validate import PackageUnderCheck, load_descriptor

    real = rows.regular_file_problem

    def racing(path: Path) -> str | None:
        why = real(path)
        if path.name == "events.csv":
            path.unlink()
        return why

    descriptor, _ = load_descriptor(repo)
    model = model_for(descriptor)
    others = sum((repo / "resources" / f"{t.name}.csv").stat().st_size for t in model.tables if t.name != "events")
    monkeypatch.setattr(rows, "regular_file_problem", racing)
    assert rows._csv_bytes(PackageUnderCheck(repo, descriptor), model) == others > 0
