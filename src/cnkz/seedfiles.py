"""Reading the seed texts of a package: confined to it, never a FIFO or device, one open, fstat and read per file.

A million seeds are read per validation at scale: the per-file cost is a few system calls and one hash.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import is_package_path
from .safety import READ_FLAGS, read_within


@dataclass(frozen=True)
class Seed:
    """What was read of one source text: its sha256 and size, and its text (None when it is not UTF-8)."""

    sha256: str
    size: int
    text: str | None


class Confined:
    """safe_path for many files of one package: each folder is resolved once, a file that is a link is followed only inside."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.folders: dict[str, str | None] = {}

    def path(self, path: Any) -> str | None:
        """The file `path` names, its folder resolved (the file itself may still be a link: read() refuses to follow it out)."""
        if not is_package_path(path):
            return None
        folder, _, name = str(path).rpartition("/")
        if folder not in self.folders:
            resolved = (self.root / folder).resolve()
            self.folders[folder] = str(resolved) if resolved.is_relative_to(self.root) else None
        base = self.folders[folder]
        return None if base is None else os.path.join(base, name)

    def read(self, file: str | None, cap: int) -> bytes | None:
        """A regular file's bytes, or None: missing, a FIFO or device, over `cap`, or a link leading out of the package.

        One open, fstat and read per file (a million seeds are read): O_NOFOLLOW makes a link fail to open, and only
        then is it resolved and checked."""
        if file is None:
            return None
        try:
            fd = os.open(file, READ_FLAGS | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno != errno.ELOOP or not Path(file).resolve().is_relative_to(self.root):
                return None
            try:  # a link that stays inside the package
                fd = os.open(Path(file).resolve(), READ_FLAGS)
            except OSError:
                return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > cap:
                return None
            data = read_within(fd, info.st_size, cap)
        finally:
            os.close(fd)
        return data if len(data) <= cap else None


def read_seeds(confined: Confined, files: list[str | None], cap: int) -> list[Seed | None]:
    """Each seed's sha256, size and text (the text None when it is not UTF-8); None when it cannot be read."""
    out: list[Seed | None] = []
    for file in files:
        data = confined.read(file, cap)
        if data is None:
            out.append(None)
            continue
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        out.append(Seed(hashlib.sha256(data).hexdigest(), len(data), text))
    return out
