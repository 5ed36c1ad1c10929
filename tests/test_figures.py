"""The README's pictures: reproducible to the byte, current, and saying what the data say."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from cnkz.cli import main
from cnkz.figures import NAMES, RC, SAME_DAY_ORDER, write_figures
from cnkz.tables import EVENT_TYPE

from .conftest import ROOT, read_rows

# One xdist worker (--dist loadgroup) runs this module's tests, so the figures are drawn once.
pytestmark = pytest.mark.xdist_group("figures")

pytest.importorskip("matplotlib", reason="the figures need matplotlib (the docs and test dependency groups install it)")

FILES = [f"{name}.{ext}" for name in NAMES for ext in ("png", "svg")]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    write_figures(ROOT, out)
    return out


def table(name: str) -> list[dict[str, str]]:
    header, *rows = read_rows(ROOT / "resources" / f"{name}.csv")
    return [dict(zip(header, row)) for row in rows]


def svg_text(path: Path) -> str:
    texts = ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text")
    return "\n".join("".join(t.itertext()) for t in texts)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_the_build_command_redraws_the_published_figures_byte_for_byte(repo: Path, drawn: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for file in FILES:
        (repo / "docs" / "figures" / file).unlink()
    assert main(["figures", "--root", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote docs/figures/{file}" for file in FILES]
    for file in FILES:
        redrawn = (repo / "docs" / "figures" / file).read_bytes()
        assert redrawn == (drawn / file).read_bytes(), f"{file} differs between two runs"
        assert redrawn == (ROOT / "docs" / "figures" / file).read_bytes(), f"docs/figures/{file} is stale: run `cnkz figures`"


def test_files_carry_no_date_or_tool_version(drawn: Path) -> None:
    for name in NAMES:
        chunks = png_chunks((drawn / f"{name}.png").read_bytes())
        assert [k for k, _ in chunks if k in (b"tEXt", b"iTXt", b"zTXt", b"tIME")] == []
        width, _ = struct.unpack(">II", chunks[0][1][:8])
        assert width == 10 * RC["savefig.dpi"]  # fixed 10-inch width at a fixed resolution, whatever the screen
        svg = (drawn / f"{name}.svg").read_text(encoding="utf-8")
        assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_timeline_shows_the_dated_events_and_counts_those_left_out(drawn: Path) -> None:
    events, pledges = table("events"), table("pledges")
    dated = [e for e in events if e["start_date"]]
    undated = [e for e in events if not e["start_date"]]
    undated_pledges = sum(1 for p in pledges if p["event_id"] in {e["event_id"] for e in undated})
    text = svg_text(drawn / "timeline.svg")
    assert f"Not shown: {len(undated)} of {len(events)} events, whose texts give no date" in text
    assert f"with {undated_pledges} pledge" in text
    labels = [line for line in text.splitlines() if line[:4].isdigit() and line[4:5] == "-"]
    assert sorted(label[:10] for label in labels) == sorted(e["start_date"] for e in dated)
    for event in dated:
        made = sum(1 for p in pledges if p["event_id"] == event["event_id"])
        assert (f"{made} pledge{'s' * (made != 1)}" if made else "no pledge") in text
    # The principals the text names: the 2017 talks were between Xi Jinping and Nursultan Nazarbayev.
    assert "2017-06-08  talks: Xi Jinping · Nursultan Nazarbayev" in text


def test_timeline_puts_the_events_of_a_day_in_the_order_they_happened(drawn: Path) -> None:
    assert set(SAME_DAY_ORDER) == set(EVENT_TYPE.codes)  # every kind of event has its place in a day
    labels = [line for line in svg_text(drawn / "timeline.svg").splitlines() if line[:4].isdigit() and line[4:5] == "-"]
    keys = [(label[:10], SAME_DAY_ORDER.index(label[12:].split(":")[0].replace(" ", "_"))) for label in labels]
    assert keys == sorted(keys)  # top to bottom: by day, then in the day's order
    # As the 2017 text tells it: arrival, "Before the talks ... the grand welcoming ceremony", the talks, "After the talks ... signed".
    day = [label[12:].split(":")[0] for label in labels if label.startswith("2017-06-08")]
    assert day == ["visit", "arrival", "welcoming ceremony", "talks", "joint statement", "signing", "press conference"]


def test_timeline_has_no_empty_stretch_of_years(drawn: Path) -> None:
    """The time order is in the rows; the axis counts pledges, so no year without events takes up room."""
    text = svg_text(drawn / "timeline.svg")
    assert "pledges made at the event" in text
    assert [line for line in text.splitlines() if line.strip().isdigit() and len(line.strip()) == 4] == []


def test_targets_and_outcomes_are_separate_points(drawn: Path) -> None:
    text = svg_text(drawn / "targets.svg")
    targets = [p for p in table("pledges") if p["target_value"]]
    assert targets
    for pledge in targets:
        assert f": pledge {pledge['pledge_id']} (status {pledge['status']}" in text
        assert f"by {pledge['deadline']}" in text
    measured = [f for f in table("figures") if f["metric"] == "trade_volume" and f["is_target"] == "false"]
    assert measured
    for figure in measured:
        linked = "; linked to no pledge)" if not figure["pledge_id"] else ")"
        assert f"(figure {figure['figure_id']}{linked}" in text
    assert "implies nothing about whether the 2015 target was met" in text


def test_targets_chart_shows_each_target_once_with_its_history(drawn: Path) -> None:
    text = svg_text(drawn / "targets.svg")
    lines = text.splitlines()
    events = {e["event_id"]: e for e in table("events")}
    updates = table("pledge_updates")
    targets: dict[tuple[str, str, str, str], list[dict[str, str]]] = {}
    for pledge in table("pledges"):
        if pledge["target_value"]:
            targets.setdefault((pledge["target_value"], pledge["target_unit"], pledge["deadline"], pledge["topic"]), []).append(pledge)
    assert len([line for line in lines if line.startswith("target: ")]) == len(targets)
    assert any(len(stated) > 1 for stated in targets.values())  # the 40 bn by 2015 target is stated twice, and drawn once
    for (value, unit, deadline, topic), stated in targets.items():
        assert f"target: {float(value) / 1e9:g} bn {unit} by {deadline} ({topic})" in lines
        stated = sorted(stated, key=lambda p: events[p["event_id"]]["start_date"])
        expected = []
        for i, p in enumerate(stated):
            status = p["status"] + (f" as of {p['status_as_of']}" if p["status_as_of"] else "")
            expected.append((events[p["event_id"]]["start_date"], 0, f"{'set' if i == 0 else 'restated'}: pledge {p['pledge_id']} (status {status})"))
            expected += [(u["as_of"], 1, f"reported {u['status']}: update {u['update_id']}") for u in updates if u["pledge_id"] == p["pledge_id"]]
        history = [f"{day} {what}" for day, _, what in sorted(expected)]
        ids = {p["pledge_id"] for p in stated} | {u["update_id"] for u in updates if u["pledge_id"] in {p["pledge_id"] for p in stated}}
        assert [line for line in lines if line[:4].isdigit() and any(i in line for i in ids)] == history
    # The history holds the later report on the 2011 target: the 2011-09-27 text restates it as committed.
    assert "2011-09-27 reported committed: update 2011-wu-bangguo-kazakhstan.trade-target-restated" in lines
