"""Benchmark the whole `cnkz validate DIR` against a bare pyarrow read and `frictionless validate`, on synthetic packages.

Usage: python scripts/bench.py [--sizes 10000,100000,1000000] [--frictionless-max 10000] [--keep] [--json] [--profile]
       python scripts/bench.py --sizes 1000000 --existing DIR   (a package made before with scripts/synthetic.py --rows 1000000 DIR)
(10^7 rows per table on demand: --sizes 10000000; it needs about 25 GB of disk under /tmp for the seeds and tables)

A benchmark, not a timed test: it prints numbers and PASS/MISS against the targets, and fails only
when a synthetic package is not valid (timing invalid data would measure nothing).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))

from cnkz.tables import TABLES  # noqa: E402  (after the path, like synthetic)

TARGET_PYARROW = 3.0  # (a)/(c): the whole command within 3x of a bare pyarrow read
TARGET_PEAK_MB = 1024.0  # peak memory of (a)
STEP_TITLES = {
    "ours": "(a) cnkz validate DIR (whole)",
    "frictionless": "(b) frictionless validate",
    "pyarrow": "(c) pyarrow read, CSV+Parquet",
    "seeds": "(d) sha256sum of every seed text",
}


# ---------------------------------------------------------------- the steps, each run in its own process


def peak_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_ours(package: Path) -> dict[str, Any]:
    """The command as people run it, in its own process: interpreter start, imports, every layer, provenance included."""
    # A synthetic table can be larger than the default cap on one file (cnkz.limits); raise it as a user would.
    largest = max(p.stat().st_size for p in package.rglob("*") if p.is_file())
    env = {**os.environ, "CNKZ_MAX_MEMBER_BYTES": str(max(largest + 1, 256 * 1024 * 1024))}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cnkz.cli", "validate", str(package)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    # ru_maxrss of the children: the largest resident set of any child so far, and this is the only one.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    problems = [line for line in stderr.splitlines() if line.startswith("[")]
    if proc.returncode != 0 and not problems:
        problems = stderr.splitlines()[-5:] or [f"exit {proc.returncode}"]
    return {"method": "python -m cnkz.cli validate DIR", "seconds": seconds, "problems": len(problems), "first": problems[:10],
            "child_peak_mb": peak, "output": stdout.strip()}


def step_frictionless(package: Path) -> dict[str, Any]:
    import frictionless

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(package / "datapackage.json"))
    seconds = time.perf_counter() - started
    errors = [f"{e.type}: {e.note}" for e in report.errors]
    errors += [f"{t.name} row {getattr(e, 'row_number', '')}: {e.type}: {e.note}" for t in report.tasks for e in t.errors]
    # Its own per-resource timings: its Parquet path (through pandas, row by row) is far slower than its CSV path.
    by_format = {fmt: sum(t.stats.get("seconds") or 0 for t in report.tasks if t.name.endswith("-parquet") == (fmt == "parquet")) for fmt in ("csv", "parquet")}
    return {"method": f"frictionless {frictionless.__version__} validate", "seconds": seconds, "problems": len(errors), "first": errors[:10],
            "by_format": by_format}


def step_pyarrow(package: Path) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    started = time.perf_counter()
    rows = 0
    for path in sorted((package / "resources").iterdir()):
        # Default options: type inference on, multithreaded, as a user would call it.
        table = pacsv.read_csv(path) if path.suffix == ".csv" else pq.read_table(path)
        rows += table.num_rows
        del table
    seconds = time.perf_counter() - started
    return {"method": "pyarrow.csv.read_csv + pyarrow.parquet.read_table", "seconds": seconds, "problems": 0, "first": [], "rows_read": rows}


def step_profile(package: Path) -> dict[str, Any]:
    """Seconds per validation layer, then the whole validation under cProfile (slower than the timed run)."""
    from cnkz import validate

    descriptor, _ = validate.load_descriptor(package)
    assert descriptor is not None
    phases = {}
    for layer in validate.LAYERS:
        started = time.perf_counter()
        layer(validate.Package(package, descriptor))
        phases[layer.__name__] = round(time.perf_counter() - started, 3)
    profiler = cProfile.Profile()
    profiler.enable()
    validate.validate(package)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(15)
    stats.sort_stats("tottime").print_stats(10)
    return {"method": "cnkz.validate.validate", "seconds": 0.0, "problems": 0, "first": [], "profile": out.getvalue(), "phases": phases}


def step_seeds(package: Path) -> dict[str, Any]:
    """What provenance cannot do without: every seed text read and hashed, by coreutils' sha256sum on every core."""
    started = time.perf_counter()
    files = [entry.path for entry in os.scandir(package / "seeds") if entry.is_file()]
    proc = subprocess.run(["xargs", "-0", "-P", str(os.cpu_count() or 1), "-n", "2000", "sha256sum"], input="\0".join(files).encode(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sha256sum failed: {proc.stderr.decode()[-500:]}")
    return {"method": f"xargs -P {os.cpu_count()} sha256sum over {len(files):,} seed files", "seconds": seconds, "problems": 0, "first": [],
            "seed_files": len(files), "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


STEPS = {"ours": step_ours, "frictionless": step_frictionless, "pyarrow": step_pyarrow, "seeds": step_seeds, "profile": step_profile}


def child(step: str, package: Path) -> int:
    """Run one step and print its result, with this process's peak memory, as the last line of JSON."""
    result = STEPS[step](package)
    result["peak_mb"] = result.pop("child_peak_mb", None) or peak_mb()
    print(json.dumps(result))
    return 0


def run_step(step: str, package: Path) -> dict[str, Any]:
    """A step in a fresh interpreter, so each peak memory is its own (imports are outside the timing)."""
    proc = subprocess.run([sys.executable, __file__, "--step", step, str(package)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- one size


def measure(size: int, args: argparse.Namespace, frictionless_known: dict[str, Any] | None) -> dict[str, Any]:
    """Generate a package of `size` rows per table and run the three steps on it."""
    given = Path(args.package) if args.package else None
    package = given or Path(tempfile.mkdtemp(prefix=f"cnkz-bench-{size}-", dir="/tmp"))
    try:
        started = time.perf_counter()
        if given is None:
            # In its own process: a child forked from a process that held the tables would report their memory as its peak.
            subprocess.run([sys.executable, str(SCRIPTS / "synthetic.py"), "--rows", str(size), "--seed", str(args.seed), str(package)],
                           check=True, stdout=subprocess.DEVNULL)
        files = list((package / "resources").iterdir())
        written = {fmt: sum(f.stat().st_size for f in files if f.suffix == f".{fmt}") for fmt in ("csv", "parquet")}
        result: dict[str, Any] = {"size": size, "rows": size * len(TABLES), "tables": len(TABLES), "package": str(package),
                                  "generate_seconds": time.perf_counter() - started,
                                  "csv_mb": written["csv"] / 2**20, "parquet_mb": written["parquet"] / 2**20, "steps": {}}
        ours = result["steps"]["ours"] = run_step("ours", package)
        require_valid("cnkz validate", ours)
        result["steps"]["pyarrow"] = run_step("pyarrow", package)
        result["steps"]["seeds"] = run_step("seeds", package)
        if size <= args.frictionless_max:
            result["steps"]["frictionless"] = run_step("frictionless", package)
            require_valid("frictionless validate", result["steps"]["frictionless"])
        elif frictionless_known:
            result["steps"]["frictionless"] = extrapolate(frictionless_known, size)
        if args.profile:
            result["profile"] = run_step("profile", package)
        result["targets"] = targets(result["steps"])
        return result
    finally:
        if given is not None:
            pass
        elif args.keep:
            print(f"kept {package}", file=sys.stderr)
        else:
            shutil.rmtree(package, ignore_errors=True)


def require_valid(what: str, step: dict[str, Any]) -> None:
    """A benchmark on invalid data measures nothing: stop with the first problems."""
    if step["problems"]:
        lines = "\n  ".join(step["first"])
        raise SystemExit(f"{what} found {step['problems']} problems in the synthetic package; first ones:\n  {lines}")


def extrapolate(measured: dict[str, Any], size: int) -> dict[str, Any]:
    """Frictionless works row by row, so its time is taken as linear in the rows; memory is not estimated."""
    return {"method": measured["step"]["method"], "seconds": measured["step"]["seconds"] * size / measured["size"], "peak_mb": None,
            "problems": 0, "first": [], "extrapolated_from": measured["size"]}


def targets(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets, each with its value and PASS/MISS."""
    ours = steps["ours"]
    ratio = ours["seconds"] / steps["pyarrow"]["seconds"]
    floor = steps["pyarrow"]["seconds"] + steps["seeds"]["seconds"] if "seeds" in steps else None
    return {
        "pyarrow_ratio": {"value": ratio, "target": f"<= {TARGET_PYARROW:g}x", "pass": ratio <= TARGET_PYARROW},
        "floor_ratio": {"value": None if floor is None else ours["seconds"] / floor, "target": "(a) against (c) + (d)", "pass": True},
        "peak_mb": {"value": ours["peak_mb"], "target": f"< {TARGET_PEAK_MB:g} MB", "pass": ours["peak_mb"] < TARGET_PEAK_MB},
    }


# ---------------------------------------------------------------- output


def render(result: dict[str, Any]) -> str:
    """The table for one size."""
    rows, steps = result["rows"], result["steps"]
    lines = [
        f"== {result['size']:,} rows per table ({rows:,} rows in {result['tables']} tables; "
        f"CSV {result['csv_mb']:.0f} MB, Parquet {result['parquet_mb']:.0f} MB; "
        f"generated in {result['generate_seconds']:.1f} s)",
        f"{'step':34} {'seconds':>10} {'rows/s':>12} {'peak MB':>9}",
    ]
    for key in ("ours", "frictionless", "pyarrow", "seeds"):
        step = steps.get(key)
        if step is None:
            lines.append(f"{STEP_TITLES[key]:34} {'not run':>10}")
            continue
        note = f"  extrapolated from {step['extrapolated_from']:,}" if "extrapolated_from" in step else ""
        peak = "-" if step["peak_mb"] is None else f"{step['peak_mb']:,.0f}"
        lines.append(f"{STEP_TITLES[key]:34} {step['seconds']:10.2f} {rows / step['seconds']:12,.0f} {peak:>9}{note}")
    lines.append("rows/s counts the rows of every table once, though (a), (b) and (c) read both CSV and Parquet; (a) also reads every seed text")
    t = result["targets"]
    p = t["pyarrow_ratio"]
    lines.append(f"  (a)/(c) = {p['value']:.1f}x a bare pyarrow read (target {p['target']})  {verdict(p)}")
    if t["floor_ratio"]["value"] is not None:
        lines.append(f"  (a)/((c)+(d)) = {t['floor_ratio']['value']:.1f}x reading every table and seed text with nothing checked "
                     "(no target: the seed files alone take (d)/(c) = "
                     f"{steps['seeds']['seconds'] / steps['pyarrow']['seconds']:.1f}x the table read)")
    m = t["peak_mb"]
    lines.append(f"  (a) peak memory {m['value']:,.0f} MB (target {m['target']})  {verdict(m)}")
    if "frictionless" in steps:
        lines.append(f"  (b)/(a) = {steps['frictionless']['seconds'] / steps['ours']['seconds']:.1f}: frictionless is run once by "
                     "`nox -s validate` and `cnkz release`, not by `cnkz validate`")
    if "by_format" in steps.get("frictionless", {}):
        split = steps["frictionless"]["by_format"]
        lines.append(f"  frictionless's own task times: CSV resources {split['csv']:.1f} s, Parquet resources {split['parquet']:.1f} s")
    if "profile" in result:
        prof = result["profile"]
        lines += ["", "seconds per layer (separate run): " + ", ".join(f"{k} {v}" for k, v in prof["phases"].items())]
        lines += ["cProfile of (a) (top 15 by cumulative time, then top 10 by own time):", prof["profile"].strip()]
    return "\n".join(lines)


def verdict(target: dict[str, Any]) -> str:
    return "PASS" if target["pass"] else "MISS"


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows per table, comma-separated")
    parser.add_argument("--frictionless-max", type=int, default=10_000, help="above this size, extrapolate frictionless linearly instead of running it")
    parser.add_argument("--keep", action="store_true", help="keep the generated packages under /tmp")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--profile", action="store_true", help="also time each layer and profile the validation with cProfile")
    parser.add_argument("--existing", metavar="DIR", help="measure a package made before by scripts/synthetic.py (--sizes names its rows per table)")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)  # internal: run one step in this process
    parser.add_argument("package", nargs="?", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        return child(args.step, Path(args.package))
    args.package = args.existing
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    results = []
    frictionless_known: dict[str, Any] | None = None  # the largest measured run, for extrapolation
    for size in sizes:
        result = measure(size, args, frictionless_known)
        step = result["steps"].get("frictionless")
        if step is not None and "extrapolated_from" not in step:
            frictionless_known = {"size": size, "step": step}
        results.append(result)
        if not args.json:
            print(render(result), end="\n\n", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
