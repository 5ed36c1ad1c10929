"""Every validation layer, each returning Problems; nothing stops at the first one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pandera.errors

from .descriptor import PACKAGE_NAME, project_version, resource_descriptor, table_schema
from .errors import Problem
from .files import arrow_schema, is_package_path, read_csv, read_parquet
from .schemas import CHECK_CODES, RULE_COLUMNS, Frames, dataframe_schema
from .tables import TABLES, TABLES_BY_NAME, Table

DESCRIPTOR = "datapackage.json"


def _p(check: str, table: str, row: Any, column: str, expected: str, found: Any) -> Problem:
    return Problem(check, table, "" if row is None else str(row), column or "", expected, _show(found))


def _show(value: Any) -> str:
    """A value in full (the report shortens it only when asked, with --short)."""
    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return "an empty cell"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def safe_path(package_dir: Path, path: Any) -> Path | None:
    """The file a descriptor path names, or None when the path could leave the package."""
    if not is_package_path(path):
        return None
    resolved = (package_dir / path).resolve()
    return resolved if resolved.is_relative_to(package_dir.resolve()) else None


# ---------------------------------------------------------------- descriptor


def load_descriptor(package_dir: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    path = package_dir / DESCRIPTOR
    try:
        descriptor = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None, [_p("descriptor_missing", DESCRIPTOR, None, "", "a datapackage.json", "no file")]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [_p("descriptor_json", DESCRIPTOR, None, "", "UTF-8 JSON", str(exc))]
    if not isinstance(descriptor, dict):
        return None, [_p("descriptor_json", DESCRIPTOR, None, "", "a JSON object", type(descriptor).__name__)]
    return descriptor, []


def check_profile(descriptor: dict[str, Any]) -> list[Problem]:
    """The descriptor against the official Data Package v2 JSON Schemas (bundled)."""
    problems = []
    profiles = resources.files("cnkz") / "profiles"
    package_schema = json.loads((profiles / "datapackage.json").read_text(encoding="utf-8"))
    for error in jsonschema.Draft7Validator(package_schema).iter_errors(descriptor):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(_p("profile", DESCRIPTOR, None, where, "a valid Data Package v2 descriptor", error.message))
    schema_schema = json.loads((profiles / "tableschema.json").read_text(encoding="utf-8"))
    for index, resource in enumerate(descriptor.get("resources") or []):
        schema = resource.get("schema") if isinstance(resource, dict) else None
        if isinstance(schema, dict):
            for error in jsonschema.Draft7Validator(schema_schema).iter_errors(schema):
                where = f"resources/{index}/schema/" + "/".join(str(p) for p in error.absolute_path)
                problems.append(_p("profile", DESCRIPTOR, None, where, "a valid Table Schema v2", error.message))
    return problems


def check_descriptor_content(package_dir: Path, descriptor: dict[str, Any]) -> list[Problem]:
    """Names, paths, schemas and version agree with the table definitions and pyproject.toml."""
    problems = []
    if descriptor.get("name") != PACKAGE_NAME:
        problems.append(_p("descriptor_name", DESCRIPTOR, None, "name", PACKAGE_NAME, descriptor.get("name")))
    if (package_dir / "pyproject.toml").exists():
        version = project_version(package_dir)
        if descriptor.get("version") != version:
            problems.append(_p("version_mismatch", DESCRIPTOR, None, "version", f"{version} (pyproject.toml)", descriptor.get("version")))
    by_name = {r.get("name"): r for r in descriptor.get("resources") or [] if isinstance(r, dict)}
    expected_names = [t.name + s for s in ("", "-parquet") for t in TABLES]
    for name in sorted(set(by_name) - set(expected_names), key=str):
        problems.append(_p("unexpected_resource", DESCRIPTOR, None, f"resources/{name}", "only the published tables", name))
    for table in TABLES:
        for suffix, fmt in (("", "csv"), ("-parquet", "parquet")):
            name = table.name + suffix
            resource = by_name.get(name)
            if resource is None:
                problems.append(_p("missing_resource", DESCRIPTOR, None, f"resources/{name}", "a resource", "none"))
                continue
            expected_path = f"resources/{table.name}.{fmt}"
            if resource.get("path") != expected_path:
                problems.append(_p("resource_path", DESCRIPTOR, None, f"resources/{name}/path", expected_path, resource.get("path")))
            if resource.get("schema") != table_schema(table, suffix):
                problems.append(_p(
                    "schema_drift", DESCRIPTOR, None, f"resources/{name}/schema",
                    "the schema derived from the table definitions", "a different schema",
                ))
            template = resource_descriptor(table, fmt, b"")
            for key in ("format", "mediatype", "type", "profile", "encoding", "dialect"):
                if template.get(key) != resource.get(key):
                    problems.append(_p("resource_property", DESCRIPTOR, None, f"resources/{name}/{key}", str(template.get(key)), resource.get(key)))
    return problems


def check_files(package_dir: Path, descriptor: dict[str, Any]) -> list[Problem]:
    """Every resource path stays in the package, exists, and matches its declared bytes and hash."""
    problems = []
    for resource in descriptor.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name"))
        path = safe_path(package_dir, resource.get("path"))
        if path is None:
            problems.append(_p("unsafe_path", name, None, "path", "a relative path inside the package", resource.get("path")))
            continue
        if not path.is_file():
            problems.append(_p("file_missing", name, None, "path", "an existing file", resource.get("path")))
            continue
        data = path.read_bytes()
        declared_hash = resource.get("hash")
        actual_hash = "sha256:" + hashlib.sha256(data).hexdigest()
        if declared_hash != actual_hash:
            problems.append(_p("hash_mismatch", name, None, "hash", f"{declared_hash} (datapackage.json)", f"{actual_hash} (the file)"))
        if "bytes" in resource and resource["bytes"] != len(data):
            problems.append(_p("bytes_mismatch", name, None, "bytes", f"{resource['bytes']} (datapackage.json)", f"{len(data)} (the file)"))
        if resource.get("format") == "csv":
            problems += check_csv_bytes(name, data)
    return problems


def check_csv_bytes(name: str, data: bytes) -> list[Problem]:
    """Encoding and line endings that a loader would trip over."""
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(_p("bom", name, 1, "", "UTF-8 without a byte-order mark", "a BOM"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(_p("encoding", name, f"line {line}", "", "UTF-8", f"byte {data[exc.start]:#04x}"))
    if b"\r" in data:
        line = data[: data.index(b"\r")].count(b"\n") + 1
        problems.append(_p("line_endings", name, f"line {line}", "", "LF line endings", "a carriage return"))
    if data and not data.endswith(b"\n"):
        problems.append(_p("final_newline", name, None, "", "a final newline", "none"))
    return problems


# ---------------------------------------------------------------- frictionless


def check_frictionless(package_dir: Path) -> list[Problem]:
    """Frictionless's own validation of the descriptor and every resource, CSV and Parquet."""
    import frictionless

    problems = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(package_dir / DESCRIPTOR))
    for error in report.errors:
        problems.append(_p("frictionless", DESCRIPTOR, None, "", "a valid package", f"{error.type}: {error.note}"))
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            column = getattr(error, "field_name", None) or ""
            problems.append(_p("frictionless", task.name or "?", row, column, "valid per the descriptor", f"{error.type}: {error.note}"))
    return problems


# ---------------------------------------------------------------- tables


def read_tables(package_dir: Path, fmt: str, only: str | None = None) -> tuple[Frames, list[Problem]]:
    frames: Frames = {}
    problems = []
    for table in TABLES:
        if only is not None and table.name != only:
            continue
        path = package_dir / "resources" / f"{table.name}.{fmt}"
        name = table.name if fmt == "csv" else f"{table.name}-parquet"
        if not path.is_file():
            continue  # reported by check_files
        try:
            if fmt == "csv":
                frame, cell_errors = read_csv(path, table)
                problems += [_p("type", name, row_key(table.name, frame, e.row), e.column, e.expected, e.value) for e in cell_errors]
            else:
                problems += check_parquet_types(path, table, name)
                frame = read_parquet(path, table)
        except Exception as exc:  # unreadable file: report it, keep validating the rest
            problems.append(_p("unreadable", name, None, "", f"a readable {fmt} file", f"{type(exc).__name__}: {exc}"))
            continue
        if list(frame.columns) != table.columns:
            problems.append(_p("columns", name, None, "", ",".join(table.columns), ",".join(map(str, frame.columns))))
        frames[table.name] = frame
    return frames, problems


def check_parquet_types(path: Path, table: Table, name: str) -> list[Problem]:
    import pyarrow.parquet as pq

    actual = {f.name: f.type for f in pq.read_schema(path)}
    expected = arrow_schema(table)
    return [
        _p("parquet_type", name, None, f.name, str(f.type), str(actual[f.name]))
        for f in expected
        if f.name in actual and actual[f.name] != f.type
    ]


def row_key(table_name: str, frame: pd.DataFrame, index: Any) -> str:
    table = TABLES_BY_NAME[table_name]
    if index is None or pd.isna(index) or index not in frame.index:
        return ""
    values = [str(frame.at[index, k]) for k in table.primary_key if k in frame.columns]
    return f"{int(index) + 2} ({'/'.join(values)})"


PANDERA_CODES = {
    "not_nullable": ("required", "a value (the field is required)"),
    "field_uniqueness": ("unique", "a value unique in the column"),
    "multiple_fields_uniqueness": ("primary_key", "a unique primary key"),
    "column_in_dataframe": ("columns", "the column to be present"),
    "column_in_schema": ("columns", "no column outside the schema"),
    "dataframe_column_labels_ordered": ("columns", "the columns in the published order"),
}


def check_schemas(frames: Frames) -> list[Problem]:
    """pandera: types, vocabularies, patterns, ranges, uniqueness, cross-field and cross-table rules."""
    problems: list[Problem] = []
    if set(frames) != {t.name for t in TABLES}:
        return problems  # missing tables are reported elsewhere; row rules need all of them
    for table in TABLES:
        frame = frames[table.name]
        try:
            dataframe_schema(table, frames).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            problems += _pandera_problems(table, frame, exc.failure_cases)
    return problems


def _pandera_problems(table: Table, frame: pd.DataFrame, cases: pd.DataFrame) -> list[Problem]:
    problems = []
    for _, case in cases.iterrows():
        check = str(case["check"])
        column = case["column"] if isinstance(case["column"], str) and case["column"] != table.name else ""
        index = case["index"]
        if case["schema_context"] == "DataFrameSchema" and check in CHECK_CODES:
            # A row rule: pandera lists every column of a failing row; one problem per row is enough.
            rule_column = RULE_COLUMNS.get(check, "")
            found = frame.at[index, rule_column] if rule_column in frame.columns and index in frame.index else ""
            problems.append(_p(CHECK_CODES[check], table.name, row_key(table.name, frame, index), rule_column, check, found))
            continue
        if check in CHECK_CODES:
            code, expected = CHECK_CODES[check], check
        elif check.split("(")[0] in PANDERA_CODES:
            code, expected = PANDERA_CODES[check.split("(")[0]]
        elif check.startswith("dtype("):
            code, expected = "type", f"type {check}"
        else:
            code, expected = "schema", check
        problems.append(_p(code, table.name, row_key(table.name, frame, index), column, expected, case["failure_case"]))
    return problems


# ---------------------------------------------------------------- cross-format and provenance


def check_formats_agree(csv_frames: Frames, parquet_frames: Frames) -> list[Problem]:
    problems = []
    for table in TABLES:
        a, b = csv_frames.get(table.name), parquet_frames.get(table.name)
        if a is None or b is None:
            continue
        if list(a.columns) != list(b.columns):
            problems.append(_p("csv_parquet", table.name, None, "", "the same columns in CSV and Parquet", "different columns"))
            continue
        if len(a) != len(b):
            problems.append(_p("csv_parquet", table.name, None, "", f"{len(a)} rows in Parquet as in CSV", len(b)))
            continue
        for column in a.columns:
            left, right = a[column], b[column]
            if left.dtype != right.dtype:
                continue  # a retyped Parquet column is reported by check_parquet_types
            # Vectorised: only the differing cells are looked at one by one.
            same = (left == right).fillna(False).to_numpy(dtype=bool) | (left.isna().to_numpy() & right.isna().to_numpy())
            for index in a.index[~same]:
                problems.append(_p("csv_parquet", table.name, row_key(table.name, a, index), column,
                                   f"{_show(left[index])} (the CSV value)", f"{_show(right[index])} (in Parquet)"))
    return problems


def check_provenance(package_dir: Path, frames: Frames) -> list[Problem]:
    """Each seed's sha256 matches `sources`; each row's quote is the text at its offsets."""
    problems: list[Problem] = []
    sources = frames.get("sources")
    if sources is None:
        return problems
    texts: dict[str, str] = {}
    for index, source in sources.iterrows():
        key = row_key("sources", sources, index)
        path = safe_path(package_dir, source["path"])
        if path is None or not path.is_file():
            problems.append(_p("seed_missing", "sources", key, "path", "the source text in the package", source["path"]))
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != source["sha256"]:
            problems.append(_p("seed_hash", "sources", key, "sha256", f"{source['sha256']} (the sources row)",
                               f"{hashlib.sha256(data).hexdigest()} (the text file)"))
        if len(data) != source["bytes"]:
            problems.append(_p("seed_bytes", "sources", key, "bytes", f"{source['bytes']} (the sources row)", f"{len(data)} (the text file)"))
        try:
            texts[source["source_id"]] = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(_p("seed_encoding", "sources", key, "path", "a UTF-8 text", "undecodable bytes"))
    for table in TABLES:
        frame = frames.get(table.name)
        if frame is None or "quote" not in frame.columns:
            continue
        columns = (frame.index, frame["source_id"], frame["char_start"], frame["char_end"], frame["quote"])
        for index, source_id, start, end, quote in zip(*columns):
            text = texts.get(source_id)
            if text is None or pd.isna(start) or pd.isna(end):
                continue
            found = text[int(start) : int(end)]
            if found != quote:
                problems.append(_p("quote_offsets", table.name, row_key(table.name, frame, index), "quote",
                                   f"the text at [{start}, {end})", f"{found!r} vs quote {quote!r}"))
    return problems


# ---------------------------------------------------------------- entry point

def check_rows(package_dir: Path) -> tuple[list[Problem], Frames]:
    """The row-level layers: typed reads of CSV and Parquet, pandera schemas, and CSV against Parquet."""
    csv_frames, problems = read_tables(package_dir, "csv")
    problems += check_schemas(csv_frames)
    # One Parquet table in memory at a time: compared with its CSV twin, then dropped.
    for table in TABLES:
        parquet_frames, parquet_problems = read_tables(package_dir, "parquet", only=table.name)
        problems += parquet_problems
        problems += check_formats_agree(csv_frames, parquet_frames)
    return problems, csv_frames


def validate(package_dir: Path, *, rebuild: bool = True) -> list[Problem]:
    """All problems of the package in `package_dir`; the rebuild and audit run when curation/ is there."""
    package_dir = Path(package_dir)
    descriptor, problems = load_descriptor(package_dir)
    if descriptor is None:
        return problems
    problems += check_profile(descriptor)
    problems += check_descriptor_content(package_dir, descriptor)
    problems += check_files(package_dir, descriptor)
    if not any(p.check == "unsafe_path" for p in problems):
        problems += check_frictionless(package_dir)
    row_problems, csv_frames = check_rows(package_dir)
    problems += row_problems
    problems += check_provenance(package_dir, csv_frames)
    if rebuild and (package_dir / "curation").is_dir():
        from .audit import check_coverage
        from .build import check_rebuild
        from .docs import check_docs

        problems += check_rebuild(package_dir)
        problems += check_coverage(package_dir)
        problems += check_docs(package_dir)
    return sorted(set(problems))
