# The R route: scripts/load.R reads every CSV resource with the descriptor's types.
# Run by tests/test_r.py as: Rscript tests/test_load.R ROOT [DUMP_DIR]
# With DUMP_DIR, each table is also written as JSON so Python can compare it with cnkz.load.

args <- commandArgs(trailingOnly = TRUE)
root <- if (length(args) >= 1) args[[1]] else "."
dump <- if (length(args) >= 2) args[[2]] else NA

source(file.path(root, "scripts", "load.R"))

failures <- character(0)
check <- function(ok, what) {
  if (!isTRUE(ok)) failures <<- c(failures, what)
}

descriptor <- jsonlite::fromJSON(file.path(root, "datapackage.json"), simplifyVector = FALSE)
csv_resources <- Filter(function(resource) identical(resource$format, "csv"), descriptor$resources)
tables <- read_cnkz(file.path(root, "datapackage.json"))
check(identical(names(tables), vapply(csv_resources, function(r) r$name, "")), "one data frame per CSV resource, in descriptor order")

r_class <- c(string = "character", integer = "integer", number = "numeric", boolean = "logical", date = "Date")
for (resource in csv_resources) {
  table <- tables[[resource$name]]
  # Row count from base R's own CSV reader, independently of readr.
  raw <- utils::read.csv(file.path(root, resource$path), colClasses = "character", encoding = "UTF-8", na.strings = character(0))
  check(nrow(table) == nrow(raw), sprintf("%s: %d rows, the file has %d", resource$name, nrow(table), nrow(raw)))
  for (field in resource$schema$fields) {
    column <- table[[field$name]]
    enum <- field$constraints$enum
    if (!is.null(enum)) {
      check(is.factor(column) && identical(levels(column), unlist(enum)), sprintf("%s.%s: factor with the enum as levels", resource$name, field$name))
      check(identical(as.character(column), ifelse(raw[[field$name]] == "", NA, raw[[field$name]])), sprintf("%s.%s: factor values", resource$name, field$name))
    } else {
      check(identical(class(column)[1], r_class[[field$type]]), sprintf("%s.%s: %s, not %s", resource$name, field$name, r_class[[field$type]], class(column)[1]))
    }
  }
}

# Known values, each checked against its source text.
seed_text <- function(source_id) {
  path <- file.path(root, tables$sources$path[tables$sources$source_id == source_id])
  text <- rawToChar(readBin(path, "raw", file.size(path)))
  Encoding(text) <- "UTF-8"
  text
}
sources <- tables$sources
check(identical(as.numeric(sources$bytes), as.numeric(file.size(file.path(root, sources$path)))), "sources.bytes: the size of each seed file")
events <- tables$events
check(identical(events$start_date[events$event_id == "2024-wang-yi-astana.press"], as.Date("2024-05-20")),
      "events: the 2024 press conference is dated 2024-05-20 (dateline 'ASTANA, May 20')")
participants <- tables$participants
xi <- participants[participants$event_id == "2017-xi-jinping-astana.talks" & participants$person_id == "xi-jinping", ]
check(nrow(xi) == 1 && as.character(xi$country) == "CHN" && as.character(xi$role) == "visitor" && isTRUE(xi$present),
      "participants: Xi Jinping is the Chinese visitor in the 2017 Astana talks")
pledges <- tables$pledges
target <- pledges[pledges$pledge_id == "2011-hu-jintao-astana.trade-target", ]
check(nrow(target) == 1 && target$target_value == 40e9 && identical(target$deadline, 2015L) && as.character(target$target_unit) == "USD",
      "pledges: the 2011 trade target is 40 billion USD by 2015")
figures <- tables$figures
trade <- figures[figures$figure_id == "2024-wang-yi-astana.trade-2023", ]
check(nrow(trade) == 1 && trade$value == 41e9 && identical(trade$is_target, FALSE) && trade$period == "2023",
      "figures: trade reached 41 billion USD in 2023, a measurement")
# Every quote is the text at its offsets (code points, end exclusive), read by R's own substr.
for (name in c("events", "participants", "pledges", "figures")) {
  table <- tables[[name]]
  for (source_id in unique(table$source_id)) {
    rows <- table[table$source_id == source_id, ]
    text <- seed_text(source_id)
    check(identical(substring(text, rows$char_start + 1, rows$char_end), rows$quote), sprintf("%s: quotes of %s at their offsets", name, source_id))
  }
}

if (!is.na(dump)) {
  for (name in names(tables)) {
    jsonlite::write_json(tables[[name]], file.path(dump, paste0(name, ".json")), dataframe = "columns", na = "null",
                         digits = NA, factor = "string", Date = "ISO8601")
  }
}

if (length(failures) > 0) {
  cat(paste0("FAIL: ", failures, "\n"), sep = "", file = stderr())
  quit(status = 1)
}
cat(sprintf("ok: %d tables, %d rows\n", length(tables), sum(vapply(tables, nrow, 0L))))
