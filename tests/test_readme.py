"""The README's loading blocks, taken from the README itself and run exactly as written from a copy of the repository."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cnkz

from .conftest import ROOT, copy_repo

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.S | re.M)
BLOCKS = [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer((ROOT / "README.md").read_text(encoding="utf-8"))]
PYTHON = [code for info, code in BLOCKS if info == "python"]
R = [code for info, code in BLOCKS if info == "r"]
R_FRICTIONLESS = [code for info, code in BLOCKS if info == "r frictionless"]
RSCRIPT = shutil.which("Rscript")
NO_RSCRIPT = "Rscript is not installed (apt-get install r-base-core r-cran-readr r-cran-jsonlite; CI does)"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a reader has after cloning: the package and the scripts, nothing this test suite made."""
    return copy_repo(tmp_path_factory.mktemp("readme") / "repo", ("datapackage.json", "resources", "scripts", "seeds", "pyproject.toml"))


@pytest.fixture(scope="module")
def trade_pledges() -> list[str]:
    pledges = cnkz.load_table("pledges", ROOT)
    return list(pledges.loc[pledges["topic"] == "trade", "pledge_id"])


def test_readme_has_a_block_for_each_route() -> None:
    assert any("cnkz.load()" in code for code in PYTHON)
    assert any("pd.read_parquet(" in code for code in PYTHON)
    assert any("import duckdb" in code for code in PYTHON)
    assert any("from frictionless import Package" in code for code in PYTHON)
    assert any('source("scripts/load.R")' in code for code in R)
    assert any("read_package(" in code and "read_resource(" in code for code in R_FRICTIONLESS)


def run_block(command: list[str], code: str, suffix: str, where: Path) -> subprocess.CompletedProcess[str]:
    script = where.parent / f"block{suffix}"
    script.write_text(code, encoding="utf-8")
    try:
        return subprocess.run([*command, str(script)], cwd=where, capture_output=True, text=True, check=False)
    finally:
        script.unlink()


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_block_runs_as_written(code: str, checkout: Path, trade_pledges: list[str]) -> None:
    result = run_block([sys.executable], code, ".py", checkout)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    if "'trade'" in code or '"trade"' in code:
        assert all(pledge_id in result.stdout for pledge_id in trade_pledges)


@pytest.mark.skipif(RSCRIPT is None and not os.environ.get("CNKZ_CI"), reason=NO_RSCRIPT)
@pytest.mark.parametrize("code", R, ids=[f"r-{i}" for i in range(len(R))])
def test_r_block_runs_as_written(code: str, checkout: Path) -> None:
    assert RSCRIPT is not None
    result = run_block([RSCRIPT, "--vanilla"], code, ".R", checkout)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def r_has_frictionless() -> bool:
    if RSCRIPT is None:
        return False
    probe = subprocess.run([RSCRIPT, "-e", 'cat(requireNamespace("frictionless", quietly = TRUE))'], capture_output=True, text=True, check=False)
    return probe.stdout.strip() == "TRUE"


@pytest.mark.parametrize("code", R_FRICTIONLESS, ids=[f"r-frictionless-{i}" for i in range(len(R_FRICTIONLESS))])
def test_r_frictionless_block_runs_as_written(code: str, checkout: Path) -> None:
    if not r_has_frictionless():
        message = "the R frictionless package is not installed (R CMD INSTALL ../shared/vendor/r/frictionless_*.tar.gz; .ci/run does)"
        if os.environ.get("CNKZ_CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert RSCRIPT is not None
    result = run_block([RSCRIPT, "--vanilla"], code, ".R", checkout)
    assert result.returncode == 0, result.stderr
    # The block prints the table of event types: every type the events table uses, with its count.
    events = cnkz.load_table("events", ROOT)
    for event_type, count in events["event_type"].value_counts().items():
        if count:
            assert re.search(rf"\b{event_type}\b", result.stdout), event_type


def test_descriptor_fits_the_r_frictionless_package() -> None:
    """What read_resource() needs (see /work/shared/NOTES.md), for every resource the README asks it to read."""
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    named = {name for code in R_FRICTIONLESS for name in re.findall(r'read_resource\(\s*\w+\s*,\s*"([^"]+)"', code)}
    assert named
    for name in named:
        resource = resources[name]
        assert resource["profile"] == "tabular-data-resource"  # v1 profile: read_resource refuses a resource without it
        assert resource["format"] == "csv"  # it reads every file as delimited text
        path = resource["path"]
        assert isinstance(path, str) and not path.startswith(("/", "../")) and ".." not in Path(path).parts
        assert resource["dialect"]["delimiter"] == "," and resource["dialect"]["header"] is True
        assert resource["schema"].get("missingValues", [""]) == [""]
        header = (ROOT / path).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert [f["name"] for f in resource["schema"]["fields"]] == header  # it names columns from the schema


# ---------------------------------------------------------------- what a date column arrives as, route by route

README = (ROOT / "README.md").read_text(encoding="utf-8")
DATE_ROUTES = {  # the README's table, row for row; each row is checked by the test named after it
    "`cnkz.load()`, Parquet or CSV": "`date32[day][pyarrow]`: `datetime.date` values; `.dt.year` and comparisons with a `datetime.date` work",
    "`pd.read_parquet()`": "`object`: `datetime.date` values, without `.dt`; `dtype_backend=\"pyarrow\"` gives `date32[day][pyarrow]`, as `cnkz.load()` does",
    "`pd.read_csv()`": "text such as `2011-06-13` (`str` in pandas 3, `object` in pandas 2); `parse_dates=[...]` gives `datetime64` at midnight",
    "Frictionless `to_pandas()`": "`datetime64` at midnight",
    "DuckDB": "`DATE`; `.df()` gives `datetime64` at midnight",
    "R, `read_cnkz()`": "`Date`",
    "R, frictionless `read_resource()`": "`Date`",
}


def date_columns() -> dict[str, list[str]]:
    from cnkz.tables import TABLES

    return {t.name: [f.name for f in t.fields if f.type == "date"] for t in TABLES if any(f.type == "date" for f in t.fields)}


def readme_section(title: str) -> str:
    return README.split(f"\n### {title}\n", 1)[1].split("\n#", 1)[0]


def test_the_readme_says_what_a_date_column_arrives_as_on_each_route() -> None:
    section = readme_section("What a date column arrives as")
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ") and not line.startswith("| route ")]
    assert {route.strip(): what.strip() for route, what in rows} == DATE_ROUTES
    named = " ".join(section.split("hold calendar dates")[0].split())
    assert named == "The date columns (" + ", ".join(f"`{c}`" for cs in date_columns().values() for c in cs) + ")"
    # The Parquet example says the same as the table.
    assert 'pd.read_parquet("resources/events.parquet")  # nullable integers and booleans; dates are object (datetime.date)' in README


def midnight_datetimes(column: pd.Series) -> bool:
    values = column.dropna()
    return pd.api.types.is_datetime64_dtype(column.dtype) and len(values) > 0 and bool((values == values.dt.normalize()).all())


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_dates_from_cnkz_load_are_arrow_dates(fmt: str) -> None:
    tables = cnkz.load(ROOT, format=fmt)
    for table, columns in date_columns().items():
        for name in columns:
            column = tables[table][name]
            assert str(column.dtype) == "date32[day][pyarrow]", (table, name)
            assert all(type(v) is dt.date for v in column.dropna()), (table, name)
    start = tables["events"]["start_date"]
    assert set(start.dt.year.dropna()) <= set(range(2000, 2100))
    assert (start.dropna() >= dt.date(2010, 1, 1)).all()
    assert str(start.astype("datetime64[s]").dtype) == "datetime64[s]"  # the conversion the README gives


def test_dates_from_pd_read_parquet_are_object_columns_of_dates() -> None:
    for table, columns in date_columns().items():
        frame = pd.read_parquet(ROOT / "resources" / f"{table}.parquet")
        arrow = pd.read_parquet(ROOT / "resources" / f"{table}.parquet", dtype_backend="pyarrow")
        for name in columns:
            assert frame[name].dtype == object, (table, name)
            assert all(type(v) is dt.date for v in frame[name].dropna()), (table, name)
            assert str(arrow[name].dtype) == "date32[day][pyarrow]", (table, name)
    with pytest.raises(AttributeError):
        pd.read_parquet(ROOT / "resources" / "events.parquet")["start_date"].dt  # noqa: B018


def test_dates_from_pd_read_csv_are_text_unless_parsed() -> None:
    text_dtype = "str" if int(pd.__version__.split(".")[0]) >= 3 else "object"
    for table, columns in date_columns().items():
        frame = pd.read_csv(ROOT / "resources" / f"{table}.csv")
        parsed = pd.read_csv(ROOT / "resources" / f"{table}.csv", parse_dates=columns)
        for name in columns:
            assert str(frame[name].dtype) == text_dtype, (table, name)
            assert all(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in frame[name].dropna()), (table, name)
            assert midnight_datetimes(parsed[name]), (table, name)
    assert "2011-06-13" in set(pd.read_csv(ROOT / "resources" / "events.csv")["start_date"])


def test_dates_from_frictionless_to_pandas_are_datetime64_at_midnight() -> None:
    from frictionless import Package

    package = Package(str(ROOT / "datapackage.json"))
    for table, columns in date_columns().items():
        for resource in (table, f"{table}-parquet"):
            frame = package.get_resource(resource).to_pandas()
            for name in columns:
                assert midnight_datetimes(frame[name]), (resource, name)


def test_dates_from_duckdb_are_sql_dates_and_datetime64_in_pandas() -> None:
    import duckdb

    for table, columns in date_columns().items():
        relation = duckdb.sql(f"SELECT {', '.join(columns)} FROM '{ROOT / 'resources' / f'{table}.parquet'}'")
        assert [str(t) for t in relation.types] == ["DATE"] * len(columns), table
        frame = relation.df()
        for name in columns:
            assert midnight_datetimes(frame[name]), (table, name)


R_DATE_CLASSES = """
source("scripts/load.R")
tables <- read_cnkz("datapackage.json")
for (name in names(tables)) for (column in names(tables[[name]])) cat(name, column, class(tables[[name]][[column]])[1], "\\n")
"""
R_FRICTIONLESS_DATE_CLASSES = """
library(frictionless)
package <- read_package("datapackage.json")
for (name in c(%s)) { table <- read_resource(package, name); for (column in names(table)) cat(name, column, class(table[[column]])[1], "\\n") }
"""


def r_date_columns(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        table, column, kind = line.split()
        if kind == "Date":
            found.setdefault(table, []).append(column)
    return found


@pytest.mark.skipif(RSCRIPT is None and not os.environ.get("CNKZ_CI"), reason=NO_RSCRIPT)
def test_dates_from_r_read_cnkz_are_date(checkout: Path) -> None:
    assert RSCRIPT is not None
    result = run_block([RSCRIPT, "--vanilla"], R_DATE_CLASSES, ".R", checkout)
    assert result.returncode == 0, result.stderr
    assert r_date_columns(result.stdout) == date_columns()  # every date column is Date, and nothing else is


def test_dates_from_r_frictionless_read_resource_are_date(checkout: Path) -> None:
    if not r_has_frictionless():
        if os.environ.get("CNKZ_CI"):
            pytest.fail("the R frictionless package is not installed")
        pytest.skip("the R frictionless package is not installed")
    assert RSCRIPT is not None
    names = ", ".join(f'"{t}"' for t in date_columns())
    result = run_block([RSCRIPT, "--vanilla"], R_FRICTIONLESS_DATE_CLASSES % names, ".R", checkout)
    assert result.returncode == 0, result.stderr
    assert r_date_columns(result.stdout) == date_columns()


# ---------------------------------------------------------------- the seed file names


def test_the_readme_explains_the_seed_file_names_truly() -> None:
    assert ("Each text keeps the name it was collected under,\n`NNN_<16 hexadecimal digits>.txt`: a three-digit sequence number "
            "(not in date order) and an\nidentifier that is not derived from the text (it is not the start of the text's sha256, nor of its\n"
            "MD5 or SHA-1). No tool reads either part; `sources.path` names each text's file.") in README
    sources = cnkz.load_table("sources", ROOT)
    names = [Path(path).name for path in sources["path"]]
    assert sorted(names) == sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))
    for name, digest in zip(names, sources["sha256"]):
        match = re.fullmatch(r"(\d{3})_([0-9a-f]{16})\.txt", name)
        assert match, name
        data = (ROOT / "seeds" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest  # sources.sha256 is the checksum ...
        for algorithm in ("sha256", "md5", "sha1"):  # ... and the 16 digits are not the start of it, nor of MD5 or SHA-1
            assert not hashlib.new(algorithm, data).hexdigest().startswith(match.group(2)), (name, algorithm)
    by_number = sources.assign(number=[n[:3] for n in names]).sort_values("number")
    assert list(by_number["reference_date"]) != sorted(by_number["reference_date"])  # not in date order
