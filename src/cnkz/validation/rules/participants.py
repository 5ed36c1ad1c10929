"""Rules of the participants table (current data model)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..expr import ROW, holds, lookup
from ..registry import Tables, rule

# The words as a whole phrase. The boundaries are spelt out as ASCII classes, not \b or \w: Python's are Unicode and
# DuckDB's (RE2) and Spark's (Java) are ASCII, and spelt out, the pattern finds the same in all three, so the engine
# decides it alone and its SQL is the same for every package (cnkz.validation.compiled). A letter outside ASCII written
# against the phrase ("代表团attended the activities") is a boundary here, where Python's \b saw none: the texts are English.
ATTENDANCE = r"(?:^|[^A-Za-z0-9_])attended the (?:above )?activities(?:[^A-Za-z0-9_]|$)"


def _ids_per_name(t: ir.Table, key: str, *values: str) -> ir.Table:
    """ok where no other row of the same `key` has another non-null value of any of `values` (a null key counts as good)."""
    keyed = t.filter(t[key].notnull())
    counts = keyed.group_by(__key=keyed[key]).aggregate(**{f"__n{i}": keyed[v].nunique() for i, v in enumerate(values)})
    j = t.left_join(counts, t[key] == counts["__key"])
    ok = ibis.literal(True)
    for i in range(len(values)):
        ok = ok & holds(j[f"__n{i}"] <= 1)
    return j.select(ROW, ok=ok)


@rule("participants", "present_role", "present", "present false exactly when role is mentioned")
def present_role(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return holds(t["present"] == (t["role"] != "mentioned"))


@rule("participants", "person_id_names", "person_id", "one name and country per person_id")
def person_id_names(t: ir.Table, _: Tables) -> ir.Table:
    return _ids_per_name(t, "person_id", "name", "country")


@rule("participants", "name_person_ids", "name", "one person_id per name")
def name_person_ids(t: ir.Table, _: Tables) -> ir.Table:
    return _ids_per_name(t, "name", "person_id")


@rule("participants", "office_format", "office", "several offices joined with '; ', not 'and' or ','")
def office_format(t: ir.Table, _: Tables) -> ir.BooleanValue:
    return ~t["office"].fill_null("").re_search(r" and [A-Z]|, [A-Z]")


@rule("participants", "attendance_covers_activities", "event_id",
      "a person attending 'the above activities' to be a participant of every event of the visit told before", reads=("events",))
def attendance_covers_activities(t: ir.Table, tables: Tables) -> ir.Table:
    """A person said to attend "the above activities" of a visit is a participant of each event of it told before."""
    attending = t.filter(t["quote"].re_search(ATTENDANCE))
    events = tables["events"]
    a = lookup(attending, events, "event_id", "event_id", __parent="parent_event_id")
    a = a.select(__a_row=a[ROW], __a_event=a["event_id"], __a_person=a["person_id"], __a_start=a["char_start"],
                 __visit=a["__parent"].coalesce(a["event_id"]))
    e = events.select(__e_event=events["event_id"], __e_parent=events["parent_event_id"], __e_start=events["char_start"])
    before = a.join(e, (a["__visit"] == e["__e_parent"]) & (e["__e_start"] < a["__a_start"]))
    have = t.select(__h_event=t["event_id"], __h_person=t["person_id"]).distinct().mutate(__hit=ibis.literal(True))
    checked = before.left_join(have, before["__e_event"].identical_to(have["__h_event"]) & before["__a_person"].identical_to(have["__h_person"]))
    covered = checked.group_by("__a_row").aggregate(__missing=checked["__hit"].isnull().cast("int64").sum(), __told=checked["__a_row"].count())
    judged = a.left_join(covered, a["__a_row"] == covered["__a_row"])
    bad = judged.filter(judged["__told"].isnull() | (judged["__missing"] > 0)).select("__a_event", "__a_person").distinct()
    bad = bad.mutate(__bad=ibis.literal(True))
    j = t.left_join(bad, t["event_id"].identical_to(bad["__a_event"]) & t["person_id"].identical_to(bad["__a_person"]))
    return j.select(ROW, ok=j["__bad"].isnull())
