"""Download a release archive or a published datapackage.json, verify it, and cache it by content.

Cache layout (default ~/.cache/cnkz, or $CNKZ_CACHE): `<name>/<version>/<sha256>/<archive>.zip` for
archives and `<name>/<version>/<sha256>/` for packages fetched through their descriptor (the sha256
is the archive's or the descriptor's), and `urls.json`, which maps each URL to what it gave, so a
later call works offline. A verified copy is never replaced by other bytes: different bytes for
the same name and version go to their own folder. Writers take turns through `.lock`; folders
left by a crashed fetch (`.fetch-*`) are removed by the next one.
"""

from __future__ import annotations

import csv
import functools
import http.client
import io
import json
import os
import re
import shutil
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

from .errors import CnkzError
from .files import is_package_path
from .limits import Limits, current, parse_json, using
from .load import CHECKSUMS, DESCRIPTOR, LoadError, open_package, sha256_hex
from .progress import Progress
from .safety import clean_leftovers, locked, read_regular, staging, write_atomically

URLS = "urls.json"
LOCK = ".lock"
STAGING = ".fetch-"
RELEASE_INDEX = "index.json"  # what `cnkz release` publishes next to the archives: version -> archive, sha256
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 64 * 1024


class FetchError(CnkzError):
    """A download failed or did not match what was published; nothing was cached."""


class _NoAnswer(FetchError):
    """No HTTP answer came (as opposed to an answer that was wrong): the server could not be reached, went silent, or the time ran out."""


class _Unreachable(_NoAnswer):
    """The server could not be reached, or the connection failed before an HTTP answer: a cached copy of a descriptor may serve."""


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


def fetch(url: str, *, sha256: str | None = None, cache_dir: str | Path | None = None, offline: bool = False, timeout: float = 60,
          limits: Limits | None = None, progress: Progress | None = None) -> Fetched:
    """Fetch a release .zip or a datapackage.json URL into the cache, checked against the published sha256.

    `timeout` bounds each wait for the server; `limits` caps the download's size and total time.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// URLs can be fetched; for a local copy pass its path to cnkz.load", file=url)
    expected = sha256.lower() if sha256 else None
    if expected is not None and not _SHA256.match(expected):
        raise FetchError(f"{sha256!r} is not a sha256 (64 hexadecimal digits)", field="sha256")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    with using(limits):
        session = _Session(url, timeout, progress or Progress(enabled=False))
        if parts.path.endswith(".zip"):
            return _fetch_archive(url, root, expected, offline, session)
        if parts.path.endswith(".json"):
            return _fetch_descriptor(url, root, expected, offline, session)
    raise FetchError("expected the URL of a release archive (.zip) or of a datapackage.json", file=url)


# ---------------------------------------------------------------- downloading


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only: never to ftp:// or file://. A redirect's body is not read (urllib would read
    it whole, uncapped); the connection is closed instead."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        fp.close()
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"the server redirects to {newurl}, which is not http(s); refusing to follow it", file=req.full_url)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# The total deadline must bound every blocking call on the socket, not only the body's reads: http.client reads the
# status line, headers, chunk-size lines and trailers with readline(), and each byte received restarts the socket's
# timeout, so a server sending one byte a second keeps a plain timeout from ever firing. Every connection opened for a
# fetch therefore (1) connects each address, and hands the TLS handshake a timeout, of at most the time left, and
# (2) is wrapped so that each recv and sendall first sets the socket's timeout to min(per-wait timeout, time left).
# A watchdog thread shutting sockets down at the deadline was the alternative; it was not chosen because it cannot
# reach a socket while it is connecting or in the TLS handshake (the socket is not yet the connection's, or is being
# detached into the TLS one), it needs a thread per fetch and a registry of live sockets, and a shutdown racing a close
# on another thread could hit a reused descriptor. Setting the timeout before each call needs neither, and CPython
# bounds one call (recv, sendall, connect, handshake) by its timeout as a whole, however the bytes arrive.


def _within(session: _Session, sock: socket.socket, call: Any, *args: Any) -> Any:
    """`call(*args)` on `sock`, waiting at most min(the per-wait timeout, the time left); the deadline error when it ends it."""
    wait, last = session.wait()
    sock.settimeout(wait)
    try:
        return call(*args)
    except TimeoutError:
        if last:
            raise session.expired() from None
        raise


def _connect_within(session: _Session, address: tuple[str, int], timeout: Any = None, source_address: Any = None) -> socket.socket:
    """socket.create_connection, but each address is tried within what is left of the deadline, so several together cannot outlast it."""
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _, target in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            if source_address:
                sock.bind(source_address)
            _within(session, sock, sock.connect, target)
            sock.settimeout(session.wait()[0])  # bounds the TLS handshake that may follow, as a whole
            return sock
        except OSError as exc:
            sock.close()
            error = exc
        except BaseException:
            sock.close()
            raise
    raise error or OSError(f"no address found for {host}")


class _BoundedReader(io.RawIOBase):
    """A socket's raw reader whose every read ends by the deadline (http.client's readline and read go through it)."""

    def __init__(self, raw: Any, sock: _BoundedSocket):
        super().__init__()
        self._raw = raw
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        return self._sock.within(self._raw.readinto, buffer)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # releases the socket, as socket.makefile's reader does
        super().close()


class _BoundedSocket:
    """A connected socket (plain or TLS) whose sends and receives each end by the deadline."""

    def __init__(self, sock: socket.socket, session: _Session):
        self._sock = sock
        self._session = session

    def within(self, call: Any, *args: Any) -> Any:
        return _within(self._session, self._sock, call, *args)

    def sendall(self, data: Any) -> None:
        self.within(self._sock.sendall, data)

    def recv(self, size: int) -> bytes:
        return self.within(self._sock.recv, size)

    def recv_into(self, buffer: Any, size: int = 0) -> int:
        return self.within(self._sock.recv_into, buffer, size)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"only 'rb' is supported, not {mode!r}")
        return io.BufferedReader(_BoundedReader(self._sock.makefile("rb", buffering=0), self))

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Bounded:
    """What both connection classes add: connecting, then every read and send on the socket, within the session's time
    (for HTTPS, super().connect() connects within the time left and does the TLS handshake within what is left)."""

    sock: Any

    def __init__(self, session: _Session, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._session = session
        self._create_connection = functools.partial(_connect_within, session)

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock = _BoundedSocket(self.sock, self._session)


class _BoundedHTTPConnection(_Bounded, http.client.HTTPConnection):
    pass


class _BoundedHTTPSConnection(_Bounded, http.client.HTTPSConnection):
    pass


class _BoundedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, session: _Session):
        super().__init__()
        self._session = session

    def http_open(self, req: Any) -> Any:
        return self.do_open(functools.partial(_BoundedHTTPConnection, self._session), req)


class _BoundedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, session: _Session):
        super().__init__()
        self._session = session

    def https_open(self, req: Any) -> Any:
        return self.do_open(functools.partial(_BoundedHTTPSConnection, self._session), req)


def _host(url: str) -> str:
    """The host (and port, if the URL gives one) a URL names, without any user name or password."""
    return urlsplit(url).netloc.rpartition("@")[2] or url


def _reason(exc: BaseException, timeout: float) -> str:
    """What went wrong on the network, in words: 'connection refused', 'no route to host'."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "the connection was reset"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"the name does not resolve ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate could not be verified ({exc.verify_message or exc.reason})"
    if isinstance(exc, ssl.SSLError):
        return f"the TLS handshake failed ({exc.reason or exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _failure(exc: BaseException, url: str, timeout: float) -> _Unreachable:
    """A download that got no HTTP answer, said as what happened: 'could not connect to HOST: connection refused'."""
    host = _host(url)
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        # urllib wraps what happens while connecting and sending the request: the server was not reached.
        return _Unreachable(f"could not connect to {host}: {_reason(exc.reason, timeout)}; check the network or the URL", file=url)
    if isinstance(exc, urllib.error.URLError):
        return _Unreachable(f"cannot fetch this URL ({exc.reason})", file=url)
    if isinstance(exc, http.client.RemoteDisconnected):
        return _Unreachable(f"{host} closed the connection without answering; nothing was cached. Try again later", file=url)
    if isinstance(exc, http.client.HTTPException):
        return _Unreachable(f"{host} did not answer in HTTP ({type(exc).__name__}: {exc}); check the URL", file=url)
    if isinstance(exc, ValueError):
        return _Unreachable(f"not a URL that can be fetched ({exc})", file=url)
    return _Unreachable(f"the connection to {host} failed: {_reason(exc, timeout)}; nothing was cached. Try again", file=url)


class _Session:
    """One fetch's downloads: they share the size cap and the total-time cap, which every wait on the network ends by."""

    def __init__(self, url: str, timeout: float, progress: Progress):
        self.url = url
        self.timeout = timeout
        self.progress = progress
        self.started = time.monotonic()
        self.received = 0
        self.downloading = url
        self.opener = urllib.request.build_opener(_HttpOnlyRedirects, _BoundedHTTPHandler(self), _BoundedHTTPSHandler(self))

    def expired(self, url: str | None = None) -> FetchError:
        limits = current()
        return _NoAnswer(f"the download took longer than {limits.download_seconds:g} s; nothing was cached "
                          f"({limits.how_to_raise('download_seconds')} on a slow connection)", file=url or self.downloading)

    def remaining(self, url: str) -> float:
        left = current().download_seconds - (time.monotonic() - self.started)
        if left <= 0:
            raise self.expired(url)
        return left

    def wait(self) -> tuple[float, bool]:
        """How long the next wait on the network may last, and whether that is the time left (not the per-wait timeout)."""
        left = self.remaining(self.downloading)
        return (left, True) if left <= self.timeout else (self.timeout, False)

    def download(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": "cnkz-fetch"})
        limits = current()
        self.downloading = url
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and self.received + int(length) > limits.download_bytes:
                    raise self._too_big(url, self.received + int(length))
                data = self._read(response, url, int(length) if length and length.isdigit() else None)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise FetchError(f"the server answered HTTP {exc.code} {exc.reason}; check the URL", file=url) from None
        except http.client.IncompleteRead as exc:
            self.remaining(url)
            raise FetchError(f"the download was cut short after {len(exc.partial)} bytes; nothing was cached. Try again", file=url) from None
        except FetchError:
            raise
        except TimeoutError:
            self.remaining(url)  # past the total cap: say so rather than blame the last wait
            raise _NoAnswer(f"the server sent nothing for {self.timeout:g} s; nothing was cached. Try again later", file=url) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            self.remaining(url)
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, FetchError):
                raise reason from None
            raise _failure(exc, url, self.timeout) from None
        if length is not None and length.isdigit() and int(length) != len(data):
            raise FetchError(f"the download was cut short: {len(data)} of {length} bytes; nothing was cached. Try again", file=url)
        return data

    def _read(self, response: Any, url: str, length: int | None) -> bytes:
        """The body in chunks, stopping at the size cap and the total-time cap, however slowly it trickles."""
        limits = current()
        chunks = []
        name = PurePosixPath(urlsplit(url).path).name or url
        while True:
            self.remaining(url)
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            self.received += len(chunk)
            if self.received > limits.download_bytes:
                raise self._too_big(url, self.received)
            chunks.append(chunk)
            self.progress.update(name, sum(map(len, chunks)), length)
        self.progress.finish()
        return b"".join(chunks)

    def _too_big(self, url: str, size: int) -> FetchError:
        limits = current()
        return FetchError(f"the download is over the cap of {limits.download_bytes} bytes ({size} so far); nothing was cached "
                          f"({limits.how_to_raise('download_bytes')})", file=url)


# ---------------------------------------------------------------- the cache


def _segment(value: Any, what: str, url: str) -> str:
    """A descriptor's name or version as one folder name, refused when it could lead elsewhere or is too long."""
    if not isinstance(value, str) or not _SEGMENT.match(value) or ".." in value:
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:59] + "…"
        raise FetchError(f"the {what} {shown!r} is not a plain name of at most 100 characters; refusing to cache it", file=url)
    return value


def _prepare(root: Path) -> None:
    """The cache folder exists and is writable, or one clear error."""
    if root.exists() and not root.is_dir():
        raise FetchError("the cache folder is a file; remove it or pass another --cache-dir / $CNKZ_CACHE", file=str(root))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create the cache folder ({exc.strerror}); pass another --cache-dir / $CNKZ_CACHE", file=str(root)) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise FetchError("the cache folder is not writable; pass another --cache-dir / $CNKZ_CACHE", file=str(root))


def _read_urls(root: Path) -> dict[str, dict[str, str]]:
    try:
        entries = parse_json(read_regular(root / URLS, "the URL list"), str(root / URLS))
    except CnkzError:
        return {}
    return entries if isinstance(entries, dict) else {}


def _record(root: Path, url: str, path: Path, version: str, digest: str) -> None:
    """Add one URL to urls.json; called with the cache lock held, so parallel fetches lose no entry."""
    entries = _read_urls(root)
    entries[url] = {"path": path.relative_to(root).as_posix(), "version": version, "sha256": digest}
    write_atomically(root / URLS, (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def _intact(path: Path, digest: str) -> bool:
    """A cached archive or package folder still has the bytes it was verified with."""
    file = path / DESCRIPTOR if path.is_dir() else path
    try:
        if sha256_hex(read_regular(file)) != digest:
            return False
        _verify(path)
    except CnkzError:
        return False
    return True


def _cached(root: Path, url: str) -> Fetched | None:
    """The cache's copy of what url gave before, if it is still intact."""
    entry = _read_urls(root).get(url)
    if not isinstance(entry, dict) or not is_package_path(entry.get("path")) or not _SHA256.match(str(entry.get("sha256"))):
        return None
    path = root / entry["path"]
    if not _intact(path, entry["sha256"]):
        return None
    return Fetched(url, path, str(entry.get("version", "")), str(entry["sha256"]), True)


def _verify(path: Path) -> tuple[str, str]:
    """Every resource of a package checked against its descriptor (and SHA256SUMS); its name and version."""
    with open_package(path, verify=True) as package:
        for resource in package.resources():
            package.data(resource)
        return package.name, package.version


def _place(root: Path, url: str, staged: Path, target: Path, digest: str, version: str) -> Fetched:
    """Move a verified staged archive or folder to its content-addressed place, unless an intact copy is there already."""
    archive = staged.is_file()
    path = target / staged.name if archive else target
    with locked(root / LOCK, "the cache", FetchError):
        if target.exists() and not _intact(path, digest):
            # Not the verified bytes (damaged since it was cached): the verified download takes its place.
            shutil.rmtree(target, ignore_errors=True)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.parent if archive else staged, target)
        _record(root, url, path, version, digest)
    return Fetched(url, path, version, digest, False)


def _published_sha256(url: str, session: _Session) -> str:
    index_url = urljoin(url, RELEASE_INDEX)
    archive = PurePosixPath(urlsplit(url).path).name
    try:
        index = parse_json(session.download(index_url), index_url, FetchError)
    except _NoAnswer:
        raise
    except FetchError as exc:
        raise FetchError(f"no published sha256 to check the archive against: {index_url} could not be read ({exc.message}). "
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


def _start(root: Path, url: str) -> Fetched | None:
    _prepare(root)
    with locked(root / LOCK, "the cache", FetchError):
        clean_leftovers(root, STAGING)
        return _cached(root, url)


def _fetch_archive(url: str, root: Path, expected: str | None, offline: bool, session: _Session) -> Fetched:
    cached = _start(root, url)
    # A published archive never changes, so a verified copy needs no network.
    if cached and expected in (None, cached.sha256):
        return cached
    if offline:
        raise FetchError(f"not in the cache {root}; fetch it once with network access", file=url)
    given = expected is not None
    unpublished: FetchError | None = None
    if expected is None:
        try:
            expected = _published_sha256(url, session)
        except _NoAnswer as exc:
            raise type(exc)(exc.message, file=url) from None  # the archive is on the same server: no use asking it too
        except FetchError as exc:
            unpublished = exc  # said only if the archive itself downloads: a wrong URL or an HTTP error comes first
    archive = _segment(PurePosixPath(urlsplit(url).path).name, "archive name", url)
    data = session.download(url)
    if unpublished is not None:
        raise unpublished
    assert expected is not None
    actual = sha256_hex(data)
    if actual != expected and given:
        raise FetchError(_given_mismatch(actual, expected), file=url, field="sha256")
    if actual != expected:
        raise FetchError(f"the download's sha256 is {actual}, the published one {expected}: it is incomplete or was altered; "
                         "nothing was cached. Try again, and report it to the publisher if it persists", file=url, field="sha256")
    with staging(root, STAGING) as folder:
        staged = folder / archive
        staged.write_bytes(data)
        try:
            name, version = _verify(staged)
        except LoadError as exc:
            raise FetchError(f"the archive has the published sha256 but fails verification: {exc}", file=url) from None
        target = root / _segment(name, "package name", url) / _segment(version, "version", url) / actual
        return _place(root, url, staged, target, actual, version)


def _resource_paths(descriptor: dict[str, Any], url: str) -> list[tuple[str, Any]]:
    """Each resource's path and declared hash; refused when a path is unsafe, repeated, the descriptor itself, or a folder of another."""
    resources = descriptor.get("resources")
    found: list[tuple[str, Any]] = []
    for resource in resources if isinstance(resources, list) else []:
        path = resource.get("path") if isinstance(resource, dict) else None
        if not is_package_path(path):
            raise FetchError(f"a resource has path {path!r}, which leads outside the package; refusing it", file=url)
        assert isinstance(path, str) and isinstance(resource, dict)
        found.append((path, resource.get("hash")))
    _check_layout([p for p, _ in found], url)
    return found


def _check_layout(paths: list[str], url: str) -> None:
    seen: set[str] = set()
    for path in paths:
        normal = PurePosixPath(path).as_posix()
        if normal in (DESCRIPTOR, CHECKSUMS) or normal in seen:
            # A resource at datapackage.json would replace the pinned descriptor with other bytes.
            raise FetchError(f"the descriptor lists {path!r} as a resource file, which would overwrite "
                             f"{'the descriptor' if normal == DESCRIPTOR else 'another file'}; refusing the package", file=url)
        seen.add(normal)
    for path in seen:
        for parent in PurePosixPath(path).parents:
            if parent.as_posix() in seen:
                raise FetchError(f"the descriptor lists both {parent.as_posix()!r} and {path!r}: one cannot be a file and a folder; "
                                 "refusing the package", file=url)


def _seed_files(files: dict[str, bytes], descriptor: dict[str, Any]) -> list[tuple[str, str]]:
    """The source texts the `sources` table cites (path, sha256), so a fetched package validates as published."""
    for resource in descriptor.get("resources") or []:
        if isinstance(resource, dict) and resource.get("name") == "sources" and resource.get("format") == "csv" and resource.get("path") in files:
            try:
                rows = list(csv.DictReader(io.StringIO(files[resource["path"]].decode("utf-8"), newline="")))
            except (UnicodeDecodeError, csv.Error):
                return []
            return [(str(r.get("path")), str(r.get("sha256"))) for r in rows if r.get("path")]
    return []


def _fetch_descriptor(url: str, root: Path, expected: str | None, offline: bool, session: _Session) -> Fetched:
    cached = _start(root, url)
    if offline:
        if cached and expected in (None, cached.sha256):
            return cached
        raise FetchError(f"not in the cache {root}; fetch it once with network access", file=url)
    try:
        data = session.download(url)
    except _Unreachable:
        # The descriptor URL may name the latest version, so it is asked first; offline, the last copy serves.
        if cached and expected in (None, cached.sha256):
            return cached
        raise
    actual = sha256_hex(data)
    if expected is not None and actual != expected:
        raise FetchError(_given_mismatch(actual, expected), file=url, field="sha256")
    descriptor = parse_json(data, url, FetchError)
    if not isinstance(descriptor, dict):
        raise FetchError("not a Data Package descriptor", file=url)
    name = _segment(descriptor.get("name"), "package name", url)
    version = _segment(descriptor.get("version"), "version", url)
    target = root / name / version / actual
    if cached and cached.sha256 == actual:
        return cached
    if cached and expected is None and cached.version == version:
        raise FetchError(f"version {version} at this URL differs from the copy cached earlier in {cached.path}: a published version must "
                         f"never change. Ask the publisher; pass --sha256 {actual} to accept the new files", file=url)
    if _intact(target, actual):
        with locked(root / LOCK, "the cache", FetchError):
            _record(root, url, target, version, actual)
        return Fetched(url, target, version, actual, True)

    files: dict[str, bytes] = {DESCRIPTOR: data}
    for path, declared in _resource_paths(descriptor, url):
        body = session.download(urljoin(url, path))
        if declared != f"sha256:{sha256_hex(body)}":
            raise FetchError(f"sha256 is {sha256_hex(body)}, the descriptor says {declared}: the file is incomplete or was altered; "
                             "nothing was cached. Try again, and report it to the publisher if it persists", file=urljoin(url, path), field="hash")
        files[path] = body
    seeds = [(p, h) for p, h in _seed_files(files, descriptor) if p not in files]
    if not all(is_package_path(p) for p, _ in seeds):
        raise FetchError("the sources table cites a text outside the package; refusing the package", file=url)
    _check_layout([p for p in files if p != DESCRIPTOR] + [p for p, _ in seeds], url)
    for path, digest in seeds:
        body = session.download(urljoin(url, path))
        if sha256_hex(body) != digest:
            raise FetchError(f"sha256 is {sha256_hex(body)}, the sources table says {digest}; nothing was cached", file=urljoin(url, path), field="sha256")
        files[path] = body
    with staging(root, STAGING) as folder:
        package = folder / "package"
        for path, body in files.items():
            (package / path).parent.mkdir(parents=True, exist_ok=True)
            (package / path).write_bytes(body)
        if (package / DESCRIPTOR).read_bytes() != data:
            raise FetchError("the staged descriptor is not the one downloaded; refusing the package", file=url)
        try:
            _verify(package)
        except LoadError as exc:
            raise FetchError(f"the downloaded package fails verification: {exc}; nothing was cached", file=url) from None
        return _place(root, url, package, target, actual, version)
