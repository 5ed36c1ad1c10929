"""Attacks on `cnkz fetch` and its cache, each reproduced against a real server on 127.0.0.1, then refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

import cnkz
from cnkz.cli import main
from cnkz.fetch import FetchError, fetch
from cnkz.limits import Limits
from cnkz.progress import Progress
from cnkz.safety import staging
from cnkz.validate import validate

from .conftest import rehash, set_cell
from .hostile import Route, body, drip, endless, redirect, serve_routes, trickle
from .test_fetch import ARCHIVE, publish_site, serve
from .test_load import release_archive

SMALL = Limits(download_bytes=2_000_000, download_seconds=3)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CNKZ_MAX_DOWNLOAD_BYTES", raising=False)


@pytest.fixture
def site(repo: Path, tmp_path: Path) -> Path:
    return publish_site(repo, tmp_path / "site")


# ---------------------------------------------------------------- 1. cache poisoning


def test_an_archive_of_the_same_name_and_version_from_another_url_does_not_replace_the_cached_one(site: Path, repo: Path, tmp_path: Path) -> None:
    genuine = (site / "releases" / ARCHIVE).read_bytes()
    set_cell(repo, "figures", 11, "value", "410000000000")
    rehash(repo)  # a consistent forgery: only the sha256 published next to the genuine archive tells them apart
    forged = publish_site(repo, tmp_path / "forged", release_archive(repo, tmp_path / ARCHIVE))  # its own index.json vouches for it
    cache = tmp_path / "cache"
    with serve(site) as good, serve(forged) as bad:
        first = fetch(f"{good}/releases/{ARCHIVE}", cache_dir=cache)
        second = fetch(f"{bad}/releases/{ARCHIVE}", cache_dir=cache)
    assert first.path != second.path
    assert first.path.read_bytes() == genuine
    assert cnkz.load(first.path)["figures"]["value"].iloc[11] != 410000000000
    again = fetch(f"{good}/releases/{ARCHIVE}", cache_dir=cache, offline=True)
    assert (again.path, again.from_cache) == (first.path, True)


def test_a_damaged_cached_copy_is_replaced_only_by_the_verified_bytes(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve(site) as base:
        first = fetch(f"{base}/releases/{ARCHIVE}", cache_dir=cache)
        first.path.write_bytes(b"damaged")
        again = fetch(f"{base}/releases/{ARCHIVE}", cache_dir=cache)
    assert again.path == first.path
    assert again.path.read_bytes() == (site / "releases" / ARCHIVE).read_bytes()


# ---------------------------------------------------------------- 3. size and time caps


def test_an_endless_body_stops_at_the_download_cap(tmp_path: Path) -> None:
    with serve_routes({"/x.zip": endless}) as (base, _):
        with pytest.raises(FetchError, match=r"over the cap of 2000000 bytes .*--max-download-bytes or CNKZ_MAX_DOWNLOAD_BYTES"):
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=tmp_path / "cache", limits=SMALL)
        with pytest.raises(FetchError, match="over the cap of 10000000"):
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=tmp_path / "cache", limits=Limits(download_bytes=10_000_000))


def test_a_declared_length_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    huge = body(b"", length=10**12)
    with serve_routes({"/x.zip": huge}) as (base, _), pytest.raises(FetchError, match=r"over the cap of 1073741824 bytes \(1000000000000 so far\)"):
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=tmp_path / "cache")


def test_a_trickling_server_cannot_stretch_the_total_download_time(tmp_path: Path) -> None:
    started = time.monotonic()
    slow = trickle(0.2)
    with serve_routes({"/x.zip": slow}) as (base, _), pytest.raises(FetchError, match=r"took longer than 1 s; nothing was cached .*--max-download-seconds"):
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=tmp_path / "cache", timeout=30, limits=Limits(download_seconds=1))
    assert time.monotonic() - started < 5  # the per-read timeout (30 s) never fired; the total cap did


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def _took_too_long(url: str, seconds: float) -> str:
    return (f"{url}: the download took longer than {seconds:g} s; nothing was cached "
            "(raise it with --max-download-seconds or CNKZ_MAX_DOWNLOAD_SECONDS if the file is trusted on a slow connection)")


@pytest.mark.parametrize("route", [
    drip(b"", b"HTTP/1.1 200 OK", 0.2),
    drip(b"HTTP/1.1 200 OK\r\n", b"X-Pad: a\r\n", 0.2),
    drip(CHUNKED, b"0", 0.2),
    drip(CHUNKED + b"1\r\nx\r\n0\r\n", b"X-Trailer: a\r\n", 0.2),
], ids=["status line", "headers", "chunk-size line", "trailers"])
def test_a_trickle_before_or_between_the_body_bytes_cannot_stretch_the_total_download_time(tmp_path: Path, route: Route) -> None:
    # Every byte comes well within the 30 s per-wait timeout; only the total deadline can end it.
    cache = tmp_path / "cache"
    with serve_routes({"/x.zip": route}) as (base, _):
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=cache, timeout=30, limits=Limits(download_seconds=1))
        elapsed = time.monotonic() - started
    assert str(caught.value) == _took_too_long(f"{base}/x.zip", 1)
    assert elapsed < 3  # a hang test, not a speed test: without the deadline this runs until the server gives up (30 s)
    assert not [p for p in cache.rglob("*") if p.is_file() and p.name not in (".lock", "urls.json")]


def test_a_chain_of_trickled_redirects_cannot_stretch_the_total_download_time(tmp_path: Path) -> None:
    # Each hop answers within a second, well inside the per-wait timeout; the deadline covers the chain.
    hops = {f"/r{n}.zip": drip(b"", f"HTTP/1.0 302 Found\r\nLocation: /r{n + 1}.zip\r\nContent-Length: 0\r\n\r\n".encode(), 0.01, repeat=False)
            for n in range(8)}
    with serve_routes(hops) as (base, asked):
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetch(f"{base}/r0.zip", sha256="0" * 64, cache_dir=tmp_path / "cache", timeout=30, limits=Limits(download_seconds=1.5))
        elapsed = time.monotonic() - started
    assert str(caught.value) == _took_too_long(f"{base}/r0.zip", 1.5)
    assert elapsed < 3.5
    assert 2 <= len(asked) < 8


def test_a_redirect_s_body_is_not_read(tmp_path: Path) -> None:
    away = drip(b"HTTP/1.0 302 Found\r\nLocation: /x.zip\r\nContent-Length: 1000000\r\n\r\n", b"0", 0.2)
    with serve_routes({"/a.zip": away, "/x.zip": body(b"data")}) as (base, asked):
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"the download's sha256 is [0-9a-f]{64}, not the 0+ given"):
            fetch(f"{base}/a.zip", sha256="0" * 64, cache_dir=tmp_path / "cache", timeout=30, limits=Limits(download_seconds=10))
        elapsed = time.monotonic() - started
    assert asked == ["/a.zip", "/x.zip"]
    assert elapsed < 3


def test_an_expired_deadline_is_one_line_from_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve_routes({"/x.zip": drip(CHUNKED, b"0", 0.2)}) as (base, _):
        started = time.monotonic()
        status = main(["fetch", f"{base}/x.zip", "--sha256", "0" * 64, "--cache-dir", str(tmp_path / "cache"), "--max-download-seconds", "1"])
        elapsed = time.monotonic() - started
    assert (status, capsys.readouterr().err) == (2, f"cnkz: error: {_took_too_long(f'{base}/x.zip', 1)}\n")
    assert elapsed < 3


def test_the_caps_are_raised_by_option_and_environment(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CNKZ_MAX_DOWNLOAD_BYTES", "1000")
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        assert main(["fetch", url, "--cache-dir", str(tmp_path / "cache")]) == 2
        assert "over the cap of 1000 bytes" in capsys.readouterr().err
        assert main(["fetch", url, "--cache-dir", str(tmp_path / "cache"), "--max-download-bytes", "100000000"]) == 0


# ---------------------------------------------------------------- 4. pinned hash


def test_a_resource_at_datapackage_json_cannot_swap_the_pinned_descriptor(site: Path, tmp_path: Path) -> None:
    path = site / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    decoy = dict(descriptor, title="Another package")
    (site / "data" / "other.json").write_text(json.dumps(decoy), encoding="utf-8")
    descriptor["resources"].append({"name": "x", "path": "datapackage.json",
                                    "hash": "sha256:" + hashlib.sha256(json.dumps(decoy).encode()).hexdigest()})
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    pinned = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    with serve(site) as base, pytest.raises(FetchError, match=r"lists 'datapackage\.json' as a resource file, which would overwrite the descriptor"):
        fetch(f"{base}/data/datapackage.json", sha256=pinned, cache_dir=cache)
    assert not (cache / "china-kazakhstan-engagements").exists()


# ---------------------------------------------------------------- 10. concurrency and leftovers


def test_eight_fetches_at_once_share_one_copy_and_lose_no_url(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    results: list[object] = []
    with serve(site) as base:
        urls = [f"{base}/releases/{ARCHIVE}?copy={n % 4}" for n in range(8)]
        threads = [threading.Thread(target=lambda u=url: results.append(_try(u, cache))) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert all(isinstance(r, Path) for r in results), results
    assert len(set(results)) == 1
    assert set(json.loads((cache / "urls.json").read_text(encoding="utf-8"))) == set(urls)
    assert not [p for p in cache.iterdir() if p.name.startswith(".fetch-")]


def _try(url: str, cache: Path) -> object:
    try:
        return fetch(url, cache_dir=cache).path
    except Exception as exc:  # reported by the assertion, not lost in a thread
        return exc


def test_a_crashed_fetch_leaves_nothing_behind_after_the_next(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    crashed = cache / ".fetch-crashed"
    (crashed / "package").mkdir(parents=True)
    (crashed / "package" / "datapackage.json").write_text("{}", encoding="utf-8")
    with staging(cache, ".fetch-") as alive, serve(site) as base:
        (alive / "part").write_bytes(b"still downloading")
        fetch(f"{base}/releases/{ARCHIVE}", cache_dir=cache)
        assert not crashed.exists()
        assert alive.exists()  # a running fetch's folder is locked, so it stays


# ---------------------------------------------------------------- 11. one-line errors


def test_a_cache_folder_that_is_a_file_or_read_only_is_named(site: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with serve(site) as base:
        url = f"{base}/releases/{ARCHIVE}"
        with pytest.raises(FetchError, match="the cache folder is a file"):
            fetch(url, cache_dir=tmp_path / "file")
        with pytest.raises(FetchError, match="cannot create the cache folder"):
            fetch(url, cache_dir=tmp_path / "file" / "below")
        (tmp_path / "ro").mkdir(mode=0o500)
        if os.geteuid() != 0:  # root writes anywhere
            with pytest.raises(FetchError, match="not writable"):
                fetch(url, cache_dir=tmp_path / "ro")


def descriptor_site(tmp_path: Path, descriptor: object, files: dict[str, bytes] | None = None) -> dict[str, object]:
    data = json.dumps(descriptor).encode() if not isinstance(descriptor, bytes) else descriptor
    return {"/d/datapackage.json": body(data), **{f"/d/{k}": body(v) for k, v in (files or {}).items()}}


@pytest.mark.parametrize(("descriptor", "message"), [
    (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    ({"name": "x" * 300, "version": "1.0.0", "resources": []}, "is not a plain name of at most 100 characters"),
    ({"name": "p", "version": "1.0.0", "resources": [{"path": "extra", "hash": "sha256:" + hashlib.sha256(b"a").hexdigest()},
                                                     {"path": "extra/b", "hash": "sha256:" + hashlib.sha256(b"b").hexdigest()}]},
     "lists both 'extra' and 'extra/b'"),
    ({"name": "p", "version": "1.0.0", "resources": [{"path": "a\x00b"}]}, "leads outside the package"),
], ids=["deep", "long name", "file and folder", "NUL"])
def test_hostile_descriptors_are_one_line_errors(tmp_path: Path, descriptor: object, message: str) -> None:
    routes = descriptor_site(tmp_path, descriptor, {"extra": b"a", "extra/b": b"b"})
    with serve_routes(routes) as (base, _), pytest.raises(FetchError, match=message):
            fetch(f"{base}/d/datapackage.json", cache_dir=tmp_path / "cache")


# ---------------------------------------------------------------- 12. lesser


def test_a_redirect_to_ftp_is_not_followed(tmp_path: Path) -> None:
    away = redirect("ftp://127.0.0.1/x.zip")
    with serve_routes({"/x.zip": away}) as (base, _), pytest.raises(FetchError, match=r"redirects to ftp://127.0.0.1/x.zip, which is not http\(s\)"):
            fetch(f"{base}/x.zip", sha256="0" * 64, cache_dir=tmp_path / "cache")


def test_a_package_fetched_by_descriptor_url_validates(site: Path, tmp_path: Path) -> None:
    with serve(site) as base:
        fetched = fetch(f"{base}/data/datapackage.json", cache_dir=tmp_path / "cache")
    assert validate(fetched.path) == []


def test_a_seed_that_does_not_match_the_sources_table_is_refused(site: Path, tmp_path: Path) -> None:
    seed = next((site / "data" / "seeds").iterdir())
    seed.write_bytes(seed.read_bytes() + b"!")
    with serve(site) as base, pytest.raises(FetchError, match="the sources table says"):
        fetch(f"{base}/data/datapackage.json", cache_dir=tmp_path / "cache")


# ---------------------------------------------------------------- progress


def test_progress_shows_on_a_terminal_only(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with serve(site) as base:
        fetch(f"{base}/releases/{ARCHIVE}", cache_dir=tmp_path / "a", progress=Progress(stream=screen))
        assert f"{ARCHIVE}:" in screen.getvalue() and "MB" in screen.getvalue()
        quiet = Terminal()
        fetch(f"{base}/releases/{ARCHIVE}", cache_dir=tmp_path / "b", progress=Progress.for_terminal(quiet=True))
        assert quiet.getvalue() == ""
        assert main(["fetch", f"{base}/releases/{ARCHIVE}", "--cache-dir", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: silent
