"""How the rules are run: the engine and its limits (light to import: the CLI reads its defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("duckdb", "spark")
# DuckDB's memory_limit; past it, it spills to the spill folder. 512MB keeps the whole process under 1 GiB at 10^6 rows a
# table (948 MiB; 1GB gave 1,746 MiB for 2 % less time): the rest of the process holds about 250 MB of libraries and data
# and the batches in flight.
MEMORY_LIMIT = os.environ.get("CNKZ_MEMORY_LIMIT", "512MB")


@dataclass
class Settings:
    """How to run the engine: which one, its memory limit and where it may spill (a private folder by default)."""

    engine: str = "duckdb"
    memory_limit: str = MEMORY_LIMIT
    spill: Path | None = None
    threads: int | None = None
