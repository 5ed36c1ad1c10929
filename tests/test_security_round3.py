"""Security round 3: each attack reproduced first, then refused (issue 17's items, by number)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cnkz
from cnkz.cli import main
from cnkz.curation import curate
from cnkz.errors import CurationError
from cnkz.files import is_package_path
from cnkz.load import LoadError
from cnkz.release import package_members
from cnkz.validate import validate

from .conftest import RELEASE_DATE, VERSION, find
from .test_hostile_files import archive_of

REFUSED_NAME = "is not a plain relative path inside the package"


@pytest.mark.parametrize("path", [
    "", "/etc/passwd", "a//b", "a/", "./a", "a/./b", "a/../b", "..", ".", "a\\b", "c:/x", "~/x", "$HOME/x", "a\x00b", "a\nb",
    "cafe\u0301.csv",  # not NFC: the same name as 'café.csv' on a normalising disk
])
def test_the_path_rule_refuses(path: str) -> None:
    assert not is_package_path(path)


@pytest.mark.parametrize("path", ["datapackage.json", "resources/events.csv", "seeds/000_7928596d57607bdb.txt", "café.csv", "a.b/c..d"])
def test_the_path_rule_accepts(path: str) -> None:
    assert is_package_path(path)


def _members(repo: Path) -> dict[str, bytes]:
    return package_members(repo, VERSION, RELEASE_DATE)


# 1. An empty segment after the top folder made the member absolute once the folder was stripped.
def test_1_an_absolute_member_behind_an_empty_segment_writes_nothing(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    archive = archive_of(_members(repo), tmp_path / "a.zip", [(str(victim), b"overwritten")])  # TOP + "/" + "/tmp/.../victim.txt"
    problems = validate(archive)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert [p.check for p in problems] == ["archive"] and REFUSED_NAME in problems[0].found
    assert main(["validate", str(archive)]) == 1
    assert REFUSED_NAME in capsys.readouterr().err
    with pytest.raises(LoadError, match=REFUSED_NAME):
        cnkz.load(archive)
    assert victim.read_text(encoding="utf-8") == "precious"


# 2. Two names for one file: the tampered copy and the pristine one unpacked to the same path.
@pytest.mark.parametrize("second", ["resources//figures.csv", "resources/./figures.csv", "resources/Figures.csv"])
def test_2_two_names_for_one_file_are_refused(repo: Path, tmp_path: Path, second: str) -> None:
    members = _members(repo)
    forged = members["resources/figures.csv"].replace(b"41000000000", b"99000000000")
    assert forged != members["resources/figures.csv"]
    archive = archive_of(members, tmp_path / "a.zip", [(second, forged)])
    problems = validate(archive)
    assert [p.check for p in problems] == ["archive"], problems
    assert REFUSED_NAME in problems[0].found or "one name on a case-insensitive disk" in problems[0].found
    with pytest.raises(LoadError):
        cnkz.load(archive)


# 14. seeds/ itself a link: source.file was confined to wherever the link pointed.
def test_14_a_seeds_folder_that_is_a_link_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.move(repo / "seeds", outside)
    secret = "THE-SECRET-TEXT " * 10
    for seed in outside.iterdir():
        seed.write_text(secret, encoding="utf-8")
    (repo / "seeds").symlink_to(outside)
    with pytest.raises(CurationError, match="leads outside seeds/") as caught:
        curate(repo)
    assert "SECRET" not in str(caught.value)
    assert main(["build", "--root", str(repo)]) == 2
    assert len(find(validate(repo), "seed_missing")) == 5  # a linked seeds/ is not the package's: every text is missing
