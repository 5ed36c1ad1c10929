"""The public entry points `cnkz.load` and `cnkz.load_table`: a path is read by cnkz.load, a URL fetched first by cnkz.fetch."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .fetch import fetch
from .limits import Limits, using
from .load import DESCRIPTOR, FORMATS, LoadError, find_package, open_package, read_table, sha256_hex
from .safety import read_regular

if TYPE_CHECKING:
    import pandas as pd

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _source(path: str | Path | None, sha256: str | None, cache_dir: str | Path | None) -> Path:
    if path is None:
        source = find_package()
    elif isinstance(path, str) and _URL.match(path):
        return fetch(path, sha256=sha256, cache_dir=cache_dir).path
    else:
        source = Path(path)
    if sha256 is not None:
        file = source / DESCRIPTOR if source.is_dir() else source
        actual = sha256_hex(read_regular(file, "the file", LoadError)) if file.is_file() else None
        if actual != sha256.lower():
            raise LoadError(f"sha256 is {actual}, expected {sha256}; this is not the published file", file=str(file), field="sha256")
    return source


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise LoadError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def load(path: str | Path | None = None, *, format: str = "parquet", verify: bool = True,
         sha256: str | None = None, cache_dir: str | Path | None = None, limits: Limits | None = None) -> dict[str, pd.DataFrame]:
    """Every table by name, in published order (a package of another major version: its own tables): `path` is a package
    folder, its datapackage.json, a release .zip, or the URL of either (downloaded once, checked and cached; see
    cnkz.fetch); None finds the dataset from here. `limits` raises the caps on untrusted input (cnkz.limits.Limits)."""
    _check_format(format)
    with using(limits), open_package(_source(path, sha256, cache_dir), verify=verify) as package:
        return {table.name: read_table(package, table, format) for table in package.tables()}


def load_table(name: str, path: str | Path | None = None, *, format: str = "parquet", verify: bool = True,
               sha256: str | None = None, cache_dir: str | Path | None = None, limits: Limits | None = None) -> pd.DataFrame:
    """One table by name (sources, places, events, participants, pledges, figures, pledge_updates); arguments as for `load`."""
    _check_format(format)
    with using(limits), open_package(_source(path, sha256, cache_dir), verify=verify) as package:
        tables = {t.name: t for t in package.tables()}
        if name not in tables:
            raise LoadError(f"no table {name!r}; the tables are {', '.join(tables)}")
        return read_table(package, tables[name], format)
