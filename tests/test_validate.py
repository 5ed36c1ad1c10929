"""Each validation layer, fed broken input, fails with a located message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cnkz.errors import Problem
from cnkz.validate import validate

from .conftest import find, read_rows, rehash, set_cell, write_rows


def test_the_published_package_is_valid(repo: Path) -> None:
    assert validate(repo) == []


def test_a_package_without_curation_validates_without_the_rebuild(repo: Path) -> None:
    shutil.rmtree(repo / "curation")
    (repo / "pyproject.toml").unlink()
    assert validate(repo) == []


def only(problems: list[Problem], check: str, **where: str) -> Problem:
    matches = find(problems, check, where.get("table"), where.get("column"))
    assert matches, f"no {check} problem in:\n" + "\n".join(map(str, problems))
    return matches[0]


def test_descriptor_profile(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["licenses"] = "CC-BY-4.0"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo, rebuild=False), "profile", table="datapackage.json", column="licenses")
    assert str(problem) == "[profile] datapackage.json column licenses: expected a valid Data Package v2 descriptor, found 'CC-BY-4.0' is not of type 'array'"


def test_descriptor_schema_drift(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][1]["schema"]["fields"][3]["constraints"]["enum"].append("banquet")
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo, rebuild=False), "schema_drift")
    assert problem.column == "resources/events/schema"


def test_version_differs_from_pyproject(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "0.9.0"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo, rebuild=False), "version_mismatch")
    assert (problem.expected, problem.found) == ("1.0.0 (pyproject.toml)", "0.9.0")


def test_frictionless_layer_reports_row_and_field(repo: Path) -> None:
    set_cell(repo, "figures", 0, "value", "-5")
    rehash(repo)
    problems = validate(repo, rebuild=False)
    frictionless = [p for p in find(problems, "frictionless", "figures") if p.column == "value"]
    assert frictionless and frictionless[0].row == "2"
    assert 'constraint "minimum" is "0"' in frictionless[0].found
    assert only(problems, "minimum", table="figures", column="value").row.startswith("2 (")


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "check"),
    [
        ("events", 0, "event_type", "banquet", "vocabulary"),
        ("events", 0, "start_date", "2010-13-45", "type"),
        ("events", 0, "char_start", "twelve", "type"),
        ("events", 0, "source_id", "Not A Slug", "pattern"),
        ("participants", 0, "present", "yes", "type"),
        ("participants", 0, "role", "", "required"),
        ("pledges", 0, "deadline", "1800", "minimum"),
        ("figures", 0, "qualifier", "roughly", "vocabulary"),
        ("figures", 0, "description", "=HYPERLINK(\"http://x\")", "formula_injection"),
        ("participants", 0, "office", "President ", "whitespace"),
    ],
)
def test_pandera_column_checks(repo: Path, table: str, row: int, column: str, value: str, check: str) -> None:
    key = set_cell(repo, table, row, column, value)
    problem = only(validate(repo, rebuild=False), check, table=table, column=column)
    assert problem.row == f"2 ({key}" + (")" if table != "participants" else problem.row[len(f"2 ({key}") :])


@pytest.mark.parametrize(
    ("table", "column", "value", "check"),
    [
        ("events", "end_date", "2001-01-01", "end_before_start"),
        ("events", "cameo_code", "010", "cameo_for_type"),
        ("participants", "present", "false", "present_role"),
        ("participants", "event_id", "2010-jia-qinglin-astana.banquet", "foreign_key"),
        ("pledges", "target_value", "5", "target_fields"),
        ("pledges", "status", "fulfilled", "status_fields"),
        ("pledges", "speaker_person_id", "xi-jinping", "speaker_participant"),
        ("figures", "pledge_id", "2010-jia-qinglin-astana.no-such-pledge", "foreign_key"),
        ("figures", "value_text", "nineteen", "value_text_in_quote"),
    ],
)
def test_cross_field_and_cross_table_rules(repo: Path, table: str, column: str, value: str, check: str) -> None:
    rows = read_rows(repo / "resources" / f"{table}.csv")
    # Events: the first dated row, so the date rules apply; other tables: the first row.
    index = next(i for i, r in enumerate(rows[1:]) if r[rows[0].index("start_date")]) if table == "events" else 0
    set_cell(repo, table, index, column, value)
    problem = only(validate(repo, rebuild=False), check, table=table, column=column)
    assert problem.row.startswith(f"{index + 2} (")


def test_duplicate_primary_key(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "pledges.csv")
    rows.append(rows[1])
    write_rows(repo / "resources" / "pledges.csv", rows)
    problems = validate(repo, rebuild=False)
    assert {p.row.split(" ")[0] for p in find(problems, "primary_key", "pledges")} == {"2", str(len(rows))}


def test_one_person_two_ids(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "participants.csv")
    header = rows[0]
    target = next(i for i, r in enumerate(rows[1:]) if r[header.index("person_id")] == "xi-jinping")
    set_cell(repo, "participants", target, "person_id", "xi-jin-ping")
    problem = only(validate(repo, rebuild=False), "name_person_ids", table="participants", column="name")
    assert problem.found == "Xi Jinping"


def test_quote_not_at_its_offsets(repo: Path) -> None:
    rows = read_rows(repo / "resources" / "events.csv")
    start = int(rows[1][rows[0].index("char_start")])
    set_cell(repo, "events", 0, "char_start", str(start + 1))
    problem = only(validate(repo, rebuild=False), "quote_offsets", table="events", column="quote")
    assert problem.row == f"2 ({rows[1][0]})"


def test_seed_edited(repo: Path) -> None:
    seed = repo / "seeds" / "000_7928596d57607bdb.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Golden Hall", b"Golden Room"))
    problems = validate(repo, rebuild=False)
    assert only(problems, "seed_hash", table="sources", column="sha256").row.endswith("(2011-wu-bangguo-kazakhstan)")
    assert find(problems, "quote_offsets", "events")


def test_seed_missing(repo: Path) -> None:
    (repo / "seeds" / "004_261aea078445e1a4.txt").unlink()
    problem = only(validate(repo, rebuild=False), "seed_missing", table="sources", column="path")
    assert problem.found == "seeds/004_261aea078445e1a4.txt"


def test_csv_and_parquet_disagree(repo: Path) -> None:
    path = repo / "resources" / "figures.parquet"
    table = pq.read_table(path)
    values = table.column("value").to_pylist()
    values[2] = values[2] + 1
    table = table.set_column(table.schema.get_field_index("value"), table.schema.field("value"), pa.array(values, pa.float64()))
    pq.write_table(table, path)
    rehash(repo)
    problem = only(validate(repo, rebuild=False), "csv_parquet", table="figures", column="value")
    assert problem.row.startswith("4 (")


def test_parquet_column_retyped(repo: Path) -> None:
    path = repo / "resources" / "events.parquet"
    table = pq.read_table(path)
    index = table.schema.get_field_index("char_start")
    table = table.set_column(index, pa.field("char_start", pa.string()), table.column("char_start").cast(pa.string()))
    pq.write_table(table, path)
    rehash(repo)
    problem = only(validate(repo, rebuild=False), "parquet_type", table="events-parquet", column="char_start")
    assert (problem.expected, problem.found) == ("int64", "string")


@pytest.mark.parametrize("resource", ["events", "events-parquet"])
def test_stale_hash(repo: Path, resource: str) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r["name"] == resource)
    entry["hash"] = "sha256:" + "0" * 64
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert only(validate(repo, rebuild=False), "hash_mismatch", table=resource, column="hash")


def test_stale_bytes(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["bytes"] += 1
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert only(validate(repo, rebuild=False), "bytes_mismatch", table="sources", column="bytes")


def test_hand_edit_differs_from_a_fresh_build(repo: Path) -> None:
    set_cell(repo, "pledges", 0, "statement", "China pledges nothing at all.")
    rehash(repo)
    problems = validate(repo)
    assert [str(p) for p in find(problems, "stale")] == [
        "[stale] datapackage.json: expected the bytes of a fresh build (run `cnkz build`), found different bytes",
        "[stale] resources/pledges.csv: expected the bytes of a fresh build (run `cnkz build`), found different bytes",
    ]


def test_path_escaping_the_package(repo: Path) -> None:
    descriptor = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "../outside.csv"
    (repo / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problem = only(validate(repo, rebuild=False), "unsafe_path", table="sources", column="path")
    assert problem.found == "../outside.csv"


@pytest.mark.parametrize(
    ("transform", "check"),
    [
        (lambda b: b"\xef\xbb\xbf" + b, "bom"),
        (lambda b: b.replace(b"\n", b"\r\n"), "line_endings"),
        (lambda b: b.replace(b"Astana", b"Astan\xe9", 1), "encoding"),
        (lambda b: b.replace(b"Astana", b"Ast\x00ana", 1), "control_character"),
    ],
)
def test_csv_bytes(repo: Path, transform, check: str) -> None:
    path = repo / "resources" / "events.csv"
    path.write_bytes(transform(path.read_bytes()))
    rehash(repo)
    assert only(validate(repo, rebuild=False), check, table="events")
