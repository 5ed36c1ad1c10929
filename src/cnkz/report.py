"""Validation reports for people and for programs, made from a list of Problems.

Problems are grouped so that the cause comes first and what follows from it (the file's hash
no longer matching, Frictionless repeating the finding, CSV and Parquet disagreeing, the file
differing from a fresh build) is listed under it. The JSON form is documented in
docs/validation-report.md; its "format" value changes only when a field changes meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datamodel import major_of, model_for, rules_summary
from .errors import CnkzError, Problem
from .tables import TABLES
from .validation.catalogue import CODES

JSON_FORMAT = "cnkz-validation-report/1"
DESCRIPTOR = "datapackage.json"
SHORT = 80  # characters of a value shown with --short

# What `cnkz validate` runs, in order (validate.validate); Frictionless only with --frictionless; the last three need curation/.
FRICTIONLESS = "Frictionless (every CSV and Parquet resource)"
LAYERS = (
    "descriptor (Data Package v2 profile, table definitions, version)",
    "files (paths, sizes, sha256 hashes, encoding, line endings)",
    "rows (types, vocabularies, patterns, ranges, keys, cross-field and cross-table rules)",
    "CSV against Parquet",
    "provenance (each quote at its offsets, each source text's sha256)",
)
REBUILD_LAYERS = (
    "fresh rebuild from curation/",
    "coverage audit of every number and name in the texts",
    "generated documents",
)


def _rank(problem: Problem) -> int:
    """0 for a finding of its own; higher for what an earlier finding already explains (the catalogue's rank)."""
    return CODES[problem.check].rank_of(bool(problem.row)) if problem.check in CODES else 0


def _subject(problem: Problem) -> str:
    """The table a problem is about, whatever file or resource name it uses."""
    name = problem.table
    if name.startswith("resources/"):
        name = Path(name).stem
    return name.removesuffix("-parquet")


def _row_number(problem: Problem) -> int | None:
    first = problem.row.split(" ")[0]
    return int(first) if first.isdigit() else None


def _order(problem: Problem) -> tuple[int, str, str, str]:
    number = _row_number(problem)
    return (number if number is not None else 0, problem.column, problem.check, problem.table)


@dataclass
class Group:
    """A cause and the problems that follow from it."""

    cause: Problem
    consequences: list[Problem] = field(default_factory=list)


def group(problems: list[Problem]) -> list[Group]:
    """Causes in table order (descriptor first), each with its consequences; every problem appears once."""
    order = [DESCRIPTOR, *(t.name for t in TABLES)]
    subjects: dict[str, list[Problem]] = {}
    for problem in sorted(set(problems)):
        subjects.setdefault(_subject(problem), []).append(problem)
    ranked = sorted(subjects, key=lambda s: (order.index(s) if s in order else len(order), s))
    groups: list[Group] = []
    package_wide: list[Problem] = []
    for subject in ranked:
        members = subjects[subject]
        low = min(_rank(p) for p in members)
        if subject not in order[1:] and low >= 3 and len(subjects) > 1:
            package_wide += members  # a stale descriptor or document follows from whatever changed the tables
            continue
        causes = [Group(p) for p in sorted((p for p in members if _rank(p) == low), key=_order)]
        for problem in sorted((p for p in members if _rank(p) > low), key=lambda p: (_rank(p), _order(p))):
            number = _row_number(problem)
            same_row = [g for g in causes if number is not None and _row_number(g.cause) == number
                        and problem.column in ("", g.cause.column)]
            (same_row or causes)[0].consequences.append(problem)
        groups += causes
    if groups:
        groups[0].consequences += package_wide
    else:
        groups = [Group(p) for p in package_wide]
    return groups


def _value(text: str, short: bool) -> str:
    if short and len(text) > SHORT:
        return f"{text[:SHORT]}… [{len(text) - SHORT} more characters; run without --short to see all]"
    return text


def _line(problem: Problem, short: bool) -> str:
    return f"[{problem.check}] {problem.location}: expected {_value(problem.expected, short)}, found {_value(problem.found, short)}"


def render_text(problems: list[Problem], *, short: bool = False) -> str:
    """The report a person reads: a headline, then each cause with its consequences under it."""
    groups = group(problems)
    total = sum(1 + len(g.consequences) for g in groups)
    following = total - len(groups)
    headline = f"{total} problem{'s' if total != 1 else ''}"
    if following:
        headline += f": {len(groups)} cause{'s' if len(groups) != 1 else ''}, and {following} that follow from {'it' if len(groups) == 1 else 'them'}"
    lines = [headline]
    for number, item in enumerate(groups, start=1):
        cause = item.cause
        lines += [
            "",
            f"{number}. [{cause.check}] {cause.location}",
            f"   expected: {_value(cause.expected, short)}",
            f"   found:    {_value(cause.found, short)}",
        ]
        if cause.advice:
            lines.append(f"   to fix:   {cause.advice}")
        if item.consequences and short:
            checks = sorted({p.check for p in item.consequences})
            lines.append(f"   and {len(item.consequences)} that follow from it ({', '.join(checks)}); run without --short to see them")
        elif item.consequences:
            lines.append(f"   following from it ({len(item.consequences)}):")
            for problem in item.consequences:
                lines.append(f"   - {_line(problem, short)}")
                if problem.advice and problem.advice != cause.advice:
                    lines.append(f"     to fix: {problem.advice}")
    return "\n".join(lines)


# The rows layer of a package of an earlier data model: its own definitions, without the current model's hand-written rules.
EARLIER_ROWS = "rows (types, vocabularies, patterns, ranges, keys and foreign keys of the package's data model)"


def package_descriptor(package_dir: Path) -> dict[str, Any]:
    """The descriptor of a package folder or release archive; empty when it cannot be read."""
    from .load import open_package

    try:
        with open_package(package_dir, verify=False) as package:
            return package.descriptor
    except (CnkzError, OSError):
        return {}


def rules(package_dir: Path) -> dict[str, Any]:
    """Which table definitions and rules validation applied (cnkz.datamodel), by the package's major version."""
    descriptor = package_descriptor(package_dir)
    version, model = descriptor.get("version"), model_for(descriptor)
    return {
        "version": version if isinstance(version, str) else None,
        "data_model": model.major if model is not None else major_of(version),
        "applied": model is not None,
        "cross_field_rules": model is not None and model.current,
        "summary": rules_summary(descriptor),
    }


def row_counts(package_dir: Path) -> dict[str, int]:
    """Rows per table, from the Parquet footers (no table is read); a release archive is read in place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if package_dir.is_file():
        from .load import open_package

        with open_package(package_dir) as package:
            return {t.name: pq.read_metadata(pa.BufferReader(package.data(package.resource(t, "parquet")))).num_rows for t in package.tables()}
    counts = {}
    model = model_for(package_descriptor(package_dir))
    for table in model.tables if model is not None else TABLES:
        path = package_dir / "resources" / f"{table.name}.parquet"
        if path.is_file():
            counts[table.name] = pq.read_metadata(path).num_rows
    return counts


def layers(rebuild: bool, frictionless: bool = False, cross_field: bool = True) -> list[str]:
    """The layers run, in order; `cross_field` False for a package of an earlier data model (its rows layer has no hand-written rules)."""
    rows = LAYERS[2] if cross_field else EARLIER_ROWS
    return [*LAYERS[:2], *((FRICTIONLESS,) if frictionless else ()), rows, *LAYERS[3:], *(REBUILD_LAYERS if rebuild else ())]


def render_success(package_dir: Path, rebuild: bool, seconds: float, frictionless: bool = False) -> str:
    """What was checked: the layers, the rows per table, the time taken."""
    counts = row_counts(package_dir)
    applied = rules(package_dir)
    run = layers(rebuild, frictionless, applied["cross_field_rules"])
    rows = ", ".join(f"{name} {count}" for name, count in counts.items())
    skipped = "" if rebuild else " (rebuild, coverage audit and documents skipped)"
    return "\n".join([
        f"{package_dir}: valid ({applied['summary']}) ({seconds:.2f} s)",
        f"{len(run)} layers checked{skipped}: " + "; ".join(run),
        f"rows: {rows} ({sum(counts.values())} in all)",
    ])


def to_json(problems: list[Problem], package_dir: Path, rebuild: bool, seconds: float, frictionless: bool = False) -> dict[str, Any]:
    """The machine-readable report (schema in docs/validation-report.md)."""
    items: list[dict[str, Any]] = []
    for item in group(problems):
        cause_id = len(items) + 1
        for problem in (item.cause, *item.consequences):
            number = _row_number(problem)
            items.append({
                "id": len(items) + 1, "check": problem.check, "table": problem.table,
                "row": problem.row or None, "row_number": number, "column": problem.column or None,
                "expected": problem.expected, "found": problem.found, "advice": problem.advice or None,
                "caused_by": None if problem is item.cause else cause_id,
            })
    applied = rules(package_dir)
    return {
        "format": JSON_FORMAT,
        "directory": str(package_dir),
        "valid": not items,
        "seconds": round(seconds, 2),
        "layers": layers(rebuild, frictionless, applied["cross_field_rules"]),
        "rows": row_counts(package_dir),
        "rules": applied,
        "problems": items,
    }
