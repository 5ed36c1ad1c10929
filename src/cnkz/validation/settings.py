"""How the rules are run: the engine and its limits (light to import: the CLI reads its defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("duckdb", "spark")
MEMORY_LIMIT = os.environ.get("CNKZ_MEMORY_LIMIT", "1GB")  # DuckDB's memory_limit; past it, it spills to the spill folder


@dataclass
class Settings:
    """How to run the engine: which one, its memory limit and where it may spill (a private folder by default)."""

    engine: str = "duckdb"
    memory_limit: str = MEMORY_LIMIT
    spill: Path | None = None
    threads: int | None = None
