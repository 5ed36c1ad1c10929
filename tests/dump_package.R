# Reads one package both ways R users do, and writes each table as JSON for tests/test_r.py to compare with cnkz.load.
# Usage: Rscript tests/dump_package.R PACKAGE_DIR LOAD_R DUMP_DIR
# Writes DUMP_DIR/readr/<table>.json (scripts/load.R) and DUMP_DIR/frictionless/<table>.json (the rOpenSci package).

args <- commandArgs(trailingOnly = TRUE)
package_dir <- args[[1]]
dump <- args[[3]]
source(args[[2]])
suppressPackageStartupMessages(library(frictionless))

write <- function(route, name, table) {
  dir.create(file.path(dump, route), showWarnings = FALSE, recursive = TRUE)
  jsonlite::write_json(as.data.frame(table), file.path(dump, route, paste0(name, ".json")), dataframe = "columns", na = "null",
                       digits = NA, factor = "string", Date = "ISO8601")
}

descriptor <- file.path(package_dir, "datapackage.json")
tables <- read_cnkz(descriptor)
for (name in names(tables)) write("readr", name, tables[[name]])

package <- read_package(descriptor)
csv_names <- vapply(Filter(function(r) identical(r$format, "csv"), package$resources), function(r) r$name, "")
for (name in csv_names) write("frictionless", name, read_resource(package, name))
cat(sprintf("ok: %d tables by readr, %d by frictionless\n", length(tables), length(csv_names)))
