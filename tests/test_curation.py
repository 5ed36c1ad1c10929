from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnkz.curation import curate, curate_document, load_people
from cnkz.errors import CurationError

DOC = "curation/2010-jia-qinglin-astana.yaml"


def load(repo: Path) -> dict:
    return yaml.safe_load((repo / DOC).read_text(encoding="utf-8"))


def save(repo: Path, data: dict) -> None:
    (repo / DOC).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def error_for(repo: Path) -> str:
    with pytest.raises(CurationError) as info:
        curate(repo)
    return str(info.value)


def test_the_curation_builds_every_table(repo: Path) -> None:
    rows, documents = curate(repo)
    assert len(documents) == 5
    assert {len(rows["sources"])} == {5}
    for table in ("events", "participants", "pledges", "figures"):
        assert rows[table], table


def test_offsets_are_computed_from_the_quote(repo: Path) -> None:
    rows, documents = curate(repo)
    texts = {d.source_id: d.text for d in documents}
    for table in ("events", "participants", "pledges", "figures"):
        for row in rows[table]:
            assert texts[row["source_id"]][row["char_start"] : row["char_end"]] == row["quote"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["events"][0].__setitem__("quote", "arrived in Almaty"),
         f"{DOC}:29:3: events[1] (visit), key quote: quote not found in the source text; the closest passage, characters 332-349, is "
         '"arrived in Astana"; it differs by a typo: the text has "Astana" where the quote has "Almaty"'),
        (lambda d: d["participants"][0].__setitem__("quote", "Jia"),
         f"{DOC}:67:3: participants[1], key quote: quote occurs 7 times in the source text; add occurrence: N to say which"),
        (lambda d: d["events"][1].pop("summary"),
         f"{DOC}:31:3: events[2] (arrival), key summary: required field is missing or empty"),
        (lambda d: d["events"][1].__setitem__("venue_name", "Palace"),
         f"{DOC}:44:3: events[2] (arrival), key venue_name: unknown field; allowed: key, type, parent, start_date, end_date, "
         "date_precision, date_inferred, place, country, venue, location_inferred, plover_category, plover_mode, plover_context, actor, recipient, "
         "summary, quote, occurrence"),
        (lambda d: d["events"][1].__setitem__("start_date", "9 November 2010"),
         f"{DOC}:34:3: events[2] (arrival), key start_date: expected a date YYYY-MM-DD, found '9 November 2010'"),
        (lambda d: d["events"][1].__setitem__("date_inferred", "yes"),
         f"{DOC}:37:3: events[2] (arrival), key date_inferred: expected true or false, found 'yes'"),
        (lambda d: d["events"][1].__setitem__("parent", "trip"),
         f"{DOC}:33:3: events[2] (arrival), key parent: no event with key 'trip' in this file"),
        (lambda d: d["participants"][0].__setitem__("person", "jia-qing-lin"),
         f"{DOC}:61:3: participants[1], key person: person 'jia-qing-lin' is not in curation/people.yaml"),
        (lambda d: d["figures"][0].__setitem__("value_text", "eighteen"),
         f"{DOC}:216:3: figures[1] (relations-years), key value_text: value_text 'eighteen' is not inside the quote"),
        (lambda d: d["pledges"][1].__setitem__("key", d["pledges"][0]["key"]),
         f"{DOC}:110:3: pledges[2] (political-security-ties), key key: key 'political-security-ties' is used twice in pledges"),
        (lambda d: d["source"].__setitem__("id", "jia-2010"),
         f"{DOC}:2:3: source, key id: file name must be the source id (jia-2010.yaml)"),
        (lambda d: d["source"]["body"].__setitem__("first", "Beijing"),
         f"{DOC}:12:3: source, key body: quote not found in the source text; nothing in the text is close to it; "
         "check that the quote is from this source"),
        (lambda d: d.__setitem__("notes", "x"), f"{DOC}:239:1: key notes: unknown section; the sections are source, events, participants, pledges, "
         "figures, exclusions"),
        (lambda d: d.__setitem__("events", {"key": "visit"}), f"{DOC}:15:1: key events: expected a list of records (each starting with '- ')"),
    ],
)
def test_malformed_curation_names_file_record_and_field(repo: Path, mutate, message: str) -> None:
    data = load(repo)
    mutate(data)
    save(repo, data)
    assert error_for(repo) == message


def test_invalid_yaml_names_the_line(repo: Path) -> None:
    (repo / DOC).write_text("source:\n  id: [unclosed\n", encoding="utf-8")
    assert error_for(repo) == f"{DOC}:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'"


def test_missing_seed_is_named(repo: Path) -> None:
    (repo / "seeds" / "003_acb2540b52211385.txt").unlink()
    assert error_for(repo) == f"{DOC}:3:3: source, key file: seeds/003_acb2540b52211385.txt: source text not found"


def test_one_name_two_person_ids_is_refused(repo: Path) -> None:
    with (repo / "curation" / "people.yaml").open("a", encoding="utf-8") as handle:
        handle.write("xi-jin-ping: {name: Xi Jinping, country: CHN}\n")
    assert error_for(repo) == "curation/people.yaml:16:15: xi-jin-ping, key name: the name Xi Jinping already has the person_id xi-jinping; use that one"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.dates(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
))
def test_random_curation_content_gives_a_clean_error(repo: Path, garbage: object) -> None:
    """Whatever a section holds, the loader raises CurationError or accepts it; never another exception."""
    data = load(repo)
    data["events"][1] = garbage
    save(repo, data)
    people = load_people(repo / "curation" / "people.yaml")
    try:
        curate_document(repo / DOC, repo, people)
    except CurationError as exc:
        assert str(exc).startswith(DOC)
