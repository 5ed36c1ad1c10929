"""Attacks through files: hostile archives and descriptors for load, validate and diff; hostile curation for build."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import cnkz
from cnkz.cli import main
from cnkz.curation import curate
from cnkz.diff import diff, load_snapshot
from cnkz.errors import CnkzError, CurationError
from cnkz.limits import Limits, using
from cnkz.load import LoadError
from cnkz.progress import Progress
from cnkz.release import package_members, zip_bytes
from cnkz.validate import validate

from .conftest import ARCHIVE, RELEASE_DATE, VERSION, find, rehash, set_cell
from .faults import parquet_nan
from .hostile import silent_server
from .test_load import release_archive

TOP = ARCHIVE.removesuffix(".zip")


def archive_of(members: dict[str, bytes], target: Path, extra: list[tuple[str, bytes]] | None = None) -> Path:
    target.write_bytes(zip_bytes(members, TOP, RELEASE_DATE))
    if extra:
        with zipfile.ZipFile(target, "a") as archive:
            for name, data in extra:
                archive.writestr(f"{TOP}/{name}", data)
    return target


def unpacked(repo: Path, tmp_path: Path) -> Path:
    with zipfile.ZipFile(release_archive(repo, tmp_path / "r.zip")) as archive:
        archive.extractall(tmp_path / "x")
    return tmp_path / "x" / TOP


def edit_descriptor(folder: Path, edit: object) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit(descriptor)  # type: ignore[operator]
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


# ---------------------------------------------------------------- 3. memory: members and descriptors


def test_a_zip_bomb_member_is_refused_before_it_is_unpacked(repo: Path, tmp_path: Path) -> None:
    members = package_members(repo, VERSION, RELEASE_DATE)
    members.pop("resources/events.parquet")
    archive = archive_of(members, tmp_path / "bomb.zip")
    bomb = f"{TOP}/resources/events.parquet"
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z, z.open(bomb, "w", force_zip64=True) as m:
        for _ in range(75):
            m.write(b"\0" * (4 << 20))  # 300 MB unpacked, 300 KB packed
    assert archive.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match=r"events.parquet: the member is 314572800 bytes, over the cap of 268435456; refusing it "
                                            r"\(raise it with --max-member-bytes or CNKZ_MAX_MEMBER_BYTES"):
            cnkz.load(archive)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    # Raised, the cap lets the member through to the next check (its hash), read in bounded chunks.
    with pytest.raises(LoadError, match="the descriptor says"):
        cnkz.load_table("events", archive, limits=Limits(member_bytes=400 << 20))


def test_a_whitespace_padded_descriptor_is_refused(repo: Path, tmp_path: Path) -> None:
    members = package_members(repo, VERSION, RELEASE_DATE)
    members["datapackage.json"] += b" " * (17 << 20)
    archive = archive_of(members, tmp_path / "padded.zip")
    with pytest.raises(LoadError, match=r"datapackage.json: the JSON file is \d+ bytes, over the cap of 16777216"):
        cnkz.load(archive)
    with pytest.raises(LoadError, match="SHA256SUMS says"):
        cnkz.load(archive, limits=Limits(descriptor_bytes=32 << 20))


@pytest.mark.parametrize("depth", [100, 100_000])
def test_a_deeply_nested_descriptor_is_one_error_everywhere(repo: Path, depth: int, capsys: pytest.CaptureFixture[str]) -> None:
    edit_descriptor(repo, lambda d: d.update(extra=json.loads("[" * min(depth, 500) + "]" * min(depth, 500))))
    if depth > 500:
        (repo / "datapackage.json").write_text('{"a": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    with pytest.raises(LoadError, match="JSON nested too deeply"):
        cnkz.load(repo)
    assert find(validate(repo), "descriptor_json")[0].found.startswith("JSON nested too deeply")
    with pytest.raises(LoadError, match="JSON nested too deeply"):
        load_snapshot(repo)
    assert main(["diff", str(repo), str(repo)]) == 2
    assert "JSON nested too deeply (over 64 levels)" in capsys.readouterr().err


# ---------------------------------------------------------------- 6. SHA256SUMS


def test_validate_checks_sha256sums_of_an_unpacked_release(repo: Path, tmp_path: Path) -> None:
    folder = unpacked(repo, tmp_path)
    assert validate(folder) == []
    published = hashlib.sha256((folder / "datapackage.json").read_bytes()).hexdigest()
    edit_descriptor(folder, lambda d: d.update(title="Another dataset", version="9.0.0", licenses=[{"name": "CC0-1.0"}]))
    (folder / "notes.txt").write_text("added", encoding="utf-8")
    (folder / "LICENSE").unlink()
    problems = validate(folder)
    assert [str(p) for p in find(problems, "checksum_mismatch")] == [
        f"[checksum_mismatch] SHA256SUMS column datapackage.json: expected sha256 {published}, "
        f"found {hashlib.sha256((folder / 'datapackage.json').read_bytes()).hexdigest()}"]
    assert [p.column for p in find(problems, "checksum_unlisted")] == ["notes.txt"]
    assert [(p.column, p.found) for p in find(problems, "checksum_file_missing")] == [("LICENSE", "no file")]


# ---------------------------------------------------------------- 7. no network in validation


def test_validation_never_opens_the_network(repo: Path) -> None:
    with silent_server() as (base, connections):
        def edit(d: dict) -> None:
            events = next(r for r in d["resources"] if r["name"] == "events")
            events["schema"] = f"{base}/schema.json"
            events["dialect"] = f"{base}/dialect.json"
            d["$schema"] = f"{base}/profile.json"
        edit_descriptor(repo, edit)
        started = time.monotonic()
        problems = validate(repo)
        elapsed = time.monotonic() - started
        assert connections == []
    assert elapsed < 60  # ten seconds per reference before, and the test would hang on a silent server without a timeout
    found = sorted((p.table, p.column) for p in find(problems, "remote_reference"))
    assert found == [("datapackage.json", "$schema"), ("events", "dialect"), ("events", "schema")]


# ---------------------------------------------------------------- 8. non-finite numbers


def test_non_finite_numbers_fail_validation_in_csv_and_parquet(repo: Path) -> None:
    set_cell(repo, "figures", 2, "value", "inf")
    row = parquet_nan(repo)
    rehash(repo)
    problems = validate(repo)
    assert [(p.table, p.row.split(" ")[0], p.column, p.found) for p in find(problems, "non_finite")] == [
        ("figures", "4", "value", "inf"), ("pledges-parquet", str(row + 2), "target_value", "NaN")]


# ---------------------------------------------------------------- 9. confinement and regular files


def _finishes(action: object, seconds: float = 60) -> object:
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(_outcome(action)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, "it hung"
    return result[0]


def _outcome(action: object) -> object:
    try:
        return action()  # type: ignore[operator]
    except CnkzError as exc:
        return exc


def test_a_fifo_or_device_in_the_package_is_refused_without_hanging(repo: Path) -> None:
    (repo / "resources" / "events.csv").unlink()
    os.mkfifo(repo / "resources" / "events.csv")
    seed = next((repo / "seeds").iterdir())
    seed.unlink()
    seed.symlink_to("/dev/zero")
    problems = _finishes(lambda: validate(repo))
    assert isinstance(problems, list)
    assert [(p.table, p.found) for p in find(problems, "not_regular_file")] == [("events", "not a regular file")]
    assert find(problems, "seed_missing")  # the link leads out of the package: not followed
    error = _finishes(lambda: cnkz.load_table("events", repo, format="csv"))
    assert isinstance(error, LoadError) and "not a regular file" in str(error)


@pytest.mark.parametrize(("value", "message"), [
    ("/etc/hostname", "'/etc/hostname' is not under seeds/"),
    ("seeds/../../../../etc/hostname", "leads outside seeds/"),
    ("seeds/zero.txt", "leads outside seeds/"),
    ("seeds/fifo.txt", "the source text is not a regular file"),
])
def test_source_file_stays_in_seeds(repo: Path, value: str, message: str) -> None:
    (repo / "seeds" / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(repo / "seeds" / "fifo.txt")
    path = repo / "curation" / "2010-jia-qinglin-astana.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("file: seeds/003_acb2540b52211385.txt", f"file: {value}"), encoding="utf-8")
    error = _finishes(lambda: curate(repo))
    assert isinstance(error, CurationError) and message in str(error), error


# ---------------------------------------------------------------- 11. tracebacks that are now one-line errors


def test_damaged_and_duplicate_archive_members(repo: Path, tmp_path: Path) -> None:
    members = package_members(repo, VERSION, RELEASE_DATE)
    archive = archive_of(members, tmp_path / "a.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo(f"{TOP}/resources/events.parquet")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 200] = bytes(190)  # corrupts the deflate stream itself
    (tmp_path / "b.zip").write_bytes(bytes(data))
    with pytest.raises(LoadError, match="the member is damaged or cannot be unpacked"):
        cnkz.load(tmp_path / "b.zip")
    assert find(validate(tmp_path / "b.zip"), "archive")
    forged = members["resources/events.csv"].replace(b"Astana", b"Almaty", 1)
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile writes it, with a warning
        duplicate = archive_of(members, tmp_path / "c.zip", [("resources/events.csv", forged)])
    with pytest.raises(LoadError, match=r"holds '[^']*/resources/events\.csv' twice"):
        cnkz.load(duplicate)


def test_an_archive_is_validated_in_place_with_progress_on_a_terminal(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    archive = release_archive(repo, tmp_path / "r.zip")
    screen = Terminal()
    assert validate(archive, progress=Progress(stream=screen)) == []
    assert "validating: checksums" in screen.getvalue() and "validating: rows" in screen.getvalue()
    assert main(["validate", str(archive)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{archive}: valid")
    assert captured.err == ""  # not a terminal: no progress


def test_odd_descriptors_are_one_line_errors(repo: Path, tmp_path: Path) -> None:
    edit_descriptor(repo, lambda d: d["resources"][0].update(path="resources/a\x00b.csv"))
    assert find(validate(repo), "unsafe_path")
    with pytest.raises(LoadError, match="leads outside the package"):
        cnkz.load(repo, format="csv")
    folder = tmp_path / "folder"
    (folder / "datapackage.json").mkdir(parents=True)
    assert [p.check for p in validate(folder)] == ["descriptor_json"]
    with pytest.raises(LoadError, match=r"no datapackage\.json here"):
        cnkz.load(folder)
    utf16 = tmp_path / "utf16"
    utf16.mkdir()
    (utf16 / "datapackage.json").write_bytes((repo / "datapackage.json").read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(LoadError, match="not UTF-8"):
        cnkz.load(utf16)
    assert find(validate(utf16), "descriptor_json")


def test_a_csv_cell_over_a_megabyte_is_read(repo: Path) -> None:
    set_cell(repo, "events", 0, "summary", "A long summary. " * 70_000)
    rehash(repo)
    assert len(cnkz.load_table("events", repo, format="csv", verify=False)["summary"][0]) == 16 * 70_000
    problems = validate(repo)
    assert not find(problems, "unreadable")


# ---------------------------------------------------------------- 12. lesser


def test_diff_sees_a_deleted_csv_column(repo: Path, tmp_path: Path) -> None:
    before = load_snapshot(repo)
    path = repo / "resources" / "figures.csv"
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    column = rows[0].index("qualifier")
    import csv
    import io

    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([r[:column] + r[column + 1 :] for r in table])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rehash(repo)  # the diff reads only files whose hashes agree
    change = diff(before, load_snapshot(repo))
    assert change.level == "major"
    assert change.tables["figures"].removed_fields == ["qualifier"]


@pytest.mark.parametrize(("quote", "message"), [
    ("H", "the quote has 1 characters; evidence is at least 10"),
    (None, "evidence is at most 600: quote only the sentence"),
])
def test_a_one_letter_or_whole_article_quote_is_not_evidence(repo: Path, quote: str | None, message: str) -> None:
    path = repo / "curation" / "2010-jia-qinglin-astana.yaml"
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = (repo / data["source"]["file"]).read_text(encoding="utf-8")
    data["events"][0]["quote"] = quote if quote is not None else text
    data["events"][0].pop("occurrence", None)
    if quote == "H":
        data["events"][0]["occurrence"] = 1
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CurationError, match=message):
        curate(repo)


def test_validation_refuses_a_one_letter_quote(repo: Path) -> None:
    rows = (repo / "resources" / "events.csv").read_text(encoding="utf-8")
    assert rows
    set_cell(repo, "events", 0, "quote", "C")
    set_cell(repo, "events", 0, "char_end", str(int(_cell(repo, "events", 0, "char_start")) + 1))
    rehash(repo)
    problems = find(validate(repo), "quote_length")
    assert [str(p).split(":", 1)[1] for p in problems][:1] == [" expected a quote of 10 to 600 characters, found 1 characters"]


def _cell(repo: Path, table: str, row: int, column: str) -> str:
    import csv

    with (repo / "resources" / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[row + 1][rows[0].index(column)]


def test_an_archive_that_unpacks_past_the_total_cap_is_refused(repo: Path, tmp_path: Path) -> None:
    archive = release_archive(repo, tmp_path / "r.zip")
    with zipfile.ZipFile(archive) as z:
        total = sum(i.file_size for i in z.infolist())
    message = f"the archive unpacks to {total} bytes, over the cap of 100000 (raise it with --max-archive-bytes or CNKZ_MAX_ARCHIVE_BYTES"
    with pytest.raises(LoadError, match=re.escape(message)):
        cnkz.load(archive, limits=Limits(archive_bytes=100_000))
    with using(Limits(archive_bytes=100_000)):
        assert [p.found for p in find(validate(archive), "archive")] == [message + " if the file is trusted)"]


def test_a_column_missing_from_sources_is_reported_not_raised(repo: Path) -> None:
    # Found by the fuzz test: the provenance check used to look up the missing column and raise KeyError.
    path = repo / "resources" / "sources.csv"
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("source_id")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([r[:column] + r[column + 1 :] for r in rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rehash(repo)
    problems = validate(repo)
    assert find(problems, "columns", "sources")


def test_a_damaged_parquet_page_is_reported_not_raised(repo: Path) -> None:
    # Found by the fuzz test: a page header Arrow cannot decode raised OSError out of the streamed row layer.
    path = repo / "resources" / "events.parquet"
    data = bytearray(path.read_bytes())
    data[4:600] = bytes(596)
    path.write_bytes(bytes(data))
    rehash(repo)
    problems = validate(repo)
    assert find(problems, "unreadable", "events") or find(problems, "unreadable", "events-parquet")


def test_a_seed_changed_after_publication_is_found_and_named_by_its_source(repo: Path) -> None:
    import cnkz.validate as checks

    seed = sorted((repo / "seeds").iterdir())[0]
    seed.write_bytes(seed.read_bytes() + b" ")
    problems = [p for p in checks.validate(repo, layers=[checks.check_rows]) if p.check.startswith("seed_")]
    source_id = next(r["source_id"] for r in csv.DictReader(io.StringIO((repo / "resources" / "sources.csv").read_text(encoding="utf-8")))
                     if r["path"] == f"seeds/{seed.name}")
    assert {(p.check, p.column, p.row.split(" ")[1]) for p in problems} == {("seed_hash", "sha256", f"({source_id})"),
                                                                            ("seed_bytes", "bytes", f"({source_id})")}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs a file that holds more than its size says (procfs)")
def test_a_file_that_holds_more_than_its_size_says_is_read_to_its_end_and_refused_past_the_cap() -> None:
    from cnkz.safety import read_regular
    from cnkz.seedfiles import Confined

    status = Path("/proc/self/status")  # stat says 0 bytes; reading gives the whole text
    assert read_regular(status).startswith(b"Name:")
    with using(Limits(member_bytes=100)), pytest.raises(CnkzError, match=r"is \d+ bytes, over the cap of 100; refusing it"):
        read_regular(status)
    assert Confined(Path("/proc/self")).read(str(status), 100) is None
    assert (Confined(Path("/proc/self")).read(str(status), 1 << 20) or b"").startswith(b"Name:")
