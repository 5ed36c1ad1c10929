"""Downloading through a real HTTP server on 127.0.0.1: verification, caching by version, offline use, refusals."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import cnkz
from cnkz.cli import main
from cnkz.fetch import FetchError, fetch

from .conftest import ARCHIVE, RELEASE_DATE, ROOT, VERSION, rehash, set_cell
from .hostile import body, serve_routes, silent_server
from .test_load import release_archive

VERSION_DIR = Path("china-kazakhstan-engagements") / VERSION


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; under /cut/ it promises the whole file but sends half and hangs up."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if not self.path.startswith("/cut/"):
            super().do_GET()
            return
        data = (Path(self.directory) / self.path.removeprefix("/cut/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test server is local: a proxy configured on the machine must not be asked for it.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def expected() -> dict[str, pd.DataFrame]:
    return cnkz.load(ROOT)


def publish_site(repo: Path, root: Path, archive: Path | None = None) -> Path:
    """releases/ with one archive and its index.json, and data/ with the unpacked package, as a publisher serves them."""
    (root / "releases").mkdir(parents=True)
    archive = release_archive(repo, root / "releases" / ARCHIVE) if archive is None else shutil.copy2(archive, root / "releases" / ARCHIVE)
    index = {VERSION: {"archive": ARCHIVE, "sha256": hashlib.sha256(Path(archive).read_bytes()).hexdigest(), "date": RELEASE_DATE}}
    (root / "releases" / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (root / "data").mkdir()
    shutil.copy2(repo / "datapackage.json", root / "data" / "datapackage.json")
    shutil.copytree(repo / "resources", root / "data" / "resources")
    shutil.copytree(repo / "seeds", root / "data" / "seeds")
    return root


@pytest.fixture
def site(repo: Path, tmp_path: Path) -> Path:
    """What a publisher serves: releases/ with the archive and its index.json, and data/ with the unpacked package."""
    return publish_site(repo, tmp_path / "site")


def assert_same(tables: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(tables) == list(expected)
    for name in expected:
        pd.testing.assert_frame_equal(tables[name], expected[name])


def test_archive_is_verified_cached_by_version_and_then_works_offline(site: Path, tmp_path: Path, expected: dict[str, pd.DataFrame]) -> None:
    cache = tmp_path / "cache"
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        assert_same(cnkz.load(url, cache_dir=cache), expected)
        cached = cache / VERSION_DIR / hashlib.sha256((site / "releases" / ARCHIVE).read_bytes()).hexdigest() / ARCHIVE
        assert cached.read_bytes() == (site / "releases" / ARCHIVE).read_bytes()
    # The server is gone: the cache answers.
    again = fetch(url, cache_dir=cache)
    assert (again.path, again.version, again.from_cache) == (cached, VERSION, True)
    assert_same(cnkz.load(url, cache_dir=cache, format="csv"), expected)
    assert fetch(url, cache_dir=cache, offline=True).path == cached


def test_descriptor_url_downloads_every_resource_and_works_offline(site: Path, tmp_path: Path, expected: dict[str, pd.DataFrame]) -> None:
    cache = tmp_path / "cache"
    with serve(site) as base:
        url = f"{base}/data/datapackage.json"
        first = fetch(url, cache_dir=cache)
        digest = hashlib.sha256((site / "data" / "datapackage.json").read_bytes()).hexdigest()
        assert (first.path, first.from_cache) == (cache / VERSION_DIR / digest, False)
        assert sorted(p.name for p in (first.path / "resources").iterdir()) == sorted(p.name for p in (ROOT / "resources").iterdir())
        assert fetch(url, cache_dir=cache).from_cache  # the same version is not downloaded twice
    offline = fetch(url, cache_dir=cache)
    assert offline.from_cache
    assert_same(cnkz.load(url, cache_dir=cache), expected)


def test_truncated_archive_is_refused_and_not_cached(site: Path, tmp_path: Path) -> None:
    archive = site / "releases" / ARCHIVE
    archive.write_bytes(archive.read_bytes()[:-1000])
    cache = tmp_path / "cache"
    with serve(site) as base, pytest.raises(FetchError, match=r"the published one .*: it is incomplete or was altered; nothing was cached") as error:
        fetch(f"{base}/releases/{ARCHIVE}", cache_dir=cache)
    assert error.value.field == "sha256"
    assert not (cache / "china-kazakhstan-engagements").exists()


def test_a_transfer_cut_short_is_refused(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    digest = hashlib.sha256((site / "releases" / ARCHIVE).read_bytes()).hexdigest()
    with serve(site) as base:
        with pytest.raises(FetchError, match="cut short"):
            fetch(f"{base}/cut/releases/{ARCHIVE}", sha256=digest, cache_dir=cache)
        with pytest.raises(FetchError, match="cut short"):
            cnkz.load(f"{base}/cut/data/datapackage.json", cache_dir=cache)
    assert not (cache / "china-kazakhstan-engagements").exists()


def test_tampered_resource_behind_a_descriptor_is_refused(site: Path, tmp_path: Path) -> None:
    set_cell(site / "data", "figures", 11, "value", "410000000000")
    cache = tmp_path / "cache"
    with serve(site) as base, pytest.raises(FetchError, match=r"the descriptor says sha256:.*nothing was cached") as error:
        cnkz.load(f"{base}/data/datapackage.json", cache_dir=cache)
    assert (error.value.file, error.value.field) == (f"{base}/data/resources/figures.csv", "hash")
    assert not (cache / "china-kazakhstan-engagements").exists()


def test_tampered_archive_is_refused_against_the_published_index(site: Path, repo: Path, tmp_path: Path) -> None:
    set_cell(repo, "figures", 11, "value", "410000000000")
    rehash(repo)  # a package consistent in itself, packed by the publisher's code; only the published sha256 tells it apart
    release_archive(repo, site / "releases" / ARCHIVE)  # the index still holds the genuine sha256
    with serve(site) as base, pytest.raises(FetchError, match=r"sha256 is [0-9a-f]{64}, the published one"):
        fetch(f"{base}/releases/{ARCHIVE}", cache_dir=tmp_path / "cache")


def test_an_archive_needs_a_published_sha256(site: Path, tmp_path: Path, expected: dict[str, pd.DataFrame]) -> None:
    digest = hashlib.sha256((site / "releases" / ARCHIVE).read_bytes()).hexdigest()
    (site / "releases" / "index.json").unlink()
    cache = tmp_path / "cache"
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        with pytest.raises(FetchError, match=r"HTTP 404.*Pass the archive's sha256 from the release page"):
            fetch(url, cache_dir=cache)
        with pytest.raises(FetchError) as error:
            fetch(url, sha256="0" * 64, cache_dir=cache)
        assert str(error.value) == (
            f"{url}, field sha256: the download's sha256 is {digest}, not the {'0' * 64} given with --sha256 (sha256=): "
            "check that value against the release page, where a mistyped or wrongly copied value is the usual cause; "
            "if it matches, the download is incomplete or was altered. Nothing was cached"
        )
        assert_same(cnkz.load(url, sha256=digest.upper(), cache_dir=cache), expected)


def test_a_published_version_that_changed_is_refused(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    descriptor = site / "data" / "datapackage.json"
    with serve(site) as base:
        url = f"{base}/data/datapackage.json"
        fetch(url, cache_dir=cache)
        descriptor.write_text(descriptor.read_text(encoding="utf-8").replace("Meetings, visits", "Visits, meetings", 1), encoding="utf-8")
        with pytest.raises(FetchError, match=rf"version {VERSION} at this URL differs from the copy cached earlier"):
            fetch(url, cache_dir=cache)


def test_a_descriptor_pointing_outside_is_refused(site: Path, tmp_path: Path) -> None:
    descriptor = json.loads((site / "data" / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "../releases/index.json"
    (site / "data" / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    cache = tmp_path / "cache"
    with serve(site) as base:
        with pytest.raises(FetchError, match="leads outside the package"):
            fetch(f"{base}/data/datapackage.json", cache_dir=cache)
        with pytest.raises(FetchError, match="HTTP 404"):
            fetch(f"{base}/nothing/datapackage.json", cache_dir=cache)
    assert not (cache / "china-kazakhstan-engagements").exists()


def test_offline_without_a_cached_copy_says_so(site: Path, tmp_path: Path) -> None:
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        with pytest.raises(FetchError, match="not in the cache"):
            fetch(url, cache_dir=tmp_path / "cache", offline=True)
    host = url.split("/")[2]
    with pytest.raises(FetchError) as error:
        fetch(url, cache_dir=tmp_path / "cache")
    assert str(error.value) == f"{url}: could not connect to {host}: connection refused; check the network or the URL"
    with pytest.raises(FetchError, match="only http:// and https://"):
        fetch("ftp://127.0.0.1/x.zip", cache_dir=tmp_path / "cache")


def test_fetch_command(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        assert main(["fetch", url, "--cache-dir", str(cache)]) == 0
        out = capsys.readouterr().out
        digest = hashlib.sha256((site / "releases" / ARCHIVE).read_bytes()).hexdigest()
        assert out.startswith(f"{cache / VERSION_DIR / digest / ARCHIVE}\nversion {VERSION} (downloaded and verified)")
        assert main(["fetch", url, "--cache-dir", str(cache), "--offline"]) == 0
        assert "(from the cache)" in capsys.readouterr().out
        assert main(["fetch", f"{base}/releases/other.zip", "--cache-dir", str(cache), "--sha256", "0" * 64]) == 2
        assert capsys.readouterr().err.startswith(f"cnkz: error: {base}/releases/other.zip: the server answered HTTP 404")


def closed_port() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_refused_connection_is_said_first_and_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = closed_port()
    host = base.removeprefix("http://")
    archive, descriptor = f"{base}/releases/{ARCHIVE}", f"{base}/data/datapackage.json"
    for url, sha256 in ((archive, None), (archive, "0" * 64), (descriptor, None)):
        with pytest.raises(FetchError) as error:
            fetch(url, sha256=sha256, cache_dir=tmp_path / "cache")
        assert str(error.value) == f"{url}: could not connect to {host}: connection refused; check the network or the URL", (url, sha256)
    assert main(["fetch", archive, "--cache-dir", str(tmp_path / "cache")]) == 2
    assert capsys.readouterr().err == f"cnkz: error: {archive}: could not connect to {host}: connection refused; check the network or the URL\n"


def test_a_url_that_does_not_exist_is_an_http_404_before_any_word_of_sha256(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A server with nothing at all (no index.json either), and the real site asked for an archive it does not have.
    with serve_routes({}) as (empty, asked):
        url = f"{empty}/releases/{ARCHIVE}"
        with pytest.raises(FetchError) as error:
            fetch(url, cache_dir=tmp_path / "cache")
        assert str(error.value) == f"{url}: the server answered HTTP 404 Not Found; check the URL"
        assert asked == ["/releases/index.json", f"/releases/{ARCHIVE}"]
    with serve(site) as base:
        url = f"{base}/releases/china-kazakhstan-engagements-0.0.1.zip"
        assert main(["fetch", url, "--cache-dir", str(tmp_path / "cache")]) == 2
        assert capsys.readouterr().err == f"cnkz: error: {url}: the server answered HTTP 404 File not found; check the URL\n"
    # The archive is there and only the index is missing: then, and only then, the sha256 is what is asked for.
    with serve_routes({f"/releases/{ARCHIVE}": body((site / "releases" / ARCHIVE).read_bytes())}) as (bare, _):
        url = f"{bare}/releases/{ARCHIVE}"
        with pytest.raises(FetchError) as error:
            fetch(url, cache_dir=tmp_path / "cache")
        assert str(error.value) == (
            f"{url}: no published sha256 to check the archive against: {bare}/releases/index.json could not be read "
            "(the server answered HTTP 404 Not Found; check the URL). "
            "Pass the archive's sha256 from the release page (--sha256 / sha256=)")


def test_a_silent_server_is_asked_once_not_again_for_the_archive(tmp_path: Path) -> None:
    with silent_server() as (base, connections):
        url = f"{base}/releases/{ARCHIVE}"
        with pytest.raises(FetchError) as error:
            fetch(url, cache_dir=tmp_path / "cache", timeout=0.3)
        assert str(error.value) == f"{url}: the server sent nothing for 0.3 s; nothing was cached. Try again later"
        assert len(connections) == 1  # the index.json request; the archive is on the same server
