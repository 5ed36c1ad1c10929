"""pandera schemas derived from the table definitions, with the cross-field and cross-table rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .files import PANDAS_TYPES, STRING
from .tables import CAMEO_BY_EVENT_TYPE, METRIC_TOPICS, ROW_ID, Field, Table

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


def column_checks(f: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if f.type == "string":
        checks.append(_coded("formula_injection", pa.Check(
            lambda s: ~s.str.match(FORMULA_PATTERN),
            error="text not starting with = + - @ tab or carriage return (a spreadsheet would run it as a formula)",
        )))
        checks.append(_coded("control_character", pa.Check(
            lambda s: ~s.str.contains(CONTROL_CHARACTERS, regex=True), error="text without control characters",
        )))
        checks.append(_coded("whitespace", pa.Check(lambda s: s == s.str.strip(), error="no leading or trailing whitespace")))
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


# (code, what is expected, rule): every rule returns True for good rows.
ROW_RULES: dict[str, list[tuple[str, str, str, RowRule]]] = {
    "sources": [
        ("body_order", "body_end", "body_end > body_start", lambda f, _: _holds(f["body_end"] > f["body_start"])),
    ],
    "events": [
        ("end_before_start", "end_date", "end_date >= start_date", _dates_ordered),
        ("dates_with_precision", "date_precision", "start_date and end_date empty exactly when date_precision is unknown",
         lambda f, _: _holds((f["date_precision"] == "unknown") == (f["start_date"].isna() & f["end_date"].isna()))),
        ("dates_together", "end_date", "start_date and end_date set together", lambda f, _: _set(f, "start_date") == _set(f, "end_date")),
        ("cameo_for_type", "cameo_code", "cameo_code determined by event_type", _cameo_for_type),
        ("parent_is_visit", "parent_event_id", "parent_event_id to name a visit row other than itself", _parent_is_visit),
    ],
    "participants": [
        ("present_role", "present", "present false exactly when role is mentioned", lambda f, _: _holds(f["present"] == (f["role"] != "mentioned"))),
        ("person_id_names", "person_id", "one name and country per person_id",
         lambda f, fr: _one_id_per_name("person_id", "name")(f, fr) & _one_id_per_name("person_id", "country")(f, fr)),
        ("name_person_ids", "name", "one person_id per name", _one_id_per_name("name", "person_id")),
    ],
    "pledges": [
        ("target_fields", "target_value", "target_value, target_unit and deadline set together, and set for a target", _target_fields),
        ("status_fields", "status", "status_as_of and status_source_id set exactly when status is not announced", _status_fields),
        ("status_later_source", "status_source_id", "status reported by another source dated on or after the pledge's source", _status_from_later_source),
        ("speaker_participant", "speaker_person_id", "speaker_person_id to be a participant of the pledge's event", _speaker_is_participant),
    ],
    "figures": [
        ("value_text_in_quote", "value_text", "value_text inside quote", _value_text_in_quote),
        ("metric_fits_pledge", "pledge_id", "a linked pledge whose topic the figure's metric can report on", _figure_metric_fits_pledge),
        ("target_matches_pledge", "pledge_id", "a target figure to equal its pledge's target_value and target_unit", _figure_target_matches_pledge),
    ],
}


def _references(column: str, table: str, target: str) -> RowRule:
    return lambda f, frames: _in(f, column, _keys(frames, table, target))


def _same_source_rule(column: str) -> RowRule:
    return lambda f, frames: _same_source(f, column, frames)


def derived_rules(table: Table) -> list[tuple[str, str, str, RowRule]]:
    """Rules that follow from the table definition itself: keys, foreign keys, evidence offsets."""
    rules: list[tuple[str, str, str, RowRule]] = []
    key = table.field(table.primary_key[0])
    if key.pattern == ROW_ID and "source_id" in table.columns:
        rules.append(("id_prefix", key.name, f"{key.name} to start with '<source_id>.'", _id_prefix(key.name)))
    if "char_start" in table.columns:
        rules.append(("offsets_order", "char_end", "char_end > char_start", lambda f, _: _holds(f["char_end"] > f["char_start"])))
    for fk in table.foreign_keys:
        (column,), (target,) = fk.fields, fk.reference
        if fk.table != table.name:
            rules.append(("foreign_key", column, f"{column} present in {fk.table}", _references(column, fk.table, target)))
        if fk.table == "events" and "source_id" in table.columns:
            rules.append(("same_source", column, f"{column} naming an event of the same source", _same_source_rule(column)))
    return rules


def dataframe_schema(table: Table, frames: Frames) -> pa.DataFrameSchema:
    """The pandera schema of `table`; row rules see the other tables through `frames`."""
    columns = {
        f.name: pa.Column(DTYPES[f.type], checks=column_checks(f), nullable=not f.required, unique=f.unique, required=True)
        for f in table.fields
    }
    checks = [
        _coded(code, pa.Check(lambda df, rule=rule: rule(df, frames), error=expected), column)
        for code, column, expected, rule in derived_rules(table) + ROW_RULES[table.name]
    ]
    return pa.DataFrameSchema(
        columns, checks=checks, strict=True, ordered=True, unique=list(table.primary_key),
        report_duplicates="all", name=table.name,
    )

