"""SQL compiled once, not once per package: building and compiling the rules' Ibis expressions costs more than running them on
a package of this size, and the SQL depends on nothing but cnkz's code, the versions of Ibis and the engine, and the names and
types of the tables loaded. A plan is kept for the process and on disk, in the cache folder (`CNKZ_CACHE`, else
$XDG_CACHE_HOME/cnkz or ~/.cache/cnkz), under a fingerprint of all of those: a new process (the command line, each test worker)
skips the compiling too, and any change to the code or a version makes a new fingerprint, never a stale plan.
`CNKZ_SQL_CACHE=off` keeps plans in the process only.

Only SQL of the package's shape is kept, never its data: a rule decided from fetched values (cnkz.validation.expr.decided) holds
an in-memory table and is built anew each time. A cache that cannot be read or written is passed over, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Plan = dict[str, Any]  # JSON: SQL strings and the indexes they count

_PLANS: dict[str, Plan] = {}
_LARGEST = 4 << 20  # a plan is a few hundred kB at most; anything larger in its place is not one of ours


PACKAGE = Path(__file__).resolve().parents[1]  # cnkz/


@functools.cache
def fingerprint(package: Path = PACKAGE) -> str:
    """sha256 of every file of the cnkz package (bytecode aside) and of the versions of the libraries that compile the SQL."""
    import ibis
    import sqlglot

    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions = {"ibis": ibis.__version__, "sqlglot": sqlglot.__version__, "python": sys.version}  # the engine's: in each key
    digest.update(json.dumps(versions, sort_keys=True).encode())
    return digest.hexdigest()


def _folder() -> Path:
    from ..fetch import default_cache_dir

    return default_cache_dir() / "compiled-sql" / fingerprint()[:32]


def remembered(key: tuple[Any, ...], make: Callable[[], Plan]) -> Plan:
    """The plan for `key` (JSON-able: the backend, the tables' names and types, the rules' codes): from this process, else from
    the cache folder, else made by `make` and kept in both."""
    text = json.dumps(key, sort_keys=True, default=str)
    if text in _PLANS:
        return _PLANS[text]
    on_disk = os.environ.get("CNKZ_SQL_CACHE") != "off"
    path = _folder() / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    plan = _read(path, text) if on_disk else None
    if plan is None:
        plan = make()
        if on_disk:
            _write(path, text, plan)
    _PLANS[text] = plan
    return plan


def _read(path: Path, key: str) -> Plan | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > _LARGEST:
            return None
        stored = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("plan"), dict):
        return None  # another key's file (a hash collision) or not ours
    return stored["plan"]


def _write(path: Path, key: str, plan: Plan) -> None:
    from ..safety import write_atomically

    with contextlib.suppress(OSError):  # a read-only or full cache folder: the plan is made again next time
        write_atomically(path, json.dumps({"key": key, "plan": plan}, sort_keys=True).encode())
