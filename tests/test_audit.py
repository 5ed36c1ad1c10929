from __future__ import annotations

from pathlib import Path

import pytest

from cnkz.audit import check_coverage, items

DOC = "curation/2024-wang-yi-astana.yaml"


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
    assert problems[0].table == "seeds/004_261aea078445e1a4.txt"
    assert problems[0].row.startswith("line ")
    assert problems[0].expected == "a curated row or an exclusion in curation/2024-wang-yi-astana.yaml"


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


def test_an_exclusion_covers_an_item(repo: Path) -> None:
    drop_record(repo, "key: sister-regions")
    path = repo / DOC
    path.write_text(path.read_text(encoding="utf-8").replace(
        "exclusions: []",
        "exclusions:\n  - text: \"26\"\n    quote: A total of 26 pairs\n    reason: Test exclusion.\n",
    ), encoding="utf-8")
    assert check_coverage(repo) == []
