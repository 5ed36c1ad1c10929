"""Rule checks more than one table uses."""

from __future__ import annotations

import ibis.expr.types as ir

from ...statements import FRAMES, supported
from ..expr import ROW, failing_rows, rows
from ..registry import Check, Tables


def sentence_supported(table: str, column: str) -> Check:
    """Every word of a curator's sentence (statement, summary, description) accounted for by the row's quote and the
    column's frame (statements.FRAMES): decided in Python, a range of rows at a time."""
    frame = FRAMES[(table, column)]

    def check(t: ir.Table, _: Tables) -> ir.Table:
        bad: list[int] = []
        for part in rows(t, (column, "quote")):
            good = supported(part.column(column).combine_chunks(), part.column("quote").combine_chunks(), frame)
            bad += [row for row, ok in zip(part.column(ROW).to_pylist(), good) if not ok]
        return failing_rows(bad)

    return check
