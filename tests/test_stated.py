"""Versions stated in several files of a package agree with the descriptor's (issue #18: versions the package states in
more than one place are derived values too)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from cnkz.stated import check_stated_versions

from .conftest import ROOT

RELEASES = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))


def unpacked(version: str, target: Path) -> Path:
    with zipfile.ZipFile(ROOT / "releases" / RELEASES[version]["archive"]) as archive:
        archive.extractall(target)
    (folder,) = list(target.iterdir())
    return folder


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_a_published_release_states_one_version(tmp_path: Path, version: str) -> None:
    folder = unpacked(version, tmp_path)
    assert check_stated_versions(folder, json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(("name", "old", "new"), [
    ("CITATION.cff", "version: {v}", "version: 9.9.9"),
    ("README.md", "engagements {v}", "engagements 9.9.9"),
    ("CHANGELOG.md", "## [{v}]", "## [9.9.9]"),
])
def test_an_edited_statement_of_the_version_is_reported(tmp_path: Path, name: str, old: str, new: str) -> None:
    version = max(RELEASES, key=lambda v: tuple(map(int, v.split("."))))
    folder = unpacked(version, tmp_path)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old.format(v=version) in text
    path.write_text(text.replace(old.format(v=version), new, 1), encoding="utf-8")
    [problem] = check_stated_versions(folder, json.loads((folder / "datapackage.json").read_text(encoding="utf-8")))
    assert str(problem) == f"[version_stated] {name} property version: expected {version} (datapackage.json's version), found 9.9.9"


def test_the_repository_states_the_version_of_its_descriptor() -> None:
    assert check_stated_versions(ROOT, json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))) == []
