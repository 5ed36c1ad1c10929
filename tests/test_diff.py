"""`cnkz diff`: it reads only files whose hashes agree, its engine gives the answers rows compared one by one in
Python gave, hostile files are one error, and its memory follows the Arrow tables rather than Python objects per cell.

Run as a script to build the benchmark pair (two package folders, hashes recomputed) for `/usr/bin/time -v`:

    python -m tests.test_diff /tmp/diffbench 60
    /usr/bin/time -v cnkz diff /tmp/diffbench/old /tmp/diffbench/new
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnkz.cli import main
from cnkz.diff import diff, load_snapshot, render_text
from cnkz.errors import CnkzError
from cnkz.load import LoadError

from .conftest import ROOT, copy_repo, read_rows, rehash, write_rows
from .test_fuzz import mutate_member
from .test_load import release_archive

BIG_TABLE = "figures"


def _code(number: int) -> str:
    """A short unique key: the number in base 36."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def tiny_cell_pair(target: Path, megabytes: float) -> tuple[Path, Path]:
    """Two copies of the package whose figures.csv is about `megabytes` MB of one-character and empty cells; the new one has
    every 1000th row changed in one cell, the last 1000 rows removed and 1000 rows added. Hashes are recomputed."""
    old, new = (copy_repo(target / side, ("datapackage.json", "resources")) for side in ("old", "new"))
    columns = read_rows(old / "resources" / f"{BIG_TABLE}.csv")[0]
    filler = ",".join("x" if i % 2 else "" for i in range(len(columns) - 1))
    row_bytes = len(_code(10**6)) + 1 + len(filler) + 1
    rows = int(megabytes * 1e6 / row_bytes)
    changed = filler.replace("x", "y", 1)

    def lines(count: int, edit: bool, start: int = 0) -> list[str]:
        return [f"{_code(n)},{changed if edit and n % 1000 == 0 else filler}\n" for n in range(start, start + count)]

    (old / "resources" / f"{BIG_TABLE}.csv").write_text(",".join(columns) + "\n" + "".join(lines(rows, False)), encoding="utf-8")
    new_lines = lines(rows - 1000, True) + lines(1000, False, start=rows)
    (new / "resources" / f"{BIG_TABLE}.csv").write_text(",".join(columns) + "\n" + "".join(new_lines), encoding="utf-8")
    rehash(old)
    rehash(new)
    return old, new


# ---------------------------------------------------------------- only verified packages are read


def tamper(path: Path) -> None:
    """Change one cell of a CSV file and leave the descriptor's hash as it was."""
    rows = read_rows(path)
    rows[1][-1] = rows[1][-1] + "0"
    write_rows(path, rows)


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["diff", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("cnkz: error: ") and captured.err.count("\n") == 1, captured.err
    return captured.err


def test_a_tampered_csv_in_a_folder_is_refused(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = copy_repo(tmp_path / "old", ("datapackage.json", "resources"))
    tamper(repo / "resources" / "figures.csv")
    with pytest.raises(LoadError, match="the file is damaged or was changed"):
        load_snapshot(repo)
    for pair in ((old, repo), (repo, old)):
        err = one_line_error(capsys, *map(str, pair))
        assert f"{repo / 'resources' / 'figures.csv'}, field hash: sha256 is " in err and "the descriptor says" in err


@pytest.mark.parametrize("also", ["descriptor hash", "nothing else"])
def test_a_tampered_csv_in_a_release_archive_is_refused(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], also: str) -> None:
    genuine = release_archive(repo, tmp_path / "genuine.zip")
    edited = copy_repo(tmp_path / "edited", ("datapackage.json", "resources"))
    tamper(edited / "resources" / "figures.csv")
    change = {"resources/figures.csv": (edited / "resources" / "figures.csv").read_bytes()}
    if also == "descriptor hash":  # the descriptor made to agree, SHA256SUMS not: the archive is still refused
        rehash(edited)
        change["datapackage.json"] = (edited / "datapackage.json").read_bytes()
    archive = release_archive(repo, tmp_path / "tampered.zip", change)
    err = one_line_error(capsys, str(genuine), str(archive))
    if also == "descriptor hash":
        assert f"{archive}!datapackage.json, field hash: sha256 is " in err and "SHA256SUMS says" in err
    else:
        assert f"{archive}!resources/figures.csv, field hash: sha256 is " in err and "the descriptor says" in err


def test_an_unpacked_release_whose_descriptor_was_rehashed_is_refused(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(release_archive(repo, tmp_path / "r.zip")) as archive:
        archive.extractall(tmp_path / "x")
    (folder,) = (tmp_path / "x").iterdir()
    tamper(folder / "resources" / "figures.csv")
    rehash(folder)
    err = one_line_error(capsys, str(folder), str(folder))
    assert f"{folder / 'datapackage.json'}, field hash: sha256 is " in err and "SHA256SUMS says" in err


# ---------------------------------------------------------------- the same answers as rows compared one by one in Python


def reference(old: Path, new: Path, table: str, key: list[str]) -> dict[str, Any]:
    """The row differences as the diff computed them before it used an engine: dicts of Python strings by primary key."""

    def rows(package: Path) -> dict[tuple[str, ...], dict[str, str]]:
        text = (package / "resources" / f"{table}.csv").read_bytes().decode("utf-8")
        header, *body = csv.reader(io.StringIO(text, newline=""))
        return {tuple(row.get(k, "") for k in key): row for row in (dict(zip(header, values)) for values in body)}

    before, after = rows(old), rows(new)
    changed = []
    for k in before.keys() & after.keys():
        changes = {c: {"old": before[k][c], "new": after[k][c]} for c in sorted(set(before[k]) & set(after[k])) if before[k][c] != after[k][c]}
        if changes:
            changed.append({"key": "/".join(k), "changes": changes})
    return {
        "added_rows": ["/".join(k) for k in after if k not in before],
        "removed_rows": ["/".join(k) for k in before if k not in after],
        "changed_rows": sorted(changed, key=lambda r: r["key"]),
    }


def edited_pair(repo: Path, tmp_path: Path, table: str, edit: Callable[[list[list[str]]], list[list[str]]]) -> tuple[Path, Path]:
    old = copy_repo(tmp_path / "old", ("datapackage.json", "resources"))
    path = repo / "resources" / f"{table}.csv"
    write_rows(path, edit(read_rows(path)))
    rehash(repo)
    return old, repo


def participants_edit(rows: list[list[str]]) -> list[list[str]]:
    header, *body = rows
    office, name, person = header.index("office"), header.index("name"), header.index("person_id")
    body[0][office] = 'Chair, "acting"\nand second line'  # quotes, a comma and a newline in a cell
    body[1][office] = ""  # a value emptied
    body[2][name] += " é 中"
    first, second = [*body[3]], [*body[3]]
    first[person], second[person] = "zz-person", "ä-person"  # ä sorts after z: code point order, as Python sorts
    again = [*first]
    again[office] = "a repeated key: the last row's values count, at the first row's place"
    repeated = [*body[5]]
    repeated[office] = "a repeated key of a row that was there before"
    return [header, *body[:3], *body[4:-2], first, second, again, repeated]


def figures_edit(rows: list[list[str]]) -> list[list[str]]:
    header, *body = rows
    description, qualifier = header.index("description"), header.index("qualifier")
    for n, row in enumerate(body):
        if n % 3 == 0:
            row[description] = f"Corrected {n}."
        if n % 4 == 0:
            row[qualifier] = "about"
    return [header, [f"{body[0][0]}-new", *body[0][1:]], *reversed(body[2:])]


@pytest.mark.parametrize(("table", "key", "edit"), [
    ("participants", ["event_id", "person_id"], participants_edit),
    ("figures", ["figure_id"], figures_edit),
])
def test_rows_added_removed_and_changed_agree_with_a_comparison_in_python(
    repo: Path, tmp_path: Path, table: str, key: list[str], edit: Callable[[list[list[str]]], list[list[str]]],
) -> None:
    old, new = edited_pair(repo, tmp_path, table, edit)
    result = diff(load_snapshot(old), load_snapshot(new))
    got = result.to_json()["tables"][table]
    expected = reference(old, new, table, key)
    assert {name: got[name] for name in expected} == expected
    assert expected["changed_rows"] and (expected["added_rows"] or expected["removed_rows"])
    assert [name for name, t in result.tables.items() if t.level != "none"] == [table]
    t = result.tables[table]
    assert (t.added_count, t.removed_count, t.changed_count) == tuple(len(expected[k]) for k in ("added_rows", "removed_rows", "changed_rows"))
    assert t.changed_values == sum(len(r["changes"]) for r in expected["changed_rows"])
    for change in (result, diff(load_snapshot(new), load_snapshot(new))):  # rows listed, and lists empty
        streamed = io.StringIO()
        change.write_json(streamed)
        assert streamed.getvalue() == json.dumps(change.to_json(), indent=2)


def test_the_report_shows_the_first_changed_values_and_counts_the_rest(repo: Path, tmp_path: Path) -> None:
    old, new = edited_pair(repo, tmp_path, "figures", figures_edit)
    expected = reference(old, new, "figures", ["figure_id"])
    cells = [f"    {r['key']} {c}: {v['old']!r} -> {v['new']!r}" for r in expected["changed_rows"] for c, v in r["changes"].items()]
    lines = render_text(diff(load_snapshot(old), load_snapshot(new)), limit=3).splitlines()
    added = len(expected["added_rows"])
    assert f"  figures (major): {added} {'row' if added == 1 else 'rows'} added, {len(expected['removed_rows'])} removed, " \
           f"{len(expected['changed_rows'])} changed" in lines
    start = lines.index(cells[0])
    assert lines[start : start + 4] == [
        *cells[:3], f"    … and {len(cells) - 3} more changed values (--limit {len(cells)} lists them all, --json gives everything)",
    ]


# ---------------------------------------------------------------- hostile files that pass verification


def test_column_names_never_become_part_of_a_query(repo: Path, tmp_path: Path) -> None:
    hostile = ['x" FROM o; DROP TABLE n; --', "'; SELECT * FROM read_csv('/etc/passwd') --", "k0", "r", ""]
    old, new = edited_pair(repo, tmp_path, "figures", lambda rows: [[*row, *(hostile if n == 0 else ["v"] * len(hostile))] for n, row in enumerate(rows)])
    result = diff(load_snapshot(old), load_snapshot(new))
    assert result.tables["figures"].added_fields == hostile
    assert result.tables["figures"].level == "minor"
    assert diff(load_snapshot(new), load_snapshot(new)).level == "none"


@pytest.mark.parametrize(("content", "message"), [
    (b"figure_id,value,value\n1,2,3\n", "column 'value' appears twice in the header; a diff compares columns by name"),
    (b"figure_id,value\n1,2\n3\n", "not a readable UTF-8 CSV file (CSV parse error: Expected 2 columns, got 1: 3)"),
    (b"figure_id,value\n1,\xff\n", "not a readable UTF-8 CSV file ('utf-8' codec can't decode byte 0xff in position 18: invalid start byte)"),
    (b"figure_id,value\n" + b"1,2\n" * 5000 + b"3,\xff\n",  # past the part of the file the header is read from
     "not a readable UTF-8 CSV file (In CSV column #1: CSV conversion error to string: invalid UTF8 data)"),
    (b"figure_\xffid\n1\n", "not a readable UTF-8 CSV file ('utf-8' codec can't decode byte 0xff in position 7: invalid start byte)"),
])
def test_a_csv_the_diff_cannot_read_is_one_error(repo: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str) -> None:
    (repo / "resources" / "figures.csv").write_bytes(content)
    rehash(repo)
    assert one_line_error(capsys, str(repo), str(repo)) == f"cnkz: error: {repo / 'resources' / 'figures.csv'}: {message}\n"


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_csv_files_whose_hashes_agree_give_a_diff_or_one_error(tmp_path: Path, data: st.DataObject) -> None:
    """The hashes made to agree, so that each mutation reaches the CSV reader and the engine (tests/test_fuzz.py mutates
    packages whose hashes no longer agree, which the diff refuses before parsing)."""
    base = tmp_path / "base"
    if not base.exists():
        copy_repo(base, ("datapackage.json", "resources"))
    with tempfile.TemporaryDirectory(prefix="cnkz-diff-fuzz-") as scratch:
        new = Path(shutil.copytree(base, Path(scratch) / "new"))
        for _ in range(data.draw(st.integers(1, 2))):
            path = new / "resources" / data.draw(st.sampled_from(sorted(p.name for p in base.glob("resources/*.csv"))))
            path.write_bytes(mutate_member(data.draw, path.name, path.read_bytes()))
        rehash(new)
        try:
            forward, backward = diff(load_snapshot(base), load_snapshot(new)), diff(load_snapshot(new), load_snapshot(base))
        except CnkzError as exc:
            assert "\n" not in str(exc)
            return
        render_text(forward)
        assert diff(load_snapshot(new), load_snapshot(new)).level == "none"
        for name, t in forward.tables.items():
            back = backward.tables[name]
            assert (t.added_count, t.removed_count, t.changed_values) == (back.removed_count, back.added_count, back.changed_values)


def test_the_engine_reads_no_files_and_leaves_no_spill_folder() -> None:
    import duckdb

    from cnkz.diff import _engine

    with _engine() as engine:
        spill = Path(engine.execute("SELECT current_setting('temp_directory')").fetchone()[0])
        assert spill.is_dir() and spill.stat().st_mode & 0o077 == 0
        with pytest.raises(duckdb.PermissionException):
            engine.execute(f"SELECT * FROM read_csv('{ROOT / 'resources' / 'figures.csv'}')")
        with pytest.raises(duckdb.Error):
            engine.execute("SET enable_external_access = true")
    assert not spill.exists()


def test_importing_cnkz_or_the_diff_does_not_import_the_engine() -> None:
    code = "import sys, cnkz, cnkz.diff; print('duckdb' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


# ---------------------------------------------------------------- memory


def test_memory_follows_the_arrow_tables_not_python_objects_per_cell(tmp_path: Path) -> None:
    """A 20 MB CSV of one-character cells: the diff with dicts of Python strings peaked at about 1.2 GB, this one at about
    0.5 GB (the interpreter and its libraries about 0.12 GB of it). The bound is generous; it catches a return to objects per cell."""
    old, new = tiny_cell_pair(tmp_path, 20)
    code = ("import resource, sys; from cnkz.cli import main; code = main(['diff', sys.argv[1], sys.argv[2], '--limit', '2']); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", code, str(old), str(new)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(f"  {BIG_TABLE} (major): 1000 rows added, 1000 removed, ")
    peak_mb = int(result.stderr.split()[-1]) / 1024
    assert peak_mb < 800, f"cnkz diff peaked at {peak_mb:.0f} MB"


if __name__ == "__main__":
    built = tiny_cell_pair(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 60)
    print(*built)


def test_one_row_added_is_said_in_the_singular(tmp_path: Path) -> None:
    old = copy_repo(tmp_path / "old", ("datapackage.json", "resources", "seeds"))
    rows = read_rows(old / "resources" / "figures.csv")
    write_rows(old / "resources" / "figures.csv", rows[:-1])
    rehash(old)
    text = render_text(diff(load_snapshot(old), load_snapshot(ROOT)))
    assert "  figures (minor): 1 row added, 0 removed, 0 changed" in text.splitlines()
