"""Caps on untrusted input (archive members, descriptors, downloads), and JSON parsed within them.

Each cap has a default, an environment variable and a command-line option that raise it; the
library takes `limits=` or `with using(Limits(...))`. SECURITY.md lists them.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import CnkzError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The caps; every one can be raised (see `option` for the command-line spelling)."""

    member_bytes: int = 256 * MiB  # one file of a package or archive, unpacked
    descriptor_bytes: int = 16 * MiB  # datapackage.json, SHA256SUMS, index.json, urls.json
    json_depth: int = 64  # nesting of arrays and objects in those files
    archive_members: int = 10_000  # files in one archive
    archive_bytes: int = 1024 * MiB  # all files of one archive, unpacked
    download_bytes: int = 1024 * MiB  # all files of one fetch together
    download_seconds: float = 600.0  # one fetch from first request to last byte

    def option(self, name: str) -> str:
        return "--max-" + name.replace("_", "-")

    def env(self, name: str) -> str:
        return "CNKZ_MAX_" + name.upper()

    def how_to_raise(self, name: str) -> str:
        return f"raise it with {self.option(name)} or {self.env(name)} if the file is trusted"


FIELDS = tuple(f.name for f in dataclasses.fields(Limits))
_current: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("cnkz_limits", default=None)


class LimitError(CnkzError):
    """Input went over a cap, or was malformed in a way that parsing it would not survive."""


def from_env(base: Limits | None = None) -> Limits:
    """The defaults, raised (or lowered) by CNKZ_MAX_* environment variables."""
    base = base or Limits()
    changes: dict[str, Any] = {}
    for name in FIELDS:
        raw = os.environ.get(base.env(name))
        if raw is None:
            continue
        kind = type(getattr(base, name))
        try:
            value = kind(raw)
        except ValueError:
            raise LimitError(f"{base.env(name)}={raw!r} is not a number") from None
        if value <= 0:
            raise LimitError(f"{base.env(name)}={raw!r} must be positive")
        changes[name] = value
    return dataclasses.replace(base, **changes)


def current() -> Limits:
    """The caps in force: those set by `using`, else the defaults with the environment applied."""
    return _current.get() or from_env()


@contextlib.contextmanager
def using(limits: Limits | None) -> Iterator[Limits]:
    """Apply `limits` (None: keep what is in force) to everything called inside the block."""
    if limits is None:
        yield current()
        return
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)


def check_size(size: int, name: str, what: str, where: str | None, error: type[CnkzError] = LimitError) -> None:
    limits = current()
    cap = getattr(limits, name)
    if size > cap:
        raise error(f"{what} is {size} bytes, over the cap of {cap}; refusing it ({limits.how_to_raise(name)})", file=where)


def parse_json(data: bytes, where: str, error: type[CnkzError] = LimitError) -> Any:
    """UTF-8 JSON within the descriptor size and nesting caps, or one `error` naming what was wrong."""
    limits = current()
    check_size(len(data), "descriptor_bytes", "the JSON file", where, error)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 (byte {exc.start}); a descriptor is UTF-8 JSON", file=where) from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise error(f"JSON nested too deeply (over {limits.json_depth} levels); refusing it ({limits.how_to_raise('json_depth')})", file=where) from None
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc})", file=where) from None
    if depth(value, limits.json_depth) > limits.json_depth:
        raise error(f"JSON nested too deeply (over {limits.json_depth} levels); refusing it ({limits.how_to_raise('json_depth')})", file=where)
    return value


def depth(value: Any, stop: int) -> int:
    """Nesting depth of parsed JSON, without recursion; stops counting past `stop`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > stop:
                return deepest
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
