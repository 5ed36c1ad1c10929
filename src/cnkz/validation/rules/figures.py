"""Rules of the figures table (current data model)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ...tables import METRIC_TOPICS
from ..expr import ROW, holds, lookup, true
from ..registry import Tables, rule
from .common import sentence_supported

RELATIONS_METRICS = ("diplomatic_relations_years", "relations_anniversary")


def _year(period: ir.StringValue) -> ir.FloatingValue:
    """The number the period's first four characters read as (pandas' to_numeric, errors coerced to null)."""
    head = period.substr(0, 4)
    number = head.try_cast("float64")
    return ibis.cases((head.contains("_") | number.isnan(), ibis.null("float64")), else_=number)


@rule("figures", "value_text_in_quote", "value_text", "value_text inside quote")
def value_text_in_quote(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return t["quote"].fill_null("").contains(t["value_text"].fill_null(""))


rule("figures", "description_supported", "description",
     "every word of the figure's description accounted for by its quote (or naming the kind of figure)")(sentence_supported("figures", "description"))


@rule("figures", "metric_fits_pledge", "pledge_id", "a linked pledge whose topic the figure's metric can report on", reads=("pledges",))
def metric_fits_pledge(t: ir.Table, tables: Tables) -> ir.Table:
    allowed = [f"{m}/{topic}" for m, topics in METRIC_TOPICS.items() for topic in topics]
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __topic="topic")
    fits = true(j["metric"].concat("/", j["__topic"]).isin(allowed))
    return j.select(ROW, ok=j["pledge_id"].isnull() | j["__topic"].isnull() | fits)


@rule("figures", "target_matches_pledge", "pledge_id", "a target figure to equal its pledge's target_value and target_unit", reads=("pledges",))
def target_matches_pledge(t: ir.Table, tables: Tables) -> ir.Table:
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __pledge="pledge_id", __value="target_value", __unit="target_unit")
    applies = true(j["is_target"]) & j["__pledge"].notnull()
    matches = true(j["__value"] == j["value"]) & true(j["__unit"] == j["unit"])
    return j.select(ROW, ok=~applies | matches)


@rule("figures", "target_period", "period", "a target figure's period to be its pledge's deadline", reads=("pledges",))
def target_period(t: ir.Table, tables: Tables) -> ir.Table:
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __deadline="deadline")
    applies = true(j["is_target"]) & j["__deadline"].notnull()
    return j.select(ROW, ok=~applies | true(j["period"] == j["__deadline"].cast("string")))


@rule("figures", "years_ahead_deadline", "value", "period + years ahead of schedule to equal the linked pledge's deadline", reads=("pledges",))
def years_ahead_deadline(t: ir.Table, tables: Tables) -> ir.Table:
    j = lookup(t, tables["pledges"], "pledge_id", "pledge_id", __deadline="deadline")
    applies = true(j["metric"] == "years_ahead_of_schedule") & j["__deadline"].notnull()
    return j.select(ROW, ok=~applies | true(_year(j["period"]) + j["value"] == j["__deadline"].cast("float64")))


@rule("figures", "relations_year", "value",
      "every exact count of years since, or anniversary of, diplomatic relations to give the same founding year, and to have a period "
      "once the corpus gives that year")
def relations_year(t: ir.Table, _: Tables) -> ir.BooleanValue:
    """Every exact "N years since" / "Nth anniversary" of diplomatic relations points to one founding year; once the
    corpus gives that year, no such figure leaves its period empty (it is founding year + N, inferred)."""
    relations = true(t["metric"].isin(RELATIONS_METRICS)) & true(t["qualifier"] == "exact")
    founded = ibis.cases((relations & t["period"].notnull(), _year(t["period"]) - t["value"]), else_=ibis.null("float64"))
    years = t.select(__founded=founded)
    years = years.filter(years["__founded"].notnull())
    ranked = years.group_by("__founded").aggregate(__n=years.count())
    common = ranked.order_by([ibis.desc("__n"), ibis.asc("__founded")]).limit(1).select("__founded").as_scalar()
    undated = relations & t["period"].isnull()
    return common.isnull() | (holds(founded == common) & ~undated)
