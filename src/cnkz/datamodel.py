"""The data model of each major version: the table definitions a package is read and validated with.

The current major version's definitions are cnkz.tables. Those of each earlier published major version are frozen as data
shipped with the package, `cnkz/models/<major>.json`: the resources of that major version's last release's datapackage.json
(less each file's hash and size), copied once by scripts/freeze_model.py together with the sha256 of the release archive they
come from (tests/test_datamodel.py proves the copy equals what was published). They are read into Table objects by
`descriptor_tables`, the same way for every version, keeping each field's type, required, unique, enum, pattern, minimum
and maximum, and each table's primary and foreign keys.

A package is read (cnkz.load) and validated (cnkz.validate) with the model of its descriptor's major `version`. A major version
with no model of its own whose schemas are exactly the current definitions is of the current model (a major version can come
from removed rows alone, and a repository builds today's definitions whatever version it is given); any other is one
`data_model` problem (a newer one: upgrade cnkz).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Any

from .descriptor import resource_descriptor
from .errors import LoadError, Problem
from .files import ARROW_TYPES
from .tables import MAJOR_VERSION, TABLES, Field, ForeignKey, Table, Vocabulary

MODELS = "models"  # the folder of cnkz holding the frozen models, <major>.json
DESCRIPTOR = "datapackage.json"
# Properties of a resource that depend on its file, not on the data model: left out of a frozen model.
FILE_PROPERTIES = ("hash", "bytes")
_MAJOR = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_MODEL_FILE = re.compile(r"^(0|[1-9][0-9]*)\.json$")


@dataclass(frozen=True, eq=False)
class DataModel:
    """The table definitions of one major version, and the resources a descriptor of that version lists (less FILE_PROPERTIES)."""

    major: int
    tables: tuple[Table, ...]
    resources: tuple[dict[str, Any], ...]
    release: str | None = None  # for a frozen model: the release its definitions were copied from
    archive: str | None = None
    sha256: str | None = None  # of that release archive

    @property
    def current(self) -> bool:
        return self.major == MAJOR_VERSION

    @property
    def name(self) -> str:
        return f"data model {self.major}.x"

    def resource(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.resources if r.get("name") == name), None)

    @property
    def schema_source(self) -> str:
        """Where the expected schemas come from, as a schema_drift problem says it."""
        if self.current:
            return "the schema derived from the table definitions"
        return f"the schema of {self.name}, as release {self.release} published it"

    @property
    def rules(self) -> str:
        """Which rules a package of this model is validated with, in the words of the report's first line."""
        if self.current:
            return f"rules of {self.name}"
        return f"rules of {self.name}; cross-field rules of {MAJOR_VERSION}.x not applied to a {self.major}.x package"


def without_file_properties(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key not in FILE_PROPERTIES}


@functools.cache
def current() -> DataModel:
    """The model of this cnkz's major version: cnkz.tables, and the resources cnkz.descriptor derives from it."""
    listed = tuple(without_file_properties(resource_descriptor(t, fmt, b"")) for fmt in ("csv", "parquet") for t in TABLES)
    return DataModel(MAJOR_VERSION, TABLES, listed)


def frozen_majors() -> tuple[int, ...]:
    """The major versions with a frozen model shipped in cnkz/models/."""
    folder = package_files.files("cnkz") / MODELS
    found = [int(match.group(1)) for entry in folder.iterdir() if (match := _MODEL_FILE.match(entry.name))] if folder.is_dir() else []
    return tuple(sorted(m for m in found if m != MAJOR_VERSION))


def known_majors() -> tuple[int, ...]:
    return tuple(sorted({*frozen_majors(), MAJOR_VERSION}))


@functools.cache
def frozen(major: int) -> DataModel:
    """The frozen model of an earlier major version, read from cnkz/models/<major>.json."""
    where = f"cnkz/{MODELS}/{major}.json"
    data = json.loads((package_files.files("cnkz") / MODELS / f"{major}.json").read_text(encoding="utf-8"))
    if data.get("data_model") != major:
        raise LoadError(f"holds data model {data.get('data_model')!r}, not {major}; copy it again with scripts/freeze_model.py", file=where)
    listed = tuple(data["resources"])
    return DataModel(major, descriptor_tables(list(listed), where), listed, data["release"], data["archive"], data["sha256"])


def major_of(version: Any) -> int | None:
    """The major version of a MAJOR.MINOR.PATCH version string; None for anything else."""
    match = _MAJOR.match(version) if isinstance(version, str) else None
    return int(match.group(1)) if match else None


def _schemas(resources: Any) -> dict[Any, Any]:
    listed = resources if isinstance(resources, list | tuple) else []
    return {r.get("name"): r.get("schema") for r in listed if isinstance(r, dict)}


def model_for(descriptor: dict[str, Any]) -> DataModel | None:
    """The model a package with this descriptor is read with: the current one for this major version or a version that
    says none; the frozen one of an earlier major version; the current one for another major version with no model of its own
    whose schemas are exactly the current definitions; None otherwise (a major version this cnkz knows no model of)."""
    major = major_of(descriptor.get("version"))
    if major is None or major == MAJOR_VERSION:
        return current()
    if major in frozen_majors():
        return frozen(major)
    return current() if _schemas(descriptor.get("resources")) == _schemas(current().resources) else None


def _known() -> str:
    majors = [f"{m}.x" for m in known_majors()]
    return ", ".join(majors[:-1]) + f" or {majors[-1]}" if len(majors) > 1 else majors[0]


def version_problem(descriptor: dict[str, Any]) -> Problem | None:
    """The problem with a descriptor of a major version this cnkz has no model of; None when it has one."""
    if model_for(descriptor) is not None:
        return None
    version = descriptor.get("version")
    major = major_of(version)
    if major is not None and major > MAJOR_VERSION:
        found = f"{version}: data model {major}.x is newer than this cnkz; upgrade cnkz to validate it"
        advice = "install a cnkz of version {0}.0.0 or later (python -m pip install -U cnkz, or the wheel published beside the release)"
        return Problem("data_model", DESCRIPTOR, "", "version", f"a version of a data model this cnkz knows ({_known()})", found, advice.format(major))
    found = f"{version}: no release of data model {major}.x was published, so this cnkz has no definitions of it"
    return Problem("data_model", DESCRIPTOR, "", "version", f"a version of a data model this cnkz knows ({_known()})", found)


def rules_summary(descriptor: dict[str, Any]) -> str:
    """Which rules a package with this descriptor is validated with: the text report's first line says it, the JSON report
    carries it."""
    model = model_for(descriptor)
    version = descriptor.get("version")
    if model is None:
        return f"no table definitions applied: this cnkz knows no data model of version {version} (it knows {_known()})"
    major = major_of(version)
    if model.current and major is not None and major != MAJOR_VERSION:
        return f"{model.rules}, whose table definitions the {version} package has"
    return model.rules


def primary_key(table_name: str) -> tuple[str, ...]:
    """A table's primary key by name: the current definition's, else the newest frozen model's that has the table."""
    for model in (current(), *(frozen(m) for m in reversed(frozen_majors()))):
        for table in model.tables:
            if table.name == table_name:
                return table.primary_key
    raise KeyError(table_name)


def is_model_table(table: Table) -> bool:
    """Whether `table` is a definition of a data model this cnkz knows (not one read from a package's own descriptor)."""
    return any(table in model.tables for model in (current(), *(frozen(m) for m in frozen_majors())))


# ---------------------------------------------------------------- Table Schemas as Table objects


def descriptor_tables(resources: list[dict[str, Any]], where: str) -> tuple[Table, ...]:
    """Table definitions read from a descriptor's CSV resources: how every frozen model is read, and a package of a major
    version this cnkz knows no model of. Keeps each field's type, required, unique, enum (as a vocabulary, in its order),
    pattern, minimum and maximum, and each table's primary key and foreign keys; anything malformed is a LoadError."""
    tables = []
    for resource in resources:
        schema = resource.get("schema")
        if resource.get("format") != "csv" or not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            continue
        record = str(resource.get("name"))
        fields = tuple(_field(f, where, record) for f in schema["fields"])
        if not fields:
            raise LoadError("the table has no fields", file=where, record=record)
        key = schema.get("primaryKey") or [fields[0].name]
        if not isinstance(key, str) and not (isinstance(key, list) and all(isinstance(k, str) for k in key)):
            raise LoadError(f"primaryKey {key!r} is not a field name or a list of them", file=where, record=record)
        links = schema.get("foreignKeys") or []
        if not isinstance(links, list):
            raise LoadError("foreignKeys is not a list", file=where, record=record)
        foreign = tuple(_foreign_key(link, index, record, where) for index, link in enumerate(links))
        tables.append(Table(record, str(resource.get("title", "")), str(resource.get("description", "")), fields,
                            tuple([key] if isinstance(key, str) else key), foreign))
    if not tables:
        raise LoadError("the descriptor lists no CSV table with a schema", file=where)
    return tuple(tables)


def _field(f: Any, where: str, record: str) -> Field:
    if not isinstance(f, dict) or f.get("type") not in ARROW_TYPES or not isinstance(f.get("name"), str):
        raise LoadError(f"field {f!r} has no name or a type cnkz cannot read", file=where, record=record)
    constraints: dict[str, Any] = f["constraints"] if isinstance(f.get("constraints"), dict) else {}
    enum = constraints.get("enum")
    if isinstance(enum, list) and (len({str(code) for code in enum}) != len(enum) or not all(isinstance(c, str) for c in enum)):
        raise LoadError(f"the enum of field {f['name']!r} repeats a value or holds something other than text; "
                        "an enum lists each allowed value once. Download the dataset again", file=where, record=record)
    pattern = constraints.get("pattern")
    return Field(
        f["name"], f["type"], str(f.get("description", "")),
        required=constraints.get("required") is True, unique=constraints.get("unique") is True,
        pattern=pattern if isinstance(pattern, str) else None,
        vocabulary=Vocabulary(f["name"], tuple((code, "") for code in enum)) if isinstance(enum, list) else None,
        minimum=_bound(constraints.get("minimum")), maximum=_bound(constraints.get("maximum")),
    )


def _bound(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _foreign_key(link: Any, index: int, record: str, where: str) -> ForeignKey:
    reference = link.get("reference") if isinstance(link, dict) else None
    fields = _names(link.get("fields")) if isinstance(link, dict) else None
    target = reference.get("resource") if isinstance(reference, dict) else None
    referenced = _names(reference.get("fields")) if isinstance(reference, dict) else None
    if fields is None or referenced is None or not isinstance(target, str) or len(fields) != len(referenced):
        raise LoadError(f"foreignKeys[{index}] is not {{fields, reference: {{resource, fields}}}} with as many fields on each side",
                        file=where, record=record)
    return ForeignKey(fields, target or record, referenced)  # an empty resource refers to the table itself
