"""Provenance: each source text read once (its sha256, size and encoding checked as the `sources` rows stream, its text
handed to the engine), then every quote compared with its text at its offsets, and its length, by engine queries.

Seeds are hashed in a few Python threads over each batch of `sources` rows: measured, that is an order of magnitude faster
than an engine reading many small files (../shared/NOTES.md). The quotes are a join of each evidence table with the texts.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from ..errors import Problem
from ..seedfiles import Confined, Seed, read_seeds
from ..sources import QUOTE_MAX_CHARS, QUOTE_MIN_CHARS
from ..tables import Table
from .expr import ROW, first_by
from .locate import listed_key, row_key
from .problems import problem, shown
from .registry import Rule
from .runner import compiled_sql, rows_of

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from .problems import Report

TEXTS = "__texts"  # the engine's table of source texts: _row (of sources), source_id, text (null when unreadable or not UTF-8)
TEXTS_SCHEMA = pa.schema([pa.field("source_id", pa.string()), pa.field("text", pa.string())])
SEED_THREADS = 4
SEED_ROWS = 512  # sources whose texts are read, checked and handed to the engine together
SEED_READERS = ThreadPoolExecutor(max_workers=SEED_THREADS, thread_name_prefix="cnkz-seeds")


class Seeds:
    """The source texts of one package, read confined to it and within the cap on one file."""

    def __init__(self, root: Path) -> None:
        from ..limits import current

        self.confined, self.cap = Confined(root), current().member_bytes

    def read(self, paths: list[Any]) -> list[Seed | None]:
        """Each path's seed (None when it cannot be read); opening and reading release the GIL, so a few threads, each over
        a share of the batch, overlap the system calls."""
        files = [self.confined.path(p) for p in paths]
        share = -(-len(files) // SEED_THREADS) or 1
        parts = [files[i : i + share] for i in range(0, len(files), share)]
        return [seed for part in SEED_READERS.map(lambda part: read_seeds(self.confined, part, self.cap), parts) for seed in part]


def check_sources(seeds: Seeds, record: pa.RecordBatch, offset: int, key: tuple[str, ...]) -> tuple[list[Problem], pa.RecordBatch]:
    """Each seed of a batch of `sources` rows exists and matches its sha256 and size; and the batch's texts, for the engine."""
    paths, found = record.column("path").to_pylist(), seeds.read(record.column("path").to_pylist())
    problems = []
    for i, (path, sha256, size, seed) in enumerate(zip(paths, record.column("sha256").to_pylist(), record.column("bytes").to_pylist(), found)):
        where = row_key(record, offset, i, key)
        if seed is None:
            problems.append(problem("seed_missing", "sources", where, "path", "the source text in the package", path))
            continue
        if seed.sha256 != sha256:
            problems.append(problem("seed_hash", "sources", where, "sha256", f"{sha256} (the sources row)", f"{seed.sha256} (the text file)"))
        if seed.size != size:
            problems.append(problem("seed_bytes", "sources", where, "bytes", f"{size} (the sources row)", f"{seed.size} (the text file)"))
        if seed.text is None:
            problems.append(problem("seed_encoding", "sources", where, "path", "a UTF-8 text", "undecodable bytes"))
    texts = pa.record_batch([record.column("source_id"), pa.array([None if s is None else s.text for s in found], pa.string())], schema=TEXTS_SCHEMA)
    return problems, texts


def source_ids_repeat(texts: ir.Table) -> bool:
    """Whether a source id is on more than one `sources` row (a primary key problem of its own): only then must a quote be
    compared with the first of them, which takes a window over every text."""
    ids = texts.filter(texts["source_id"].notnull())
    backend, sql = compiled_sql(texts, ("source ids repeat", texts.get_name(), str(texts.schema())),
                                lambda: ids.aggregate(n=ids.count(), distinct=ids["source_id"].nunique()))
    counted = rows_of(backend, sql)[0]
    return bool(counted["n"] != counted["distinct"])


def quote_at_offsets(t: ir.Table, texts: ir.Table, ids_repeat: bool = True, keep: tuple[str, ...] = ()) -> ir.Table:
    """Each row's text at its offsets next to its quote, where both can be compared (a row with a start, an end and a
    readable text of its source; a negative offset is the minimum check's, not counted from the end as Python would). The
    slice stops one character past the quote's length, so a row whose end is far past its start costs the quote's length,
    not the text's. With `ids_repeat` False (source_ids_repeat), each source id has one text and the first of each need
    not be found: at a million rows a table, that window over the texts was two thirds of the quotes' time. The columns of
    `keep` are kept beside."""
    text = first_by(texts, "source_id") if ids_repeat else texts.filter(texts["source_id"].notnull())
    text = text.select(__source=text["source_id"], __text=text["text"])
    j = t.join(text, t["source_id"] == text["__source"])
    start, end, quote = j["char_start"], j["char_end"], j["quote"]
    stop = ibis.least(end, start + quote.length().fill_null(0) + 1)
    found = ibis.cases((stop <= start, ibis.literal("")), else_=j["__text"].substr(start, stop - start))
    comparable = start.notnull() & end.notnull() & j["__text"].notnull() & (start >= 0) & (end >= 0)
    return j.filter(comparable).select(ROW, *keep, "char_start", "char_end", "quote", found=found)


def _differing(compared: ir.Table) -> ir.Table:
    return compared.filter(compared["quote"].isnull() | (compared["found"] != compared["quote"]))


def differing_quotes(quoted: dict[str, ir.Table], texts: ir.Table, ids_repeat: bool = True) -> dict[str, int]:
    """How many quotes of each table in `quoted` are not the text of their source at their offsets, counted in one query: the
    tables' quotes together are joined with the texts once (at 10^6 rows a table, 6.3 s, where a query a table took 13.4 s,
    building the texts' side of the join again for each)."""
    names = sorted(quoted)

    def counted() -> ir.Table:
        parts = [quoted[n].select(ROW, "source_id", "char_start", "char_end", "quote", __table=ibis.literal(n)) for n in names]
        together = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        return _differing(quote_at_offsets(together, texts, ids_repeat, keep=("__table",))).group_by("__table").aggregate(n=ibis._.count())

    plan = ("quotes", [[n, str(quoted[n].schema())] for n in names], texts.get_name(), str(texts.schema()), ids_repeat)
    backend, sql = compiled_sql(texts, plan, counted)
    found = {row["__table"]: int(row["n"]) for row in rows_of(backend, sql)}
    return {n: found.get(n, 0) for n in names}


def check_quotes(table: str, tables: dict[str, Any], report: Report, key: tuple[str, ...], differing: int, ids_repeat: bool = True) -> list[Problem]:
    """The first of the `differing` quotes of `table` (differing_quotes) that the report still lists, each with the text at its
    offsets."""
    room = report.room("quote_offsets", table, "quote", differing)
    if not room:
        return []
    t, texts = tables[table], tables[TEXTS]
    listed = _differing(quote_at_offsets(t, texts, ids_repeat)).order_by(ROW).limit(room)
    listed = listed.join(t.select(ROW, *[t[k].name(f"__{k}") for k in key]), ROW).order_by(ROW).to_pyarrow().to_pylist()
    return [problem("quote_offsets", table, listed_key(row, key), "quote", f"the text at [{row['char_start']}, {row['char_end']})",
               f"{shown(row['found'])!r} vs quote {shown(row['quote'] or '')!r}") for row in listed]


def _quote_length(t: ir.Table, _: Any) -> ir.BooleanValue:
    length = t["quote"].length()
    return (length >= QUOTE_MIN_CHARS) & (length <= QUOTE_MAX_CHARS)


@functools.cache  # the same Rule objects each time: the runner compiles a table's one-row rules once per process
def quote_rules(table: Table) -> list[Rule]:
    """The rule of the evidence itself, for a table with quotes: a phrase or sentences, of QUOTE_MIN_CHARS to QUOTE_MAX_CHARS
    characters (counted with the column checks, in one pass)."""
    if "quote" not in table.columns:
        return []
    return [Rule("quote_length", table.name, "quote", f"a quote of {QUOTE_MIN_CHARS} to {QUOTE_MAX_CHARS} characters", _quote_length,
                 found=lambda quote: f"{len(quote)} characters")]
