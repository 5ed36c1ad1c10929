from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnkz.sources import locate


def test_locate_gives_code_point_offsets_not_bytes() -> None:
    text = "Kazakhstan–China ties: Xi Jinping met Tokayev."
    start, end = locate(text, "Xi Jinping")
    assert text[start:end] == "Xi Jinping"
    assert start == len("Kazakhstan–China ties: ")  # the en dash counts as one


@pytest.mark.parametrize(
    ("quote", "occurrence", "message"),
    [
        ("Astana", None, "quote occurs 2 times in the source text; add occurrence: N to say which"),
        ("Almaty", None, "quote not found in the source text; nothing in the text is close to it; check that the quote is from this source"),
        ("Astana", 3, "occurrence 3 requested but the quote occurs 2 time(s)"),
        ("", None, "quote is empty"),
    ],
)
def test_locate_refuses_what_it_cannot_place(quote: str, occurrence: int | None, message: str) -> None:
    with pytest.raises(ValueError) as info:
        locate("Talks in Astana; a ceremony in Astana.", quote, occurrence)
    assert str(info.value) == message


def test_locate_picks_the_requested_occurrence() -> None:
    text = "Talks in Astana; a ceremony in Astana."
    assert locate(text, "Astana", 2) == (31, 37)


@given(st.text(min_size=1, max_size=200), st.data())
def test_any_span_round_trips(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    occurrences = [i for i in range(len(text)) if text.startswith(quote, i)]
    found = locate(text, quote, occurrences.index(start) + 1)
    assert found == (start, end)
    assert text[found[0] : found[1]] == quote


TEXT = "China\u2019s top adviser arrived in Astana\u00a0on Tuesday for a three-day official good-will visit.\nHe met the leaders."


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        ("arrived in Astana on  Tuesday",
         'the closest passage, characters 20-48, is "arrived in Astana\u00a0on Tuesday"; it differs by a no-break space: the text has '
         'a no-break space (U+00A0) where the quote has a space after "arrived in Astana"; whitespace: the quote has a space more '
         'than the text after "arrived in Astana on"'),
        ("China's top adviser",
         'the closest passage, characters 0-19, is "China\u2019s top adviser"; it differs by a look-alike character: the text has '
         "\u2019 (U+2019 right single quotation mark) where the quote has \"'\" after \"China\""),
        ("good-will visit. He met",
         'the closest passage, characters 74-97, is "good-will visit.\\nHe met"; it differs by whitespace: the text has '
         'a line break where the quote has a space after "good-will visit."'),
        ("a three-day oficial good-will visit",
         'the closest passage, characters 53-89, is "a three-day official good-will visit"; it differs by a typo: the text has '
         '"official" where the quote has "oficial"'),
    ],
)
def test_a_quote_not_found_shows_the_closest_passage_and_what_differs(quote: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        locate(TEXT, quote)
    assert str(info.value) == f"quote not found in the source text; {message}"
