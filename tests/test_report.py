"""Validation reports: the cause first with what follows from it, full values, JSON for programs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cnkz.cli import main
from cnkz.errors import Problem
from cnkz.report import JSON_FORMAT, group, render_text
from cnkz.tables import MAJOR_VERSION, TABLES, TABLES_BY_NAME

from .conftest import read_rows, rehash, set_cell

DOC = "curation/2010-jia-qinglin-astana.yaml"


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def codes(table: str, column: str) -> list[str]:
    vocabulary = TABLES_BY_NAME[table].field(column).vocabulary
    assert vocabulary is not None
    return vocabulary.codes


def record_position(repo: Path, line: str) -> str:
    """Where a record starts in a curation file, found by its text: `<line>:5` (after '  - ')."""
    return f"{(repo / DOC).read_text(encoding='utf-8').splitlines().index(line) + 1}:5"


def test_a_cell_edit_is_reported_cause_first(repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Also the README's example: what `cnkz validate` prints for the edit it describes (the folder shown as ~/cnkz)."""
    from .test_new_document import readme_block

    monkeypatch.chdir(repo)
    published = sha(repo / "resources" / "events.csv")
    key = set_cell(repo, "events", 0, "event_type", "banquet")
    edited = sha(repo / "resources" / "events.csv")
    vocabulary = codes("events", "event_type")
    code, out, err = validate(capsys)
    assert (code, out) == (1, "")
    assert readme_block("text validation-report") == err.replace(str(repo), "~/cnkz")
    assert err == "\n".join([
        "4 problems: 1 cause, and 3 that follow from it",
        "",
        f"1. [vocabulary] events row 2 ({key}) column event_type",
        f"   expected: one of {', '.join(vocabulary)}",
        "   found:    banquet",
        "   following from it (3):",
        f"   - [stale] resources/events.csv row 2 ({key}) column event_type: expected arrival, found banquet",
        "     to fix: resources/ and datapackage.json are generated from curation/*.yaml by `cnkz build`: this row comes from "
        f"{DOC}:{record_position(repo, '  - key: arrival')} (events[2]); make the change there, then run `cnkz build` "
        "(an edit made only in this file is lost when it runs)",
        f"   - [csv_parquet] events row 2 ({key}) column event_type: expected banquet (the CSV value), found arrival (in Parquet)",
        f"   - [hash_mismatch] events property hash: expected sha256:{published} (datapackage.json), found sha256:{edited} (the file)",
        f"cnkz: {repo} is not valid: 4 problem(s) (exit status 1)",
        "",
    ])


def test_a_stale_file_says_which_curation_record_to_edit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = read_rows(repo / "resources" / "events.csv")[1][TABLES_BY_NAME["events"].columns.index("summary")]
    # Words of its quote, so that only the difference from curation is found (not a summary saying more than its quote).
    key = set_cell(repo, "events", 0, "summary", "Jia arrives in Astana on Tuesday afternoon.")
    rehash(repo)  # as if the descriptor had been fixed up by hand too: only the difference from curation remains
    code, _, err = validate(capsys, str(repo))
    assert code == 1
    total = int(err.split(" ")[0])  # with the descriptor and the documents generated from it, which follow from the edit
    assert err.splitlines()[:6] == [
        f"{total} problems: 1 cause, and {total - 1} that follow from it",
        "",
        f"1. [stale] resources/events.csv row 2 ({key}) column summary",
        f"   expected: {summary}",
        "   found:    Jia arrives in Astana on Tuesday afternoon.",
        "   to fix:   resources/ and datapackage.json are generated from curation/*.yaml by `cnkz build`: this row comes from "
        f"{DOC}:{record_position(repo, '  - key: arrival')} (events[2]); make the change there, then run "
        "`cnkz build` (an edit made only in this file is lost when it runs)",
    ]
    assert "   - [stale] datapackage.json: expected the bytes a fresh build writes, found different bytes" in err.splitlines()


def test_values_are_shown_in_full_unless_short_is_asked_for() -> None:
    long = "x" * 200
    problems = [Problem("pattern", "events", "2 (a.b)", "summary", "a summary without line breaks", long),
                Problem("csv_parquet", "events", "2 (a.b)", "summary", "y", "z")]
    assert render_text(problems).splitlines()[4] == f"   found:    {long}"
    assert render_text(problems, short=True).splitlines()[4:6] == [
        f"   found:    {'x' * 80}… [120 more characters; run without --short to see all]",
        "   and 1 that follow from it (csv_parquet); run without --short to see them",
    ]


def test_consequences_go_under_the_cause_on_their_row() -> None:
    first = Problem("vocabulary", "events", "2 (a.x)", "event_type", "one of visit", "banquet")
    second = Problem("required", "events", "5 (a.y)", "summary", "a value (the field is required)", "an empty cell")
    echo = Problem("frictionless", "events", "5", "summary", "valid per the descriptor", "constraint-error")
    hashed = Problem("hash_mismatch", "events", "", "hash", "sha256:1 (datapackage.json)", "sha256:2 (the file)")
    stale = Problem("stale", "datapackage.json", "", "", "the bytes a fresh build writes", "different bytes")
    own = Problem("version_mismatch", "datapackage.json", "", "version", "1.0.0 (pyproject.toml)", "0.9.0")
    groups = group([stale, hashed, echo, second, first, own])
    assert [(g.cause, g.consequences) for g in groups] == [(own, [stale]), (first, [hashed]), (second, [echo])]
    groups = group([stale, hashed, echo, second, first])
    assert [(g.cause, g.consequences) for g in groups] == [(first, [hashed, stale]), (second, [echo])]


def test_json_report_lists_problems_with_their_cause(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = set_cell(repo, "events", 0, "event_type", "banquet")
    code, out, _ = validate(capsys, str(repo), "--no-rebuild", "--frictionless", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert list(report) == ["format", "directory", "valid", "seconds", "layers", "rows", "rules", "problems"]
    assert report["rules"]["summary"] == f"rules of data model {MAJOR_VERSION}.x" and report["rules"]["cross_field_rules"] is True
    assert (report["format"], report["directory"], report["valid"]) == (JSON_FORMAT, str(repo), False)
    assert list(report["rows"]) == [t.name for t in TABLES]
    assert report["problems"][0] == {
        "id": 1, "check": "vocabulary", "table": "events", "row": f"2 ({key})", "row_number": 2, "column": "event_type",
        "expected": f"one of {', '.join(codes('events', 'event_type'))}", "found": "banquet",
        "advice": None, "caused_by": None,
    }
    assert [(p["check"], p["caused_by"]) for p in report["problems"]] == [
        ("vocabulary", None), ("frictionless", 1), ("csv_parquet", 1), ("frictionless", 1), ("hash_mismatch", 1),
    ]


def test_success_says_what_was_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(capsys, str(repo), "--no-rebuild")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"{repo}: valid (rules of data model {MAJOR_VERSION}.x) (") and lines[0].endswith(" s)")
    assert lines[1] == (
        "5 layers checked (rebuild, coverage audit and documents skipped): descriptor (Data Package v2 profile, table definitions, "
        "version); files (paths, sizes, sha256 hashes, encoding, line endings); "
        "rows (types, vocabularies, patterns, ranges, keys, cross-field and cross-table rules); CSV against Parquet; "
        "provenance (each quote at its offsets, each source text's sha256)"
    )
    counts = {t.name: len((repo / "resources" / f"{t.name}.csv").read_text(encoding="utf-8").splitlines()) - 1 for t in TABLES}
    assert lines[2] == f"rows: {', '.join(f'{t} {n}' for t, n in counts.items())} ({sum(counts.values())} in all)"


def test_a_folder_that_cannot_be_validated_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(capsys, str(tmp_path / "nowhere"), "--format", "json")
    assert code == 2
    assert json.loads(out) == {
        "format": JSON_FORMAT, "valid": None, "problems": [],
        "error": f"{tmp_path / 'nowhere'} is not a folder or a release archive; pass a package folder (holding datapackage.json) or a .zip",
    }
    assert err == f"cnkz: error: {tmp_path / 'nowhere'} is not a folder or a release archive; pass a package folder (holding datapackage.json) or a .zip\n"

