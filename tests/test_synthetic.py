"""scripts/synthetic.py writes a package that validates, seed texts included, for any table definitions; streamed, so its
memory does not grow with the rows; deterministic; with about rows / --rows-per-source sources."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cnkz import tables as T
from cnkz.validate import validate
from cnkz.validation.columns import field_checks

from .conftest import ROOT, set_cell

sys.path.insert(0, str(ROOT / "scripts"))
import synthetic

# One xdist worker (--dist loadgroup) runs this module's tests, so the synthetic package is made once.
pytestmark = pytest.mark.xdist_group("synthetic")

ROWS, PER_SOURCE, BATCH = 400, 10, 150  # several batches, a pledge's update often in a later batch than the pledge


def generate(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "synthetic.py"), *options, str(directory)], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synthetic") / "package"
    result = generate(directory, "--rows", str(ROWS), "--batch-rows", str(BATCH))
    assert result.returncode == 0, result.stderr
    assert f"{ROWS} rows per table, {ROWS // PER_SOURCE} sources" in result.stdout
    return directory


def rows(package: Path) -> dict[str, int]:
    return {p.stem: pq.ParquetFile(p).metadata.num_rows for p in (package / "resources").glob("*.parquet")}


def test_the_synthetic_package_is_valid_with_its_seed_texts(package: Path) -> None:
    assert validate(package) == []
    assert len(list((package / "seeds").iterdir())) == ROWS // PER_SOURCE
    counts = rows(package)
    assert counts["sources"] == ROWS // PER_SOURCE
    assert all(counts[name] == ROWS for name in ("events", "participants", "pledges", "figures"))
    assert 0 < counts["pledge_updates"] < ROWS


def test_the_same_arguments_give_the_same_bytes(package: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert generate(again, "--rows", str(ROWS), "--batch-rows", str(BATCH)).returncode == 0
    comparison = filecmp.dircmp(package, again)
    names = [*comparison.common_files, *(f"resources/{n}" for n in comparison.subdirs["resources"].common_files)]
    names += [f"seeds/{n}" for n in comparison.subdirs["seeds"].common_files]
    assert sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file()) == sorted(names)
    _, mismatch, errors = filecmp.cmpfiles(package, again, names, shallow=False)
    assert mismatch == [] and errors == []


def test_rows_per_source_sets_the_number_of_sources(tmp_path: Path) -> None:
    directory = tmp_path / "wide"
    result = generate(directory, "--rows", "130", "--rows-per-source", "4")
    assert result.returncode == 0, result.stderr
    counts = rows(directory)
    assert counts["sources"] == 33  # ceil(130 / 4): the last source cites 2 rows of each table
    assert len(list((directory / "seeds").iterdir())) == 33
    assert counts["events"] == counts["pledges"] == 130
    assert validate(directory) == []


def test_its_provenance_is_really_checked(package: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(package, tmp_path / "copy"))
    seed = sorted((copy / "seeds").iterdir())[0]
    seed.write_bytes(seed.read_bytes().replace(b"\n\n", b"\n \n", 1))
    key = set_cell(copy, "events", 5, "char_start", "0")
    problems = validate(copy)
    assert any(p.check == "seed_hash" for p in problems)
    assert any(p.check == "quote_offsets" and p.row == f"7 ({key})" for p in problems)


MEASURE = """
import json, sys, tempfile, tracemalloc
import pyarrow as pa
sys.path.insert(0, {scripts!r})
import synthetic
synthetic.ROW_GROUP_ROWS = {batch}  # the rows buffered for a Parquet row group, as small as the batch
peaks, kept = [], []
for rows in {sizes!r}:
    base = []

    def after_batch(done, total):
        # From the second batch on, above what is then held: the first batch also loads GeoNames and the pools.
        if not base:
            base.append(tracemalloc.get_traced_memory()[0])
            tracemalloc.reset_peak()

    pool = pa.proxy_memory_pool(pa.default_memory_pool())  # Arrow's allocations of this run alone
    pa.set_memory_pool(pool)
    kept.append(pool)  # buffers of a run may outlive it: their pool must too
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as directory:
        synthetic.generate(directory, rows, rows_per_source=2, batch_rows={batch}, progress=after_batch)
    peaks.append({{"rows": rows, "python": tracemalloc.get_traced_memory()[1] - base[0], "arrow": pool.max_memory()}})
    tracemalloc.stop()
print(json.dumps(peaks))
"""


def peak_bytes(sizes: list[int], batch: int) -> list[dict[str, int]]:
    """Peak memory of generating a package of each size: Python and numpy (tracemalloc), Arrow (its pool)."""
    code = MEASURE.format(scripts=str(ROOT / "scripts"), sizes=sizes, batch=batch)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_generators_memory_does_not_grow_with_the_rows() -> None:
    # Ten times the rows in batches (and Parquet row groups) of the same size: the peaks stay within a small factor, where a
    # generator holding whole tables would need ten times as much. The batch is what memory holds at any size.
    small, large = peak_bytes([600, 6_000], 200)
    assert large["python"] < 1.5 * small["python"], (small, large)
    assert large["arrow"] < 1.5 * small["arrow"], (small, large)


def test_a_table_without_a_hook_is_generated_from_its_definition() -> None:
    # A table the generator has never seen: every column comes from its definition alone.
    places = T.Table(  # a name no table has, so no hand-written rule of a real table applies
        name="landmarks", title="Landmarks", description="test", primary_key=("place_id",),
        fields=(
            T.Field("place_id", "string", "id", required=True, unique=True, pattern=T.SLUG),
            T.Field("country", "string", "c", vocabulary=T.COUNTRY),
            T.Field("name", "string", "n", required=True),
            T.Field("population", "integer", "p", minimum=0),
            T.Field("latitude", "number", "l", minimum=-90, maximum=90),
            T.Field("capital", "boolean", "b"),
            T.Field("founded", "date", "d"),
            T.Field("period", "string", "y", pattern=T.PERIOD),
        ),
    )
    context = synthetic.Context(300, seed=1)
    columns: dict[str, object] = {}
    for f in places.fields:
        columns[f.name] = synthetic.generic_column(places, f, context, columns)
    table = synthetic.pa.table(columns, schema=synthetic.arrow_schema(places))
    import ibis

    # Every column check the validator runs on the engine (a null result passes, as there), counted on the table.
    rows = ibis.memtable(table)
    failing = {(check.column, check.code): n for f in places.fields for check in field_checks(f)
               if (n := rows.filter(~check.good(rows[f.name]).fill_null(True)).count().to_pyarrow().as_py())}
    assert failing == {}
    assert len(table.column("place_id").unique()) == 300


def test_the_benchmark_measures_the_whole_command_against_the_floor(package: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--sizes", str(ROWS), "--existing", str(package),
                             "--no-real", "--json"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (measured,) = json.loads(result.stdout)["sizes"]
    steps, duckdb = measured["steps"], measured["engines"]["duckdb"]
    assert duckdb["problems"] == 0 and "valid" in duckdb["output"]
    assert steps["pyarrow"]["rows_read"] == 2 * sum(rows(package).values())  # every row read twice: CSV and Parquet
    assert steps["seeds"]["seed_files"] == measured["sources"] == ROWS // PER_SOURCE
    assert steps["engine_read"]["rows_read"] == sum(rows(package).values())  # the engine's read, beside the floor: every CSV row once
    assert measured["floor_seconds"] == pytest.approx(steps["pyarrow"]["seconds"] + steps["seeds"]["seconds"])
    ratio = measured["targets"]["duckdb"]["floor_ratio"]
    assert ratio["value"] == pytest.approx(duckdb["seconds"] / measured["floor_seconds"])
    assert ratio["pass"] is None  # targets are set at 10^6 and 10^7 rows per table only
    assert measured["disk_mb"] > 0 and duckdb["peak_mb"] > 0
