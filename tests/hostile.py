"""Hostile servers and files for the hardening tests: each one reproduces an attack or an unlucky accident."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Route = Callable[[BaseHTTPRequestHandler], None]


@contextlib.contextmanager
def serve_routes(routes: dict[str, Route]) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 answering each path with its route; yields the base URL and the paths asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            route = routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            with contextlib.suppress(OSError):
                route(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def body(data: bytes, length: int | None = None) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data) if length is None else length))
        handler.end_headers()
        handler.wfile.write(data)
    return route


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A body that never ends (no Content-Length), sent as fast as it is read."""
    handler.send_response(200)
    handler.end_headers()
    chunk = b"0" * 65536
    while True:
        handler.wfile.write(chunk)


def trickle(seconds: float) -> Route:
    """One byte every `seconds`: each read succeeds, so a per-read timeout never fires."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        for _ in range(1_000_000):
            handler.wfile.write(b"0")
            handler.wfile.flush()
            time.sleep(seconds)
    return route


def drip(sent: bytes, dripped: bytes, seconds: float, *, repeat: bool = True, give_up: float = 30) -> Route:
    """Raw bytes, status line and headers included: `sent` at once, then `dripped` one byte every `seconds` (over and over
    when `repeat`). Each byte arrives well within any per-wait timeout, so only a total deadline ends it; the server gives
    up after `give_up` s, so that a client without one fails its test rather than hanging the suite."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.wfile.write(sent)
        stop = time.monotonic() + give_up
        while time.monotonic() < stop:
            for byte in dripped:
                handler.wfile.write(bytes([byte]))
                time.sleep(seconds)
            if not repeat:
                return
    return route


def redirect(location: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return route


@contextlib.contextmanager
def silent_server() -> Iterator[tuple[str, list[float]]]:
    """Accepts connections and never answers; yields its base URL and the times of the connections it got."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    connections: list[float] = []
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            connections.append(time.monotonic())
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def big_member_zip(path: Path, size: int, name: str = "pkg/resources/events.csv") -> Path:
    """A small zip whose one member unpacks to `size` bytes (zeros compress a thousand to one)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, archive.open(name, "w", force_zip64=True) as member:
        chunk = b"\0" * (4 << 20)
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(b"\0" * (size % len(chunk)))
    return path
