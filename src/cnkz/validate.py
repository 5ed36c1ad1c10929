"""Validation as a list of layers, each a function of one package that returns Problems; nothing stops at the first.

The row layer streams every table in record batches: whole rows are checked batch by batch (types,
pandera column checks and one-row rules, provenance, CSV against Parquet), and only the key columns
of each table are kept for the rules across rows and tables, so memory grows with the keys, not the text.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from . import model_rules
from .datamodel import DataModel, current, model_for, primary_key, version_problem
from .descriptor import PACKAGE_NAME, project_version
from .errors import CnkzError, Problem
from .files import ARROW_TYPES, PANDAS_TYPES, is_package_path
from .keys import Domain, Encoded, KeyEncoder
from .reader import Batch, TableReader, target_schema
from .safety import read_regular, regular_file_problem
from .schemas import CHECK_CODES, RULE_COLUMNS, Frames
from .seedfiles import Confined, Seed, read_seeds
from .sources import QUOTE_MAX_CHARS, QUOTE_MIN_CHARS
from .stated import check_stated_versions
from .tables import Table

DESCRIPTOR = "datapackage.json"
CHECKSUMS = "SHA256SUMS"
LISTED = 200  # problems listed per check, table and column; the rest are counted, so a broken file cannot flood memory
CHUNK = 1 << 20  # bytes read at a time when hashing and scanning files
SEED_THREADS = 4
SEED_READERS = ThreadPoolExecutor(max_workers=SEED_THREADS, thread_name_prefix="cnkz-seeds")


@dataclass
class Package:
    """The one object every layer is a function of: the package folder and its parsed descriptor."""

    root: Path
    descriptor: dict[str, Any]
    engine: Any = None  # where the rules run (cnkz.validation.engine.Settings); None: embedded DuckDB with the default limits


Layer = Callable[[Package], list[Problem]]


def data_model(package: Package) -> DataModel | None:
    """The table definitions and rules of the package's major version (cnkz.datamodel); None for one this cnkz does not know."""
    return model_for(package.descriptor)


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
    from .limits import parse_json

    path = package_dir / DESCRIPTOR
    if not path.exists():
        return None, [_p("descriptor_missing", DESCRIPTOR, None, "", "a datapackage.json", "no file")]
    try:
        descriptor = parse_json(read_regular(path, "the descriptor"), DESCRIPTOR)
    except CnkzError as exc:
        return None, [_p("descriptor_json", DESCRIPTOR, None, "", "a UTF-8 JSON file within the caps", exc.message)]
    if not isinstance(descriptor, dict):
        return None, [_p("descriptor_json", DESCRIPTOR, None, "", "a JSON object", type(descriptor).__name__)]
    return descriptor, []


@functools.cache
def profile_validator(name: str) -> jsonschema.Draft7Validator:
    """A validator of one bundled Data Package v2 profile, built once (building one costs more than using it)."""
    return jsonschema.Draft7Validator(json.loads((resources.files("cnkz") / "profiles" / name).read_text(encoding="utf-8")))


def check_profile(package: Package) -> list[Problem]:
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


@functools.lru_cache(maxsize=8)
def _profile_problems(text: str) -> tuple[Problem, ...]:
    """Remembered by the descriptor's text: checking the same descriptor again (a release validates it several times) costs
    a dictionary lookup instead of a pass of jsonschema. At most LISTED errors of each profile are listed: jsonschema finds
    them lazily, so a descriptor with a million bad items costs no more than one with LISTED."""
    descriptor = json.loads(text)
    shape = descriptor_shape(descriptor)
    if shape is not None:
        return (_p("profile", DESCRIPTOR, None, "", "a Data Package v2 descriptor of bounded size; not checked against the profile", shape),)
    def errors() -> Iterator[Problem]:
        for error in profile_validator("datapackage.json").iter_errors(descriptor):
            where = "/".join(str(p) for p in error.absolute_path)
            yield _p("profile", DESCRIPTOR, None, where, "a valid Data Package v2 descriptor", _shown(error.message))
        for index, resource in enumerate(descriptor.get("resources") or [] if isinstance(descriptor, dict) else []):
            schema = resource.get("schema") if isinstance(resource, dict) else None
            for error in profile_validator("tableschema.json").iter_errors(schema) if isinstance(schema, dict) else ():
                where = f"resources/{index}/schema/" + "/".join(str(p) for p in error.absolute_path)
                yield _p("profile", DESCRIPTOR, None, where, "a valid Table Schema v2", _shown(error.message))

    problems = list(itertools.islice(errors(), LISTED))
    return tuple(problems[:LISTED])


def check_descriptor_content(package: Package) -> list[Problem]:
    """Names, paths, schemas and version agree with the table definitions of the package's data model and pyproject.toml."""
    package_dir, descriptor = package.root, package.descriptor
    problems = []
    if descriptor.get("name") != PACKAGE_NAME:
        problems.append(_p("descriptor_name", DESCRIPTOR, None, "name", PACKAGE_NAME, descriptor.get("name")))
    if (package_dir / "pyproject.toml").exists():
        version = project_version(package_dir)
        if descriptor.get("version") != version:
            problems.append(_p("version_mismatch", DESCRIPTOR, None, "version", f"{version} (pyproject.toml)", descriptor.get("version")))
    problems += check_stated_versions(package_dir, descriptor)  # CITATION.cff, README, CHANGELOG, ... say the same version
    model = data_model(package)
    if model is None:
        return [*problems, *filter(None, [version_problem(descriptor)])]
    by_name = {r.get("name"): r for r in descriptor.get("resources") or [] if isinstance(r, dict)}
    expected_names = [t.name + s for s in ("", "-parquet") for t in model.tables]
    for name in sorted(set(by_name) - set(expected_names), key=str):
        problems.append(_p("unexpected_resource", DESCRIPTOR, None, f"resources/{name}", "only the published tables", name))
    for table in model.tables:
        for suffix, fmt in (("", "csv"), ("-parquet", "parquet")):
            name = table.name + suffix
            resource = by_name.get(name)
            if resource is None:
                problems.append(_p("missing_resource", DESCRIPTOR, None, f"resources/{name}", "a resource", "none"))
                continue
            template = model.resource(name) or {}
            expected_path = f"resources/{table.name}.{fmt}"
            if resource.get("path") != expected_path:
                problems.append(_p("resource_path", DESCRIPTOR, None, f"resources/{name}/path", expected_path, resource.get("path")))
            if resource.get("schema") != template.get("schema"):
                problems.append(_p(
                    "schema_drift", DESCRIPTOR, None, f"resources/{name}/schema",
                    model.schema_source, "a different schema",
                ))
            for key in ("format", "mediatype", "type", "profile", "encoding", "dialect"):
                if template.get(key) != resource.get(key):
                    problems.append(_p("resource_property", DESCRIPTOR, None, f"resources/{name}/{key}", str(template.get(key)), resource.get(key)))
    return problems


def check_files(package: Package) -> list[Problem]:
    """Every resource path stays in the package, exists, and matches its declared bytes and hash."""
    problems = []
    for resource in package.descriptor.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name"))
        path = safe_path(package.root, resource.get("path"))
        if path is None:
            problems.append(_p("unsafe_path", name, None, "path", "a relative path inside the package", resource.get("path")))
            continue
        if not path.exists():
            problems.append(_p("file_missing", name, None, "path", "an existing file", resource.get("path")))
            continue
        why = regular_file_problem(path)
        if why is not None:
            problems.append(_p("not_regular_file", name, None, "path", "a regular file within the member cap", why))
            continue
        scan = FileScan(path, resource.get("format") == "csv")
        declared_hash = resource.get("hash")
        actual_hash = "sha256:" + scan.sha256
        if declared_hash != actual_hash:
            problems.append(_p("hash_mismatch", name, None, "hash", f"{declared_hash} (datapackage.json)", f"{actual_hash} (the file)"))
        if "bytes" in resource and resource["bytes"] != scan.size:
            problems.append(_p("bytes_mismatch", name, None, "bytes", f"{resource['bytes']} (datapackage.json)", f"{scan.size} (the file)"))
        problems += [_p(check, name, row, "", expected, found) for check, row, expected, found in scan.csv_problems]
    return problems


@dataclass
class FileScan:
    """One pass over a file in chunks: its sha256 and size and, for CSV, what a loader would trip over."""

    path: Path
    csv: bool
    sha256: str = ""
    size: int = 0
    csv_problems: list[tuple[str, Any, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
        lines, first, last = 1, b"", b""
        seen: set[str] = set()
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                if self.csv:
                    first = first or chunk[:3]
                    self._chunk(chunk, decoder, lines, seen)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                self.size += len(chunk)
        self.sha256 = digest.hexdigest()
        if not self.csv:
            return
        if "encoding" not in seen:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.csv_problems.append(("encoding", f"line {lines}", "UTF-8", "a truncated character at the end"))
        if first.startswith(b"\xef\xbb\xbf"):
            self.csv_problems.insert(0, ("bom", 1, "UTF-8 without a byte-order mark", "a BOM"))
        if self.size and last != b"\n":
            self.csv_problems.append(("final_newline", None, "a final newline", "none"))

    def _chunk(self, chunk: bytes, decoder: Any, lines: int, seen: set[str]) -> None:
        if "encoding" not in seen:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                seen.add("encoding")
                # exc.start counts from the decoder's pending bytes, at most 3 before this chunk
                where = max(0, exc.start - (len(exc.object) - len(chunk)))
                line = lines + chunk[:where].count(b"\n")
                self.csv_problems.append(("encoding", f"line {line}", "UTF-8", f"byte {chunk[where]:#04x}"))
        if "line_endings" not in seen and b"\r" in chunk:
            seen.add("line_endings")
            line = lines + chunk[: chunk.index(b"\r")].count(b"\n")
            self.csv_problems.append(("line_endings", f"line {line}", "LF line endings", "a carriage return"))


# ---------------------------------------------------------------- frictionless


def check_frictionless(package: Package) -> list[Problem]:
    """Frictionless's own validation of the descriptor and every resource, CSV and Parquet: a second opinion.

    Not among the default layers: it reads row by row in Python (Parquet through pandas, about 500 rows/s),
    so `nox -s validate` and `cnkz release` run it once on the real package, and `cnkz validate --frictionless` on demand.
    It is handed the descriptor parsed within the caps, rebuilt by frictionless_guard from the keys it needs (never the file,
    nor extrapaths, compression, profile URLs or patterns of the descriptor's own); each key left out is a problem."""
    import frictionless

    from .frictionless_guard import guard

    descriptor, problems = guard(package.descriptor)
    if descriptor is None:
        return problems  # a resource it could not be shown safely; the guard's problems say which
    resources = descriptor["resources"]
    if any(safe_path(package.root, r["path"]) is None for r in resources):
        return problems  # never let it follow a path out of the package; check_files reports the path
    if check_local_only(package) or any(regular_file_problem(safe_path(package.root, r["path"]) or package.root) for r in resources):
        return problems  # never let it open the network, a FIFO or a device; the other layers report them

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(descriptor, basepath=str(package.root))
    for error in report.errors:
        problems.append(_p("frictionless", DESCRIPTOR, None, "", "a valid package", f"{error.type}: {error.note}"))
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            column = getattr(error, "field_name", None) or ""
            problems.append(_p("frictionless", task.name or "?", row, column, "valid per the descriptor", f"{error.type}: {error.note}"))
    return problems


# ---------------------------------------------------------------- rows, streamed


class Report:
    """Problems as they are found, at most LISTED of each check, table and column; the rest are counted.

    Producers ask `room` before they turn failures into Problems, so a file of a million identical bad cells costs a count,
    not a million Problems (each needs its row's key read back)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.listed: dict[tuple[str, str, str], int] = {}
        self.unlisted: dict[tuple[str, str, str], int] = {}

    def room(self, check: str, table: str, column: str, found: int) -> int:
        """How many of `found` new failures of one check, table and column to list; the others are counted here."""
        key = (check, table, column)
        keep = max(0, min(found, LISTED - self.listed.get(key, 0)))
        self.unlisted[key] = self.unlisted.get(key, 0) + found - keep
        return keep

    def add(self, problems: list[Problem]) -> None:
        for problem in problems:
            key = (problem.check, problem.table, problem.column)
            if self.listed.get(key, 0) < LISTED:
                self.listed[key] = self.listed.get(key, 0) + 1
                self.problems.append(problem)
            else:
                self.unlisted[key] = self.unlisted.get(key, 0) + 1

    def finish(self) -> list[Problem]:
        more = [_p(check, table, None, column, f"no more than {LISTED} listed", f"{count} more not listed")
                for (check, table, column), count in self.unlisted.items() if count]
        return self.problems + more


def capped(report: Report | None, check: str, table: str, column: str, items: list[Any]) -> list[Any]:
    """The first of `items` (failures of one check, table and column) that `report` still lists; all when there is none."""
    return items if report is None else items[: report.room(check, table, column, len(items))]


def by_column(errors: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for error in errors:
        grouped.setdefault(error.column, []).append(error)
    return grouped


def row_key(table_name: str, frame: pd.DataFrame, index: Any, codes: Encoded | None = None) -> str:
    if index is None or pd.isna(index) or index not in frame.index:
        return ""
    values = [str(_cell(table_name, frame, index, k, codes)) for k in primary_key(table_name) if k in frame.columns]
    return f"{int(index) + 2} ({'/'.join(values)})"


def _cell(table_name: str, frame: pd.DataFrame, index: Any, column: str, codes: Encoded | None) -> Any:
    value = frame.at[index, column]
    return value if codes is None else codes.decode(table_name, column, value)


_TO_PANDAS = {ARROW_TYPES[t]: PANDAS_TYPES[t] for t in ARROW_TYPES}


def to_frame(data: pa.RecordBatch | pa.Table, offset: int = 0) -> pd.DataFrame:
    """Arrow rows as pandas in the validator's types, indexed by their 0-based row in the file."""
    frame = data.to_pandas(types_mapper=_TO_PANDAS.get)
    frame.index = pd.RangeIndex(offset, offset + len(frame))
    return frame


class Seeds:
    """The source texts, read on demand through the `sources` table and kept in a small cache."""

    def __init__(self, root: Path, cached: int = 256) -> None:
        from .limits import current

        self.confined, self.cached, self.cap = Confined(root), cached, current().member_bytes
        self.sources: Domain | None = None  # the sources' ids (cnkz.keys), known once the sources table is read
        self.paths = pa.array([], pa.string())
        self.texts: OrderedDict[int, str | None] = OrderedDict()

    def rows_of(self, source_ids: pa.Array) -> np.ndarray:
        """Each source_id's row in `sources` (the first, if repeated), -1 when it has none."""
        return self.sources.rows_of(source_ids) if self.sources is not None else np.full(len(source_ids), -1)

    def texts_of(self, source_ids: pa.Array) -> tuple[np.ndarray, dict[int, str | None]]:
        """Each row's source (its row in `sources`, -1 when unknown) and the text of each of those sources."""
        rows = self.rows_of(source_ids)
        wanted = np.unique(rows[rows >= 0])
        return rows, {int(row): self.text(int(row)) for row in wanted}

    def text(self, row: int) -> str | None:
        if row in self.texts:
            self.texts.move_to_end(row)
            return self.texts[row]
        data = self.confined.read(self.confined.path(self.paths[row].as_py()), self.cap)
        text = None
        if data is not None:
            with contextlib.suppress(UnicodeDecodeError):  # an undecodable text is reported with its sources row
                text = data.decode("utf-8")
        self.texts[row] = text
        if len(self.texts) > self.cached:
            self.texts.popitem(last=False)
        return text


def check_seeds(seeds: Seeds, frame: pd.DataFrame) -> list[Problem]:
    """Each seed of a batch of `sources` exists, and matches its sha256 and size."""
    paths = frame["path"].tolist()
    files = [seeds.confined.path(p) for p in paths]
    # Opening and reading release the GIL: a few threads, each over a share of the batch, overlap the system calls.
    share = -(-len(files) // SEED_THREADS) or 1
    parts = [files[i : i + share] for i in range(0, len(files), share)]
    found = [seed for part in SEED_READERS.map(lambda part: read_seeds(seeds.confined, part, seeds.cap), parts) for seed in part]
    return seed_problems(frame, found)


def seed_problems(frame: pd.DataFrame, found: list[Seed]) -> list[Problem]:
    """What a batch of `sources` rows says of its seeds against what was read (`found`, one per row)."""
    problems = []
    for index, path_text, sha256, size, seed in zip(frame.index, frame["path"], frame["sha256"], frame["bytes"], found):
        if seed is None:
            problems.append(_p("seed_missing", "sources", row_key("sources", frame, index), "path", "the source text in the package", path_text))
            continue
        digest, length, utf8 = seed
        if digest != sha256:
            problems.append(_p("seed_hash", "sources", row_key("sources", frame, index), "sha256", f"{sha256} (the sources row)", f"{digest} (the text file)"))
        if length != size:
            problems.append(_p("seed_bytes", "sources", row_key("sources", frame, index), "bytes", f"{size} (the sources row)", f"{length} (the text file)"))
        if not utf8:
            problems.append(_p("seed_encoding", "sources", row_key("sources", frame, index), "path", "a UTF-8 text", "undecodable bytes"))
    return problems


def check_quotes(table: Table, record: pa.RecordBatch, frame: pd.DataFrame, seeds: Seeds, report: Report | None = None) -> list[Problem]:
    """Each row's quote is the text of its source at its offsets."""
    rows, texts = seeds.texts_of(record.column("source_id"))
    starts, ends, quotes = record.column("char_start"), record.column("char_end"), record.column("quote")
    problems = []
    differ = np.flatnonzero(quotes_differ(rows, texts, starts, ends, quotes)).tolist()
    for i in capped(report, "quote_offsets", table.name, "quote", differ):
        start, end, quote = starts[i].as_py(), ends[i].as_py(), quotes[i].as_py()
        found = _shown(texts[int(rows[i])][start : _slice_end(start, end, quote)])  # type: ignore[index]
        problems.append(_p("quote_offsets", table.name, row_key(table.name, frame, frame.index[i]), "quote",
                           f"the text at [{start}, {end})", f"{found!r} vs quote {_shown(quote)!r}"))
    return problems


SHOWN = 300  # characters of a text or quote shown in a problem


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


def _slice_end(start: int, end: int, quote: str | None) -> int:
    """Where to stop slicing a text for comparison with `quote`: never more than one character past the quote's length, so a
    row whose end is far past its start costs the quote's length, not the text's (the slice differs from the quote either way)."""
    return min(end, start + len(quote or "") + 1) if start >= 0 else end


def quotes_differ(rows: np.ndarray, texts: dict[int, str | None], starts: pa.Array, ends: pa.Array, quotes: pa.Array) -> np.ndarray:
    """Where `texts[rows[i]][starts[i]:ends[i]] != quotes[i]` (rows without a text, a start or an end are not compared).

    One slice per row in Python, compared in Arrow: measured against comparing the bytes in numpy (gathering every quote's
    bytes costs more than slicing), the slices are as fast, and they are Python's own semantics. Each slice is cut at one
    character past its quote's length (`_slice_end`), so memory is bounded by the quotes, whatever the offsets say."""
    found = [None if row < 0 or start is None or end is None or (text := texts.get(row)) is None else text[start:_slice_end(start, end, quote)]
             for row, start, end, quote in zip(rows.tolist(), starts.to_pylist(), ends.to_pylist(), quotes.to_pylist())]
    sliced = pa.array(found, pa.string())
    differ = pc.and_(pc.is_valid(sliced), pc.invert(pc.fill_null(pc.equal(sliced, quotes), False)))
    return differ.to_numpy(zero_copy_only=False)


PANDERA_CODES = {
    "not_nullable": ("required", "a value (the field is required)"),
    "field_uniqueness": ("unique", "a value unique in the column"),
    "multiple_fields_uniqueness": ("primary_key", "a unique primary key"),
    "column_in_dataframe": ("columns", "the column to be present"),
    "column_in_schema": ("columns", "no column outside the schema"),
    "dataframe_column_labels_ordered": ("columns", "the columns in the published order"),
}



def _case_code(check: str) -> tuple[str, str]:
    """A pandera failure's check code and what was expected."""
    if check in CHECK_CODES:
        return CHECK_CODES[check], check
    if check.split("(")[0] in PANDERA_CODES:
        return PANDERA_CODES[check.split("(")[0]]
    if check.startswith("dtype("):
        return "type", f"type {check}"
    return "schema", check


def _pandera_problems(table: Table, frame: pd.DataFrame, cases: pd.DataFrame, codes: Encoded | None, report: Report | None = None) -> list[Problem]:
    rules = [context == "DataFrameSchema" and str(check) in CHECK_CODES for context, check in zip(cases["schema_context"], cases["check"])]
    # A row rule: pandera lists every column of a failing row; one problem per row, named by the rule's column, is enough.
    columns = [RULE_COLUMNS.get(str(check), "") if rule else (column if isinstance(column, str) and column != table.name else "")
               for check, column, rule in zip(cases["check"], cases["column"], rules)]
    cases = cases.assign(column=columns, rule=rules)
    cases = cases.drop_duplicates(subset=["check", "column", "index", "rule"]) if len(cases) else cases
    problems = []
    for (check, column_key, rule), group in cases.groupby(["check", "column", "rule"], sort=False, dropna=False):
        column = str(column_key)
        code, expected = _case_code(str(check))
        rows = capped(report, code, table.name, column, list(zip(group["index"], group["failure_case"])))
        for index, failure in rows:
            if rule:
                found = _cell(table.name, frame, index, column, codes) if column in frame.columns and index in frame.index else ""
            else:
                found = failure if codes is None or not column else codes.decode(table.name, column, failure)
            problems.append(_p(code, table.name, row_key(table.name, frame, index, codes), column, expected, found))
    return problems


def pandera_problems(schema: Any, table: Table, frame: pd.DataFrame, codes: Encoded | None = None, report: Report | None = None) -> list[Problem]:
    """pandera's findings on `frame` as Problems (ids read back from their `codes`); with a `report`, only as many of each
    check and column as it still lists are converted."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _pandera_problems(table, frame, exc.failure_cases, codes, report)
    return []


class ParquetRows:
    """A Parquet file's typed rows handed out in runs of any length, to line them up with the CSV batches."""

    def __init__(self, batches: Iterator[Batch]) -> None:
        self.batches = batches
        self.parts: list[pa.RecordBatch] = []
        self.buffered = 0
        self.done = False

    def take(self, n: int) -> pa.Table | None:
        while self.buffered < n and not self.done:
            try:
                record = next(self.batches).record
            except StopIteration:
                self.done = True
                break
            self.parts.append(record)
            self.buffered += record.num_rows
        if not self.parts:
            return None
        whole = pa.Table.from_batches(self.parts)
        head, rest = whole.slice(0, n), whole.slice(n)
        self.parts = rest.to_batches()
        self.buffered = rest.num_rows
        return head

    def rest(self) -> int:
        """How many rows are left (reads them, one batch at a time)."""
        left = self.buffered
        for batch in self.batches:
            left += batch.record.num_rows
        self.parts, self.buffered, self.done = [], 0, True
        return left


def compare_formats(table: Table, csv: pa.RecordBatch, parquet: pa.Table, frame: pd.DataFrame, untyped: set[str]) -> list[Problem]:
    """Cell by cell, vectorised: only differing cells are looked at one by one."""
    problems = []
    n = min(csv.num_rows, parquet.num_rows)
    for f in table.fields:
        if f.name in untyped:
            continue  # a retyped Parquet column is reported by the reader
        left, right = csv.column(f.name).slice(0, n), parquet.column(f.name).slice(0, n).combine_chunks()
        same = pc.or_(pc.fill_null(pc.equal(left, right), False), pc.and_(pc.is_null(left), pc.is_null(right)))
        if pc.all(same).as_py():
            continue
        for i in pc.indices_nonzero(pc.invert(same)).to_pylist():
            index = frame.index[i]
            problems.append(_p("csv_parquet", table.name, row_key(table.name, frame, index), f.name,
                               f"{_show(left[i].as_py())} (the CSV value)", f"{_show(right[i].as_py())} (in Parquet)"))
    return problems


def _keep(record: pa.RecordBatch, partly: dict[str, Callable[[pa.Array], pa.Array]]) -> pa.RecordBatch:
    for column, keep in partly.items():
        record = record.set_column(record.schema.get_field_index(column), column, keep(record.column(column)))
    return record


def scan_table(package: Package, table: Table, report: Report, seeds: Seeds, encoder: KeyEncoder, model: DataModel | None = None,
               engine: Any = None) -> None:
    """One pass over a table's CSV, in batches, with its Parquet twin alongside; returns its key columns."""
    resources_dir = package.root / "resources"
    readers = {}
    for fmt, name in (("csv", table.name), ("parquet", f"{table.name}-parquet")):
        path = resources_dir / f"{table.name}.{fmt}"
        if regular_file_problem(path) is not None or safe_path(package.root, f"resources/{table.name}.{fmt}") is None:
            continue  # reported by check_files: no FIFO, device or link out of the package is opened
        reader = TableReader(path, table, fmt)
        report.add([_p(p.check, name, None, p.column, p.expected, p.found) for p in reader.problems])
        readers[fmt] = reader
    csv = readers.get("csv")
    if csv is None or not csv.readable:
        return
    parquet = readers.get("parquet")
    twin = ParquetRows(parquet.batches()) if parquet is not None and parquet.readable else None
    model = model or data_model(package) or current()
    schema = model_rules.batch_schema(model, table)
    kept, partly = model_rules.key_columns(model, table), model_rules.kept_parts(model, table)
    parts: list[pa.RecordBatch] = []
    differences: list[Problem] = []  # CSV against Parquet, reported unless the row counts differ
    rows = 0
    if engine is not None:
        engine.start(table.name, target_schema(table))
    try:
        for batch in csv.batches():
            frame = to_frame(batch.record, batch.offset)
            rows += len(frame)
            for column, errors in by_column(batch.errors).items():
                report.add([_p("type", table.name, row_key(table.name, frame, e.row), column, e.expected, e.value)
                            for e in capped(report, "type", table.name, column, errors)])
            report.add(non_finite_cells(table, batch.errors, report))
            if "quote" in table.columns:
                report.add(quote_lengths(table, batch.record.column("quote"), batch.offset, report))
            report.add(pandera_problems(schema, table, frame, report=report))
            if table.name == "sources":
                report.add(check_seeds(seeds, frame))
            if "quote" in table.columns:
                report.add(check_quotes(table, batch.record, frame, seeds, report))
            if twin is not None:
                other = twin.take(batch.record.num_rows)
                if other is not None and len(differences) <= LISTED * len(table.fields):
                    differences += compare_formats(table, batch.record, other, frame, parquet.untyped if parquet else set())
            parts.append(encoder.batch(table.name, _keep(batch.record.select(kept), partly)))
            if engine is not None:
                engine.add(table.name, batch.record)
    except (pa.ArrowException, OSError) as exc:  # a damaged Parquet page raises OSError
        report.add([_p("unreadable", table.name, None, "", "a readable csv file", f"{type(exc).__name__}: {exc}")])
        return
    if twin is not None:
        try:
            twin.rest()
        except (pa.ArrowException, OSError) as exc:  # a damaged Parquet page raises OSError
            report.add([_p("unreadable", f"{table.name}-parquet", None, "", "a readable parquet file", f"{type(exc).__name__}: {exc}")])
        assert parquet is not None and parquet._parquet is not None
        stored = parquet._parquet.metadata.num_rows
        if stored != rows:
            report.add([_p("csv_parquet", table.name, None, "", f"{rows} rows in Parquet as in CSV", stored)])
        else:
            report.add(differences)
    if engine is not None:
        engine.end(table.name)
    encoder.table(table.name, parts, pa.schema([pa.field(c, ARROW_TYPES[table.field(c).type]) for c in kept]))
    del parts
    if table.name == "sources":
        seeds.sources, seeds.paths = encoder.domain("sources", "source_id"), encoder.tables["sources"].column("path").combine_chunks()
    pa.default_memory_pool().release_unused()  # hand the batches' memory back before the next table


def check_rows(package: Package) -> list[Problem]:
    """Typed reads of CSV and Parquet, pandera schemas, provenance, and CSV against Parquet, in one streamed pass."""
    model = data_model(package)
    if model is None:
        return []  # no definitions to read the rows with: check_descriptor_content says to upgrade cnkz
    from .validation.engine import Engine
    from .validation.registry import rules_for
    from .validation.runner import run
    from .validation.settings import Settings

    report = Report()
    seeds = Seeds(package.root)
    encoder = KeyEncoder(model.tables)
    settings = package.engine or Settings()
    with Engine(settings) as engine:
        # sources first: the quotes of every other table are looked up in its texts. The rest in definition order,
        # where a referenced table comes before the tables that refer to it, so their ids are encoded as they stream.
        for table in sorted(model.tables, key=lambda t: t.name != "sources"):
            scan_table(package, table, report, seeds, encoder, model, engine)
        run([r for table in model.tables for r in rules_for(model, table)], engine.tables, report, primary_key, settings.engine)
    codes = encoder.finish(_TO_PANDAS.get)
    keys: Frames = codes.frames
    for table in model.tables:
        if table.name in keys:
            schema = model_rules.key_schema(model, table, keys, codes.encoded(table.name))
            report.add(pandera_problems(schema, table, keys[table.name], codes, report))
    return report.finish()


# ---------------------------------------------------------------- entry point

# Profiles frictionless knows without asking the network; anything else could make it send a request.
KNOWN_PROFILES = {
    *(f"https://datapackage.org/profiles/2.0/{name}.json" for name in ("datapackage", "dataresource", "tableschema", "tabledialect")),
    "data-package", "tabular-data-package", "data-resource", "tabular-data-resource",
}


def check_local_only(package: Package) -> list[Problem]:
    """Nothing in the descriptor would make validation reach the network: schemas and dialects inline, profiles known."""
    descriptor = package.descriptor
    problems = []
    for key in ("$schema", "profile"):
        if key in descriptor and descriptor[key] not in KNOWN_PROFILES:
            problems.append(_p("remote_reference", DESCRIPTOR, None, key, "a Data Package v2 profile cnkz knows", descriptor[key]))
    for index, resource in enumerate(descriptor.get("resources") or []):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name", index))
        for key in ("$schema", "profile"):
            if key in resource and resource[key] not in KNOWN_PROFILES:
                problems.append(_p("remote_reference", name, None, key, "a Data Resource v2 profile cnkz knows", resource[key]))
        for key in ("schema", "dialect"):
            value = resource.get(key)
            if key in resource and not isinstance(value, dict):
                problems.append(_p("remote_reference", name, None, key, f"the {key} inline in the descriptor (never fetched)", value))
            elif isinstance(value, dict) and "$schema" in value and value["$schema"] not in KNOWN_PROFILES:
                problems.append(_p("remote_reference", name, None, f"{key}/$schema", "a v2 profile cnkz knows", value["$schema"]))
    return problems


def check_checksums(package: Package) -> list[Problem]:
    """With a SHA256SUMS (an unpacked release), every listed file matches and every file of the package is listed."""
    from .load import LoadError, _parse_checksums

    package_dir = package.root
    path = package_dir / CHECKSUMS
    if not path.exists() and not path.is_symlink():
        return []
    try:
        sums = _parse_checksums(read_regular(path, "the checksum list", LoadError), CHECKSUMS)
    except CnkzError as exc:
        return [_p("checksums", CHECKSUMS, None, "", "lines '<sha256>  <path>' of a regular file", exc.message)]
    problems = []
    for relative, digest in sorted(sums.items()):
        file = safe_path(package_dir, relative)
        if file is None:
            problems.append(_p("checksums", CHECKSUMS, None, relative, "a path inside the package", relative))
            continue
        why = regular_file_problem(file)
        if why is not None:
            problems.append(_p("checksum_file_missing", CHECKSUMS, None, relative, "the listed file", why))
            continue
        actual = hashlib.sha256(read_regular(file)).hexdigest()
        if actual != digest:
            problems.append(_p("checksum_mismatch", CHECKSUMS, None, relative, f"sha256 {digest}", actual))
    for file in sorted(package_dir.rglob("*")):
        relative = file.relative_to(package_dir).as_posix()
        if relative != CHECKSUMS and relative not in sums and not file.is_dir():
            problems.append(_p("checksum_unlisted", CHECKSUMS, None, relative, "every file of the package listed", "not listed"))
    return problems


def non_finite_cells(table: Table, errors: list[Any], report: Report | None = None) -> list[Problem]:
    """Infinity or NaN written in a number column of the CSV (the reader refuses them as numbers; this names why)."""

    problems = []
    numbers = [e for e in errors if table.field(e.column).type == "number"]
    for column, found in by_column(numbers).items():
        infinite = [e for e in found if _not_finite(e.value)]
        for error in capped(report, "non_finite", table.name, column, infinite):
            problems.append(_p("non_finite", table.name, error.row + 2, error.column, "a finite number", error.value))
    return problems


def _not_finite(value: Any) -> bool:
    import math

    try:
        return not math.isfinite(float(value))
    except (ValueError, TypeError, OverflowError):
        return False


def quote_lengths(table: Table, quotes: pa.Array, offset: int, report: Report | None = None) -> list[Problem]:
    """Evidence is a phrase or sentences: a quote of QUOTE_MIN_CHARS to QUOTE_MAX_CHARS characters."""
    lengths = pc.utf8_length(quotes)
    bad = pc.or_(pc.less(lengths, QUOTE_MIN_CHARS), pc.greater(lengths, QUOTE_MAX_CHARS))
    rows = pc.indices_nonzero(pc.fill_null(bad, False)).to_pylist()
    return [_p("quote_length", table.name, offset + row + 2, "quote", f"a quote of {QUOTE_MIN_CHARS} to {QUOTE_MAX_CHARS} characters",
               f"{lengths[row].as_py()} characters") for row in capped(report, "quote_length", table.name, "quote", rows)]


def check_non_finite(package: Package) -> list[Problem]:
    """No infinity or NaN in a number column of the Parquet files (NaN reads as missing in CSV and not in Parquet); the CSV's
    are found as its rows stream (non_finite_cells). Only the number columns are read, a row group at a time."""
    import pyarrow.parquet as pq

    problems = []
    model = data_model(package)
    for table in model.tables if model is not None else ():
        columns = [f.name for f in table.fields if f.type == "number"]
        parquet_path = package.root / "resources" / f"{table.name}.parquet"
        if not columns or regular_file_problem(parquet_path) is not None or safe_path(package.root, f"resources/{table.name}.parquet") is None:
            continue
        with contextlib.suppress(pa.ArrowException, OSError):
            stored = pq.ParquetFile(parquet_path)
            present = [c for c in columns if c in stored.schema_arrow.names and stored.schema_arrow.field(c).type.equals(pa.float64())]
            offset = 0
            for batch in stored.iter_batches(columns=present, batch_size=1 << 16, use_threads=False) if present else []:
                for column in present:
                    values = batch.column(column)
                    bad = pc.or_(pc.is_nan(values), pc.is_inf(values))
                    for row in pc.indices_nonzero(pc.fill_null(bad, False)).to_pylist():
                        problems.append(_p("non_finite", f"{table.name}-parquet", offset + row + 2, column, "a finite number",
                                           _finite_text(values[row].as_py())))
                offset += batch.num_rows
    return problems


LAYERS: list[Layer] = [check_profile, check_descriptor_content, check_local_only, check_files, check_checksums, check_rows, check_non_finite]
WITH_FRICTIONLESS: list[Layer] = [*LAYERS, check_frictionless]


def validate(package_dir: Path, layers: Sequence[Layer] = LAYERS, progress: Any = None, engine: Any = None) -> list[Problem]:
    """All problems of the package in `package_dir` (a folder, or a release .zip checked in a private unpacked copy), found by
    each of `layers` (default: every layer of our own). `progress` (a cnkz.progress.Progress) names each layer as it starts;
    `engine` (cnkz.validation.engine.Settings) says where the rules run (default: embedded DuckDB)."""
    package_dir = Path(package_dir)
    if package_dir.is_file():
        return _validate_archive(package_dir, layers, progress, engine)
    descriptor, problems = load_descriptor(package_dir)
    if descriptor is None:
        return problems
    package = Package(package_dir, descriptor, engine)
    for layer in layers:
        if progress is not None:
            progress.step(f"validating: {layer.__name__.removeprefix('check_').replace('_', ' ')}")
        problems += layer(package)
    if progress is not None:
        progress.finish()
    return sorted(set(problems))


def _validate_archive(archive: Path, layers: Sequence[Layer], progress: Any, engine: Any) -> list[Problem]:
    """A release archive: its members unpacked (within the caps, names confined) into a private folder, then validated there."""
    import tempfile

    from .safety import open_zip, unpack

    try:
        with open_zip(archive, str(archive)) as zipped, tempfile.TemporaryDirectory(prefix="cnkz-validate-") as tmp:
            unpack(zipped, Path(tmp), str(archive))
            return validate(Path(tmp), layers, progress, engine)
    except (CnkzError, OSError) as exc:
        message = exc.message if isinstance(exc, CnkzError) else f"{type(exc).__name__}: {exc}"
        return [_p("archive", archive.name, None, "", "a release archive that unpacks safely", message)]


def _finite_text(value: float) -> str:
    return "NaN" if value != value else ("inf" if value > 0 else "-inf")
