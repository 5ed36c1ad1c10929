"""Coverage audit: every number and person-like name in an article body is curated or excluded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .curation import Document, curate
from .errors import CnkzError, Problem
from .statements import unsupported_words

NUMBER_WORDS = (
    "three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "thousand million billion"
).split()
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_NUMBER = re.compile(rf"(?:{MONTHS}) \d{{1,2}}(?:, \d{{4}})?|\b(?:19|20)\d\d\b|\b\d{{1,2}}:\d\d\b")
CAPITALISED = re.compile(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*(?: [A-Z][a-z]+(?:-[A-Z]?[a-z]+)*)+")

# Words that are never part of a person's name in these texts: titles, institutions, places,
# initiatives. What remains of a capitalised run must be a curated person or an exclusion.
NOT_NAMES = frozenset("""
A About Accompanied Affairs After Agencies Ak All Also And Arrival As Asia Asian Astana At Before Belt Both
Bright Building Bureau But Campus Caspian Center Central Chairman China Chinese Civilization Committee
Communist Confidence Conference Congress Consultative Cooperation Corridor Currently Deputy Development
Digital Disarmament Dongdamen Dry Economic Eurasian Europe Expo First For Foreign Fourth Friendship From
Games General Global Golden Good Guangzhou Hall Heads Horgos Human In Initiative Institute Institutes
Interaction International It Joint Kazakh Kazakhstan Land Last Lianyungang Logistics Luban Maritime Measures
Meanwhile Meets Minister Ministry National Neighborly New Northwestern On Orda Organization Palace Party
People Policy Political Polytechnical Port Presidential President Prime Railway Republic Rights Road
Second Secretary Security Shanghai Silk Since Sino Speaking Spirit Spokesperson Standing State Statement Strategic
Summit Th The Third This To Tourism Trans Treaty Under United University Upon Vice West Winter With
Workshop World Year Xi'an
""".split())


@dataclass(frozen=True)
class Item:
    kind: str  # "number" or "name"
    text: str
    start: int
    end: int


def _not_a_name(token: str) -> bool:
    return token.endswith("'s") or all(part in NOT_NAMES for part in token.split("-") if part)


def items(text: str, start: int, end: int) -> list[Item]:
    """Numbers and person-like capitalised runs in text[start:end]."""
    body = text[start:end]
    found = [Item("number", m.group(), start + m.start(), start + m.end()) for m in NUMBER.finditer(body)]
    for match in CAPITALISED.finditer(body):
        run: list[tuple[str, int]] = []
        offset = match.start()
        for token in [*match.group().split(" "), ""]:
            if token and not _not_a_name(token):
                run.append((token, offset))
            else:
                if len(run) >= 2:
                    first, last = run[0], run[-1]
                    s, e = start + first[1], start + last[1] + len(last[0])
                    found.append(Item("name", text[s:e], s, e))
                run = []
            offset += len(token) + 1
    return sorted(found, key=lambda i: (i.start, i.kind))


def uncovered(doc: Document) -> list[Item]:
    source = doc.rows["sources"][0]
    figure_spans = []
    for figure in doc.rows["figures"]:
        offset = figure["quote"].find(figure["value_text"])
        s = figure["char_start"] + offset
        figure_spans.append((s, s + len(figure["value_text"])))
    # Dates and deadline years are recorded on the events and pledges whose quotes hold them.
    dated_spans = [(r["char_start"], r["char_end"]) for table in ("events", "pledges") for r in doc.rows[table]]
    date_spans = [(s + m.start(), s + m.end()) for s, e in dated_spans for m in DATE_NUMBER.finditer(doc.text[s:e])]
    names = set()
    for p in doc.rows["participants"]:
        names.update({p["name"], p["name_in_source"]})
    excluded = {(x.start, x.end) for x in doc.exclusions}
    missing = []
    for item in items(doc.text, source["body_start"], source["body_end"]):
        if any(s <= item.start and item.end <= e for s, e in excluded):
            continue
        if item.kind == "number":
            spans = figure_spans + date_spans
            if any(s <= item.start and item.end <= e for s, e in spans):
                continue
        elif any(item.text in name for name in names):
            continue
        missing.append(item)
    return missing


def line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, char {offset}"


def check_coverage(root: Path, documents: list[Document] | None = None) -> list[Problem]:
    """Every number and name of the texts is curated or excluded (`documents`: curate(root)'s, if already done)."""
    if documents is None:
        try:
            _, documents = curate(root)
        except CnkzError as exc:
            return [Problem("coverage", "curation", "", "", "curation that loads", str(exc))]
    problems = []
    for doc in documents:
        for item in uncovered(doc):
            problems.append(Problem(
                "coverage", doc.path, line_col(doc.text, item.start), item.kind,
                f"a curated row or an exclusion in curation/{doc.source_id}.yaml", repr(item.text),
            ))
    return problems


def unsupported_statements(root: Path) -> list[tuple[str, list[str]]]:
    """Each curated pledge whose statement has words its quote does not account for, with those words."""
    rows, _ = curate(root)
    out = []
    for pledge in rows["pledges"]:
        words = unsupported_words(pledge["statement"], pledge["quote"])
        if words:
            out.append((pledge["pledge_id"], words))
    return out
