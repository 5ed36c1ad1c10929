"""The check-code catalogue is complete and every code in it is earned: each has a planted fault that produces it, and the
rules are declared without an engine."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cnkz.datamodel import current
from cnkz.validation.catalogue import CODES, LAYERS
from cnkz.validation.registry import rules_for

from .conftest import ROOT
from .faults import FAULTS

# Codes whose fault cannot be planted in a package folder of the fault table, with the test that plants it instead.
PLANTED_ELSEWHERE = {
    "archive": "tests/test_security_round3.py::test_1_an_absolute_member_behind_an_empty_segment_writes_nothing",
    "engine": "tests/test_engines.py::test_a_rule_the_engine_cannot_run_is_reported_not_skipped",
    "frictionless": "tests/test_validate.py::test_frictionless_layer_reports_row_and_field",
    "frictionless_guard": "tests/test_frictionless_guard.py::test_a_zip_compressed_resource_is_not_unpacked",
}
ENGINES = {"duckdb", "pyspark", "pandas", "polars", "numpy", "sqlite3"}


def test_every_code_has_a_layer_and_a_title() -> None:
    for entry in CODES.values():
        assert entry.layer in LAYERS, entry
        # A phrase to read after "[code]": lower case unless it opens with an acronym, no full stop.
        assert entry.title and (entry.title[0].islower() or entry.title.split()[0].isupper()) and not entry.title.endswith("."), entry


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_planted_fault(code: str) -> None:
    planted = [f.name for f in FAULTS if f.check == code]
    if code in PLANTED_ELSEWHERE:
        assert not planted, f"{code} has faults in the table: take it out of PLANTED_ELSEWHERE"
        path, name = PLANTED_ELSEWHERE[code].split("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert f"def {name}(" in source, PLANTED_ELSEWHERE[code]
        assert f'"{code}"' in source, f"{PLANTED_ELSEWHERE[code]} does not assert the code {code!r}"
    else:
        assert planted, f"no fault in tests/faults.py plants [{code}]"


def test_every_rule_is_catalogued_in_the_rows_or_provenance_layer() -> None:
    model = current()
    for table in model.tables:
        for rule in rules_for(model, table):
            assert CODES[rule.code].layer in {"rows", "provenance"}, rule.code


def test_every_code_the_source_builds_a_problem_with_is_catalogued() -> None:
    built = set()
    for path in (ROOT / "src" / "cnkz").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        built |= set(re.findall(r'(?:_p|Problem|FileProblem)\(\s*"([a-z_]+)"', text))
    assert built, "the pattern found no problem being built"
    assert built <= set(CODES), sorted(built - set(CODES))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


RULE_MODULES = sorted([*(ROOT / "src" / "cnkz" / "validation" / "rules").glob("*.py"),
                       *(ROOT / "src" / "cnkz" / "validation" / name for name in ("registry.py", "expr.py"))])


@pytest.mark.parametrize("path", RULE_MODULES, ids=[p.name for p in RULE_MODULES])
def test_rules_never_import_an_engine(path: Path) -> None:
    assert not _imports(path) & ENGINES, f"{path.name} imports {sorted(_imports(path) & ENGINES)}: rules build Ibis expressions only"


@pytest.mark.parametrize("major", [3, 2, 1])
def test_each_rule_is_named_once_by_its_code_table_and_column(major: int) -> None:
    # Compiled SQL is kept under a rule's code, table and column (cnkz.validation.compiled): two rules of one name would share it.
    from cnkz.datamodel import frozen
    from cnkz.validation.columns import column_rules
    from cnkz.validation.provenance import quote_rules

    model = current() if major == current().major else frozen(major)
    names = [(r.code, r.table, r.column) for t in model.tables for r in [*column_rules(t), *quote_rules(t), *rules_for(model, t)]]
    assert len(names) > 300
    assert len(set(names)) == len(names), sorted({n for n in names if names.count(n) > 1})
