"""Compare two independent curations of the seeds, row by row.

Usage: python scripts/compare_curations.py [SECOND_DIR] [--json]

SECOND_DIR (default review/second-curation-2.0) holds one YAML per seed, named after the seed's
stem, plus people.yaml and places.yaml, in the format of CURATION.md. (review/second-curation is the
blind curation of release 1.0.0, in the 1.0 format; compare it with this script as of release 1.0.0.) Rows are matched within a document by
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
    "events": ["event_type", "start_date", "end_date", "date_precision", "date_inferred", "place_id", "country", "venue", "location_inferred", "parent_type",
               "plover_category", "plover_mode", "plover_context", "actor", "recipient"],
    "participants": ["event_type", "role", "present", "office"],
    "pledges": ["event_type", "actor", "speaker", "pledge_type", "plover_category", "topic", "target_value", "target_unit", "deadline",
                "status", "status_as_of"],
    "figures": ["metric", "value", "unit", "qualifier", "is_target", "period", "period_inferred", "linked_pledge"],
    "pledge_updates": ["earlier_pledge", "status", "figure_value"],
}
# Categorical fields whose agreement is also given as Cohen's kappa (chance-corrected).
KAPPA = [("events", "event_type"), ("events", "plover_category"), ("pledges", "pledge_type"), ("pledges", "plover_category"),
         ("pledges", "topic"), ("pledges", "status"), ("participants", "role"), ("pledge_updates", "status")]


def stage_second(second: Path, target: Path) -> None:
    """Lay out the second curation as a repository so the real loader reads it."""
    (target / "curation").mkdir(parents=True)
    shutil.copytree(ROOT / "seeds", target / "seeds")
    for registry in ("people.yaml", "places.yaml"):
        shutil.copy(second / registry, target / "curation" / registry)
    for path in sorted(second.glob("*.yaml")):
        if path.name in ("people.yaml", "places.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        (target / "curation" / f"{data['source']['id']}.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


def enrich(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Replace ids that differ between curators with what they stand for."""
    path_of = {s["source_id"]: s["path"] for s in rows["sources"]}
    events = {e["event_id"]: e for e in rows["events"]}
    names = {p["person_id"]: p["name"] for p in rows["participants"]}
    pledges = {p["pledge_id"]: p for p in rows["pledges"]}
    figures = {f["figure_id"]: f for f in rows["figures"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for table, table_rows in rows.items():
        if table not in COMPARED:
            continue
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
            if table == "pledge_updates":
                earlier = pledges.get(row["pledge_id"])
                r["earlier_pledge"] = f"{path_of[earlier['source_id']]}:{earlier['char_start']}-{earlier['char_end']}" if earlier else None
                r["figure_value"] = figures[row["figure_id"]]["value"] if row["figure_id"] in figures else None
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
    if table == "pledge_updates":
        # The same later sentence about spans that overlap in the same earlier document.
        return overlap(a, b) + (1.0 if _same_earlier(a, b) else 0.0) if overlap(a, b) > 0 else 0.0
    return overlap(a, b)


def _same_earlier(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not a["earlier_pledge"] or not b["earlier_pledge"]:
        return False
    (doc_a, span_a), (doc_b, span_b) = a["earlier_pledge"].split(":"), b["earlier_pledge"].split(":")
    (s_a, e_a), (s_b, e_b) = map(int, span_a.split("-")), map(int, span_b.split("-"))
    return doc_a == doc_b and min(e_a, e_b) > max(s_a, s_b)


def kappa(pairs: list[tuple[Any, Any]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items; None when chance agreement is total."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(str(a) for a, _ in pairs), Counter(str(b) for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


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


def _same_value(field: str, a: Any, b: Any) -> bool:
    if field == "earlier_pledge":
        return a == b or (a is not None and b is not None and _same_earlier({"earlier_pledge": a}, {"earlier_pledge": b}))
    return bool(a == b)


def compare(first: dict[str, list[dict[str, Any]]], second: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    report: dict[str, Any] = {"tables": {}, "differences": []}
    for table, fields in COMPARED.items():
        matched, only_first, only_second = match(table, first[table], second[table])
        counts_first = Counter(r["doc"] for r in first[table])
        counts_second = Counter(r["doc"] for r in second[table])
        field_diffs = 0
        agreement = {}
        for f in fields:
            pairs = [(first[table][i].get(f), second[table][j].get(f)) for i, j in matched]
            same = sum(_same_value(f, x, y) for x, y in pairs)
            agreement[f] = {"agree": same, "matched": len(pairs)}
            if (table, f) in KAPPA:
                agreement[f]["kappa"] = kappa(pairs)
        for i, j in matched:
            a, b = first[table][i], second[table][j]
            for f in fields:
                if not _same_value(f, a.get(f), b.get(f)):
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
            "field_differences": field_diffs, "agreement": agreement,
        }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", nargs="?", default=str(ROOT / "review" / "second-curation-2.0"))
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
    print("agreement on matched rows (field: agree/matched, Cohen's kappa where categorical)")
    for table, t in report["tables"].items():
        for f, a in t["agreement"].items():
            k = a.get("kappa", "")
            kappa_text = "" if k == "" else (" kappa n/a" if k is None else f" kappa {k:.2f}")
            print(f"    {table}.{f}: {a['agree']}/{a['matched']}{kappa_text}")
    print()
    for d in report["differences"]:
        if d["kind"] == "field":
            print(f"[{d['table']}] {d['doc']} {d['field']}: {d['first']!r} vs {d['second']!r}  -- {d['quote']}")
        else:
            print(f"[{d['table']}] {d['doc']} {d['kind']}: {d['name']} {d['quote']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
