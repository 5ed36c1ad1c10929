"""Rules of the pledge_updates table (current data model)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..expr import ROW, holds, is_in, lookup, true
from ..registry import Tables, rule
from .common import sentence_supported

rule("pledge_updates", "summary_supported", "summary",
     "every word of the update's summary accounted for by its quote (or naming what a later text says)")(sentence_supported("pledge_updates", "summary"))


@rule("pledge_updates", "update_later", "pledge_id", "a pledge of an earlier document", reads=("pledges", "sources"))
def update_later(t: ir.Table, tables: Tables) -> ir.Table:
    """Later is shown only by two known dates: an update whose pledge or document is unknown or undated fails here too (the
    foreign key or required check names the cause); a pledge whose source is unknown does not fail the other-document test."""
    sources = tables["sources"]
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __pledge_source="source_id")
    j = lookup(j, sources, "source_id", "source_id", __reported="reference_date")
    j = lookup(j, sources, "__pledge_source", "source_id", __made="reference_date")
    return j.select(ROW, ok=true(j["__reported"] > j["__made"]) & holds(j["__pledge_source"] != j["source_id"]))


@rule("pledge_updates", "update_of_commitment", "pledge_id", "a pledge that is its commitment's first statement (restates empty)", reads=("pledges",))
def update_of_commitment(t: ir.Table, tables: Tables) -> ir.Table:
    """An update reports on a commitment's first statement (a pledge whose restates is empty): one history per commitment."""
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __restates="restates")
    return j.select(ROW, ok=j["__restates"].isnull())


@rule("pledge_updates", "update_not_pledge", "char_start",
      "an update's quote overlapping no pledge's quote in its document (a restatement is a pledge)", reads=("pledges",))
def update_not_pledge(t: ir.Table, tables: Tables) -> ir.Table:
    """An update's quote overlaps no pledge's quote in its document: a sentence that pledges again is a pledge that
    restates, not also an update (no double counting)."""
    p = tables["pledges"]
    p = p.filter(p["source_id"].notnull() & p["char_start"].notnull() & p["char_end"].notnull())
    p = p.select(__source=p["source_id"], __start=p["char_start"], __end=p["char_end"])
    start, end = t["char_start"].fill_null(0), t["char_end"].fill_null(0)
    j = t.inner_join(p, (t["source_id"] == p["__source"]) & (p["__start"] < end) & (p["__end"] > start))
    return j.select(ROW, ok=ibis.literal(False))


@rule("pledge_updates", "update_figure_pledge", "figure_id", "a cited figure naming the pledge of an update that cites it (figures.pledge_id set)",
      reads=("figures",))
def update_figure_pledge(t: ir.Table, tables: Tables) -> ir.Table:
    """A figure an update cites reports on a pledge itself: its pledge_id is set, to the pledge of an update that cites it
    (a figure cited by several updates names one of their pledges)."""
    figures = tables["figures"]
    cited = t.filter(t["figure_id"].notnull())
    pairs = cited.select(__figure=cited["figure_id"], __pledge=cited["pledge_id"]).distinct().mutate(__cited=ibis.literal(True))
    j = lookup(t, figures, "figure_id", "figure_id", __named="pledge_id")
    j = j.left_join(pairs, (j["figure_id"] == pairs["__figure"]) & (j["__named"] == pairs["__pledge"]))
    known = true(is_in(j["figure_id"], figures["figure_id"]))
    return j.select(ROW, ok=~known | (j["__named"].notnull() & j["__cited"].notnull()))


@rule("pledge_updates", "update_as_of", "as_of", "as_of equal to the reference_date of the update's document", reads=("sources",))
def update_as_of(t: ir.Table, tables: Tables) -> ir.Table:
    j = lookup(t, tables["sources"], "source_id", "source_id", __reference="reference_date")
    return j.select(ROW, ok=holds(j["as_of"] == j["__reference"]))


@rule("pledge_updates", "update_figure", "figure_id", "a figure of the update's document agreeing with the pledge's target (value, unit, deadline)",
      reads=("figures", "pledges"))
def update_figure(t: ir.Table, tables: Tables) -> ir.Table:
    """A figure an update cites is of the update's document and agrees with the pledge's target."""
    j = lookup(t, tables["figures"], "figure_id", "figure_id", __figure="figure_id", __fig_source="source_id", __is_target="is_target",
               __value="value", __unit="unit", __period="period")
    j = lookup(j, tables["pledges"], "pledge_id", "pledge_id", __pledge="pledge_id", __target_value="target_value", __target_unit="target_unit",
               __deadline="deadline")
    applies = j["figure_id"].notnull() & j["__figure"].notnull() & j["__pledge"].notnull()
    same = j["__fig_source"] == j["source_id"]
    target = j["__target_value"].notnull()
    deadline = j["__deadline"].cast("string").fill_null("<NA>")
    as_target = same & (j["__value"] == j["__target_value"]) & (j["__unit"] == j["__target_unit"]) & (j["__period"].fill_null("<NA>") == deadline)
    year = j["__period"].fill_null("<NA>").substr(0, 4).try_cast("int64")
    reached = same & (j["__unit"] == j["__target_unit"]) & (j["__value"] >= j["__target_value"]) & (year <= j["__deadline"])
    ok = ibis.cases((~applies, ibis.literal(True)), (target & j["__is_target"], as_target), (target & (j["status"] == "fulfilled"), reached), else_=same)
    return j.select(ROW, ok=ok)
