"""Safe access to untrusted folders and archives, and the locks and staging folders that make writes crash-safe.

Files are read only when they are regular files inside their package (no FIFO, device or link out),
within the member cap, in bounded chunks. Archives are refused when they hold duplicate or unsafe
names, too many members, or members over the cap; a damaged member is a one-line error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from .errors import CnkzError
from .files import is_package_path, path_key
from .limits import check_size, current

CHUNK = 1024 * 1024


def _flock(fd: int, wait: bool = True) -> bool:
    """An exclusive flock on fd; False when another holder has it (wait=False). Without fcntl (Windows), no locking."""
    if sys.platform == "win32":
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError as exc:
        if not wait and exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    return True


class UnsafeInput(CnkzError):
    """A file or archive that cannot be read safely: outside the package, not a regular file, over a cap, or damaged."""


def inside(base: Path, relative: str) -> Path:
    """`base / relative` resolved, refused when the path or a link in it leads out of `base`."""
    if not is_package_path(relative):
        raise UnsafeInput("the path leads outside the package; refusing to read it", file=relative)
    resolved_base = base.resolve()
    resolved = (resolved_base / relative).resolve()
    if not resolved.is_relative_to(resolved_base):
        raise UnsafeInput("the path leads outside the package through a link; refusing to read it", file=str(base / relative))
    return resolved


# O_NONBLOCK: opening a FIFO must not wait for a writer.
READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def read_regular(path: Path, what: str = "the file", error: type[CnkzError] = UnsafeInput) -> bytes:
    """A regular file's bytes, within the member cap; FIFOs, devices and folders are refused without blocking."""
    try:
        fd = os.open(path, READ_FLAGS)
    except FileNotFoundError:
        raise error(f"{what} is missing", file=str(path)) from None
    except OSError as exc:
        raise error(f"{what} cannot be opened ({exc.strerror})", file=str(path)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} is not a regular file (a folder, device, FIFO or socket); refusing to read it", file=str(path))
        check_size(info.st_size, "member_bytes", what, str(path), error)
        data = read_within(fd, info.st_size, current().member_bytes)
    finally:
        os.close(fd)
    check_size(len(data), "member_bytes", what, str(path), error)  # it may have grown while it was read
    return data


def read_within(fd: int, size: int, cap: int) -> bytes:
    """An open regular file of `size` bytes: one read when it still has that size (a short read of a regular file is its
    end); if it grew, on in chunks to its end or just past `cap`, which the caller then refuses."""
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    parts, total = [data], len(data)
    while total <= cap and (chunk := os.read(fd, CHUNK)):
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def regular_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a package file (None when it can): missing, not regular, or over the cap."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "no file"
    except OSError as exc:
        return f"an unreadable path ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > current().member_bytes:
        return f"{info.st_size} bytes, over the member cap of {current().member_bytes}"
    return None


# ---------------------------------------------------------------- archives


def open_zip(path: Path, label: str) -> zipfile.ZipFile:
    """A zip whose member list is safe to use: unique, confined names, and not too many of them."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnsafeInput(f"not a readable zip archive ({exc}); download it again", file=label) from None
    try:
        check_members(archive, label)
    except BaseException:
        archive.close()
        raise
    return archive


def check_members(archive: zipfile.ZipFile, label: str) -> None:
    infos = archive.infolist()
    limits = current()
    if len(infos) > limits.archive_members:
        raise UnsafeInput(f"the archive holds {len(infos)} members, over the cap of {limits.archive_members} "
                          f"({limits.how_to_raise('archive_members')})", file=label)
    total = sum(info.file_size for info in infos)
    if total > limits.archive_bytes:
        raise UnsafeInput(f"the archive unpacks to {total} bytes, over the cap of {limits.archive_bytes} "
                          f"({limits.how_to_raise('archive_bytes')})", file=label)
    seen: dict[str, str] = {}
    for info in infos:
        name = info.filename
        if not is_package_path(name.removesuffix("/") if info.is_dir() else name):
            raise UnsafeInput(f"the archive holds a member named {name!r}, which is not a plain relative path inside the package "
                              "(an empty, '.' or '..' segment, a leading '/', a backslash or a control character); refusing the whole "
                              "archive. Download the release from its official location", file=label)
        key = path_key(name.removesuffix("/"))
        if key in seen:
            # Tools disagree on which copy wins (unzip reads the first, Python the last), and a case-insensitive disk
            # makes one file of two names: refuse both.
            twice = repr(name) if seen[key] == name else f"{seen[key]!r} and {name!r}, one name on a case-insensitive disk,"
            raise UnsafeInput(f"the archive holds {twice} twice; refusing the whole archive. Download the release from its official location",
                              file=label)
        seen[key] = name


def archive_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The files of a checked archive (see `open_zip`) by their path in the package: a release's one top folder stripped."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    tops = {info.filename.split("/", 1)[0] for info in infos}
    prefix = f"{next(iter(tops))}/" if len(tops) == 1 and all("/" in info.filename for info in infos) else ""
    members = {info.filename[len(prefix):]: info for info in infos}
    # Every name passed the path rule whole, so what is left after the top folder passes it too; checked again because
    # this is what gets joined onto a folder.
    for relative in members:
        if not is_package_path(relative):
            raise UnsafeInput(f"the member {relative!r} is not a plain relative path once the top folder is removed", file=archive.filename or "")
    return members


def unpack(archive: zipfile.ZipFile, folder: Path, label: str) -> None:
    """Write a checked archive's files into the empty private `folder`: each path confined by `inside`, each file created
    new (never through a link, never over another file)."""
    for relative, info in archive_members(archive).items():
        data = read_member(archive, info, f"{label}!{info.filename}")
        parent = folder.joinpath(*relative.split("/")[:-1])
        parent.mkdir(parents=True, exist_ok=True)
        target = inside(folder, relative)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except FileExistsError:
            raise UnsafeInput("the archive names this file twice; refusing the whole archive", file=f"{label}!{info.filename}") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """One member, decompressed in bounded chunks: the member cap holds whatever the header claims."""
    check_size(info.file_size, "member_bytes", "the member", where, UnsafeInput)
    chunks, total = [], 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                total += len(chunk)
                check_size(total, "member_bytes", "the member", where, UnsafeInput)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise UnsafeInput(f"the member is damaged or cannot be unpacked ({exc}); download the archive again", file=where) from None
    return b"".join(chunks)


# ---------------------------------------------------------------- locks and staging


_held = threading.local()  # lock files this thread holds: a nested `locked` on the same file goes through


@contextlib.contextmanager
def locked(lock_file: Path, what: str, error: type[CnkzError] = CnkzError) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (waiting for another run to finish), so concurrent runs take turns."""
    key = str(lock_file.resolve())
    held: set[str] = _held.__dict__.setdefault("files", set())
    if key in held:
        yield
        return
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise error(f"cannot create the lock file for {what} ({exc.strerror}); check that the folder is writable", file=str(lock_file)) from None
    try:
        _flock(fd)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # closing releases the lock


def _hold(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    _flock(fd)
    return fd


@contextlib.contextmanager
def staging(parent: Path, prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A fresh folder in `parent`, locked while its owner runs, so `clean_leftovers` can tell a live one from a crashed one.

    It is removed afterwards unless `keep` (for a publish journal that may still need it) or it was moved away.
    """
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    fd = _hold(folder)
    try:
        yield folder
    finally:
        os.close(fd)
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def clean_leftovers(parent: Path, prefix: str, *, spare: set[str] | None = None, grace: float = 600.0) -> list[str]:
    """Remove `prefix*` folders left in `parent` by runs that crashed; those still locked by a live run stay."""
    removed: list[str] = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(prefix) and p.name not in (spare or set())]
    except OSError:
        return removed
    for folder in candidates:
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            if not _flock(fd, wait=False):
                continue  # its run is alive
            # Unlocked: its run ended without removing it, or has not locked it yet (a fresh folder; spare those).
            if time.time() - folder.stat().st_mtime < grace and not any(folder.iterdir()):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
        finally:
            os.close(fd)
    return removed


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: the bytes go to a private file beside it, reach the disk, and then take its name in
    one step, readable by all as a published file is (a crash leaves the old file or the new one, never a part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(handle.name, 0o644)  # temporary files are created private
    os.replace(handle.name, path)
