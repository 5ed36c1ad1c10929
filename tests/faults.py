# ruff: noqa: E501  (the catalogue reads best one fault per line)
"""The fault catalogue: one function per kind of damage, applied to a copy of the published package.

Each fault names where our validator must point: the check code, the table (resource or file)
and the column; row faults also name the data row (2 = the first row under the header).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cnkz.validation.catalogue import code

from .conftest import NEXT_MAJOR, read_rows, set_cell, write_rows


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Path], int | None]  # returns the faulty data row (0-based) when it is found at injection
    check: str
    table: str
    column: str = ""
    row: int | None = None  # data row as reported (header = 1); None for file-level faults
    rehash: bool = True  # re-sync descriptor hashes so only this fault remains


def rows_of(package: Path, table: str) -> list[list[str]]:
    return read_rows(package / "resources" / f"{table}.csv")


def first_row_where(package: Path, table: str, column: str, predicate: Callable[[str], bool]) -> int:
    rows = rows_of(package, table)
    index = rows[0].index(column)
    return next(i for i, r in enumerate(rows[1:]) if predicate(r[index]))


def cell(table: str, column: str, value: str, row: int = 0) -> Callable[[Path], int | None]:
    def inject(package: Path) -> int:
        set_cell(package, table, row, column, value)
        return row
    return inject


def descriptor_edit(edit: Callable[[dict], None]) -> Callable[[Path], int | None]:
    def inject(package: Path) -> None:
        path = package / "datapackage.json"
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        edit(descriptor)
        path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return inject


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def duplicate_key(package: Path) -> None:
    rows = rows_of(package, "pledges")
    write_rows(package / "resources" / "pledges.csv", [*rows[:2], rows[1], *rows[2:]])


def extra_column(package: Path) -> None:
    rows = rows_of(package, "events")
    write_rows(package / "resources" / "events.csv", [[*r, "note" if i == 0 else "x"] for i, r in enumerate(rows)])


def missing_column(package: Path) -> None:
    rows = rows_of(package, "figures")
    index = rows[0].index("qualifier")
    write_rows(package / "resources" / "figures.csv", [r[:index] + r[index + 1 :] for r in rows])


def swapped_columns(package: Path) -> None:
    rows = rows_of(package, "sources")
    write_rows(package / "resources" / "sources.csv", [[r[0], r[2], r[1], *r[3:]] for r in rows])


def shift_offsets(delta_start: int, delta_end: int) -> Callable[[Path], None]:
    def inject(package: Path) -> None:
        rows = rows_of(package, "pledges")
        header = rows[0]
        for column, delta in (("char_start", delta_start), ("char_end", delta_end)):
            rows[1][header.index(column)] = str(int(rows[1][header.index(column)]) + delta)
        write_rows(package / "resources" / "pledges.csv", rows)
    return inject


def edit_seed(package: Path) -> int:
    seed = package / "seeds" / "000_7928596d57607bdb.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Golden Hall", b"Golden Room"))
    return first_row_where(package, "sources", "path", lambda v: v == "seeds/000_7928596d57607bdb.txt")


def remove_seed(package: Path) -> int:
    (package / "seeds" / "004_261aea078445e1a4.txt").unlink()
    return first_row_where(package, "sources", "path", lambda v: v == "seeds/004_261aea078445e1a4.txt")


def parquet_cell(package: Path) -> int:
    path = package / "resources" / "figures.parquet"
    table = pq.read_table(path)
    values = table.column("value").to_pylist()
    values[1] += 1
    index = table.schema.get_field_index("value")
    pq.write_table(table.set_column(index, table.schema.field("value"), pa.array(values, pa.float64())), path)
    return 1


def parquet_retype(package: Path) -> None:
    path = package / "resources" / "events.parquet"
    table = pq.read_table(path)
    index = table.schema.get_field_index("char_end")
    pq.write_table(table.set_column(index, pa.field("char_end", pa.string()), table.column("char_end").cast(pa.string())), path)


def csv_bytes(transform: Callable[[bytes], bytes], table: str = "participants") -> Callable[[Path], int | None]:
    def inject(package: Path) -> None:
        path = package / "resources" / f"{table}.csv"
        path.write_bytes(transform(path.read_bytes()))
    return inject


def set_where(table: str, column: str, predicate: Callable[[str], bool], target: str, value: str) -> Callable[[Path], int | None]:
    """Set `target` in the first row whose `column` satisfies `predicate`; return that row."""
    def inject(package: Path) -> int:
        row = first_row_where(package, table, column, predicate)
        set_cell(package, table, row, target, value)
        return row
    return inject


def figure_to_other_topic(package: Path) -> int:
    pledges = rows_of(package, "pledges")
    header = pledges[0]
    transport = next(r[0] for r in pledges[1:] if r[header.index("topic")] == "transport" and r[header.index("source_id")] == "2024-wang-yi-astana")
    row = first_row_where(package, "figures", "figure_id", lambda v: v == "2024-wang-yi-astana.trade-2023")
    set_cell(package, "figures", row, "pledge_id", transport)
    return row




def stale_codebook(package: Path) -> None:
    path = package / "docs" / "codebook.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nHand-written note.\n", encoding="utf-8")


def uncovered_number(package: Path) -> None:
    path = package / "curation" / "2024-wang-yi-astana.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - key: sister-regions")
    end = text.index("\nexclusions:")
    path.write_text(text[:start] + text[end + 1 :], encoding="utf-8")


def hand_edit(package: Path) -> None:
    set_cell(package, "events", 0, "summary", "Something else happened.")


def set_cells(table: str, key: str, **values: str) -> Callable[[Path], int | None]:
    """Set several cells of the row whose first column is `key`; return that row."""
    def inject(package: Path) -> int:
        row = first_row_where(package, table, rows_of(package, table)[0][0], lambda v: v == key)
        for column, value in values.items():
            set_cell(package, table, row, column, value)
        return row
    return inject


def version_in_citation(package: Path) -> None:
    path = package / "CITATION.cff"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^version: .*$", "version: 9.9.9", text, count=1, flags=re.MULTILINE), encoding="utf-8")


def quote_before_body(package: Path) -> int:
    """A participant's quote moved onto the page furniture before the body (the headline), offsets and all: only the body rule sees it."""
    sources = {r[0]: r for r in rows_of(package, "sources")[1:]}
    header = rows_of(package, "sources")[0]
    row = 0
    source = sources[rows_of(package, "participants")[1][2]]
    text = (package / source[header.index("path")]).read_text(encoding="utf-8")
    start = 0
    end = min(int(source[header.index("body_start")]), start + 40)
    set_cell(package, "participants", row, "quote", text[start:end].strip())
    start = text.index(text[start:end].strip())
    set_cell(package, "participants", row, "char_start", str(start))
    set_cell(package, "participants", row, "char_end", str(start + len(text[start:end].strip())))
    return row


def drop_row(table: str, predicate: Callable[[list[str]], bool]) -> Callable[[Path], int | None]:
    def inject(package: Path) -> None:
        rows = rows_of(package, table)
        index = next(i for i, r in enumerate(rows) if i > 0 and predicate(r))
        write_rows(package / "resources" / f"{table}.csv", rows[:index] + rows[index + 1 :])
    return inject


XI, WU, HU, WANG = "2017-xi-jinping-astana", "2011-wu-bangguo-kazakhstan", "2011-hu-jintao-astana", "2024-wang-yi-astana"
JIA = "2010-jia-qinglin-astana"


def update_on_a_pledge(package: Path) -> int:
    """An update given the quote and offsets of a pledge of its document: the same words counted as a pledge and an update."""
    pledges = rows_of(package, "pledges")
    header = pledges[0]
    pledge = next(r for r in pledges[1:] if r[0] == f"{WANG}.one-china")
    values = {c: pledge[header.index(c)] for c in ("quote", "char_start", "char_end")}
    return set_cells("pledge_updates", f"{WANG}.core-interests-supported", **values)(package) or 0


def quietly(inject: Callable[[Path], int | None]) -> Callable[[Path], int | None]:
    """The injection without its row: the fault is reported in another table than the one changed."""
    def run(package: Path) -> None:
        inject(package)
    return run


def remove_file(path: str) -> Callable[[Path], int | None]:
    return lambda package: (package / path).unlink()


def write_checksums(package: Path) -> None:
    """A SHA256SUMS listing every file, as in an unpacked release."""
    files = sorted(p for p in package.rglob("*") if p.is_file())
    lines = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(package).as_posix()}\n" for p in files)
    (package / "SHA256SUMS").write_text(lines, encoding="utf-8")


def checksummed_then(change: Callable[[Path], object]) -> Callable[[Path], int | None]:
    def inject(package: Path) -> None:
        write_checksums(package)
        change(package)
    return inject


def parquet_nan(package: Path) -> int:
    path = package / "resources" / "pledges.parquet"
    table = pq.read_table(path)
    index = table.schema.get_field_index("target_value")
    values = table.column("target_value").to_pylist()
    row = next(i for i, v in enumerate(values) if v is not None)
    values[row] = float("nan")
    pq.write_table(table.set_column(index, table.schema.field(index), pa.array(values, pa.float64())), path)
    return row


def fifo_resource(package: Path) -> None:
    path = package / "resources" / "figures.csv"
    path.unlink()
    os.mkfifo(path)


def link_out(package: Path) -> None:
    outside = package.parent / "outside.csv"
    path = package / "resources" / "figures.csv"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)


def deep_descriptor(package: Path) -> None:
    (package / "datapackage.json").write_text('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")


def one_letter_quote(package: Path) -> int:
    rows = rows_of(package, "events")
    header = rows[0]
    start = int(rows[1][header.index("char_start")])
    set_cell(package, "events", 0, "quote", rows[1][header.index("quote")][0])
    set_cell(package, "events", 0, "char_end", str(start + 1))
    return 0


def swap(table: str, key: str, first: str, second: str) -> Callable[[Path], int | None]:
    """Two cells of the row whose first column is `key` typed into each other's place; return that row."""
    def inject(package: Path) -> int:
        rows = rows_of(package, table)
        a, b = rows[0].index(first), rows[0].index(second)
        row = next(i for i, r in enumerate(rows[1:]) if r[0] == key)
        rows[row + 1][a], rows[row + 1][b] = rows[row + 1][b], rows[row + 1][a]
        write_rows(package / "resources" / f"{table}.csv", rows)
        return row
    return inject


def place_under_former_name(package: Path) -> int:
    """A city entered again under its former name: one GeoNames id under two place_ids (the new row is returned)."""
    rows = rows_of(package, "places")
    again = list(next(r for r in rows[1:] if r[0] == "astana"))
    again[0], again[rows[0].index("name")] = "nur-sultan", "Nur-Sultan"
    write_rows(package / "resources" / "places.csv", [*rows, again])
    return len(rows) - 1


def source_row(package: Path, source_id: str) -> tuple[int, Path]:
    """The data row of a source in `sources` and its text file."""
    row = first_row_where(package, "sources", "source_id", lambda v: v == source_id)
    rows = rows_of(package, "sources")
    return row, package / rows[row + 1][rows[0].index("path")]


def size_in_characters(package: Path) -> int:
    """A text's size counted in characters, not bytes (len of the decoded text): short by its multi-byte characters."""
    row, seed = source_row(package, JIA)
    set_cell(package, "sources", row, "bytes", str(len(seed.read_text(encoding="utf-8"))))
    return row


def seed_saved_as_cp1252(package: Path) -> int:
    """A text saved again in Windows-1252, its sources row's sha256 and bytes updated to the new file."""
    row, seed = source_row(package, HU)
    data = seed.read_text(encoding="utf-8").encode("cp1252")
    seed.write_bytes(data)
    set_cell(package, "sources", row, "sha256", hashlib.sha256(data).hexdigest())
    set_cell(package, "sources", row, "bytes", str(len(data)))
    return row


def stray_comma(package: Path) -> None:
    """A second country typed after a comma into an unquoted cell: one row of events has a field more than the header."""
    rows = rows_of(package, "events")
    index = rows[0].index("country")
    rows[1].insert(index + 1, "CHN")
    write_rows(package / "resources" / "events.csv", rows)


def uppercase_checksums(package: Path) -> None:
    """SHA256SUMS as Windows' Get-FileHash prints digests: in upper-case hex."""
    write_checksums(package)
    path = package / "SHA256SUMS"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line[:64].upper() + line[64:] for line in lines), encoding="utf-8")


def newer_data_model(package: Path) -> None:
    """A package of the next major version, whose data model has a column this cnkz does not know."""
    def edit(descriptor: dict) -> None:
        descriptor["version"] = NEXT_MAJOR
        resource(descriptor, "events")["schema"]["fields"].append({"name": "duration_days", "type": "integer"})
    descriptor_edit(edit)(package)


def own_table_added(package: Path) -> None:
    """A table of one's own added beside the published ones, and listed in the descriptor: the visits, out of events."""
    rows = rows_of(package, "events")
    index = rows[0].index("event_type")
    write_rows(package / "resources" / "visits.csv", [rows[0], *(r for r in rows[1:] if r[index] == "visit")])
    descriptor_edit(lambda d: d["resources"].append({**resource(d, "events"), "name": "visits", "path": "resources/visits.csv"}))(package)


def table_moved(package: Path) -> None:
    """A table's CSV moved to another folder, the descriptor's path following it."""
    (package / "data").mkdir()
    (package / "resources" / "places.csv").rename(package / "data" / "places.csv")
    descriptor_edit(lambda d: resource(d, "places").update(path="data/places.csv"))(package)


def misquoted_curation(package: Path) -> None:
    """A quote in curation/ typed with a word its text does not have: the build finds it nowhere."""
    path = package / "curation" / f"{JIA}.yaml"
    text = path.read_text(encoding="utf-8")
    changed = text.replace("arrived in Astana on Tuesday afternoon for", "arrived in Astana on Tuesday evening for", 1)
    assert changed != text, "the quote to misspell is no longer in the curation file"
    path.write_text(changed, encoding="utf-8")


FAULTS: list[Fault] = [
    Fault("duplicate primary key", duplicate_key, "primary_key", "pledges", "pledge_id", 2),
    Fault("dangling foreign key: participants.event_id", cell("participants", "event_id", "2010-jia-qinglin-astana.gala"), "foreign_key", "participants", "event_id", 2),
    Fault("dangling foreign key: pledges.event_id", cell("pledges", "event_id", "2010-jia-qinglin-astana.gala"), "foreign_key", "pledges", "event_id", 2),
    Fault("dangling foreign key: figures.pledge_id", cell("figures", "pledge_id", "2010-jia-qinglin-astana.none"), "foreign_key", "figures", "pledge_id", 2),
    Fault("dangling foreign key: events.source_id", cell("events", "source_id", "1999-nobody"), "foreign_key", "events", "source_id", 2),
    Fault("dangling foreign key: events.parent_event_id", cell("events", "parent_event_id", "2010-jia-qinglin-astana.trip"), "parent_is_visit", "events", "parent_event_id", 2),
    Fault("dangling foreign key: pledges.status_source_id", cell("pledges", "status_source_id", "1999-nobody"), "foreign_key", "pledges", "status_source_id", 2),
    Fault("row id naming another source", cell("figures", "figure_id", "2024-wang-yi-astana.borrowed"), "id_prefix", "figures", "figure_id", 2),
    Fault("value outside a vocabulary", cell("events", "event_type", "banquet"), "vocabulary", "events", "event_type", 2),
    Fault("malformed date", cell("events", "start_date", "2010-11-31"), "type", "events", "start_date", 2),
    Fault("end before start", cell("events", "end_date", "2010-11-01"), "end_before_start", "events", "end_date", 2),
    Fault("negative value", cell("figures", "value", "-3"), "minimum", "figures", "value", 2),
    Fault("non-numeric value", cell("figures", "value", "eighteen"), "type", "figures", "value", 2),
    Fault("empty required field", cell("participants", "role", ""), "required", "participants", "role", 2),
    Fault("extra column", extra_column, "columns", "events"),
    Fault("missing column", missing_column, "columns", "figures"),
    Fault("column order changed", swapped_columns, "columns", "sources"),
    Fault("quote not at its offsets", shift_offsets(5, 5), "quote_offsets", "pledges", "quote", 2),
    Fault("offsets off by one", shift_offsets(0, 1), "quote_offsets", "pledges", "quote", 2),
    Fault("seed text edited", edit_seed, "seed_hash", "sources", "sha256"),
    Fault("seed file missing", remove_seed, "seed_missing", "sources", "path"),
    Fault("CSV and Parquet disagree in one cell", parquet_cell, "csv_parquet", "figures", "value"),
    Fault("Parquet column retyped", parquet_retype, "parquet_type", "events-parquet", "char_end"),
    Fault("descriptor hash stale", descriptor_edit(lambda d: resource(d, "events").update(hash="sha256:" + "0" * 64)), "hash_mismatch", "events", "hash", rehash=False),
    Fault("descriptor Parquet hash stale", descriptor_edit(lambda d: resource(d, "pledges-parquet").update(hash="sha256:" + "1" * 64)),
          "hash_mismatch", "pledges-parquet", "hash", rehash=False),
    Fault("descriptor bytes stale", descriptor_edit(lambda d: resource(d, "figures").update(bytes=1)), "bytes_mismatch", "figures", "bytes", rehash=False),
    Fault("descriptor version differs from pyproject.toml", descriptor_edit(lambda d: d.update(version="9.9.9")), "version_mismatch", "datapackage.json", "version"),
    Fault("resource path escaping the package", descriptor_edit(lambda d: resource(d, "figures").update(path="../figures.csv")), "unsafe_path", "figures", "path"),
    Fault("absolute resource path", descriptor_edit(lambda d: resource(d, "events").update(path="/etc/passwd")), "unsafe_path", "events", "path"),
    Fault("schema differs from the table definitions", descriptor_edit(lambda d: resource(d, "events")["schema"]["fields"].pop()), "schema_drift", "datapackage.json",
          "resources/events/schema"),
    Fault("descriptor not a Data Package", descriptor_edit(lambda d: d.update(resources={})), "profile", "datapackage.json", "resources"),
    Fault("BOM in a CSV", csv_bytes(lambda b: b"\xef\xbb\xbf" + b), "bom", "participants", row=1),
    Fault("non-UTF-8 bytes in a CSV", csv_bytes(lambda b: b.replace(b"Astana", b"Astan\xe4", 1)), "encoding", "participants"),
    Fault("CRLF line endings", csv_bytes(lambda b: b.replace(b"\n", b"\r\n")), "line_endings", "participants"),
    Fault("trailing whitespace in a key", cell("events", "event_id", "2010-jia-qinglin-astana.arrival "), "whitespace", "events", "event_id", 2),
    Fault("spreadsheet formula in a text cell", cell("pledges", "statement", "=HYPERLINK(\"http://example.org\")"), "formula_injection", "pledges", "statement", 2),
    Fault("control character in a text cell", cell("pledges", "statement", "China\x07 pledges."), "control_character", "pledges", "statement", 2),
    Fault("one person with two person_ids", set_where("participants", "person_id", lambda v: v == "nursultan-nazarbayev", "person_id", "nazarbayev-nursultan"), "name_person_ids", "participants", "name"),
    Fault("target pledge without a deadline", set_where("pledges", "pledge_type", lambda v: v == "target", "deadline", ""), "target_fields", "pledges", "target_value"),
    Fault("figure linked to a pledge of another topic", figure_to_other_topic, "metric_fits_pledge", "figures", "pledge_id"),
    Fault("CAMEO code not that of the event type", cell("events", "cameo_code", "057"), "cameo_for_type", "events", "cameo_code", 2),
    Fault("mentioned person marked present", set_where("participants", "role", lambda v: v == "mentioned", "present", "true"), "present_role", "participants", "present"),
    Fault("status without its source", cell("pledges", "status", "fulfilled"), "status_fields", "pledges", "status", 2),
    Fault("speaker not a participant of the event", set_where("pledges", "speaker_person_id", lambda v: v == "", "speaker_person_id", "xi-jinping"), "speaker_participant", "pledges", "speaker_person_id"),
    Fault("value_text not in the quote", cell("figures", "value_text", "a thousand"), "value_text_in_quote", "figures", "value_text", 2),
    Fault("published files edited by hand", hand_edit, "stale", "resources/events.csv", "summary", 2),
    Fault("generated codebook edited by hand", stale_codebook, "stale_docs", "docs/codebook.md"),
    Fault("number in a text not curated", uncovered_number, "coverage", "seeds/004_261aea078445e1a4.txt", "number"),
    Fault("resource file missing", remove_file("resources/figures.parquet"), "file_missing", "figures-parquet", "path", rehash=False),
    # curation 2.0: consistency rules
    Fault("PLOVER category against the CAMEO crosswalk", set_cells("events", f"{XI}.talks", plover_category="AGREE"), "plover_crosswalk", "events", "plover_category"),
    Fault("PLOVER context outside its vocabulary", set_cells("events", f"{XI}.talks", plover_context="diplomatic;banana"), "pattern", "events", "plover_context"),
    Fault("event dated outside its visit", set_cells("events", f"{XI}.talks", start_date="2017-06-09", end_date="2017-06-09"), "visit_contains_children", "events", "start_date"),
    Fault("visit without the span of its dated events", set_cells("events", f"{XI}.visit", start_date="", end_date="", date_precision="unknown"), "visit_known_span", "events", "date_precision"),
    Fault("event in a dated sequence left undated", set_cells("events", f"{XI}.press", start_date="", end_date="", date_precision="unknown", date_inferred="false"), "day_sequence", "events", "start_date"),
    Fault("event country not its place's", set_cells("events", f"{XI}.talks", country="CHN"), "place_country", "events", "country"),
    Fault("PLOVER actor not the visitor", set_cells("events", f"{XI}.talks", actor="KAZ"), "actor_from_roles", "events", "actor"),
    Fault("PLOVER recipient missing for a hosted event", set_cells("events", f"{XI}.talks", recipient=""), "recipient_from_roles", "events", "recipient"),
    Fault("joint act coded as one side's", set_cells("events", f"{XI}.signing", actor="CHN", recipient="KAZ"), "recipient_from_roles", "events", "recipient"),
    Fault("joint act missing one of its actors", set_cells("events", f"{XI}.joint-statement", actor="CHN"), "actor_from_roles", "events", "actor"),
    Fault("visit without its host as recipient", set_cells("events", f"{JIA}.visit", recipient=""), "recipient_from_roles", "events", "recipient"),
    Fault("two offices joined with 'and'", set_where("participants", "office", lambda v: "; Minister" in v, "office", "Deputy Prime Minister and Minister of Foreign Affairs"),
          "office_format", "participants", "office"),
    Fault("attendee of 'the above activities' missing from one of them", drop_row("participants", lambda r: r[0] == f"{XI}.press" and r[1] == "wang-huning"),
          "attendance_covers_activities", "participants", "event_id"),
    Fault("pledge PLOVER category not allowed for its type", set_where("pledges", "pledge_type", lambda v: v == "proposal", "plover_category", "SUPPORT"), "pledge_plover", "pledges", "plover_category"),
    Fault("statement saying more than its quote", set_where("pledges", "pledge_type", lambda v: v == "agreement", "statement", "China and Kazakhstan agree to build a canal to the moon."),
          "statement_supported", "pledges", "statement"),
    Fault("event summary saying more than its quote", set_cells("events", f"{XI}.welcoming-ceremony", summary="Before the talks, Xi Jinping attends the grand welcoming ceremony and reviews the honour guard."),
          "summary_supported", "events", "summary"),
    Fault("update summary saying more than its quote", set_cells("pledge_updates", f"{XI}.leaders-visits-maintained", summary="The two sides maintain close high-level contacts, with twelve visits since 2011."),
          "summary_supported", "pledge_updates", "summary"),
    Fault("figure description saying more than its quote", set_cells("figures", f"{WANG}.trade-2023", description="Bilateral trade last year, a record, according to Chinese statistics."),
          "description_supported", "figures", "description"),
    Fault("pledge status not its latest update's", set_cells("pledges", f"{HU}.trade-target", status="fulfilled"), "status_from_updates", "pledges", "status"),
    Fault("update of a pledge from a later document", set_cells("pledge_updates", f"{WANG}.capacity-investment-projects", pledge_id=f"{WANG}.agricultural-imports"), "update_later", "pledge_updates", "pledge_id"),
    Fault("update as_of not its document's date", set_cells("pledge_updates", f"{WANG}.capacity-investment-projects", as_of="2024-05-21"), "update_as_of", "pledge_updates", "as_of"),
    Fault("update citing a figure of another document", set_cells("pledge_updates", f"{WANG}.capacity-investment-projects", figure_id=f"{HU}.trade-target"), "update_figure", "pledge_updates", "figure_id"),
    # curation 2.1: restatements are pledges that name the commitment they repeat; updates report on commitments
    Fault("restatement of a later pledge", set_cells("pledges", f"{HU}.trade-target", restates=f"{WU}.trade-target-plans"), "restates_earlier", "pledges", "restates"),
    Fault("restatement of a pledge that does not exist", set_cells("pledges", f"{XI}.three-forces", restates=f"{HU}.three-forces"), "restates_earlier", "pledges", "restates"),
    Fault("restatement of a restatement", set_cells("pledges", f"{WANG}.one-china", restates=f"{WU}.one-china"), "restates_first", "pledges", "restates"),
    Fault("restatement by a side that was no party to the commitment", set_cells("pledges", f"{WANG}.agricultural-imports", restates=f"{HU}.one-china"),
          "restates_party", "pledges", "restates"),
    Fault("update of a restatement instead of its commitment", set_cells("pledge_updates", f"{WANG}.core-interests-supported", pledge_id=f"{WU}.one-china"),
          "update_of_commitment", "pledge_updates", "pledge_id"),
    Fault("update on the words of a pledge (counted twice)", update_on_a_pledge, "update_not_pledge", "pledge_updates", "char_start"),
    Fault("figure cited by an update naming no pledge", quietly(set_cells("figures", f"{WANG}.capacity-projects-completed", pledge_id="")),
          "update_figure_pledge", "pledge_updates", "figure_id"),
    Fault("years since relations disagreeing across documents", set_cells("figures", f"{XI}.relations-years", value="24"), "relations_year", "figures", "value"),
    Fault("anniversary of relations left without the period the corpus determines", set_cells("figures", f"{WU}.relations-anniversary", period="", period_inferred="false"),
          "relations_year", "figures", "value"),
    Fault("target figure period not its pledge's deadline", set_cells("figures", f"{HU}.trade-target", period="2016"), "target_period", "figures", "period"),
    Fault("years ahead of schedule not reaching the deadline", set_cells("figures", f"{WANG}.years-ahead", pledge_id=f"{HU}.trade-target"), "years_ahead_deadline", "figures", "value"),
    # Values looked up in an authority's data: re-derived by validation, so an edit is caught without curation/.
    Fault("place coordinates not GeoNames'", cell("places", "latitude", "51.5"), "authority_value", "places", "latitude"),
    Fault("place name not GeoNames'", cell("places", "geonames_name", "Nur-Sultan"), "authority_value", "places", "geonames_name"),
    Fault("place admin code not GeoNames'", cell("places", "admin1_code", "99"), "authority_value", "places", "admin1_code"),
    Fault("event dated after its article not marked planned", set_cells("events", "2010-jia-qinglin-astana.visit", dates_planned="false"), "dates_after_publication", "events", "dates_planned"),
    Fault("event marked planned though dated before its article", set_cells("events", "2010-jia-qinglin-astana.arrival", dates_planned="true"), "dates_after_publication", "events", "dates_planned"),
    Fault("a second statement of the version disagreeing", version_in_citation, "version_stated", "CITATION.cff", "version"),
    Fault("quote outside its source's body", quote_before_body, "quote_in_body", "participants", "char_start"),
    Fault("dangling foreign key: events.place_id", set_cells("events", f"{XI}.talks", place_id="almaty"), "foreign_key", "events", "place_id"),
    # hardening: damage an untrusted package can carry
    Fault("infinite number in a CSV", cell("figures", "value", "inf"), "non_finite", "figures", "value", 2),
    Fault("NaN in a Parquet number column", parquet_nan, "non_finite", "pledges-parquet", "target_value"),
    Fault("descriptor edited after SHA256SUMS", checksummed_then(descriptor_edit(lambda d: d.update(title="Another dataset"))),
          "checksum_mismatch", "SHA256SUMS", "datapackage.json"),
    Fault("file not listed in SHA256SUMS", checksummed_then(lambda p: (p / "notes.txt").write_text("x", encoding="utf-8")), "checksum_unlisted", "SHA256SUMS", "notes.txt"),
    Fault("schema given by URL", descriptor_edit(lambda d: resource(d, "events").update(schema="http://127.0.0.1:9/schema.json")), "remote_reference", "events", "schema"),
    Fault("dialect given by URL", descriptor_edit(lambda d: resource(d, "events").update(dialect="http://127.0.0.1:9/dialect.json")), "remote_reference", "events", "dialect"),
    Fault("resource file is a FIFO", fifo_resource, "not_regular_file", "figures", "path", rehash=False),
    Fault("resource file is a link out of the package", link_out, "unsafe_path", "figures", "path", rehash=False),
    Fault("NUL in a resource path", descriptor_edit(lambda d: resource(d, "events").update(path="resources/events\x00.csv")), "unsafe_path", "events", "path"),
    Fault("descriptor nested 100,000 deep", deep_descriptor, "descriptor_json", "datapackage.json", rehash=False),
    Fault("one-letter quote", one_letter_quote, "quote_length", "events", "quote", 2),
    # every code of the catalogue (cnkz.validation.catalogue) has its fault
    Fault("descriptor missing", remove_file("datapackage.json"), "descriptor_missing", "datapackage.json", rehash=False),
    Fault("package renamed", descriptor_edit(lambda d: d.update(name="china-kazakhstan-engagements-fork")), "descriptor_name", "datapackage.json", "name"),
    Fault("package of a data model this cnkz does not know", newer_data_model, "data_model", "datapackage.json", "version"),
    Fault("a table of one's own listed in the descriptor", own_table_added, "unexpected_resource", "datapackage.json", "resources/visits"),
    Fault("a Parquet resource left out of the descriptor", descriptor_edit(lambda d: d["resources"].remove(resource(d, "figures-parquet"))),
          "missing_resource", "datapackage.json", "resources/figures-parquet"),
    Fault("table moved to another folder", table_moved, "resource_path", "datapackage.json", "resources/places/path"),
    Fault("resource encoding not the file's", descriptor_edit(lambda d: resource(d, "figures").update(encoding="latin-1")),
          "resource_property", "datapackage.json", "resources/figures/encoding"),
    Fault("CSV without a final newline", csv_bytes(lambda b: b.rstrip(b"\n"), "events"), "final_newline", "events"),
    Fault("SHA256SUMS in upper-case hex", uppercase_checksums, "checksums", "SHA256SUMS"),
    Fault("file listed in SHA256SUMS deleted", checksummed_then(remove_file("LICENSE-DATA")), "checksum_file_missing", "SHA256SUMS", "LICENSE-DATA"),
    Fault("CSV row with a field more than the header", stray_comma, "unreadable", "events"),
    Fault("one city under two place_ids", place_under_former_name, "unique", "places", "geonames_id"),
    Fault("latitude and longitude swapped", swap("places", "xian", "latitude", "longitude"), "maximum", "places", "latitude"),
    Fault("quote offsets swapped", swap("figures", f"{WANG}.trade-2023", "char_start", "char_end"), "offsets_order", "figures", "char_end"),
    Fault("article body offsets swapped", swap("sources", WANG, "body_start", "body_end"), "body_order", "sources", "body_end"),
    Fault("pledge made at an event of another document", set_cells("pledges", f"{WANG}.flood-reconstruction", event_id=f"{XI}.press"),
          "same_source", "pledges", "event_id"),
    Fault("undated event given a precision", set_cells("events", f"{WU}.sco-astana-summit", date_precision="day"), "dates_with_precision", "events", "date_precision"),
    Fault("event with a start_date and no end_date", set_cells("events", f"{JIA}.meeting", end_date=""), "dates_together", "events", "end_date"),
    Fault("one person_id with two spellings of the name", set_where("participants", "person_id", lambda v: v == "xi-jinping", "name", "Xi Jingping"),
          "person_id_names", "participants", "person_id"),
    Fault("status reported by the pledge's own document", set_cells("pledges", f"{HU}.all-round-partnership", status_source_id=HU, status_as_of="2011-06-14"),
          "status_later_source", "pledges", "status_source_id"),
    Fault("target figure a zero short of its pledge's target", set_cells("figures", f"{WU}.trade-target", value="4000000000"),
          "target_matches_pledge", "figures", "pledge_id"),
    Fault("text size counted in characters", size_in_characters, "seed_bytes", "sources", "bytes"),
    Fault("text saved as Windows-1252", seed_saved_as_cp1252, "seed_encoding", "sources", "path"),
    Fault("quote in curation/ not in its text", misquoted_curation, "rebuild", "curation"),
]


# Faults of the file itself, which a tamperer either cannot make consistent (a cell that is not of its type, a column
# missing from one format) or defeats by design (a seed's checksum recomputed): not semantic. The semantic faults are
# planted the tamperer's way (tests/test_tamperer.py), where only the rule itself can catch them.
NOT_SEMANTIC = {"type", "columns", "unreadable", "csv_parquet", "parquet_type", "seed_hash", "seed_missing"}
SEMANTIC = [f for f in FAULTS if code(f.check).layer in {"rows", "provenance"} and f.check not in NOT_SEMANTIC]
