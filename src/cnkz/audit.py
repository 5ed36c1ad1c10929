"""Coverage audit: every number and person-like name in an article body is curated or excluded."""

from __future__ import annotations

import json
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


# A line that reads as running text: it starts with a letter, a digit or a quote mark (not a bullet), has four words or more,
# and ends a sentence. Page furniture ("Previous Page 1 2 Next Page", "Updated: 2011-06-14 06:24", a headline) does not.
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*(?:\s*\[[^\]]*\])?$")  # a photo caption may end in its credit, "[Photo/Xinhua]"
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
WORD_VALUES = {word: float(n) for n, word in enumerate(NUMBER_WORDS[:18], start=3)} | {
    "thirty": 30.0, "forty": 40.0, "fifty": 50.0, "sixty": 60.0, "seventy": 70.0, "eighty": 80.0, "ninety": 90.0, "hundred": 100.0,
}
NUMBER_PHRASE = re.compile(r"(\d+(?:[.,]\d+)*|\b(?:" + "|".join(WORD_VALUES) + r")\b)(?:\s+(thousand|million|billion)\b)?", re.IGNORECASE)


def prose_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` that reads as running text (SENTENCE_END), without its surrounding spaces."""
    spans, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        start = offset + len(line) - len(line.lstrip())
        offset += len(line) + 1
        if len(stripped.split()) >= 4 and (stripped[0].isalnum() or stripped[0] in "\"'\u201c\u2018") and SENTENCE_END.search(stripped):
            spans.append((start, start + len(stripped)))
    return spans


def sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around text[start:end]: from after the previous '. ' or line break to the next."""
    stop = text.rfind(". ", 0, start)
    first = max(stop + 2 if stop != -1 else 0, text.rfind("\n", 0, start) + 1)
    ends = [e for e in (text.find(". ", end), text.find("\n", end)) if e != -1]
    last = min(ends) + 1 if ends else len(text)
    return " ".join(text[first:last].split())


def _numbers(text: str, offset: int) -> list[tuple[int, int, float]]:
    """Each number of `text` with its scale word ("40 billion"), as (start, end, value) with offsets from `offset`."""
    found = []
    for match in NUMBER_PHRASE.finditer(text):
        digits = match[1].replace(",", "")
        try:
            value = WORD_VALUES[digits.lower()] if digits.lower() in WORD_VALUES else float(digits)
        except ValueError:
            continue
        found.append((offset + match.start(), offset + match.end(), value * SCALES.get((match[2] or "").lower(), 1.0)))
    return found


def _inside(item: Item, spans: list[tuple[int, int]]) -> bool:
    return any(s <= item.start and item.end <= e for s, e in spans)


def _recorded_numbers(doc: Document) -> list[tuple[int, int]]:
    """Numbers a row records in its own quote, beyond figures' value_text: a pledge's target value and deadline and any
    number its statement repeats ("the three forces"), and a year that is a figure's own period."""
    spans = []
    for pledge in doc.rows["pledges"]:
        quote, start = pledge["quote"], pledge["char_start"]
        targets = {float(v) for v in (pledge.get("target_value"), pledge.get("deadline")) if v is not None}
        stated = {m.group().lower() for m in NUMBER.finditer(pledge.get("statement") or "")}
        for s, e, value in _numbers(quote, start):
            if value in targets or doc.text[s:e].split()[0].lower() in stated:
                spans.append((s, e))
    for figure in doc.rows["figures"]:
        year = str(figure.get("period") or "")[:4]
        if year.isdigit():
            spans += [(figure["char_start"] + m.start(), figure["char_start"] + m.end())
                      for m in re.finditer(rf"\b{year}\b", figure["quote"])]
    return spans


def _name_covered(item: Item, doc: Document) -> bool:
    """A name is covered by a participants row: it is (part of) the row's name or name_in_source, it holds the full name
    ("Premier Li Qiang"), or it lies in the row's own quote and shares a word with the name."""
    words = item.text.split()
    for p in doc.rows["participants"]:
        for name in {p["name"], p["name_in_source"]}:
            parts = name.split()
            if item.text in name or (len(parts) >= 2 and _holds(words, parts)):
                return True
            if p["char_start"] <= item.start and item.end <= p["char_end"] and set(parts) & set(words):
                return True
    return False


def _holds(words: list[str], parts: list[str]) -> bool:
    return any(words[i:i + len(parts)] == parts for i in range(len(words) - len(parts) + 1))


@dataclass(frozen=True)
class Finding:
    """An item of a text that no row covers; `outside` when it lies outside the body but in running text."""

    item: Item
    outside: bool = False


def findings(doc: Document) -> list[Finding]:
    """The numbers and names of the body that no row or exclusion covers, and those of running text outside the body."""
    source = doc.rows["sources"][0]
    body = (source["body_start"], source["body_end"])
    figure_spans = []
    for figure in doc.rows["figures"]:
        offset = figure["quote"].find(figure["value_text"])
        s = figure["char_start"] + offset
        figure_spans.append((s, s + len(figure["value_text"])))
    # Dates and deadline years are recorded on the events and pledges whose quotes hold them.
    dated_spans = [(r["char_start"], r["char_end"]) for table in ("events", "pledges") for r in doc.rows[table]]
    date_spans = [(s + m.start(), s + m.end()) for s, e in dated_spans for m in DATE_NUMBER.finditer(doc.text[s:e])]
    number_spans = figure_spans + date_spans + _recorded_numbers(doc)
    excluded = [(x.start, x.end) for x in doc.exclusions]
    missing = []
    for item in items(doc.text, *body):
        if _inside(item, excluded):
            continue
        if item.kind == "number" and _inside(item, number_spans):
            continue
        if item.kind == "name" and _name_covered(item, doc):
            continue
        missing.append(Finding(item))
    outside = [span for span in prose_lines(doc.text) if span[1] <= body[0] or span[0] >= body[1]]
    for start, end in outside:
        missing += [Finding(item, outside=True) for item in items(doc.text, start, end) if not _inside(item, excluded)]
    return sorted(missing, key=lambda f: (f.item.start, f.item.kind))


def uncovered(doc: Document) -> list[Item]:
    """The items of `findings`, inside the body and out."""
    return [finding.item for finding in findings(doc)]


def line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, char {offset}"


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _exclusion(item: Item, quote: str, reason: str) -> str:
    return f"{{text: {_yaml(item.text)}, quote: {_yaml(quote)}, reason: {_yaml(reason)}}}"


def _body_key(root: Path, source_id: str) -> str:
    """`curation/<source>.yaml:<line>:<column>` of the source's body key, or the file alone."""
    from .curation import load_yaml_positions

    shown = f"curation/{source_id}.yaml"
    try:
        _, positions = load_yaml_positions(root / shown)
    except CnkzError:
        return shown
    where = positions.keys.get(("source", "body"))
    return f"{shown}:{where[0]}:{where[1]}" if where else shown


def coverage_problem(root: Path, doc: Document, finding: Finding) -> Problem:
    """One line of the coverage audit: where the item is, what would cover it, and what to do."""
    item, curation = finding.item, f"curation/{doc.source_id}.yaml"
    said = sentence(doc.text, item.start, item.end)
    where = line_col(doc.text, item.start)
    if finding.outside:
        source = doc.rows["sources"][0]
        side = "after the body's last words" if item.start >= source["body_end"] else "before the body's first words"
        return Problem(
            "coverage", doc.path, where, item.kind, f"inside the body that source.body of {curation} bounds, or an exclusion",
            f"{item.text!r} outside the body: check body bounds",
            f"the sentence {_yaml(said)} comes {side} ({_body_key(root, doc.source_id)}, key body): if it is article text, move "
            f"body.{'last' if item.start >= source['body_end'] else 'first'} to take it in and curate the {item.kind}; if it is page "
            f"furniture, mark it uncounted on purpose in exclusions: {_exclusion(item, said, 'Page furniture, not article text.')}",
        )
    if item.kind == "number":
        return Problem(
            "coverage", doc.path, where, item.kind,
            f"a figures row whose value_text holds it, a date in the quote of the event or pledge it dates, or an exclusion, in {curation}",
            repr(item.text),
            f"add a figure row for it (value_text: the number as printed, quote: its sentence); if it is a date, quote it in "
            f"the event or pledge it dates; to leave it uncounted on purpose, add to exclusions: "
            f"{_exclusion(item, said, '<why it is no figure>')}",
        )
    return Problem(
        "coverage", doc.path, where, item.kind,
        f"a participants row whose person has this name (curation/people.yaml), or an exclusion, in {curation}", repr(item.text),
        f"add a participants row for the person (name_in_source: {_yaml(item.text)}), or quote it in the participants row of the "
        f"person it names; to leave it uncounted on purpose (not a person, or a person in no event), add to exclusions: "
        f"{_exclusion(item, said, '<why it is no participant>')}",
    )


def check_coverage(root: Path, documents: list[Document] | None = None) -> list[Problem]:
    """Every number and name of the texts is curated or excluded (`documents`: curate(root)'s, if already done)."""
    if documents is None:
        try:
            _, documents = curate(root)
        except CnkzError as exc:
            return [Problem("coverage", "curation", "", "", "curation that loads", str(exc))]
    return [coverage_problem(Path(root), doc, finding) for doc in documents for finding in findings(doc)]


def unsupported_statements(root: Path) -> list[tuple[str, list[str]]]:
    """Each curated pledge whose statement has words its quote does not account for, with those words."""
    rows, _ = curate(root)
    out = []
    for pledge in rows["pledges"]:
        words = unsupported_words(pledge["statement"], pledge["quote"])
        if words:
            out.append((pledge["pledge_id"], words))
    return out
