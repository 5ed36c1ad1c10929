"""seeds + curation -> resources/ and datapackage.json, published only after validation passed."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from .audit import check_coverage
from .curation import Document, Rows, curate
from .descriptor import changelog_date, dumps, package_descriptor, project_version
from .docs import check_docs
from .errors import BuildError, CnkzError, Problem, ValidationFailed
from .files import to_csv_bytes, to_parquet_bytes
from .safety import clean_leftovers, locked, read_regular, staging, write_atomically
from .stale import stale_problems
from .tables import TABLES, TABLES_BY_NAME
from .validate import LAYERS, Layer, PackageUnderCheck, validate

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
    # Regular files only, within the cap: a link or device in seeds/ (from an untrusted contribution) is not followed.
    if (root / "seeds").is_symlink():
        raise BuildError("seeds/ is a link; source texts must be regular files in the repository's own seeds/ folder", file="seeds")
    for seed in sorted((root / "seeds").rglob("*")):
        if seed.is_dir() and not seed.is_symlink():
            continue
        target = staging / seed.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if seed.is_symlink():
            raise BuildError("a link in seeds/; source texts must be regular files", file=str(seed.relative_to(root)))
        target.write_bytes(read_regular(seed, "the source text", BuildError))


LOCK = ".cnkz.lock"
JOURNAL = ".publish-journal"
STAGING = ".build-"
PREVIOUS = ".resources-previous"


def locate_in_curation(root: Path, rows: Rows, problems: list[Problem]) -> list[Problem]:
    """Each problem in a row the build made from a curation record, with the record's file:line:column and key as advice
    (`curation/<file>.yaml:<line>:<column> (<record>), key <key>`): the place to fix it, since the tables are generated."""
    from functools import cache

    from .curation import load_yaml_positions
    from .stale import record_location

    parse = cache(load_yaml_positions)
    located = []
    for problem in problems:
        name = Path(problem.table).stem.removesuffix("-parquet") if problem.table.startswith("resources/") else problem.table.removesuffix("-parquet")
        first = problem.row.split(" ")[0]
        table = TABLES_BY_NAME.get(name)
        if table is None or not first.isdigit() or not 2 <= int(first) < len(rows.get(name, [])) + 2:
            located.append(problem)
            continue
        row = {k: "" if v is None else str(v) for k, v in rows[name][int(first) - 2].items()}
        where = record_location(root, table, row, problem.column, parse)
        if not where.startswith("curation/") or where == "curation/*.yaml":
            located.append(problem)
            continue
        advice = f"this row comes from {where}: make the change there, then run `cnkz build` again"
        located.append(dataclasses.replace(problem, advice=f"{problem.advice}; {advice}" if problem.advice else advice))
    return located


def build(root: Path) -> dict[str, bytes]:
    """Render, validate in a staging folder, then publish; one build at a time, an interrupted publish finished first.
    A problem in a row made from a curation record names that record's file:line:column and key (locate_in_curation)."""
    root = Path(root)
    with locked(root / LOCK, "the build", BuildError):
        recover(root)
        curated = curate(root)
        files = render(root, curated)
        # Kept on the way out: once the journal names it, only `recover` may remove it.
        with staging(root, STAGING, keep=True) as staged:
            try:
                stage(root, files, staged)
                problems = validate(staged)
                if problems:
                    raise ValidationFailed(locate_in_curation(root, curated[0], problems))
                publish(staged, root)
            finally:
                if not (root / JOURNAL).exists():
                    shutil.rmtree(staged, ignore_errors=True)
    return files


def publish(staging: Path, root: Path) -> None:
    """Swap in the staged resources/ and descriptor through a journal, so a crash at any point is finished by `recover`.

    The journal is written (and synced) before the first rename and removed after the last; the renames
    are idempotent steps that `recover` repeats from whatever state a crash left.
    """
    write_atomically(root / JOURNAL, json.dumps({"staging": staging.name}).encode("utf-8"))
    _finish(root, staging)


def recover(root: Path) -> list[str]:
    """Finish a publish a crash interrupted, and remove what crashed builds left; returns what was done."""
    done = []
    journal = root / JOURNAL
    if journal.exists():
        try:
            name = json.loads(journal.read_bytes())["staging"]
        except (OSError, ValueError, KeyError, TypeError):
            name = None
        staged = root / name if isinstance(name, str) and name.startswith(STAGING) and "/" not in name else None
        if staged is not None and ((staged / "datapackage.json").exists() or (staged / "resources").exists()):
            _finish(root, staged)
            done.append(f"finished the publish interrupted in {name}")
        else:
            # Nothing staged is left to move: the publish had completed all its renames.
            _cleanup(root, None)
            done.append("removed a journal whose publish had completed")
    elif (root / PREVIOUS).exists():
        shutil.rmtree(root / PREVIOUS)
        done.append(f"removed {PREVIOUS} left by an interrupted publish")
    done += [f"removed {name} left by a crashed build" for name in clean_leftovers(root, STAGING, grace=0)]
    return done


def _finish(root: Path, staged: Path) -> None:
    resources, descriptor = root / "resources", root / "datapackage.json"
    if (staged / "resources").exists():
        if resources.exists() and not (root / PREVIOUS).exists():
            os.replace(resources, root / PREVIOUS)
        elif resources.exists():
            shutil.rmtree(resources)  # the old copy is already in PREVIOUS
        os.replace(staged / "resources", resources)
    if (staged / "datapackage.json").exists():
        os.replace(staged / "datapackage.json", descriptor)
    _cleanup(root, staged)


def _cleanup(root: Path, staged: Path | None) -> None:
    (root / JOURNAL).unlink(missing_ok=True)  # the publish is complete from here
    if (root / PREVIOUS).exists():
        shutil.rmtree(root / PREVIOUS)
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)


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
def check_curation(package: PackageUnderCheck) -> list[Problem]:
    """A fresh build equals the published files, and the coverage audit: one curation of the repository for both."""
    try:
        curated = curate(package.root)
    except CnkzError:
        return check_rebuild(package.root) + check_coverage(package.root)  # each reports the error in its own words
    return check_rebuild(package.root, curated) + check_coverage(package.root, curated[1])


def check_documents(package: PackageUnderCheck) -> list[Problem]:
    """The generated documents (CITATION.cff, the codebook, CURATION.md's vocabularies, the metadata files) are what `cnkz docs`
    writes, and docs/figures what `cnkz figures` draws from the published tables (figures.check_figures)."""
    from .figures import check_figures

    return check_docs(package.root) + check_figures(package.root)


REPOSITORY_CHECKS: list[Layer] = [check_curation, check_documents]


def repository_layers(root: Path, layers: list[Layer] = LAYERS) -> list[Layer]:
    """`layers`, plus the rebuild, coverage and docs checks when `root` is the repository (it has curation/)."""
    return [*layers, *REPOSITORY_CHECKS] if (Path(root) / "curation").is_dir() else list(layers)


def validate_repository(root: Path, layers: list[Layer] = LAYERS) -> list[Problem]:
    """validate() with the repository checks when they apply."""
    return validate(root, repository_layers(root, layers))
