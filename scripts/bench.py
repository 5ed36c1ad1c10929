"""Benchmark our row-level validation against `frictionless validate` and a bare pyarrow read, on synthetic packages.

Usage: python scripts/bench.py [--sizes 10000,100000,1000000] [--frictionless-max 100000] [--keep] [--json] [--profile]

A benchmark, not a timed test: it prints numbers and PASS/MISS against the targets, and fails only
when a synthetic package is not valid (timing invalid data would measure nothing).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
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

TABLE_COUNT = 5
TARGET_SPEEDUP = 20.0  # (b)/(a): at least 20x faster than frictionless validate
TARGET_PYARROW = 3.0  # (a)/(c): within 3x of a bare pyarrow read
TARGET_PEAK_MB = 2048.0  # peak memory of (a)
STEP_TITLES = {
    "ours": "(a) cnkz row-level checks",
    "frictionless": "(b) frictionless validate",
    "pyarrow": "(c) pyarrow read, CSV+Parquet",
}


# ---------------------------------------------------------------- the steps, each run in its own process


def peak_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row_checks() -> tuple[str, Any]:
    """cnkz.validate.check_rows when it exists, else the same layers composed by hand."""
    from cnkz import validate

    if hasattr(validate, "check_rows"):
        return "cnkz.validate.check_rows", validate.check_rows

    def composed(package_dir: Path) -> list[Any]:
        csv_frames, problems = validate.read_tables(package_dir, "csv")
        parquet_frames, parquet_problems = validate.read_tables(package_dir, "parquet")
        return problems + parquet_problems + validate.check_schemas(csv_frames) + validate.check_formats_agree(csv_frames, parquet_frames)

    return "read_tables+check_schemas+check_formats_agree (check_rows missing)", composed


def problems_of(result: Any) -> list[Any]:
    """check_rows returns problems, or (problems, frames)."""
    return list(result[0] if isinstance(result, tuple) else result)


def step_ours(package: Path) -> dict[str, Any]:
    method, check = row_checks()
    started = time.perf_counter()
    problems = problems_of(check(package))
    seconds = time.perf_counter() - started
    return {"method": method, "seconds": seconds, "problems": len(problems), "first": [str(p) for p in problems[:10]]}


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


def phase_times(package: Path) -> dict[str, float]:
    """Seconds per layer of the row-level checks, to show where the time goes."""
    from cnkz import validate

    times: dict[str, float] = {}

    def timed(name: str, call: Any) -> Any:
        started = time.perf_counter()
        result = call()
        times[name] = round(time.perf_counter() - started, 3)
        return result

    csv_frames, _ = timed("read_tables(csv)", lambda: validate.read_tables(package, "csv"))
    parquet_frames, _ = timed("read_tables(parquet)", lambda: validate.read_tables(package, "parquet"))
    timed("check_schemas", lambda: validate.check_schemas(csv_frames))
    timed("check_formats_agree", lambda: validate.check_formats_agree(csv_frames, parquet_frames))
    return times


def check_times(package: Path) -> list[tuple[str, float]]:
    """Seconds of each pandera column check and each row rule, called one by one outside pandera."""
    from cnkz import schemas, validate
    from cnkz.tables import TABLES

    frames, _ = validate.read_tables(package, "csv")
    times = []
    for table in TABLES:
        frame = frames[table.name]
        for f in table.fields:
            for check in schemas.column_checks(f):
                started = time.perf_counter()
                check(frame[f.name])
                times.append((f"{table.name}.{f.name} {schemas.CHECK_CODES[str(check.error)]}", time.perf_counter() - started))
        for code, column, _, rule in schemas.derived_rules(table) + schemas.ROW_RULES[table.name]:
            started = time.perf_counter()
            rule(frame, frames)
            times.append((f"{table.name} rule {code} ({column})", time.perf_counter() - started))
    return sorted(times, key=lambda item: -item[1])


def step_profile(package: Path) -> dict[str, Any]:
    """The row-level checks under cProfile (slower than the timed run): top 15 by cumulative time, and per layer."""
    method, check = row_checks()
    profiler = cProfile.Profile()
    profiler.enable()
    check(package)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(15)
    stats.sort_stats("tottime").print_stats(10)
    checks = check_times(package)
    return {"method": method, "seconds": 0.0, "problems": 0, "first": [], "profile": out.getvalue(), "phases": phase_times(package),
            "checks_total": sum(t for _, t in checks), "slowest_checks": checks[:12]}


STEPS = {"ours": step_ours, "frictionless": step_frictionless, "pyarrow": step_pyarrow, "profile": step_profile}


def child(step: str, package: Path) -> int:
    """Run one step and print its result, with this process's peak memory, as the last line of JSON."""
    result = STEPS[step](package)
    result["peak_mb"] = peak_mb()
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
    import synthetic

    package = Path(tempfile.mkdtemp(prefix=f"cnkz-bench-{size}-", dir="/tmp"))
    try:
        started = time.perf_counter()
        written = synthetic.generate(package, size, seed=args.seed)
        result: dict[str, Any] = {"size": size, "rows": size * TABLE_COUNT, "package": str(package), "generate_seconds": time.perf_counter() - started,
                                  "csv_mb": written["csv"] / 2**20, "parquet_mb": written["parquet"] / 2**20, "steps": {}}
        ours = result["steps"]["ours"] = run_step("ours", package)
        require_valid("our row-level checks", ours)
        result["steps"]["pyarrow"] = run_step("pyarrow", package)
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
        if args.keep:
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
    """The issue's three targets, each with its value and PASS/MISS (None when a step is missing)."""
    ours = steps["ours"]
    out: dict[str, Any] = {}
    if "frictionless" in steps:
        speedup = steps["frictionless"]["seconds"] / ours["seconds"]
        out["frictionless_speedup"] = {"value": speedup, "a_over_b": 1 / speedup, "target": f">= {TARGET_SPEEDUP:g}x", "pass": speedup >= TARGET_SPEEDUP}
    ratio = ours["seconds"] / steps["pyarrow"]["seconds"]
    out["pyarrow_ratio"] = {"value": ratio, "a_over_c": ratio, "target": f"<= {TARGET_PYARROW:g}x", "pass": ratio <= TARGET_PYARROW}
    out["peak_mb"] = {"value": ours["peak_mb"], "target": f"< {TARGET_PEAK_MB:g} MB", "pass": ours["peak_mb"] < TARGET_PEAK_MB}
    return out


# ---------------------------------------------------------------- output


def render(result: dict[str, Any]) -> str:
    """The table for one size."""
    rows, steps = result["rows"], result["steps"]
    lines = [
        f"== {result['size']:,} rows per table ({rows:,} rows in 5 tables; CSV {result['csv_mb']:.0f} MB, Parquet {result['parquet_mb']:.0f} MB; "
        f"generated in {result['generate_seconds']:.1f} s)",
        f"{'step':34} {'seconds':>10} {'rows/s':>12} {'peak MB':>9}",
    ]
    for key in ("ours", "frictionless", "pyarrow"):
        step = steps.get(key)
        if step is None:
            lines.append(f"{STEP_TITLES[key]:34} {'not run':>10}")
            continue
        note = f"  extrapolated from {step['extrapolated_from']:,}" if "extrapolated_from" in step else ""
        peak = "-" if step["peak_mb"] is None else f"{step['peak_mb']:,.0f}"
        lines.append(f"{STEP_TITLES[key]:34} {step['seconds']:10.2f} {rows / step['seconds']:12,.0f} {peak:>9}{note}")
    lines.append(f"(a) ran {steps['ours']['method']}; rows/s counts the rows of the five tables once, though (a), (b) and (c) read CSV and Parquet")
    t = result["targets"]
    if "frictionless_speedup" in t:
        s = t["frictionless_speedup"]
        lines.append(f"  (a)/(b) = {s['a_over_b']:.3f}: {s['value']:.1f}x faster than frictionless (target {s['target']})  {verdict(s)}")
        lines.append(f"  full `cnkz validate` runs both: about {steps['ours']['seconds'] + steps['frictionless']['seconds']:.1f} s of row checks")
    p = t["pyarrow_ratio"]
    lines.append(f"  (a)/(c) = {p['value']:.1f}x a bare pyarrow read (target {p['target']})  {verdict(p)}")
    m = t["peak_mb"]
    lines.append(f"  (a) peak memory {m['value']:,.0f} MB (target {m['target']})  {verdict(m)}")
    if "by_format" in steps.get("frictionless", {}):
        split = steps["frictionless"]["by_format"]
        lines.append(f"  frictionless's own task times: CSV resources {split['csv']:.1f} s, Parquet resources {split['parquet']:.1f} s")
    if "profile" in result:
        prof = result["profile"]
        lines += ["", "seconds per layer (separate run): " + ", ".join(f"{k} {v}" for k, v in prof["phases"].items()),
                  f"pandera checks and row rules called one by one: {prof['checks_total']:.2f} s in all; slowest:"]
        lines += [f"  {seconds:7.3f} s  {name}" for name, seconds in prof["slowest_checks"]]
        lines += ["cProfile of (a) (top 15 by cumulative time, then top 10 by own time):", prof["profile"].strip()]
    return "\n".join(lines)


def verdict(target: dict[str, Any]) -> str:
    return "PASS" if target["pass"] else "MISS"


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows per table, comma-separated")
    parser.add_argument("--frictionless-max", type=int, default=100_000, help="above this size, extrapolate frictionless linearly instead of running it")
    parser.add_argument("--keep", action="store_true", help="keep the generated packages under /tmp")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--profile", action="store_true", help="also profile (a) with cProfile and time each layer")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)  # internal: run one step in this process
    parser.add_argument("package", nargs="?", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        return child(args.step, Path(args.package))
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
