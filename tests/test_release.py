from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from cnkz.diff import diff, load_snapshot
from cnkz.docs import write_docs
from cnkz.errors import ReleaseError
from cnkz.release import release
from cnkz.site import site_files
from cnkz.validate import validate

from .conftest import ARCHIVE, LATEST, LATEST_ARCHIVE, NEXT_MAJOR, NEXT_PATCH, RELEASE_DATE, ROOT, VERSION, copy_repo, read_rows, rehash, set_cell, write_rows


@pytest.fixture(scope="session")
def released_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository after `cnkz release`, made once; each test gets its own copy."""
    repo = copy_repo(tmp_path_factory.mktemp("released") / "repo")
    release(repo)
    return repo


@pytest.fixture
def released(released_once: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(released_once, tmp_path / "repo"))


# The tests that start from `released` run on one xdist worker (--dist loadgroup), so the release is made once.
SHARED_RELEASE = pytest.mark.xdist_group("released_once")


@SHARED_RELEASE
def test_release_is_reproducible(released_once: Path, released: Path, tmp_path: Path) -> None:
    first = released_once / "dist" / ARCHIVE  # the first run, in another folder
    second = release(released, tmp_path / "b")
    assert first.read_bytes() == second.path.read_bytes()
    assert second.already_published
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(*map(int, RELEASE_DATE.split("-")), 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def unpack(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as z:
        z.extractall(target)
    (folder,) = list(target.iterdir())
    return folder


@SHARED_RELEASE
def test_archive_holds_exactly_the_package(released: Path, tmp_path: Path) -> None:
    folder = unpack(released / "dist" / ARCHIVE, tmp_path / "x")
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    expected = {"datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "codebook.md", "LICENSE", "SHA256SUMS"}
    expected |= {r["path"] for r in descriptor["resources"]}
    expected |= {f"seeds/{p.name}" for p in (ROOT / "seeds").iterdir()}
    # From 2.0.0 (layout 2) also the R loader, the code's licence and the site.
    expected |= {"scripts/load.R", "LICENSE-CODE"} | {f"site/{name}" for name in site_files(released)}
    assert names == sorted(expected)
    assert validate(folder) == []
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder, check=False).returncode == 0


@SHARED_RELEASE
def test_tampering_inside_an_archive_is_caught(released: Path, tmp_path: Path) -> None:
    folder = unpack(released / "dist" / ARCHIVE, tmp_path / "x")
    key = set_cell(folder, "figures", 0, "value", "99")
    problems = validate(folder)
    assert any(p.check == "hash_mismatch" and p.table == "figures" for p in problems)
    assert any(p.check == "csv_parquet" and p.row.startswith(f"2 ({key})") for p in problems)
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True, text=True, check=False)
    assert check.returncode == 1
    assert "resources/figures.csv: FAILED" in check.stdout


def test_citation_file_is_valid_cff_with_the_version() -> None:
    schema = json.loads((ROOT / "tests" / "fixtures" / "citation-file-format-1.2.0.schema.json").read_text(encoding="utf-8"))
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    # YAML loads the date as a date object; CFF wants the ISO string it was written as.
    citation["date-released"] = citation["date-released"].isoformat()
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(citation)
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert citation["version"] == descriptor["version"]
    assert citation["license"] == descriptor["licenses"][0]["name"]
    assert [a["name"] for a in citation["authors"]] == [c["title"] for c in descriptor["contributors"]]


def bump(repo: Path, version: str, note: str = "Change.") -> None:
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    current = text.split('version = "')[1].split('"')[0]
    pyproject.write_text(text.replace(f'version = "{current}"', f'version = "{version}"', 1), encoding="utf-8")
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text(encoding="utf-8").replace(
        "## [", f"## [{version}] - 2026-12-01\n\n{note}\n\n## [", 1), encoding="utf-8")
    write_docs(repo)


def edit_curation(repo: Path, old: str, new: str, doc: str = "2024-wang-yi-astana") -> None:
    path = repo / "curation" / f"{doc}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@SHARED_RELEASE
def test_release_refuses_a_version_without_changelog_entry(released: Path) -> None:
    pyproject = released / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(f'version = "{VERSION}"', f'version = "{NEXT_PATCH}"'), encoding="utf-8")
    with pytest.raises(ReleaseError) as info:
        release(released)
    assert str(info.value) == f"CHANGELOG.md: no entry '## [{NEXT_PATCH}] - YYYY-MM-DD' for the version in pyproject.toml"


@SHARED_RELEASE
def test_release_refuses_a_stale_citation(released: Path) -> None:
    bump(released, NEXT_PATCH)
    citation = released / "CITATION.cff"
    citation.write_text(citation.read_text(encoding="utf-8").replace(f"version: {NEXT_PATCH}", f"version: {VERSION}"), encoding="utf-8")
    with pytest.raises(ReleaseError) as info:
        release(released)
    assert str(info.value) == f"CITATION.cff: CITATION.cff does not carry version {NEXT_PATCH} and date 2026-12-01; run `cnkz docs`"


@SHARED_RELEASE
def test_release_refuses_to_rebuild_a_published_version_differently(released: Path) -> None:
    edit_curation(released, "Pairs of sister provinces and cities established", "Sister provinces and cities established")
    with pytest.raises(ReleaseError) as info:
        release(released)
    assert f"version {VERSION} was released with sha256" in str(info.value)
    assert "A published version never changes" in str(info.value)


def test_release_refuses_a_dist_archive_with_other_bytes(repo: Path) -> None:
    (repo / "dist").mkdir()
    (repo / "dist" / ARCHIVE).write_bytes(b"not this")
    with pytest.raises(ReleaseError) as info:
        release(repo)
    assert "exists with different bytes" in str(info.value)


@SHARED_RELEASE
def test_release_refuses_too_small_a_bump(released: Path) -> None:
    # Removing a figure removes a row: a major change, but a patch bump is asked for.
    path = released / "curation" / "2024-wang-yi-astana.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - key: sister-regions")
    end = text.index("\nexclusions:")
    exclusion = 'exclusions:\n  - text: "26"\n    quote: A total of 26 pairs\n    reason: Test.\n'
    path.write_text(text[:start] + text[end + 1 :].replace("exclusions: []", exclusion), encoding="utf-8")
    bump(released, NEXT_PATCH)
    with pytest.raises(ReleaseError) as info:
        release(released)
    assert str(info.value) == (
        f"the data changed at major level since {VERSION}, but {VERSION} -> {NEXT_PATCH} is a patch bump; use version {NEXT_MAJOR} or higher"
    )


@SHARED_RELEASE
def test_a_correct_patch_release_passes(released: Path) -> None:
    edit_curation(released, "Pairs of sister provinces and cities established", "Sister provinces and cities established")
    bump(released, NEXT_PATCH, "Wording of one figure's description.")
    result = release(released)
    assert result.diff is not None and result.diff.level == "patch"
    assert set(json.loads((released / "releases" / "index.json").read_text(encoding="utf-8"))) >= {VERSION, NEXT_PATCH}


# ---- diff classification, one test per kind, on real packages with hand-made changes


def snapshot_pair(repo: Path, tmp_path: Path, change) -> tuple[Path, Path]:
    old = tmp_path / "old"
    shutil.copytree(repo, old)
    change(repo)
    rehash(repo)  # a diff reads only files whose hashes agree (tests/test_diff.py: a tampered file is refused)
    return old, repo


def fields_of(descriptor: dict, name: str) -> list:
    return next(r for r in descriptor["resources"] if r["name"] == name)["schema"]["fields"]


def rewrite_descriptor(repo: Path, edit) -> None:
    path = repo / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def add_column(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "figures.csv")
    write_rows(repo / "resources" / "figures.csv", [[*r, "x" if i else "note"] for i, r in enumerate(rows)])
    rewrite_descriptor(repo, lambda d: fields_of(d, "figures").append({"name": "note", "type": "string"}))


def remove_column(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "figures.csv")
    index = rows[0].index("period")
    write_rows(repo / "resources" / "figures.csv", [r[:index] + r[index + 1 :] for r in rows])
    rewrite_descriptor(repo, lambda d: fields_of(d, "figures").pop(index))


def retype_column(repo: Path) -> None:
    rewrite_descriptor(repo, lambda d: fields_of(d, "figures")[6].update(type="string"))


def add_value(repo: Path) -> None:
    rewrite_descriptor(repo, lambda d: fields_of(d, "events")[3]["constraints"]["enum"].append("banquet"))


def remove_value(repo: Path) -> None:
    rewrite_descriptor(repo, lambda d: fields_of(d, "events")[3]["constraints"]["enum"].remove("announcement"))


def add_row(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "figures.csv")
    write_rows(repo / "resources" / "figures.csv", [*rows, [rows[1][0] + "-copy", *rows[1][1:]]])


def remove_row(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "figures.csv")
    write_rows(repo / "resources" / "figures.csv", rows[:-1])


def change_value(repo: Path) -> None:
    set_cell(repo, "figures", 0, "description", "Corrected description.")


@pytest.mark.parametrize(
    ("change", "level", "detail"),
    [
        (add_column, "minor", ("added_fields", ["note"])),
        (remove_column, "major", ("removed_fields", ["period"])),
        (retype_column, "major", ("retyped_fields", [{"field": "value", "old": "number", "new": "string"}])),
        (add_value, "minor", ("added_values", {"event_type": ["banquet"]})),
        (remove_value, "major", ("removed_values", {"event_type": ["announcement"]})),
        (add_row, "minor", ("added_rows", ["{first}-copy"])),
        (remove_row, "major", ("removed_rows", ["{last}"])),
        (change_value, "patch", ("changed_rows", [{"key": "{first}", "changes": {
            "description": {"old": "{first_description}", "new": "Corrected description."}}}])),
    ],
)
def test_diff_classifies_each_kind_of_change(repo: Path, tmp_path: Path, change, level: str, detail) -> None:
    old, new = snapshot_pair(repo, tmp_path, change)
    result = diff(load_snapshot(old), load_snapshot(new))
    table = "events" if change in (add_value, remove_value) else "figures"
    figures = read_rows(old / "resources" / "figures.csv")
    names = {"first": figures[1][0], "last": figures[-1][0], "first_description": figures[1][figures[0].index("description")]}
    expected = json.loads(json.dumps(detail[1]).replace("{first}", names["first"]).replace("{last}", names["last"])
                          .replace("{first_description}", names["first_description"]))
    assert result.level == level
    assert getattr(result.tables[table], detail[0]) == expected
    others = [name for name, t in result.tables.items() if name != table and t.level != "none"]
    assert others == []


def test_diff_of_identical_packages_is_none(repo: Path, tmp_path: Path) -> None:
    old, new = snapshot_pair(repo, tmp_path, lambda r: None)
    assert diff(load_snapshot(old), load_snapshot(new)).level == "none"


def test_release_never_packs_files_outside_the_package_list(repo: Path, tmp_path: Path) -> None:
    (repo / "resources" / "notes.txt").write_text("private", encoding="utf-8")
    (repo / "seeds" / "draft.txt").write_text("not a source", encoding="utf-8")
    result = release(repo)
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
    assert not [n for n in names if n.endswith(("notes.txt", "draft.txt"))]


def test_a_release_failing_mid_way_leaves_no_record(repo: Path) -> None:
    index = repo / "releases" / "index.json"
    before = index.read_bytes() if index.exists() else None
    (repo / "dist").write_text("a file where the output folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        release(repo)
    assert (index.read_bytes() if index.exists() else None) == before
    assert (repo / "dist").read_text(encoding="utf-8") == "a file where the output folder should be"


# ---------------------------------------------------------------- immutability of releases/


def test_without_the_index_a_published_archive_is_still_never_replaced(repo: Path) -> None:
    archive = repo / "releases" / LATEST_ARCHIVE
    before = archive.read_bytes()
    (repo / "releases" / "index.json").unlink()
    edit_curation(repo, "Pairs of sister provinces and cities established", "Sister provinces and cities established")
    with pytest.raises(ReleaseError, match=rf"releases/ holds .*{re.escape(LATEST_ARCHIVE)}.* but releases/index\.json does not list"):
        release(repo)
    assert archive.read_bytes() == before


def test_versions_only_go_up(repo: Path) -> None:
    before = sorted(p.name for p in (repo / "releases").iterdir())
    bump(repo, "0.9.0")
    with pytest.raises(ReleaseError, match=rf"version 0\.9\.0 is not above the latest release {re.escape(LATEST)}; versions only go up"):
        release(repo)
    assert sorted(p.name for p in (repo / "releases").iterdir()) == before


def test_the_previous_archive_is_checked_against_the_index_before_the_diff(repo: Path) -> None:
    archive = repo / "releases" / LATEST_ARCHIVE
    archive.write_bytes(archive.read_bytes()[:-10] + b"0123456789")
    bump(repo, NEXT_PATCH)
    with pytest.raises(ReleaseError, match=rf"the archive of {re.escape(LATEST)} is missing or does not have the sha256 in index\.json"):
        release(repo)
    assert not (repo / "releases" / f"china-kazakhstan-engagements-{NEXT_PATCH}.zip").exists()


@pytest.mark.parametrize(("index", "message"), [
    (b"{not json", "not valid JSON"),
    (b"[" * 100_000, "JSON nested too deeply"),
    (b'{"1.0.0": {"archive": "../../etc/passwd", "sha256": "x"}}', "the entry for '1.0.0' is not"),
    (b'["1.0.0"]', "expected an object version"),
])
def test_a_malformed_index_is_refused(repo: Path, index: bytes, message: str) -> None:
    (repo / "releases" / "index.json").write_bytes(index)
    with pytest.raises(ReleaseError, match=message):
        release(repo)


def test_a_release_file_is_created_never_replaced(tmp_path: Path) -> None:
    from cnkz.release import _write_new

    target = tmp_path / "a.zip"
    _write_new(target, b"first")
    _write_new(target, b"first")  # the same bytes again: nothing to do
    with pytest.raises(ReleaseError, match="exists with different bytes; a published file is never replaced"):
        _write_new(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


# ---------------------------------------------------------------- a release killed part-way


class Killed(BaseException):
    """Stands for the process being killed: nothing after it runs, no handler catches it."""


def _kill_when_writing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    import cnkz.release as release_module

    for writer in ("_write_new", "write_atomically"):
        real = getattr(release_module, writer)

        def dying(path: Path, data: bytes, real=real) -> None:  # type: ignore[no-untyped-def]
            if path.name == name and path.parent.name == "releases":
                raise Killed(path.name)
            real(path, data)

        monkeypatch.setattr(release_module, writer, dying)


@SHARED_RELEASE
@pytest.mark.parametrize(("killed_at", "outcome"), [
    ("index.json", "finished the interrupted release of"),  # the archive and wheel written, the index not
    (f"cnkz-{NEXT_PATCH}-py3-none-any.whl", "undid the interrupted release of"),  # the archive written, the wheel not
])
def test_a_release_killed_part_way_is_finished_or_undone_by_the_next(released: Path, monkeypatch: pytest.MonkeyPatch, killed_at: str,
                                                                       outcome: str) -> None:
    edit_curation(released, "Pairs of sister provinces and cities established", "Sister provinces and cities established")
    bump(released, NEXT_PATCH, "Wording of one figure's description.")
    archive = released / "releases" / f"china-kazakhstan-engagements-{NEXT_PATCH}.zip"
    with monkeypatch.context() as patch:
        _kill_when_writing(patch, killed_at)
        with pytest.raises(Killed):
            release(released)
    assert archive.exists() and NEXT_PATCH not in json.loads((released / "releases" / "index.json").read_text(encoding="utf-8"))
    assert (released / "releases" / ".release-journal.json").exists()
    result = release(released)
    assert result.recovered is not None and result.recovered.startswith(outcome)
    index = json.loads((released / "releases" / "index.json").read_text(encoding="utf-8"))
    assert index[NEXT_PATCH]["sha256"] == result.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (released / "releases" / index[NEXT_PATCH]["wheel"]).exists()
    assert not (released / "releases" / ".release-journal.json").exists()


def test_a_tampered_release_journal_is_refused(repo: Path) -> None:
    (repo / "releases" / ".release-journal.json").write_text('{"files": {"../../etc/passwd": "00"}, "index": {}}', encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"the release journal is not \{files: \{name: sha256\}, index\}"):
        release(repo)
