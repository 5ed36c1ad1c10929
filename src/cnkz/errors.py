"""Errors that carry their location and print as one readable line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .validation.catalogue import CODES


class CnkzError(Exception):
    """Base class: a problem the user can fix, located in a file, record or field."""

    def __init__(
        self, message: str, *, file: str | None = None, record: str | None = None, field: str | None = None,
        line: int | None = None, column: int | None = None,
    ):
        self.message = message
        self.file = file
        self.record = record
        self.field = field
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.file, self.record and f"record {self.record}", self.field and f"field {self.field}") if part
        )
        return f"{where}: {self.message}" if where else self.message


class CurationError(CnkzError):
    """A curation file is malformed or its evidence cannot be found in the text.

    Prints as `curation/<file>.yaml:<line>:<column>: <record>, key <key>: <message>`, the form
    editors and terminals turn into a link to the place to edit.
    """

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line:
            where += f":{self.line}:{self.column or 1}"
        what = ", ".join(part for part in (self.record, self.field and f"key {self.field}") if part)
        return ": ".join(part for part in (where, what, self.message) if part)

    def located(self, line: int, column: int) -> CurationError:
        """The same error, pointing at a line and column of its file."""
        return CurationError(self.message, file=self.file, record=self.record, field=self.field, line=line, column=column)


class BuildError(CnkzError):
    """The build could not produce a valid package."""


class ReleaseError(CnkzError):
    """A release was refused."""


class LoadError(CnkzError):
    """The dataset could not be found or read, or a file is not what its descriptor says (cnkz.load.LoadError)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding, with a stable check code.

    `expected` is what the descriptor or the rule declares, `found` what the file holds;
    `advice` (optional) says what to edit.
    """

    check: str
    table: str
    row: str
    column: str
    expected: str
    found: str
    advice: str = dataclasses.field(default="", compare=False)

    @property
    def location(self) -> str:
        """`events row 2 (…) column event_type`, or `events property hash` for a descriptor property."""
        location = self.table
        if self.row:
            location += f" row {self.row}"
        if self.column:
            known = CODES.get(self.check)
            location += f" {'property' if known is not None and known.on_property else 'column'} {self.column}"
        return location

    def __str__(self) -> str:
        return f"[{self.check}] {self.location}: expected {self.expected}, found {self.found}"


class ValidationFailed(CnkzError):
    """Validation found problems; all of them are carried, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(f"{len(self.problems)} validation problem(s)")
