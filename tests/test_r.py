"""The R route under a real Rscript: scripts/load.R, its own test, and agreement with cnkz.load."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cnkz
from cnkz.tables import TABLES

from .conftest import ROOT, rehash, set_cell

RSCRIPT = shutil.which("Rscript")
NO_RSCRIPT = "Rscript is not installed (apt-get install r-base-core r-cran-readr r-cran-jsonlite; CI does)"
# Under CI (CNKZ_CI=1, set by .ci/run, which installs R) a missing Rscript fails these tests instead of skipping them.
pytestmark = pytest.mark.skipif(RSCRIPT is None and not os.environ.get("CNKZ_CI"), reason=NO_RSCRIPT)


def rscript(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert RSCRIPT is not None
    return subprocess.run([RSCRIPT, "--vanilla", *args], cwd=cwd, capture_output=True, text=True, check=False)


def python_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def json_value(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def test_r_loads_every_table_with_its_types_and_agrees_with_python(tmp_path: Path) -> None:
    result = rscript("tests/test_load.R", str(ROOT), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {len(TABLES)} tables")
    expected = cnkz.load(ROOT, format="csv")
    for table in TABLES:
        dumped = json.loads((tmp_path / f"{table.name}.json").read_text(encoding="utf-8"))
        assert list(dumped) == table.columns
        for column in table.columns:
            ours = [python_value(v) for v in expected[table.name][column].astype(object)]
            assert [json_value(v) for v in dumped[column]] == ours, (table.name, column)


@pytest.mark.parametrize(("table", "column", "value", "message"), [
    ("events", "date_inferred", "yes", 'field date_inferred: "yes" is not a boolean of the descriptor'),
    ("events", "event_type", "banquet", "events.csv, line 3, field event_type: expected value in level set, found banquet"),
    ("pledges", "deadline", "2015.5", "pledges.csv, line 3, field deadline: expected an integer, found 2015.5"),
])
def test_r_loader_stops_on_a_value_of_the_wrong_type(repo: Path, table: str, column: str, value: str, message: str) -> None:
    set_cell(repo, table, 1, column, value)  # the second data row: line 3 of the file
    rehash(repo)
    result = rscript("-e", f'source("{ROOT / "scripts" / "load.R"}"); read_cnkz("datapackage.json")', cwd=repo)
    assert result.returncode != 0
    assert message in result.stderr


def test_r_example_prints_the_same_report_as_python(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    r = rscript("examples/trade_pledges.R")
    assert r.returncode == 0, r.stderr
    # The Python example as a script, in this process (tests/test_load.py runs it as its own command).
    monkeypatch.chdir(ROOT)
    runpy.run_path("examples/trade_pledges.py", run_name="__main__")
    assert r.stdout == capsys.readouterr().out


def test_r_checks_hashes_where_r_can(repo: Path) -> None:
    set_cell(repo, "figures", 11, "value", "410000000000")
    result = rscript("-e", f'source("{ROOT / "scripts" / "load.R"}"); cat(read_cnkz("datapackage.json")$figures$value[12])', cwd=repo)
    has_sha256 = rscript("-e", 'cat(exists("sha256sum", envir = asNamespace("tools")))').stdout == "TRUE"
    if has_sha256:
        assert result.returncode != 0
        assert "figures.csv: sha256 is sha256:" in result.stderr and "download the dataset again" in result.stderr
    else:
        # R before 4.5 has no sha256 in base; the loader then reads unchecked, as its comment says.
        assert result.returncode == 0 and result.stdout == "4.1e+11"


def release_archives() -> list[Path]:
    """The first and the newest published release."""
    index = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
    versions = sorted(index, key=lambda v: tuple(int(x) for x in v.split(".")))
    return [ROOT / "releases" / index[v]["archive"] for v in dict.fromkeys([versions[0], versions[-1]])]


@pytest.mark.parametrize("archive", release_archives(), ids=lambda p: p.name)
def test_r_readr_and_frictionless_routes_read_a_release_as_cnkz_load_does(archive: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "unpacked")
    (folder,) = list((tmp_path / "unpacked").iterdir())
    # Releases before 2.0.0 do not carry scripts/load.R; the repository's copy reads them.
    load_r = folder / "scripts" / "load.R" if (folder / "scripts" / "load.R").exists() else ROOT / "scripts" / "load.R"
    result = rscript("tests/dump_package.R", str(folder), str(load_r), str(tmp_path / "dump"))
    assert result.returncode == 0, result.stderr
    expected = cnkz.load(archive, format="csv")
    for route in ("readr", "frictionless"):
        dumped_tables = sorted(p.stem for p in (tmp_path / "dump" / route).iterdir())
        assert dumped_tables == sorted(expected), route
        for name, frame in expected.items():
            dumped = json.loads((tmp_path / "dump" / route / f"{name}.json").read_text(encoding="utf-8"))
            assert list(dumped) == list(frame.columns), (route, name)
            for column in frame.columns:
                ours = [python_value(v) for v in frame[column].astype(object)]
                assert [json_value(v) for v in dumped[column]] == ours, (route, name, column)
