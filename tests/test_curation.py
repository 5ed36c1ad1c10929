from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnkz.curation import LIST_SECTIONS, curate, curate_document, load_people
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
         "{DOC}:{events.0.quote}: events[1] (visit), key quote: quote not found in the source text; the closest passage, characters 332-349, is "
         '"arrived in Astana"; it differs by a typo: the text has "Astana" where the quote has "Almaty"'),
        (lambda d: d["participants"][0].__setitem__("quote", "Jia"),
         "{DOC}:{participants.0.quote}: participants[1], key quote: quote occurs 7 times in the source text; add occurrence: N to say which"),
        (lambda d: d["events"][1].pop("summary"),
         "{DOC}:{events.1}: events[2] (arrival), key summary: required field is missing or empty"),
        (lambda d: d["events"][1].__setitem__("venue_name", "Palace"),
         "{DOC}:{events.1.venue_name}: events[2] (arrival), key venue_name: unknown field; allowed: key, type, parent, start_date, end_date, "
         "date_precision, date_inferred, dates_planned, place, country, venue, location_inferred, plover_category, plover_mode, plover_context, "
         "actor, recipient, summary, quote, occurrence"),
        (lambda d: d["events"][1].__setitem__("start_date", "9 November 2010"),
         "{DOC}:{events.1.start_date}: events[2] (arrival), key start_date: expected a date YYYY-MM-DD, found '9 November 2010'"),
        (lambda d: d["events"][1].__setitem__("date_inferred", "yes"),
         "{DOC}:{events.1.date_inferred}: events[2] (arrival), key date_inferred: expected true or false, found 'yes'"),
        (lambda d: d["events"][1].__setitem__("parent", "trip"),
         "{DOC}:{events.1.parent}: events[2] (arrival), key parent: no event with key 'trip' in this file"),
        (lambda d: d["participants"][0].__setitem__("person", "jia-qing-lin"),
         "{DOC}:{participants.0.person}: participants[1], key person: person 'jia-qing-lin' is not in curation/people.yaml"),
        (lambda d: d["figures"][0].__setitem__("value_text", "eighteen"),
         "{DOC}:{figures.0.value_text}: figures[1] (relations-years), key value_text: value_text 'eighteen' is not inside the quote"),
        (lambda d: d["pledges"][1].__setitem__("key", d["pledges"][0]["key"]),
         "{DOC}:{pledges.1.key}: pledges[2] (political-security-ties), key key: key 'political-security-ties' is used twice in pledges"),
        (lambda d: d["source"].__setitem__("id", "jia-2010"),
         "{DOC}:{source.id}: source, key id: file name must be the source id (jia-2010.yaml)"),
        (lambda d: d["source"]["body"].__setitem__("first", "Beijing"),
         "{DOC}:{source.body}: source, key body: quote not found in the source text; nothing in the text is close to it; "
         "check that the quote is from this source"),
        (lambda d: d.__setitem__("notes", "x"), "{DOC}:{notes}: key notes: unknown section; the sections are source, " + ", ".join(LIST_SECTIONS)),
        (lambda d: d.__setitem__("events", {"key": "visit"}), "{DOC}:{events}: key events: expected a list of records (each starting with '- ')"),
    ],
)
def test_malformed_curation_names_file_record_and_field(repo: Path, mutate, message: str) -> None:
    data = load(repo)
    mutate(data)
    save(repo, data)
    text = (repo / DOC).read_text(encoding="utf-8")
    assert error_for(repo) == re.sub(r"\{([A-Za-z_.0-9]+)\}", lambda m: DOC if m[1] == "DOC" else position(text, m[1]), message)


def position(text: str, spec: str) -> str:
    """`line:column` of a section, a record or a record's key in a file written by yaml.safe_dump, found by reading it."""
    parts = spec.split(".")
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"{parts[0]}:"))
    if len(parts) == 1:
        return f"{start + 1}:1"
    if parts[0] == "source":
        return next(f"{n + 1}:3" for n in range(start + 1, len(lines)) if lines[n].startswith(f"  {parts[1]}:"))
    count = -1
    for n in range(start + 1, len(lines)):
        if lines[n].startswith("- "):
            count += 1
        elif not lines[n].startswith(" "):
            break
        if count == int(parts[1]) and (len(parts) == 2 or lines[n][2:].startswith(f"{parts[2]}:")):
            return f"{n + 1}:3"
    raise AssertionError(spec)


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
