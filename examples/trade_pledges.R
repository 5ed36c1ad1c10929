# Which pledges on trade were made, by whom, and what happened to them?
# Run from the repository (or an unpacked release): Rscript examples/trade_pledges.R

source("scripts/load.R")
tables <- read_cnkz("datapackage.json")
pledges <- tables$pledges
events <- tables$events
participants <- tables$participants
figures <- tables$figures
sources <- tables$sources
updates <- tables$pledge_updates

trade <- pledges[pledges$topic == "trade", ]
trade$start_date <- events$start_date[match(trade$event_id, events$event_id)]
speaker_key <- paste(participants$event_id, participants$person_id)
trade$speaker <- participants$name[match(paste(trade$event_id, trade$speaker_person_id), speaker_key)]

cat(sprintf("%d pledges on trade\n\n", nrow(trade)))
for (i in seq_len(nrow(trade))) {
  pledge <- trade[i, ]
  by <- if (is.na(pledge$speaker)) as.character(pledge$actor) else sprintf("%s (%s)", pledge$actor, pledge$speaker)
  cat(sprintf("%s  %s\n  by %s: %s\n", format(pledge$start_date), pledge$pledge_id, by, pledge$statement))
  # The pledge's history: every later statement about it, oldest first; its status is the latest one's.
  history <- updates[updates$pledge_id == pledge$pledge_id, ]
  history <- history[order(history$as_of, history$update_id), ]
  for (k in seq_len(nrow(history))) {
    title <- sources$title[match(history$source_id[k], sources$source_id)]
    cat(sprintf("  %s %s, per \u201c%s\u201d: %s\n", format(history$as_of[k]), history$status[k], title, history$summary[k]))
  }
  cat(sprintf("  status: %s\n", pledge$status))
  linked <- figures[!is.na(figures$pledge_id) & figures$pledge_id == pledge$pledge_id, ]
  for (j in seq_len(nrow(linked))) {
    cat(sprintf("  figure: %s (%s, %s)\n", linked$value_text[j], if (linked$is_target[j]) "target" else "reported", linked$period[j]))
  }
  cat("\n")
}

# Trade figures that report an outcome but that the texts tie to no pledge: shown, not matched up.
unlinked <- figures[figures$metric == "trade_volume" & !figures$is_target & is.na(figures$pledge_id), ]
for (j in seq_len(nrow(unlinked))) {
  cat(sprintf("Reported, linked to no pledge: %s in %s (%s): %s\n", unlinked$value_text[j], unlinked$period[j], unlinked$figure_id[j], unlinked$description[j]))
}
