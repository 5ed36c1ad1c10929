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
        ("Almaty", None, "quote not found in the source text"),
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
