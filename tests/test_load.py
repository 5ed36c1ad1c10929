"""cnkz.load on real files: types, values, order, the CSV/Parquet/Frictionless/DuckDB routes, archives and tampering."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cnkz
from cnkz.errors import CnkzError
from cnkz.files import csv_cell
from cnkz.load import LoadError
from cnkz.release import package_members, zip_bytes
from cnkz.tables import TABLES, TABLES_BY_NAME

from .conftest import RELEASE_DATE, ROOT, VERSION, read_rows, rehash, set_cell

DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
CSV_RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"] if r["format"] == "csv"}


@pytest.fixture(scope="module")
def loaded() -> dict[str, dict[str, pd.DataFrame]]:
    return {fmt: cnkz.load(ROOT, format=fmt) for fmt in ("parquet", "csv")}


def plain(value: Any) -> Any:
    """One Python value per cell, whatever library produced it: None for every kind of missing."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if hasattr(value, "item"):
        value = value.item()
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def rows_of(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(plain(v) for v in row) for row in frame.astype(object).itertuples(index=False, name=None)]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_cell_is_the_published_text_in_file_order(loaded: dict[str, dict[str, pd.DataFrame]], fmt: str) -> None:
    tables = loaded[fmt]
    assert list(tables) == [t.name for t in TABLES]
    for name, frame in tables.items():
        header, *rows = read_rows(ROOT / CSV_RESOURCES[name]["path"])
        assert list(frame.columns) == header
        assert len(frame) == len(rows), name
        assert list(frame.index) == list(range(len(rows)))
        # Printing each loaded value the way the publisher prints cells gives back the file, row for row.
        printed = [[csv_cell(None if pd.isna(v) else v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)]
        assert printed == rows, name


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_types_follow_the_descriptor(loaded: dict[str, dict[str, pd.DataFrame]], fmt: str) -> None:
    expected = {"string": pd.StringDtype("pyarrow"), "integer": pd.Int64Dtype(), "number": pd.Float64Dtype(), "boolean": pd.BooleanDtype()}
    for name, frame in loaded[fmt].items():
        for field in CSV_RESOURCES[name]["schema"]["fields"]:
            column = frame[field["name"]]
            enum = field.get("constraints", {}).get("enum")
            if enum:
                assert isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == enum, field["name"]
            elif field["type"] == "date":
                assert str(column.dtype) == "date32[day][pyarrow]"
                assert all(isinstance(v, dt.date) for v in column.dropna())
            else:
                assert column.dtype == expected[field["type"]], (name, field["name"], column.dtype)


def test_csv_and_parquet_loads_are_identical(loaded: dict[str, dict[str, pd.DataFrame]]) -> None:
    for name in loaded["csv"]:
        pd.testing.assert_frame_equal(loaded["csv"][name], loaded["parquet"][name], check_exact=True)


def test_known_values_from_the_source_texts(loaded: dict[str, dict[str, pd.DataFrame]]) -> None:
    tables = loaded["parquet"]
    figures = tables["figures"].set_index("figure_id")
    # "bilateral trade reached 41 billion U.S. dollars last year" (Xinhua, 21 May 2024).
    assert figures.loc["2024-wang-yi-astana.trade-2023", "value"] == 41_000_000_000
    assert not figures.loc["2024-wang-yi-astana.trade-2023", "is_target"]
    # "a target of 40 billion U.S. dollars for bilateral trade by 2015" (2011).
    pledge = tables["pledges"].set_index("pledge_id").loc["2011-hu-jintao-astana.trade-target"]
    assert (pledge["target_value"], pledge["deadline"], pledge["target_unit"]) == (40_000_000_000, 2015, "USD")
    # Dateline "ASTANA, May 20 (Xinhua)".
    assert tables["events"].set_index("event_id").loc["2024-wang-yi-astana.press", "start_date"] == dt.date(2024, 5, 20)
    sources = tables["sources"]
    assert list(sources["bytes"]) == [(ROOT / p).stat().st_size for p in sources["path"]]
    for name in ("events", "participants", "pledges", "figures"):
        texts = {s: (ROOT / p).read_text(encoding="utf-8") for s, p in zip(sources["source_id"], sources["path"])}
        for source_id, quote, start, end in tables[name][["source_id", "quote", "char_start", "char_end"]].itertuples(index=False):
            assert texts[source_id][start:end] == quote


def test_load_table_and_the_ways_to_name_the_package(loaded: dict[str, dict[str, pd.DataFrame]], repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = loaded["parquet"]["events"]
    pd.testing.assert_frame_equal(cnkz.load_table("events", repo), expected)
    pd.testing.assert_frame_equal(cnkz.load_table("events", str(repo / "datapackage.json"), format="csv"), expected)
    monkeypatch.chdir(repo / "resources")  # found upwards from the current folder
    pd.testing.assert_frame_equal(cnkz.load()["events"], expected)
    with pytest.raises(LoadError, match="no table 'event'; the tables are sources, places, events"):
        cnkz.load_table("event", repo)
    with pytest.raises(LoadError, match="format must be one of parquet, csv"):
        cnkz.load(repo, format="xlsx")
    with pytest.raises(LoadError, match="no such file or folder") as error:
        cnkz.load(repo / "nowhere")
    assert error.value.file == str(repo / "nowhere")


def test_another_package_in_the_current_folder_is_not_taken_for_this_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "another-package", "resources": []}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # Another package here is not ours: the search goes on to the dataset the package was installed from.
    assert len(cnkz.load_table("sources")) == len(read_rows(ROOT / "resources" / "sources.csv")) - 1


def release_archive(repo: Path, target: Path, change: dict[str, bytes | None] | None = None, resum: bool = False) -> Path:
    """A release archive made by the publisher's own packing code, with members changed or dropped (and SHA256SUMS redone if resum)."""
    members = package_members(repo, VERSION, RELEASE_DATE)
    for name, data in (change or {}).items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    if resum:
        members["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(members.items()) if n != "SHA256SUMS").encode()
    target.write_bytes(zip_bytes(members, f"china-kazakhstan-engagements-{VERSION}", RELEASE_DATE))
    return target


def test_release_archive_loads_in_place(loaded: dict[str, dict[str, pd.DataFrame]], repo: Path, tmp_path: Path) -> None:
    archive = release_archive(repo, tmp_path / "release.zip")
    before = sorted(p.name for p in tmp_path.iterdir())
    for fmt in ("parquet", "csv"):
        tables = cnkz.load(archive, format=fmt)
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(frame, loaded["parquet"][name])
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing was extracted
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert len(cnkz.load_table("sources", archive, sha256=digest)) == len(loaded["parquet"]["sources"])
    with pytest.raises(LoadError, match=f"expected {'0' * 64}; this is not the published file"):
        cnkz.load(archive, sha256="0" * 64)


def test_archive_with_a_path_out_of_the_package_is_refused(repo: Path, tmp_path: Path) -> None:
    for evil in ("../evil.csv", "/tmp/evil.csv"):
        archive = tmp_path / "evil.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("pkg/datapackage.json", (repo / "datapackage.json").read_bytes())
            z.writestr(f"pkg/{evil}" if evil.startswith("..") else evil, b"x")
        with pytest.raises(LoadError, match=r"which is not a plain relative path inside the package .*; refusing the whole archive"):
            cnkz.load(archive)
    assert not (tmp_path / "evil.csv").exists()


def test_descriptor_path_out_of_the_package_is_refused(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.csv"
    secret.write_bytes((repo / "resources" / "events.csv").read_bytes())
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    events = next(r for r in descriptor["resources"] if r["name"] == "events")
    for path in ("../outside.csv", str(secret)):
        events["path"] = path
        (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        with pytest.raises(LoadError, match="leads outside the package"):
            cnkz.load_table("events", repo, format="csv")
    # In an archive too, even when SHA256SUMS vouches for that descriptor.
    archive = release_archive(ROOT, tmp_path / "r.zip", {"datapackage.json": json.dumps(descriptor).encode()}, resum=True)
    with pytest.raises(LoadError, match="leads outside the package"):
        cnkz.load_table("events", archive, format="csv")


def test_tampered_file_is_refused_with_its_name(repo: Path) -> None:
    set_cell(repo, "figures", 11, "value", "410000000000")
    with pytest.raises(LoadError, match="the descriptor says") as error:
        cnkz.load(repo, format="csv")
    assert (error.value.file, error.value.field) == (str(repo / "resources" / "figures.csv"), "hash")
    assert "Download the dataset again" in str(error.value)
    assert cnkz.load_table("figures", repo, format="csv", verify=False)["value"][11] == 410_000_000_000
    assert cnkz.load_table("figures", repo, format="parquet")["value"][11] == 41_000_000_000  # the untouched file still loads


def test_archive_checked_against_its_sha256sums(repo: Path, tmp_path: Path) -> None:
    members = package_members(repo, VERSION, RELEASE_DATE)
    data = members["resources/events.csv"].replace(b"Astana", b"Almaty", 1)
    # The descriptor rehashed to the changed file, SHA256SUMS not: only SHA256SUMS can catch it.
    descriptor = json.loads(members["datapackage.json"])
    for resource in descriptor["resources"]:
        if resource["path"] == "resources/events.csv":
            resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            resource["bytes"] = len(data)
    archive = release_archive(repo, tmp_path / "a.zip", {"resources/events.csv": data, "datapackage.json": json.dumps(descriptor).encode()})
    with pytest.raises(LoadError, match="SHA256SUMS says") as error:
        cnkz.load(archive)
    assert error.value.file == f"{archive}!datapackage.json"
    with pytest.raises(LoadError, match="no SHA256SUMS in the archive"):
        cnkz.load(release_archive(repo, tmp_path / "b.zip", {"SHA256SUMS": None}))
    with pytest.raises(LoadError, match="missing from the archive"):
        cnkz.load(release_archive(repo, tmp_path / "c.zip", {"resources/pledges.parquet": None}))


def test_values_the_definitions_do_not_allow_are_errors(repo: Path) -> None:
    set_cell(repo, "events", 0, "event_type", "banquet")
    set_cell(repo, "pledges", 0, "deadline", "soon")
    rehash(repo)
    with pytest.raises(LoadError, match="'banquet' \\(data row 1\\) is not a value of the event_type vocabulary") as error:
        cnkz.load_table("events", repo, format="csv")
    assert error.value.field == "event_type"
    with pytest.raises(LoadError, match="cannot be read as a integer") as error:
        cnkz.load_table("pledges", repo, format="csv")
    assert error.value.field == "deadline"


def test_a_descriptor_from_another_version_of_the_tables_is_named(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] in ("events", "events-parquet"):
            next(f for f in resource["schema"]["fields"] if f["name"] == "end_date")["type"] = "string"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(CnkzError, match="is published as string, but this cnkz reads it as date; install the cnkz version") as error:
        cnkz.load(repo)
    assert (error.value.record, error.value.field) == ("events-parquet", "end_date")


def test_frictionless_gives_the_same_data(loaded: dict[str, dict[str, pd.DataFrame]]) -> None:
    from frictionless import Package

    package = Package(str(ROOT / "datapackage.json"))
    for table in TABLES:
        expected = rows_of(loaded["parquet"][table.name])
        for resource_name in (table.name, f"{table.name}-parquet"):
            frame = package.get_resource(resource_name).to_pandas().reset_index()[table.columns]
            assert rows_of(frame) == expected, resource_name


def test_duckdb_gives_the_same_data(loaded: dict[str, dict[str, pd.DataFrame]]) -> None:
    import duckdb

    with duckdb.connect() as con:
        for table in TABLES:
            path = ROOT / "resources" / f"{table.name}.parquet"
            result = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
            assert [d[0] for d in result.description] == table.columns
            assert [tuple(plain(v) for v in row) for row in result.fetchall()] == rows_of(loaded["parquet"][table.name]), table.name


def test_python_example_answers_for_every_trade_pledge(loaded: dict[str, dict[str, pd.DataFrame]]) -> None:
    result = subprocess.run([sys.executable, "examples/trade_pledges.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    pledges = loaded["parquet"]["pledges"]
    trade = pledges[pledges["topic"] == "trade"]
    assert result.stdout.startswith(f"{len(trade)} pledges on trade\n")
    for pledge_id, status in zip(trade["pledge_id"], trade["status"]):
        assert f"  {pledge_id}\n" in result.stdout
        block = result.stdout.split(f"  {pledge_id}\n", 1)[1].split("\n\n", 1)[0]
        assert f"status: {status}" in block
    assert "Reported, linked to no pledge: 41 billion U.S. dollars in 2023" in result.stdout


def test_every_table_is_defined_once() -> None:
    assert set(TABLES_BY_NAME) == set(CSV_RESOURCES)
