"""Rules of the pledges table (current data model)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ...tables import PLEDGE_PLOVER
from ..expr import ROW, holds, lookup, true
from ..registry import Tables, rule
from .common import sentence_supported


@rule("pledges", "target_fields", "target_value", "target_value, target_unit and deadline set together, and set for a target")
def target_fields(t: ir.Table, _: Tables) -> ir.BooleanValue:
    n = sum((t[c].notnull().cast("int64") for c in ("target_value", "target_unit", "deadline")), ibis.literal(0, "int64"))
    return holds(((n == 0) | (n == 3)) & ((t["pledge_type"] != "target") | (n == 3)))


@rule("pledges", "status_fields", "status", "status_as_of and status_source_id set exactly when status is not announced")
def status_fields(t: ir.Table, _: Tables) -> ir.BooleanValue:
    reported = t["status"] != "announced"
    return holds((reported == t["status_as_of"].notnull()) & (reported == t["status_source_id"].notnull()))


@rule("pledges", "status_later_source", "status_source_id", "status reported by another source dated on or after the pledge's source", reads=("sources",))
def status_later_source(t: ir.Table, tables: Tables) -> ir.Table:
    sources = tables["sources"]
    j = lookup(t, sources, "source_id", "source_id", __made="reference_date")
    j = lookup(j, sources, "status_source_id", "source_id", __reported="reference_date")
    later = true(j["status_source_id"] != j["source_id"]) & true(j["__made"] <= j["__reported"]) & true(j["status_as_of"] == j["__reported"])
    return j.select(ROW, ok=j["status_source_id"].isnull() | later)


@rule("pledges", "speaker_participant", "speaker_person_id", "speaker_person_id to be a participant of the pledge's event", reads=("participants",))
def speaker_participant(t: ir.Table, tables: Tables) -> ir.Table:
    p = tables["participants"]
    pairs = p.select(__event=p["event_id"], __person=p["person_id"]).distinct().mutate(__found=ibis.literal(True))
    j = t.left_join(pairs, (t["event_id"] == pairs["__event"]) & (t["speaker_person_id"] == pairs["__person"]))
    return j.select(ROW, ok=j["speaker_person_id"].isnull() | j["__found"].notnull())


@rule("pledges", "pledge_plover", "plover_category", "plover_category AGREE, or SUPPORT for a support or agreement pledge (present support)")
def pledge_plover(t: ir.Table, _: Tables) -> ir.BooleanValue:
    allowed = [f"{kind}/{category}" for kind, categories in PLEDGE_PLOVER.items() for category in categories]
    return true((t["pledge_type"] + "/" + t["plover_category"]).isin(allowed))


rule("pledges", "statement_supported", "statement", "every word of statement accounted for by the quote (cnkz audit lists the others)")(
    sentence_supported("pledges", "statement"))


def _latest(table: ir.Table, group: str, *order: str) -> ir.Table:
    """The last row of each `group` sorted by `order` (missing values last, a tie to the later row): pandas' sort_values
    then drop_duplicates(keep="last")."""
    window = ibis.window(group_by=table[group], order_by=[*(table[c].desc(nulls_first=True) for c in order), table[ROW].desc()])
    return table.filter(ibis.row_number().over(window) == 0)


@rule("pledges", "status_from_updates", "status",
      "status, status_as_of and status_source_id of the latest report on the pledge's commitment from a later document "
      "(a pledge_updates row, or a pledge that restates it: committed); announced without one", reads=("pledge_updates", "sources"))
def status_from_updates(t: ir.Table, tables: Tables) -> ir.Table:
    """Each pledge's status is the latest report on its commitment (the pledge, or the one it restates) from a document
    dated after its own: the latest pledge_updates row, or the latest restating pledge (committed); an update before a
    restatement of the same date (curation.latest_reports)."""
    sources = tables["sources"]
    u = _latest(tables["pledge_updates"], "pledge_id", "as_of", "update_id")
    u = u.select(__u_key=u["pledge_id"], __u_as_of=u["as_of"], __u_status=u["status"], __u_source=u["source_id"])
    again = lookup(t.filter(t["restates"].notnull()), sources, "source_id", "source_id", __as_of="reference_date")
    r = _latest(again, "restates", "__as_of", "pledge_id")
    r = r.select(__r_key=r["restates"], __r_as_of=r["__as_of"], __r_source=r["source_id"])
    c = t.mutate(__commitment=ibis.coalesce(t["restates"], t["pledge_id"]))
    c = c.left_join(u, c["__commitment"] == u["__u_key"])
    c = c.left_join(r, c["__commitment"] == r["__r_key"])
    j = lookup(c, sources, "source_id", "source_id", __made="reference_date")
    u_as_of, r_as_of = j["__u_as_of"], j["__r_as_of"]
    use_update = u_as_of.notnull() & (r_as_of.isnull() | true(u_as_of >= r_as_of))
    use_restatement = ~use_update & r_as_of.notnull()
    as_of = ibis.cases((use_update, u_as_of), (use_restatement, r_as_of), else_=ibis.null("date"))
    later = true(as_of > j["__made"])
    status = ibis.cases((~later, ibis.literal("announced")), (use_update, j["__u_status"].fill_null("")), else_=ibis.literal("committed"))
    source = ibis.cases((use_update, j["__u_source"]), else_=j["__r_source"])
    same = true(j["status"] == status)
    dated = (~later & j["status_as_of"].isnull()) | (later & true(as_of == j["status_as_of"]))
    sourced = (~later & j["status_source_id"].isnull()) | (later & true(source == j["status_source_id"]))
    return j.select(ROW, ok=same & dated & sourced)


@rule("pledges", "restates_earlier", "restates", "restates naming another pledge made in an earlier engagement (earlier event date, or earlier "
      "document where an event is undated)", reads=("events", "sources"))
def restates_earlier(t: ir.Table, tables: Tables) -> ir.Table:
    """restates names another pledge of the package, made in an earlier engagement (an earlier event date, or an earlier
    document where an event is undated)."""
    d = lookup(t, tables["events"], "event_id", "event_id", __start="start_date")
    d = lookup(d, tables["sources"], "source_id", "source_id", __reference="reference_date")
    d = d.mutate(__day=ibis.coalesce(d["__start"], d["__reference"]))
    j = lookup(d, d, "restates", "pledge_id", __restated_day="__day", __restated="pledge_id")
    known = j["__restated"].notnull()
    ok = j["restates"].isnull() | (known & true(j["__restated_day"] < j["__day"]) & true(j["restates"] != j["pledge_id"]))
    return j.select(ROW, ok=ok)


@rule("pledges", "restates_first", "restates", "restates naming a commitment's first statement (a pledge whose own restates is empty)")
def restates_first(t: ir.Table, _: Tables) -> ir.Table:
    """restates names a commitment's first statement: a pledge whose own restates is empty (no chains)."""
    j = lookup(t, t, "restates", "pledge_id", __of="restates")
    return j.select(ROW, ok=j["restates"].isnull() | j["__of"].isnull())


@rule("pledges", "restates_party", "restates", "a restatement made by a party to the commitment (the same actor, or either side of a pledge of both)")
def restates_party(t: ir.Table, _: Tables) -> ir.Table:
    """A restatement is made by a party to the commitment: the same side, or either side of a commitment of both (a pledge
    of both does not restate one side's: the other side commits for the first time)."""
    j = lookup(t, t, "restates", "pledge_id", __earlier="actor")
    earlier = j["__earlier"]
    party = true(earlier == j["actor"]) | true(earlier == "both")
    return j.select(ROW, ok=j["restates"].isnull() | earlier.isnull() | party)

