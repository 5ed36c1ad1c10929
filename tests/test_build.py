from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnkz.build import build, render
from cnkz.errors import CnkzError, ValidationFailed
from cnkz.tables import TABLES

from .conftest import ROOT, VERSION


def snapshot(root: Path) -> dict[str, bytes]:
    files = {"datapackage.json": (root / "datapackage.json").read_bytes()}
    for path in sorted((root / "resources").iterdir()):
        files[f"resources/{path.name}"] = path.read_bytes()
    return files


def test_published_files_equal_a_fresh_render() -> None:
    assert render(ROOT) == snapshot(ROOT)


def test_two_builds_are_byte_identical(repo: Path) -> None:
    build(repo)
    first = snapshot(repo)
    build(repo)
    assert snapshot(repo) == first
    assert set(first) == {"datapackage.json"} | {f"resources/{t.name}.{ext}" for t in TABLES for ext in ("csv", "parquet")}


def test_a_build_that_fails_validation_leaves_the_published_files_untouched(repo: Path) -> None:
    before = snapshot(repo)
    people = repo / "curation" / "people.yaml"
    # A summary that says more than its quote passes the loader and is caught by validation of the staged package.
    doc = repo / "curation" / "2010-jia-qinglin-astana.yaml"
    doc.write_text(doc.read_text(encoding="utf-8").replace("arrives in Astana on Tuesday", "happily arrives in Astana on Tuesday", 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        build(repo)
    assert any(p.check == "summary_supported" and p.column == "summary" for p in info.value.problems)
    assert snapshot(repo) == before
    assert people.exists()
    assert not [p for p in repo.iterdir() if p.name.startswith(".build-") or p.name == ".resources-previous"]


def test_descriptor_carries_version_hashes_and_profiles() -> None:
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["version"] == VERSION
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    csv_resources = [r for r in descriptor["resources"] if r["format"] == "csv"]
    parquet_resources = [r for r in descriptor["resources"] if r["format"] == "parquet"]
    assert len(csv_resources) == len(parquet_resources) == len(TABLES)
    for resource in csv_resources:
        assert resource["profile"] == "tabular-data-resource"
        assert resource["type"] == "table"
        assert resource["bytes"] == (ROOT / resource["path"]).stat().st_size
    for resource in parquet_resources:
        assert "bytes" not in resource  # Frictionless cannot check it for Parquet (see NOTES)
        assert resource["hash"].startswith("sha256:")


def test_a_build_failing_mid_way_through_the_curation_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    last = sorted((repo / "curation").glob("20*.yaml"))[-1]
    last.write_text(last.read_text(encoding="utf-8").replace("quote:", "quote: [", 1), encoding="utf-8")
    with pytest.raises(CnkzError):
        build(repo)
    assert snapshot(repo) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_curation_file_gives_a_clean_error_and_no_partial_write(repo: Path, garbage: str) -> None:
    before = snapshot(repo)
    target = repo / "curation" / "2011-hu-jintao-astana.yaml"
    original = target.read_bytes()
    target.write_text(garbage, encoding="utf-8")
    try:
        build(repo)
    except CnkzError as exc:
        assert "2011-hu-jintao-astana.yaml" in str(exc) or isinstance(exc, ValidationFailed)
    finally:
        target.write_bytes(original)
    assert snapshot(repo) == before
