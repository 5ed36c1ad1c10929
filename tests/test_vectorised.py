"""Checks written a column at a time (for speed at scale) agree with their row-by-row definitions on any input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cnkz.files import STRING
from cnkz.schemas import CONTROL_CHARACTERS, _without_controls
from cnkz.statements import supported, unsupported_words
from cnkz.validate import quotes_differ

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


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab é中\t\n\r\x00\x01\x1f\x7f\x0b\x80", max_size=5)), max_size=20), st.integers(0, 5))
def test_control_bytes_agree_with_the_control_character_pattern(values: list[str | None], skip: int) -> None:
    column = pd.Series(values, dtype=STRING).iloc[skip:]  # a slice: the Arrow data starts at an offset
    expected = [v is None or not re.search(CONTROL_CHARACTERS, v) for v in values[skip:]]
    assert _without_controls(column).tolist() == expected


@st.composite
def quoted_rows(draw: st.DrawFn) -> tuple[np.ndarray, dict[int, str | None], list[int | None], list[int | None], list[str | None]]:
    """Texts (ASCII or not, some missing) and rows citing them, most with the right quote, some off by anything."""
    texts = {r: draw(st.one_of(st.none(), st.text(alphabet="ab c.é’", max_size=12))) for r in range(draw(st.integers(0, 4)))}
    rows, starts, ends, quotes = [], [], [], []
    for _ in range(draw(st.integers(0, 10))):
        row = draw(st.integers(-1, len(texts)))  # -1: no source; len(texts): a source whose text was not read
        text = texts.get(row) or ""
        start = draw(st.one_of(st.none(), st.integers(-2, len(text) + 2)))
        end = draw(st.one_of(st.none(), st.integers(-2, len(text) + 2)))
        right = text[start:end] if start is not None and end is not None else None
        rows.append(row)
        starts.append(start)
        ends.append(end)
        quotes.append(draw(st.one_of(st.just(right), st.none(), st.text(alphabet="ab c.é", max_size=5))))
    return np.array(rows, dtype=np.int64), texts, starts, ends, quotes


@settings(max_examples=400, deadline=None)
@given(quoted_rows())
def test_quotes_compared_in_arrow_agree_with_slicing_the_text(case: tuple[np.ndarray, dict[int, str | None], list, list, list]) -> None:
    rows, texts, starts, ends, quotes = case
    expected = [row in texts and texts[row] is not None and s is not None and e is not None and texts[row][s:e] != q
                for row, s, e, q in zip(rows.tolist(), starts, ends, quotes)]
    got = quotes_differ(rows, {r: t for r, t in texts.items() if r in set(rows.tolist())}, pa.array(starts, pa.int64()),
                        pa.array(ends, pa.int64()), pa.array(quotes, pa.string()))
    assert got.tolist() == expected
