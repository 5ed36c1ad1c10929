# Reads one package both ways R users do, and writes each table as JSON for tests/test_r.py to compare with cnkz.load.
# Usage: Rscript tests/dump_package.R PACKAGE_DIR DUMP_DIR ROUTE=LOAD_R [ROUTE=LOAD_R ...]
# Writes DUMP_DIR/<route>/<table>.json for each copy of scripts/load.R given (each sourced on its own) and
# DUMP_DIR/frictionless/<table>.json (the rOpenSci package).

args <- commandArgs(trailingOnly = TRUE)
package_dir <- args[[1]]
dump <- args[[2]]
loaders <- args[-(1:2)]
suppressPackageStartupMessages(library(frictionless))

write <- function(route, name, table) {
  dir.create(file.path(dump, route), showWarnings = FALSE, recursive = TRUE)
  jsonlite::write_json(as.data.frame(table), file.path(dump, route, paste0(name, ".json")), dataframe = "columns", na = "null",
                       digits = NA, factor = "string", Date = "ISO8601")
}

descriptor <- file.path(package_dir, "datapackage.json")
for (loader in loaders) {
  route <- sub("=.*", "", loader)
  env <- new.env()
  sys.source(sub("^[^=]*=", "", loader), envir = env)
  tables <- env$read_cnkz(descriptor)
  for (name in names(tables)) write(route, name, tables[[name]])
}

package <- read_package(descriptor)
csv_names <- vapply(Filter(function(r) identical(r$format, "csv"), package$resources), function(r) r$name, "")
for (name in csv_names) write("frictionless", name, read_resource(package, name))
cat(sprintf("ok: %d routes by readr, %d tables by frictionless\n", length(loaders), length(csv_names)))
