"""The one typed reader: what parses, what is a bad cell, and that batches line up with rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from cnkz import reader
from cnkz.reader import CellError, TableReader, convert, read_all
from cnkz.tables import TABLES_BY_NAME, Field
from cnkz.validate import validate

from .conftest import read_rows, rehash, set_cell, write_rows


def typed(kind: str, *cells: str | None) -> tuple[list[object], list[CellError]]:
    errors: list[CellError] = []
    out = convert(pa.array(list(cells), pa.string()), Field("x", kind, "test"), 10, errors)  # type: ignore[arg-type]
    return out.to_pylist(), errors


def test_each_type_parses_what_the_writer_writes_and_nothing_else() -> None:
    import datetime as dt

    values, errors = typed("date", "2010-11-30", "2010-11-31", "2010-1-3", None, "2012-02-29")
    assert values == [dt.date(2010, 11, 30), None, None, None, dt.date(2012, 2, 29)]
    assert errors == [CellError(11, "x", "2010-11-31", "a value of type date"), CellError(12, "x", "2010-1-3", "a value of type date")]
    values, errors = typed("integer", "42", "-7", "1.5", "+3", "99999999999999999999", "9223372036854775807")
    assert values == [42, -7, None, None, None, 9223372036854775807]
    assert [e.value for e in errors] == ["1.5", "+3", "99999999999999999999"]
    values, errors = typed("number", "0.5", "4e10", "NaN", "1e999", "eighteen", "-3")
    assert values == [0.5, 4e10, None, None, None, -3.0]
    assert [e.value for e in errors] == ["NaN", "1e999", "eighteen"]
    values, errors = typed("boolean", "true", "false", "True", None)
    assert values == [True, False, None, None]
    assert [(e.row, e.value) for e in errors] == [(12, "True")]


def test_csv_and_parquet_read_to_the_same_typed_table(repo: Path) -> None:
    for table in TABLES_BY_NAME.values():
        csv, csv_problems, cells = read_all(repo / "resources" / f"{table.name}.csv", table, "csv")
        parquet, parquet_problems, _ = read_all((repo / "resources" / f"{table.name}.parquet").read_bytes(), table, "parquet")
        assert (csv_problems, parquet_problems, cells) == ([], [], [])
        assert csv is not None and parquet is not None and csv.equals(parquet), table.name


def test_a_file_with_other_columns_is_not_read_in_batches(repo: Path) -> None:
    path = repo / "resources" / "sources.csv"
    rows = read_rows(path)
    write_rows(path, [[r[1], r[0], *r[2:]] for r in rows])
    opened = TableReader(path, TABLES_BY_NAME["sources"], "csv")
    assert [p.check for p in opened.problems] == ["columns"] and not opened.readable
    assert list(opened.batches()) == []


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of a few rows, so the real package spans many of them."""
    monkeypatch.setattr(reader, "CSV_BLOCK", 2048)
    monkeypatch.setattr(reader, "BATCH_ROWS", 3)


def test_small_batches_give_the_same_verdict_and_rows(repo: Path, small_batches: None) -> None:
    # The layers that read tables (the repository's rebuild and docs checks compare bytes, through no reader).
    assert validate(repo) == []
    # Faults late in the files, found at their own rows across batch boundaries.
    rows = read_rows(repo / "resources" / "pledges.csv")
    last = len(rows) - 2
    key = set_cell(repo, "pledges", last, "deadline", "soon")
    duplicate = read_rows(repo / "resources" / "events.csv")
    write_rows(repo / "resources" / "events.csv", [*duplicate, duplicate[1]])
    rehash(repo)
    problems = validate(repo)
    assert f"{last + 2} ({key})" in [p.row for p in problems if p.check == "type" and p.column == "deadline"]
    first_id = duplicate[1][0]
    assert sorted(p.row for p in problems if p.check == "primary_key" and p.table == "events") == sorted(
        [f"2 ({first_id})", f"{len(duplicate) + 1} ({first_id})"])
    assert [str(p) for p in problems if p.check == "csv_parquet"] == [
        f"[csv_parquet] events: expected {len(duplicate)} rows in Parquet as in CSV, found {len(duplicate) - 1}"]


def test_many_bad_cells_are_listed_up_to_a_limit_then_counted(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cnkz import validate
    from cnkz.validation import problems as listing

    monkeypatch.setattr(listing, "LISTED", 2)
    path = repo / "resources" / "figures.csv"
    rows = read_rows(path)
    column = rows[0].index("value")
    write_rows(path, [rows[0], *[[*r[:column], "lots", *r[column + 1:]] for r in rows[1:]]])
    rehash(repo)
    problems = [p for p in validate.validate(repo) if p.check == "type"]
    assert [p.row.split(" ")[0] for p in problems] == ["", "2", "3"]
    assert str(problems[0]) == f"[type] figures column value: expected no more than 2 listed, found {len(rows) - 3} more not listed"


def test_a_parquet_file_is_read_in_the_memory_of_one_row_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight row groups of distinct 1 kB quotes (16 MB): read as dictionaries in one pass, each batch's dictionary kept every
    quote of the row groups before it (Arrow's peak was 48 MB); one row group at a time, 7 MB."""
    import pyarrow.parquet as pq

    from cnkz.files import PARQUET_OPTIONS

    monkeypatch.setattr(reader, "BATCH_ROWS", 2_000)
    figures = pq.read_table(Path(__file__).resolve().parent.parent / "resources" / "figures.parquet")
    many = figures.take([i % figures.num_rows for i in range(16_000)])
    many = many.set_column(many.schema.get_field_index("quote"), "quote", pa.array([f"{i:08d}" + "q" * 1_000 for i in range(16_000)]))
    path = tmp_path / "figures.parquet"
    pq.write_table(many, path, **{**PARQUET_OPTIONS, "row_group_size": 2_000})
    assert pq.ParquetFile(path).metadata.num_row_groups == 8
    previous = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(previous)  # Arrow's allocations of this read alone
    pa.set_memory_pool(pool)
    try:
        assert TableReader(path, TABLES_BY_NAME["figures"], "parquet").scan_parquet() == 16_000
    finally:
        pa.set_memory_pool(previous)
    assert pool.max_memory() < 10 << 20, pool.max_memory()


def test_many_small_row_groups_are_read_together_in_file_order(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from cnkz.files import PARQUET_OPTIONS

    figures = pq.read_table(Path(__file__).resolve().parent.parent / "resources" / "figures.parquet")
    many = figures.take([i % figures.num_rows for i in range(3_000)])
    path = tmp_path / "figures.parquet"
    pq.write_table(many, path, **{**PARQUET_OPTIONS, "row_group_size": 7})
    assert pq.ParquetFile(path).metadata.num_row_groups == 429
    assert TableReader(path, TABLES_BY_NAME["figures"], "parquet").scan_parquet() == 3_000
    batches = list(TableReader(path, TABLES_BY_NAME["figures"], "parquet").batches())
    assert [b.offset for b in batches] == [0]  # 429 row groups, one batch
    assert pa.Table.from_batches([b.record for b in batches])["figure_id"].to_pylist() == many["figure_id"].to_pylist()
