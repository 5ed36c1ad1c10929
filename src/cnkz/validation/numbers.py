"""The numbers layer: no infinity or NaN in a number column (NaN reads as missing in CSV and not in Parquet)."""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..datamodel import model_for
from ..errors import Problem
from ..safety import regular_file_problem
from ..tables import Table
from .problems import Report, by_column, capped, problem, safe_path

if TYPE_CHECKING:
    from ..validate import PackageUnderCheck


def non_finite_cells(table: Table, errors: list[Any], report: Report | None = None) -> list[Problem]:
    """Infinity or NaN written in a number column of the CSV (the reader refuses them as numbers; this names why)."""

    problems = []
    numbers = [e for e in errors if table.field(e.column).type == "number"]
    for column, found in by_column(numbers).items():
        infinite = [e for e in found if _not_finite(e.value)]
        for error in capped(report, "non_finite", table.name, column, infinite):
            problems.append(problem("non_finite", table.name, error.row + 2, error.column, "a finite number", error.value))
    return problems


def _not_finite(value: Any) -> bool:
    try:
        return not math.isfinite(float(value))
    except (ValueError, TypeError, OverflowError):
        return False


def check_non_finite(package: PackageUnderCheck) -> list[Problem]:
    """No infinity or NaN in a number column of the Parquet files (NaN reads as missing in CSV and not in Parquet); the CSV's
    are found as its rows stream (non_finite_cells). Only the number columns are read, a row group at a time."""
    import pyarrow.parquet as pq

    problems = []
    model = model_for(package.descriptor)
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
                        problems.append(problem("non_finite", f"{table.name}-parquet", offset + row + 2, column, "a finite number",
                                           _finite_text(values[row].as_py())))
                offset += batch.num_rows
    return problems


def _finite_text(value: float) -> str:
    return "NaN" if value != value else ("inf" if value > 0 else "-inf")
