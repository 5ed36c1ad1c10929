"""Load the published tables into pandas, typed by the table definitions in cnkz.tables.

Types: text is pandas' Arrow-backed string, integers nullable `Int64`, numbers `Float64`, booleans
nullable `boolean`, dates `pd.ArrowDtype(pa.date32())` (calendar dates without time or time zone;
`.dt.year` and comparisons with `datetime.date` work), and every controlled vocabulary a
`Categorical` whose categories are the whole vocabulary in its published order. Rows keep the
file order. Reading CSV or Parquet gives identical frames.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .datamodel import descriptor_tables, is_model_table, model_for
from .descriptor import PACKAGE_NAME
from .errors import CnkzError, LoadError
from .files import ARROW_TYPES, is_package_path
from .limits import check_size, parse_json
from .reader import CellError, FileProblem, read_all
from .safety import UnsafeInput, archive_members, inside, open_zip, read_member, read_regular
from .tables import Field, Table

if TYPE_CHECKING:
    import pandas as pd

DESCRIPTOR = "datapackage.json"
CHECKSUMS = "SHA256SUMS"
FORMATS = ("parquet", "csv")
_CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


@functools.cache
def pandas_types() -> dict[str, Any]:
    """One pandas type per table type, shared by the CSV and Parquet readers so the two compare cell for cell. Dates are
    Arrow date32: a real date type, vectorised. (pandas is imported here, not with the module: `cnkz validate` needs none.)"""
    import pandas as pd

    return {"string": pd.StringDtype("pyarrow"), "integer": pd.Int64Dtype(), "number": pd.Float64Dtype(), "boolean": pd.BooleanDtype(),
            "date": pd.ArrowDtype(pa.date32())}


def pandas_dtype(field: Field) -> Any:
    """The pandas dtype a field loads as."""
    if field.vocabulary is not None:
        import pandas as pd

        return pd.CategoricalDtype(field.vocabulary.codes, ordered=False)
    return pandas_types()[field.type]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Package:
    """One package's descriptor and files, read in place from a folder or a release archive."""

    label: str
    descriptor: dict[str, Any]
    reader: Callable[[str], bytes]
    checksums: dict[str, str] | None
    archive: bool
    verify: bool

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    def tables(self) -> tuple[Table, ...]:
        """The tables as the data model of this package's major version defines them (cnkz.datamodel: today's definitions, or
        an earlier major version's frozen ones); for a major version this cnkz knows no model of, its own descriptor's."""
        model = model_for(self.descriptor)
        if model is None or not model.current:
            published = descriptor_tables(self.resources(), self._where(DESCRIPTOR))  # a malformed schema: one line naming it
            if model is None:
                return published
        return model.tables

    def resources(self) -> list[dict[str, Any]]:
        resources = self.descriptor.get("resources")
        if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
            raise LoadError("the descriptor has no list of resources; this is not a Data Package", file=self._where(DESCRIPTOR))
        return resources

    def resource(self, table: Table, fmt: str) -> dict[str, Any]:
        for resource in self.resources():
            if resource.get("format") == fmt and resource.get("name") in (table.name, f"{table.name}-{fmt}"):
                return resource
        raise LoadError(f"the descriptor lists no {fmt} resource for table {table.name}; try format='csv' or 'parquet'", file=self._where(DESCRIPTOR))

    def data(self, resource: dict[str, Any]) -> bytes:
        """A resource's bytes, checked against the descriptor's hash and bytes and against SHA256SUMS."""
        path = resource.get("path")
        if not is_package_path(path):
            raise LoadError(f"resource {resource.get('name')} has path {path!r}, which leads outside the package; refusing to read it",
                            file=self._where(DESCRIPTOR))
        assert isinstance(path, str)
        data = self.reader(path)
        if not self.verify:
            return data
        declared = resource.get("hash")
        if not isinstance(declared, str) or not declared.startswith("sha256:"):
            raise LoadError(f"the descriptor gives no sha256 hash for {path}; pass verify=False to read it unchecked", file=self._where(DESCRIPTOR))
        actual = sha256_hex(data)
        if declared != f"sha256:{actual}":
            raise LoadError(
                f"sha256 is {actual}, the descriptor says {declared.removeprefix('sha256:')}: the file is damaged or was changed. "
                "Download the dataset again (or pass verify=False to read it as it is)",
                file=self._where(path), field="hash",
            )
        if isinstance(resource.get("bytes"), int) and resource["bytes"] != len(data):
            raise LoadError(f"{len(data)} bytes, the descriptor says {resource['bytes']}; download the dataset again", file=self._where(path), field="bytes")
        self._check_listed(path, actual)
        return data

    def _check_listed(self, path: str, actual: str) -> None:
        if self.checksums is None:
            return
        listed = self.checksums.get(path)
        if listed is None and self.archive:
            raise LoadError(f"{path} is not listed in {CHECKSUMS}; the archive is not a release as published. Download it again", file=self._where(CHECKSUMS))
        if listed is not None and listed != actual:
            raise LoadError(f"sha256 is {actual}, {CHECKSUMS} says {listed}; download the dataset again", file=self._where(path), field="hash")

    def _where(self, path: str) -> str:
        return f"{self.label}!{path}" if self.archive else str(Path(self.label) / path)


def _parse_descriptor(data: bytes, where: str) -> dict[str, Any]:
    descriptor = parse_json(data, where, LoadError)
    if not isinstance(descriptor, dict):
        raise LoadError("not a Data Package descriptor (expected a JSON object)", file=where)
    return descriptor


def _parse_checksums(data: bytes, where: str) -> dict[str, str]:
    check_size(len(data), "descriptor_bytes", "the checksum list", where, LoadError)
    sums: dict[str, str] = {}
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        match = _CHECKSUM_LINE.match(line)
        if not match or not is_package_path(match.group(2)):
            raise LoadError(f"line {number} is not '<sha256>  <relative path>'; download the dataset again", file=where)
        if match.group(2) in sums:
            raise LoadError(f"line {number} lists {match.group(2)} a second time; download the dataset again", file=where)
        sums[match.group(2)] = match.group(1)
    return sums


def _folder_reader(folder: Path) -> Callable[[str], bytes]:
    def read(path: str) -> bytes:
        try:
            # A symlink inside the package must not lead out of it either; only regular files are read.
            file = inside(folder, path)
        except UnsafeInput as exc:
            raise LoadError(exc.message, file=str(folder / path)) from None
        if not file.exists():
            raise LoadError("missing; the package is incomplete. Download it again", file=str(folder / path))
        return read_regular(file, "the file", LoadError)

    return read


@contextlib.contextmanager
def open_package(source: Path, *, verify: bool = True) -> Iterator[Package]:
    """Open a package folder, its datapackage.json, or a release archive (read in place, never extracted)."""
    source = Path(source)
    if "\x00" in str(source):
        raise LoadError("the path holds a NUL character; pass a package folder, its datapackage.json, a release .zip or a URL", file=repr(str(source)))
    if source.is_file() and zipfile.is_zipfile(source):
        try:
            with open_zip(source, str(source)) as archive:
                yield _archive_package(archive, str(source), verify)
        except UnsafeInput as exc:
            raise LoadError(exc.message, file=exc.file) from None
        return
    if source.is_dir():
        folder, descriptor_file = source, source / DESCRIPTOR
    elif source.is_file():
        folder, descriptor_file = source.parent, source
    else:
        raise LoadError("no such file or folder; pass a package folder, its datapackage.json, a release .zip or a URL", file=str(source))
    if not descriptor_file.is_file():
        raise LoadError(f"no {DESCRIPTOR} here; pass a package folder, its datapackage.json, a release .zip or a URL", file=str(folder))
    descriptor_bytes = read_regular(descriptor_file, "the descriptor", LoadError)
    checksums = None
    if (folder / CHECKSUMS).exists():
        checksums = _parse_checksums(read_regular(folder / CHECKSUMS, "the checksum list", LoadError), str(folder / CHECKSUMS))
    package = Package(str(folder), _parse_descriptor(descriptor_bytes, str(descriptor_file)), _folder_reader(folder), checksums, False, verify)
    if verify and descriptor_file.name == DESCRIPTOR:
        package._check_listed(DESCRIPTOR, sha256_hex(descriptor_bytes))
    yield package


def _archive_package(archive: zipfile.ZipFile, label: str, verify: bool) -> Package:
    members = archive_members(archive)

    def read(path: str) -> bytes:
        if path not in members:
            raise LoadError("missing from the archive; the release is incomplete. Download it again", file=f"{label}!{path}")
        return read_member(archive, members[path], f"{label}!{path}")

    if DESCRIPTOR not in members:
        raise LoadError(f"no {DESCRIPTOR} in the archive; this is not a release of the dataset", file=label)
    if CHECKSUMS not in members:
        raise LoadError(f"no {CHECKSUMS} in the archive; a release always has one. Download the release again", file=label)
    descriptor_bytes = read(DESCRIPTOR)
    package = Package(label, _parse_descriptor(descriptor_bytes, f"{label}!{DESCRIPTOR}"), read,
                      _parse_checksums(read(CHECKSUMS), f"{label}!{CHECKSUMS}"), True, verify)
    if verify:
        package._check_listed(DESCRIPTOR, sha256_hex(descriptor_bytes))
    return package


def _check_schema(package: Package, resource: dict[str, Any], table: Table) -> None:
    """The descriptor must publish the table as the data model of its version defines it, or the types would be wrong."""
    schema = resource.get("schema")
    if not isinstance(schema, dict):
        return  # a schema by reference: the column and type checks when reading still apply
    fields = schema.get("fields")
    published = {f.get("name"): f for f in fields if isinstance(f, dict)} if isinstance(fields, list) else {}
    for field in table.fields:
        found = published.get(field.name)
        constraints = (found or {}).get("constraints")
        enum = constraints.get("enum") if isinstance(constraints, dict) else None
        expected_enum = field.vocabulary.codes if field.vocabulary else None
        if found is None or found.get("type") != field.type or enum != expected_enum:
            what = "is missing" if found is None else f"is published as {found.get('type')} {enum or ''}".rstrip()
            model = model_for(package.descriptor)
            if model is not None and not model.current:
                advice = f"; the descriptor differs from {model.name} as release {model.release} published it. Download the dataset again"
                reader = f"{model.name} defines it as"
            else:
                advice = f"; install the cnkz version that matches the dataset (version {package.version})"
                reader = "this cnkz reads it as"
            raise LoadError(
                f"{what}, but {reader} {field.type} {expected_enum or ''}".rstrip() + advice,
                file=package._where(DESCRIPTOR), record=str(resource.get("name")), field=field.name,
            )


def _raise_first(problems: list[FileProblem], cells: list[CellError], table: Table, where: str) -> None:
    """The loader's use of the reader: the first problem of the file is the error."""
    for problem in problems:
        if problem.check == "columns":
            found = problem.found.split(",") if problem.found else []
            missing = [c for c in table.columns if c not in found]
            extra = [c for c in found if c not in table.columns]
            what = f"missing column {missing[0]}" if missing else f"unexpected column {extra[0]}" if extra else "columns in another order"
            raise LoadError(f"{what}; expected the columns {', '.join(table.columns)}. Download the dataset again or use the matching cnkz version",
                            file=where, field=(missing + extra)[0] if missing or extra else None)
        if problem.check == "parquet_type":
            raise LoadError(f"stored as {problem.found}, but the published type {table.field(problem.column).type} is {problem.expected}; "
                            "download the dataset again", file=where, field=problem.column)
        raise LoadError(f"not a readable file ({problem.found}); download the dataset again", file=where)
    if cells:
        cell = cells[0]
        raise LoadError(f"{cell.value!r} (data row {cell.row + 1}) cannot be read as a {table.field(cell.column).type}; the file does not match "
                        "the published types. Download the dataset again or run `cnkz validate` on it", file=where, field=cell.column)


def _to_pandas(arrow: pa.Table, table: Table, where: str) -> pd.DataFrame:
    frame = arrow.to_pandas(types_mapper={ARROW_TYPES[t]: pandas_types()[t] for t in ARROW_TYPES}.get)
    for field in table.fields:
        if field.vocabulary is None:
            continue
        text = frame[field.name]
        # Checked before the cast, which would turn an unknown value into a missing one.
        outside = text.notna() & ~text.isin(field.vocabulary.codes)
        if outside.any():
            row = int(outside.to_numpy().nonzero()[0][0])
            raise LoadError(f"{text.iloc[row]!r} (data row {row + 1}) is not a value of the {field.vocabulary.name} vocabulary; "
                            "a newer dataset may need a newer cnkz (pip install -U cnkz)", file=where, field=field.name)
        frame[field.name] = text.astype(pandas_dtype(field))
    return frame


def read_table(package: Package, table: Table, fmt: str) -> pd.DataFrame:
    """One table of an open package as a typed DataFrame."""
    resource = package.resource(table, fmt)
    if is_model_table(table):
        _check_schema(package, resource, table)
    data = package.data(resource)
    where = package._where(str(resource["path"]))
    arrow, problems, cells = read_all(data, table, fmt)
    _raise_first(problems, cells, table, where)
    assert arrow is not None
    return _to_pandas(arrow, table, where)


def find_package(start: Path | None = None) -> Path:
    """The dataset folder: the nearest with this dataset's datapackage.json upwards from here, else the source checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
        candidate = folder / DESCRIPTOR
        if candidate.is_file():
            with contextlib.suppress(CnkzError):
                found = parse_json(read_regular(candidate, "the descriptor", LoadError), str(candidate), LoadError)
                if isinstance(found, dict) and found.get("name") == PACKAGE_NAME:
                    return folder
    raise LoadError(f"no {DESCRIPTOR} of {PACKAGE_NAME} in {here} or above; pass the dataset's folder, datapackage.json, release .zip or URL")
