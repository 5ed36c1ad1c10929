"""Which pledges on trade were made, by whom, and what happened to them?

Run from the repository (or an unpacked release): python examples/trade_pledges.py
"""

import pandas as pd

import cnkz

tables = cnkz.load()
pledges, events, participants, figures, sources, updates = (
    tables[name] for name in ("pledges", "events", "participants", "figures", "sources", "pledge_updates"))

speakers = participants[["event_id", "person_id", "name"]].rename(columns={"person_id": "speaker_person_id", "name": "speaker"})
title_of = dict(zip(sources["source_id"], sources["title"]))
trade = (
    pledges[pledges["topic"] == "trade"]
    .merge(events[["event_id", "start_date"]], on="event_id", how="left")
    .merge(speakers, on=["event_id", "speaker_person_id"], how="left")
)

print(f"{len(trade)} pledges on trade\n")
for pledge in trade.itertuples():
    by = pledge.actor if pd.isna(pledge.speaker) else f"{pledge.actor} ({pledge.speaker})"
    print(f"{pledge.start_date}  {pledge.pledge_id}\n  by {by}: {pledge.statement}")
    # The pledge's history: every later statement about it, oldest first; its status is the latest one's.
    for update in updates[updates["pledge_id"] == pledge.pledge_id].sort_values(["as_of", "update_id"]).itertuples():
        print(f"  {update.as_of} {update.status}, per “{title_of[update.source_id]}”: {update.summary}")
    print(f"  status: {pledge.status}")
    for figure in figures[figures["pledge_id"] == pledge.pledge_id].itertuples():
        print(f"  figure: {figure.value_text} ({'target' if figure.is_target else 'reported'}, {figure.period})")
    print()

# Trade figures that report an outcome but that the texts tie to no pledge: shown, not matched up.
unlinked = figures[(figures["metric"] == "trade_volume") & ~figures["is_target"] & figures["pledge_id"].isna()]
for figure in unlinked.itertuples():
    print(f"Reported, linked to no pledge: {figure.value_text} in {figure.period} ({figure.figure_id}): {figure.description}")
