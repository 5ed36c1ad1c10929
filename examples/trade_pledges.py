"""Which pledges on trade were made, by whom, and what happened to them?

Run from the repository (or an unpacked release): python examples/trade_pledges.py
"""

import pandas as pd

import cnkz

tables = cnkz.load()
pledges, events, participants, figures, sources = (tables[name] for name in ("pledges", "events", "participants", "figures", "sources"))

speakers = participants[["event_id", "person_id", "name"]].rename(columns={"person_id": "speaker_person_id", "name": "speaker"})
titles = sources[["source_id", "title"]].rename(columns={"source_id": "status_source_id", "title": "status_source"})
trade = (
    pledges[pledges["topic"] == "trade"]
    .merge(events[["event_id", "start_date"]], on="event_id", how="left")
    .merge(speakers, on=["event_id", "speaker_person_id"], how="left")
    .merge(titles, on="status_source_id", how="left")
)

print(f"{len(trade)} pledges on trade\n")
for pledge in trade.itertuples():
    by = pledge.actor if pd.isna(pledge.speaker) else f"{pledge.actor} ({pledge.speaker})"
    print(f"{pledge.start_date}  {pledge.pledge_id}\n  by {by}: {pledge.statement}")
    outcome = f"  status: {pledge.status}"
    if pd.notna(pledge.status_as_of):
        outcome += f" as of {pledge.status_as_of}, per “{pledge.status_source}”"
    print(outcome)
    for figure in figures[figures["pledge_id"] == pledge.pledge_id].itertuples():
        print(f"  figure: {figure.value_text} ({'target' if figure.is_target else 'reported'}, {figure.period})")
    print()

# Trade figures that report an outcome but that the texts tie to no pledge: shown, not matched up.
unlinked = figures[(figures["metric"] == "trade_volume") & ~figures["is_target"] & figures["pledge_id"].isna()]
for figure in unlinked.itertuples():
    print(f"Reported, linked to no pledge: {figure.value_text} in {figure.period} ({figure.figure_id}): {figure.description}")
