"""Fault injection: every kind of damage is caught by `cnkz validate` with a located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnkz.build import validate_repository

from .conftest import rehash
from .faults import FAULTS, Fault


def test_the_catalogue_is_large_and_distinct() -> None:
    assert len(FAULTS) >= 30
    assert len({f.name for f in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_caught_and_located(repo: Path, fault: Fault) -> None:
    row = fault.inject(repo)
    if fault.rehash:
        rehash(repo)
    problems = validate_repository(repo)
    ours = [p for p in problems if p.check == fault.check and p.table == fault.table and p.column == fault.column]
    assert ours, f"{fault.name}: no [{fault.check}] {fault.table}/{fault.column} in\n" + "\n".join(map(str, problems))
    expected_row = fault.row if fault.row is not None else (row + 2 if row is not None else None)
    if expected_row is not None:
        assert any(p.row.split(" ")[0] == str(expected_row) for p in ours), [str(p) for p in ours]
