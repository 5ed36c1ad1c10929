"""The descriptor layer: datapackage.json against the Data Package v2 profile, the data model's tables, the project's version,
and nothing that would be fetched."""

from __future__ import annotations

import copy
import functools
import itertools
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from ..datamodel import model_for, version_problem
from ..descriptor import PACKAGE_NAME, project_version
from ..errors import CnkzError, Problem
from ..safety import read_regular
from ..stated import check_stated_versions
from .problems import LISTED, problem, shown

if TYPE_CHECKING:
    from ..validate import PackageUnderCheck

DESCRIPTOR = "datapackage.json"


def load_descriptor(package_dir: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    from ..limits import parse_json

    path = package_dir / DESCRIPTOR
    if not path.exists():
        return None, [problem("descriptor_missing", DESCRIPTOR, None, "", "a datapackage.json", "no file")]
    try:
        descriptor = parse_json(read_regular(path, "the descriptor"), DESCRIPTOR)
    except CnkzError as exc:
        return None, [problem("descriptor_json", DESCRIPTOR, None, "", "a UTF-8 JSON file within the caps", exc.message)]
    if not isinstance(descriptor, dict):
        return None, [problem("descriptor_json", DESCRIPTOR, None, "", "a JSON object", type(descriptor).__name__)]
    return descriptor, []


@functools.cache
def profile_validator(name: str) -> jsonschema.Draft7Validator:
    """A validator of one bundled Data Package v2 profile, built once (building one costs more than using it)."""
    return jsonschema.Draft7Validator(json.loads((resources.files("cnkz") / "profiles" / name).read_text(encoding="utf-8")))


def check_profile(package: PackageUnderCheck) -> list[Problem]:
    """The descriptor against the official Data Package v2 JSON Schemas (bundled)."""
    return list(_profile_problems(json.dumps(package.descriptor)))


PROFILE_ARRAY_ITEMS = 10_000  # items of one array in a descriptor; past it, the profile is not checked (jsonschema would take minutes)


def descriptor_shape(descriptor: Any) -> str | None:
    """What in a descriptor would make checking it against the profile unbounded (None when nothing does): an array of more
    than PROFILE_ARRAY_ITEMS items, or an `enum` holding objects or arrays (jsonschema's uniqueness check compares those
    pairwise). Walked without recursion: the depth is capped when the JSON is read, the width here."""
    stack: list[tuple[str, Any]] = [("", descriptor)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("enum"), list) and any(isinstance(v, dict | list) for v in value["enum"]):
                return f"{where}/enum holds objects or arrays; an enum lists plain values"
            stack.extend((f"{where}/{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            if len(value) > PROFILE_ARRAY_ITEMS:
                return f"{where or '/'} is an array of {len(value)} items, over the cap of {PROFILE_ARRAY_ITEMS}"
            stack.extend((f"{where}/{index}", item) for index, item in enumerate(value))
    return None


@functools.cache
def _split_profile() -> tuple[jsonschema.Draft7Validator, jsonschema.Draft7Validator]:
    """The package profile without what it asks of each resource, and the Data Resource profile it asks it of. The resource
    profile refers to nothing outside itself (no $ref or $id: asserted), so the two passes find what the one profile finds.
    Only the order differs (the package's own errors first), which matters only past LISTED, where either is a sample."""
    package: dict[str, Any] = copy.deepcopy(dict(profile_validator("datapackage.json").schema))  # type: ignore[arg-type]
    resource = package["properties"]["resources"].pop("items")
    assert '"$ref"' not in json.dumps(resource) and '"$id"' not in json.dumps(resource), "the bundled resource profile refers elsewhere"
    return jsonschema.Draft7Validator(package), jsonschema.Draft7Validator(resource)


@functools.lru_cache(maxsize=8)
def _profile_problems(text: str) -> tuple[Problem, ...]:
    """Remembered by the descriptor's text: checking the same descriptor again (a release validates it several times) costs
    a dictionary lookup instead of a pass of jsonschema. At most LISTED errors are listed: jsonschema finds them lazily,
    so a descriptor with a million bad items costs no more than one with LISTED."""
    descriptor = json.loads(text)
    shape = descriptor_shape(descriptor)
    if shape is not None:
        return (problem("profile", DESCRIPTOR, None, "", "a Data Package v2 descriptor of bounded size; not checked against the profile", shape),)
    # The package profile holds the Data Resource and Table Schema profiles inline (tests/test_validate.py holds the latter to
    # the bundled tableschema.json). Each resource is checked on its own, remembered by its text: a package whose files were
    # rewritten differs in a hash or two, and its other resources (nine tenths of the profile's work) are not checked again.
    package, _ = _split_profile()
    found: Iterator[tuple[str, str]] = ((_where(error), error.message) for error in package.iter_errors(descriptor))
    resources = descriptor.get("resources")
    if isinstance(resources, list):
        found = itertools.chain(found, ((f"resources/{index}" + (f"/{path}" if path else ""), message)
                                        for index, item in enumerate(resources) for path, message in _resource_errors(json.dumps(item))))
    return tuple(problem("profile", DESCRIPTOR, None, path, "a valid Data Package v2 descriptor", shown(message))
                 for path, message in itertools.islice(found, LISTED))


@functools.lru_cache(maxsize=64)
def _resource_errors(text: str) -> tuple[tuple[str, str], ...]:
    """One resource against the Data Resource profile: each error's path within the resource and message (at most LISTED)."""
    _, resource = _split_profile()
    errors = resource.iter_errors(json.loads(text))
    return tuple((_where(error), error.message) for error in itertools.islice(errors, LISTED))


def _where(error: jsonschema.ValidationError) -> str:
    """Where in the checked document a profile error is, as a slash-separated path."""
    return "/".join(str(p) for p in error.absolute_path)


def check_descriptor_content(package: PackageUnderCheck) -> list[Problem]:
    """Names, paths, schemas and version agree with the table definitions of the package's data model and pyproject.toml."""
    package_dir, descriptor = package.root, package.descriptor
    problems = []
    if descriptor.get("name") != PACKAGE_NAME:
        problems.append(problem("descriptor_name", DESCRIPTOR, None, "name", PACKAGE_NAME, descriptor.get("name")))
    if (package_dir / "pyproject.toml").exists():
        version = project_version(package_dir)
        if descriptor.get("version") != version:
            problems.append(problem("version_mismatch", DESCRIPTOR, None, "version", f"{version} (pyproject.toml)", descriptor.get("version")))
    problems += check_stated_versions(package_dir, descriptor)  # CITATION.cff, README, CHANGELOG, ... say the same version
    model = model_for(package.descriptor)
    if model is None:
        return [*problems, *filter(None, [version_problem(descriptor)])]
    by_name = {r.get("name"): r for r in descriptor.get("resources") or [] if isinstance(r, dict)}
    expected_names = [t.name + s for s in ("", "-parquet") for t in model.tables]
    for name in sorted(set(by_name) - set(expected_names), key=str):
        problems.append(problem("unexpected_resource", DESCRIPTOR, None, f"resources/{name}", "only the published tables", name))
    for table in model.tables:
        for suffix, fmt in (("", "csv"), ("-parquet", "parquet")):
            name = table.name + suffix
            resource = by_name.get(name)
            if resource is None:
                problems.append(problem("missing_resource", DESCRIPTOR, None, f"resources/{name}", "a resource", "none"))
                continue
            template = model.resource(name) or {}
            expected_path = f"resources/{table.name}.{fmt}"
            if resource.get("path") != expected_path:
                problems.append(problem("resource_path", DESCRIPTOR, None, f"resources/{name}/path", expected_path, resource.get("path")))
            if resource.get("schema") != template.get("schema"):
                problems.append(problem(
                    "schema_drift", DESCRIPTOR, None, f"resources/{name}/schema",
                    model.schema_source, "a different schema",
                ))
            for key in ("format", "mediatype", "type", "profile", "encoding", "dialect"):
                if template.get(key) != resource.get(key):
                    problems.append(problem("resource_property", DESCRIPTOR, None, f"resources/{name}/{key}", str(template.get(key)), resource.get(key)))
    return problems


KNOWN_PROFILES = {
    *(f"https://datapackage.org/profiles/2.0/{name}.json" for name in ("datapackage", "dataresource", "tableschema", "tabledialect")),
    "data-package", "tabular-data-package", "data-resource", "tabular-data-resource",
}


def check_local_only(package: PackageUnderCheck) -> list[Problem]:
    """Nothing in the descriptor would make validation reach the network: schemas and dialects inline, profiles known."""
    descriptor = package.descriptor
    problems = []
    for key in ("$schema", "profile"):
        if key in descriptor and descriptor[key] not in KNOWN_PROFILES:
            problems.append(problem("remote_reference", DESCRIPTOR, None, key, "a Data Package v2 profile cnkz knows", descriptor[key]))
    for index, resource in enumerate(descriptor.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name", index))
        for key in ("$schema", "profile"):
            if key in resource and resource[key] not in KNOWN_PROFILES:
                problems.append(problem("remote_reference", name, None, key, "a Data Resource v2 profile cnkz knows", resource[key]))
        for key in ("schema", "dialect"):
            value = resource.get(key)
            if key in resource and not isinstance(value, dict):
                problems.append(problem("remote_reference", name, None, key, f"the {key} inline in the descriptor (never fetched)", value))
            elif isinstance(value, dict) and "$schema" in value and value["$schema"] not in KNOWN_PROFILES:
                problems.append(problem("remote_reference", name, None, f"{key}/$schema", "a v2 profile cnkz knows", value["$schema"]))
    return problems
