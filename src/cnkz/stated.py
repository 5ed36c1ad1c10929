"""Versions a package states in more than one place must agree with its descriptor's `version`.

A release states its version in datapackage.json, in CITATION.cff, as the heading of its README and as the newest
entry of its CHANGELOG; the repository also in croissant.json, .zenodo.json and the README's opening paragraph. An
unpacked release edited in one of them (hashes and SHA256SUMS recomputed) says two things at once: reported here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CnkzError, Problem
from .safety import read_regular

_VERSION = r"(\d+\.\d+\.\d+)"


def _first(pattern: str) -> Callable[[str], str | None]:
    def find(text: str) -> str | None:
        match = re.search(pattern, text, re.MULTILINE)
        return match.group(1) if match else None
    return find


def _json_version(text: str) -> str | None:
    try:
        value = json.loads(text).get("version")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


# file -> how to find the version it states (None: the file states none we can read, itself a problem when it is there).
STATED: dict[str, Callable[[str], str | None]] = {
    "CITATION.cff": _first(rf"^version:\s*\"?{_VERSION}\"?\s*$"),
    "CHANGELOG.md": _first(rf"^## \[{_VERSION}\]"),
    "croissant.json": _json_version,
    ".zenodo.json": _json_version,
}


def _readme(text: str) -> str | None:
    # A release's README opens with "# <title> <version>"; the repository's says "Version **<version>** covers".
    return _first(rf"^# .* {_VERSION}\s*$")(text) or _first(rf"^Version \*\*{_VERSION}\*\*")(text)


def check_stated_versions(root: Path, descriptor: dict[str, Any]) -> list[Problem]:
    """Each file of the package or repository that states a version states the descriptor's."""
    version = descriptor.get("version")
    problems = []
    for name, find in {**STATED, "README.md": _readme}.items():
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = read_regular(path, f"the {name}").decode("utf-8")
        except (UnicodeDecodeError, CnkzError):  # an unreadable file is another layer's problem (files, checksums)
            continue
        stated = find(text)
        if stated != version:
            problems.append(Problem("version_stated", name, "", "version", f"{version} (datapackage.json's version)",
                                    stated if stated is not None else "no version stated"))
    return problems
