"""A new source document end to end: scaffold, fill, build, validate, diff."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from cnkz.cli import main
from cnkz.curation import LIST_SECTIONS, SPECS
from cnkz.diff import LEVEL_WORDS, LEVELS, diff, load_snapshot
from cnkz.report import row_counts

from .conftest import ROOT
from .test_readme import FENCE

# A fixture text written for this test (not a real article).
TEXT = "\n\n".join([
    "2026-03-02      Source: Xinhua",
    "Chinese, Kazakh presidents hold talks in Astana",
    "ASTANA, March 2 (Xinhua) -- Chinese President Xi Jinping held talks with Kazakh President Kassym-Jomart Tokayev in Astana "
    "on Monday, and both sides agreed to deepen cooperation.",
    "Xi said China is ready to work with Kazakhstan to deepen cooperation in trade, energy and transport, and to make the "
    "comprehensive strategic partnership between the two countries stronger.",
    "Tokayev said Kazakhstan welcomes investment from China and hopes the two countries will expand cooperation in agriculture "
    "and green energy.",
    # A closing paragraph of fewer than twelve words, with a number: the body must not stop before it.
    "The two countries now have 26 pairs of sister cities.\n",
    "Previous Page 1 2 Next Page\n",
])
SISTERS = "The two countries now have 26 pairs of sister cities."
SEED = "seeds/005_0a1b2c3d4e5f6a7b.txt"
DOC = "curation/2026-xi-jinping-astana.yaml"
TALKS = ("ASTANA, March 2 (Xinhua) -- Chinese President Xi Jinping held talks with Kazakh President Kassym-Jomart Tokayev "
         "in Astana on Monday")


def cnkz(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def fill(data: dict) -> dict:
    """What a curator writes in place of the TODO records."""
    data["source"]["title"] = "Chinese, Kazakh presidents hold talks in Astana"
    data["source"]["agency"] = "Xinhua"
    data["events"] = [{
        "key": "talks", "type": "talks", "parent": None, "start_date": "2026-03-02", "end_date": "2026-03-02",
        "date_precision": "day", "date_inferred": True, "place": "astana", "country": None, "venue": None, "plover_context": ["diplomatic"],
        "location_inferred": False, "summary": "Xi Jinping and Kassym-Jomart Tokayev hold talks in Astana.", "quote": TALKS,
    }]
    data["participants"] = [
        {"event": "talks", "person": person, "name_in_source": name, "office": "President", "role": "counterpart",
         "present": True, "quote": name}
        for person, name in (("xi-jinping", "Xi Jinping"), ("kassym-jomart-tokayev", "Kassym-Jomart Tokayev"))
    ]
    data["figures"] = [{
        "key": "sister-cities", "event": "talks", "pledge": None, "metric": "sister_region_pairs", "description": "Pairs of sister cities.",
        "value": 26, "unit": "count", "value_text": "26", "qualifier": "exact", "is_target": False, "period": "2026-03-02",
        "period_inferred": True, "quote": SISTERS,
    }]
    for section in ("pledges", "pledge_updates", "exclusions"):
        data[section] = []
    return data


def readme_block(info: str) -> str:
    """The README block with this info string (```sh curator)."""
    blocks = [m.group(2) for m in FENCE.finditer((ROOT / "README.md").read_text(encoding="utf-8")) if m.group(1).strip() == info]
    assert len(blocks) == 1, info
    return blocks[0]


def test_the_readme_diffs_against_the_latest_release() -> None:
    index = json.loads((ROOT / "releases" / "index.json").read_text(encoding="utf-8"))
    latest = max(index, key=lambda version: tuple(int(part) for part in version.split(".")))
    assert f"cnkz diff releases/{index[latest]['archive']} .\n" in readme_block("sh curator")


def test_a_new_document_from_scaffold_to_a_minor_release(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's curator commands, run as written on a fixture text, each answering as the README says."""
    monkeypatch.chdir(repo)
    (repo / SEED).write_text(TEXT, encoding="utf-8")
    before = row_counts(repo)
    commands = [line for line in readme_block("sh curator").splitlines() if line.strip()]
    assert [c.split()[1] if c.startswith("cnkz ") else "#" for c in commands] == ["new", "#", "build", "docs", "figures", "validate", "diff"]
    new, fill_step, build, docs, figures, check, compare = commands

    code, out, _ = cnkz(capsys, *shlex.split(new)[1:])
    assert code == 0
    todo = int(out.split(": ")[1].split(" ")[0])
    assert out == (
        f"wrote {DOC}: {todo} values to fill (marked TODO), 4 numbers and names to curate or exclude (listed as comments)\n"
        "next: edit it, then run `cnkz build` and `cnkz validate`; `cnkz build` lists what is still missing\n"
    )
    scaffold = (repo / DOC).read_text(encoding="utf-8")
    lines = scaffold.splitlines()
    assert '  title: "Chinese, Kazakh presidents hold talks in Astana"  # REVIEW: the first line of four words or more' in lines
    # The body runs to the short closing paragraph; its first and last sentences are shown for review, with what follows.
    body = lines.index('  body: {first: "ASTANA, March 2 (Xinhua)", last: "pairs of sister cities."}  # REVIEW: the first and last words '
                       "of the article body")
    assert lines[body + 1:body + 5] == [
        "  # REVIEW the body's bounds: the coverage audit asks only about the numbers and names between them.",
        f'  #   first sentence: "{TALKS}, and both sides agreed to deepen cooperation."',
        f'  #   last sentence:  "{SISTERS}"',
        '  #   after the body: "Previous Page 1 2 Next Page"',
    ]
    assert "  #   Kassym-Jomart Tokayev (character 171, person: kassym-jomart-tokayev): ASTANA, March 2 (Xinhua)" in scaffold
    assert "  #   2 (character 95): ASTANA, March 2 (Xinhua)" in scaffold
    assert f"  #   26 (character {TEXT.index('26 pairs')}): {SISTERS}" in scaffold

    code, _, err = cnkz(capsys, *shlex.split(build)[1:])  # before filling: the list of what is missing
    assert code == 2
    # Every required field of each section's template record, found in the file as the curator sees it.
    lines = scaffold.splitlines()
    missing = []
    for section in LIST_SECTIONS:
        required = [name for name, (_, needed) in SPECS[section].items() if needed]
        start = next(n for n in range(lines.index(f"{section}:"), len(lines)) if lines[n].startswith("  - ")) + 1
        missing.append((f"{section}[1]", start, required))
    first = missing[0][1]
    assert err == (
        f"cnkz: error: {DOC}:{first}:10: unfinished: {todo} value(s) still say TODO; "
        + "; ".join(f"{record} (line {line}): {', '.join(fields)}" for record, line, fields in missing) + "\n"
    )
    assert todo == sum(len(fields) for _, _, fields in missing)
    assert cnkz(capsys, *shlex.split(new)[1:])[0] == 2  # the file exists: never overwritten

    assert DOC.removeprefix("curation/") in fill_step
    (repo / DOC).write_text(yaml.safe_dump(fill(yaml.safe_load(scaffold)), allow_unicode=True, sort_keys=False), encoding="utf-8")
    old = repo.parent / "before"  # the package as published before the new document
    old.mkdir()
    shutil.copy2(repo / "datapackage.json", old)
    shutil.copytree(repo / "resources", old / "resources")
    code, out, err = cnkz(capsys, *shlex.split(build)[1:])
    assert code == 0, err
    assert cnkz(capsys, *shlex.split(docs)[1:])[0] == 0
    code, out, _ = cnkz(capsys, *shlex.split(figures)[1:])
    assert (code, out) == (0, "".join(f"wrote docs/figures/{name}.{ext}\n" for name in ("timeline", "targets") for ext in ("png", "svg")))

    code, out, err = cnkz(capsys, *shlex.split(check)[1:])
    assert code == 0, err  # the closing paragraph's number is covered by its figure row
    counts = {**before, "sources": before["sources"] + 1, "events": before["events"] + 1, "participants": before["participants"] + 2,
              "figures": before["figures"] + 1}
    assert out.splitlines()[0].startswith(f"{repo}: valid (")
    assert out.splitlines()[1].startswith("8 layers checked: ")
    assert out.splitlines()[2] == f"rows: {', '.join(f'{t} {n}' for t, n in counts.items())} ({sum(counts.values())} in all)"

    code, out, _ = cnkz(capsys, *shlex.split(compare)[1:])
    assert code == 0
    # A new document is MINOR; against the release, unreleased changes already in the repository count too.
    release = diff(load_snapshot(repo / shlex.split(compare)[2]), load_snapshot(old)).level
    level = max(release, "minor", key=LEVELS.index)
    assert out.splitlines()[0].endswith(f": {LEVEL_WORDS[level]}")
    # The same, against the package as it was just before: only the new document's rows.
    code, out, _ = cnkz(capsys, "diff", str(old), os.curdir)
    lines = out.splitlines()
    version = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert lines[0] == f"{version} -> {version}: a MINOR change: rows, columns or vocabulary values added, nothing removed or retyped"
    assert sorted(line.strip() for line in lines if line.strip().startswith("row added: ")) == [
        "row added: 2026-xi-jinping-astana",
        "row added: 2026-xi-jinping-astana.sister-cities",
        "row added: 2026-xi-jinping-astana.talks",
        "row added: 2026-xi-jinping-astana.talks/kassym-jomart-tokayev",
        "row added: 2026-xi-jinping-astana.talks/xi-jinping",
    ]
    assert "  participants (minor): 2 rows added, 0 removed, 0 changed" in lines
    code, out, _ = cnkz(capsys, "diff", str(old), os.curdir, "--limit", "1")
    lines = out.splitlines()
    participants = lines.index("  participants (minor): 2 rows added, 0 removed, 0 changed")
    assert lines[participants + 1 : participants + 3] == [
        "    row added: 2026-xi-jinping-astana.talks/xi-jinping",  # rows in published order
        "    … and 1 more rows added (--limit 2 lists them all, --json gives everything)",
    ]


def test_a_body_that_stops_short_is_reported_outside_the_body(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The curator flow with body.last moved back to the paragraph before the last: the closing paragraph's number is not
    silently left out; the audit reports it as outside the body, says where the bounds are and what to do."""
    monkeypatch.chdir(repo)
    (repo / SEED).write_text(TEXT, encoding="utf-8")
    assert cnkz(capsys, "new", SEED, "--id", "2026-xi-jinping-astana")[0] == 0
    data = fill(yaml.safe_load((repo / DOC).read_text(encoding="utf-8")))
    data["source"]["body"]["last"] = "agriculture and green energy."
    data["figures"] = []
    (repo / DOC).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for step in ("build", "docs", "figures"):
        assert cnkz(capsys, step)[0] == 0, step
    code, out, err = cnkz(capsys, "validate")
    assert (code, out) == (1, "")
    body = next(n for n, line in enumerate((repo / DOC).read_text(encoding="utf-8").splitlines(), start=1) if line.startswith("  body:"))
    at = TEXT.index("26 pairs")
    assert err.splitlines() == [
        "1 problem",
        "",
        f"1. [coverage] {SEED} row line {TEXT.count(chr(10), 0, at) + 1}, char {at} column number",
        f"   expected: inside the body that source.body of {DOC} bounds, or an exclusion",
        "   found:    '26' outside the body: check body bounds",
        f'   to fix:   the sentence "{SISTERS}" comes after the body\'s last words ({DOC}:{body}:3, key body): if it is article text, '
        "move body.last to take it in and curate the number; if it is page furniture, mark it uncounted on purpose in exclusions: "
        f'{{text: "26", quote: "{SISTERS}", reason: "Page furniture, not article text."}}',
        f"cnkz: {repo} is not valid: 1 problem(s) (exit status 1)",
    ]


def test_the_scaffold_guesses_the_body_of_every_curated_text() -> None:
    from cnkz.curation import curate
    from cnkz.scaffold import _body

    _, documents = curate(ROOT)
    for doc in documents:
        first, last = _body(doc.text)
        assert first is not None and last is not None
        source = doc.rows["sources"][0]
        assert (doc.text.find(first), doc.text.find(last) + len(last)) == (source["body_start"], source["body_end"]), doc.source_id


def test_the_readme_installs_the_drawing_packages_at_their_pinned_versions() -> None:
    """`pip install -e .` gives no matplotlib: the curator's set-up adds it and Pillow at the versions of the docs group."""
    from cnkz.figures import pinned

    pins = pinned(ROOT)
    assert set(pins) == {"matplotlib", "pillow"}
    assert readme_block("sh curator-setup") == f"python -m pip install -e . {' '.join(f'{n}=={v}' for n, v in sorted(pins.items()))}\n"
