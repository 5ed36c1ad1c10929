"""Rules of the events table (current data model)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from ...tables import ACTOR_ROLES, CAMEO_BY_EVENT_TYPE, CAMEO_TO_PLOVER, EVENT_TYPE, RECIPIENT_ROLES, plover_parties
from ...tables import plover_mode as crosswalk_mode
from ..expr import ROW, Decided, decided, first_by, holds, lookup, true
from ..registry import Check, Tables, rule
from .common import sentence_supported


def _not_among(t: ir.Table, bad: ir.Table) -> ir.Table:
    """`ok` False for each row whose event_id is one of `bad`'s (a missing id matching a missing one, as pandas' isin does)."""
    hits = bad.select(__bad=bad["event_id"]).distinct().mutate(__hit=ibis.literal(True))
    j = t.left_join(hits, t["event_id"].identical_to(hits["__bad"]))
    return j.select(ROW, ok=j["__hit"].isnull())


def _children(t: ir.Table) -> ir.Table:
    """The events with a parent that is an event of the table, beside their parent's dates (the first row of a repeated id)."""
    parents = first_by(t, "event_id")
    parents = parents.select(__parent=parents["event_id"], __parent_start=parents["start_date"], __parent_end=parents["end_date"])
    children = t.filter(t["parent_event_id"].notnull())
    return children.join(parents, children["parent_event_id"] == parents["__parent"])


@rule("events", "end_before_start", "end_date", "end_date >= start_date")
def end_before_start(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return holds(t["end_date"] >= t["start_date"])


@rule("events", "dates_with_precision", "date_precision", "start_date and end_date empty exactly when date_precision is unknown")
def dates_with_precision(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return holds((t["date_precision"] == "unknown") == (t["start_date"].isnull() & t["end_date"].isnull()))


@rule("events", "dates_together", "end_date", "start_date and end_date set together")
def dates_together(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return t["start_date"].notnull() == t["end_date"].notnull()


@rule("events", "cameo_for_type", "cameo_code", "cameo_code determined by event_type")
def cameo_for_type(t: ir.Table, _: Tables) -> ir.BooleanValue:
    cameo = ibis.cases(*((t["event_type"] == code, cameo) for code, cameo in CAMEO_BY_EVENT_TYPE.items()), else_=ibis.null(str))
    return holds(t["cameo_code"] == cameo)


@rule("events", "parent_is_visit", "parent_event_id", "parent_event_id to name a visit row other than itself")
def parent_is_visit(t: ir.Table, _: Tables) -> ir.BooleanValue:
    visits = t.filter((t["event_type"] == "visit") & t["event_id"].notnull())["event_id"]
    return (t["parent_event_id"].isnull() | t["parent_event_id"].isin(visits)) & holds(t["parent_event_id"] != t["event_id"])


PLOVER_COLUMNS = ("cameo_code", "plover_category", "plover_mode", "plover_context", "event_type", "recipient")


def _plover_row(cameo_code: str | None, plover_category: str | None, plover_mode: str | None, plover_context: str | None,
                event_type: str | None, recipient: str | None) -> bool:
    row = CAMEO_TO_PLOVER.get(cameo_code) if cameo_code is not None else None
    if row is None:
        return plover_category is None and plover_mode is None
    want_category, want_mode, want_context = row
    want_mode = want_mode or crosswalk_mode(want_category, str(event_type), recipient)
    listed = [] if plover_context is None else plover_context.split(";")
    return plover_category == want_category and plover_mode == want_mode and (want_context is None or want_context in listed)


@rule("events", "plover_crosswalk", "plover_category",
      "plover_category, plover_mode and plover_context as the CAMEO-to-PLOVER crosswalk gives for cameo_code")
def plover_crosswalk(t: ir.Table, _: Tables) -> Decided:
    """Decided once per distinct combination of the six columns (a handful), then spread to the rows."""
    return decided(t, PLOVER_COLUMNS, _plover_row)


@rule("events", "visit_contains_children", "start_date", "the parent visit's dates to contain the event's dates")
def visit_contains_children(t: ir.Table, _: Tables) -> ir.Table:
    c = _children(t)
    inside = true(c["__parent_start"] <= c["start_date"]) & true(c["__parent_end"] >= c["end_date"])
    return _not_among(t, c.filter(c["start_date"].notnull() & ~inside))


@rule("events", "visit_known_span", "date_precision",
      "a visit with dated events to carry their span (partial: exactly the first and last known day)")
def visit_known_span(t: ir.Table, _: Tables) -> ir.Table:
    c = _children(t)
    c = c.filter(c["start_date"].notnull())
    span = c.group_by(__visit=c["parent_event_id"]).aggregate(__first=c["start_date"].min(), __last=c["end_date"].max())
    j = t.left_join(span, t["event_id"] == span["__visit"])
    precision, has_dated_children = j["date_precision"], j["__first"].notnull()
    partial_exact = (precision != "partial") | (true(j["start_date"] == j["__first"]) & true(j["end_date"] == j["__last"]))
    ok = holds(~(has_dated_children & (precision == "unknown"))) & holds(partial_exact) & holds((precision != "partial") | has_dated_children)
    return j.select(ROW, ok=ok)


@rule("events", "day_sequence", "start_date", "an event told between two events of its visit dated the same day to take that day")
def day_sequence(t: ir.Table, _: Tables) -> ir.Table:
    """An undated event told between two events of one visit dated the same single day takes that day."""
    children = t.filter(t["parent_event_id"].notnull())
    told = ibis.window(group_by=children["parent_event_id"], order_by=[children["char_start"].asc(nulls_first=False), children[ROW]])
    c = children.mutate(
        __before_start=children["start_date"].lag().over(told), __before_end=children["end_date"].lag().over(told),
        __after_start=children["start_date"].lead().over(told), __after_end=children["end_date"].lead().over(told),
    )
    one_day = true(c["__before_start"] == c["__before_end"]) & true(c["__after_start"] == c["__after_end"]) & true(c["__before_start"] == c["__after_start"])
    return _not_among(t, c.filter(c["start_date"].isnull() & one_day))


@rule("events", "dates_after_publication", "dates_planned",
      "dates_planned true exactly when the event's last known day is after its source's reference_date (the text announces it)", reads=("sources",))
def dates_after_publication(t: ir.Table, tables: Tables) -> ir.Table:
    """An event dated after its article's reference_date is marked as planned, and only such an event is."""
    j = lookup(t, tables["sources"], "source_id", "source_id", __reference="reference_date")
    after = true(j["end_date"].coalesce(j["start_date"]) > j["__reference"])
    return j.select(ROW, ok=after == j["dates_planned"].fill_null(False))


@rule("events", "place_country", "country", "country equal to the country of place_id", reads=("places",))
def place_country(t: ir.Table, tables: Tables) -> ir.Table:
    j = lookup(t, tables["places"], "place_id", "place_id", __country="country")
    return j.select(ROW, ok=j["place_id"].isnull() | j["__country"].isnull() | holds(j["__country"] == j["country"]))


rule("events", "summary_supported", "summary", "every word of the event's summary accounted for by its quote (or naming the kind of event)")(
    sentence_supported("events", "summary"))


def _countries(participants: ir.Table, roles: tuple[str, ...], name: str) -> ir.Table:
    """The distinct countries of each event's participants of `roles`, joined by ';' in any order (read back as a set)."""
    p = participants.filter(participants["role"].isin(roles) & participants["country"].notnull())
    p = p.select("event_id", "country").distinct()
    return p.group_by(**{f"{name}_event": p["event_id"]}).aggregate(**{name: p["country"].group_concat(";")})


def _party_from_roles(column: str) -> Check:
    """actor or recipient as tables.plover_parties gives them from the event's principals and hosts (by country), its
    type and its country; decided once per distinct combination (a handful), then spread to the rows."""
    position = ("actor", "recipient").index(column)

    def decide(**row: Any) -> bool:
        principals = set(filter(None, (row["__principals"] or "").split(";")))
        hosts = set(filter(None, (row["__hosts"] or "").split(";")))
        # An event type outside the vocabulary is reported by the vocabulary check; what follows from the type is not judged.
        if not (principals or hosts) or row["event_type"] not in EVENT_TYPE.codes:
            return True
        wanted = plover_parties(row["event_type"], principals, hosts, row["country"] or None)[position]
        return ";".join(wanted) == (row[column] or "")

    def check(t: ir.Table, tables: Tables) -> Decided:
        principals = _countries(tables["participants"], ACTOR_ROLES, "__principals")
        hosts = _countries(tables["participants"], RECIPIENT_ROLES, "__hosts")
        j = t.left_join(principals, t["event_id"] == principals["__principals_event"])
        j = j.left_join(hosts, j["event_id"] == hosts["__hosts_event"])
        return decided(j, ("event_type", "__principals", "__hosts", "country", column), decide)
    return check


rule("events", "actor_from_roles", "actor",
     "actor: the countries of the event's visitor, counterpart or principal participants, and of its hosts too for a joint act "
     "(signing, joint statement, press conference)", reads=("participants",))(_party_from_roles("actor"))
rule("events", "recipient_from_roles", "recipient",
     "recipient: the countries of the event's host participants (none for a joint act; the event's country for a visit, arrival or "
     "welcoming ceremony whose text names no host)", reads=("participants",))(_party_from_roles("recipient"))
