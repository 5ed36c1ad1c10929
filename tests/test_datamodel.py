"""Every published release validates and loads with today's cnkz, by the data model of its major version (cnkz.datamodel)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

import cnkz
from cnkz.cli import main
from cnkz.datamodel import current, frozen, frozen_majors, major_of, model_for, rules_summary
from cnkz.descriptor import table_schema
from cnkz.errors import Problem
from cnkz.load import LoadError
from cnkz.tables import MAJOR_VERSION
from cnkz.validate import validate

from .conftest import ROOT, VERSION, copy_repo, find, rehash, set_cell

INDEX: dict[str, dict[str, str]] = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
PUBLISHED = sorted(INDEX, key=lambda v: tuple(int(p) for p in v.split(".")))


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("freeze_model", ROOT / "scripts" / "freeze_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(major: int) -> str:
    if major == MAJOR_VERSION:
        return f"rules of data model {major}.x"
    return f"rules of data model {major}.x; cross-field rules of {MAJOR_VERSION}.x not applied to a {major}.x package"


@pytest.mark.parametrize("version", PUBLISHED)
def test_every_published_release_validates_saying_whose_rules(version: str, capsys: pytest.CaptureFixture[str]) -> None:
    archive = ROOT / "releases" / INDEX[version]["archive"]
    major = major_of(version)
    assert major is not None
    assert main(["validate", str(archive)]) == 0, capsys.readouterr().err
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{archive}: valid ({_summary(major)}) (")
    assert main(["validate", "--format", "json", str(archive)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert report["rules"] == {"version": version, "data_model": major, "applied": True, "cross_field_rules": major == MAJOR_VERSION,
                               "summary": _summary(major)}


@pytest.mark.parametrize("version", PUBLISHED)
def test_every_published_release_loads_with_its_own_vocabularies(version: str) -> None:
    archive = ROOT / "releases" / INDEX[version]["archive"]
    model = model_for({"version": version})
    assert model is not None
    tables = cnkz.load(archive)
    assert list(tables) == [t.name for t in model.tables]
    for table in model.tables:
        assert list(tables[table.name].columns) == table.columns
        for field in table.fields:
            if field.vocabulary is not None:
                assert tables[table.name][field.name].cat.categories.tolist() == field.vocabulary.codes


def test_the_current_definitions_are_of_the_major_version_in_pyproject() -> None:
    assert major_of(VERSION) == MAJOR_VERSION, "tables.MAJOR_VERSION names the major version of pyproject.toml's version"


def test_every_earlier_published_major_version_is_frozen_from_its_newest_release() -> None:
    newest: dict[int, str] = {}
    for version in PUBLISHED:
        major = major_of(version)
        assert major is not None and major <= MAJOR_VERSION, f"{version} is newer than this cnkz's data model {MAJOR_VERSION}.x"
        newest[major] = version
    assert MAJOR_VERSION not in frozen_majors(), "the current major version's definitions are cnkz/tables.py"
    assert {m: frozen(m).release for m in frozen_majors()} == {m: v for m, v in newest.items() if m != MAJOR_VERSION}


@pytest.mark.parametrize("major", frozen_majors())
def test_a_frozen_model_is_what_its_release_published(major: int) -> None:
    """The frozen file is byte for byte what scripts/freeze_model.py copies from the release archive, whose sha256 is the one
    releases/index.json publishes."""
    model = frozen(major)
    assert model.release is not None and model.archive == INDEX[model.release]["archive"] and model.sha256 == INDEX[model.release]["sha256"]
    archive = ROOT / "releases" / model.archive
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == model.sha256
    script = _script()
    path = ROOT / "src" / "cnkz" / "models" / f"{major}.json"
    assert path.read_text(encoding="utf-8") == script.dumps(script.frozen_model(model.release, INDEX[model.release]))
    with zipfile.ZipFile(archive) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith("datapackage.json")]
        published = json.loads(zipped.read(name))
    assert [{k: v for k, v in r.items() if k not in ("hash", "bytes")} for r in published["resources"]] == list(model.resources)


@pytest.mark.parametrize("major", frozen_majors())
def test_frozen_tables_are_derived_the_same_way_and_keep_every_definition(major: int) -> None:
    """Written back as Table Schemas by the code that writes today's, the Table objects give the published schemas exactly:
    types, required, unique, enum, pattern, minimum, maximum, primary and foreign keys are all kept."""
    model = frozen(major)
    for table in model.tables:
        for suffix in ("", "-parquet"):
            resource = model.resource(table.name + suffix)
            assert resource is not None and table_schema(table, suffix) == resource["schema"], table.name + suffix
    current_model = current()
    for table in current_model.tables:
        resource = current_model.resource(table.name)
        assert resource is not None and table_schema(table) == resource["schema"]


# ---------------------------------------------------------------- an earlier model's rules catch faults


def unpacked(version: str, target: Path) -> Path:
    """A release unpacked, without its SHA256SUMS (faults are made by hand here; the descriptor is rehashed after each)."""
    with zipfile.ZipFile(ROOT / "releases" / INDEX[version]["archive"]) as archive:
        archive.extractall(target)
    (folder,) = [p for p in target.iterdir() if p.is_dir()]
    (folder / "SHA256SUMS").unlink()
    return folder


def edit_descriptor(folder: Path, edit: Any) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit(descriptor)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def test_an_unpacked_release_without_faults_is_valid(tmp_path: Path) -> None:
    assert validate(unpacked("1.0.0", tmp_path)) == []


# (table, row, column, value, check): each a fault the 1.x definitions catch. `partial` is a date precision of 2.x and later.
EARLIER_FAULTS = [
    ("events", 0, "date_precision", "partial", "vocabulary"),
    ("events", 0, "city", "=cmd()", "formula_injection"),
    ("pledges", 0, "event_id", "2010-jia-qinglin-astana.nothing", "foreign_key"),
    ("figures", 0, "period", "2010-13-99x", "pattern"),
    ("participants", 0, "char_start", "3", "quote_offsets"),
    ("figures", 1, "figure_id", "{first}", "primary_key"),
    ("sources", 0, "sha256", "0" * 64, "seed_hash"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "check"), EARLIER_FAULTS, ids=[f[4] for f in EARLIER_FAULTS])
def test_a_fault_in_a_1x_package_is_caught_by_the_1x_definitions(tmp_path: Path, table: str, row: int, column: str, value: str,
                                                                  check: str) -> None:
    folder = unpacked("1.0.0", tmp_path)
    if value == "{first}":
        path = folder / "resources" / f"{table}.csv"
        value = path.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    set_cell(folder, table, row, column, value)
    rehash(folder)
    problems = validate(folder)
    assert find(problems, check, table), "\n".join(map(str, problems))


def test_a_1x_vocabulary_problem_lists_the_1x_vocabulary(tmp_path: Path) -> None:
    folder = unpacked("1.0.0", tmp_path)
    set_cell(folder, "events", 0, "date_precision", "partial")
    rehash(folder)
    (problem,) = find(validate(folder), "vocabulary", "events", "date_precision")
    assert (problem.expected, problem.found) == ("one of day, month, year, unknown", "partial")


def test_descriptor_schemas_that_differ_from_the_frozen_ones_are_drift_naming_the_version(tmp_path: Path) -> None:
    folder = unpacked("1.0.0", tmp_path)
    edit_descriptor(folder, lambda d: next(r for r in d["resources"] if r["name"] == "events")["schema"]["fields"][3]["constraints"]["enum"]
                    .append("banquet"))
    assert validate(folder) == [Problem("schema_drift", "datapackage.json", "", "resources/events/schema",
                                        "the schema of data model 1.x, as release 1.0.0 published it", "a different schema")]


def test_a_2x_package_is_not_held_to_the_3x_columns(tmp_path: Path) -> None:
    """A 2.x package validated with today's definitions would miss the columns 3.x added (sources.notes, pledges.restates)."""
    folder = unpacked("2.0.0", tmp_path)
    assert validate(folder) == []
    edit_descriptor(folder, lambda d: d.update(version=f"{MAJOR_VERSION}.0.0"))
    assert find(validate(folder), "schema_drift")


def restate_version(folder: Path, old: str, new: str) -> None:
    """What a package of another version says of itself beyond its descriptor (so only the data model is in question)."""
    for name, pattern in (("CITATION.cff", "version: {}"), ("README.md", "engagements {}"), ("CHANGELOG.md", "## [{}]")):
        path = folder / name
        if path.exists():
            path.write_text(path.read_text(encoding="utf-8").replace(pattern.format(old), pattern.format(new), 1), encoding="utf-8")


@pytest.mark.parametrize("version", [f"{MAJOR_VERSION + 1}.0.0", f"{MAJOR_VERSION + 7}.2.1"])
def test_a_newer_major_version_is_one_problem_saying_to_upgrade(tmp_path: Path, version: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = unpacked("2.0.0", tmp_path)
    edit_descriptor(folder, lambda d: d.update(version=version))
    restate_version(folder, "2.0.0", version)
    (problem,) = validate(folder)
    major = version.split(".")[0]
    assert (problem.check, problem.column) == ("data_model", "version")
    assert problem.found == f"{version}: data model {major}.x is newer than this cnkz; upgrade cnkz to validate it"
    assert f"install a cnkz of version {major}.0.0 or later" in problem.advice
    assert main(["validate", "--format", "json", str(folder)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["rules"]["applied"] is False and report["rules"]["data_model"] == int(major)
    assert [p["check"] for p in report["problems"]] == ["data_model"]


def test_a_package_of_another_major_version_with_the_current_definitions_is_of_the_current_model(tmp_path: Path) -> None:
    """A major version can come from removed rows alone: the tables are defined as today, so today's rules apply, and say so."""
    folder = copy_repo(tmp_path / "repo", ("datapackage.json", "resources", "seeds"))
    edit_descriptor(folder, lambda d: d.update(version=f"{MAJOR_VERSION + 6}.0.0"))
    assert validate(folder) == []
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert model_for(descriptor) is current()
    assert rules_summary(descriptor) == f"rules of data model {MAJOR_VERSION}.x, whose table definitions the {MAJOR_VERSION + 6}.0.0 package has"


def test_a_major_version_never_published_is_a_problem(tmp_path: Path) -> None:
    folder = unpacked("1.0.0", tmp_path)
    edit_descriptor(folder, lambda d: d.update(version="0.4.0"))
    restate_version(folder, "1.0.0", "0.4.0")
    (problem,) = validate(folder)
    assert problem.check == "data_model" and "no release of data model 0.x was published" in problem.found


def test_structure_and_hashes_are_checked_whatever_the_version(tmp_path: Path) -> None:
    folder = unpacked("1.0.0", tmp_path)
    edit_descriptor(folder, lambda d: d.update(version=f"{MAJOR_VERSION + 1}.0.0"))
    (folder / "resources" / "events.csv").write_bytes((folder / "resources" / "events.csv").read_bytes() + b"x\n")
    checks = {p.check for p in validate(folder)}
    assert {"data_model", "hash_mismatch", "bytes_mismatch"} <= checks


# ---------------------------------------------------------------- loading


def test_a_1x_package_loads_with_the_1x_columns_and_vocabularies() -> None:
    tables = cnkz.load(ROOT / "releases" / INDEX["1.0.0"]["archive"])
    assert set(tables) == {"sources", "events", "participants", "pledges", "figures"}
    assert "city" in tables["events"].columns and "place_id" not in tables["events"].columns
    assert tables["events"]["date_precision"].cat.categories.tolist() == ["day", "month", "year", "unknown"]


def test_a_1x_descriptor_that_differs_from_the_frozen_model_does_not_load(tmp_path: Path) -> None:
    folder = unpacked("1.0.0", tmp_path)
    edit_descriptor(folder, lambda d: [r["schema"]["fields"][7]["constraints"]["enum"].append("partial")
                                       for r in d["resources"] if r["name"] in ("events", "events-parquet")])
    with pytest.raises(LoadError, match=r"record events-parquet, field date_precision: is published as string .*'partial'\], but data model 1.x "
                                        r"defines it as string \['day', 'month', 'year', 'unknown'\]; the descriptor differs from data model 1.x as "
                                        r"release 1.0.0 published it"):
        cnkz.load(folder)
