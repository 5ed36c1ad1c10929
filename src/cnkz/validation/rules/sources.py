"""Rules of the sources table (current data model)."""

from __future__ import annotations

import ibis.expr.types as ir

from ..expr import holds
from ..registry import Tables, rule


@rule("sources", "body_order", "body_end", "body_end > body_start")
def body_order(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return holds(t["body_end"] > t["body_start"])
