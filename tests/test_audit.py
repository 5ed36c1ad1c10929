from __future__ import annotations

from pathlib import Path

import pytest

from cnkz.audit import check_coverage, findings, items, prose_lines
from cnkz.curation import Document, Exclusion

DOC = "curation/2024-wang-yi-astana.yaml"
SEED = "seeds/004_261aea078445e1a4.txt"
SISTERS = "A total of 26 pairs of sister provinces and cities have been established between the two countries."


def test_the_curation_covers_every_number_and_name() -> None:
    from .conftest import ROOT

    assert check_coverage(ROOT) == []


def test_items_finds_numbers_words_and_names() -> None:
    text = "Over 10,000 students; five institutes. Zhang Wei met Murat Nurtleu in the Golden Hall on May 20."
    found = [(i.kind, i.text) for i in items(text, 0, len(text))]
    assert found == [
        ("number", "10,000"), ("number", "five"), ("name", "Zhang Wei"), ("name", "Murat Nurtleu"), ("number", "20"),
    ]


def drop_record(repo: Path, marker: str) -> None:
    """Remove the YAML list item that contains `marker` (items start with '  - ')."""
    path = repo / DOC
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hit = next(i for i, line in enumerate(lines) if marker in line)
    start = max(i for i in range(hit + 1) if lines[i].startswith("  - "))
    end = next((i for i in range(hit + 1, len(lines)) if lines[i].startswith("  - ") or not lines[i].startswith(" ")), len(lines))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("key: sister-regions", [("number", "'26'")]),
        ("key: capacity-projects-total", [("number", "'45'")]),
    ],
)
def test_an_uncurated_number_fails_with_its_location(repo: Path, marker: str, expected: list[tuple[str, str]]) -> None:
    drop_record(repo, marker)
    problems = check_coverage(repo)
    assert [(p.column, p.found) for p in problems] == expected
    assert problems[0].table == SEED
    assert problems[0].row.startswith("line ")
    assert problems[0].expected == (
        "a figures row whose value_text holds it, a date in the quote of the event or pledge it dates, or an exclusion, in "
        "curation/2024-wang-yi-astana.yaml"
    )


def test_an_audit_line_says_what_to_do(repo: Path) -> None:
    drop_record(repo, "key: sister-regions")
    text = (repo / SEED).read_text(encoding="utf-8")
    (problem,) = check_coverage(repo)
    assert problem.row == f"line {text.count(chr(10), 0, text.index(SISTERS)) + 1}, char {text.index(SISTERS) + len('A total of ')}"
    assert problem.advice == (
        "add a figure row for it (value_text: the number as printed, quote: its sentence); if it is a date, quote it in the event or "
        "pledge it dates; to leave it uncounted on purpose, add to exclusions: "
        f'{{text: "26", quote: "{SISTERS}", reason: "<why it is no figure>"}}'
    )


def test_an_uncurated_person_fails(repo: Path) -> None:
    path = repo / DOC
    text = path.read_text(encoding="utf-8")
    for person in ("kassym-jomart-tokayev",):
        start = text.index(f"    person: {person}")
        item_start = text.rindex("  - event:", 0, start)
        item_end = text.index("  - event:", start)
        text = text[:item_start] + text[item_end:]
    path.write_text(text, encoding="utf-8")
    problems = check_coverage(repo)
    assert [(p.column, p.found) for p in problems] == [("name", "'Kassym-Jomart Tokayev'")]
    assert problems[0].expected == (
        "a participants row whose person has this name (curation/people.yaml), or an exclusion, in curation/2024-wang-yi-astana.yaml"
    )
    assert problems[0].advice.startswith(
        'add a participants row for the person (name_in_source: "Kassym-Jomart Tokayev"), or quote it in the participants row of the '
        "person it names; to leave it uncounted on purpose (not a person, or a person in no event), add to exclusions: "
        '{text: "Kassym-Jomart Tokayev", quote: "'
    )
    assert problems[0].advice.endswith('", reason: "<why it is no participant>"}')


def test_an_exclusion_covers_an_item(repo: Path) -> None:
    drop_record(repo, "key: sister-regions")
    path = repo / DOC
    path.write_text(path.read_text(encoding="utf-8").replace(
        "exclusions: []",
        "exclusions:\n  - text: \"26\"\n    quote: A total of 26 pairs\n    reason: Test exclusion.\n",
    ), encoding="utf-8")
    assert check_coverage(repo) == []


# ---------------------------------------------------------------- what covers an item, on documents written for the test

BODY = (
    "ASTANA, May 2 (Xinhua) -- Premier Li Qiang met President Nursultan Nazarbaev, and the two sides agreed to raise trade to 40 "
    "billion U.S. dollars by 2030 and to fight the three forces. Trade reached 41 billion U.S. dollars in 2023, and the two sides "
    "opened 5 new crossings."
)


def document(text: str, **rows: list[dict]) -> Document:
    body = text.index("ASTANA"), text.index("crossings.") + len("crossings.")
    tables = {"sources": [{"body_start": body[0], "body_end": body[1]}], "events": [], "participants": [], "pledges": [], "figures": [],
              **rows}
    return Document("2026-test", "seeds/999_test.txt", text, tables, ())


def quoted(text: str, quote: str, **row: object) -> dict:
    start = text.index(quote)
    return {"quote": quote, "char_start": start, "char_end": start + len(quote), **row}


def test_a_number_a_row_records_and_a_name_a_participant_row_covers_are_not_reported() -> None:
    pledge = quoted(BODY, "the two sides agreed to raise trade to 40 billion U.S. dollars by 2030 and to fight the three forces",
                    target_value=4e10, deadline=2030, statement="China and Kazakhstan agree to raise trade to 40 billion U.S. dollars by 2030 "
                    "and to fight the three forces.")
    figure = quoted(BODY, "Trade reached 41 billion U.S. dollars in 2023", value_text="41 billion U.S. dollars", period="2023")
    people = [quoted(BODY, "Premier Li Qiang met", name="Li Qiang", name_in_source="Li Qiang"),
              quoted(BODY, "President Nursultan Nazarbaev", name="Nursultan Nazarbayev", name_in_source="Nazarbayev")]
    meeting = quoted(BODY, "ASTANA, May 2 (Xinhua) -- Premier Li Qiang met President Nursultan Nazarbaev")
    doc = document(BODY, events=[meeting], pledges=[pledge], figures=[figure], participants=people)
    # The event's date (May 2), the pledge's own target (40 billion) and what its statement repeats (three), the figure's own period (2023), the
    # participant's name in a longer run (Premier Li Qiang) and a spelling in the participant row's quote: all covered.
    assert [(f.item.kind, f.item.text, f.outside) for f in findings(doc)] == [("number", "5", False)]


def test_without_the_rows_every_item_is_reported() -> None:
    found = [(f.item.kind, f.item.text) for f in findings(document(BODY))]
    assert found == [
        ("number", "2"), ("name", "Premier Li Qiang"), ("name", "Nursultan Nazarbaev"), ("number", "40"), ("number", "billion"),
        ("number", "2030"), ("number", "three"), ("number", "41"), ("number", "billion"), ("number", "2023"), ("number", "5"),
    ]


def test_running_text_outside_the_body_is_reported_and_furniture_is_not() -> None:
    text = ("2026-05-02 Source: Xinhua\nPresidents meet in Astana\n\n" + BODY + "\n\nBoth sides signed 12 documents.\n\n"
            "Previous Page 1 2 Next Page\n  • Racist, abusive and off-topic comments may be removed by the moderator.\n")
    assert [text[s:e] for s, e in prose_lines(text)] == [BODY, "Both sides signed 12 documents."]
    outside = [(f.item.text, f.outside) for f in findings(document(text)) if f.outside]
    assert outside == [("12", True)]
    twelve = text.index("12 documents")
    excluded = Document("2026-test", "seeds/999_test.txt", text, document(text).rows, (Exclusion("12", "furniture", twelve, twelve + 2),))
    assert [f for f in findings(excluded) if f.outside] == []
