"""Download a release archive or a published datapackage.json, verify it, and cache it by version.

Cache layout (default ~/.cache/cnkz, or $CNKZ_CACHE): `<name>/<version>/<archive>.zip` for archives,
`<name>/<version>/package/` for packages fetched through their descriptor, and `urls.json`, which maps
each URL to what it gave, so a later call works offline.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

from .errors import CnkzError
from .load import DESCRIPTOR, LoadError, open_package, safe_path, sha256_hex

URLS = "urls.json"
RELEASE_INDEX = "index.json"  # what `cnkz release` publishes next to the archives: version -> archive, sha256
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FetchError(CnkzError):
    """A download failed or did not match what was published; nothing was cached."""


class _Unreachable(FetchError):
    """The server could not be reached at all (as opposed to answering wrongly)."""


@dataclass(frozen=True)
class Fetched:
    url: str
    path: Path  # the cached archive or package folder: pass it to cnkz.load
    version: str
    sha256: str  # of the archive, or of datapackage.json
    from_cache: bool


def default_cache_dir() -> Path:
    if os.environ.get("CNKZ_CACHE"):
        return Path(os.environ["CNKZ_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cnkz"


def fetch(url: str, *, sha256: str | None = None, cache_dir: str | Path | None = None, offline: bool = False, timeout: float = 60) -> Fetched:
    """Fetch a release .zip or a datapackage.json URL into the cache, checked against the published sha256."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// URLs can be fetched; for a local copy pass its path to cnkz.load", file=url)
    expected = sha256.lower() if sha256 else None
    if expected is not None and not _SHA256.match(expected):
        raise FetchError(f"{sha256!r} is not a sha256 (64 hexadecimal digits)", field="sha256")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if parts.path.endswith(".zip"):
        return _fetch_archive(url, root, expected, offline, timeout)
    if parts.path.endswith(".json"):
        return _fetch_descriptor(url, root, expected, offline, timeout)
    raise FetchError("expected the URL of a release archive (.zip) or of a datapackage.json", file=url)


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "cnkz-fetch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered HTTP {exc.code} {exc.reason}; check the URL", file=url) from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"the download was cut short after {len(exc.partial)} bytes; nothing was cached. Try again", file=url) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Unreachable(f"cannot download ({reason}); check the network or the URL", file=url) from None
    if length is not None and length.isdigit() and int(length) != len(data):
        raise FetchError(f"the download was cut short: {len(data)} of {length} bytes; nothing was cached. Try again", file=url)
    return data


def _segment(value: Any, what: str, url: str) -> str:
    """A descriptor's name or version as one folder name, refused when it could lead elsewhere."""
    if not isinstance(value, str) or not _SEGMENT.match(value) or ".." in value:
        raise FetchError(f"the {what} {value!r} is not a plain name; refusing to cache it", file=url)
    return value


def _read_urls(root: Path) -> dict[str, dict[str, str]]:
    try:
        entries = json.loads((root / URLS).read_bytes())
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _record(root: Path, url: str, path: Path, version: str, digest: str) -> None:
    entries = _read_urls(root)
    entries[url] = {"path": path.relative_to(root).as_posix(), "version": version, "sha256": digest}
    _write_atomically(root / URLS, (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, path)


def _cached(root: Path, url: str) -> Fetched | None:
    """The cache's copy of what url gave before, if it is still intact."""
    entry = _read_urls(root).get(url)
    if not isinstance(entry, dict) or not safe_path(entry.get("path")):
        return None
    path = root / entry["path"]
    file = path / DESCRIPTOR if path.is_dir() else path
    if not file.is_file() or sha256_hex(file.read_bytes()) != entry.get("sha256"):
        return None
    try:
        _verify(path)
    except LoadError:
        return None
    return Fetched(url, path, str(entry.get("version", "")), str(entry["sha256"]), True)


def _verify(path: Path) -> tuple[str, str]:
    """Every resource of a package checked against its descriptor (and SHA256SUMS); its name and version."""
    with open_package(path, verify=True) as package:
        for resource in package.resources():
            package.data(resource)
        return package.name, package.version


def _published_sha256(url: str, timeout: float) -> str:
    index_url = urljoin(url, RELEASE_INDEX)
    archive = PurePosixPath(urlsplit(url).path).name
    try:
        index = json.loads(_download(index_url, timeout))
    except (FetchError, ValueError) as exc:
        reason = exc.message if isinstance(exc, FetchError) else "not JSON"
        raise FetchError(f"no published sha256 to check the archive against: {index_url} could not be read ({reason}). "
                         "Pass the archive's sha256 from the release page (--sha256 / sha256=)", file=url) from None
    for entry in index.values() if isinstance(index, dict) else []:
        if isinstance(entry, dict) and entry.get("archive") == archive and _SHA256.match(str(entry.get("sha256"))):
            return str(entry["sha256"])
    raise FetchError(f"{index_url} lists no archive {archive}; pass its sha256 from the release page (--sha256 / sha256=)", file=url)


def _given_mismatch(actual: str, given: str) -> str:
    """A sha256 the user typed that the download does not have: most often a mistyped or wrongly copied value."""
    return (f"the download's sha256 is {actual}, not the {given} given with --sha256 (sha256=): check that value against "
            "the release page, where a mistyped or wrongly copied value is the usual cause; if it matches, the download "
            "is incomplete or was altered. Nothing was cached")


def _fetch_archive(url: str, root: Path, expected: str | None, offline: bool, timeout: float) -> Fetched:
    cached = _cached(root, url)
    # A published archive never changes, so a verified copy needs no network.
    if cached and expected in (None, cached.sha256):
        return cached
    if offline:
        raise FetchError(f"not in the cache {root}; fetch it once with network access", file=url)
    given = expected is not None
    expected = expected or _published_sha256(url, timeout)
    data = _download(url, timeout)
    actual = sha256_hex(data)
    if actual != expected and given:
        raise FetchError(_given_mismatch(actual, expected), file=url, field="sha256")
    if actual != expected:
        raise FetchError(f"the download's sha256 is {actual}, the published one {expected}: it is incomplete or was altered; "
                         "nothing was cached. Try again, and report it to the publisher if it persists", file=url, field="sha256")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as tmp:
        staged = Path(tmp) / "archive.zip"
        staged.write_bytes(data)
        try:
            name, version = _verify(staged)
        except LoadError as exc:
            raise FetchError(f"the archive has the published sha256 but fails verification: {exc}", file=url) from None
        archive = _segment(PurePosixPath(urlsplit(url).path).name, "archive name", url)
        target = root / _segment(name, "package name", url) / _segment(version, "version", url) / archive
        if target.exists() and sha256_hex(target.read_bytes()) != actual:
            target.unlink()  # a damaged copy of the same archive: the verified download replaces it
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
    _record(root, url, target, version, actual)
    return Fetched(url, target, version, actual, False)


def _fetch_descriptor(url: str, root: Path, expected: str | None, offline: bool, timeout: float) -> Fetched:
    cached = _cached(root, url)
    if offline:
        if cached and expected in (None, cached.sha256):
            return cached
        raise FetchError(f"not in the cache {root}; fetch it once with network access", file=url)
    try:
        data = _download(url, timeout)
    except _Unreachable:
        # The descriptor URL may name the latest version, so it is asked first; offline, the last copy serves.
        if cached and expected in (None, cached.sha256):
            return cached
        raise
    actual = sha256_hex(data)
    if expected is not None and actual != expected:
        raise FetchError(_given_mismatch(actual, expected), file=url, field="sha256")
    try:
        descriptor = json.loads(data)
    except ValueError:
        raise FetchError("not a JSON descriptor; check the URL", file=url) from None
    if not isinstance(descriptor, dict):
        raise FetchError("not a Data Package descriptor", file=url)
    name = _segment(descriptor.get("name"), "package name", url)
    version = _segment(descriptor.get("version"), "version", url)
    folder = root / name / version / "package"
    if (folder / DESCRIPTOR).is_file():
        if (folder / DESCRIPTOR).read_bytes() != data:
            raise FetchError(f"version {version} at this URL differs from the copy cached earlier in {folder}: a published version must "
                             "never change. Ask the publisher; remove that folder to accept the new files", file=url)
        try:
            _verify(folder)
        except LoadError:
            shutil.rmtree(folder)  # damaged since it was cached: download it again below
        else:
            _record(root, url, folder, version, actual)
            return Fetched(url, folder, version, actual, True)

    files: dict[str, bytes] = {DESCRIPTOR: data}
    resources = descriptor.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        path = resource.get("path") if isinstance(resource, dict) else None
        if not safe_path(path):
            raise FetchError(f"a resource has path {path!r}, which leads outside the package; refusing it", file=url)
        assert isinstance(path, str)
        body = _download(urljoin(url, path), timeout)
        declared = resource.get("hash")
        if declared != f"sha256:{sha256_hex(body)}":
            raise FetchError(f"sha256 is {sha256_hex(body)}, the descriptor says {declared}: the file is incomplete or was altered; "
                             "nothing was cached. Try again, and report it to the publisher if it persists", file=urljoin(url, path), field="hash")
        files[path] = body
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".fetch-"))
    try:
        for path, body in files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(body)
        try:
            _verify(staging)
        except LoadError as exc:
            raise FetchError(f"the downloaded package fails verification: {exc}; nothing was cached", file=url) from None
        if folder.exists():
            shutil.rmtree(folder)  # left incomplete by an interrupted run
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _record(root, url, folder, version, actual)
    return Fetched(url, folder, version, actual, False)
