"""Rule checks more than one table uses."""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import pyarrow as pa

from ...statements import FRAMES, supported
from ..expr import Judged
from ..registry import Check, Tables


def sentence_supported(table: str, column: str) -> Check:
    """Every word of a curator's sentence (statement, summary, description) accounted for by the row's quote and the
    column's frame (statements.FRAMES): judged in Python, a batch of rows at a time."""
    frame = FRAMES[(table, column)]

    def judge(batch: pa.RecordBatch) -> Sequence[bool]:
        return supported(batch.column(column), batch.column("quote"), frame).tolist()

    def check(t: ir.Table, _: Tables) -> Judged:
        return Judged(t, (column, "quote"), judge)

    return check
