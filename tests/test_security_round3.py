"""Security round 3: each attack reproduced first, then refused (issue 17's items, by number)."""

from __future__ import annotations

import hashlib
import json
import shutil
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cnkz
from cnkz.cli import main
from cnkz.curation import curate
from cnkz.errors import CurationError
from cnkz.files import PARQUET_OPTIONS, is_package_path
from cnkz.limits import Limits, using
from cnkz.load import LoadError
from cnkz.release import package_members
from cnkz.validate import check_profile, check_rows, validate
from cnkz.validation import problems as validate_module
from cnkz.validation import rows as rows_module
from cnkz.validation import runner as runner_module
from cnkz.validation.engine import Engine
from cnkz.validation.provenance import quote_at_offsets
from cnkz.validation.settings import Settings

from .conftest import RELEASE_DATE, ROOT, VERSION, find, rehash, set_cell
from .test_hostile_files import archive_of, edit_descriptor

REFUSED_NAME = "is not a plain relative path inside the package"


@pytest.mark.parametrize("path", [
    "", "/etc/passwd", "a//b", "a/", "./a", "a/./b", "a/../b", "..", ".", "a\\b", "c:/x", "~/x", "$HOME/x", "a\x00b", "a\nb",
    "cafe\u0301.csv",  # not NFC: the same name as 'café.csv' on a normalising disk
])
def test_the_path_rule_refuses(path: str) -> None:
    assert not is_package_path(path)


@pytest.mark.parametrize("path", ["datapackage.json", "resources/events.csv", "seeds/000_7928596d57607bdb.txt", "café.csv", "a.b/c..d"])
def test_the_path_rule_accepts(path: str) -> None:
    assert is_package_path(path)


def _members(repo: Path) -> dict[str, bytes]:
    return package_members(repo, VERSION, RELEASE_DATE)


# 1. An empty segment after the top folder made the member absolute once the folder was stripped.
def test_1_an_absolute_member_behind_an_empty_segment_writes_nothing(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    archive = archive_of(_members(repo), tmp_path / "a.zip", [(str(victim), b"overwritten")])  # TOP + "/" + "/tmp/.../victim.txt"
    problems = validate(archive)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert [p.check for p in problems] == ["archive"] and REFUSED_NAME in problems[0].found
    assert main(["validate", str(archive)]) == 1
    assert REFUSED_NAME in capsys.readouterr().err
    with pytest.raises(LoadError, match=REFUSED_NAME):
        cnkz.load(archive)
    assert victim.read_text(encoding="utf-8") == "precious"


# 2. Two names for one file: the tampered copy and the pristine one unpacked to the same path.
@pytest.mark.parametrize("second", ["resources//figures.csv", "resources/./figures.csv", "resources/Figures.csv"])
def test_2_two_names_for_one_file_are_refused(repo: Path, tmp_path: Path, second: str) -> None:
    members = _members(repo)
    forged = members["resources/figures.csv"].replace(b"41000000000", b"99000000000")
    assert forged != members["resources/figures.csv"]
    archive = archive_of(members, tmp_path / "a.zip", [(second, forged)])
    problems = validate(archive)
    assert [p.check for p in problems] == ["archive"], problems
    assert REFUSED_NAME in problems[0].found or "one name on a case-insensitive disk" in problems[0].found
    with pytest.raises(LoadError):
        cnkz.load(archive)


# 14. seeds/ itself a link: source.file was confined to wherever the link pointed.
def test_14_a_seeds_folder_that_is_a_link_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.move(repo / "seeds", outside)
    secret = "THE-SECRET-TEXT " * 10
    for seed in outside.iterdir():
        seed.write_text(secret, encoding="utf-8")
    (repo / "seeds").symlink_to(outside)
    with pytest.raises(CurationError, match="leads outside seeds/") as caught:
        curate(repo)
    assert "SECRET" not in str(caught.value)
    assert main(["build", "--root", str(repo)]) == 2
    assert len(find(validate(repo), "seed_missing")) == 5  # a linked seeds/ is not the package's: every text is missing


# 9. A quote check sliced each row's text from char_start to char_end: a far end copied the whole text per row. The engine
# now slices in SQL, and only up to one character past the quote's length.
def test_9_quote_slices_are_bounded_by_the_quote_not_the_offsets() -> None:
    texts = pa.record_batch({"source_id": ["s"], "text": ["x" * (8 << 20)]})
    quotes = pa.record_batch({"source_id": ["s"] * 50, "quote": ["x" * 39 + "y"] * 50, "char_start": [0] * 50, "char_end": [999_999_999] * 50})
    with Engine(Settings(memory_limit="64MB", threads=1)) as engine:
        engine.load("texts", [texts], texts.schema)
        engine.load("q", [quotes], quotes.schema)
        compared = quote_at_offsets(engine.tables["q"], engine.tables["texts"]).to_pyarrow()
    assert compared.column("found").to_pylist() == ["x" * 41] * 50  # 50 slices of 8 MiB each before


def test_9_a_far_quote_end_is_reported_in_a_few_hundred_characters(repo: Path) -> None:
    events = cnkz.load(repo, format="csv")
    row = events["events"].iloc[0]
    source = events["sources"].set_index("source_id").loc[row["source_id"]]
    text = (repo / source["path"]).read_text(encoding="utf-8")
    set_cell(repo, "events", 0, "char_end", "999999999")
    _same_in_parquet(repo, "events", "char_end", 0, 999_999_999)
    rehash(repo)
    [problem] = find(validate(repo), "quote_offsets", "events")
    # The text is shown to one character past the quote's length: enough to see where they part, never the whole text.
    start, quote = int(row["char_start"]), row["quote"]
    assert problem.found == f"{text[start : start + len(quote) + 1]!r} vs quote {quote!r}"


def _same_in_parquet(repo: Path, table: str, column: str, row: int, value: object) -> None:
    path = repo / "resources" / f"{table}.parquet"
    data = pq.read_table(path)
    values = data.column(column).to_pylist()
    values[row] = value
    pq.write_table(data.set_column(data.schema.get_field_index(column), column, pa.array(values, data.schema.field(column).type)), path,
                   **PARQUET_OPTIONS)


# 10. Every failing cell became a Problem (its row key read back from pandas) before the per-check cap applied. The engine now
# counts failures in a query and fetches only the rows it lists.
def test_10_failures_past_the_cap_are_counted_not_converted(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = repo / "resources" / "figures.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    rows = 5 * validate_module.LISTED
    path.write_text(path.read_text(encoding="utf-8") + ("x" + "," * header.count(",") + "\n") * rows, encoding="utf-8")
    rehash(repo)
    calls = 0

    def counting(real: Any) -> Any:
        def count(*args: object, **kwargs: object) -> str:
            nonlocal calls
            calls += 1
            return real(*args, **kwargs)
        return count

    # Every listed problem's row is located by one of these: a rule's or a column check's, or a cell's type.
    monkeypatch.setattr(runner_module, "listed_key", counting(runner_module.listed_key))
    monkeypatch.setattr(rows_module, "row_key", counting(rows_module.row_key))
    problems = validate(repo)
    required = find(problems, "required", "figures", "value")
    assert len(required) == validate_module.LISTED + 1
    assert [p.found for p in required if p.row == ""] == [f"{rows - validate_module.LISTED} more not listed"]
    groups = len({(p.check, p.column) for p in problems if p.table == "figures"})
    assert calls <= validate_module.LISTED * groups, (calls, groups)  # not rows × checks


# 11. jsonschema listed every error of a million-item array, and compared enum objects pairwise.
@pytest.mark.parametrize(("edit", "found"), [
    (lambda d: d.update(keywords=[1] * 1_000_000), "/keywords is an array of 1000000 items, over the cap of 10000"),
    (lambda d: d["resources"][0]["schema"]["fields"][0].update(constraints={"enum": [{"a": i} for i in range(5000)]}),
     "/resources/0/schema/fields/0/constraints/enum holds objects or arrays; an enum lists plain values"),
])
def test_11_a_huge_or_pairwise_descriptor_is_one_profile_problem(repo: Path, edit: object, found: str) -> None:
    edit_descriptor(repo, edit)
    problems = find(validate(repo, [check_profile]), "profile")
    assert [p.found for p in problems] == [found]


def test_11_profile_errors_are_listed_up_to_the_cap(repo: Path) -> None:
    edit_descriptor(repo, lambda d: d.update(keywords=[1] * 5000))
    problems = find(validate(repo, [check_profile]), "profile")
    assert len(problems) == validate_module.LISTED
    assert problems[0].found == "1 is not of type 'string'"


# 12. A Parquet dictionary repeated one long value: a few KB on disk, gigabytes once decoded.
def test_12_a_parquet_dictionary_bomb_is_refused_before_it_is_decoded(repo: Path) -> None:
    path = repo / "resources" / "events.parquet"
    events = pq.read_table(path)
    many = pa.concat_tables([events] * 8)
    long_text = "a" * (1 << 20)
    bomb = many.set_column(many.schema.get_field_index("summary"), "summary", pa.array([long_text] * many.num_rows, pa.string()))
    pq.write_table(bomb, path, compression="zstd", use_dictionary=True)
    assert path.stat().st_size < 64 << 10 and many.num_rows << 20 > 16 << 20
    rehash(repo)
    with using(Limits(member_bytes=16 << 20)):
        tracemalloc.start()
        try:
            problems = find(validate(repo, [check_rows]), "unreadable", "events-parquet")  # the Parquet file, not the CSV
            with pytest.raises(LoadError, match=r"rows decode to at least \d+ bytes, over the cap of 16777216 for one file"):
                cnkz.load(repo, format="parquet")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert len(problems) == 1 and "over the cap of 16777216 for one file" in problems[0].found, problems
    assert peak < 64 << 20, peak


# 18. Tracebacks from cnkz.load on a hostile descriptor: it either loads or says what is wrong in one line.
def _published(version: str, target: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    with zipfile.ZipFile(ROOT / "releases" / f"china-kazakhstan-engagements-{version}.zip") as archive:
        archive.extractall(target)
    (folder,) = list(target.iterdir())
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    edit(descriptor)
    data = json.dumps(descriptor).encode("utf-8")
    (folder / "datapackage.json").write_bytes(data)
    sums = [f"{hashlib.sha256(data).hexdigest()}  datapackage.json" if line.endswith("  datapackage.json") else line
            for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return folder


def _every_enum(descriptor: dict[str, Any], change: Callable[[list[Any]], list[Any]]) -> None:
    for resource in descriptor["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            if "enum" in field.get("constraints", {}):
                field["constraints"]["enum"] = change(field["constraints"]["enum"])


HOSTILE_DESCRIPTORS: dict[str, Callable[[dict[str, Any]], object]] = {
    "constraints a string": lambda d: [f.update(constraints="x") for r in d["resources"] for f in r["schema"]["fields"]],
    "fields a number": lambda d: [r["schema"].update(fields=5) for r in d["resources"]],
    "an enum repeating a value": lambda d: _every_enum(d, lambda enum: [*enum, enum[0]]),
    "an enum of objects": lambda d: _every_enum(d, lambda enum: [{}, None]),
}


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
@pytest.mark.parametrize("name", list(HOSTILE_DESCRIPTORS))
def test_18_a_hostile_descriptor_is_one_line_from_load_and_validate(tmp_path: Path, version: str, name: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = _published(version, tmp_path, HOSTILE_DESCRIPTORS[name])
    for fmt in ("csv", "parquet"):
        try:
            cnkz.load(folder, format=fmt)
        except LoadError as error:
            assert "\n" not in str(error)
    assert main(["validate", str(folder)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_18_an_enum_repeating_a_value_names_the_field(tmp_path: Path) -> None:
    folder = _published("1.0.0", tmp_path, HOSTILE_DESCRIPTORS["an enum repeating a value"])
    with pytest.raises(LoadError, match=r"record events: the enum of field 'event_type' repeats a value or holds something other than text"):
        cnkz.load(folder)
