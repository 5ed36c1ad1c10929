"""The files layer: every resource path inside the package, a regular file of its declared size and hash, CSV bytes a loader
will not trip over, and an unpacked release's SHA256SUMS."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CnkzError, Problem
from ..safety import read_regular, regular_file_problem
from .problems import problem, safe_path

if TYPE_CHECKING:
    from ..validate import PackageUnderCheck

CHECKSUMS = "SHA256SUMS"
CHUNK = 1 << 20  # bytes read at a time when hashing and scanning files


def check_files(package: PackageUnderCheck) -> list[Problem]:
    """Every resource path stays in the package, exists, and matches its declared bytes and hash."""
    problems = []
    for resource in package.descriptor.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name"))
        path = safe_path(package.root, resource.get("path"))
        if path is None:
            problems.append(problem("unsafe_path", name, None, "path", "a relative path inside the package", resource.get("path")))
            continue
        if not path.exists():
            problems.append(problem("file_missing", name, None, "path", "an existing file", resource.get("path")))
            continue
        why = regular_file_problem(path)
        if why is not None:
            problems.append(problem("not_regular_file", name, None, "path", "a regular file within the member cap", why))
            continue
        scan = FileScan(path, resource.get("format") == "csv")
        declared_hash = resource.get("hash")
        actual_hash = "sha256:" + scan.sha256
        if declared_hash != actual_hash:
            problems.append(problem("hash_mismatch", name, None, "hash", f"{declared_hash} (datapackage.json)", f"{actual_hash} (the file)"))
        if "bytes" in resource and resource["bytes"] != scan.size:
            problems.append(problem("bytes_mismatch", name, None, "bytes", f"{resource['bytes']} (datapackage.json)", f"{scan.size} (the file)"))
        problems += [problem(check, name, row, "", expected, found) for check, row, expected, found in scan.csv_problems]
    return problems


@dataclass
class FileScan:
    """One pass over a file in chunks: its sha256 and size and, for CSV, what a loader would trip over."""

    path: Path
    csv: bool
    sha256: str = ""
    size: int = 0
    csv_problems: list[tuple[str, Any, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
        lines, first, last = 1, b"", b""
        seen: set[str] = set()
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                if self.csv:
                    first = first or chunk[:3]
                    self._chunk(chunk, decoder, lines, seen)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                self.size += len(chunk)
        self.sha256 = digest.hexdigest()
        if not self.csv:
            return
        if "encoding" not in seen:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.csv_problems.append(("encoding", f"line {lines}", "UTF-8", "a truncated character at the end"))
        if first.startswith(b"\xef\xbb\xbf"):
            self.csv_problems.insert(0, ("bom", 1, "UTF-8 without a byte-order mark", "a BOM"))
        if self.size and last != b"\n":
            self.csv_problems.append(("final_newline", None, "a final newline", "none"))

    def _chunk(self, chunk: bytes, decoder: Any, lines: int, seen: set[str]) -> None:
        if "encoding" not in seen:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                seen.add("encoding")
                # exc.start counts from the decoder's pending bytes, at most 3 before this chunk
                where = max(0, exc.start - (len(exc.object) - len(chunk)))
                line = lines + chunk[:where].count(b"\n")
                self.csv_problems.append(("encoding", f"line {line}", "UTF-8", f"byte {chunk[where]:#04x}"))
        if "line_endings" not in seen and b"\r" in chunk:
            seen.add("line_endings")
            line = lines + chunk[: chunk.index(b"\r")].count(b"\n")
            self.csv_problems.append(("line_endings", f"line {line}", "LF line endings", "a carriage return"))


def check_checksums(package: PackageUnderCheck) -> list[Problem]:
    """With a SHA256SUMS (an unpacked release), every listed file matches and every file of the package is listed."""
    from ..load import LoadError, _parse_checksums

    package_dir = package.root
    path = package_dir / CHECKSUMS
    if not path.exists() and not path.is_symlink():
        return []
    try:
        sums = _parse_checksums(read_regular(path, "the checksum list", LoadError), CHECKSUMS)
    except CnkzError as exc:
        return [problem("checksums", CHECKSUMS, None, "", "lines '<sha256>  <path>' of a regular file", exc.message)]
    problems = []
    for relative, digest in sorted(sums.items()):
        file = safe_path(package_dir, relative)
        if file is None:
            problems.append(problem("checksums", CHECKSUMS, None, relative, "a path inside the package", relative))
            continue
        why = regular_file_problem(file)
        if why is not None:
            problems.append(problem("checksum_file_missing", CHECKSUMS, None, relative, "the listed file", why))
            continue
        actual = hashlib.sha256(read_regular(file)).hexdigest()
        if actual != digest:
            problems.append(problem("checksum_mismatch", CHECKSUMS, None, relative, f"sha256 {digest}", actual))
    for file in sorted(package_dir.rglob("*")):
        relative = file.relative_to(package_dir).as_posix()
        if relative != CHECKSUMS and relative not in sums and not file.is_dir():
            problems.append(problem("checksum_unlisted", CHECKSUMS, None, relative, "every file of the package listed", "not listed"))
    return problems
