"""The README's pictures, drawn from the published tables: byte-for-byte reproducible PNG and SVG.

Reproducible with the matplotlib version pinned in pyproject.toml's `docs` group: fixed size,
resolution, font (DejaVu Sans, shipped with matplotlib), SVG id salt, and no dates or versions in
the files' metadata.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from .api import load
from .errors import CnkzError
from .tables import ROLE

FIGURES = "docs/figures"
NAMES = ("timeline", "targets")
# The roles that make a person a principal of an event (see the role vocabulary).
PRINCIPAL_ROLES = ("visitor", "host", "counterpart", "principal")
assert set(PRINCIPAL_ROLES) <= set(ROLE.codes)
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
CHN, KAZ, GREY = "#c0392b", "#1f6fb2", "#7f7f7f"


def _save(fig: Any, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    fig.savefig(png, format="png", metadata=PNG_METADATA)
    fig.savefig(svg, format="svg", metadata=SVG_METADATA)
    return [png, svg]


def _caption(fig: Any, text: str) -> None:
    fig.supxlabel(text, x=0.01, ha="left", fontsize=8, color="#555555", linespacing=1.4)


# The order in which the events of one day happen, as the texts tell it: the visitor arrives, is welcomed
# ("Before the talks, Xi Jinping attended the grand welcoming ceremony"), meets or holds talks, then the sides
# issue and sign documents ("After the talks, the two heads of state signed the Joint Statement ... and witnessed
# the signing") and meet the press ("jointly met the press ... following their talks"). A visit starts its first day.
SAME_DAY_ORDER = ("visit", "arrival", "welcoming_ceremony", "meeting", "talks", "joint_statement", "signing", "press_conference",
                  "summit", "announcement")


def timeline_rows(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dated events in the order they happened (date, then the day's order), with principals and pledge counts; and the undated events."""
    events = tables["events"]
    participants = tables["participants"]
    principals = participants[participants["role"].isin(PRINCIPAL_ROLES) & participants["present"].fillna(False)]
    # Visitor before host, as the role vocabulary orders them; file order among equals.
    principals = principals.sort_values("role", kind="stable")
    names = principals.groupby("event_id", sort=False)["name"].agg(lambda s: " · ".join(s.astype(str)))
    pledges = tables["pledges"]["event_id"].value_counts()
    step = {kind: i for i, kind in enumerate(SAME_DAY_ORDER)}
    rows = events.assign(
        principals=events["event_id"].map(names).fillna("").astype(str),
        pledges=events["event_id"].map(pledges).fillna(0).astype(int),
        step=[step.get(str(kind), len(step)) for kind in events["event_type"]],  # a kind not listed goes last in its day
        order=range(len(events)),
    )
    dated = rows[rows["start_date"].notna()].sort_values(["start_date", "step", "order"], kind="stable")
    return dated, rows[rows["start_date"].isna()]


def draw_timeline(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """One bar per dated event, in the order they happened, its length the pledges made; days are bands, not a time axis."""
    from matplotlib.figure import Figure

    dated, undated = timeline_rows(tables)
    fig = Figure(figsize=(10, 0.36 * len(dated) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(dated)))[::-1]
    days = [str(d) for d in dated["start_date"]]
    # A band of shade for every other day, so the events of one day read as a group; no empty years between them.
    band, previous = 0, None
    for yi, day in zip(y, days):
        band += day != previous
        previous = day
        if band % 2:
            ax.axhspan(yi - 0.5, yi + 0.5, color="#f3f0e8", zorder=0, linewidth=0)
    counts = list(dated["pledges"])
    ax.barh(y, counts, height=0.6, color=CHN, alpha=0.85, zorder=2)
    for yi, n in zip(y, counts):
        ax.annotate(f"{n} pledge{'s' * (n != 1)}" if n else "no pledge", (n, yi), xytext=(4, -3), textcoords="offset points",
                    fontsize=8, color="#333333" if n else GREY)
    labels = [f"{day}  {kind.replace('_', ' ')}" + (f": {who}" if who else "")
              for day, kind, who in zip(days, dated["event_type"].astype(str), dated["principals"])]
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.5, len(dated) - 0.5)
    ax.set_xlim(0, max([*counts, 1]) * 1.25)
    ax.set_xlabel("pledges made at the event")
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    fig.suptitle("China–Kazakhstan engagements with a known date, in the order they happened: principal participants and pledges made",
                 x=0.01, ha="left", fontsize=10)
    left_out = len(undated)
    pledges_left_out = int(undated["pledges"].sum())
    _caption(fig, f"Not shown: {left_out} of {len(dated) + left_out} events, whose texts give no date (date_precision unknown), "
                  f"with {pledges_left_out} pledge{'s' * (pledges_left_out != 1)}.\nEvents of one day (shaded bands alternate by day) are in "
                  "the order the texts give: arrival, welcoming ceremony, meeting or talks, statements and signings, press.")
    return _save(fig, out, "timeline")


def target_histories(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Each quantified target once (value, unit, deadline and topic), with its history in date order: every pledge that
    states it ("set", then "restated") and every later report on those pledges (pledge_updates, where the package has it)."""
    pledges = tables["pledges"]
    events = tables["events"].set_index("event_id")
    updates = tables.get("pledge_updates")
    targets = pledges[pledges["target_value"].notna()]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for _, pledge in targets.iterrows():
        key = (float(pledge["target_value"]), str(pledge["target_unit"]), int(pledge["deadline"]), str(pledge["topic"]))
        on = events.loc[pledge["event_id"], "start_date"]
        entry = out.setdefault(key, {"value": key[0], "unit": key[1], "deadline": key[2], "topic": key[3], "history": []})
        status = str(pledge["status"]) + ("" if pd.isna(pledge["status_as_of"]) else f" as of {pledge['status_as_of']}")
        entry["history"].append({"date": None if pd.isna(on) else dt.date.fromisoformat(str(on)), "kind": "stated",
                                 "text": f"pledge {pledge['pledge_id']} (status {status})"})
        if updates is not None:
            for _, update in updates[updates["pledge_id"] == pledge["pledge_id"]].iterrows():
                entry["history"].append({"date": dt.date.fromisoformat(str(update["as_of"])), "kind": f"reported {update['status']}",
                                         "text": f"update {update['update_id']}"})
    for entry in out.values():
        entry["history"].sort(key=lambda h: (h["date"] is None, h["date"] or dt.date.min, h["kind"] != "stated"))
        stated = [h for h in entry["history"] if h["kind"] == "stated"]
        for n, h in enumerate(stated):
            h["kind"] = "set" if n == 0 else "restated"
    return sorted(out.values(), key=lambda t: (t["deadline"], t["unit"], t["value"], t["topic"]))


def target_points(tables: dict[str, pd.DataFrame]) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The targets, each once with its history, and the measured figures of the metrics those targets are stated in."""
    pledges, figures = tables["pledges"], tables["figures"]
    targets = pledges[pledges["target_value"].notna()]
    target_figures = figures[figures["pledge_id"].isin(targets["pledge_id"])]
    kinds = set(zip(target_figures["metric"].astype(str), target_figures["unit"].astype(str)))
    measured = figures[~figures["is_target"].fillna(False)]
    outcomes = measured[[(m, u) in kinds for m, u in zip(measured["metric"].astype(str), measured["unit"].astype(str))]]
    return target_histories(tables), outcomes


def _year(day: dt.date) -> float:
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def draw_targets(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Each target once: a line from when it was first stated to its deadline, a tick each time a text states it, an open circle at the deadline."""
    from matplotlib.figure import Figure

    targets, outcomes = target_points(tables)
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
    years: list[float] = []
    for i, target in enumerate(targets):
        value, deadline = target["value"] / 1e9, target["deadline"]
        stated = [h for h in target["history"] if h["date"] is not None]
        xs = sorted({_year(h["date"]) for h in stated})
        if xs:
            ax.plot([xs[0], deadline], [value, value], color=CHN, linewidth=1.2, linestyle=(0, (4, 2)), zorder=2)
            ax.scatter(xs, [value] * len(xs), marker="|", s=160, color=CHN, linewidths=1.6, zorder=3)
        ax.scatter([deadline], [value], s=110, facecolors="none", edgecolors=CHN, linewidths=1.6, zorder=3)
        lines = [f"target: {value:g} bn {target['unit']} by {deadline} ({target['topic']})"]
        lines += [f"{h['date'].isoformat() if h['date'] else 'date unknown'} {h['kind']}: {h['text']}" for h in target["history"]]
        ax.annotate("\n".join(lines), (xs[0] if xs else deadline, value), xytext=(0, 26 + 60 * i), textcoords="offset points",
                    ha="left", fontsize=8, color=CHN, linespacing=1.35)
        years += [*xs, deadline]
    for _, figure in outcomes.iterrows():
        x, value = int(str(figure["period"])[:4]), float(figure["value"]) / 1e9
        ax.scatter([x], [value], s=70, color=KAZ, zorder=3)
        ax.annotate(f"reported: {figure['value_text']} in {figure['period']}\n(figure {figure['figure_id']}; linked to no pledge)"
                    if pd.isna(figure["pledge_id"]) else f"reported: {figure['value_text']} in {figure['period']}\n(figure {figure['figure_id']})",
                    (x, value), xytext=(-22, -44), textcoords="offset points", ha="right", fontsize=8, color=KAZ,
                    arrowprops={"arrowstyle": "-", "color": KAZ, "linewidth": 0.6, "relpos": (1, 1)})
        years.append(x)
    ax.set_xlim(int(min(years)) - 1, int(max(years)) + 2)
    values = [t["value"] / 1e9 for t in targets] + [float(v) / 1e9 for v in outcomes["value"]]
    ax.set_ylim(0, max(values) * 1.6)
    ax.set_xlabel("year (when a target was stated and its deadline, or the year a figure refers to)")
    ax.set_ylabel("billion USD")
    ax.grid(color="#eeeeee")
    ax.set_axisbelow(True)
    fig.suptitle("Bilateral trade: each quantified target once, from when it was stated (ticks) to its deadline (open circle); reported figures (dots)",
                 x=0.01, ha="left", fontsize=10)
    _caption(fig, "No text in the corpus reports trade in 2015. The 2024 text says trade reached a target of the two heads of state seven years\n"
                  "ahead of schedule, i.e. a target with a 2030 deadline that no text in the corpus states; the dataset therefore links\n"
                  "the 2023 figure to no pledge, and this picture implies nothing about whether the 2015 target was met.")
    return _save(fig, out, "targets")


def write_figures(root: Path, out: Path | None = None) -> list[Path]:
    """Draw docs/figures/{timeline,targets}.{png,svg} from the package in root."""
    try:
        import matplotlib
    except ImportError:
        raise CnkzError("the figures need matplotlib; install it with: python -m pip install matplotlib") from None
    tables = load(root)
    out = out or root / FIGURES
    with matplotlib.rc_context(RC):
        return draw_timeline(tables, out) + draw_targets(tables, out)
