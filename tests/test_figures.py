"""The README's pictures: reproducible to the byte, current, and saying what the data say."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

import cnkz
from cnkz.cli import main
from cnkz.figures import DATA_MARK, NAMES, RC, SAME_DAY_ORDER, check_figures, figure_data, targets_figure, timeline_figure, write_figures
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


def labels_of(drawn: Path) -> list[str]:
    return [line for line in svg_text(drawn / "timeline.svg").splitlines() if line[:4].isdigit() and line[4:5] == "-"]


def test_timeline_shows_the_dated_events_and_counts_those_left_out(drawn: Path) -> None:
    events, pledges = table("events"), table("pledges")
    dated = [e for e in events if e["start_date"]]
    undated = [e for e in events if not e["start_date"]]
    undated_pledges = sum(1 for p in pledges if p["event_id"] in {e["event_id"] for e in undated})
    text = svg_text(drawn / "timeline.svg")
    assert f"Not shown: {len(undated)} of {len(events)} events, whose texts give no date" in text
    assert f"with {undated_pledges} pledge" in text
    assert sorted(label[:10] for label in labels_of(drawn)) == sorted(e["start_date"] for e in dated)
    for event in dated:
        made = sum(1 for p in pledges if p["event_id"] == event["event_id"])
        assert (f"{made} pledge{'s' * (made != 1)}" if made else "no pledge") in text
    # The principals the text names: the 2017 talks were between Xi Jinping and Nursultan Nazarbayev.
    assert "2017-06-08  talks: Xi Jinping · Nursultan Nazarbayev" in text


def test_timeline_names_people_in_one_order_and_the_sides_where_the_text_names_no_one(drawn: Path) -> None:
    labels = labels_of(drawn)
    # The 2024 counterparts, in the same order at both events (China's first, as the country vocabulary orders them).
    assert [label for label in labels if label.startswith("2024-05-20")] == [
        "2024-05-20  talks: Wang Yi · Murat Nurtleu", "2024-05-20  press conference: Wang Yi · Murat Nurtleu",
    ]
    # The 2011 joint statement names no one; its row's actors are the two sides, and the label says so.
    assert "2011-06-13  joint statement: China · Kazakhstan (no person named)" in labels
    assert "2017-06-08  joint statement: Xi Jinping · Nursultan Nazarbayev" in labels


def test_timeline_puts_the_events_of_a_day_in_the_order_they_happened(drawn: Path) -> None:
    assert set(SAME_DAY_ORDER) == set(EVENT_TYPE.codes)  # every kind of event has its place in a day
    labels = labels_of(drawn)
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


def test_no_label_is_a_row_id(drawn: Path) -> None:
    ids = {row[key] for name, key in (("events", "event_id"), ("pledges", "pledge_id"), ("figures", "figure_id"),
                                      ("pledge_updates", "update_id"), ("sources", "source_id")) for row in table(name)}
    for name in NAMES:
        text = svg_text(drawn / f"{name}.svg")
        assert [i for i in ids if i in text] == [], name
        assert not re.search(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\.[a-z0-9]+(?:-[a-z0-9]+)*\b", text), name


def test_targets_chart_shows_each_commitment_once_with_its_history_in_words(drawn: Path) -> None:
    """A commitment and its restatements (pledges whose restates names it) are one target, its history in the rows' words."""
    lines = svg_text(drawn / "targets.svg").splitlines()
    pledges = table("pledges")
    events = {e["event_id"]: e for e in table("events")}
    names = {p["person_id"]: p["name"] for p in table("participants")}
    firsts = [p for p in pledges if p["target_value"] and not p["restates"]]
    assert len([line for line in lines if line.startswith("Target: ")]) == len(firsts) == 1
    first = firsts[0]
    again = [p for p in pledges if p["restates"] == first["pledge_id"]]
    assert again, "the 40 billion by 2015 target is stated twice, and drawn once"
    assert f"target: 40 billion USD by {first['deadline']}" in lines
    assert f"Target: 40 billion USD ({first['topic']}) by {first['deadline']}; status: {first['status']} as of {first['status_as_of']}." in lines
    notes = " ".join(line.strip() for line in lines)
    for i, pledge in enumerate([first, *again]):
        event = events[pledge["event_id"]]
        by = names[pledge["speaker_person_id"]] if pledge["speaker_person_id"] else {"both": "both sides", "CHN": "China", "KAZ": "Kazakhstan"}[pledge["actor"]]
        said = f"{event['start_date']}  {'set' if i == 0 else 'restated'} at the {event['event_type'].replace('_', ' ')} by {by}: “{pledge['statement']}”"
        assert said in notes
    assert "2011-06-13  set at the joint statement by both sides: “China and Kazakhstan set a target of 40 billion U.S. dollars for " \
        "bilateral trade by 2015.”" in notes
    assert "2011-09-27  restated at the meeting by Wu Bangguo: “China proposes" in notes


def test_targets_and_outcomes_are_separate_points(drawn: Path) -> None:
    text = svg_text(drawn / "targets.svg")
    notes = " ".join(line.strip() for line in text.splitlines())
    measured = [f for f in table("figures") if f["metric"] == "trade_volume" and f["is_target"] == "false"]
    assert measured
    for figure in measured:
        assert f"reported: {figure['value_text']} in {figure['period']}" in text.splitlines()
        assert f"{figure['period']}  reported: {figure['value_text']}. {figure['description']} (linked to no pledge)" in notes
    assert "No text in the corpus reports a figure for 2015, the deadline of the 40 billion USD target." in text
    assert "A reported figure linked to no pledge implies nothing about whether a target was met." in text


def test_the_value_axis_is_on_the_scale_of_the_values(drawn: Path) -> None:
    """40 and 41 billion are told apart: the axis does not start at 0, and spans a few billion around them."""
    tables = cnkz.load(ROOT)
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = targets_figure(figure_data(tables)["targets"])
    low, high = fig.axes[0].get_ylim()
    ticks = [t for t in fig.axes[0].get_yticks() if low <= t <= high]
    assert 30 < low < 40 and min(ticks) > 30 and max(ticks) < 45


# ---------------------------------------------------------------- labels never overlap, as the data grow

def text_boxes(fig) -> list[tuple[str, object]]:
    """Each text the figure draws, with its box in pixels (an annotation's text without its arrow; tick labels outside the
    axis limits, which are not drawn, left out)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hidden = set()
    for ax in fig.axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(limits)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def overlaps(fig) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap, and texts that run past the figure's edge (paired with "the edge")."""
    boxes = text_boxes(fig)
    width, height = fig.canvas.get_width_height()
    outside = [(a, "the edge") for a, x in boxes if x.x0 < -0.5 or x.y0 < -0.5 or x.x1 > width + 0.5 or x.y1 > height + 0.5]
    return outside + [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2)
                      if x.x0 < y.x1 - 0.5 and y.x0 < x.x1 - 0.5 and x.y0 < y.y1 - 0.5 and y.y0 < x.y1 - 0.5]


def grown(tables: dict) -> dict:
    """The tables with a later document's rows: a second and third trade figure (one of them close to the first), a second
    target restated and reported on, a day of many events, an event with principals given in file order China last, an
    event that names no one, long names."""
    import pandas as pd

    def add(name: str, rows: list[dict]) -> None:
        frame = tables[name]
        extra = pd.DataFrame([{column: row.get(column) for column in frame.columns} for row in rows])
        tables[name] = pd.concat([frame.astype(object), extra.astype(object)], ignore_index=True)

    day = dt.date(2026, 3, 2)
    kinds = ["visit", "arrival", "welcoming_ceremony", "talks", "signing", "press_conference", "joint_statement"]
    add("events", [{"event_id": f"2026-x.{k}", "event_type": k, "start_date": day, "actor": "CHN;KAZ"} for k in kinds])
    add("participants", [
        {"event_id": f"2026-x.{k}", "person_id": person, "name": name, "role": role, "country": country, "present": True}
        for k in kinds[:-1] for person, name, role, country in (
            ("kassym-jomart-tokayev", "Kassym-Jomart Tokayev", "counterpart", "KAZ"), ("xi-jinping", "Xi Jinping", "counterpart", "CHN"),
            ("someone", "A Very Long Name Of A Deputy Prime Minister And Minister", "counterpart", "KAZ"))
    ])
    add("pledges", [
        {"pledge_id": "2026-x.trade-2030", "event_id": "2026-x.talks", "actor": "both", "pledge_type": "target", "topic": "trade",
         "statement": "China and Kazakhstan set a target of 70 billion U.S. dollars of bilateral trade by 2030.", "target_value": 7e10,
         "target_unit": "USD", "deadline": 2030, "status": "in_progress", "status_as_of": dt.date(2027, 1, 1)},
        {"pledge_id": "2027-y.trade-2030", "event_id": "2026-x.signing", "actor": "KAZ", "pledge_type": "target", "topic": "trade",
         "statement": "Kazakhstan will work to lift bilateral trade to 70 billion U.S. dollars by 2030.", "target_value": 7e10,
         "target_unit": "USD", "deadline": 2030, "restates": "2026-x.trade-2030", "status": "in_progress"},
        *[{"pledge_id": f"2026-x.p{n}", "event_id": "2026-x.talks", "statement": "x", "topic": "culture"} for n in range(40)],
    ])
    add("figures", [
        {"figure_id": "2026-x.trade-target", "pledge_id": "2026-x.trade-2030", "metric": "trade_volume", "unit": "USD", "value": 7e10,
         "value_text": "70 billion U.S. dollars", "is_target": True, "period": "2030", "description": "Target for bilateral trade."},
        {"figure_id": "2026-x.trade-2025", "metric": "trade_volume", "unit": "USD", "value": 4.4e10, "value_text": "44 billion U.S. dollars",
         "is_target": False, "period": "2025", "description": "Bilateral trade last year."},
        {"figure_id": "2026-x.trade-2024", "metric": "trade_volume", "unit": "USD", "value": 4.11e10, "value_text": "41.1 billion U.S. dollars",
         "is_target": False, "period": "2024", "description": "Bilateral trade in 2024, according to Kazakh statistics."},
    ])
    add("pledge_updates", [
        {"update_id": "2027-y.trade", "pledge_id": "2026-x.trade-2030", "event_id": "2026-x.press", "status": "in_progress",
         "as_of": dt.date(2027, 1, 1), "summary": "Bilateral trade keeps growing towards the target of 70 billion U.S. dollars."},
    ])
    return tables


@pytest.mark.parametrize("data", ["published", "grown"])
@pytest.mark.parametrize("name", NAMES)
def test_no_two_texts_overlap(name: str, data: str) -> None:
    import matplotlib

    tables = cnkz.load(ROOT)
    if data == "grown":
        tables = grown(tables)
    drawn_data = figure_data(tables)[name]
    with matplotlib.rc_context(RC):
        fig = (timeline_figure if name == "timeline" else targets_figure)(drawn_data)
        texts = [text for text, _ in text_boxes(fig)]
        assert overlaps(fig) == []
    if data == "grown" and name == "targets":
        assert "reported: 41.1 billion U.S. dollars in 2024" in texts and "reported: 41 billion U.S. dollars in 2023" in texts
        assert "target: 70 billion USD by 2030" in texts
    if data == "grown" and name == "timeline":
        assert "2026-03-02  talks: Xi Jinping · A Very Long Name Of A Deputy Prime\nMinister And Minister · Kassym-Jomart Tokayev" in texts
        assert "2026-03-02  joint statement: China · Kazakhstan (no person named)" in texts


# ---------------------------------------------------------------- stale pictures are a validation problem

ADVICE = ("the pictures are drawn from the published tables: run `cnkz figures` (it needs python -m pip install matplotlib==3.11.2 "
          "pillow==13.0.0) and commit docs/figures")


def test_the_published_figures_show_the_published_data() -> None:
    assert check_figures(ROOT) == []
    for name in NAMES:
        svg = (ROOT / "docs" / "figures" / f"{name}.svg").read_text(encoding="utf-8")
        assert f"{DATA_MARK}" in svg


def test_validate_reports_figures_that_no_longer_show_the_data(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The data change and are built, the documents regenerated, but `cnkz figures` is not run: validation says so."""
    doc = repo / "curation" / "2024-wang-yi-astana.yaml"
    old = "description: Bilateral trade last year, according to Chinese statistics."
    doc.write_text(doc.read_text(encoding="utf-8").replace(old, "description: Bilateral trade last year."), encoding="utf-8")
    for command in ("build", "docs"):
        assert main([command, "--root", str(repo)]) == 0
    capsys.readouterr()
    assert main(["validate", str(repo)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "2 problems",
        "",
        "1. [stale_docs] docs/figures/targets.png",
        "   expected: the bytes `cnkz figures` draws from the published tables",
        "   found:    different bytes",
        f"   to fix:   {ADVICE}",
        "",
        "2. [stale_docs] docs/figures/targets.svg",
        "   expected: the bytes `cnkz figures` draws from the published tables",
        "   found:    different bytes",
        f"   to fix:   {ADVICE}",
        f"cnkz: {repo} is not valid: 2 problem(s) (exit status 1)",
    ]
    assert main(["figures", "--root", str(repo)]) == 0
    assert main(["validate", str(repo)]) == 0


def test_without_the_pinned_matplotlib_validation_compares_what_the_pictures_show(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cnkz.figures

    monkeypatch.setattr(cnkz.figures, "drawing_problem", lambda root: "matplotlib is not installed")
    assert check_figures(repo) == []
    path = repo / "docs" / "figures" / "timeline.svg"
    svg = path.read_text(encoding="utf-8")
    recorded = re.search(re.escape(DATA_MARK) + "([0-9a-f]{64})", svg)[1]
    path.write_text(svg.replace(recorded, "0" * 64), encoding="utf-8")
    assert [(p.table, p.expected, p.found, p.advice) for p in check_figures(repo)] == [
        ("docs/figures/timeline.svg", f"a picture of the published tables (data sha256 {recorded})", f"a picture of data with sha256 {'0' * 64}", ADVICE),
    ]


def test_figures_refuses_a_matplotlib_other_than_the_pinned_one(repo: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    monkeypatch.setattr(matplotlib, "__version__", "3.10.0")
    assert main(["figures", "--root", str(repo)]) == 2
    assert capsys.readouterr().err == (
        "cnkz: error: the figures are drawn with the matplotlib and Pillow pinned in pyproject.toml's docs group, so that they come out "
        "byte for byte the same everywhere, but matplotlib 3.10.0 (pinned: 3.11.2) installed; install them with: "
        "python -m pip install matplotlib==3.11.2 pillow==13.0.0\n"
    )
