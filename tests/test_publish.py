"""Publishing survives a crash at any point, concurrent builds take turns, and crashed runs leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cnkz.build
from cnkz.build import JOURNAL, build, recover, render
from cnkz.validate import validate

PUBLISHED = {"resources", "datapackage.json", ".resources-previous"}


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so no handler on the way tidies up as it would for an error."""


def change_curation(repo: Path) -> None:
    path = repo / "curation" / "2010-jia-qinglin-astana.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("summary: ") + len("summary: ")
    path.write_text(text[:start] + "On that day, " + text[start].lower() + text[start + 1 :], encoding="utf-8")


def published(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in [repo / "datapackage.json", *(repo / "resources").glob("*")] if p.is_file()}


CRASH_POINTS = ["before the old resources/ is set aside", "with no resources/ in place", "with new resources/ and the old descriptor"]


@pytest.mark.parametrize("crash_at", [1, 2, 3], ids=CRASH_POINTS)
def test_a_publish_cut_short_at_any_rename_is_finished_by_the_next_run(repo: Path, monkeypatch: pytest.MonkeyPatch, crash_at: int) -> None:
    change_curation(repo)
    expected = render(repo)
    real_replace = os.replace
    calls = []

    def crashing_replace(source: str | Path, target: str | Path) -> None:
        if Path(target).name in PUBLISHED and Path(target).parent == repo:
            calls.append(Path(target).name)
            if len(calls) == crash_at:
                raise Crash
        real_replace(source, target)

    monkeypatch.setattr(cnkz.build.os, "replace", crashing_replace)
    with pytest.raises(Crash):
        build(repo)
    monkeypatch.setattr(cnkz.build.os, "replace", real_replace)
    assert (repo / JOURNAL).exists()
    if crash_at == 2:
        assert not (repo / "resources").exists()  # what a crash here used to leave for good: no resources/ at all
    if crash_at == 3:
        assert (repo / "resources" / "events.csv").read_bytes() == expected["resources/events.csv"]
        assert (repo / "datapackage.json").read_bytes() != expected["datapackage.json"]
    assert published(repo) != expected

    assert recover(repo)[0].startswith("finished the publish interrupted in .build-")
    assert published(repo) == expected
    assert validate(repo) == []
    assert not [p.name for p in repo.iterdir() if p.name.startswith((".build-", ".resources-previous", ".publish-journal"))]


def test_a_journal_without_its_staging_folder_is_cleared(repo: Path) -> None:
    before = published(repo)
    (repo / JOURNAL).write_text('{"staging": ".build-gone"}', encoding="utf-8")
    (repo / ".resources-previous").mkdir()
    assert recover(repo) == ["removed a journal whose publish had completed"]
    assert published(repo) == before
    assert not (repo / ".resources-previous").exists()


def test_leftovers_of_crashed_builds_are_removed(repo: Path) -> None:
    for name in (".build-crashed1", ".build-crashed2/resources"):
        (repo / name).mkdir(parents=True)
        (repo / name / "events.csv").write_text("x", encoding="utf-8")
    (repo / ".resources-previous").mkdir()
    build(repo)
    assert not [p.name for p in repo.iterdir() if p.name.startswith((".build-", ".resources-previous"))]


def test_two_builds_at_once_take_turns(repo: Path) -> None:
    change_curation(repo)
    command = [sys.executable, "-m", "cnkz.cli", "build", "--root", str(repo)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(timeout=300), run.stderr.read() if run.stderr else "") for run in runs]
    for run in runs:
        for stream in (run.stdout, run.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert published(repo) == render(repo)
    assert not [p.name for p in repo.iterdir() if p.name.startswith((".build-", ".resources-previous", ".publish-journal"))]


def test_a_link_in_seeds_stops_the_build(repo: Path) -> None:
    from cnkz.errors import BuildError

    (repo / "seeds" / "zero.txt").symlink_to("/dev/zero")
    before = published(repo)
    with pytest.raises(BuildError, match=r"seeds/zero\.txt: a link in seeds/; source texts must be regular files"):
        build(repo)
    assert published(repo) == before
