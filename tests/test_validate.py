"""Exact messages of the validation layers; tests/test_faults.py covers every kind of fault."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cnkz.build import validate_repository
from cnkz.errors import Problem
from cnkz.validate import WITH_FRICTIONLESS, check_profile, validate
from cnkz.validation.descriptor import _profile_problems, profile_validator
from cnkz.validation.problems import shown

from .conftest import ROOT, VERSION, find, rehash, set_cell


def test_the_published_package_is_valid(repo: Path) -> None:
    assert validate_repository(repo) == []


def test_a_package_without_curation_validates_without_the_rebuild(repo: Path) -> None:
    shutil.rmtree(repo / "curation")
    (repo / "pyproject.toml").unlink()
    assert validate_repository(repo) == []


def only(problems: list[Problem], check: str, **where: str) -> Problem:
    matches = find(problems, check, where.get("table"), where.get("column"))
    assert matches, f"no {check} problem in:\n" + "\n".join(map(str, problems))
    return matches[0]


def test_descriptor_profile(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["licenses"] = "CC-BY-4.0"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo), "profile", table="datapackage.json", column="licenses")
    assert str(problem) == "[profile] datapackage.json property licenses: expected a valid Data Package v2 descriptor, found 'CC-BY-4.0' is not of type 'array'"


def test_a_field_against_the_table_schema_profile_is_one_problem_at_its_path(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][2]["schema"]["fields"][1]["type"] = "text"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problems = find(validate(repo, [check_profile]), "profile")
    assert [(p.column, p.expected) for p in problems] == [("resources/2/schema/fields/1", "a valid Data Package v2 descriptor")]
    assert problems[0].found.endswith("is not valid under any of the given schemas")


def test_the_package_profile_holds_the_table_schema_profile_inline() -> None:
    """Why one pass of the package profile checks every resource's schema: it carries the Table Schema profile itself."""
    from importlib import resources

    def profile(name: str) -> dict:
        return json.loads((resources.files("cnkz") / "profiles" / name).read_text(encoding="utf-8"))

    def rules(schema: dict) -> dict:  # every keyword but those that only annotate
        return {key: value for key, value in schema.items() if key not in {"$schema", "title", "description", "examples", "propertyOrder"}}

    inline = profile("datapackage.json")["properties"]["resources"]["items"]["properties"]["schema"]
    assert rules(inline) == rules(profile("tableschema.json"))
    assert set(rules(inline)) == {"type", "required", "properties"}


def _edit(path: str, value: object) -> Callable[[dict], None]:
    def edit(descriptor: dict) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split("/")]
        target = descriptor
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return edit


DELETE = object()
PROFILE_EDITS = {
    "a field's type": [_edit("resources/2/schema/fields/1/type", "strin")],
    "resources not a list": [_edit("resources", "nope")],
    "no resources": [_edit("resources", [])],
    "package and resource both": [_edit("licenses", "CC"), _edit("resources/0/name", 5)],
    "a resource without a path": [_edit("resources/3/path", DELETE)],
    "a resource not an object": [_edit("resources/4", 7)],
    "two resources, one hash": [_edit("resources/1/hash", 12), _edit("resources/9/hash", 12)],
}


@pytest.mark.parametrize("edits", PROFILE_EDITS.values(), ids=list(PROFILE_EDITS))
def test_the_profile_checked_resource_by_resource_finds_what_one_pass_finds(edits: list[Callable[[dict], None]]) -> None:
    """check_profile checks each resource on its own (remembered by its text); the whole profile in one jsonschema pass must
    find the same errors at the same paths."""
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for edit in edits:
        edit(descriptor)
    validator = profile_validator("datapackage.json")
    one_pass = sorted(("/".join(map(str, e.absolute_path)), shown(e.message)) for e in validator.iter_errors(descriptor))
    split = sorted((p.column, p.found) for p in _profile_problems(json.dumps(descriptor)))
    assert one_pass and split == one_pass


def test_descriptor_schema_drift(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    events = next(r for r in descriptor["resources"] if r["name"] == "events")
    events["schema"]["fields"][3]["constraints"]["enum"].append("banquet")
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo), "schema_drift")
    assert problem.column == "resources/events/schema"


def test_version_differs_from_pyproject(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "0.9.0"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo), "version_mismatch")
    assert (problem.expected, problem.found) == (f"{VERSION} (pyproject.toml)", "0.9.0")


def test_frictionless_layer_reports_row_and_field(repo: Path) -> None:
    set_cell(repo, "figures", 0, "value", "-5")
    rehash(repo)
    problems = validate(repo, WITH_FRICTIONLESS)
    frictionless = [p for p in find(problems, "frictionless", "figures") if p.column == "value"]
    assert frictionless and frictionless[0].row == "2"
    assert 'constraint "minimum" is "0"' in frictionless[0].found
    assert only(problems, "minimum", table="figures", column="value").row.startswith("2 (")


def test_hand_edit_differs_from_a_fresh_build(repo: Path) -> None:
    set_cell(repo, "pledges", 0, "statement", "China pledges nothing at all.")
    rehash(repo)
    problems = validate_repository(repo)
    assert [str(p) for p in find(problems, "stale")] == [
        "[stale] datapackage.json: expected the bytes a fresh build writes, found different bytes",
        "[stale] resources/pledges.csv row 2 (2010-jia-qinglin-astana.political-security-ties) column statement: "
        "expected China pledges to enhance political and security ties with Kazakhstan., found China pledges nothing at all.",
    ]
