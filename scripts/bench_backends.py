"""pandera's pandas backend (Arrow-backed dtypes) against its Polars backend, on the column checks of every table.

Usage: python scripts/bench_backends.py (--rows N | --package DIR) [--planted-rows 100000] [--json FILE]
Needs the bench group: uv pip install --python .venv --group bench

Both schemas come from cnkz.tables: the pandas one is the column part of cnkz.schemas.batch_schema (what
`cnkz validate` runs), the Polars one is built check by check from the same Field definitions and the same
check list (schemas.column_checks). The data is the CSV of a synthetic package read by cnkz.reader, once
as one whole table and once in its 16 MB batches. Each (table, backend, mode) runs in its own process, so
that peak memory is that run's alone. A copy with planted bad cells shows both backends find the same
failures. A benchmark, not a test: it prints numbers and fails only if the backends disagree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors
import pandera.pandas as pdp
import pyarrow as pa
import pyarrow.csv as pacsv

from cnkz.files import ARROW_TYPES
from cnkz.reader import CSV_BLOCK, TableReader, target_schema
from cnkz.schemas import CHECK_CODES, CONTROL_CHARACTERS, FORMULA_PATTERN, batch_schema, column_checks
from cnkz.tables import TABLES, TABLES_BY_NAME, Field, Table
from cnkz.validate import to_frame

try:
    import pandera.polars as plp
    import polars as pl
except ImportError:  # the bench group is not installed; main() says so
    pl = plp = None

SCRIPTS = Path(__file__).resolve().parent
BACKENDS = ("pandas", "polars")
MODES = ("whole", "batch")
VARIANTS = ("three", "one")  # the three text-hygiene checks as three regexes, or as one combined regex
HYGIENE = ("formula_injection", "control_character", "whitespace")
# Unicode White_Space spelled so that RE2 (pandas on Arrow) and Rust's regex (Polars) read it alike: RE2's \s is ASCII only.
SPACE = r"[\t\n\x0b\x0c\r\x{85}\p{Z}]"
# One pass instead of three: a formula start, a control character, or whitespace at either end.
COMBINED = rf"^{FORMULA_PATTERN}|{CONTROL_CHARACTERS}|^{SPACE}|{SPACE}$"
COMBINED_ERROR = "text without a formula start, control characters or leading/trailing whitespace"
CHECK_CODES.setdefault(COMBINED_ERROR, "hygiene")


# ---------------------------------------------------------------- the two schemas, from the same definitions


def pandas_schema(table: Table, variant: str) -> pdp.DataFrameSchema:
    """The column part of batch_schema (types, required, checks); with `one`, the hygiene checks folded into one regex."""
    columns = dict(batch_schema(table).columns)
    if variant == "one":
        for f in table.fields:
            column = columns[f.name]
            checks = [c for c in column.checks if CHECK_CODES[str(c.error)] not in HYGIENE]
            if f.type == "string":
                checks.append(pdp.Check(lambda s: ~s.str.contains(COMBINED, regex=True), error=COMBINED_ERROR))
            columns[f.name] = column.set_checks(checks)
    return pdp.DataFrameSchema(columns, strict=True, ordered=True, name=table.name)


def polars_type(f: Field) -> Any:
    """The Polars type of a field: whatever pl.from_arrow makes of the field's Arrow type (cnkz.files.ARROW_TYPES)."""
    return pl.from_arrow(pa.table({f.name: pa.array([], ARROW_TYPES[f.type])})).schema[f.name]


def _expr(check: Any) -> Any:
    """A column check as pandera.polars wants it: a function of the column giving a boolean expression."""
    return lambda data: data.lazyframe.select(check(pl.col(data.key)))


def polars_check(f: Field, code: str, error: str) -> Any:
    """The Polars check for one check of schemas.column_checks, by its code, with the same error text."""
    if code == "formula_injection":
        return plp.Check(_expr(lambda c: ~c.str.contains("^" + FORMULA_PATTERN)), error=error)
    if code == "control_character":
        return plp.Check(_expr(lambda c: ~c.str.contains(CONTROL_CHARACTERS)), error=error)
    if code == "whitespace":
        return plp.Check(_expr(lambda c: c == c.str.strip_chars()), error=error)
    if code == "hygiene":
        return plp.Check(_expr(lambda c: ~c.str.contains(COMBINED)), error=error)
    if code == "pattern":
        return plp.Check.str_matches(f.pattern, error=error)
    if code == "vocabulary":
        assert f.vocabulary is not None
        return plp.Check.isin(f.vocabulary.codes, error=error)
    if code == "minimum":
        return plp.Check.ge(f.minimum, error=error)
    if code == "maximum":
        return plp.Check.le(f.maximum, error=error)
    raise SystemExit(f"schemas.column_checks has a check {code!r} this benchmark has no Polars form for; add it to polars_check")


def polars_schema(table: Table, variant: str) -> Any:
    """The same column schema for pandera.polars: one Polars check per check of schemas.column_checks."""
    columns = {}
    for f in table.fields:
        codes = [(CHECK_CODES[str(c.error)], str(c.error)) for c in column_checks(f)]
        if variant == "one":
            codes = [(code, error) for code, error in codes if code not in HYGIENE]
            codes += [("hygiene", COMBINED_ERROR)] if f.type == "string" else []
        checks = [polars_check(f, code, error) for code, error in codes]
        columns[f.name] = plp.Column(polars_type(f), checks=checks, nullable=not f.required, required=True)
    return plp.DataFrameSchema(columns, strict=True, ordered=True, name=table.name)


def schema(backend: str, table: Table, variant: str) -> Any:
    return pandas_schema(table, variant) if backend == "pandas" else polars_schema(table, variant)


def convert(backend: str, data: pa.RecordBatch | pa.Table, offset: int) -> Any:
    """Arrow to the backend's frame: the validator's own to_frame, or pl.from_arrow without rechunking (no copy where Polars can)."""
    return to_frame(data, offset) if backend == "pandas" else pl.from_arrow(data, rechunk=False)


def failures(checked: Any, frame: Any) -> Counter[tuple[str, str]]:
    """(column, check code) -> failing cells, as pandera reports them (lazy: every failure, not the first)."""
    try:
        checked.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases if isinstance(cases, pd.DataFrame) else cases.to_pandas()
        return Counter((str(c), CHECK_CODES.get(str(k), str(k))) for c, k in zip(cases["column"], cases["check"]))
    return Counter()


# ---------------------------------------------------------------- one run: a table, a backend, a mode, in its own process


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(package: Path, table: Table, backend: str, mode: str) -> dict[str, Any]:
    """Read the table's CSV, convert, validate with both hygiene variants; seconds of each step, failures, peak memory."""
    schemas = {v: schema(backend, table, v) for v in VARIANTS}
    base = rss_mb()
    seconds = dict.fromkeys(("read", "convert", *VARIANTS, *(f"{v} cpu" for v in VARIANTS)), 0.0)
    found: dict[str, Counter[tuple[str, str]]] = {v: Counter() for v in VARIANTS}
    rows = batches = 0

    def check(data: pa.RecordBatch | pa.Table, offset: int) -> None:
        if not any(seconds[v] for v in VARIANTS):  # untimed warm-up: pandera's first validate costs about a second of set-up
            for variant in VARIANTS:
                failures(schemas[variant], convert(backend, data.slice(0, 100), offset))
        started = time.perf_counter()
        frame = convert(backend, data, offset)
        seconds["convert"] += time.perf_counter() - started
        for variant in VARIANTS:
            started, cpu = time.perf_counter(), time.process_time()
            found[variant] += failures(schemas[variant], frame)
            seconds[variant] += time.perf_counter() - started
            seconds[f"{variant} cpu"] += time.process_time() - cpu

    reader = TableReader(package / "resources" / f"{table.name}.csv", table, "csv")
    if reader.problems:
        raise SystemExit(f"{table.name}: {reader.problems}")
    stream, records = iter(reader.batches()), []
    while True:
        started = time.perf_counter()
        batch = next(stream, None)
        seconds["read"] += time.perf_counter() - started
        if batch is None:
            break
        rows, batches = rows + batch.record.num_rows, batches + 1
        if mode == "batch":
            check(batch.record, batch.offset)
        else:
            records.append(batch.record)
    if mode == "whole":
        started = time.perf_counter()
        whole = pa.Table.from_batches(records, schema=target_schema(table))
        del records
        seconds["read"] += time.perf_counter() - started
        check(whole, 0)
    return {"table": table.name, "backend": backend, "mode": mode, "rows": rows, "batches": batches, "seconds": seconds,
            "base_mb": base, "peak_mb": rss_mb(),
            "failures": {v: [[c, k, n] for (c, k), n in sorted(found[v].items())] for v in VARIANTS}}


def run_apart(package: Path, table: Table, backend: str, mode: str) -> dict[str, Any]:
    """run() in a fresh interpreter, so that its peak memory is its own."""
    proc = subprocess.run([sys.executable, __file__, "--one", str(package), table.name, backend, mode], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{table.name} {backend} {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


# ---------------------------------------------------------------- planted bad cells


def plant(source: Path, target: Path, rows: int) -> dict[str, Counter[tuple[str, str]]]:
    """The first `rows` rows of each CSV of `source`, with bad cells planted, written under `target`; what was planted where."""
    (target / "resources").mkdir(parents=True)
    planted: dict[str, Counter[tuple[str, str]]] = {}
    for table in TABLES:
        stream = pacsv.open_csv(source / "resources" / f"{table.name}.csv", parse_options=pacsv.ParseOptions(newlines_in_values=True),
                                convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(table.columns, pa.string()),
                                                                     strings_can_be_null=True, quoted_strings_can_be_null=True))
        parts, kept = [], 0
        for part in stream:  # only the first `rows` rows are read
            parts.append(part)
            kept += part.num_rows
            if kept >= rows:
                break
        text = pa.Table.from_batches(parts).slice(0, rows)
        n = text.num_rows
        strings = [f for f in table.fields if f.type == "string"]
        free = [f for f in strings if not f.pattern and not f.vocabulary]
        last = free[-1] if free else None
        choices = [  # (field, the check it breaks, the bad value, rows): one in the first batch, one in the last
            (next((f for f in strings if f.vocabulary), None), "vocabulary", lambda v: "not-a-code", [3, n - 2]),
            (next((f for f in strings if f.pattern and not f.vocabulary), None), "pattern", lambda v: "Not_A_Slug", [3, n - 2]),
            (free[0] if free else None, "whitespace", lambda v: " " + (v or "x"), [3, n - 2]),
            (last, "formula_injection", lambda v: "=" + (v or "x"), [3, n - 2]),
            (last, "control_character", lambda v: "bell\x07" + (v or ""), [5, n - 4]),
        ]
        planted[table.name] = Counter()
        for f, code, bad, rows_at in choices:
            if f is None:
                continue
            column = text.column(f.name).to_pylist()
            for i in rows_at:
                column[i] = bad(column[i])
            text = text.set_column(text.schema.get_field_index(f.name), f.name, pa.array(column, pa.string()))
            planted[table.name][(f.name, code)] += len(rows_at)
        pacsv.write_csv(text, target / "resources" / f"{table.name}.csv")
    return planted


PROBES = ["plain", "a b", " lead", "trail ", "\tx", "x\t", "x\n", "=1+1", "+7", "-3", "@user", "a\x01b", "a\x7f", "\x00",
          "\u00a0nbsp", "nbsp\u00a0", "em\u2003", "\u3000ideo", "nel\x85", "\u2028ls", "zero\u200bwidth", "é", "中文"]


def probe() -> list[list[Any]]:
    """Tricky strings through both backends and both variants: which does each flag (three checks: any of them)."""
    field = Field("text", "string", "probe")
    table = Table("probe", "probe", "probe", (field,), ("text",))
    data = pa.table({"text": pa.array(PROBES, pa.string())})
    flagged = {}
    for backend in BACKENDS:
        for variant in VARIANTS:
            checked = schema(backend, table, variant)
            frame = convert(backend, data, 0)
            try:
                checked.validate(frame, lazy=True)
                rows: set[int] = set()
            except pandera.errors.SchemaErrors as exc:
                cases = exc.failure_cases
                cases = cases if isinstance(cases, pd.DataFrame) else cases.to_pandas()
                rows = {int(i) for i in cases["index"]}
            flagged[backend, variant] = rows
    return [[repr(p), *("x" if i in flagged[k] else "." for k in flagged)] for i, p in enumerate(PROBES)]


# ---------------------------------------------------------------- the report


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def markdown(header: list[str], body: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in body])


def timing_table(results: list[dict[str, Any]], mode: str) -> str:
    by = {(r["table"], r["backend"]): r for r in results if r["mode"] == mode}
    header = ["table", "rows", "batches", "read s"]
    for b in BACKENDS:
        header += [f"{b} convert s", f"{b} checks s", f"{b} 1-regex s", f"{b} checks CPU s", f"{b} peak MB (+over start)"]
    header += ["checks pandas/polars"]
    body, total = [], Counter[str]()
    peaks = {b: 0.0 for b in BACKENDS}
    for table in TABLES:
        if (table.name, "pandas") not in by:
            continue
        row = [table.name, by[table.name, "pandas"]["rows"], by[table.name, "pandas"]["batches"], fmt(by[table.name, "pandas"]["seconds"]["read"])]
        total["rows"] += by[table.name, "pandas"]["rows"]
        total["read"] += by[table.name, "pandas"]["seconds"]["read"]
        for b in BACKENDS:
            r = by[table.name, b]
            row += [fmt(r["seconds"]["convert"]), fmt(r["seconds"]["three"]), fmt(r["seconds"]["one"]), fmt(r["seconds"]["three cpu"]),
                    f"{r['peak_mb']:.0f} (+{r['peak_mb'] - r['base_mb']:.0f})"]
            for k in ("convert", "three", "one"):
                total[f"{b} {k}"] += r["seconds"][k]
            total[f"{b} cpu"] += r["seconds"]["three cpu"]
            peaks[b] = max(peaks[b], r["peak_mb"])
        row.append(fmt(by[table.name, "pandas"]["seconds"]["three"] / max(by[table.name, "polars"]["seconds"]["three"], 1e-9), 1) + "x")
        body.append(row)
    last = ["**total**", total["rows"], "", fmt(total["read"])]
    for b in BACKENDS:
        last += [fmt(total[f"{b} convert"]), fmt(total[f"{b} three"]), fmt(total[f"{b} one"]), fmt(total[f"{b} cpu"]), f"{peaks[b]:.0f} (max)"]
    last.append(fmt(total["pandas three"] / max(total["polars three"], 1e-9), 1) + "x")
    return markdown(header, [*body, last])


def agreement(results: list[dict[str, Any]], planted: dict[str, Counter[tuple[str, str]]] | None) -> tuple[str, bool]:
    """Failures per table, column and check, every backend/mode/variant side by side; True if all agree."""
    keys = [(r["backend"], r["mode"]) for r in results if r["table"] == TABLES[0].name]
    found: dict[tuple[str, str, str], dict[str, Counter[tuple[str, str]]]] = {}
    for r in results:
        for variant in VARIANTS:
            found.setdefault((r["table"], r["backend"], r["mode"]), {})[variant] = Counter({(c, k): n for c, k, n in r["failures"][variant]})
    header = ["table", "column", "check", *(["planted"] if planted else [])]
    header += [f"{b} {m}" for b, m in keys]
    body, same = [], True
    for table in TABLES:
        cells = set((planted or {}).get(table.name, Counter()))
        for b, m in keys:
            cells |= set(found[table.name, b, m]["three"])
        for column, code in sorted(cells):
            counts = [found[table.name, b, m]["three"][column, code] for b, m in keys]
            same &= len(set(counts)) == 1
            body.append([table.name, column, code, *([planted.get(table.name, Counter())[column, code]] if planted else []), *counts])
        # The combined regex reports a cell once, whichever of the three it breaks.
        hygiene = {c for b, m in keys for c, k in found[table.name, b, m]["one"] if k == "hygiene"}
        for column in sorted(hygiene):
            counts = [found[table.name, b, m]["one"][column, "hygiene"] for b, m in keys]
            same &= len(set(counts)) == 1
            body.append([table.name, column, "hygiene (1 regex)", *([""] if planted else []), *counts])
        for b, m in keys:  # the other checks must not move when the hygiene ones are folded
            rest = lambda c: Counter({k: n for k, n in c.items() if k[1] not in (*HYGIENE, "hygiene")})  # noqa: E731
            same &= rest(found[table.name, b, m]["three"]) == rest(found[table.name, b, m]["one"])
    if not body:
        body.append(["(none)", "", "", *([""] if planted else []), *(0 for _ in keys)])
    return markdown(header, body), same


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"nproc {os.cpu_count()}, load average {load}, Python {sys.version.split()[0]}, pandera {pandera.__version__}, "
            f"pandas {pd.__version__}, polars {pl.__version__}, pyarrow {pa.__version__}, CSV batch {CSV_BLOCK >> 20} MB")


def measure(package: Path) -> list[dict[str, Any]]:
    results = []
    for table in TABLES:
        for mode in MODES:
            for backend in BACKENDS:
                results.append(run_apart(package, table, backend, mode))
                r = results[-1]
                print(f"  {table.name:15} {backend:7} {mode:6} rows {r['rows']:>8}  convert {r['seconds']['convert']:6.2f} s  "
                      f"checks {r['seconds']['three']:6.2f} s  1-regex {r['seconds']['one']:6.2f} s  peak {r['peak_mb']:5.0f} MB",
                      file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pandera pandas (Arrow dtypes) vs pandera polars on the column checks of every table.")
    parser.add_argument("--rows", type=int, help="generate a synthetic package with this many rows per table (under the temp dir, deleted after)")
    parser.add_argument("--package", type=Path, help="an existing synthetic package (read only)")
    parser.add_argument("--planted-rows", type=int, default=100_000, help="rows per table of the copy with planted bad cells (0: skip)")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--one", nargs=4, metavar=("PACKAGE", "TABLE", "BACKEND", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if pl is None:
        parser.error("polars is not installed: uv pip install --python .venv --group bench")
    if args.one:
        package, name, backend, mode = args.one
        print(json.dumps(run(Path(package), TABLES_BY_NAME[name], backend, mode)))
        return 0
    if (args.rows is None) == (args.package is None):
        parser.error("give --rows N or --package DIR")
    scratch = Path(tempfile.mkdtemp(prefix="cnkz-backends-"))
    try:
        package = args.package
        if package is None:
            package = scratch / "package"
            subprocess.run([sys.executable, str(SCRIPTS / "synthetic.py"), "--rows", str(args.rows), str(package)], check=True, stdout=sys.stderr)
        host = machine()  # the load when the measurement starts
        print(f"machine: {host}\npackage: {package}", flush=True)
        results = measure(package)
        report = {"machine": host, "package": str(package), "results": results}
        for mode, title in (("whole", "whole file"), ("batch", f"{CSV_BLOCK >> 20} MB batches")):
            print(f"\n### Column checks, {title} (seconds; peak = resident memory of the run's process)\n")
            print(timing_table(results, mode))
        text, clean_same = agreement(results, None)
        print("\n### Failures on the synthetic package (valid: expected none)\n")
        print(text)
        same = clean_same
        if args.planted_rows:
            planted_dir = scratch / "planted"
            planted = plant(package, planted_dir, args.planted_rows)
            print("  planted copy: every table, both backends, both modes", file=sys.stderr, flush=True)
            # In this process: only the counts matter here, not the memory.
            planted_results = [run(planted_dir, t, b, m) for t in TABLES for m in MODES for b in BACKENDS]
            text, planted_same = agreement(planted_results, planted)
            print(f"\n### Failures on a copy with planted bad cells (first {args.planted_rows} rows per table)\n")
            print(text)
            report["planted"] = planted_results
            same &= planted_same
        print("\n### Hygiene probes (x = flagged)\n")
        print(markdown(["value", *(f"{b} {v}" for b in BACKENDS for v in VARIANTS)], probe()))
        print(f"\nbackends agree on every count: {'yes' if same else 'NO'}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return 0 if same else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
