"""Discovery and deposit metadata, generated from the table definitions, the descriptor and CITATION.cff.

schema.org `Dataset` JSON-LD (for search engines, in the site's home page), a Croissant
description (`croissant.json`) and Zenodo deposit metadata (`.zenodo.json`). Every absolute
address comes from the one `base-url` setting; without it links stay relative and the
metadata says so.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .descriptor import DESCRIPTION, KEYWORDS, LICENSE, PACKAGE_NAME, TITLE
from .errors import BuildError
from .tables import TABLES, TABLES_BY_NAME

CROISSANT = "croissant.json"
ZENODO = ".zenodo.json"
RELEASES = "releases"
INDEX = "index.json"
_BASE_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
NO_ADDRESS = (
    "No public address is set for this copy ([tool.cnkz] base-url in pyproject.toml is unset), "
    "so download links are relative to the package folder."
)
CROISSANT_TYPES = {"string": "sc:Text", "integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean", "date": "sc:Date"}
# The Croissant 1.0 JSON-LD context, as mlcroissant writes it.
CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def base_url(root: Path) -> str | None:
    """The public address the repository's files are served from (`[tool.cnkz] base-url`), ending in "/"; None when unset."""
    path = root / "pyproject.toml"
    if not path.exists():
        return None  # an unpacked release: no setting, so relative links
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("cnkz", {})
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"cannot read [tool.cnkz] ({exc})", file=str(path)) from None
    value = config.get("base-url")
    if value is None:
        return None
    if not isinstance(value, str) or not _BASE_URL.match(value):
        raise BuildError(f"base-url {value!r} is not an http(s) address such as \"https://example.org/cnkz/\"; fix it or remove it",
                         file=str(path), field="tool.cnkz.base-url")
    return value if value.endswith("/") else value + "/"


def address(base: str | None, path: str, relative_to: str = "") -> str:
    """`path` (relative to the package root) as an absolute URL under base, or relative to the folder `relative_to`."""
    if base:
        return base + path
    return "../" * len([p for p in relative_to.split("/") if p]) + path


def citation(root: Path) -> dict[str, Any]:
    """CITATION.cff as `cnkz docs` writes it for the current version, as a dict with the release date as text.

    Taken from the generator rather than the file on disk, so that one `cnkz docs` run after a version
    bump writes every document from the same version.
    """
    from .descriptor import changelog_date, project_version
    from .docs import citation as citation_text

    version = project_version(root)
    data = yaml.safe_load(citation_text(version, changelog_date(root, version), base_url(root)))
    data["date-released"] = str(data["date-released"])
    return dict(data)


def apa(cff: dict[str, Any], base: str | None) -> str:
    authors = ", ".join(a.get("name") or f"{a['family-names']}, {a['given-names']}" for a in cff["authors"])
    year = cff["date-released"][:4]
    text = f"{authors}. ({year}). {cff['title']} (Version {cff['version']}) [Data set]."
    return text + (f" {base}" if base else "")


def bibtex(cff: dict[str, Any], base: str | None) -> str:
    key = PACKAGE_NAME.replace("-", "_") + "_" + cff["version"].replace(".", "_")
    authors = " and ".join("{" + a["name"] + "}" if "name" in a else f"{a['family-names']}, {a['given-names']}" for a in cff["authors"])
    lines = [
        f"@misc{{{key},",
        f"  author    = {{{authors}}},",
        f"  title     = {{{cff['title']}}},",
        f"  year      = {{{cff['date-released'][:4]}}},",
        f"  version   = {{{cff['version']}}},",
        "  type      = {Dataset},",
        f"  note      = {{Licensed {cff['license']}}},",
    ]
    if base:
        lines.append(f"  url       = {{{base}}},")
    return "\n".join(lines) + "\n}"


def read_table(root: Path, name: str) -> list[dict[str, str]]:
    """A published CSV table as text cells, as a reader of the file sees them."""
    text = (root / "resources" / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def temporal_coverage(root: Path) -> str:
    """The span of the dated engagements, as an ISO 8601 interval."""
    events = read_table(root, TABLES_BY_NAME["events"].name)
    days = sorted(d for e in events for d in (e["start_date"], e["end_date"]) if d)
    return f"{days[0]}/{days[-1]}"


def release_index(root: Path) -> dict[str, dict[str, str]]:
    path = root / RELEASES / INDEX
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}


def _csv_and_parquet(root: Path) -> list[dict[str, Any]]:
    """The descriptor's file resources, each with the keys the metadata uses; a damaged descriptor is one clear error."""
    path = root / "datapackage.json"
    try:
        resources = json.loads(path.read_text(encoding="utf-8"))["resources"]
        out = [r for r in resources if r.get("format") in ("csv", "parquet")]
        for r in out:
            for key in ("name", "path", "title", "mediatype", "hash"):
                if not isinstance(r.get(key), str):
                    raise KeyError(f"a resource without {key}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BuildError(f"the descriptor cannot be described ({type(exc).__name__}: {exc}); run `cnkz build`", file=str(path)) from None
    missing = [t.name for t in TABLES if not any(r["name"] == t.name and r["format"] == "csv" for r in out)]
    if missing:
        raise BuildError(f"the descriptor has no CSV resource for {', '.join(missing)}; run `cnkz build`", file=str(path))
    return out


def distributions(root: Path, base: str | None, relative_to: str, releases: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """schema.org DataDownloads: every CSV and Parquet file, and every release archive given."""
    out = []
    for resource in _csv_and_parquet(root):
        download = {
            "@type": "DataDownload",
            "name": resource["name"],
            "description": resource["title"],
            "contentUrl": address(base, resource["path"], relative_to),
            "encodingFormat": resource["mediatype"],
            "sha256": resource["hash"].removeprefix("sha256:"),
        }
        if "bytes" in resource:
            download["contentSize"] = f"{resource['bytes']} B"
        out.append(download)
    for version, entry in releases.items():
        out.append({
            "@type": "DataDownload",
            "name": f"{PACKAGE_NAME}-{version}.zip",
            "description": f"Release {version}: the whole package as one zip archive",
            "contentUrl": address(base, f"{RELEASES}/{entry['archive']}", relative_to),
            "encodingFormat": "application/zip",
            "sha256": entry["sha256"],
            "uploadDate": entry["date"],
        })
    return out


def dataset_jsonld(root: Path, relative_to: str = "", releases: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """schema.org Dataset with every property Google Dataset Search requires or recommends that the data can fill."""
    base = base_url(root)
    cff = citation(root)
    releases = release_index(root) if releases is None else releases
    variables = [
        {"@type": "PropertyValue", "name": f"{t.name}.{f.name}", "description": f.description}
        for t in TABLES for f in t.fields
    ]
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": TITLE,
        "alternateName": PACKAGE_NAME,
        "description": DESCRIPTION,
        "version": cff["version"],
        "datePublished": cff["date-released"],
        "license": LICENSE["path"],
        "isAccessibleForFree": True,
        "creator": [{"@type": "Organization", "name": a["name"]} for a in cff["authors"] if "name" in a],
        "citation": apa(cff, base),
        "keywords": KEYWORDS,
        "temporalCoverage": temporal_coverage(root),
        "spatialCoverage": [
            {"@type": "Place", "name": "China", "identifier": "CHN"},
            {"@type": "Place", "name": "Kazakhstan", "identifier": "KAZ"},
        ],
        "measurementTechnique": "Manual curation of news reports; every row quotes its source text with character offsets",
        "variableMeasured": variables,
        "distribution": distributions(root, base, relative_to, releases),
    }
    if base:
        out["url"] = base + "site/index.html"
        out["sameAs"] = base + "datapackage.json"
    else:
        out["disambiguatingDescription"] = NO_ADDRESS
    return out


def croissant(root: Path) -> dict[str, Any]:
    """A Croissant 1.0 description of the CSV tables: one FileObject and one RecordSet per table."""
    base = base_url(root)
    cff = citation(root)
    files, record_sets = [], []
    csv_resources = {r["name"]: r for r in _csv_and_parquet(root) if r["format"] == "csv"}
    for table in TABLES:
        resource = csv_resources[table.name]
        files.append({
            "@type": "cr:FileObject",
            "@id": f"{table.name}.csv",
            "name": f"{table.name}.csv",
            "description": resource["title"],
            "contentUrl": address(base, resource["path"]),
            "encodingFormat": "text/csv",
            "sha256": resource["hash"].removeprefix("sha256:"),
        })
        fields = []
        for f in table.fields:
            entry: dict[str, Any] = {
                "@type": "cr:Field",
                "@id": f"{table.name}/{f.name}",
                "name": f.name,
                "description": f.description,
                "dataType": CROISSANT_TYPES[f.type],
                "source": {"fileObject": {"@id": f"{table.name}.csv"}, "extract": {"column": f.name}},
            }
            fields.append(entry)
        # Foreign keys are not given as Croissant `references`: mlcroissant 1.1 turns them into joins
        # that fail while reading (and a reference within a table into a cycle); datapackage.json has them.
        record_sets.append({
            "@type": "cr:RecordSet",
            "@id": table.name,
            "name": table.name,
            "description": table.description,
            "key": [{"@id": f"{table.name}/{k}"} for k in table.primary_key],
            "field": fields,
        })
    out: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": PACKAGE_NAME,
        "description": DESCRIPTION + ("" if base else " " + NO_ADDRESS),
        "version": cff["version"],
        "datePublished": cff["date-released"],
        "license": LICENSE["path"],
        "creator": [{"@type": "sc:Organization", "name": a["name"]} for a in cff["authors"] if "name" in a],
        "keywords": KEYWORDS,
        "citeAs": bibtex(cff, base),
        "url": base + "site/index.html" if base else "site/index.html",
        "distribution": files,
        "recordSet": record_sets,
    }
    return out


def zenodo(root: Path) -> dict[str, Any]:
    """Zenodo deposit metadata for the current version, so a DOI deposit of a release is one upload."""
    base = base_url(root)
    cff = citation(root)
    out: dict[str, Any] = {
        "upload_type": "dataset",
        "title": TITLE,
        "version": cff["version"],
        "publication_date": cff["date-released"],
        "description": DESCRIPTION,
        "creators": [{"name": a["name"]} for a in cff["authors"] if "name" in a],
        "access_right": "open",
        "license": LICENSE["name"].lower(),
        "keywords": KEYWORDS,
    }
    if base:
        out["related_identifiers"] = [
            {"identifier": base + "datapackage.json", "relation": "isIdenticalTo", "resource_type": "dataset"},
            {"identifier": base + "site/index.html", "relation": "isDocumentedBy", "resource_type": "publication-other"},
        ]
    else:
        out["notes"] = NO_ADDRESS
    return out


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def metadata_documents(root: Path) -> dict[Path, str]:
    """The generated metadata files by path, as they should be on disk (`cnkz docs` writes them, validation checks them)."""
    return {root / CROISSANT: dumps(croissant(root)), root / ZENODO: dumps(zenodo(root))}


def write_metadata(root: Path) -> list[Path]:
    """Rewrite the metadata files that describe the published files (a build changes their checksums)."""
    written = []
    for path, text in metadata_documents(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
