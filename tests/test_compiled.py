"""Compiled SQL kept for the process and on disk: made once, read back by a new process, passed over when it is not ours, and
never a reason for a validation to find other problems than a cold one finds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnkz.validate import check_rows, validate
from cnkz.validation import compiled

from .conftest import ROOT, rehash
from .faults import FAULTS
from .test_tamperer import downloaded, parquet_like_csv

KEY = ("one pass", ["duckdb", "x"], "events", "schema", [["vocabulary", "events", "event_type"]])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and a process that has kept no plan yet."""
    monkeypatch.setenv("CNKZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CNKZ_SQL_CACHE", raising=False)
    monkeypatch.setattr(compiled, "_PLANS", {})
    yield tmp_path / "cache"


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "_PLANS", {})


class Maker:
    def __init__(self, plan: dict) -> None:
        self.plan, self.calls = plan, 0

    def __call__(self) -> dict:
        self.calls += 1
        return self.plan


def _files(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*.json"))


def test_a_plan_is_made_once_then_read_back_by_a_new_process(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make = Maker({"sql": "SELECT 1 AS c0", "local": [0], "joined": []})
    assert compiled.remembered(KEY, make) == make.plan
    assert compiled.remembered(KEY, make) == make.plan
    assert make.calls == 1
    [file] = _files(cache)
    assert file.parent.parent.name == "compiled-sql" and file.parent.name == compiled.fingerprint()[:32]
    _new_process(monkeypatch)
    assert compiled.remembered(KEY, Maker({"sql": "other"})) == make.plan  # from disk: not made again


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", json.dumps({"key": "another key", "plan": {"sql": "x"}}).encode(),
                                     json.dumps({"key": "k", "plan": "not a plan"}).encode(), b" " * (5 << 20)],
                         ids=["not json", "not an object", "another key", "not a plan", "too large"])
def test_a_file_that_is_not_this_key_s_plan_is_passed_over_and_replaced(cache: Path, monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    compiled.remembered(KEY, Maker({"sql": "SELECT 1"}))
    [file] = _files(cache)
    file.write_bytes(content)
    _new_process(monkeypatch)
    make = Maker({"sql": "SELECT 2"})
    assert compiled.remembered(KEY, make) == {"sql": "SELECT 2"}
    assert make.calls == 1
    assert json.loads(file.read_bytes())["plan"] == {"sql": "SELECT 2"}


def test_a_plan_behind_a_link_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    compiled.remembered(KEY, Maker({"sql": "SELECT 1"}))
    [file] = _files(cache)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(file.read_bytes().replace(b"SELECT 1", b"SELECT 666"))
    file.unlink()
    file.symlink_to(elsewhere)
    _new_process(monkeypatch)
    assert compiled.remembered(KEY, Maker({"sql": "SELECT 2"})) == {"sql": "SELECT 2"}


def test_with_the_cache_off_nothing_is_read_or_written(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled.remembered(KEY, Maker({"sql": "SELECT 1"}))
    monkeypatch.setenv("CNKZ_SQL_CACHE", "off")
    _new_process(monkeypatch)
    make = Maker({"sql": "SELECT 2"})
    assert compiled.remembered(KEY, make) == {"sql": "SELECT 2"} and make.calls == 1
    assert [json.loads(f.read_bytes())["plan"] for f in _files(cache)] == [{"sql": "SELECT 1"}]


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a file").write_text("x")
    monkeypatch.setenv("CNKZ_CACHE", str(tmp_path / "a file"))
    monkeypatch.setattr(compiled, "_PLANS", {})
    assert compiled.remembered(KEY, Maker({"sql": "SELECT 1"})) == {"sql": "SELECT 1"}


def test_the_fingerprint_follows_every_file_of_the_package_but_not_its_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "cnkz"
    shutil.copytree(ROOT / "src" / "cnkz", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = compiled.fingerprint(package)
    (package / "validation" / "__pycache__").mkdir(exist_ok=True)
    (package / "validation" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert compiled.fingerprint.__wrapped__(package) == before
    rules = package / "validation" / "rules" / "events.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    assert compiled.fingerprint.__wrapped__(package) != before


# One fault of each way a rule is counted: in the one pass (vocabulary, a foreign key), in the joined query of SQL kept for
# any package (primary key, day_sequence), decided from fetched values (plover_crosswalk, summary_supported), and the quotes;
# all planted in one package, as a careful tamperer would, so the three runs below validate it three times, not twenty.
WARMED = list({f.check: f for f in FAULTS if f.check in {
    "vocabulary", "foreign_key", "primary_key", "day_sequence", "plover_crosswalk", "summary_supported", "quote_offsets"}}.values())


@pytest.mark.slow  # three validations of a whole package
def test_a_warm_cache_finds_exactly_what_a_cold_one_finds(cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = downloaded(tmp_path / "package")
    for fault in WARMED:
        fault.inject(package)
    parquet_like_csv(package)
    rehash(package)
    monkeypatch.setenv("CNKZ_SQL_CACHE", "off")
    found = validate(package, [check_rows])
    assert {fault.check for fault in WARMED} <= {p.check for p in found}
    uncached = [str(p) for p in found]
    monkeypatch.delenv("CNKZ_SQL_CACHE")
    _new_process(monkeypatch)
    cold = [str(p) for p in validate(package, [check_rows])]
    assert _files(cache)
    _new_process(monkeypatch)
    warm = [str(p) for p in validate(package, [check_rows])]
    assert uncached == cold == warm
