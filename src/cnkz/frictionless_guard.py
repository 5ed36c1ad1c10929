"""The descriptor Frictionless is shown: rebuilt from an allow-list, so it cannot be made to read other files, decompress,
fetch, or run a pattern of the descriptor's choosing.

`cnkz validate --frictionless` never hands Frictionless the descriptor file. It hands it the descriptor cnkz parsed within
the caps, rebuilt here with only the keys Frictionless needs to validate each resource: name, path, format, mediatype,
encoding, an inline schema and dialect, hash and bytes (and plain title, description, type and profile names). Anything
else is left out and reported: `extrapaths` (more files to read, URLs among them), `compression` and `innerpath` (a zip
bomb unpacked to a temporary file), `scheme` and `control` (how to open the path), a `profile` URL (fetched to validate
against), a schema or dialect given by reference. A pattern constraint is passed only when it is one of the patterns of
cnkz's own table definitions (those cnkz already checks itself): any other one could backtrack for ever. A resource path
must be a plain relative path ending in .csv or .parquet, without `?` or `#` (Frictionless reads `x?format=zip` and
`x.zip#.csv` as zip archives); otherwise Frictionless is not run at all.

Pure functions of the parsed descriptor: whether each path stays inside the package and names a regular file within the
member cap is checked by the caller (`cnkz.validate.check_frictionless`) against the folder.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import Problem
from .files import ARROW_TYPES, is_package_path
from .tables import TABLES

CHECK = "frictionless_guard"
DESCRIPTOR = "datapackage.json"
NOT_PASSED = "not passed to Frictionless"
NOT_RUN = "Frictionless not run"
LISTED = 200  # problems listed; the rest are counted, so a descriptor of a million keys cannot flood memory
SHOWN = 80  # characters of a descriptor value quoted in a problem

# `$schema` is never fetched by Frictionless (it only reads the version from a datapackage.org URL), but a custom one changes
# which rules apply: only the Data Package v2 profiles pass. A `profile` other than these names is fetched to validate against,
# even a datapackage.org URL.
V2_PROFILES = frozenset(f"https://datapackage.org/profiles/2.0/{name}.json" for name in ("datapackage", "dataresource", "tableschema", "tabledialect"))
PACKAGE_PROFILES = ("data-package", "tabular-data-package")
RESOURCE_PROFILES = ("data-resource", "tabular-data-resource")
# The only patterns Frictionless may compile: those of cnkz's own table definitions, written and tested here.
PROJECT_PATTERNS = frozenset(f.pattern for table in TABLES for f in table.fields if f.pattern)
FORMATS = ("csv", "parquet")
# Letters, digits, `_`, `.` and `-` in each part, no part starting with a dot: no `?`, `#`, `%`, `+` or `:` for Frictionless
# to read as a query, fragment, escape or scheme, so the format it detects is the suffix and there is no compression.
_PATH = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)*[A-Za-z0-9_][A-Za-z0-9_.-]*\.(csv|parquet)")


@dataclass(frozen=True)
class Rule:
    """A key Frictionless may see: which values pass, and what the problem says is expected otherwise."""

    accepts: Callable[[Any], bool]
    expected: str


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _names(value: Any) -> bool:
    return isinstance(value, str) or _strings(value)


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _one_of(*allowed: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in allowed


def _bound(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


STRING = Rule(_string, "a string")
STRINGS = Rule(_strings, "a list of strings")
NAMES = Rule(_names, "a field name or a list of them")
BOOLEAN = Rule(_boolean, "true or false")
SCHEMA_PROFILE = Rule(lambda value: isinstance(value, str) and value in V2_PROFILES, "a Data Package v2 profile URL cnkz knows")

PACKAGE_KEYS = {
    "$schema": SCHEMA_PROFILE,
    "profile": Rule(_one_of(*PACKAGE_PROFILES), f"profile {' or '.join(PACKAGE_PROFILES)} (any other is fetched)"),
    **dict.fromkeys(("name", "id", "title", "description", "version", "created", "homepage"), STRING),
    "keywords": STRINGS,
    **dict.fromkeys(("licenses", "contributors", "sources"), Rule(_objects, "a list of objects")),
}
RESOURCE_KEYS = {
    "$schema": SCHEMA_PROFILE,
    "profile": Rule(_one_of(*RESOURCE_PROFILES), f"profile {' or '.join(RESOURCE_PROFILES)} (any other is fetched)"),
    "type": Rule(_one_of("table"), "type table"),
    **dict.fromkeys(("name", "title", "description", "mediatype"), STRING),
    "encoding": Rule(_one_of("utf-8"), "encoding utf-8"),
    "hash": STRING,
    "bytes": Rule(_count, "a number of bytes"),
}
SCHEMA_KEYS = {
    "$schema": SCHEMA_PROFILE,
    "primaryKey": NAMES,
    "missingValues": STRINGS,
}
FIELD_KEYS = {
    **dict.fromkeys(("name", "title", "description"), STRING),
    "type": Rule(_one_of(*ARROW_TYPES), f"a type cnkz publishes ({', '.join(ARROW_TYPES)})"),
    "format": Rule(_one_of("default"), "format default"),
    **dict.fromkeys(("trueValues", "falseValues"), STRINGS),
}
CONSTRAINT_KEYS = {
    **dict.fromkeys(("required", "unique"), BOOLEAN),
    "enum": Rule(lambda value: isinstance(value, list), "a list of values"),
    **dict.fromkeys(("minimum", "maximum"), Rule(_bound, "a number or a date")),
    **dict.fromkeys(("minLength", "maxLength"), Rule(_count, "a number of characters")),
}
FOREIGN_KEY_KEYS = {"fields": NAMES}
REFERENCE_KEYS = {"resource": STRING, "fields": NAMES}
DIALECT_KEYS = {
    "$schema": SCHEMA_PROFILE,
    **dict.fromkeys(("delimiter", "lineTerminator", "quoteChar", "escapeChar", "commentChar", "nullSequence"), STRING),
    **dict.fromkeys(("header", "doubleQuote", "skipInitialSpace", "caseSensitive"), BOOLEAN),
}


class _Problems:
    """The guard's problems, at most LISTED of them; the rest are counted in one more."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.count = 0

    def add(self, table: str, column: str, expected: str, found: str) -> None:
        self.count += 1
        if self.count <= LISTED:
            self.listed.append(Problem(CHECK, table, "", column, expected, found))

    def finish(self) -> list[Problem]:
        if self.count > LISTED:
            return [*self.listed, Problem(CHECK, DESCRIPTOR, "", "", f"no more than {LISTED} listed", f"{self.count - LISTED} more not listed")]
        return self.listed


def show(value: Any) -> str:
    """A descriptor value as JSON, short: a long string cut, a list of more than three things or an object only counted."""
    if isinstance(value, str):
        return json.dumps(value[:SHOWN], ensure_ascii=False) + ("…" if len(value) > SHOWN else "")
    if isinstance(value, list):
        if len(value) <= 3 and not any(isinstance(item, (list, dict)) for item in value):
            return "[" + ", ".join(show(item) for item in value) + "]"
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"an object with {len(value)} key{'' if len(value) == 1 else 's'}"
    return json.dumps(value)


def path_format(path: Any) -> str | None:
    """The format a resource path names (csv or parquet) when Frictionless may open it, else None."""
    match = _PATH.fullmatch(path) if is_package_path(path) else None
    return match.group(1) if match else None


def guard(descriptor: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The descriptor to hand Frictionless (a new object, sharing nothing with `descriptor`), or None when Frictionless must not
    run at all (a resource it could not be shown safely); and one problem per key left out or resource refused."""
    problems = _Problems()
    package = _keep(descriptor, PACKAGE_KEYS, "a package", DESCRIPTOR, "", problems, special=("resources",))
    resources = descriptor.get("resources")
    runs = isinstance(resources, list)
    if not isinstance(resources, list):
        problems.add(DESCRIPTOR, "resources", "a list of resources", f"{_given(descriptor, 'resources')}; {NOT_RUN}")
    else:
        package["resources"] = []
        for index, resource in enumerate(resources):
            if not isinstance(resource, dict):
                problems.add(DESCRIPTOR, f"resources/{index}", "a resource object", f"{show(resource)}; {NOT_RUN}")
                runs = False
                continue
            kept, safe = _resource(resource, index, problems)
            package["resources"].append(kept)
            runs = runs and safe
    return (copy.deepcopy(package) if runs else None), problems.finish()


def _given(source: dict[str, Any], key: str) -> str:
    return show(source[key]) if key in source else f"no {key}"


def _keep(source: dict[str, Any], rules: dict[str, Rule], what: str, table: str, prefix: str, problems: _Problems,
          special: tuple[str, ...] = ()) -> dict[str, Any]:
    """The keys of `source` its rules accept; every other key reported and left out. `special` keys are the caller's."""
    kept: dict[str, Any] = {}
    for key, value in source.items():
        if key in special:
            continue
        rule = rules.get(key)
        if rule is None:
            problems.add(table, prefix + key, f"only the keys Frictionless needs to validate {what}", f"{show(value)}; {NOT_PASSED}")
        elif not rule.accepts(value):
            problems.add(table, prefix + key, rule.expected, f"{show(value)}; {NOT_PASSED}")
        else:
            kept[key] = value
    return kept


def _resource(resource: dict[str, Any], index: int, problems: _Problems) -> tuple[dict[str, Any], bool]:
    """One resource as Frictionless may see it, and whether its path lets Frictionless run at all."""
    name = resource.get("name")
    table = name if isinstance(name, str) else f"resources/{index}"
    kept = _keep(resource, RESOURCE_KEYS, "a resource", table, "", problems, special=("path", "format", "schema", "dialect"))
    fmt = path_format(resource.get("path"))
    if fmt is None:
        problems.add(table, "path", "a relative path in the package ending in .csv or .parquet (letters, digits, _ . - and /)",
                     f"{_given(resource, 'path')}; {NOT_RUN}")
    else:
        kept["path"] = resource["path"]
    if "format" in resource:
        if resource["format"] in ((fmt,) if fmt else FORMATS):
            kept["format"] = resource["format"]
        else:
            expected = f"format {fmt}, as the path ends" if fmt else f"format {' or '.join(FORMATS)}"
            problems.add(table, "format", expected, f"{show(resource['format'])}; {NOT_PASSED}")
    for key, inner in (("schema", _schema), ("dialect", _dialect)):
        if key not in resource:
            continue
        if isinstance(resource[key], dict):
            kept[key] = inner(resource[key], table, problems)
        else:
            problems.add(table, key, f"the {key} inline in the descriptor (never fetched)", f"{show(resource[key])}; {NOT_PASSED}")
    return kept, fmt is not None


def _schema(schema: dict[str, Any], table: str, problems: _Problems) -> dict[str, Any]:
    kept = _keep(schema, SCHEMA_KEYS, "a table schema", table, "schema/", problems, special=("fields", "foreignKeys"))
    for key, inner in (("fields", _field), ("foreignKeys", _foreign_key)):
        if key not in schema:
            continue
        items = schema[key]
        if not isinstance(items, list):
            problems.add(table, f"schema/{key}", "a list of objects", f"{show(items)}; {NOT_PASSED}")
            continue
        kept[key] = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                kept[key].append(inner(item, index, table, problems))
            else:
                problems.add(table, f"schema/{key}/{index}", "an object", f"{show(item)}; {NOT_PASSED}")
    return kept


def _field(field: dict[str, Any], index: int, table: str, problems: _Problems) -> dict[str, Any]:
    name = field.get("name")
    prefix = f"schema/fields/{name if isinstance(name, str) and name else index}/"
    kept = _keep(field, FIELD_KEYS, "a field", table, prefix, problems, special=("constraints",))
    constraints = field.get("constraints")
    if "constraints" not in field:
        return kept
    if not isinstance(constraints, dict):
        problems.add(table, prefix + "constraints", "an object of constraints", f"{show(constraints)}; {NOT_PASSED}")
        return kept
    kept["constraints"] = _keep(constraints, CONSTRAINT_KEYS, "a field's constraints", table, prefix + "constraints/", problems,
                                special=("pattern",))
    if "pattern" in constraints:
        pattern = constraints["pattern"]
        if isinstance(pattern, str) and pattern in PROJECT_PATTERNS:
            kept["constraints"]["pattern"] = pattern
        else:
            problems.add(table, prefix + "constraints/pattern", "a pattern of cnkz's own table definitions (cnkz checks its patterns itself)",
                         f"{show(pattern)}; refused, {NOT_PASSED}")
    return kept


def _foreign_key(key: dict[str, Any], index: int, table: str, problems: _Problems) -> dict[str, Any]:
    prefix = f"schema/foreignKeys/{index}/"
    kept = _keep(key, FOREIGN_KEY_KEYS, "a foreign key", table, prefix, problems, special=("reference",))
    if "reference" in key:
        if isinstance(key["reference"], dict):
            kept["reference"] = _keep(key["reference"], REFERENCE_KEYS, "a foreign key's reference", table, prefix + "reference/", problems)
        else:
            problems.add(table, prefix + "reference", "an object naming a resource and its fields", f"{show(key['reference'])}; {NOT_PASSED}")
    return kept


def _dialect(dialect: dict[str, Any], table: str, problems: _Problems) -> dict[str, Any]:
    return _keep(dialect, DIALECT_KEYS, "a CSV dialect", table, "dialect/", problems)
