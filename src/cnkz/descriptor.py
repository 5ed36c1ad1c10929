"""The Frictionless Data Package descriptor, derived from the table definitions."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import BuildError
from .tables import TABLES, Field, Table

PACKAGE_NAME = "china-kazakhstan-engagements"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
CONTRIBUTORS = [{"title": "China–Kazakhstan Engagements Dataset maintainers", "roles": ["creator", "maintainer"]}]
KEYWORDS = ["China", "Kazakhstan", "diplomacy", "high-level visits", "bilateral relations", "events data", "CAMEO"]
TITLE = "China–Kazakhstan high-level engagements"
DESCRIPTION = (
    "Meetings, visits and talks between Chinese and Kazakh leaders, with their participants, "
    "the pledges made and the figures quoted, curated from news reports. Every row carries the "
    "exact words of its source text and their character offsets."
)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def project_version(root: Path) -> str:
    """The one version number, from pyproject.toml."""
    path = root / "pyproject.toml"
    try:
        version = tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"]
    except (FileNotFoundError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"cannot read [project] version ({exc})", file=str(path)) from None
    if not SEMVER.match(version):
        raise BuildError(f"version {version!r} is not semantic (MAJOR.MINOR.PATCH)", file=str(path), field="version")
    return str(version)


def changelog_date(root: Path, version: str) -> str:
    """The date of `version`'s CHANGELOG.md entry: the descriptor's `created`, so builds are reproducible."""
    path = root / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    match = re.search(rf"^## \[{re.escape(version)}\] - (\d{{4}}-\d{{2}}-\d{{2}})$", text, re.MULTILINE)
    if not match:
        raise BuildError(f"no entry '## [{version}] - YYYY-MM-DD' for the version in pyproject.toml", file=str(path))
    return match.group(1)


def field_descriptor(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": f.type, "description": f.description}
    if f.type == "date":
        out["format"] = "default"
    constraints: dict[str, Any] = {}
    if f.required:
        constraints["required"] = True
    if f.unique:
        constraints["unique"] = True
    if f.pattern:
        constraints["pattern"] = f.pattern
    if f.vocabulary:
        constraints["enum"] = f.vocabulary.codes
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.maximum is not None:
        constraints["maximum"] = f.maximum
    if constraints:
        out["constraints"] = constraints
    if f.type == "boolean":
        out["trueValues"] = ["true"]
        out["falseValues"] = ["false"]
    return out


def table_schema(table: Table, resource_suffix: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": SCHEMA_PROFILE,
        "fields": [field_descriptor(f) for f in table.fields],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk.fields), "reference": {"resource": fk.table + resource_suffix, "fields": list(fk.reference)}}
            for fk in table.foreign_keys
        ]
    return schema


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resource_descriptor(table: Table, fmt: str, data: bytes) -> dict[str, Any]:
    """A resource for one file. Parquet omits `bytes`, which Frictionless cannot check for it."""
    suffix = "" if fmt == "csv" else "-parquet"
    resource: dict[str, Any] = {
        "$schema": RESOURCE_PROFILE,
        "name": table.name + suffix,
        "type": "table",
        "path": f"resources/{table.name}.{fmt}",
        "title": table.title + ("" if fmt == "csv" else " (Parquet)"),
        "description": table.description,
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
    }
    if fmt == "csv":
        resource["profile"] = "tabular-data-resource"
        resource["encoding"] = "utf-8"
        resource["dialect"] = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True, "header": True}
        resource["bytes"] = len(data)
    resource["hash"] = f"sha256:{sha256_bytes(data)}"
    resource["schema"] = table_schema(table, suffix)
    return resource


def package_descriptor(
    version: str, created: str, sources: list[dict[str, Any]], files: dict[str, bytes]
) -> dict[str, Any]:
    """The whole descriptor: package metadata, then a CSV and a Parquet resource per table."""
    outlets = []
    for s in sources:
        named = " / ".join(x for x in (s["outlet"], s["agency"]) if x) or "outlet not named on the page"
        outlets.append({"title": f"{s['title']} ({named})", "path": s["path"]})
    resources = [resource_descriptor(t, "csv", files[f"resources/{t.name}.csv"]) for t in TABLES]
    resources += [resource_descriptor(t, "parquet", files[f"resources/{t.name}.parquet"]) for t in TABLES]
    return {
        "$schema": PROFILE,
        "name": PACKAGE_NAME,
        "title": TITLE,
        "description": DESCRIPTION,
        "version": version,
        "created": f"{created}T00:00:00Z",
        "keywords": KEYWORDS,
        "licenses": [LICENSE],
        "contributors": CONTRIBUTORS,
        "sources": outlets,
        "resources": resources,
    }


def dumps(descriptor: dict[str, Any]) -> bytes:
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
