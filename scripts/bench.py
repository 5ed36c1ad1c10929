"""Benchmark the whole `cnkz validate DIR` against the floor (reading every table and every seed text once), on synthetic packages and the real one.

Usage: python scripts/bench.py [--sizes 100000,1000000] [--rows-per-source 10] [--engine spark] [--keep] [--json]
       python scripts/bench.py --sizes 1000000 --existing DIR   (a package made before with scripts/synthetic.py --rows 1000000 DIR)
       python scripts/bench.py --sizes 0 --real-runs 5          (the real package only)

For each size it generates a valid package (scripts/synthetic.py: N rows per table, N / --rows-per-source sources and
seed texts), then times, each in a fresh process of its own:
  (a) the whole `cnkz validate DIR` command as people run it (interpreter start, imports, every layer, provenance),
      on DuckDB, and on Spark beside it with --engine spark; its peak resident memory;
  (c) a bare pyarrow read of every CSV and Parquet file (default options: every core, type inference);
  (d) every seed text read and hashed once (coreutils' sha256sum on every core);
  (e) for comparison, outside the floor: DuckDB's own CSV reader making a table of every CSV (every column as text).
The floor is (c) + (d): what the command cannot do without. Targets (issue #19), as PASS/MISS:
  10^6 rows per table: (a) <= 2.0 x floor and peak < 1 GiB;  10^7: (a) <= 2.5 x floor and peak < 1.5 GiB;
  the real package: `cnkz validate --no-rebuild` within 2.5 s (wall time, median of --real-runs runs).
(10^7 rows per table on demand: --sizes 10000000; about 29 GB of disk for the package under --tmp and 15 GB more for
DuckDB's spill folder; generating it takes about 25 minutes and validating it about 23 on 2 cores.)

A benchmark, not a timed test: it prints numbers and PASS/MISS against the targets, and fails only when a synthetic
package is not valid (timing invalid data would measure nothing).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))

GIB = 1024.0  # MiB
# rows per table -> (ratio to the floor, peak MiB of the validate process)
TARGETS: dict[int, tuple[float, float]] = {10**6: (2.0, 1.0 * GIB), 10**7: (2.5, 1.5 * GIB)}
TARGET_REAL_SECONDS = 2.5  # `cnkz validate --no-rebuild` on the repository's package, wall time
STEP_TITLES = {
    "validate": "(a) cnkz validate DIR (whole)",
    "frictionless": "(b) frictionless validate",
    "pyarrow": "(c) pyarrow read, CSV+Parquet",
    "seeds": "(d) read+hash every seed text",
    "engine_read": "(e) DuckDB reads every CSV into tables",
}


# ---------------------------------------------------------------- peak memory


def peak_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """The largest peak resident memory of any child waited for (one process, not their sum)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class TreeSampler(threading.Thread):
    """The resident memory of a process and all its descendants, summed, sampled every `interval` seconds; its peak.

    ru_maxrss is exact but per process: Spark's JVM is a second process, so the command's peak is the sampled sum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.done = pid, interval, 0.0, threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    def tree(self) -> list[int]:
        parent: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                parent.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += parent.get(pid, [])
        return found

    def sample(self) -> float:
        total = 0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/statm", "rb") as handle:
                    total += int(handle.read().split()[1]) * self.page
            except (OSError, IndexError, ValueError):
                continue
        return total / 2**20

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.sample())
            self.done.wait(self.interval)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------- the steps, each run in its own process


def timed_command(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Run a command (the only child of this process), with its wall time, exit status, output and peaks."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "returncode": proc.returncode, "stdout": stdout, "stderr": stderr,
            "child_peak_mb": children_peak_mb(), "tree_peak_mb": sampler.stop()}


def problems_of(run: dict[str, Any]) -> dict[str, Any]:
    """How many problems the command reported (its last line says), and the first lines of its report."""
    if run["returncode"] == 0:
        return {"problems": 0, "first": []}
    lines = run["stderr"].splitlines()
    # A problem's heading, "12. [code] table column ..." (Spark's log lines around it are not the report).
    first = [line.strip() for line in lines if re.match(r"\s*(\d+\.\s+)?\[[\w-]+\] ", line)]
    found = re.search(r"is not valid: (\d+) problem", run["stderr"])
    return {"problems": int(found.group(1)) if found else 1, "first": first[:10] or lines[-5:] or [f"exit {run['returncode']}"]}


def validate_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "cnkz.cli", "validate", "--quiet", *args]


def step_validate(package: Path, options: list[str]) -> dict[str, Any]:
    """The command as people run it, in its own process: interpreter start, imports, every layer, provenance included."""
    # A synthetic table can be larger than the default cap on one file (cnkz.limits), and a Parquet file decodes to more
    # than its CSV's bytes: raise the cap as a user would.
    largest = max(p.stat().st_size for p in (package / "resources").iterdir())
    env = {**os.environ, "CNKZ_MAX_MEMBER_BYTES": str(max(2 * largest + 1, 256 * 1024 * 1024))}
    run = timed_command(validate_command([str(package), *options]), env=env)
    return {"method": " ".join(["cnkz validate DIR", *options]), "seconds": run["seconds"], **problems_of(run),
            "child_peak_mb": run["child_peak_mb"], "tree_peak_mb": run["tree_peak_mb"], "output": run["stdout"].strip()}


def step_real(package: Path, options: list[str]) -> dict[str, Any]:
    """`cnkz validate [options]` in the repository, as its curators run it (the package found from the working folder)."""
    run = timed_command(validate_command(options), cwd=package)
    return {"method": " ".join(["cnkz validate", *options]), "seconds": run["seconds"], "returncode": run["returncode"],
            **problems_of(run), "child_peak_mb": run["child_peak_mb"]}


def step_generate(package: Path, options: list[str]) -> dict[str, Any]:
    """scripts/synthetic.py in its own process (a child forked from a process that held tables would inherit their memory)."""
    run = timed_command([sys.executable, str(SCRIPTS / "synthetic.py"), *options, str(package)])
    if run["returncode"] != 0:
        raise SystemExit(f"synthetic.py failed:\n{run['stderr'][-3000:]}")
    return {"method": "scripts/synthetic.py " + " ".join(options), "seconds": run["seconds"], "problems": 0, "first": [],
            "child_peak_mb": run["child_peak_mb"], "output": run["stdout"].strip()}


def step_frictionless(package: Path, options: list[str]) -> dict[str, Any]:
    import frictionless

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(package / "datapackage.json"))
    seconds = time.perf_counter() - started
    errors = [f"{e.type}: {e.note}" for e in report.errors]
    errors += [f"{t.name} row {getattr(e, 'row_number', '')}: {e.type}: {e.note}" for t in report.tasks for e in t.errors]
    return {"method": f"frictionless {frictionless.__version__} validate", "seconds": seconds, "problems": len(errors), "first": errors[:10]}


def step_pyarrow(package: Path, options: list[str]) -> dict[str, Any]:
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


def step_seeds(package: Path, options: list[str]) -> dict[str, Any]:
    """What provenance cannot do without: every seed text read and hashed once, by coreutils' sha256sum on every core."""
    started = time.perf_counter()
    files = [entry.path for entry in os.scandir(package / "seeds") if entry.is_file()]
    proc = subprocess.run(["xargs", "-0", "-P", str(os.cpu_count() or 1), "-n", "2000", "sha256sum"], input="\0".join(files).encode(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sha256sum failed: {proc.stderr.decode()[-500:]}")
    return {"method": f"xargs -P {os.cpu_count()} sha256sum over {len(files):,} seed files", "seconds": seconds, "problems": 0, "first": [],
            "seed_files": len(files), "child_peak_mb": children_peak_mb()}


def step_engine_read(package: Path, options: list[str]) -> dict[str, Any]:
    """(e), for comparison, not in the floor: DuckDB's own CSV reader making a table of every CSV, every column as text, under
    the validation's memory limit: about what any validator whose checks run on this engine pays to hold the rows."""
    import duckdb

    from cnkz.validation.settings import MEMORY_LIMIT

    with tempfile.TemporaryDirectory(prefix="cnkz-bench-spill-") as spill:
        connection = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill, "preserve_insertion_order": False})
        try:  # closed before its spill folder is removed, whatever happens
            started = time.perf_counter()
            rows = 0
            for number, path in enumerate(sorted((package / "resources").glob("*.csv"))):
                literal = "'" + str(path).replace("'", "''") + "'"
                connection.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_csv({literal}, all_varchar = true, header = true)")
                rows += connection.execute(f"SELECT count(*) FROM t{number}").fetchall()[0][0]
            seconds = time.perf_counter() - started
        finally:
            connection.close()
    return {"method": f"duckdb {duckdb.__version__} read_csv(all_varchar) into tables, memory limit {MEMORY_LIMIT}", "seconds": seconds,
            "problems": 0, "first": [], "rows_read": rows}


def step_profile(package: Path, options: list[str]) -> dict[str, Any]:
    """The whole validation under cProfile (slower than the timed run), in this process."""
    from cnkz import validate

    profiler = cProfile.Profile()
    profiler.enable()
    validate.validate(package)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(15)
    stats.sort_stats("tottime").print_stats(10)
    return {"method": "cnkz.validate.validate", "seconds": 0.0, "problems": 0, "first": [], "profile": out.getvalue()}


STEPS = {"validate": step_validate, "real": step_real, "generate": step_generate, "frictionless": step_frictionless,
         "pyarrow": step_pyarrow, "seeds": step_seeds, "engine_read": step_engine_read, "profile": step_profile}


def child(step: str, package: Path, options: list[str]) -> int:
    """Run one step and print its result, with this process's peak memory (or its child's), as the last line of JSON."""
    result = STEPS[step](package, options)
    result["peak_mb"] = result.pop("child_peak_mb", None) or peak_mb()
    print(json.dumps(result))
    return 0


def run_step(step: str, package: Path, options: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """A step in a fresh interpreter, so each peak memory is its own (imports are outside the timing)."""
    proc = subprocess.run([sys.executable, __file__, "--step", step, str(package), "--", *options], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- one size


def disk_usage(package: Path) -> dict[str, float]:
    """MiB on disk (allocated blocks, as du counts them) of the whole package, and the bytes of each part."""
    used, parts = 0, {"csv": 0, "parquet": 0, "seeds": 0}
    for folder, _, files in os.walk(package):
        for name in files:
            st = os.stat(os.path.join(folder, name))
            used += st.st_blocks * 512
            kind = "seeds" if os.path.basename(folder) == "seeds" else name.rpartition(".")[2]
            if kind in parts:
                parts[kind] += st.st_size
    return {"disk_mb": used / 2**20, **{f"{k}_mb": v / 2**20 for k, v in parts.items()}}


def engine_options(args: argparse.Namespace, engine: str) -> list[str]:
    options = ["--engine", engine]
    for flag, value in (("--memory-limit", args.memory_limit), ("--spill", args.spill), ("--threads", args.threads)):
        if value is not None:
            options += [flag, str(value)]
    return options


def measure(size: int, args: argparse.Namespace, frictionless_known: dict[str, Any] | None) -> dict[str, Any]:
    """Generate a package of `size` rows per table and run the steps on it."""
    given = Path(args.existing) if args.existing else None
    package = given or Path(tempfile.mkdtemp(prefix=f"cnkz-bench-{size}-", dir=args.tmp)) / "package"
    try:
        result: dict[str, Any] = {"size": size, "package": str(package), "steps": {}, "engines": {}}
        if given is None:
            result["generate"] = run_step("generate", package, ["--rows", str(size), "--rows-per-source", str(args.rows_per_source),
                                                                "--seed", str(args.seed)])
        result.update(disk_usage(package))
        result.update(table_rows(package))
        for engine in ["duckdb", *(["spark"] if args.engine == "spark" else [])]:
            step = result["engines"][engine] = run_step("validate", package, engine_options(args, engine))
            if engine == "duckdb":  # the package's validity; another engine's problems are its own, reported beside its time
                require_valid(f"cnkz validate --engine {engine}", step)
        result["steps"]["pyarrow"] = run_step("pyarrow", package)
        result["steps"]["seeds"] = run_step("seeds", package)
        result["steps"]["engine_read"] = run_step("engine_read", package)
        if args.frictionless:
            if size <= args.frictionless_max:
                result["steps"]["frictionless"] = run_step("frictionless", package)
                require_valid("frictionless validate", result["steps"]["frictionless"])
            elif frictionless_known:
                result["steps"]["frictionless"] = extrapolate(frictionless_known, size)
        if args.profile:
            result["profile"] = run_step("profile", package)
        result["floor_seconds"] = result["steps"]["pyarrow"]["seconds"] + result["steps"]["seeds"]["seconds"]
        result["targets"] = {engine: targets(size, step, result["floor_seconds"]) for engine, step in result["engines"].items()}
        return result
    finally:
        if given is not None:
            pass
        elif args.keep:
            print(f"kept {package}", file=sys.stderr)
        else:
            shutil.rmtree(package.parent, ignore_errors=True)


def table_rows(package: Path) -> dict[str, Any]:
    """Rows of each table (from the Parquet footers) and the sources among them."""
    import pyarrow.parquet as pq

    rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted((package / "resources").glob("*.parquet"))}
    return {"table_rows": rows, "rows": sum(rows.values()), "sources": rows.get("sources", 0)}


def require_valid(what: str, step: dict[str, Any]) -> None:
    """A benchmark on invalid data measures nothing: stop with the first problems."""
    if step["problems"]:
        lines = "\n  ".join(step["first"])
        raise SystemExit(f"{what} found {step['problems']} problems in the synthetic package; first ones:\n  {lines}")


def extrapolate(measured: dict[str, Any], size: int) -> dict[str, Any]:
    """Frictionless works row by row, so its time is taken as linear in the rows; memory is not estimated."""
    return {"method": measured["step"]["method"], "seconds": measured["step"]["seconds"] * size / measured["size"], "peak_mb": None,
            "problems": 0, "first": [], "extrapolated_from": measured["size"]}


def targets(size: int, step: dict[str, Any], floor: float) -> dict[str, Any]:
    """The issue's targets for this size (none but at 10^6 and 10^7), each with its value and PASS/MISS."""
    ratio = step["seconds"] / floor
    # The command's memory: the largest process (exact), or the sampled sum of its processes when Spark adds a JVM.
    peak = max(step["peak_mb"], step.get("tree_peak_mb") or 0)
    if step["problems"]:  # a run that reports problems on a valid package measures nothing against the targets
        return {"floor_ratio": {"value": ratio, "target": None, "pass": False}, "peak_mb": {"value": peak, "target": None, "pass": False}}
    wanted = TARGETS.get(size)
    if wanted is None:
        return {"floor_ratio": {"value": ratio, "target": None, "pass": None}, "peak_mb": {"value": peak, "target": None, "pass": None}}
    most_ratio, most_peak = wanted
    return {"floor_ratio": {"value": ratio, "target": f"<= {most_ratio:g}x", "pass": ratio <= most_ratio},
            "peak_mb": {"value": peak, "target": f"< {most_peak / GIB:g} GiB", "pass": peak < most_peak}}


def measure_real(args: argparse.Namespace) -> dict[str, Any]:
    """The repository's own package: `cnkz validate --no-rebuild` (median of --real-runs runs) and the whole `cnkz validate`."""
    options = engine_options(args, "duckdb")
    quick = [run_step("real", ROOT, ["--no-rebuild", *options]) for _ in range(args.real_runs)]
    whole = run_step("real", ROOT, options)
    for step in [*quick, whole]:
        if step["returncode"] != 0:
            lines = "\n  ".join(step["first"])
            raise SystemExit(f"{step['method']} failed on the repository's package (exit {step['returncode']}):\n  {lines}")
    median = statistics.median(s["seconds"] for s in quick)
    return {"no_rebuild": {"runs": [s["seconds"] for s in quick], "seconds": median, "peak_mb": max(s["peak_mb"] for s in quick)},
            "whole": {"seconds": whole["seconds"], "peak_mb": whole["peak_mb"]},
            "target": {"value": median, "target": f"<= {TARGET_REAL_SECONDS:g} s", "pass": median <= TARGET_REAL_SECONDS}}


# ---------------------------------------------------------------- output


def verdict(target: dict[str, Any]) -> str:
    return "-" if target["pass"] is None else ("PASS" if target["pass"] else "MISS")


def render(result: dict[str, Any]) -> str:
    """The table for one size."""
    steps = result["steps"]
    generated = result.get("generate")
    made = f"generated in {generated['seconds']:.1f} s, generator peak {generated['peak_mb']:,.0f} MiB" if generated else "existing package"
    lines = [
        f"== {result['size']:,} rows per table: {result['sources']:,} sources, {result['rows']:,} rows in {len(result['table_rows'])} tables; "
        f"{result['disk_mb']:,.0f} MiB on disk (CSV {result['csv_mb']:,.0f}, Parquet {result['parquet_mb']:,.0f}, "
        f"seed texts {result['seeds_mb']:,.0f} MiB of text); {made}",
        f"  floor = (c) {steps['pyarrow']['seconds']:.2f} s pyarrow read + (d) {steps['seeds']['seconds']:.2f} s seed texts "
        f"({steps['seeds']['seed_files']:,} files) = {result['floor_seconds']:.2f} s",
        f"  for comparison, (e) {steps['engine_read']['seconds']:.2f} s: DuckDB's own reader making a table of every CSV (all text), "
        "what a validator on this engine needs before any check",
        f"  {'engine':8} {'rows/table':>11} {'sources':>9} {'disk MiB':>9} {'floor s':>8} {'validate s':>11} {'ratio':>7} {'target':>7} "
        f"{'peak MiB':>9} {'target':>9}  verdict",
    ]
    for engine, step in result["engines"].items():
        t = result["targets"][engine]
        ratio, peak = t["floor_ratio"], t["peak_mb"]
        both = [ratio["pass"], peak["pass"]]
        overall = "-" if None in both else ("PASS" if all(both) else "MISS")
        if step["problems"]:
            overall = f"INVALID: {step['problems']} problems reported on a valid package"
        lines.append(
            f"  {engine:8} {result['size']:>11,} {result['sources']:>9,} {result['disk_mb']:>9,.0f} {result['floor_seconds']:>8.2f} "
            f"{step['seconds']:>11.2f} {ratio['value']:>6.2f}x {ratio['target'] or '-':>7} {peak['value']:>9,.0f} {peak['target'] or '-':>9}  "
            f"{overall} (ratio {verdict(ratio)}, peak {verdict(peak)})")
        lines += [f"    {line}" for line in step["first"][:4] if step["problems"]]
    if "frictionless" in steps:
        f = steps["frictionless"]
        note = f" (extrapolated from {f['extrapolated_from']:,})" if "extrapolated_from" in f else ""
        lines.append(f"  (b) frictionless validate: {f['seconds']:.1f} s{note}")
    if "profile" in result:
        lines += ["  cProfile of the validation (top 15 by cumulative time, then top 10 by own time):", result["profile"]["profile"].strip()]
    return "\n".join(lines)


def render_real(real: dict[str, Any]) -> str:
    quick, whole, t = real["no_rebuild"], real["whole"], real["target"]
    runs = ", ".join(f"{s:.2f}" for s in quick["runs"])
    return (f"== the repository's package\n"
            f"  cnkz validate --no-rebuild: {quick['seconds']:.2f} s median of {len(quick['runs'])} ({runs}), peak {quick['peak_mb']:,.0f} MiB; "
            f"target {t['target']}  {verdict(t)}\n"
            f"  cnkz validate (rebuild, coverage audit, documents too): {whole['seconds']:.2f} s, peak {whole['peak_mb']:,.0f} MiB")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="rows per table, comma-separated (0 or empty: the real package only)")
    parser.add_argument("--rows-per-source", type=int, default=10, help="rows of each table per source (scripts/synthetic.py; default 10)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="spark: also time `cnkz validate --engine spark`")
    parser.add_argument("--memory-limit", help="passed to cnkz validate")
    parser.add_argument("--spill", help="passed to cnkz validate")
    parser.add_argument("--threads", type=int, help="passed to cnkz validate")
    parser.add_argument("--no-real", dest="real", action="store_false", help="skip the repository's own package")
    parser.add_argument("--real-runs", type=int, default=3, help="runs of `cnkz validate --no-rebuild` on the real package (median; 0 skips it)")
    parser.add_argument("--frictionless", action="store_true", help="also time `frictionless validate` (row by row: run up to --frictionless-max)")
    parser.add_argument("--frictionless-max", type=int, default=10_000, help="above this size, extrapolate frictionless linearly instead of running it")
    parser.add_argument("--profile", action="store_true", help="also profile the validation with cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the generated packages")
    parser.add_argument("--tmp", default=tempfile.gettempdir(), help="where packages are generated (default: the temp folder)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--existing", metavar="DIR", help="measure a package made before by scripts/synthetic.py (--sizes names its rows per table)")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)  # internal: run one step in this process
    parser.add_argument("package", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("options", nargs="*", help=argparse.SUPPRESS)  # internal: the step's options, after --
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.step:
        return child(args.step, Path(args.package), args.options)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip() and int(s.replace("_", "")) > 0)
    if args.existing and len(sizes) != 1:
        raise SystemExit("--existing measures one package: give its rows per table as the one --sizes")
    results: dict[str, Any] = {"sizes": [], "real": None}
    frictionless_known: dict[str, Any] | None = None  # the largest measured run, for extrapolation
    for size in sizes:
        result = measure(size, args, frictionless_known)
        step = result["steps"].get("frictionless")
        if step is not None and "extrapolated_from" not in step:
            frictionless_known = {"size": size, "step": step}
        results["sizes"].append(result)
        if not args.json:
            print(render(result), end="\n\n", flush=True)
    if args.real and args.real_runs > 0:  # --real-runs 0: the synthetic packages only
        results["real"] = measure_real(args)
        if not args.json:
            print(render_real(results["real"]), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
