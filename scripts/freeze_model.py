"""Freeze the data model of a published major version: copy its table definitions into src/cnkz/models/<major>.json.

The copy is the `resources` of the release's datapackage.json, less each file's hash and size (cnkz.datamodel.FILE_PROPERTIES),
with the release's version, archive name and sha256 as releases/index.json records them. The archive is read through
cnkz.load (its sha256 checked against the index first, each file against SHA256SUMS). Run it once per major version, when
tables.py moves on to the next one (MAJOR_VERSION); tests/test_datamodel.py proves each copy equals what was published.

Usage: python scripts/freeze_model.py [VERSION ...]
  With no VERSION, every published major version but the current one whose model is not frozen yet, from its newest release.
  A frozen model is never rewritten with other bytes: rerunning it on the same release writes the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cnkz.datamodel import MODELS, major_of, without_file_properties  # noqa: E402
from cnkz.load import open_package  # noqa: E402
from cnkz.tables import MAJOR_VERSION  # noqa: E402

RELEASES = ROOT / "releases"
TARGET = ROOT / "src" / "cnkz" / MODELS
NOTE = ("The table definitions of data model {major}.x: the resources of the datapackage.json of release {version}, less each file's "
        "hash and bytes. Copied by scripts/freeze_model.py; never edited by hand.")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def frozen_model(version: str, entry: dict[str, str], releases: Path = RELEASES) -> dict[str, object]:
    """The frozen model of the release `version` (its releases/index.json `entry`), as the JSON object to write."""
    archive = releases / entry["archive"]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        raise SystemExit(f"{archive}: sha256 is {digest}, releases/index.json says {entry['sha256']}; not the published archive")
    with open_package(archive) as package:
        if package.version != version:
            raise SystemExit(f"{archive}: its datapackage.json says version {package.version}, not {version}")
        resources = [without_file_properties(r) for r in package.resources()]
    major = major_of(version)
    return {
        "data_model": major,
        "note": NOTE.format(major=major, version=version),
        "release": version,
        "archive": entry["archive"],
        "sha256": entry["sha256"],
        "resources": resources,
    }


def dumps(model: dict[str, object]) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="*", metavar="VERSION", help="a published release (default: see below)")
    args = parser.parse_args(argv)
    index = json.loads((RELEASES / "index.json").read_text(encoding="utf-8"))
    versions = args.versions
    if not versions:
        newest: dict[int, str] = {}
        for version in index:
            major = major_of(version)
            if major is not None and major != MAJOR_VERSION and _key(version) > _key(newest.get(major, "0.0.0")):
                newest[major] = version
        versions = [v for m, v in sorted(newest.items()) if not (TARGET / f"{m}.json").exists()]
    for version in versions:
        if version not in index:
            raise SystemExit(f"{version} is not a published release (releases/index.json lists {', '.join(index)})")
        major = major_of(version)
        if major == MAJOR_VERSION:
            raise SystemExit(f"{version} is of the current major version {MAJOR_VERSION}: its definitions are cnkz/tables.py")
        text = dumps(frozen_model(version, index[version]))
        path = TARGET / f"{major}.json"
        if path.exists() and path.read_text(encoding="utf-8") != text:
            raise SystemExit(f"{path} already holds another frozen model of {major}.x; a frozen model is not rewritten")
        TARGET.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: data model {major}.x from release {version} (sha256 {index[version]['sha256']})")
    if not versions:
        print("every earlier published major version is frozen already")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
