"""The README's loading blocks, taken from the README itself and run exactly as written from a copy of the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
