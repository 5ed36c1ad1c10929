"""Problems as the validation layers make them: located, shown in full, listed up to a cap per check and counted past it."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..files import is_package_path

SHOWN = 300  # characters of a text or quote shown in a problem
LISTED = 200  # problems listed per check, table and column; the rest are counted, so a broken file cannot flood memory


def problem(check: str, table: str, row: Any, column: str, expected: str, found: Any) -> Problem:
    return Problem(check, table, "" if row is None else str(row), column or "", expected, show(found))


def show(value: Any) -> str:
    """A value in full (the report shortens it only when asked, with --short); a missing value, or NaN, is an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "an empty cell"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def shown(text: str) -> str:
    """A long text cut to SHOWN characters, saying how long it was."""
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


def safe_path(package_dir: Path, path: Any) -> Path | None:
    """The file a descriptor path names, or None when the path could leave the package."""
    if not is_package_path(path):
        return None
    resolved = (package_dir / path).resolve()
    return resolved if resolved.is_relative_to(package_dir.resolve()) else None


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
        more = [problem(check, table, None, column, f"no more than {LISTED} listed", f"{count} more not listed")
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
