"""The R route under a real Rscript: scripts/load.R, its own test, and agreement with cnkz.load."""

from __future__ import annotations

import hashlib
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

from .conftest import LATEST_ARCHIVE, ROOT, rehash, set_cell

RSCRIPT = shutil.which("Rscript")
NO_RSCRIPT = "Rscript is not installed (apt-get install r-base-core r-cran-readr r-cran-jsonlite r-cran-openssl; CI does)"
# Under CI (CNKZ_CI=1, set by .ci/run, which installs R) a missing Rscript fails these tests instead of skipping them.
pytestmark = pytest.mark.skipif(RSCRIPT is None and not os.environ.get("CNKZ_CI"), reason=NO_RSCRIPT)


def rscript(*args: str, cwd: Path = ROOT, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    assert RSCRIPT is not None
    return subprocess.run([RSCRIPT, "--vanilla", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)


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


# The loader's checks: nothing is read from a package whose structure, sizes or hashes are not as published.
LOAD = f'source("{ROOT / "scripts" / "load.R"}"); tables <- read_cnkz("datapackage.json")'
TRADE_2023 = ",41000000000,"  # figures: trade reached 41 billion USD in 2023


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """Stopped with exactly this one-line error, having printed nothing."""
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr == f"Error: {message}; download the release again\nExecution halted\n"


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the published package: the descriptor and its resources."""
    folder = tmp_path / "package"
    folder.mkdir()
    shutil.copy2(ROOT / "datapackage.json", folder)
    shutil.copytree(ROOT / "resources", folder / "resources")
    return folder


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """The newest published release, unpacked: with its SHA256SUMS."""
    with zipfile.ZipFile(ROOT / "releases" / LATEST_ARCHIVE) as z:
        z.extractall(tmp_path / "unpacked")
    (folder,) = list((tmp_path / "unpacked").iterdir())
    return folder


def test_r_loads_a_pristine_copy_of_the_package(package: Path) -> None:
    result = rscript("-e", f'{LOAD}; cat(nrow(tables$places), format(tables$figures$value[tables$figures$value == 41e9]))', cwd=package)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{len(cnkz.load_table('places', ROOT))} 4.1e+10"


@pytest.mark.parametrize(("new", "size"), [(",99000000000,", "same size"), (",410000000000,", "one byte more")])
def test_r_refuses_a_tampered_csv_whose_hashes_were_not_recomputed(package: Path, new: str, size: str) -> None:
    figures = package / "resources" / "figures.csv"
    published, declared, data = sha256(figures), figures.stat().st_size, figures.read_bytes()
    assert data.count(TRADE_2023.encode()) == 1
    figures.write_bytes(data.replace(TRADE_2023.encode(), new.encode()))
    result = rscript("-e", LOAD, cwd=package)
    if size == "same size":
        refused(result, f"resources/figures.csv: sha256 is {sha256(figures)}, expected {published}, the hash in datapackage.json")
    else:
        refused(result, f"resources/figures.csv: {declared + 1} bytes, expected {declared} bytes, the size in datapackage.json")


@pytest.mark.parametrize("link", ["resources/places.csv", "resources"])
def test_r_refuses_a_symlink_even_to_the_published_bytes(package: Path, tmp_path: Path, link: str) -> None:
    # The link leads to an identical copy outside the package, so only the link itself can be what is refused.
    target = tmp_path / "elsewhere" / Path(link).name
    target.parent.mkdir()
    (package / link).rename(target)
    (package / link).symlink_to(target)
    result = rscript("-e", LOAD, cwd=package)
    expected = "a regular file" if link.endswith(".csv") else "a folder"
    refused(result, f'{link}: a symbolic link to "{target}", expected {expected}')


def test_r_refuses_a_fifo_without_opening_it(package: Path) -> None:
    places = package / "resources" / "places.csv"
    places.unlink()
    os.mkfifo(places)
    result = rscript("-e", LOAD, cwd=package, timeout=60)  # opening a FIFO with no writer would wait for ever
    refused(result, "resources/places.csv: not a regular file (a folder, FIFO, device or empty file), expected a regular file")


@pytest.mark.parametrize("declared", [None, "3a6d1d11dbc81835b0aae54638e5bc79", "md5:3a6d1d11dbc81835b0aae54638e5bc79", "sha256:3a6d"])
def test_r_refuses_a_csv_resource_without_a_sha256(package: Path, declared: str | None) -> None:
    # Without an algorithm, a Data Package hash is MD5: not a check against tampering, so not accepted either.
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    (figures,) = [r for r in descriptor["resources"] if r["name"] == "figures"]
    if declared is None:
        del figures["hash"]
    else:
        figures["hash"] = declared
    (package / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    shown = "no hash" if declared is None else f'hash "{declared}"'
    refused(rscript("-e", LOAD, cwd=package), f'datapackage.json: resource figures has {shown}, expected "sha256:" and 64 hex digits')


INSIDE = (
    'expected a relative path inside the package (no empty, "." or ".." segment, no backslash, colon or control character, '
    'no leading "/" or "~")'
)


@pytest.mark.parametrize(("path", "shown"), [
    ("resources/../../outside/places.csv", None),
    ("../outside/places.csv", None),
    ("OUTSIDE", None),  # the absolute path of the copy outside the package
    ("~/places.csv", None),
    ("resources//places.csv", None),
    ("./resources/places.csv", None),
    ("resources/./places.csv", None),
    ("resources/", None),
    ("", None),
    ("resources\\places.csv", '"resources\\\\places.csv"'),
    ("resources/places.csv\n", '"resources/places.csv\\n"'),
    ("resources/places\x01.csv", '"resources/places\\001.csv"'),
    ("file:///etc/passwd", None),
], ids=repr)
def test_r_refuses_a_resource_path_that_is_not_inside_the_package(package: Path, tmp_path: Path, path: str, shown: str | None) -> None:
    # A copy of places.csv outside the package, with its hash in the descriptor: only the path can be what is refused.
    outside = tmp_path / "outside" / "places.csv"
    outside.parent.mkdir()
    shutil.copy2(package / "resources" / "places.csv", outside)
    path = str(outside) if path == "OUTSIDE" else path
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    (places,) = [r for r in descriptor["resources"] if r["name"] == "places"]
    places["path"], places["hash"] = path, f"sha256:{sha256(outside)}"
    (package / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    result = rscript("-e", LOAD, cwd=package)
    refused(result, f"datapackage.json: resource places has path {shown or json.dumps(path)}, {INSIDE}")


def tamper_with_figures(folder: Path) -> None:
    """figures.csv changed and the descriptor's hash recomputed to match: what SHA256SUMS is there to catch."""
    figures = folder / "resources" / "figures.csv"
    data = figures.read_bytes()
    assert data.count(TRADE_2023.encode()) == 1
    figures.write_bytes(data.replace(TRADE_2023.encode(), b",99000000000,"))
    rehash(folder)


def relist(folder: Path, path: str) -> None:
    """SHA256SUMS's line for path recomputed."""
    sums = folder / "SHA256SUMS"
    lines = [f"{sha256(folder / path)}  {path}" if line.endswith(f"  {path}") else line for line in sums.read_text(encoding="utf-8").splitlines()]
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sums_line(folder: Path, path: str) -> str:
    (line,) = [line for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines() if line.endswith(f"  {path}")]
    return line


@pytest.mark.parametrize("case", ["descriptor rehashed", "descriptor relisted", "unlisted", "malformed", "symlink"])
def test_r_checks_an_unpacked_release_against_its_sha256sums(release: Path, tmp_path: Path, case: str) -> None:
    figures = "resources/figures.csv"
    published = sums_line(release, figures)[:64]
    if case == "descriptor rehashed":
        listed = sums_line(release, "datapackage.json")[:64]
        tamper_with_figures(release)
        message = f"datapackage.json: sha256 is {sha256(release / 'datapackage.json')}, expected {listed}, the hash in SHA256SUMS"
    elif case == "descriptor relisted":
        tamper_with_figures(release)
        relist(release, "datapackage.json")
        message = f"{figures}: sha256 is {sha256(release / figures)}, expected {published}, the hash in SHA256SUMS"
    elif case == "unlisted":
        sums = release / "SHA256SUMS"
        sums.write_text(sums.read_text(encoding="utf-8").replace(sums_line(release, figures) + "\n", ""), encoding="utf-8")
        message = f"SHA256SUMS: no line for {figures}, expected a line for every file the loader reads"
    elif case == "malformed":
        sums = release / "SHA256SUMS"
        sums.write_text(sums.read_text(encoding="utf-8").replace(f"  {figures}\n", f"  ../{figures}\n"), encoding="utf-8")
        number = sums.read_text(encoding="utf-8").splitlines().index(f"{published}  ../{figures}") + 1
        message = f'SHA256SUMS, line {number}: "{published}  ../{figures}", expected "<sha256>  <relative path>"'
    else:
        target = tmp_path / "SHA256SUMS"
        (release / "SHA256SUMS").rename(target)
        (release / "SHA256SUMS").symlink_to(target)
        message = f'SHA256SUMS: a symbolic link to "{target}", expected a regular file'
    refused(rscript("-e", LOAD, cwd=release), message)


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
    # This repository's scripts/load.R (which checks the release against its SHA256SUMS) reads every release;
    # the copy a release carries (from 2.0.0) must read its own release too.
    loaders = [f"readr={ROOT / 'scripts' / 'load.R'}"]
    if (folder / "scripts" / "load.R").exists():
        loaders.append(f"readr-release={folder / 'scripts' / 'load.R'}")
    result = rscript("tests/dump_package.R", str(folder), str(tmp_path / "dump"), *loaders)
    assert result.returncode == 0, result.stderr
    expected = cnkz.load(archive, format="csv")
    for route in [loader.split("=")[0] for loader in loaders] + ["frictionless"]:
        dumped_tables = sorted(p.stem for p in (tmp_path / "dump" / route).iterdir())
        assert dumped_tables == sorted(expected), route
        for name, frame in expected.items():
            dumped = json.loads((tmp_path / "dump" / route / f"{name}.json").read_text(encoding="utf-8"))
            assert list(dumped) == list(frame.columns), (route, name)
            for column in frame.columns:
                ours = [python_value(v) for v in frame[column].astype(object)]
                assert [json_value(v) for v in dumped[column]] == ours, (route, name, column)
