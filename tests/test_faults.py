"""Fault injection: every kind of damage is caught by `cnkz validate` with a located message.

Each fault is checked against the layers of `cnkz validate` one at a time, the layer expected to catch it first, until one
reports it: a fault in the descriptor costs no row checks and a row fault no rebuild. One fault per layer also goes
through the whole command's layers at once (END_TO_END), so the composition is covered too.

A semantic fault (a rule of the rows or the provenance broken) is planted here only when it stands for its layer: every one
of them is planted in tests/test_tamperer.py with the Parquet file, every hash and SHA256SUMS made to agree, and must be
caught there at its row by every layer run together. That is this test's assertion under harder conditions; running each
here as well, with its Parquet twin left behind, checked nothing more.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnkz.build import repository_layers, validate_repository
from cnkz.errors import Problem
from cnkz.validate import Layer, validate
from cnkz.validation.catalogue import code

from .conftest import ROOT, rehash
from .faults import FAULTS, SEMANTIC, Fault

BY_NAME = {f.name: f for f in FAULTS}
# One fault for each layer of `cnkz validate` in the repository, run through every layer together.
END_TO_END = {
    "check_profile": "descriptor not a Data Package",
    "check_descriptor_content": "schema differs from the table definitions",
    "check_local_only": "schema given by URL",
    "check_files": "CRLF line endings",
    "check_checksums": "file not listed in SHA256SUMS",
    "check_rows": "dangling foreign key: pledges.event_id",
    "check_non_finite": "NaN in a Parquet number column",
    "check_curation": "published files edited by hand",
    "check_documents": "generated codebook edited by hand",
}


# Every fault but the semantic ones (see above), which are here only when they stand for their layer.
FAULT_TABLE = [f for f in FAULTS if f not in SEMANTIC or f.name in END_TO_END.values()]


def damaged(repo: Path, fault: Fault) -> int | None:
    row = fault.inject(repo)
    if fault.rehash:
        rehash(repo)
    return row


def located(fault: Fault, row: int | None, problems: list[Problem]) -> list[Problem]:
    """The fault's problems in `problems`; asserts they are there and at the fault's row."""
    ours = [p for p in problems if p.check == fault.check and p.table == fault.table and p.column == fault.column]
    assert ours, f"{fault.name}: no [{fault.check}] {fault.table}/{fault.column} in\n" + "\n".join(map(str, problems))
    expected_row = fault.row if fault.row is not None else (row + 2 if row is not None else None)
    if expected_row is not None:
        assert any(p.row.split(" ")[0] == str(expected_row) for p in ours), [str(p) for p in ours]
    return ours


# The functions of each layer of the catalogue (cnkz.validation.catalogue): the search for a fault starts with those of its
# code's layer. It only orders the search, so a wrong layer costs time, never a verdict: every other function is tried after.
LAYER_FUNCTIONS = {
    "descriptor": {"check_profile", "check_descriptor_content", "check_local_only"},
    "files": {"check_files", "check_checksums"},
    "rows": {"check_rows"},
    "provenance": {"check_rows"},
    "numbers": {"check_non_finite"},
    "frictionless": {"check_frictionless"},
    "repository": {"check_curation", "check_documents"},
}


def expected_layer(check: str) -> str:
    """The catalogue's layer of a check code."""
    return code(check).layer


def catching_layer(repo: Path, fault: Fault) -> tuple[Layer | None, list[Problem]]:
    """The layer that reports the fault (the expected one first, then the others in the command's order) and what it
    reports; every layer's problems if none does."""
    seen: list[Problem] = []
    layers = repository_layers(repo)
    first = LAYER_FUNCTIONS[expected_layer(fault.check)]
    for layer in sorted(layers, key=lambda layer: layer.__name__ not in first):
        problems = validate(repo, [layer])
        if any(p.check == fault.check and p.table == fault.table and p.column == fault.column for p in problems):
            return layer, problems
        seen += problems
    return None, seen  # no layer caught it: located() fails on `seen` and shows them


def test_the_catalogue_is_large_and_distinct() -> None:
    assert len(FAULTS) >= 30
    assert len({f.name for f in FAULTS}) == len(FAULTS)


def test_every_layer_has_an_end_to_end_fault() -> None:
    assert set(END_TO_END) == {layer.__name__ for layer in repository_layers(ROOT)}
    assert set().union(*LAYER_FUNCTIONS.values()) - {"check_frictionless"} <= set(END_TO_END)  # frictionless: with --frictionless only
    assert set(END_TO_END.values()) <= set(BY_NAME)


@pytest.mark.parametrize("fault", FAULT_TABLE, ids=[f.name for f in FAULT_TABLE])
def test_fault_is_caught_and_located(repo: Path, fault: Fault) -> None:
    row = damaged(repo, fault)
    layer, problems = catching_layer(repo, fault)
    located(fault, row, problems)
    # An end-to-end fault is caught by the layer it stands for (so each layer has one).
    assert fault.name not in END_TO_END.values() or END_TO_END.get(getattr(layer, "__name__", "")) == fault.name, layer


@pytest.mark.parametrize("name", END_TO_END.values(), ids=list(END_TO_END))
def test_fault_is_caught_within_the_whole_command(repo: Path, name: str) -> None:
    fault = BY_NAME[name]
    row = damaged(repo, fault)
    located(fault, row, validate_repository(repo))
