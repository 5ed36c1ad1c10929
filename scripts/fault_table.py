"""Print, for every fault of the fault-injection suite, whether `cnkz validate` and `frictionless validate` alone catch it.

Usage: python scripts/fault_table.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import frictionless  # noqa: E402

from cnkz.build import validate_repository  # noqa: E402
from tests.conftest import copy_repo, rehash  # noqa: E402
from tests.faults import FAULTS  # noqa: E402


def frictionless_catches(package: Path, seconds: float = 60) -> bool | None:
    """Whether frictionless alone reports the fault; None when it hangs (a FIFO resource blocks it)."""
    result: list[bool] = []

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result.append(not frictionless.validate(str(package / "datapackage.json")).valid)
            except Exception:  # frictionless itself failed: it did not pass the package
                result.append(True)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for fault in FAULTS:
        with tempfile.TemporaryDirectory() as tmp:
            package = copy_repo(Path(tmp) / "repo")
            row = fault.inject(package)
            if fault.rehash:
                rehash(package)
            problems = validate_repository(package)
            ours = [p for p in problems if p.check == fault.check and p.table == fault.table and p.column == fault.column]
            results.append({
                "fault": fault.name,
                "ours": bool(ours),
                "message": str(ours[0]) if ours else "",
                "row": row,
                "frictionless": frictionless_catches(package),
            })
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| # | fault | cnkz validate | frictionless validate alone | our message |")
    print("|---|---|---|---|---|")
    for n, r in enumerate(results, 1):
        message = r["message"] if len(r["message"]) < 110 else r["message"][:109] + "…"
        alone = {True: "caught", False: "missed", None: "hangs"}[r["frictionless"]]
        print(f"| {n} | {r['fault']} | {'caught' if r['ours'] else 'MISSED'} | {alone} | `{message}` |")
    caught = sum(r["ours"] for r in results)
    by_frictionless = sum(r["frictionless"] is True for r in results)
    print(f"\n{caught}/{len(results)} caught by cnkz validate; {by_frictionless}/{len(results)} by frictionless validate alone")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
