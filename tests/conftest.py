"""Fixtures: real copies of the repository's package, to break one thing at a time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cnkz.descriptor import changelog_date, project_version
from cnkz.errors import Problem

ROOT = Path(__file__).resolve().parent.parent
# The version in pyproject.toml and its CHANGELOG date: tests of releases and downloads use it.
VERSION = project_version(ROOT)
RELEASE_DATE = changelog_date(ROOT, VERSION)
NEXT_PATCH = ".".join([*VERSION.split(".")[:2], str(int(VERSION.split(".")[2]) + 1)])
NEXT_MAJOR = f"{int(VERSION.split('.')[0]) + 1}.0.0"
ARCHIVE = f"china-kazakhstan-engagements-{VERSION}.zip"
# The newest published release, as releases/index.json records it.
_INDEX = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
LATEST = max(_INDEX, key=lambda v: tuple(int(part) for part in v.split(".")))
LATEST_ARCHIVE = _INDEX[LATEST]["archive"]
PACKAGE_PARTS = (
    "pyproject.toml", "CHANGELOG.md", "CITATION.cff", "releases", "CURATION.md", "README.md", "docs", "seeds", "curation", "resources", "datapackage.json",
    "croissant.json", ".zenodo.json", "scripts", "LICENSE", "LICENSE-DATA", "src",
)


def copy_repo(target: Path, parts: tuple[str, ...] = PACKAGE_PARTS) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in parts:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / part)
    return target


# The modules of end-to-end tests: whole releases and downloads, the fault table in both modes, the browser, R, fuzzing,
# synthetic packages and commands run as a user runs them. `pytest -m "not slow"` runs the rest, the fast set.
SLOW_MODULES = frozenset({
    "test_faults", "test_tamperer", "test_release", "test_downloads", "test_cli", "test_fuzz", "test_curation", "test_site",
    "test_r", "test_browser", "test_synthetic", "test_readme", "test_publish", "test_hostile_files", "test_hostile_fetch",
    "test_figures", "test_diff", "test_new_document", "test_datamodel", "test_security_round3",
})


def pytest_configure(config: pytest.Config) -> None:
    # The run's own cache folder (downloads, compiled SQL), never the user's ~/.cache: made by the controlling process before
    # the workers start, so that they and every command they run share it, and removed at the end.
    if not hasattr(config, "workerinput") and "CNKZ_CACHE" not in os.environ:
        os.environ["CNKZ_CACHE"] = config._cnkz_cache = tempfile.mkdtemp(prefix="cnkz-test-cache-")  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "_cnkz_cache"):
        shutil.rmtree(config._cnkz_cache, ignore_errors=True)
        del os.environ["CNKZ_CACHE"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's data, curation and published package."""
    return copy_repo(tmp_path / "repo")


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def set_cell(package: Path, table: str, row: int, column: str, value: str) -> str:
    """Set one CSV cell (row 0 = first data row) and return the row's first column."""
    path = package / "resources" / f"{table}.csv"
    rows = read_rows(path)
    rows[row + 1][rows[0].index(column)] = value
    write_rows(path, rows)
    return rows[row + 1][0]


def rehash(package: Path) -> None:
    """Make the descriptor's bytes and hash agree with the files again, so only the fault under test remains."""
    path = package / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        file = package / resource["path"]
        if ".." in Path(resource["path"]).parts or Path(resource["path"]).is_absolute() or not file.is_file():
            continue  # never follow a path out of the package, even in a test helper
        data = file.read_bytes()
        resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
        if "bytes" in resource:
            resource["bytes"] = len(data)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def find(problems: list[Problem], check: str, table: str | None = None, column: str | None = None) -> list[Problem]:
    return [
        p for p in problems
        if p.check == check and (table is None or p.table == table) and (column is None or p.column == column)
    ]
