"""Reproducible release archives, guarded by version discipline, immutability and the data diff."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .build import REPOSITORY_CHECKS, build
from .descriptor import PACKAGE_NAME, changelog_date, project_version
from .diff import LEVELS, Diff, bump_level, diff, load_snapshot
from .errors import BuildError, ReleaseError, ValidationFailed
from .limits import parse_json
from .metadata import write_metadata
from .safety import locked, read_regular, write_atomically
from .tables import TABLES
from .validate import check_frictionless, validate

# What an archive holds. 1: the package, seeds and docs (1.x). 2: also scripts/load.R, the code licence, the
# site, and a README on validating and installing. A recorded version is always rebuilt with its own layout.
LAYOUT = 2

RELEASES = "releases"
LOCK = ".cnkz.lock"  # the build's lock: a release builds, so both take turns with any other build
INDEX = "index.json"
# What a release is about to add to releases/ (files and their sha256, and the index that lists them), written before the
# first of them: a release killed part-way is finished (or, when a file never arrived, undone) by the next `cnkz release`.
JOURNAL = ".release-journal.json"
DATA_LICENSE_TEXT = """The data in this package (datapackage.json and resources/) are licensed under the
Creative Commons Attribution 4.0 International licence (CC-BY-4.0):
https://creativecommons.org/licenses/by/4.0/legalcode

Attribute as: China–Kazakhstan high-level engagements, version {version}
(see CITATION.cff).

The source texts in seeds/ are the work of their outlets and are not covered by this
licence; they are included only so that every quote in the data can be verified.
"""


def archive_name(version: str) -> str:
    return f"{PACKAGE_NAME}-{version}"


def _readme_head(version: str, date: str, counts: dict[str, int]) -> str:
    """What every downloader's README opens with: the release, what a row carries, the tables and their sizes."""
    rows = "\n".join(f"| `{t.name}` | {counts[t.name]} | {t.description} |" for t in TABLES)
    return f"""# China–Kazakhstan high-level engagements {version}

Released {date}. Meetings, visits and talks between Chinese and Kazakh leaders, their
participants, the pledges made and the figures quoted, curated from news reports. Every row
carries the exact words of its source text (`quote`) and their offsets (`char_start`,
`char_end`) in the text under `seeds/`.

| table | rows | one row per |
|---|---|---|
{rows}

"""


def dataset_readme(version: str, date: str, counts: dict[str, int]) -> str:
    return _readme_head(version, date, counts) + """Each table is in `resources/` as CSV and as Parquet. `datapackage.json` describes every column
(types, constraints, vocabularies, keys); `codebook.md` explains them. Check the files with
`sha256sum -c SHA256SUMS`, and the whole package with `cnkz validate .`.

Load in Python: `pandas.read_parquet("resources/events.parquet")`; in R:
`arrow::read_parquet("resources/events.parquet")` or `readr::read_csv` with the column types from
`datapackage.json` (read `cameo_code` as text).

Cite: see `CITATION.cff`. Licence: CC-BY-4.0 for the data (see `LICENSE`).
"""


def _sha256sums(members: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items())).encode("utf-8")


def _common_members(root: Path, version: str) -> tuple[dict[str, bytes], dict[str, int]]:
    """The descriptor, its resources, the cited seeds and the docs every layout holds; and the rows per table."""
    descriptor = json.loads((root / "datapackage.json").read_bytes())
    members: dict[str, bytes] = {"datapackage.json": (root / "datapackage.json").read_bytes()}
    for resource in descriptor["resources"]:
        members[resource["path"]] = (root / resource["path"]).read_bytes()
    snapshot = load_snapshot(root)
    for source in snapshot.rows["sources"].values():
        members[source["path"]] = (root / source["path"]).read_bytes()
    members["CHANGELOG.md"] = (root / "CHANGELOG.md").read_bytes()
    members["CITATION.cff"] = (root / "CITATION.cff").read_bytes()
    members["codebook.md"] = (root / "docs" / "codebook.md").read_bytes()
    members["LICENSE"] = DATA_LICENSE_TEXT.format(version=version).encode("utf-8")
    return members, {t.name: len(snapshot.rows[t.name]) for t in TABLES}


def package_members(root: Path, version: str, date: str) -> dict[str, bytes]:
    """Exactly the files a release of layout 1 holds: the descriptor's resources, the cited seeds, and the docs."""
    members, counts = _common_members(root, version)
    members["README.md"] = dataset_readme(version, date, counts).encode("utf-8")
    members["SHA256SUMS"] = _sha256sums(members)
    return members


def zip_bytes(members: dict[str, bytes], top: str, date: str) -> bytes:
    """A zip whose bytes depend only on the members: fixed order, timestamps and permissions."""
    year, month, day = (int(x) for x in date.split("-"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=(year, month, day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()


def dataset_readme_v2(version: str, date: str, counts: dict[str, int], wheel: str, base: str | None) -> str:
    """The downloader's README from layout 2: what is inside, how to browse, validate, install and load."""
    if base:
        install = f"""With `cnkz`, the dataset's own package, which also checks every rule of the codebook and each
quote against its source text:

    python -m pip install {base}{RELEASES}/{wheel}
    cnkz validate ."""
    else:
        install = f"""With `cnkz`, the dataset's own package, which also checks every rule of the codebook and each
quote against its source text. Download `{wheel}` from the same place as this archive
and save it beside the archive, in the folder that holds this unpacked folder (not inside it: the
check would report it as a file the package does not list). Then, in this folder:

    python -m pip install ../{wheel}
    cnkz validate ."""
    return _readme_head(version, date, counts) + f"""Each table is in `resources/` as CSV and as Parquet. `datapackage.json` describes every column
(types, constraints, vocabularies, keys); `codebook.md` explains them. Open `site/index.html` in a
browser to look at every table and at each source text with its quotes highlighted (it works offline).

## Check the download

    sha256sum -c SHA256SUMS

With Frictionless (Python). Its Parquet support needs the `parquet` extra and pandas; without them
every Parquet resource is reported invalid with `Please install "frictionless[parquet]"`:

    python -m pip install "frictionless[parquet]" pandas
    frictionless validate datapackage.json

{install}

## Load

Python: `cnkz.load(".")` (typed tables, vocabularies as categoricals), or
`pandas.read_parquet("resources/events.parquet")`.

R: `source("scripts/load.R"); tables <- read_cnkz("datapackage.json")` (needs `readr` and
`jsonlite`), or the rOpenSci `frictionless` package:
`frictionless::read_resource(frictionless::read_package("datapackage.json"), "events")`
(CSV resources only; read Parquet with `arrow::read_parquet()`).

Cite: see `CITATION.cff`. Licences: CC-BY-4.0 for the data (`LICENSE`), MIT for the code in
`scripts/` and `site/` (`LICENSE-CODE`).
"""


def release_members(root: Path, version: str, date: str, layout: int, index: dict[str, dict[str, str]]) -> dict[str, bytes]:
    """The archive's files for a layout; from layout 2 also the R loader, the code licence and the site. Called by `release`
    only, after it validated `root` under its lock: the site does not validate it a second time."""
    if layout < 2:
        return package_members(root, version, date)
    from .metadata import base_url
    from .site import site_files

    members, counts = _common_members(root, version)
    members["README.md"] = dataset_readme_v2(version, date, counts, wheel_name(version), base_url(root)).encode("utf-8")
    members["scripts/load.R"] = (root / "scripts" / "load.R").read_bytes()
    members["LICENSE-CODE"] = (root / "LICENSE").read_bytes()
    # Only earlier releases: the site must not depend on anything published after this version.
    earlier = {v: entry for v, entry in index.items() if _key(v) < _key(version)}
    members.update({f"site/{name}": data for name, data in site_files(root, earlier, release=True, validated=True).items()})
    members["SHA256SUMS"] = _sha256sums(members)
    return members


def wheel_name(version: str) -> str:
    return f"cnkz-{version}-py3-none-any.whl"


def build_wheel(root: Path, date: str) -> bytes:
    """The wheel of the cnkz package in root, reproducible: built from a clean copy with a fixed timestamp."""
    import datetime as dt
    import shutil
    import subprocess
    import sys

    if not (root / "src" / "cnkz").is_dir() or not (root / "LICENSE").is_file():
        raise ReleaseError("cannot build the wheel: src/cnkz or LICENSE is missing; release from a clone of the repository", file=str(root))
    epoch = int(dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC).timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        work, out = Path(tmp) / "project", Path(tmp) / "wheel"
        shutil.copytree(root / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(root / name, work / name)
        code = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        result = subprocess.run([sys.executable, "-c", code, str(out)], cwd=work, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise ReleaseError(f"building the wheel failed ({last}); the release needs setuptools>=77 (pip install --group release)")
        return (out / result.stdout.strip().splitlines()[-1]).read_bytes()


def check_wheel_unpublished(root: Path, name: str, data: bytes) -> None:
    target = root / RELEASES / name
    if target.exists() and target.read_bytes() != data:
        raise ReleaseError(f"{name} exists in {RELEASES}/ with different bytes; a published version never changes", file=str(target))


@dataclass(frozen=True)
class Release:
    version: str
    path: Path
    sha256: str
    diff: Diff | None
    already_published: bool
    recovered: str | None = None  # what was done first about a release a crash interrupted


_VERSION = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_RELEASE_FILE = re.compile(rf"^(?:{re.escape(archive_name(''))}[0-9.]+\.zip|cnkz-[0-9.]+-py3-none-any\.whl)$")


def read_index(root: Path) -> dict[str, dict[str, str]]:
    """releases/index.json, checked: version -> {archive, sha256, date}; a malformed one is refused, never rewritten."""
    import datetime as dt

    path = root / RELEASES / INDEX
    where = f"{RELEASES}/{INDEX}"
    if not path.exists():
        return {}
    index = parse_json(read_regular(path, "the release index", ReleaseError), where, ReleaseError)
    if not isinstance(index, dict):
        raise ReleaseError("expected an object version -> {archive, sha256, date}; restore it from version control", file=where)
    for version, entry in index.items():
        if not _VERSION.match(version) or not isinstance(entry, dict) or not _SHA256.match(str(entry.get("sha256"))) \
                or entry.get("archive") != f"{archive_name(version)}.zip":
            raise ReleaseError(f"the entry for {version!r} is not {{archive: {archive_name('X.Y.Z')}.zip, sha256, date}}; "
                               "restore the file from version control", file=where, record=str(version)[:40])
        date = entry.get("date")
        try:
            if not isinstance(date, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date):
                raise ValueError
            dt.date.fromisoformat(date)  # and a day of the calendar: not 2026-02-30
        except ValueError:
            shown = repr(date) if len(repr(date)) <= 40 else repr(date)[:39] + "…"
            raise ReleaseError(f"the entry for {version!r} has date {shown}, not a date YYYY-MM-DD; restore the file from version control",
                               file=where, record=version) from None
    return index


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def published_archives(root: Path) -> dict[str, Path]:
    """Version -> archive for every release archive present in releases/, whatever the index says."""
    pattern = re.compile(re.escape(archive_name("")) + r"(.+)\.zip$")
    found = {}
    for path in (root / RELEASES).glob("*.zip") if (root / RELEASES).is_dir() else []:
        match = pattern.match(path.name)
        if match and _VERSION.match(match.group(1)):
            found[match.group(1)] = path
    return found


def previous_version(index: dict[str, dict[str, str]], version: str) -> str | None:
    earlier = [v for v in index if _key(v) < _key(version)]
    return max(earlier, key=_key) if earlier else None


def check_version_discipline(root: Path, version: str, date: str) -> None:
    descriptor = json.loads((root / "datapackage.json").read_bytes())
    if descriptor.get("version") != version:
        raise ReleaseError(f"datapackage.json has version {descriptor.get('version')}, pyproject.toml {version}; run `cnkz build`")


def check_citation(root: Path, version: str, date: str) -> None:
    """CITATION.cff (written by `cnkz docs`, not by the build) carries the version and its CHANGELOG date."""
    citation = (root / "CITATION.cff").read_text(encoding="utf-8") if (root / "CITATION.cff").exists() else ""
    if f"\nversion: {version}\n" not in citation or f"\ndate-released: {date}\n" not in citation:
        raise ReleaseError(f"CITATION.cff does not carry version {version} and date {date}; run `cnkz docs`", file="CITATION.cff")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` with `data`, never replacing a file that is there (the same bytes are fine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)
    try:
        os.link(handle.name, path)  # fails if the name exists: no window in which another file is replaced
    except FileExistsError:
        if path.read_bytes() != data:
            raise ReleaseError(f"{path.name} exists with different bytes; a published file is never replaced", file=str(path)) from None
    finally:
        os.unlink(handle.name)


def release(root: Path, dist: Path | None = None) -> Release:
    """Build, validate, and publish the archive for the version in pyproject.toml, or refuse."""

    root = Path(root)
    dist = dist or root / "dist"
    version = project_version(root)
    try:
        date = changelog_date(root, version)
    except BuildError as exc:
        raise ReleaseError(exc.message, file="CHANGELOG.md") from None
    with locked(root / LOCK, "the release", ReleaseError):
        recovered = recover_release(root)
        check_releases_folder(root, read_index(root), version)  # refused before anything is built
        check_citation(root, version, date)
        build(root)  # validates the staged package with every layer of our own before publishing it
        check_version_discipline(root, version, date)
        write_metadata(root)  # croissant.json and .zenodo.json carry the checksums the build just wrote
        # Then, once: Frictionless's second opinion, and the repository checks (a fresh build, coverage, docs).
        problems = validate(root, [check_frictionless, *REPOSITORY_CHECKS])
        if problems:
            raise ValidationFailed(problems)
        return dataclasses.replace(_publish_release(root, dist, version, date, archive_name(version)), recovered=recovered)


def check_releases_folder(root: Path, index: dict[str, dict[str, str]], version: str) -> None:
    """What releases/ holds agrees with its index, `version` is new and above the latest or already published, and the
    previous release's archive has the index's sha256: all known before building, so a refusal here builds nothing."""
    present = published_archives(root)
    unindexed = sorted(set(present) - set(index), key=_key)
    if unindexed:
        raise ReleaseError(f"releases/ holds {', '.join(present[v].name for v in unindexed)} but {RELEASES}/{INDEX} does not list "
                           f"{'it' if len(unindexed) == 1 else 'them'}; restore {INDEX} from version control (a published file is never replaced)",
                           file=f"{RELEASES}/{INDEX}")
    latest = max(index, key=_key, default=None)
    if version not in index and latest is not None and _key(version) <= _key(latest):
        raise ReleaseError(f"version {version} is not above the latest release {latest}; versions only go up. "
                           f"Set version {required_version(latest, 'patch')} or higher in pyproject.toml", file="pyproject.toml")
    previous = previous_version(index, version)
    if previous:
        old_archive = root / RELEASES / index[previous]["archive"]
        if not old_archive.is_file() or hashlib.sha256(old_archive.read_bytes()).hexdigest() != index[previous]["sha256"]:
            raise ReleaseError(f"the archive of {previous} is missing or does not have the sha256 in {INDEX}; the diff against it "
                               "would mean nothing. Restore releases/ from version control", file=str(old_archive.relative_to(root)))


def _publish_release(root: Path, dist: Path, version: str, date: str, top: str) -> Release:
    index = read_index(root)  # as checked by check_releases_folder, under the same lock
    recorded = index.get(version)
    layout = int(recorded.get("layout", 1)) if recorded else LAYOUT
    data = zip_bytes(release_members(root, version, date, layout, index), top, date)
    digest = hashlib.sha256(data).hexdigest()
    if recorded and recorded["sha256"] != digest:
        raise ReleaseError(
            f"version {version} was released with sha256 {recorded['sha256']}; this build gives {digest}. "
            "A published version never changes: bump the version in pyproject.toml and add a CHANGELOG entry",
            file=f"{RELEASES}/{INDEX}",
        )
    target = dist / f"{top}.zip"
    if target.exists() and target.read_bytes() != data:
        raise ReleaseError(f"{target.name} exists with different bytes; a published version never changes", file=str(target))

    change = None
    previous = previous_version(index, version)
    if previous:
        old_archive = root / RELEASES / index[previous]["archive"]
        with tempfile.TemporaryDirectory() as tmp:
            new_archive = Path(tmp) / f"{top}.zip"
            new_archive.write_bytes(data)
            change = diff(load_snapshot(old_archive), load_snapshot(new_archive))
        bump = bump_level(previous, version)
        if LEVELS.index(bump) < LEVELS.index(change.level):
            raise ReleaseError(
                f"the data changed at {change.level} level since {previous}, but {previous} -> {version} is a {bump} bump; "
                f"use version {required_version(previous, change.level)} or higher"
            )

    published = recorded is not None
    wheel = None if published or layout < 2 else build_wheel(root, date)
    if wheel is not None:
        check_wheel_unpublished(root, wheel_name(version), wheel)
    write_atomically(target, data)
    if not published:
        files = {f"{top}.zip": data}
        index[version] = {"archive": f"{top}.zip", "sha256": digest, "date": date}
        if wheel is not None:
            write_atomically(dist / wheel_name(version), wheel)
            files[wheel_name(version)] = wheel
            index[version] |= {"layout": str(layout), "wheel": wheel_name(version), "wheel_sha256": hashlib.sha256(wheel).hexdigest()}
        ordered = dict(sorted(index.items(), key=lambda item: _key(item[0])))
        publish_files(root, files, ordered)
    return Release(version, target, digest, change, published)


def publish_files(root: Path, files: dict[str, bytes], index: dict[str, dict[str, str]]) -> None:
    """Add `files` to releases/ and then the index that lists them, through the journal: whatever point a crash stops this
    at, the next release finishes it (every file there) or undoes it (the files that arrived removed: nothing listed them)."""
    journal = {"files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}, "index": index}
    write_atomically(root / RELEASES / JOURNAL, (json.dumps(journal, indent=2) + "\n").encode("utf-8"))
    for name, data in files.items():
        _write_new(root / RELEASES / name, data)
    write_atomically(root / RELEASES / INDEX, (json.dumps(index, indent=2) + "\n").encode("utf-8"))
    (root / RELEASES / JOURNAL).unlink()


def recover_release(root: Path) -> str | None:
    """Finish or undo the release a crash interrupted (see `publish_files`); what was done, or None when nothing was pending."""
    path = root / RELEASES / JOURNAL
    where = f"{RELEASES}/{JOURNAL}"
    if not path.exists():
        return None
    journal = parse_json(read_regular(path, "the release journal", ReleaseError), where, ReleaseError)
    files = journal.get("files") if isinstance(journal, dict) else None
    index = journal.get("index") if isinstance(journal, dict) else None
    if not isinstance(files, dict) or not isinstance(index, dict) or not all(
            isinstance(name, str) and _RELEASE_FILE.match(name) and _SHA256.match(str(sha))
            for name, sha in files.items()):
        raise ReleaseError("the release journal is not {files: {name: sha256}, index}; remove it and restore releases/ from version control",
                           file=where)
    arrived = {}
    for name, sha in files.items():
        file = root / RELEASES / name
        if file.exists():
            if hashlib.sha256(read_regular(file, "a release file", ReleaseError)).hexdigest() != sha:
                raise ReleaseError(f"{name} is not the file the interrupted release wrote (its sha256 differs from the journal's); "
                                   "restore releases/ from version control", file=f"{RELEASES}/{name}")
            arrived[name] = file
    if len(arrived) == len(files):
        write_atomically(root / RELEASES / INDEX, (json.dumps(index, indent=2) + "\n").encode("utf-8"))
        read_index(root)  # the journal's index is checked as any index is
        outcome = f"finished the interrupted release of {', '.join(sorted(files))}"
    else:
        for file in arrived.values():
            file.unlink()  # never listed in the index, so never published
        outcome = f"undid the interrupted release of {', '.join(sorted(files))} (not every file had been written)"
    path.unlink()
    return outcome


def required_version(previous: str, level: str) -> str:
    major, minor, patch = _key(previous)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
