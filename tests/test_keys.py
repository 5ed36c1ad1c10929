"""Ids as codes: a domain finds known ids, gives unknown ones codes of their own, and reads every code back."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnkz.keys import SEARCHABLE, Domain, domains

IDS = st.lists(st.one_of(st.none(), st.text(alphabet="ab.-\x00é", max_size=6)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(IDS, IDS)
def test_codes_read_back_and_keep_the_order_of_the_text(key: list[str | None], referring: list[str | None]) -> None:
    domain = Domain(pa.array(key, pa.string()))
    assert domain.key_codes is not None
    assert domain.key_codes.to_pylist() == domain.codes(pa.array(key, pa.string())).to_pylist()  # from the sort, as by lookup
    codes = domain.codes(pa.array(referring, pa.string())).to_pylist()
    assert [None if c is None else domain.decode(c) for c in codes] == referring
    known = sorted({k for k in key if k is not None})
    for value, code in zip(referring, codes):
        if value in known:
            assert code == known.index(value)  # its place among the sorted keys
        elif value is not None:
            assert code >= len(known)  # a value the key lacks: a code after them all
    rows = domain.rows_of(pa.array(referring, pa.string())).tolist()
    assert rows == [key.index(v) if v is not None and v in key else -1 for v in referring]


@pytest.mark.parametrize("long", [False, True])
def test_ids_too_long_to_search_in_fixed_width_are_found_the_slow_way(long: bool) -> None:
    ids = ["x" * (SEARCHABLE + 1 if long else 5) + str(i) for i in range(3)]
    domain = Domain(pa.array(ids))
    assert (domain.search is None) == long
    assert domain.codes(pa.array([ids[2], "zz", ids[0]])).to_pylist() == [2, 3, 0]


def test_every_foreign_key_shares_the_domain_of_the_key_it_points_at() -> None:
    group_of = {member: group for group in domains() for member in group}
    assert group_of[("pledges", "status_source_id")][0] == ("sources", "source_id")
    assert group_of[("events", "parent_event_id")][0] == ("events", "event_id")
    assert ("participants", "person_id") not in group_of  # no table of people: not an id a foreign key checks
