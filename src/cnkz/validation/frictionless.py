"""Frictionless's own validation, a second opinion: run once per release and on demand (--frictionless), never on the hot path."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from ..errors import Problem
from ..safety import regular_file_problem
from .descriptor import DESCRIPTOR, check_local_only
from .problems import problem, safe_path

if TYPE_CHECKING:
    from ..validate import PackageUnderCheck


def check_frictionless(package: PackageUnderCheck) -> list[Problem]:
    """Frictionless's own validation of the descriptor and every resource, CSV and Parquet: a second opinion.

    Not among the default layers: it reads row by row in Python (Parquet through pandas, about 500 rows/s),
    so `nox -s validate` and `cnkz release` run it once on the real package, and `cnkz validate --frictionless` on demand.
    It is handed the descriptor parsed within the caps, rebuilt by frictionless_guard from the keys it needs (never the file,
    nor extrapaths, compression, profile URLs or patterns of the descriptor's own); each key left out is a problem."""
    import frictionless

    from ..frictionless_guard import guard

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
        problems.append(problem("frictionless", DESCRIPTOR, None, "", "a valid package", f"{error.type}: {error.note}"))
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            column = getattr(error, "field_name", None) or ""
            problems.append(problem("frictionless", task.name or "?", row, column, "valid per the descriptor", f"{error.type}: {error.note}"))
    return problems
