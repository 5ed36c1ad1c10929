"""Downloads that need no clone: a release (on a temporary copy) carries the R loader and the site, and publishes the wheel."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cnkz.errors import ReleaseError
from cnkz.release import build_wheel, release, wheel_name
from cnkz.tables import MAJOR_VERSION

from .conftest import ROOT, read_rows
from .test_release import bump

# One xdist worker (--dist loadgroup) runs this module's tests, so the released copy is made once.
pytestmark = pytest.mark.xdist_group("downloads")

ARCHIVE = "china-kazakhstan-engagements-{}.zip"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository with a new major version released (the layout with site, loader and wheel)."""
    from .conftest import copy_repo

    repo = copy_repo(tmp_path_factory.mktemp("downloads") / "repo")
    bump(repo, "9.0.0", "Test release.")
    release(repo)
    return repo


@pytest.fixture(scope="module")
def unpacked(released: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(released / "releases" / ARCHIVE.format("9.0.0")) as archive:
        archive.extractall(target)
    return target / "china-kazakhstan-engagements-9.0.0"


def test_the_index_records_the_wheel_beside_the_archive(released: Path) -> None:
    index = json.loads((released / "releases" / "index.json").read_text(encoding="utf-8"))
    entry = index["9.0.0"]
    assert entry["wheel"] == wheel_name("9.0.0") == "cnkz-9.0.0-py3-none-any.whl"
    wheel = (released / "releases" / entry["wheel"]).read_bytes()
    assert hashlib.sha256(wheel).hexdigest() == entry["wheel_sha256"]
    assert (released / "dist" / entry["wheel"]).read_bytes() == wheel
    assert entry["layout"] == "2"
    assert "wheel" not in index["1.0.0"] and "layout" not in index["1.0.0"]  # what was published stays as it was


def test_the_wheel_is_reproducible_and_carries_the_code_licence(released: Path) -> None:
    wheel = (released / "releases" / wheel_name("9.0.0")).read_bytes()
    assert build_wheel(released, "2026-12-01") == wheel
    path = released / "releases" / wheel_name("9.0.0")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        metadata = z.read("cnkz-9.0.0.dist-info/METADATA").decode("utf-8")
        licence = z.read("cnkz-9.0.0.dist-info/licenses/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes() and licence.startswith(b"MIT License")
    assert "License-Expression: MIT" in metadata and "Version: 9.0.0" in metadata
    assert {"cnkz/site_assets/site.js", "cnkz/site_assets/site.css", "cnkz/profiles/datapackage.json", "cnkz/models/1.json", "cnkz/models/2.json"} <= set(names)
    assert not [n for n in names if "__pycache__" in n]


def test_the_archive_carries_the_loader_the_site_and_both_licences(released: Path, unpacked: Path) -> None:
    from cnkz.validate import validate

    files = {str(p.relative_to(unpacked)) for p in unpacked.rglob("*") if p.is_file()}
    assert {"scripts/load.R", "LICENSE", "LICENSE-CODE", "site/index.html", "site/assets/site.js"} <= files
    assert (unpacked / "scripts" / "load.R").read_bytes() == (ROOT / "scripts" / "load.R").read_bytes()
    assert (unpacked / "LICENSE-CODE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    sums = (unpacked / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("  ", 1)[1] for line in sums) == sorted(files - {"SHA256SUMS"})
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=unpacked, check=False).returncode == 0
    assert validate(unpacked) == []
    # The site in the archive lists the releases before it and no later one, so the archive never has to change.
    home = (unpacked / "site" / "index.html").read_text(encoding="utf-8")
    assert ARCHIVE.format("1.0.0") in home and "<td>9.0.0</td><td colspan=\"4\">this version" in home
    readme = (unpacked / "README.md").read_text(encoding="utf-8")
    assert 'python -m pip install "frictionless[parquet]" pandas\n    frictionless validate datapackage.json' in readme
    assert "    python -m pip install ../cnkz-9.0.0-py3-none-any.whl\n    cnkz validate ." in readme


def test_a_downloader_installs_the_wheel_and_validates_and_loads_the_release(released: Path, unpacked: Path, tmp_path: Path) -> None:
    """Only Python and the two downloads: the wheel's own cnkz (not this checkout's) validates and loads the unpacked release."""
    with zipfile.ZipFile(released / "releases" / wheel_name("9.0.0")) as z:
        z.extractall(tmp_path / "installed")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed")}
    code = ("import cnkz, sys; from cnkz.cli import main; print(cnkz.__file__); "
            "tables = cnkz.load('.'); print(sorted((k, len(v)) for k, v in tables.items())); sys.exit(main(['validate', '.']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=unpacked, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    where, counts, verdict, *summary = result.stdout.splitlines()  # the verdict, then the layers run and the rows per table
    assert where.startswith(str(tmp_path / "installed"))
    descriptor = json.loads((unpacked / "datapackage.json").read_text(encoding="utf-8"))
    assert counts == str(sorted((r["name"], len(read_rows(unpacked / r["path"])) - 1)
                                for r in descriptor["resources"] if r["format"] == "csv"))
    assert verdict.endswith(": valid") or ": valid (" in verdict
    assert summary[-1].startswith("rows: ")


def test_the_newest_wheel_validates_every_published_release(released: Path, tmp_path: Path) -> None:
    """No older wheel is needed: today's carries the frozen definitions of every earlier data model (cnkz/models/)."""
    with zipfile.ZipFile(released / "releases" / wheel_name("9.0.0")) as z:
        z.extractall(tmp_path / "installed")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed")}
    index = json.loads((released / "releases" / "index.json").read_text(encoding="utf-8"))
    code = "import sys; from cnkz.cli import main; sys.exit(max([main(['validate', archive]) for archive in sys.argv[1:]]))"
    archives = [str(released / "releases" / entry["archive"]) for entry in index.values()]
    result = subprocess.run([sys.executable, "-c", code, *archives], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    verdicts = [line for line in result.stdout.splitlines() if ": valid (" in line]
    # Each release by its own data model; one newer than every model this code has (9.0.0 here) by today's, whose tables it has.
    expected = [str(min(int(v.split(".")[0]), MAJOR_VERSION)) for v in sorted(index, key=lambda v: tuple(map(int, v.split("."))))]
    assert [v.split(": valid (rules of data model ")[1][0] for v in verdicts] == expected, verdicts


def test_frictionless_validates_the_unpacked_release_as_its_readme_says(unpacked: Path) -> None:
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(frictionless), "validate", "datapackage.json"], cwd=unpacked, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_second_run_is_the_same_release_and_builds_no_wheel(released: Path) -> None:
    before = (released / "releases" / "index.json").read_bytes()
    again = release(released)
    assert again.already_published
    assert (released / "releases" / "index.json").read_bytes() == before


def test_a_wheel_with_other_bytes_in_releases_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    from .conftest import copy_repo

    repo = copy_repo(tmp_path / "repo")
    bump(repo, "9.0.0")
    (repo / "releases" / wheel_name("9.0.0")).write_bytes(b"not this wheel")
    index = (repo / "releases" / "index.json").read_bytes()
    with pytest.raises(ReleaseError) as info:
        release(repo)
    assert str(info.value).endswith("cnkz-9.0.0-py3-none-any.whl exists in releases/ with different bytes; a published version never changes")
    assert (repo / "releases" / "index.json").read_bytes() == index
    assert not (repo / "releases" / ARCHIVE.format("9.0.0")).exists()


def test_the_site_in_the_archive_links_only_files_the_archive_holds(unpacked: Path) -> None:
    import html
    import re

    site = unpacked / "site"
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#]+)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("../releases/"):
                continue  # other addresses, and the releases folder of the repository the site describes
            resolved = (page.parent / html.unescape(target)).resolve()
            assert resolved.is_relative_to(unpacked) and resolved.exists(), (page.name, target)
