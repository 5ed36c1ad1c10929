"""pandera schemas derived from the table definitions, with the cross-field and cross-table rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pandera.pandas as pa

from .tables import CAMEO_BY_EVENT_TYPE, TABLES_BY_NAME, Field, Table

DTYPES: dict[str, Any] = {
    "string": pd.StringDtype(),
    "integer": pd.Int64Dtype(),
    "number": pd.Float64Dtype(),
    "boolean": pd.BooleanDtype(),
    "date": None,  # object column of datetime.date, checked below
}

# Characters that make a spreadsheet evaluate a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _is_date(value: Any) -> bool:
    return value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime))


# pandera reports a failed check by its error text; this maps the text back to a stable code.
CHECK_CODES: dict[str, str] = {}


def _coded(code: str, check: pa.Check, column: str = "") -> pa.Check:
    CHECK_CODES[str(check.error)] = code
    if column:
        RULE_COLUMNS[str(check.error)] = column
    return check


def column_checks(f: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if f.type == "date":
        checks.append(_coded("type", pa.Check(_is_date, element_wise=True, error="a date YYYY-MM-DD")))
    if f.type == "string":
        checks.append(_coded("formula_injection", pa.Check(
            lambda s: ~s.str.startswith(FORMULA_PREFIXES),
            error="text not starting with = + - @ tab or carriage return (a spreadsheet would run it as a formula)",
        )))
        checks.append(_coded("control_character", pa.Check(
            lambda s: ~s.str.contains(CONTROL_CHARACTERS, regex=True), error="text without control characters",
        )))
        checks.append(_coded("whitespace", pa.Check(lambda s: s == s.str.strip(), error="no leading or trailing whitespace")))
    if f.pattern:
        checks.append(_coded("pattern", pa.Check.str_matches(f.pattern, error=f"text matching {f.pattern}")))
    if f.vocabulary:
        checks.append(_coded("vocabulary", pa.Check.isin(f.vocabulary.codes, error=f"one of {', '.join(f.vocabulary.codes)}")))
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


def _keys(frames: Frames, table: str, column: str) -> set[Any]:
    return set(frames[table][column].dropna()) if table in frames else set()


def _in(frame: pd.DataFrame, column: str, values: set[Any]) -> pd.Series:
    return frame[column].isna() | frame[column].isin(values)


def _same_source(frame: pd.DataFrame, column: str, frames: Frames) -> pd.Series:
    source_of = dict(zip(frames["events"]["event_id"], frames["events"]["source_id"]))
    return frame[column].isna() | (frame[column].map(source_of) == frame["source_id"])


def _id_prefix(column: str) -> RowRule:
    return lambda f, _: pd.Series([str(i).startswith(f"{s}.") for i, s in zip(f[column], f["source_id"])], index=f.index)


def _speaker_is_participant(f: pd.DataFrame, frames: Frames) -> pd.Series:
    pairs = set(zip(frames["participants"]["event_id"], frames["participants"]["person_id"]))
    return f["speaker_person_id"].isna() | pd.Series([(e, p) in pairs for e, p in zip(f["event_id"], f["speaker_person_id"])], index=f.index)


def _parent_is_visit(f: pd.DataFrame, _: Frames) -> pd.Series:
    visits = set(f.loc[f["event_type"] == "visit", "event_id"])
    return _in(f, "parent_event_id", visits) & (f["parent_event_id"] != f["event_id"]).fillna(True)


def _one_id_per_name(column_a: str, column_b: str) -> RowRule:
    def rule(f: pd.DataFrame, _: Frames) -> pd.Series:
        counts = f.groupby(column_a)[column_b].nunique()
        return ~f[column_a].map(counts).gt(1)
    return rule


def _dates_ordered(f: pd.DataFrame, _: Frames) -> pd.Series:
    both = f["start_date"].notna() & f["end_date"].notna()
    ordered = pd.Series([bool(e >= s) if b else True for s, e, b in zip(f["start_date"], f["end_date"], both)], index=f.index)
    return ordered


def _status_fields(f: pd.DataFrame, _: Frames) -> pd.Series:
    reported = f["status"] != "announced"
    return (reported == _set(f, "status_as_of")) & (reported == _set(f, "status_source_id"))


def _status_from_later_source(f: pd.DataFrame, frames: Frames) -> pd.Series:
    reference = dict(zip(frames["sources"]["source_id"], frames["sources"]["reference_date"]))
    ok = []
    for source, status_source, as_of in zip(f["source_id"], f["status_source_id"], f["status_as_of"]):
        if pd.isna(status_source):
            ok.append(True)
            continue
        made, reported = reference.get(source), reference.get(status_source)
        ok.append(status_source != source and made is not None and reported is not None and made <= reported and as_of == reported)
    return pd.Series(ok, index=f.index)


def _target_fields(f: pd.DataFrame, _: Frames) -> pd.Series:
    n = _set(f, "target_value").astype(int) + _set(f, "target_unit").astype(int) + _set(f, "deadline").astype(int)
    return ((n == 0) | (n == 3)) & ((f["pledge_type"] != "target") | (n == 3))


def _value_text_in_quote(f: pd.DataFrame, _: Frames) -> pd.Series:
    return pd.Series([v in q for v, q in zip(f["value_text"], f["quote"])], index=f.index)


def _figure_target_matches_pledge(f: pd.DataFrame, frames: Frames) -> pd.Series:
    pledges = frames["pledges"].set_index("pledge_id")
    ok = []
    for pledge_id, is_target, value, unit in zip(f["pledge_id"], f["is_target"], f["value"], f["unit"]):
        if pd.isna(pledge_id) or not is_target or pledge_id not in pledges.index:
            ok.append(True)
            continue
        p = pledges.loc[pledge_id]
        ok.append(bool(p["target_value"] == value and p["target_unit"] == unit))
    return pd.Series(ok, index=f.index)


# (code, what is expected, rule): every rule returns True for good rows.
ROW_RULES: dict[str, list[tuple[str, str, str, RowRule]]] = {
    "sources": [
        ("body_order", "body_end", "body_end > body_start", lambda f, _: f["body_end"] > f["body_start"]),
    ],
    "events": [
        ("id_prefix", "event_id", "event_id to start with '<source_id>.'", _id_prefix("event_id")),
        ("offsets_order", "char_end", "char_end > char_start", lambda f, _: f["char_end"] > f["char_start"]),
        ("end_before_start", "end_date", "end_date >= start_date", _dates_ordered),
        ("dates_with_precision", "date_precision", "start_date and end_date empty exactly when date_precision is unknown",
         lambda f, _: (f["date_precision"] == "unknown") == (f["start_date"].isna() & f["end_date"].isna())),
        ("dates_together", "end_date", "start_date and end_date set together", lambda f, _: _set(f, "start_date") == _set(f, "end_date")),
        ("cameo_for_type", "cameo_code", "cameo_code determined by event_type", lambda f, _: f["cameo_code"] == f["event_type"].map(CAMEO_BY_EVENT_TYPE)),
        ("parent_is_visit", "parent_event_id", "parent_event_id to name a visit row other than itself", _parent_is_visit),
        ("parent_same_source", "parent_event_id", "parent event from the same source", lambda f, fr: _same_source(f, "parent_event_id", fr)),
        ("foreign_key", "source_id", "source_id present in sources", lambda f, fr: _in(f, "source_id", _keys(fr, "sources", "source_id"))),
    ],
    "participants": [
        ("offsets_order", "char_end", "char_end > char_start", lambda f, _: f["char_end"] > f["char_start"]),
        ("present_role", "present", "present false exactly when role is mentioned", lambda f, _: f["present"] == (f["role"] != "mentioned")),
        ("foreign_key", "event_id", "event_id present in events", lambda f, fr: _in(f, "event_id", _keys(fr, "events", "event_id"))),
        ("foreign_key", "source_id", "source_id present in sources", lambda f, fr: _in(f, "source_id", _keys(fr, "sources", "source_id"))),
        ("event_same_source", "event_id", "event from the same source", lambda f, fr: _same_source(f, "event_id", fr)),
        ("person_id_names", "person_id", "one name and country per person_id",
         lambda f, fr: _one_id_per_name("person_id", "name")(f, fr) & _one_id_per_name("person_id", "country")(f, fr)),
        ("name_person_ids", "name", "one person_id per name", _one_id_per_name("name", "person_id")),
    ],
    "pledges": [
        ("id_prefix", "pledge_id", "pledge_id to start with '<source_id>.'", _id_prefix("pledge_id")),
        ("offsets_order", "char_end", "char_end > char_start", lambda f, _: f["char_end"] > f["char_start"]),
        ("target_fields", "target_value", "target_value, target_unit and deadline set together, and set for a target", _target_fields),
        ("status_fields", "status", "status_as_of and status_source_id set exactly when status is not announced", _status_fields),
        ("status_later_source", "status_source_id", "status reported by another source dated on or after the pledge's source", _status_from_later_source),
        ("foreign_key", "event_id", "event_id present in events", lambda f, fr: _in(f, "event_id", _keys(fr, "events", "event_id"))),
        ("foreign_key", "source_id", "source_id present in sources", lambda f, fr: _in(f, "source_id", _keys(fr, "sources", "source_id"))),
        ("foreign_key", "status_source_id", "status_source_id present in sources", lambda f, fr: _in(f, "status_source_id", _keys(fr, "sources", "source_id"))),
        ("event_same_source", "event_id", "event from the same source", lambda f, fr: _same_source(f, "event_id", fr)),
        ("speaker_participant", "speaker_person_id", "speaker_person_id to be a participant of the pledge's event", _speaker_is_participant),
    ],
    "figures": [
        ("id_prefix", "figure_id", "figure_id to start with '<source_id>.'", _id_prefix("figure_id")),
        ("offsets_order", "char_end", "char_end > char_start", lambda f, _: f["char_end"] > f["char_start"]),
        ("value_text_in_quote", "value_text", "value_text inside quote", _value_text_in_quote),
        ("foreign_key", "event_id", "event_id present in events", lambda f, fr: _in(f, "event_id", _keys(fr, "events", "event_id"))),
        ("foreign_key", "source_id", "source_id present in sources", lambda f, fr: _in(f, "source_id", _keys(fr, "sources", "source_id"))),
        ("foreign_key", "pledge_id", "pledge_id present in pledges", lambda f, fr: _in(f, "pledge_id", _keys(fr, "pledges", "pledge_id"))),
        ("event_same_source", "event_id", "event from the same source", lambda f, fr: _same_source(f, "event_id", fr)),
        ("target_matches_pledge", "pledge_id", "a target figure to equal its pledge's target_value and target_unit", _figure_target_matches_pledge),
    ],
}


def dataframe_schema(table: Table, frames: Frames) -> pa.DataFrameSchema:
    """The pandera schema of `table`; row rules see the other tables through `frames`."""
    columns = {
        f.name: pa.Column(DTYPES[f.type], checks=column_checks(f), nullable=not f.required, unique=f.unique, required=True)
        for f in table.fields
    }
    checks = [
        _coded(code, pa.Check(lambda df, rule=rule: rule(df, frames), error=expected), column)
        for code, column, expected, rule in ROW_RULES[table.name]
    ]
    return pa.DataFrameSchema(
        columns, checks=checks, strict=True, ordered=True, unique=list(table.primary_key),
        report_duplicates="all", name=table.name,
    )


def schema_for(name: str, frames: Frames) -> pa.DataFrameSchema:
    return dataframe_schema(TABLES_BY_NAME[name], frames)
