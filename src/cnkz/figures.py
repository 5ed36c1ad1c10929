"""The README's pictures, drawn from the published tables: byte-for-byte reproducible PNG and SVG.

Reproducible with the matplotlib and Pillow versions pinned in pyproject.toml's `docs` group: fixed size, resolution,
font (DejaVu Sans, shipped with matplotlib), SVG id salt, and no dates or versions in the files' metadata. Every label
is in words taken from the rows (names, statements, what a figure counts), never a row id; the order of everything
drawn follows from the data alone, and labels are placed so that no two overlap, however many rows there are.

Each SVG records the sha256 of the data it was drawn from (figure_data), so validation can tell figures drawn from
other data even where it cannot draw them (no matplotlib, or another version); with the pinned versions it redraws them
and compares the bytes (check_figures).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CnkzError, Problem
from .tables import COUNTRY, ROLE

FIGURES_DIR = "docs/figures"
NAMES = ("timeline", "targets")
# The roles that make a person a principal of an event (see the role vocabulary), in the order names are listed.
PRINCIPAL_ROLES = ("visitor", "host", "counterpart", "principal")
assert set(PRINCIPAL_ROLES) <= set(ROLE.codes)
COUNTRY_NAMES = dict(COUNTRY.values)
SIDES = {**COUNTRY_NAMES, "both": "both sides"}
RC: Any = {  # Any: matplotlib's stubs type rcParams keys as one long Literal
    "svg.hashsalt": "cnkz-figures",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
SVG_METADATA = {"Date": None, "Creator": None, "Contributor": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}
# How an SVG says what data it was drawn from: in its Dublin Core description.
DATA_MARK = "drawn by `cnkz figures` from data with sha256 "
CHN, KAZ, GREY = "#c0392b", "#1f6fb2", "#7f7f7f"
WRAP = 150  # characters of a line of notes under a picture, at 8 points across 10 inches


def _date(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else dt.date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


# ------------------------------------------------------------------------------------------------ the data drawn

# The order in which the events of one day happen, as the texts tell it: the visitor arrives, is welcomed
# ("Before the talks, Xi Jinping attended the grand welcoming ceremony"), meets or holds talks, then the sides
# issue and sign documents ("After the talks, the two heads of state signed the Joint Statement ... and witnessed
# the signing") and meet the press ("jointly met the press ... following their talks"). A visit starts its first day.
SAME_DAY_ORDER = ("visit", "arrival", "welcoming_ceremony", "meeting", "talks", "joint_statement", "signing", "press_conference",
                  "summit", "announcement")


def _sides(codes: list[str]) -> str:
    """Countries in words, in the vocabulary's order: "China · Kazakhstan"."""
    return " · ".join(COUNTRY_NAMES[c] for c in COUNTRY_NAMES if c in codes)


def timeline_rows(tables: dict[str, pd.DataFrame]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Dated events in the order they happened (day, the day's order, then the order of the texts), each with its label
    in words and the pledges made at it; and how many events and pledges have no known date."""
    events, participants = tables["events"], tables["participants"]
    present = participants[participants["role"].isin(PRINCIPAL_ROLES) & participants["present"].fillna(False).astype(bool)]
    roles, countries = list(PRINCIPAL_ROLES), list(COUNTRY_NAMES)
    names: dict[str, list[str]] = {}
    # Visitor before host, as the role vocabulary orders them; within a role China before Kazakhstan, then by name:
    # the same two counterparts are named in the same order at every event.
    for row in sorted(present.itertuples(), key=lambda p: (roles.index(str(p.role)), countries.index(str(p.country))
                                                            if str(p.country) in countries else len(countries), str(p.name))):
        names.setdefault(str(row.event_id), []).append(str(row.name))
    pledges = tables["pledges"]["event_id"].astype(str).value_counts().to_dict()
    rows, undated = [], {"events": 0, "pledges": 0}
    for order, event in enumerate(events.itertuples()):
        made = int(pledges.get(str(event.event_id), 0))
        day = _date(event.start_date)
        if day is None:
            undated["events"] += 1
            undated["pledges"] += made
            continue
        who = " · ".join(names.get(str(event.event_id), []))
        if not who:  # no person named: the sides the row codes as its actor and recipient
            sides = [c for column in ("actor", "recipient") for c in _text(getattr(event, column)).split(";") if c]
            who = f"{_sides(sides)} (no person named)" if sides else "no person named"
        kind = str(event.event_type)
        rows.append({"day": day.isoformat(), "kind": kind, "who": who, "pledges": made,
                     "step": SAME_DAY_ORDER.index(kind) if kind in SAME_DAY_ORDER else len(SAME_DAY_ORDER), "order": order})
    rows.sort(key=lambda r: (r["day"], r["step"], r["order"]))
    return rows, undated


def _amount(value: float, unit: str) -> str:
    """40000000000 USD -> "40 billion USD"."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:g} {word} {unit}"
    return f"{value:g} {unit}"


def target_histories(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Each quantified commitment once: its first statement's value, unit, deadline, topic and status, with its history in
    date order: every pledge that states it (the first "set", those whose restates names it "restated") and every later
    report on it (pledge_updates of the first statement). In words: who stated it, at what kind of event, the statement."""
    pledges, events = tables["pledges"], tables["events"].set_index("event_id")
    people = {str(p.person_id): str(p.name) for p in tables["participants"].itertuples()}
    updates = tables.get("pledge_updates")
    commitment = pledges["restates"].fillna(pledges["pledge_id"]).astype(str)
    targets = pledges[pledges["target_value"].notna()]
    out = []
    for first_id in dict.fromkeys(commitment[targets.index]):
        statements = pledges[commitment == first_id]
        named = statements[statements["pledge_id"] == first_id]
        first: pd.Series = named.iloc[0] if len(named) else statements.iloc[0]
        stated: pd.Series = first if pd.notna(first["target_value"]) else statements[statements["target_value"].notna()].iloc[0]
        history = []
        for _, pledge in statements.iterrows():
            event = events.loc[pledge["event_id"]]
            speaker = _text(pledge["speaker_person_id"])
            history.append({"date": _date(event["start_date"]), "first": pledge["pledge_id"] == first["pledge_id"],
                            "event": str(event["event_type"]).replace("_", " "),
                            "by": people.get(speaker, SIDES.get(str(pledge["actor"]), str(pledge["actor"]))),
                            "text": str(pledge["statement"])})
        if updates is not None:
            for _, update in updates[updates["pledge_id"] == first["pledge_id"]].iterrows():
                event_id = _text(update["event_id"])
                history.append({"date": _date(update["as_of"]), "first": False, "status": str(update["status"]).replace("_", " "),
                                "event": str(events.loc[event_id, "event_type"]).replace("_", " ") if event_id in events.index else "",
                                "text": str(update["summary"])})
        history.sort(key=lambda h: (h["date"] is None, h["date"] or dt.date.min, "status" in h, not h["first"], h["text"]))
        status = str(first["status"]).replace("_", " ") + (f" as of {_date(first['status_as_of'])}" if pd.notna(first["status_as_of"]) else "")
        out.append({"value": float(stated["target_value"]), "unit": str(stated["target_unit"]), "deadline": int(stated["deadline"]),
                    "topic": str(stated["topic"]), "status": status, "pledges": list(statements["pledge_id"].astype(str)),
                    "history": [{**h, "date": h["date"].isoformat() if h["date"] else None} for h in history]})
    return sorted(out, key=lambda t: (t["deadline"], t["unit"], t["value"], t["topic"], t["pledges"][0]))


def target_points(tables: dict[str, pd.DataFrame]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The targets in USD, each once with its history, and the measured figures of the metrics and units those targets are
    stated in (a target's own figure rows say which), each with what it counts and the statement of the pledge it reports on."""
    pledges, figures = tables["pledges"], tables["figures"]
    targets = [t for t in target_histories(tables) if t["unit"] == "USD"]
    ids = {p for t in targets for p in t["pledges"]}
    target_figures = figures[figures["pledge_id"].isin(ids)]
    kinds = set(zip(target_figures["metric"].astype(str), target_figures["unit"].astype(str)))
    statement = dict(zip(pledges["pledge_id"].astype(str), pledges["statement"].astype(str)))
    reported = []
    for _, figure in figures[~figures["is_target"].fillna(False).astype(bool)].iterrows():
        if (str(figure["metric"]), str(figure["unit"])) not in kinds or not _text(figure["period"])[:4].isdigit():
            continue
        reported.append({"year": int(_text(figure["period"])[:4]), "period": _text(figure["period"]), "value": float(figure["value"]),
                         "value_text": str(figure["value_text"]), "description": str(figure["description"]),
                         "pledge": statement.get(_text(figure["pledge_id"]))})
    reported.sort(key=lambda f: (f["period"], f["value"], f["description"]))
    return targets, reported


def figure_data(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Everything the pictures show, by picture: what their data sha256 is computed from."""
    rows, undated = timeline_rows(tables)
    targets, reported = target_points(tables)
    others = len([t for t in target_histories(tables) if t["unit"] != "USD"])
    return {"timeline": {"rows": rows, "undated": undated}, "targets": {"targets": targets, "reported": reported, "other_units": others}}


def data_sha256(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------ drawing


def _caption(fig: Any, text: str) -> None:
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8, color="#555555", linespacing=1.4)


LABEL = 72  # characters of an event's label on one line; a longer one takes a second line, and what is left is cut with "…"


def _label(row: dict[str, Any]) -> str:
    """`2017-06-08  talks: Xi Jinping · Nursultan Nazarbayev`, on two lines at most, each at most LABEL characters."""
    lines = textwrap.wrap(f"{row['day']}  {row['kind'].replace('_', ' ')}: {row['who']}", LABEL, break_on_hyphens=False)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL, placeholder=" …")]
    return "\n".join(lines)


def timeline_figure(data: dict[str, Any]) -> Any:
    """One bar per dated event, in the order they happened, its length the pledges made; days are bands, not a time axis."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows, undated = data["rows"], data["undated"]
    fig = Figure(figsize=(10, 0.36 * len(rows) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(rows)))[::-1]
    # A band of shade for every other day, so the events of one day read as a group; no empty years between them.
    band, previous = 0, None
    for yi, row in zip(y, rows):
        band += row["day"] != previous
        previous = row["day"]
        if band % 2:
            ax.axhspan(yi - 0.5, yi + 0.5, color="#f3f0e8", zorder=0, linewidth=0)
    counts = [row["pledges"] for row in rows]
    most = max([*counts, 1])
    ax.barh(y, counts, height=0.6, color=CHN, alpha=0.85, zorder=2)
    for yi, n in zip(y, counts):
        said = f"{n} pledge{'s' * (n != 1)}" if n else "no pledge"
        if n > most * 0.6:  # a long bar holds its count, so the count never runs past the axes
            ax.annotate(said, (n, yi), xytext=(-4, 0), textcoords="offset points", ha="right", va="center", fontsize=8, color="white")
        else:
            ax.annotate(said, (n, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, color="#333333" if n else GREY)
    ax.set_yticks(y, [_label(row) for row in rows])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.5, len(rows) - 0.5)
    ax.set_xlim(0, most * 1.25)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("pledges made at the event")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    fig.suptitle("China–Kazakhstan engagements with a known date, in the order they happened: principal participants and pledges made",
                 x=0.01, ha="left", fontsize=10)
    left_out, pledges_left_out = undated["events"], undated["pledges"]
    _caption(fig, f"Not shown: {left_out} of {len(rows) + left_out} events, whose texts give no date (date_precision unknown), "
                  f"with {pledges_left_out} pledge{'s' * (pledges_left_out != 1)}.\nEvents of one day (shaded bands alternate by day) are in "
                  "the order the texts give: arrival, welcoming ceremony, meeting or talks, statements and signings, press.\n"
                  "Beside each event, its principals (visitor, host, counterparts; China's first); where the text names none, the sides.")
    return fig


def _notes(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The lines under the targets chart, each with its colour: each target's history, then each reported figure."""
    lines: list[tuple[str, str]] = []

    def add(text: str, colour: str, indent: str = "      ") -> None:
        wrapped = textwrap.wrap(text, WRAP, subsequent_indent=indent, break_on_hyphens=False)
        lines.extend((line, colour) for line in wrapped)

    for target in data["targets"]:
        add(f"Target: {_amount(target['value'], target['unit'])} ({target['topic']}) by {target['deadline']}; status: {target['status']}.", CHN)
        for h in target["history"]:
            day = h["date"] or "date unknown"
            if "status" in h:
                add(f"{day}  reported {h['status']}" + (f" at the {h['event']}" if h["event"] else "") + f": “{h['text']}”", CHN)
            else:
                add(f"{day}  {'set' if h['first'] else 'restated'} at the {h['event']} by {h['by']}: “{h['text']}”", CHN)
    for figure in data["reported"]:
        linked = f"reports on: “{figure['pledge']}”" if figure["pledge"] else "linked to no pledge"
        add(f"{figure['period']}  reported: {figure['value_text']}. {figure['description']} ({linked})", KAZ)
    return lines


def _slots(ax: Any, labels: list[tuple[float, float, str, str]], top: float) -> None:
    """Labels of points in rows of their own above the data (axes fractions from `top` down), each joined to its point by a
    line: one label to a row, so no two overlap however close their points are."""
    step = (top - 0.62) / max(len(labels) - 1, 1) if len(labels) > 1 else 0
    left, right = ax.get_xlim()
    for n, (x, y, text, colour) in enumerate(sorted(labels, key=lambda label: (-label[1], label[0], label[2]))):
        ha = "right" if x > (left + right) / 2 else "left"
        ax.annotate(text, (x, y), xytext=(x, top - n * step), textcoords=("data", "axes fraction"), ha=ha, va="center",
                    fontsize=8, color=colour, arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.6, "shrinkA": 2, "shrinkB": 4})


def targets_figure(data: dict[str, Any]) -> Any:
    """Each USD target once: a line from when it was first stated to its deadline, a tick each time a text states it, an
    open circle at the deadline; reported figures as dots; their histories in words underneath."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    targets, reported = data["targets"], data["reported"]
    labels: list[tuple[float, float, str, str]] = []
    notes = _notes(data)
    chart = max(3.0, 0.75 * (len(targets) + len(reported)))
    fig = Figure(figsize=(10, chart + 0.2 * len(notes) + 1.6), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[chart, max(0.2 * len(notes), 0.01)])
    ax, below = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    years: list[float] = []
    for target in targets:
        value, deadline = target["value"] / 1e9, target["deadline"]
        xs = sorted({_year(dt.date.fromisoformat(h["date"])) for h in target["history"] if h["date"] and "status" not in h})
        if xs:
            ax.plot([xs[0], deadline], [value, value], color=CHN, linewidth=1.2, linestyle=(0, (4, 2)), zorder=2)
            ax.scatter(xs, [value] * len(xs), marker="|", s=160, color=CHN, linewidths=1.6, zorder=3)
        ax.scatter([deadline], [value], s=110, facecolors="none", edgecolors=CHN, linewidths=1.6, zorder=3)
        labels.append((xs[0] if xs else deadline, value, f"target: {_amount(target['value'], target['unit'])} by {deadline}", CHN))
        years += [*xs, deadline]
    for figure in reported:
        x, value = figure["year"], figure["value"] / 1e9
        ax.scatter([x], [value], s=70, color=KAZ, zorder=3)
        labels.append((x, value, f"reported: {figure['value_text']} in {figure['period']}", KAZ))
        years.append(x)
    ax.set_xlim(int(min(years, default=2010)) - 1, int(max(years, default=2010)) + 2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # The values take the lower part of the axes, with room around them on the scale of the values themselves (not from 0:
    # 40 and 41 are not drawn as one point); the labels take the rows above.
    values = [label[1] for label in labels] or [0.0]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.15, high * 0.05, 0.5)
    bottom = max(low - pad, 0)
    ax.set_ylim(bottom, bottom + (high + pad - bottom) / 0.55)
    ax.set_yticks([t for t in ax.get_yticks() if t <= high + pad])
    _slots(ax, labels, 0.93)
    ax.set_xlabel("year (when a target was stated and its deadline, or the year a figure refers to)")
    ax.set_ylabel("billion USD")
    ax.grid(color="#eeeeee")
    ax.set_axisbelow(True)
    below.axis("off")
    for n, (line, colour) in enumerate(notes):
        below.text(0, 1 - (n + 0.5) / len(notes), line, transform=below.transAxes, ha="left", va="center", fontsize=8, color=colour)
    fig.suptitle("Targets in USD, each once, from when it was stated (ticks) to its deadline (open circle); reported figures (dots)",
                 x=0.01, ha="left", fontsize=10)
    reported_years = {f["year"] for f in reported}
    missing = [t for t in targets if t["deadline"] not in reported_years]
    said = [f"No text in the corpus reports a figure for {t['deadline']}, the deadline of the {_amount(t['value'], t['unit'])} target."
            for t in missing]
    said.append("A reported figure linked to no pledge implies nothing about whether a target was met.")
    if data["other_units"]:
        said.append(f"{data['other_units']} target(s) in other units are not drawn.")
    _caption(fig, "\n".join(said))  # a sentence to a line
    return fig


def _year(day: dt.date) -> float:
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _save(fig: Any, out: Path, name: str, sha256: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    fig.savefig(png, format="png", metadata=PNG_METADATA)
    fig.savefig(svg, format="svg", metadata={**SVG_METADATA, "Description": f"{DATA_MARK}{sha256}"})
    return [png, svg]


# ------------------------------------------------------------------------------------------------ versions and checks

def pinned(root: Path) -> dict[str, str]:
    """The versions of matplotlib and Pillow in pyproject.toml's `docs` group (`name==version`), by lower-case name."""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    group = project.get("dependency-groups", {}).get("docs", [])
    found = (re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;,]+)\s*", item) for item in group if isinstance(item, str))
    return {match[1].lower(): match[2] for match in found if match}


def install_hint(root: Path) -> str:
    pins = pinned(root)
    wanted = " ".join(f"{name}=={version}" for name, version in sorted(pins.items())) or "matplotlib pillow"
    return f"python -m pip install {wanted}"


def drawing_problem(root: Path) -> str | None:
    """Why the figures cannot be drawn byte for byte as published here: matplotlib missing, or a version other than the pin."""
    try:
        import matplotlib
        import PIL
    except ImportError:
        return "matplotlib is not installed"
    installed = {"matplotlib": matplotlib.__version__, "pillow": PIL.__version__}
    wrong = [f"{name} {installed[name]} (pinned: {version})" for name, version in sorted(pinned(root).items()) if installed.get(name, version) != version]
    return f"{' and '.join(wrong)} installed" if wrong else None


def draw(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Both pictures of `tables`, PNG and SVG, into `out`."""
    import matplotlib

    data = figure_data(tables)
    with matplotlib.rc_context(RC):
        return (_save(timeline_figure(data["timeline"]), out, "timeline", data_sha256(data["timeline"]))
                + _save(targets_figure(data["targets"]), out, "targets", data_sha256(data["targets"])))


def write_figures(root: Path, out: Path | None = None) -> list[Path]:
    """Draw docs/figures/{timeline,targets}.{png,svg} from the package in root, with the pinned matplotlib and Pillow."""
    from .api import load

    root = Path(root)
    problem = drawing_problem(root)
    if problem:
        raise CnkzError(f"the figures are drawn with the matplotlib and Pillow pinned in pyproject.toml's docs group, so that they come "
                        f"out byte for byte the same everywhere, but {problem}; install them with: {install_hint(root)}")
    return draw(load(root), out or root / FIGURES_DIR)


def recorded_sha256(svg: bytes) -> str | None:
    """The data sha256 an SVG drawn by `cnkz figures` records, or None."""
    match = re.search(re.escape(DATA_MARK).encode() + rb"([0-9a-f]{64})", svg)
    return match[1].decode() if match else None


_DRAWN: dict[tuple[str, str], dict[str, bytes]] = {}


def _drawn(tables: dict[str, pd.DataFrame], digests: tuple[str, str]) -> dict[str, bytes]:
    """The files `draw` makes of `tables`, by name. Kept per process by the digests of the data each picture shows, which
    is all that the bytes depend on (with the pinned versions): a release or a test run checks the same pictures
    several times, and drawing them costs half a second."""
    if digests not in _DRAWN:
        with tempfile.TemporaryDirectory(prefix="cnkz-figures-") as folder:
            drawn = {path.name: path.read_bytes() for path in draw(tables, Path(folder))}
        if len(_DRAWN) >= 4:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[digests] = drawn
    return _DRAWN[digests]


def check_figures(root: Path) -> list[Problem]:
    """docs/figures are what `cnkz figures` draws from the published tables. With the pinned matplotlib and Pillow, the files
    are drawn again in a temporary folder and compared byte for byte; otherwise each SVG's recorded data sha256 is compared
    with the data's (what the pictures show is checked, not their bytes). A package that cannot be read is left to the
    other layers."""
    from .api import load

    root = Path(root)
    try:
        tables = load(root)
        data = figure_data(tables)
    except (CnkzError, OSError, KeyError, ValueError):
        return []
    advice = f"the pictures are drawn from the published tables: run `cnkz figures` (it needs {install_hint(root)}) and commit docs/figures"
    problems = []
    if drawing_problem(root) is None:
        drawn = _drawn(tables, (data_sha256(data["timeline"]), data_sha256(data["targets"])))
        for name, fresh in drawn.items():
            path = root / FIGURES_DIR / name
            found = "no file" if not path.is_file() else "different bytes" if path.read_bytes() != fresh else None
            if found:
                expect = "the bytes `cnkz figures` draws from the published tables"
                problems.append(Problem("stale_docs", f"{FIGURES_DIR}/{name}", "", "", expect, found, advice))
        return problems
    for name in NAMES:
        path = root / FIGURES_DIR / f"{name}.svg"
        expected = data_sha256(data[name])
        recorded = recorded_sha256(path.read_bytes()) if path.is_file() else None
        if recorded != expected:
            found = "no file" if not path.is_file() else f"a picture of data with sha256 {recorded}" if recorded else "a picture that records no data sha256"
            expect = f"a picture of the published tables (data sha256 {expected})"
            problems.append(Problem("stale_docs", f"{FIGURES_DIR}/{name}.svg", "", "", expect, found, advice))
    return problems
