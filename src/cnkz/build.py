"""seeds + curation -> resources/ and datapackage.json, published only after validation passed."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .audit import check_coverage
from .curation import Document, Rows, curate
from .descriptor import changelog_date, dumps, package_descriptor, project_version
from .docs import check_docs
from .errors import CnkzError, Problem, ValidationFailed
from .files import to_csv_bytes, to_parquet_bytes
from .stale import stale_problems
from .tables import TABLES
from .validate import LAYERS, Layer, Package, validate

PUBLISHED = ("datapackage.json", "resources")


def render(root: Path, curated: tuple[Rows, list[Document]] | None = None) -> dict[str, bytes]:
    """Every published file as bytes, keyed by its path in the package. Pure given the inputs (`curated`: curate(root), if done)."""
    rows, _ = curated or curate(root)
    version = project_version(root)
    created = changelog_date(root, version)
    files: dict[str, bytes] = {}
    for table in TABLES:
        files[f"resources/{table.name}.csv"] = to_csv_bytes(table, rows[table.name])
        files[f"resources/{table.name}.parquet"] = to_parquet_bytes(table, rows[table.name])
    files["datapackage.json"] = dumps(package_descriptor(version, created, rows["sources"], files))
    return files


def write_files(target: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def stage(root: Path, files: dict[str, bytes], staging: Path) -> None:
    """A complete package in `staging`: the new files plus the seeds they cite."""
    write_files(staging, files)
    shutil.copytree(root / "seeds", staging / "seeds")


def build(root: Path) -> dict[str, bytes]:
    """Render, validate in a temporary directory, then move the files into place."""
    root = Path(root)
    files = render(root)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=root) as tmp:
        staging = Path(tmp)
        stage(root, files, staging)
        problems = validate(staging)
        if problems:
            raise ValidationFailed(problems)
        publish(staging, root)
    return files


def publish(staging: Path, root: Path) -> None:
    """Swap the staged resources/ in whole, then the descriptor; the old copy goes last."""
    old = root / ".resources-previous"
    if old.exists():
        shutil.rmtree(old)
    if (root / "resources").exists():
        os.replace(root / "resources", old)
    os.replace(staging / "resources", root / "resources")
    os.replace(staging / "datapackage.json", root / "datapackage.json")
    if old.exists():
        shutil.rmtree(old)


def check_rebuild(root: Path, curated: tuple[Rows, list[Document]] | None = None) -> list[Problem]:
    """The published files equal a fresh build from seeds/ and curation/."""
    try:
        files = render(root, curated)
    except CnkzError as exc:
        return [Problem("rebuild", "curation", "", "", "curation that builds", str(exc))]
    problems = []
    for relative, data in sorted(files.items()):
        path = root / relative
        if not path.is_file():
            problems.append(Problem("stale", relative, "", "", "the file a fresh build writes", "no file"))
        elif (published := path.read_bytes()) != data:
            problems += stale_problems(root, relative, published, data)
    return problems


# The checks that need the repository (curation/, docs), composed with validate's layers by the CLI and release.
def check_curation(package: Package) -> list[Problem]:
    """A fresh build equals the published files, and the coverage audit: one curation of the repository for both."""
    try:
        curated = curate(package.root)
    except CnkzError:
        return check_rebuild(package.root) + check_coverage(package.root)  # each reports the error in its own words
    return check_rebuild(package.root, curated) + check_coverage(package.root, curated[1])


REPOSITORY_CHECKS: list[Layer] = [check_curation, lambda package: check_docs(package.root)]


def repository_layers(root: Path, layers: list[Layer] = LAYERS) -> list[Layer]:
    """`layers`, plus the rebuild, coverage and docs checks when `root` is the repository (it has curation/)."""
    return [*layers, *REPOSITORY_CHECKS] if (Path(root) / "curation").is_dir() else list(layers)


def validate_repository(root: Path, layers: list[Layer] = LAYERS) -> list[Problem]:
    """validate() with the repository checks when they apply."""
    return validate(root, repository_layers(root, layers))
