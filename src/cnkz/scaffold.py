"""`cnkz new`: the curation file of a new source text, filled as far as the text allows.

What the text gives (checksum, title, printed date, body bounds) is filled in and marked for
review; what needs a curator's reading says TODO, which the loader refuses with a list of every
place still to fill; every number and name the coverage audit will ask about is listed as a
comment, with its sentence, where its rows go.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .audit import Item, items, prose_lines, sentence
from .curation import LIST_SECTIONS, SPECS, load_people
from .errors import CurationError
from .sources import read_text, sha256_file

TODO = "TODO"
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MONTHS = "January February March April May June July August September October November December".split()
DATE = re.compile(rf"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b|\b({'|'.join(MONTHS)}) (\d{{1,2}}), ((?:19|20)\d\d)\b")
# What each list section's comment block lists from the audit, and what the curator does with it.
CANDIDATES = {
    "participants": ("name", "names in the body: each needs a participants row (its person in curation/people.yaml) or an exclusion"),
    "figures": ("number", "numbers in the body: each needs a figures row, a date on an event or pledge whose quote holds it, or an exclusion"),
}


@dataclass(frozen=True)
class Scaffolded:
    path: Path
    todo: int  # values the curator must fill
    candidates: int  # numbers and names listed as comments


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _title(text: str) -> str | None:
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 4 and "Source:" not in line and not DATE.search(line) and len(line) < 200:
            return " ".join(words)
    return None


def _dates(text: str) -> list[tuple[str, dt.date]]:
    """Dates printed in the text, in order: (as printed, as a date)."""
    found = []
    for match in DATE.finditer(text):
        try:
            year, month, date = (match[1], match[2], match[3]) if match[1] else (match[6], MONTHS.index(match[4]) + 1, match[5])
            day = dt.date(int(year), int(month), int(date))
        except ValueError:
            continue
        found.append((match[0], day))
    return found


def _unique_words(text: str, words: list[str], from_end: bool) -> str | None:
    """The shortest run of at least four words at the start (or end) of `words` that occurs once in `text`."""
    for size in range(min(4, len(words)), len(words) + 1):
        phrase = " ".join(words[-size:] if from_end else words[:size])
        if text.count(phrase) == 1:
            return phrase
    return None


def _body(text: str) -> tuple[str | None, str | None]:
    """First and last words of the body: from the first line of twelve words or more that reads as running text
    (audit.prose_lines) to the last line after it that does, however short; page furniture, headlines and bullets are
    neither. Without such lines, the first and last lines of twelve words or more."""
    prose = [text[s:e] for s, e in prose_lines(text)]
    long = [line for line in prose if len(line.split()) >= 12] or [line.strip() for line in text.splitlines() if len(line.split()) >= 12]
    if not long:
        return None, None
    begins = text.find(long[0])
    closing = [line for line in prose if text.rfind(line) >= begins] or [long[-1]]
    return _unique_words(text, long[0].split(" "), False), _unique_words(text, closing[-1].split(" "), True)


def _bounds_review(text: str, first: str | None, last: str | None) -> list[str]:
    """REVIEW comments showing the body's first and last sentences as guessed, and the running text left outside it."""
    if not first or not last:
        return ["  # REVIEW: no body found; set body.first and body.last to the first and last words of the article"]
    start, end = text.find(first), text.find(last) + len(last)
    lines = [
        "  # REVIEW the body's bounds: the coverage audit asks only about the numbers and names between them.",
        f"  #   first sentence: {_q(sentence(text, start, start + len(first)))}",
        f"  #   last sentence:  {_q(sentence(text, end - len(last), end))}",
    ]
    left = [text[s:e] for s, e in prose_lines(text) if e <= start or s >= end]
    lines += [f"  #   running text outside the body (the audit reports its numbers and names): {_q(line)}" for line in left]
    after = " ".join(text[end:].split())
    shown = _q(after[:160] + ("…" if len(after) > 160 else "")) if after else "nothing, the text ends there"
    lines.append(f"  #   after the body: {shown}")
    return lines


def _sentence(text: str, item: Item) -> str:
    return sentence(text, item.start, item.end)


def _template(section: str) -> list[str]:
    """One record with every field of the section: TODO where required, null where optional."""
    lines = []
    for index, (name, (_, required)) in enumerate(SPECS[section].items()):
        value = _q(TODO) if required else "null"
        lines.append(f"  {'- ' if index == 0 else '  '}{name}: {value}")
    return lines


def scaffold(root: Path, text: Path, *, source_id: str | None = None) -> Scaffolded:
    """Write curation/<source_id>.yaml for `text` (a .txt file in seeds/); never overwrites a file."""
    root = Path(root).resolve()
    path = (text if text.is_absolute() else Path.cwd() / text).resolve()
    if not path.is_relative_to(root / "seeds") or path.suffix != ".txt":
        raise CurationError("the source text must be a .txt file in seeds/ (copy it there byte for byte first)", file=str(text))
    content = read_text(path)
    relative = path.relative_to(root).as_posix()
    for existing in sorted((root / "curation").glob("*.yaml")):
        if re.search(rf"^\s*file:\s*['\"]?{re.escape(relative)}['\"]?\s*$", existing.read_text(encoding="utf-8"), re.MULTILINE):
            raise CurationError(f"{relative} is already curated in curation/{existing.name}", file=relative)
    title = _title(content)
    dates = _dates(content)
    first, last = _body(content)
    if source_id is None:
        words = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-").split("-")[:5]
        source_id = "-".join([str(dates[0][1].year) if dates else "undated", *[w for w in words if w]])
    if not ID.match(source_id):
        raise CurationError("a source id is lower-case letters, digits and single hyphens, e.g. 2026-li-qiang-astana", field="id")
    target = root / "curation" / f"{source_id}.yaml"

    printed, day = dates[0] if dates else (None, None)
    lines = [
        f"# Curation of {relative}, started by `cnkz new`. See CURATION.md for the rules of every field.",
        f"# The text: sha256 {sha256_file(path)}, {path.stat().st_size} bytes (the build records both in `sources`).",
        "# Fill every TODO (`cnkz build` lists those left) and check every line marked REVIEW.",
        "source:",
        f"  id: {source_id}",
        f"  file: {relative}",
        f"  title: {_q(title or TODO)}" + ("  # REVIEW: the first line of four words or more" if title else ""),
        "  outlet: null  # REVIEW: the publisher the page names, if any",
        "  agency: null  # REVIEW: the news agency the story is credited to, if named",
        f"  published_date: {_q(printed) if printed else 'null'}" + ("  # REVIEW: the first date printed in the text" if printed else ""),
        f"  published_on: {day.isoformat() if day else 'null'}",
        f"  reference_date: {day.isoformat() if day else _q(TODO)}" + ("  # REVIEW: the date relative references resolve against" if day else ""),
        f"  reference_basis: {_q(f'The printed date {printed!r}.' if printed else TODO)}" + ("  # REVIEW" if printed else ""),
        "  language: en",
        f"  body: {{first: {_q(first or TODO)}, last: {_q(last or TODO)}}}  # REVIEW: the first and last words of the article body",
        *_bounds_review(content, first, last),
    ]
    body = (content.find(first) if first else 0, content.find(last) + len(last) if last else len(content))
    found = items(content, *body) if body[1] > body[0] else []
    try:
        people = load_people(root / "curation" / "people.yaml")
    except CurationError:
        people = {}
    known = {p.name: f", person: {p.person_id}" for p in people.values()}
    for section in LIST_SECTIONS:
        lines += ["", f"{section}:"]
        if section in CANDIDATES:
            kind, what = CANDIDATES[section]
            listed = [item for item in found if item.kind == kind]
            lines.append(f"  # {len(listed)} {what}:")
            lines += [f"  #   {item.text} (character {item.start}{known.get(item.text, '')}): {_sentence(content, item)}" for item in listed]
        if section == "exclusions":
            lines.append("  # A number or name that is no row: {text: <the words>, quote: <its sentence>, reason: <why>}. Delete this TODO record if none.")
        else:
            lines.append(f"  # One record per row; copy this one as needed, or delete it if the text gives no {section}.")
        lines += _template(section)
    data = "\n".join(lines) + "\n"
    try:
        with target.open("x", encoding="utf-8", newline="\n") as handle:  # "x": never replace a curation file
            handle.write(data)
    except FileExistsError:
        raise CurationError("already exists; a curation file is never overwritten (pass --id for another name)", file=f"curation/{target.name}") from None
    return Scaffolded(target, data.count(f'"{TODO}"'), len(found))
