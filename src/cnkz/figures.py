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

from .errors import CnkzError
from .load import load
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


def timeline_rows(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dated events in date then file order, with principals and pledge counts; and the undated events."""
    events = tables["events"]
    participants = tables["participants"]
    principals = participants[participants["role"].isin(PRINCIPAL_ROLES) & participants["present"].fillna(False)]
    # Visitor before host, as the role vocabulary orders them; file order among equals.
    principals = principals.sort_values("role", kind="stable")
    names = principals.groupby("event_id", sort=False)["name"].agg(lambda s: " · ".join(s.astype(str)))
    pledges = tables["pledges"]["event_id"].value_counts()
    rows = events.assign(
        principals=events["event_id"].map(names).fillna("").astype(str),
        pledges=events["event_id"].map(pledges).fillna(0).astype(int),
        order=range(len(events)),
    )
    dated = rows[rows["start_date"].notna()].sort_values(["start_date", "order"], kind="stable")
    return dated, rows[rows["start_date"].isna()]


def draw_timeline(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    dated, undated = timeline_rows(tables)
    fig = Figure(figsize=(10, 0.42 * len(dated) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    y = list(range(len(dated)))[::-1]
    # Typed Any: matplotlib converts dates itself, which its type stubs do not express.
    dates: list[Any] = [dt.date.fromisoformat(str(d)) for d in dated["start_date"]]
    start: Any = dt.date(dates[0].year, 1, 1)
    end: Any = dt.date(dates[-1].year + 2, 1, 1)
    sizes = [30 + 14 * n for n in dated["pledges"]]
    ax.hlines(y, start, dates, color="#dddddd", linewidth=0.8)
    ax.scatter(dates, y, s=sizes, color=CHN, alpha=0.85, zorder=3, edgecolors="white", linewidths=0.6)
    for yi, when, n in zip(y, dates, dated["pledges"]):
        if n:
            ax.annotate(f"{n} pledge{'s' * (n != 1)}", (when, yi), xytext=(9, -3), textcoords="offset points", fontsize=8, color="#333333")
    labels = [f"{when.isoformat()}  {kind.replace('_', ' ')}" + (f": {who}" if who else "")
              for when, kind, who in zip(dates, dated["event_type"].astype(str), dated["principals"])]
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(start, end)
    ax.set_ylim(-0.8, len(dated) - 0.2)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    fig.suptitle("China–Kazakhstan engagements with a known date: principal participants and pledges made", x=0.01, ha="left", fontsize=10)
    left_out = len(undated)
    pledges_left_out = int(undated["pledges"].sum())
    _caption(fig, f"Not shown: {left_out} of {len(dated) + left_out} events, whose texts give no date (date_precision unknown), "
                  f"with {pledges_left_out} pledge{'s' * (pledges_left_out != 1)}. Marker area grows with the number of pledges.")
    return _save(fig, out, "timeline")


def target_points(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pledges with a quantified target, and the measured figures of the metrics those targets are stated in."""
    pledges, figures = tables["pledges"], tables["figures"]
    targets = pledges[pledges["target_value"].notna()]
    target_figures = figures[figures["pledge_id"].isin(targets["pledge_id"])]
    kinds = set(zip(target_figures["metric"].astype(str), target_figures["unit"].astype(str)))
    measured = figures[~figures["is_target"].fillna(False)]
    outcomes = measured[[(m, u) in kinds for m, u in zip(measured["metric"].astype(str), measured["unit"].astype(str))]]
    return targets, outcomes


def draw_targets(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    targets, outcomes = target_points(tables)
    events = tables["events"].set_index("event_id")
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
    for i, (_, pledge) in enumerate(targets.iterrows()):
        set_on = events.loc[pledge["event_id"], "start_date"]
        x, value = int(pledge["deadline"]), float(pledge["target_value"]) / 1e9
        ax.scatter([x], [value], s=110, facecolors="none", edgecolors=CHN, linewidths=1.6, zorder=3)
        ax.annotate(f"target: {value:g} bn {pledge['target_unit']} by {x}\n(pledge {pledge['pledge_id']}, set {set_on}; status {pledge['status']})",
                    (x, value), xytext=(22, 28 + 36 * i), textcoords="offset points", ha="left", fontsize=8, color=CHN,
                    arrowprops={"arrowstyle": "-", "color": CHN, "linewidth": 0.6, "relpos": (0, 0)})
    for _, figure in outcomes.iterrows():
        x, value = int(str(figure["period"])[:4]), float(figure["value"]) / 1e9
        ax.scatter([x], [value], s=70, color=KAZ, zorder=3)
        ax.annotate(f"reported: {figure['value_text']} in {figure['period']}\n(figure {figure['figure_id']}; linked to no pledge)"
                    if pd.isna(figure["pledge_id"]) else f"reported: {figure['value_text']} in {figure['period']}\n(figure {figure['figure_id']})",
                    (x, value), xytext=(-22, -44), textcoords="offset points", ha="right", fontsize=8, color=KAZ,
                    arrowprops={"arrowstyle": "-", "color": KAZ, "linewidth": 0.6, "relpos": (1, 1)})
    years = [int(v) for v in targets["deadline"]] + [int(str(p)[:4]) for p in outcomes["period"]]
    ax.set_xlim(min(years) - 5, max(years) + 2)
    values = [float(v) / 1e9 for v in targets["target_value"]] + [float(v) / 1e9 for v in outcomes["value"]]
    ax.set_ylim(0, max(values) * 1.5)
    ax.set_xlabel("year (target deadline, or the year a figure refers to)")
    ax.set_ylabel("billion USD")
    ax.grid(color="#eeeeee")
    ax.set_axisbelow(True)
    fig.suptitle("Bilateral trade: quantified targets (open circles) and reported figures (dots), shown separately", x=0.01, ha="left", fontsize=10)
    _caption(fig, "No text in the corpus reports trade in 2015. The 2024 text says trade reached a target of the two heads of state seven years\n"
                  "ahead of schedule, i.e. a target with a 2030 deadline that no text in the corpus states; the dataset therefore links\n"
                  "the 2023 figure to no pledge, and this picture implies nothing about whether the 2015 target was met.")
    return _save(fig, out, "targets")


def write_figures(root: Path, out: Path | None = None) -> list[Path]:
    """Draw docs/figures/{timeline,targets}.{png,svg} from the package in root."""
    try:
        import matplotlib
    except ImportError:
        raise CnkzError("the figures need matplotlib: pip install --group docs (or pip install matplotlib)") from None
    tables = load(root)
    out = out or root / FIGURES
    with matplotlib.rc_context(RC):
        return draw_timeline(tables, out) + draw_targets(tables, out)
