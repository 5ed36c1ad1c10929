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


TABLES_PY = ("The vocabulary is defined in src/cnkz/tables.py ({constant}); a value added there is a MINOR version change, as `cnkz diff` "
             "reports it: see CURATION.md, 'Adding a value to a vocabulary'")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["participants"][0].__setitem__("role", "vistor"),
         "{DOC}:{participants.0.role}: participants[1], key role: 'vistor' is not in the role vocabulary; did you mean 'visitor' (Principal of "
         "the travelling side)? The values: visitor, host, counterpart, principal, delegation_member, attendee, mentioned. "
         + TABLES_PY.format(constant="ROLE")),
        (lambda d: d["events"][2].__setitem__("type", "meetng"),
         "{DOC}:{events.2.type}: events[3] (meeting), key type: 'meetng' is not in the event_type vocabulary; did you mean 'meeting' (A meeting "
         "between the two sides, as the text calls it)? The values: visit, arrival, welcoming_ceremony, talks, meeting, signing, joint_statement, "
         "press_conference, summit, announcement. " + TABLES_PY.format(constant="EVENT_TYPES, each type with its CAMEO code")),
        (lambda d: d["events"][0].__setitem__("type", "banquet"),
         "{DOC}:{events.0.type}: events[1] (visit), key type: 'banquet' is not in the event_type vocabulary, and no value is close. The values: "
         "visit: A leader's visit to the other country as a whole; parent of the events during it. arrival: The visitor's arrival in a city or "
         "at a venue. welcoming_ceremony: An official welcoming ceremony held by the host. talks: Talks between the two sides, as the text calls "
         "them. meeting: A meeting between the two sides, as the text calls it. signing: The signing, or witnessed signing, of agreements or "
         "other documents. joint_statement: A joint statement signed or issued by both sides. press_conference: A joint press conference or "
         "joint meeting with the press. summit: A multilateral summit the text refers to with a date or place. announcement: A leader "
         "announcing or introducing an initiative, referred to with a date or place. "
         + TABLES_PY.format(constant="EVENT_TYPES, each type with its CAMEO code")),
        (lambda d: d["pledges"][0].__setitem__("target_unit", "tonne"),
         "{DOC}:{pledges.0.target_unit}: pledges[1] (political-security-ties), key target_unit: 'tonne' is not in the unit vocabulary, and no "
         "value is close. The values: USD: United States dollars. year: Years. day: Days. count: A count of things. " + TABLES_PY.format(constant="UNIT")),
        (lambda d: d["events"][0].__setitem__("plover_context", ["diplomatic", "economy"]),
         "{DOC}:{events.0.plover_context}: events[1] (visit), key plover_context: 'economy' is not in the plover_context vocabulary; did you mean "
         "'economic' (The event concerns economic matters)? The values: military, executive, legislative, economic, legal, diplomatic, territory, "
         "health, natural_resource, environment, technology, terrorism, crime, human_security, migration, disasters. "
         + TABLES_PY.format(constant="PLOVER_CONTEXT")),
    ],
    ids=["role-vistor", "type-meetng", "visit-type-banquet", "target-unit-tonne", "plover-context-list"],
)
def test_a_value_outside_its_vocabulary_is_refused_at_its_line(repo: Path, mutate, message: str) -> None:
    """The cause, at its line in the curation file, before any row is built: no [required] cameo_code, [parent_is_visit] or
    CSV-against-Parquet line follows from it, because nothing is built from it."""
    data = load(repo)
    mutate(data)
    save(repo, data)
    text = (repo / DOC).read_text(encoding="utf-8")
    assert error_for(repo) == re.sub(r"\{([A-Za-z_.0-9]+)\}", lambda m: DOC if m[1] == "DOC" else position(text, m[1]), message)


def test_a_country_outside_its_vocabulary_is_refused_in_people_yaml(repo: Path) -> None:
    people = repo / "curation" / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("xi-jinping: {name: Xi Jinping, country: CHN}",
                                                                 "xi-jinping: {name: Xi Jinping, country: CNH}"), encoding="utf-8")
    line = people.read_text(encoding="utf-8").splitlines().index("xi-jinping: {name: Xi Jinping, country: CNH}") + 1
    assert error_for(repo) == (
        f"curation/people.yaml:{line}:32: xi-jinping, key country: 'CNH' is not in the country vocabulary; did you mean 'CHN' (China)? "
        "The values: CHN, KAZ. " + TABLES_PY.format(constant="COUNTRY")
    )


def test_a_built_row_that_breaks_a_rule_names_its_curation_record_and_key(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cnkz.cli import main

    doc = repo / DOC
    old = "    summary: Jia, chairman of the CPPCC National Committee, arrives in Astana on Tuesday afternoon.\n"
    text = doc.read_text(encoding="utf-8")
    assert old in text
    doc.write_text(text.replace(old, old.replace("arrives", "happily arrives")), encoding="utf-8")
    line = doc.read_text(encoding="utf-8").splitlines().index(old.replace("arrives", "happily arrives").rstrip("\n")) + 1
    assert main(["build", "--root", str(repo)]) == 1
    assert capsys.readouterr().err == "\n".join([
        "1 problem",
        "",
        "1. [summary_supported] events row 2 (2010-jia-qinglin-astana.arrival) column summary",
        "   expected: every word of the event's summary accounted for by its quote (or naming the kind of event)",
        "   found:    Jia, chairman of the CPPCC National Committee, happily arrives in Astana on Tuesday afternoon.",
        f"   to fix:   this row comes from {DOC}:{line}:5 (events[2]), key summary: make the change there, then run `cnkz build` again",
        "cnkz: 1 validation problem(s); nothing was published (exit status 1)",
        "",
    ])


def test_adding_a_value_to_a_vocabulary_as_the_curation_guide_says(repo: Path) -> None:
    """CURATION.md's steps, followed on a copy: the refusal points at the section; the value added to tables.py; build, docs,
    figures and validate pass; `cnkz diff` says MINOR."""
    import os
    import shutil
    import subprocess
    import sys

    from .conftest import ROOT

    guide = (ROOT / "CURATION.md").read_text(encoding="utf-8")
    section = guide.split("\n## Adding a value to a vocabulary\n", 1)[1].split("\n## ", 1)[0]
    assert "`src/cnkz/tables.py`" in section and '`("tonne", "Metric\n   tonnes."),` in `UNIT`' in section
    assert "**MINOR**" in section and "`a MINOR change: rows, columns or vocabulary values added, nothing removed or\n   retyped`" in section
    commands = re.findall(r"`cnkz (\w+)`", section)
    assert commands == ["build", "docs", "figures", "validate", "diff"]

    data = load(repo)
    data["pledges"][0].update(target_unit="tonne")
    save(repo, data)
    assert "see CURATION.md, 'Adding a value to a vocabulary'" in error_for(repo)  # step 0: the refusal says where to go
    data["pledges"][0].update(target_unit=None)
    save(repo, data)

    tables = repo / "src" / "cnkz" / "tables.py"  # step 1, in the copy's own source
    source = tables.read_text(encoding="utf-8")
    last = '        ("count", "A count of things."),\n'
    assert last in source
    tables.write_text(source.replace(last, last + '        ("tonne", "Metric tonnes."),\n'), encoding="utf-8")
    before = repo.parent / "before"
    before.mkdir()
    shutil.copy2(repo / "datapackage.json", before)
    shutil.copytree(repo / "resources", before / "resources")
    env = {**os.environ, "PYTHONPATH": str(repo / "src")}

    def cnkz(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cnkz.cli", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)

    for command in commands[:-1]:  # step 2, the commands as the section names them
        result = cnkz(command)
        assert result.returncode == 0, (command, result.stderr)
    assert "| `tonne` | Metric tonnes. |" in (repo / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert "  - `tonne`: Metric tonnes." in (repo / "CURATION.md").read_text(encoding="utf-8")
    result = cnkz("diff", str(before), ".")  # step 3
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": a MINOR change: rows, columns or vocabulary values added, nothing removed or retyped")
    assert any("tonne" in line for line in lines), lines
