"""scripts/synthetic.py writes a package that validates, seed texts included, for any table definitions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandera.errors
import pytest

from cnkz import tables as T
from cnkz.schemas import batch_schema
from cnkz.validate import to_frame, validate

from .conftest import ROOT, set_cell

sys.path.insert(0, str(ROOT / "scripts"))
import synthetic

# One xdist worker (--dist loadgroup) runs this module's tests, so the synthetic package is made once.
pytestmark = pytest.mark.xdist_group("synthetic")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synthetic") / "package"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "synthetic.py"), "--rows", "400", str(directory)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "400 rows per table" in result.stdout
    return directory


def test_the_synthetic_package_is_valid_with_its_seed_texts(package: Path) -> None:
    assert validate(package) == []
    assert len(list((package / "seeds").iterdir())) == 400


def test_its_provenance_is_really_checked(package: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(package, tmp_path / "copy"))
    seed = sorted((copy / "seeds").iterdir())[0]
    seed.write_bytes(seed.read_bytes().replace(b"\n\n", b"\n \n", 1))
    key = set_cell(copy, "events", 5, "char_start", "0")
    problems = validate(copy)
    assert any(p.check == "seed_hash" for p in problems)
    assert any(p.check == "quote_offsets" and p.row == f"7 ({key})" for p in problems)


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
    try:
        batch_schema(places).validate(to_frame(table), lazy=True)
    except pandera.errors.SchemaErrors as exc:  # pragma: no cover - the message is the point
        pytest.fail(str(exc.failure_cases))
    assert len(table.column("place_id").unique()) == 300


def test_the_benchmark_measures_the_whole_command_against_the_bare_reads(package: Path) -> None:
    import json

    import pyarrow.parquet as pq

    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--sizes", "400", "--existing", str(package),
                             "--frictionless-max", "0", "--json"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (measured,) = json.loads(result.stdout)
    steps, targets = measured["steps"], measured["targets"]
    assert steps["ours"]["problems"] == 0 and "valid" in steps["ours"]["output"]
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in (package / "resources").glob("*.parquet"))
    assert steps["pyarrow"]["rows_read"] == 2 * rows  # every row read twice: CSV and Parquet
    assert steps["seeds"]["seed_files"] == 400
    assert targets["pyarrow_ratio"]["value"] == pytest.approx(steps["ours"]["seconds"] / steps["pyarrow"]["seconds"])
    assert targets["floor_ratio"]["value"] == pytest.approx(steps["ours"]["seconds"] / (steps["pyarrow"]["seconds"] + steps["seeds"]["seconds"]))
