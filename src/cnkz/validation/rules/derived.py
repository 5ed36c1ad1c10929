"""The rules that follow from a table definition itself, for any data model: keys, unique columns, foreign keys, id
prefixes and evidence offsets."""

from __future__ import annotations

import functools

import ibis
import ibis.expr.types as ir

from ...tables import ROW_ID, Table
from ..expr import ROW, holds, lookup
from ..registry import Check, Rule, Tables


def _repeated(t: ir.Table, columns: tuple[str, ...], nulls_repeat: bool) -> ir.Table:
    """`ok` False for each row whose values of `columns` another row has too: a group-by joined back (a window in a filter
    is not something every engine compiles). With `nulls_repeat`, two rows with an empty key repeat each other."""
    groups = t.group_by([t[c].name(f"__k{i}") for i, c in enumerate(columns)]).aggregate(__n=t.count())
    repeated = groups.filter(groups["__n"] > 1)
    match = [t[c].identical_to(repeated[f"__k{i}"]) if nulls_repeat else t[c] == repeated[f"__k{i}"] for i, c in enumerate(columns)]
    j = t.left_join(repeated, match)
    return j.select(ROW, ok=j["__n"].isnull())


def _unique(column: str) -> Check:
    def check(t: ir.Table, _: Tables) -> ir.Table:
        return _repeated(t, (column,), nulls_repeat=False)  # a null is no value: it repeats no other (as pandera's unique)
    return check


def _primary_key(columns: tuple[str, ...]) -> Check:
    def check(t: ir.Table, _: Tables) -> ir.Table:
        return _repeated(t, columns, nulls_repeat=True)
    return check


def _id_prefix(column: str) -> Check:
    def check(t: ir.Table, _: Tables) -> ir.BooleanValue:
        # An id without a '.' breaks its pattern, which the column checks report; here only a prefix that is there counts.
        return ibis.cases((t[column].re_search(r"^[^.]*\."), t[column].re_extract(r"^([^.]*)\.", 1) == t["source_id"]), else_=ibis.null(bool))
    return check


def _offsets_order(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return holds(t["char_end"] > t["char_start"])


def _quote_in_body(t: ir.Table, tables: Tables) -> ir.Table:
    """Page furniture is never evidence: a quote lies within its source's body (a row whose source is unknown is left to the
    foreign key check)."""
    j = lookup(t, tables["sources"], "source_id", "source_id", __body_start="body_start", __body_end="body_end")
    inside = (j["char_start"] >= j["__body_start"]) & (j["char_end"] <= j["__body_end"])
    return j.select(ROW, ok=holds(inside))


def _references(column: str, table: str, target: str) -> Check:
    def check(t: ir.Table, tables: Tables) -> ir.BooleanValue:
        return t[column].isnull() | t[column].isin(tables[table][target])
    return check


def _same_source(column: str) -> Check:
    def check(t: ir.Table, tables: Tables) -> ir.Table:
        j = lookup(t, tables["events"], column, "event_id", __event_source="source_id")
        return j.select(ROW, ok=j[column].isnull() | holds(j["__event_source"] == j["source_id"]))
    return check


@functools.cache  # the same Rule objects each time: the runner compiles a table's one-row rules once per process
def derived_rules(table: Table) -> list[Rule]:
    """Rules that follow from the table definition itself: keys, unique columns, foreign keys, evidence offsets."""
    rules: list[Rule] = []
    if len(table.primary_key) == 1:
        rules.append(Rule("primary_key", table.name, table.primary_key[0], "a unique primary key", _primary_key(table.primary_key)))
    else:
        rules += [Rule("primary_key", table.name, column, "a unique primary key", _primary_key(table.primary_key)) for column in table.primary_key]
    rules += [Rule("unique", table.name, f.name, "a value unique in the column", _unique(f.name))
              for f in table.fields if f.unique]
    key = table.field(table.primary_key[0])
    if key.pattern == ROW_ID and "source_id" in table.columns:
        rules.append(Rule("id_prefix", table.name, key.name, f"{key.name} to start with '<source_id>.'", _id_prefix(key.name)))
    if "char_start" in table.columns:
        rules.append(Rule("offsets_order", table.name, "char_end", "char_end > char_start", _offsets_order))
        rules.append(Rule("quote_in_body", table.name, "char_start",
                          "a quote inside its source's article body (body_start <= char_start, char_end <= body_end)", _quote_in_body, ("sources",)))
    for fk in table.foreign_keys:
        (column,), (target,) = fk.fields, fk.reference
        if fk.table != table.name:
            rules.append(Rule("foreign_key", table.name, column, f"{column} present in {fk.table}", _references(column, fk.table, target), (fk.table,)))
        if fk.table == "events" and "source_id" in table.columns:
            rules.append(Rule("same_source", table.name, column, f"{column} naming an event of the same source", _same_source(column), ("events",)))
    return rules
