"""The same rules on Spark: every kind of semantic fault, planted as a careful tamperer would, gives Spark exactly the problems
it gives DuckDB. Run by `nox -s spark` (pyspark and Java; local[2]); skipped elsewhere unless CNKZ_SPARK=1 demands it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from cnkz.validate import check_rows, validate
from cnkz.validation.settings import Settings

from .conftest import ROOT, copy_repo
from .faults import FAULTS, SEMANTIC
from .test_faults import damaged, expected_layer
from .test_tamperer import tampered

REQUIRED = os.environ.get("CNKZ_SPARK") == "1"
pytestmark = [
    pytest.mark.slow,
    # py4j, which PySpark talks to its JVM through, leaves sockets to the garbage collector (upstream).
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.skipif(not REQUIRED and importlib.util.find_spec("pyspark") is None, reason="needs pyspark and Java: run `nox -s spark`"),
]
# One fault per check code: a code's rules compile the same way whichever fault plants it. CNKZ_SPARK_FAULTS=all runs every
# fault of the row and provenance layers instead (about 25 minutes), both as the tamperer plants it and as the fault table
# does (the file faults too: a cell not of its type, a column missing from one format, a seed changed).
ALL = os.environ.get("CNKZ_SPARK_FAULTS") == "all"
ONE_PER_CODE = list({f.check: f for f in SEMANTIC}.values())
TAMPERED = SEMANTIC if ALL else ONE_PER_CODE
ON_THE_ENGINE = [f for f in FAULTS if expected_layer(f.check) in {"rows", "provenance"}] if ALL else []


def _both(package: Path) -> tuple[list[str], list[str]]:
    duckdb = [str(p) for p in validate(package, [check_rows])]
    spark = [str(p) for p in validate(package, [check_rows], engine=Settings(engine="spark"))]
    return duckdb, spark


def test_the_published_package_is_valid_on_spark() -> None:
    assert _both(ROOT) == ([], [])


@pytest.mark.parametrize("fault", TAMPERED, ids=[f.check if not ALL else f.name for f in TAMPERED])
def test_spark_finds_what_duckdb_finds(tmp_path: Path, fault: object) -> None:
    package, _ = tampered(tmp_path / "package", fault)  # type: ignore[arg-type]
    duckdb, spark = _both(package)
    assert any(f"[{fault.check}]" in p for p in duckdb)  # type: ignore[attr-defined]
    assert spark == duckdb


@pytest.mark.parametrize("fault", ON_THE_ENGINE, ids=[f.name for f in ON_THE_ENGINE])
def test_spark_finds_what_duckdb_finds_in_the_fault_table(tmp_path: Path, fault: object) -> None:
    package = copy_repo(tmp_path / "repo")
    damaged(package, fault)  # type: ignore[arg-type]
    duckdb, spark = _both(package)
    assert any(f"[{fault.check}]" in p for p in duckdb)  # type: ignore[attr-defined]
    assert spark == duckdb
