"""`cnkz validate`: the layers, each a function of one package that returns Problems; nothing stops at the first.

The layers live in cnkz.validation, one module each (descriptor, files, rows, provenance, numbers, frictionless; the
repository's in cnkz.build); this module composes them, and validates a release archive in a private unpacked copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datamodel import DataModel, model_for
from .errors import CnkzError, Problem
from .validation.descriptor import DESCRIPTOR, check_descriptor_content, check_local_only, check_profile, descriptor_shape, load_descriptor
from .validation.files import CHECKSUMS, FileScan, check_checksums, check_files
from .validation.frictionless import check_frictionless
from .validation.numbers import check_non_finite, non_finite_cells
from .validation.problems import LISTED, Report, by_column, capped, problem, safe_path, show

__all__ = [
    "CHECKSUMS", "DESCRIPTOR", "LAYERS", "LISTED", "WITH_FRICTIONLESS", "FileScan", "Layer", "PackageUnderCheck", "Report", "by_column",
    "capped", "check_checksums", "check_descriptor_content", "check_files", "check_frictionless", "check_local_only", "check_non_finite",
    "check_profile", "check_rows", "data_model", "descriptor_shape", "load_descriptor", "non_finite_cells", "problem", "safe_path", "show", "validate",
]


@dataclass
class PackageUnderCheck:
    """The one object every layer is a function of: the package folder and its parsed descriptor."""

    root: Path
    descriptor: dict[str, Any]
    engine: Any = None  # where the rules run (cnkz.validation.engine.Settings); None: embedded DuckDB with the default limits


Layer = Callable[[PackageUnderCheck], list[Problem]]


def data_model(package: PackageUnderCheck) -> DataModel | None:
    """The table definitions and rules of the package's major version (cnkz.datamodel); None for one this cnkz does not know."""
    return model_for(package.descriptor)


def check_rows(package: PackageUnderCheck) -> list[Problem]:
    """Typed reads of CSV and Parquet, column checks, rules, provenance, and CSV against Parquet, on the package's engine
    (cnkz.validation.rows)."""
    from .validation.rows import check_rows as on_engine

    return on_engine(package)


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
    package = PackageUnderCheck(package_dir, descriptor, engine)
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
        return [problem("archive", archive.name, None, "", "a release archive that unpacks safely", message)]
