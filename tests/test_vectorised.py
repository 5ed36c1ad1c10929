"""Checks written a column at a time (in Arrow, or as engine expressions) agree with their row-by-row definitions on any input."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnkz.statements import supported, unsupported_words
from cnkz.tables import Field
from cnkz.validation.columns import CONTROL_CHARACTERS, field_checks
from cnkz.validation.engine import Engine
from cnkz.validation.expr import ROW
from cnkz.validation.provenance import differing_quotes, quote_at_offsets, source_ids_repeat
from cnkz.validation.runner import compiled_sql, rows_of
from cnkz.validation.settings import Settings

# Letters, the characters inside words, separators, and a few non-ASCII letters and spaces.
ALPHABET = st.sampled_from([*list("aAbcdeiklnorstyz'’- .,;\n\té中"), "ing", "ed", "s", "ies", "ation", "China", "centre", "the", "'s"])
TEXT = st.one_of(st.none(), st.lists(ALPHABET, max_size=30).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), max_size=8))
def test_supported_agrees_with_unsupported_words(rows: list[tuple[str | None, str | None]]) -> None:
    statements, quotes = pa.array([s for s, _ in rows], pa.string()), pa.array([q for _, q in rows], pa.string())
    expected = [not unsupported_words(s or "", q or "") for s, q in rows]
    assert supported(statements, quotes).tolist() == expected


def test_a_word_the_quote_lacks_fails_and_an_inflection_of_a_quote_word_holds() -> None:
    statements = pa.array(["Both sides agreed to expand trade", "China will cooperate on energy", "China will build a bridge"])
    quotes = pa.array(["the two sides agreed to expand trade", "cooperation on energy", "cooperation on energy"])
    assert supported(statements, quotes).tolist() == [True, True, False]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(Settings(threads=1)) as running:
        yield running


def compiled_once(engine: Engine, name: str, make: Callable[[], ibis.Table]) -> list[dict]:
    """The rows of the query `make()` builds over the engine's tables, compiled by the runner's compiled_sql on the first
    example only: every example reloads tables of the same names and types, so the SQL is the same."""
    backend, sql = compiled_sql(next(iter(engine.tables.values())), ("test_vectorised", name, sorted(engine.tables)), make)
    return rows_of(backend, sql)


def _column_check(engine: Engine, code: str, values: list[str | None]) -> list[bool | None]:
    """What the engine's column check `code` (of a text field) says of each value, in order."""
    [check] = [c for c in field_checks(Field("t", "string", "a text")) if c.code == code]
    batch = pa.record_batch({"t": pa.array(values, pa.string())})
    engine.load("cells", [batch], batch.schema)
    t = engine.tables["cells"]
    return [row["good"] for row in compiled_once(engine, code, lambda: t.select(ROW, good=check.good(t["t"])).order_by(ROW))]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab é中\t\n\r\x00\x01\x1f\x7f\x0b\x80", max_size=5)), max_size=20))
def test_the_engine_s_control_characters_are_python_s(engine: Engine, values: list[str | None]) -> None:
    expected = [None if v is None else not re.search(CONTROL_CHARACTERS, v) for v in values]
    assert _column_check(engine, "control_character", values) == expected


# Unicode's White_Space property: what the whitespace check means by a space at either end.
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab é中\u200b" + WHITE_SPACE, max_size=5)), max_size=20))
def test_the_engine_s_whitespace_is_unicode_s(engine: Engine, values: list[str | None]) -> None:
    expected = [None if v is None else not (v[:1] in set(WHITE_SPACE) or v[-1:] in set(WHITE_SPACE)) or v == "" for v in values]
    assert _column_check(engine, "whitespace", values) == expected


@st.composite
def quoted_rows(draw: st.DrawFn) -> tuple[dict[str, str | None], list[tuple[str, int | None, int | None, str | None]]]:
    """Texts (ASCII or not, some unreadable) and rows citing them, most with the right quote, some off by anything."""
    texts = {f"s{i}": draw(st.one_of(st.none(), st.text(alphabet="ab c.é’", max_size=12))) for i in range(draw(st.integers(0, 4)))}
    rows = []
    for _ in range(draw(st.integers(0, 10))):
        source = f"s{draw(st.integers(0, len(texts)))}"  # s<len>: a source with no text
        text = texts.get(source) or ""
        start = draw(st.one_of(st.none(), st.integers(0, len(text) + 2)))
        end = draw(st.one_of(st.none(), st.integers(-2, len(text) + 2)))
        right = text[start:end] if start is not None and end is not None else None
        rows.append((source, start, end, draw(st.one_of(st.just(right), st.none(), st.text(alphabet="ab c.é", max_size=5)))))
    return texts, rows


@settings(max_examples=150, deadline=None)
@given(quoted_rows())
def test_quotes_compared_in_the_engine_agree_with_slicing_the_text(engine: Engine, case: tuple[dict[str, str | None], list]) -> None:
    """A row is compared when its source has a text and it has a start and an end (a negative offset is the minimum check's,
    not counted from the end); it differs when Python's slice of the text is not its quote."""
    texts, rows = case
    expected = [i for i, (source, s, e, q) in enumerate(rows) if texts.get(source) is not None and s is not None and e is not None
                and e >= 0 and texts[source][s:e] != q]
    text_batch = pa.record_batch({"source_id": pa.array(list(texts), pa.string()), "text": pa.array(list(texts.values()), pa.string())})
    quote_batch = pa.record_batch({name: pa.array([row[i] for row in rows], kind) for i, (name, kind) in
                                   enumerate([("source_id", pa.string()), ("char_start", pa.int64()), ("char_end", pa.int64()), ("quote", pa.string())])})
    engine.load("texts", [text_batch], text_batch.schema)
    engine.load("q", [quote_batch], quote_batch.schema)

    def differ(ids_repeat: bool) -> ibis.Table:
        compared = quote_at_offsets(engine.tables["q"], engine.tables["texts"], ids_repeat)
        return compared.filter(compared["quote"].isnull() | (compared["found"] != compared["quote"])).select(ROW)

    # Each source has one text here, so the first of each (a window) and the texts as they are must agree.
    assert not source_ids_repeat(engine.tables["texts"])
    for ids_repeat in (True, False):
        assert sorted(row[ROW] for row in compiled_once(engine, f"quotes {ids_repeat}", functools.partial(differ, ids_repeat))) == expected


def test_a_repeated_source_id_s_quotes_are_compared_with_its_first_text(engine: Engine) -> None:
    texts = pa.record_batch({"source_id": ["s", "s", "t"], "text": ["abc", "xyz", "klm"]})
    quotes = pa.record_batch({"source_id": ["s", "s", "t"], "char_start": [0, 0, 0], "char_end": [2, 2, 2], "quote": ["ab", "xy", "kl"]})
    engine.load("texts", [texts], texts.schema)
    engine.load("q", [quotes], quotes.schema)
    assert source_ids_repeat(engine.tables["texts"])
    compared = quote_at_offsets(engine.tables["q"], engine.tables["texts"], ids_repeat=True).to_pyarrow()
    assert sorted(zip(compared[ROW].to_pylist(), compared["found"].to_pylist())) == [(0, "ab"), (1, "ab"), (2, "kl")]


def test_the_quotes_of_several_tables_counted_together_are_counted_for_each(engine: Engine) -> None:
    """differing_quotes joins every table's quotes with the texts in one query: each table gets its own count, and a table
    whose quotes all agree gets 0."""
    texts = pa.record_batch({"source_id": ["s", "t"], "text": ["abcdef", "klmnop"]})
    engine.load("texts", [texts], texts.schema)
    quotes = {
        "a": {"source_id": ["s", "s", "t"], "char_start": [0, 1, 0], "char_end": [2, 3, 2], "quote": ["ab", "xx", "kl"]},  # one differs
        "b": {"source_id": ["t", "t", "s"], "char_start": [0, 2, 0], "char_end": [3, 4, 1], "quote": ["klm", "zz", None]},  # two
        "c": {"source_id": ["s"], "char_start": [2], "char_end": [4], "quote": ["cd"]},  # none
    }
    for name, columns in quotes.items():
        batch = pa.record_batch(columns, schema=pa.schema([("source_id", pa.string()), ("char_start", pa.int64()), ("char_end", pa.int64()),
                                                          ("quote", pa.string())]))
        engine.load(name, [batch], batch.schema)
    for ids_repeat in (True, False):
        assert differing_quotes({n: engine.tables[n] for n in quotes}, engine.tables["texts"], ids_repeat) == {"a": 1, "b": 2, "c": 0}
