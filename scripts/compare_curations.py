"""Compare two independent curations of the seeds, row by row.

Usage: python scripts/compare_curations.py [SECOND_DIR] [--json]

SECOND_DIR (default review/second-curation) holds one YAML per seed, named after the seed's
stem, plus people.yaml, in the format of CURATION.md. Rows are matched within a document by
the overlap of their quoted spans (and, for participants, the person's name); matched rows are
compared field by field. Prints counts per table and document and every difference.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cnkz.curation import curate  # noqa: E402

COMPARED = {
    "events": ["event_type", "start_date", "end_date", "date_precision", "date_inferred", "city", "country", "venue", "location_inferred", "parent_type"],
    "participants": ["event_type", "role", "present", "office"],
    "pledges": ["event_type", "actor", "speaker", "pledge_type", "topic", "target_value", "target_unit", "deadline", "status", "status_as_of"],
    "figures": ["metric", "value", "unit", "qualifier", "is_target", "period", "period_inferred", "linked_pledge"],
}


def stage_second(second: Path, target: Path) -> None:
    """Lay out the second curation as a repository so the real loader reads it."""
    (target / "curation").mkdir(parents=True)
    shutil.copytree(ROOT / "seeds", target / "seeds")
    shutil.copy(second / "people.yaml", target / "curation" / "people.yaml")
    for path in sorted(second.glob("*.yaml")):
        if path.name == "people.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        (target / "curation" / f"{data['source']['id']}.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


def enrich(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Replace ids that differ between curators with what they stand for."""
    path_of = {s["source_id"]: s["path"] for s in rows["sources"]}
    events = {e["event_id"]: e for e in rows["events"]}
    names = {p["person_id"]: p["name"] for p in rows["participants"]}
    pledges = {p["pledge_id"]: p for p in rows["pledges"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for table, table_rows in rows.items():
        out[table] = []
        for row in table_rows:
            r = dict(row)
            r["doc"] = path_of[row["source_id"]]
            if table == "events":
                parent = events.get(row["parent_event_id"] or "")
                r["parent_type"] = parent["event_type"] if parent else None
            if table in ("participants", "pledges", "figures"):
                event = events.get(row.get("event_id") or "")
                r["event_type"] = event["event_type"] if event else None
            if table == "pledges":
                r["speaker"] = names.get(row["speaker_person_id"] or "")
            if table == "figures":
                r["linked_pledge"] = pledges[row["pledge_id"]]["quote"][:40] if row["pledge_id"] in pledges else None
            out[table].append(r)
    return out


def overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    inter = min(a["char_end"], b["char_end"]) - max(a["char_start"], b["char_start"])
    if inter <= 0:
        return 0.0
    union = max(a["char_end"], b["char_end"]) - min(a["char_start"], b["char_start"])
    return inter / union


def score(table: str, a: dict[str, Any], b: dict[str, Any]) -> float:
    if a["doc"] != b["doc"]:
        return 0.0
    if table == "participants" and (a["name"] != b["name"] or a["event_type"] != b["event_type"]):
        return 0.0
    if table == "events" and a["event_type"] == b["event_type"]:
        return 1.0 + overlap(a, b)
    if table == "figures" and a["value"] == b["value"] and a["metric"] == b["metric"]:
        return 1.0 + overlap(a, b)
    return overlap(a, b)


def match(table: str, first: list[dict[str, Any]], second: list[dict[str, Any]]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    pairs = sorted(
        ((score(table, a, b), i, j) for i, a in enumerate(first) for j, b in enumerate(second)), reverse=True
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    matched = []
    for s, i, j in pairs:
        if s <= 0 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        matched.append((i, j))
    return sorted(matched), [i for i in range(len(first)) if i not in used_a], [j for j in range(len(second)) if j not in used_b]


def compare(first: dict[str, list[dict[str, Any]]], second: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    report: dict[str, Any] = {"tables": {}, "differences": []}
    for table, fields in COMPARED.items():
        matched, only_first, only_second = match(table, first[table], second[table])
        counts_first = Counter(r["doc"] for r in first[table])
        counts_second = Counter(r["doc"] for r in second[table])
        field_diffs = 0
        for i, j in matched:
            a, b = first[table][i], second[table][j]
            for f in fields:
                if a.get(f) != b.get(f):
                    field_diffs += 1
                    report["differences"].append({
                        "table": table, "doc": a["doc"], "kind": "field", "field": f,
                        "first": str(a.get(f)), "second": str(b.get(f)), "quote": a["quote"][:70],
                    })
        for i in only_first:
            a = first[table][i]
            report["differences"].append({"table": table, "doc": a["doc"], "kind": "only_first", "quote": a["quote"][:90], "name": a.get("name", "")})
        for j in only_second:
            b = second[table][j]
            report["differences"].append({"table": table, "doc": b["doc"], "kind": "only_second", "quote": b["quote"][:90], "name": b.get("name", "")})
        report["tables"][table] = {
            "first": dict(sorted(counts_first.items())), "second": dict(sorted(counts_second.items())),
            "matched": len(matched), "only_first": len(only_first), "only_second": len(only_second),
            "field_differences": field_diffs,
        }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", nargs="?", default=str(ROOT / "review" / "second-curation"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    first_rows, _ = curate(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        stage_second(Path(args.second), Path(tmp))
        second_rows, _ = curate(Path(tmp))
    report = compare(enrich(first_rows), enrich(second_rows))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    for table, t in report["tables"].items():
        print(f"{table}: first {sum(t['first'].values())}, second {sum(t['second'].values())}, matched {t['matched']}, "
              f"only first {t['only_first']}, only second {t['only_second']}, field differences {t['field_differences']}")
        for doc in sorted(set(t["first"]) | set(t["second"])):
            print(f"    {doc}: {t['first'].get(doc, 0)} vs {t['second'].get(doc, 0)}")
    print()
    for d in report["differences"]:
        if d["kind"] == "field":
            print(f"[{d['table']}] {d['doc']} {d['field']}: {d['first']!r} vs {d['second']!r}  -- {d['quote']}")
        else:
            print(f"[{d['table']}] {d['doc']} {d['kind']}: {d['name']} {d['quote']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
