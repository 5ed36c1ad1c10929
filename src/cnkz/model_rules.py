"""The pandera schemas a package is validated with, by its data model (cnkz.datamodel).

The current model's are cnkz.schemas's: every column check, the rules that follow from the definitions, and the cross-field
and cross-table rules written by hand for its columns. An earlier model's are derived the same way from its frozen definitions
with the rules that follow from them alone: types, required, vocabularies, patterns, ranges, text hygiene, unique columns,
primary keys, foreign keys, id prefixes and evidence offsets (schemas.column_checks and schemas.derived_rules). The hand-written
rules are about the current model's columns and meanings, so they are not applied to an earlier model's package; the report
says so (DataModel.rules).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pandera.pandas as pa
import pyarrow as pa_arrow

from . import schemas
from .datamodel import DataModel
from .keys import CODE
from .schemas import DTYPES, Frames, Rule
from .tables import Table


def rules(model: DataModel, table: Table) -> list[Rule]:
    """Every row rule `model` applies to `table` in pandas: those not yet declared for the engines (cnkz.validation)."""
    from .validation.registry import rules_for

    ported = {r.code for r in rules_for(model, table)}
    return [r for r in (schemas.rules(table) if model.current else schemas.derived_rules(table)) if r.code not in ported]


@functools.cache
def batch_schema(model: DataModel, table: Table) -> pa.DataFrameSchema:
    """The schema of a batch of whole rows: types, columns and their checks, and the rules of one row."""
    columns = {
        f.name: pa.Column(DTYPES[f.type], checks=schemas.column_checks(f), nullable=not f.required, required=True)
        for f in table.fields
    }
    local = [r for r in rules(model, table) if r.needs is None]
    return pa.DataFrameSchema(columns, checks=schemas._checks(local, {}), strict=True, ordered=True, name=table.name)


def key_columns(model: DataModel, table: Table) -> list[str]:
    """The columns of `table` kept for the whole-table pass: keys, unique columns, and what `model`'s rules read of it."""
    return list(_frozen_key_columns(model, table))


@functools.cache
def _frozen_key_columns(model: DataModel, table: Table) -> tuple[str, ...]:
    wanted = {*table.primary_key, *(f.name for f in table.fields if f.unique)}
    for other in model.tables:
        for rule in rules(model, other):
            if rule.needs:
                wanted |= set(rule.needs.get(table.name, ()))
                if other.name == table.name:
                    wanted.add(rule.column)
    return tuple(c for c in table.columns if c in wanted)


def kept_parts(model: DataModel, table: Table) -> dict[str, Callable[[pa_arrow.Array], pa_arrow.Array]]:
    """The key columns of `table` held only in part (Rule.keeps), with what keeps that part."""
    return {r.keeps[0]: r.keeps[1] for r in rules(model, table) if r.keeps is not None}


def key_schema(model: DataModel, table: Table, frames: Frames, coded: set[str]) -> pa.DataFrameSchema:
    """The schema of a table's key columns: uniqueness, the primary key, and `model`'s rules across rows and tables."""
    kept = key_columns(model, table)
    columns = {f.name: pa.Column(CODE if f.name in coded else DTYPES[f.type], nullable=True, required=True)
               for f in table.fields if f.name in kept}
    whole = [r for r in rules(model, table) if r.needs is not None and all(t in frames for t in r.needs)]
    return pa.DataFrameSchema(columns, checks=schemas._checks(whole, frames), name=table.name)
