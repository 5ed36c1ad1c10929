# Load the dataset's CSV resources in R with the column types stated in datapackage.json.
# Needs readr and jsonlite (Debian: r-cran-readr r-cran-jsonlite). From the repository root:
#   source("scripts/load.R")
#   tables <- read_cnkz("datapackage.json")   # a named list of tibbles, one per table
# Types: string -> character, integer -> integer, number -> double, boolean -> logical,
# date -> Date, a field with constraints.enum -> factor whose levels are the enum in published order.

# Table Schema's defaults, used when a field states no trueValues / falseValues of its own.
cnkz_true_values <- c("true", "True", "TRUE", "1")
cnkz_false_values <- c("false", "False", "FALSE", "0")

cnkz_col_type <- function(field) {
  enum <- field$constraints$enum
  if (!is.null(enum)) {
    return(readr::col_factor(levels = unlist(enum)))
  }
  switch(field$type,
    string = readr::col_character(),
    integer = readr::col_integer(),
    number = readr::col_double(),
    # Read as text and mapped below, so only the declared spellings count as booleans.
    boolean = readr::col_character(),
    date = readr::col_date(format = "%Y-%m-%d"),
    stop(sprintf("field %s has type %s, which this loader does not read", field$name, field$type), call. = FALSE)
  )
}

cnkz_col_types <- function(fields) {
  specs <- lapply(fields, cnkz_col_type)
  names(specs) <- vapply(fields, function(field) field$name, "")
  do.call(readr::cols, specs)
}

cnkz_as_logical <- function(text, field, file) {
  true_values <- if (is.null(field$trueValues)) cnkz_true_values else unlist(field$trueValues)
  false_values <- if (is.null(field$falseValues)) cnkz_false_values else unlist(field$falseValues)
  bad <- !is.na(text) & !(text %in% c(true_values, false_values))
  if (any(bad)) {
    stop(sprintf("%s, field %s: %s is not a boolean of the descriptor", file, field$name, dQuote(text[bad][1], FALSE)), call. = FALSE)
  }
  ifelse(is.na(text), NA, text %in% true_values)
}

# Relative, inside the package: no root, home, drive, URL, backslash or "..".
cnkz_safe_path <- function(path) {
  is.character(path) && length(path) == 1 && nzchar(path) && !grepl("^[/~]", path) && !grepl("[\\\\:]", path) &&
    !(".." %in% strsplit(path, "/", fixed = TRUE)[[1]])
}

cnkz_check_hash <- function(file, declared) {
  # tools::sha256sum arrived in R 4.5; older R reads without the check (use cnkz validate for one).
  sha256sum <- get0("sha256sum", envir = asNamespace("tools"), inherits = FALSE)
  if (is.null(sha256sum) || is.null(declared)) {
    return(invisible())
  }
  actual <- paste0("sha256:", unname(sha256sum(file)))
  if (!identical(actual, declared)) {
    stop(sprintf("%s: sha256 is %s, the descriptor says %s; download the dataset again", file, actual, declared), call. = FALSE)
  }
}

cnkz_read_resource <- function(resource, folder) {
  if (!cnkz_safe_path(resource$path)) {
    stop(sprintf("resource %s has path %s, outside the package; refusing it", resource$name, resource$path), call. = FALSE)
  }
  file <- file.path(folder, resource$path)
  cnkz_check_hash(file, resource$hash)
  fields <- resource$schema$fields
  names <- vapply(fields, function(field) field$name, "")
  na <- if (is.null(resource$schema$missingValues)) "" else unlist(resource$schema$missingValues)
  header <- names(readr::read_csv(file, n_max = 0, col_types = readr::cols(.default = readr::col_character()), progress = FALSE))
  if (!identical(header, names)) {
    stop(sprintf("%s: the columns are %s, the descriptor says %s", file, paste(header, collapse = ","), paste(names, collapse = ",")), call. = FALSE)
  }
  # readr's own parsing warning is replaced by the error below, which says where and what.
  data <- suppressWarnings(readr::read_csv(
    file, col_types = cnkz_col_types(fields), na = na, locale = readr::locale(encoding = "UTF-8"),
    progress = FALSE, lazy = FALSE
  ))
  problems <- readr::problems(data)
  if (nrow(problems) > 0) {
    first <- problems[1, ]
    stop(sprintf("%s, line %d, field %s: expected %s, found %s (%d problem(s) in all)",
                 file, first$row, names[first$col], first$expected, first$actual, nrow(problems)), call. = FALSE)
  }
  for (field in fields) {
    if (identical(field$type, "boolean") && is.null(field$constraints$enum)) {
      data[[field$name]] <- cnkz_as_logical(data[[field$name]], field, file)
    }
  }
  data
}

# Every CSV resource of the package, typed as its descriptor says, by resource name.
read_cnkz <- function(descriptor = "datapackage.json") {
  package <- jsonlite::fromJSON(descriptor, simplifyVector = FALSE)
  resources <- Filter(function(resource) identical(resource$format, "csv"), package$resources)
  tables <- lapply(resources, cnkz_read_resource, folder = dirname(descriptor))
  names(tables) <- vapply(resources, function(resource) resource$name, "")
  tables
}
