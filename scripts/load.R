# Load the dataset's CSV resources in R with the column types stated in datapackage.json.
# Needs readr, jsonlite and openssl (Debian: r-cran-readr r-cran-jsonlite r-cran-openssl). From the repository root:
#   source("scripts/load.R")
#   tables <- read_cnkz("datapackage.json")   # a named list of tibbles, one per table
# Types: string -> character, integer -> integer, number -> double, boolean -> logical,
# date -> Date, a field with constraints.enum -> factor whose levels are the enum in published order.
#
# Nothing is parsed before the whole package is checked. Every resource path must be a relative POSIX path inside
# the package; no file or folder on the way may be a symbolic link; each file must be a regular file of the size
# the descriptor states. Each CSV file must have the descriptor's sha256 and, when there is a SHA256SUMS next to
# datapackage.json (an unpacked release), be listed there with the same sha256, as must datapackage.json itself
# (checked on the bytes that are then parsed). A CSV file changed between its check and its parsing is refused.
# Any failure stops with one line: the file, what was found, what was expected, what to do.

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

cnkz_max_descriptor_bytes <- 16 * 1024^2  # datapackage.json and SHA256SUMS, as cnkz's own default cap
cnkz_advice <- "download the release again"

cnkz_refuse <- function(file, found, expected) {
  stop(sprintf("%s: %s, expected %s; %s", file, found, expected, cnkz_advice), call. = FALSE)
}

cnkz_quote <- function(value) {
  if (is.character(value) && length(value) == 1 && !is.na(value)) encodeString(value, quote = "\"") else "(not one string)"
}

# A relative POSIX path inside the package: no leading "/" or "~", no empty, "." or ".." segment, no backslash,
# no colon (drive letters, URLs) and no control character.
cnkz_safe_path <- function(path) {
  is.character(path) && length(path) == 1 && !is.na(path) && nzchar(path) && validUTF8(path) &&
    !grepl("^[/~]", path) && !grepl("[\\\\:]", path) && !grepl("\\p{Cc}", path, perl = TRUE) &&
    !grepl("(^|/)\\.{0,2}(/|$)", path)
}

# A file of the package as messages name it: relative to the working folder when the package is there.
cnkz_file <- function(folder, path) {
  if (identical(folder, ".")) path else file.path(folder, path)
}

cnkz_link_target <- function(file) {
  target <- Sys.readlink(file)
  if (is.na(target)) "" else target
}

# The size and time of a regular file, the last of files; the others are the folders on the way to it. None may be a
# link. R's file.info() follows links and does not give the file type, so links are found with Sys.readlink(), and a
# FIFO, socket or device (whose size is 0) is told from a regular file by its size, before it is ever opened.
cnkz_regular_file <- function(files) {
  for (file in files) {
    last <- identical(file, files[[length(files)]])
    target <- cnkz_link_target(file)
    if (nzchar(target)) {
      cnkz_refuse(file, sprintf("a symbolic link to %s", cnkz_quote(target)), if (last) "a regular file" else "a folder")
    }
    info <- file.info(file, extra_cols = FALSE)
    if (is.na(info$isdir)) {
      cnkz_refuse(file, "missing", if (last) "the file the descriptor lists" else "a folder")
    }
    if (!last && !info$isdir) {
      cnkz_refuse(file, "not a folder", "a folder")
    }
  }
  if (info$isdir || info$size == 0) {
    cnkz_refuse(file, "not a regular file (a folder, FIFO, device or empty file)", "a regular file")
  }
  list(size = info$size, mtime = info$mtime)
}

# The file is still the one that was checked: no link, the same size and modification time.
cnkz_unchanged <- function(file, checked) {
  info <- file.info(file, extra_cols = FALSE)
  if (nzchar(cnkz_link_target(file)) || !identical(info$size, checked$size) || !identical(info$mtime, checked$mtime)) {
    cnkz_refuse(file, "changed while it was being read", "a file that no process writes to while R reads the package")
  }
}

# All the bytes of a checked regular file, read once.
cnkz_read_bytes <- function(file, size) {
  bytes <- readBin(file, "raw", n = size + 1)
  if (length(bytes) != size) {
    cnkz_refuse(file, "changed while it was being read", "a file that no process writes to while R reads the package")
  }
  bytes
}

cnkz_read_small <- function(file) {
  size <- cnkz_regular_file(file)$size
  if (size > cnkz_max_descriptor_bytes) {
    cnkz_refuse(file, sprintf("%.0f bytes", size), "at most 16 MiB for a descriptor or checksum list")
  }
  cnkz_read_bytes(file, size)
}

# The sha256 of bytes in memory, or of a file read as a stream (openssl: libcrypto's SHA-256).
cnkz_sha256 <- function(bytes) {
  paste(unclass(openssl::sha256(bytes)), collapse = "")
}

cnkz_sha256_file <- function(file) {
  paste(unclass(openssl::sha256(base::file(file))), collapse = "")
}

# SHA256SUMS as sha256sum writes it: "<64 hex digits>  <relative path>" (or " *<path>"), one line per file.
cnkz_read_checksums <- function(file) {
  bytes <- cnkz_read_small(file)
  if (any(bytes == as.raw(0))) {
    cnkz_refuse(file, "a NUL byte", "lines of \"<sha256>  <relative path>\"")
  }
  text <- rawToChar(bytes)
  lines <- strsplit(text, "\n", fixed = TRUE)[[1]]
  sums <- character(0)
  for (number in seq_along(lines)) {
    line <- lines[[number]]
    where <- sprintf("%s, line %d", file, number)
    path <- sub("^[0-9a-f]{64} [ *]", "", line, useBytes = TRUE)
    if (!grepl("^[0-9a-f]{64} [ *]", line, useBytes = TRUE) || !cnkz_safe_path(path)) {
      cnkz_refuse(where, sprintf("%s", cnkz_quote(line)), "\"<sha256>  <relative path>\"")
    }
    if (path %in% names(sums)) {
      cnkz_refuse(where, sprintf("a second line for %s", path), "one line per file")
    }
    sums[[path]] <- substr(line, 1, 64)
  }
  sums
}

cnkz_check_listed <- function(sums, sums_file, folder, path, actual) {
  if (is.null(sums)) {
    return(invisible())
  }
  listed <- sums[path]
  if (is.na(listed)) {
    cnkz_refuse(sums_file, sprintf("no line for %s", path), "a line for every file the loader reads")
  }
  if (!identical(unname(listed), actual)) {
    cnkz_refuse(cnkz_file(folder, path), sprintf("sha256 is %s", actual), sprintf("%s, the hash in SHA256SUMS", listed))
  }
}

cnkz_resource_name <- function(resource) {
  if (is.character(resource$name) && length(resource$name) == 1 && !is.na(resource$name)) resource$name else "(unnamed)"
}

# "resource events has path \"...\"", or "... has no path".
cnkz_property <- function(resource, property) {
  value <- resource[[property]]
  shown <- if (is.null(value)) sprintf("no %s", property) else sprintf("%s %s", property, cnkz_quote(value))
  sprintf("resource %s has %s", cnkz_resource_name(resource), shown)
}

# The path, checked as text, and the file it names, checked on disk (size and time); before any file is read.
cnkz_check_structure <- function(resource, folder, descriptor) {
  name <- cnkz_resource_name(resource)
  if (!cnkz_safe_path(resource$path)) {
    cnkz_refuse(descriptor, cnkz_property(resource, "path"),
                "a relative path inside the package (no empty, \".\" or \"..\" segment, no backslash, colon or control character, no leading \"/\" or \"~\")")
  }
  declared <- resource$bytes
  if (!is.null(declared) && !(is.numeric(declared) && length(declared) == 1 && !is.na(declared) && declared >= 0 && declared == round(declared))) {
    cnkz_refuse(descriptor, sprintf("resource %s has bytes %s", name, paste(format(declared), collapse = ",")), "a whole number")
  }
  segments <- strsplit(resource$path, "/", fixed = TRUE)[[1]]
  checked <- cnkz_regular_file(cnkz_file(folder, vapply(seq_along(segments), function(i) paste(segments[seq_len(i)], collapse = "/"), "")))
  if (!is.null(declared) && checked$size != declared) {
    cnkz_refuse(cnkz_file(folder, resource$path), sprintf("%.0f bytes", checked$size), sprintf("%.0f bytes, the size in datapackage.json", declared))
  }
  checked
}

# A CSV resource's sha256, checked against the descriptor's and, with a SHA256SUMS, its line there.
cnkz_check_hash <- function(resource, checked, folder, descriptor, sums, sums_file) {
  declared <- resource$hash
  if (!(is.character(declared) && length(declared) == 1 && !is.na(declared) && grepl("^sha256:[0-9a-fA-F]{64}$", declared))) {
    cnkz_refuse(descriptor, cnkz_property(resource, "hash"), "\"sha256:\" and 64 hex digits")
  }
  file <- cnkz_file(folder, resource$path)
  actual <- cnkz_sha256_file(file)
  cnkz_unchanged(file, checked)
  expected <- tolower(sub("^sha256:", "", declared))
  if (!identical(actual, expected)) {
    cnkz_refuse(file, sprintf("sha256 is %s", actual), sprintf("%s, the hash in datapackage.json", expected))
  }
  cnkz_check_listed(sums, sums_file, folder, resource$path, actual)
}

cnkz_read_resource <- function(resource, checked, file) {
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
  cnkz_unchanged(file, checked)
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
  if (!requireNamespace("openssl", quietly = TRUE)) {
    stop("scripts/load.R needs the R package openssl to check the files' sha256 (Debian: apt-get install r-cran-openssl; ",
         "elsewhere: install.packages(\"openssl\")); nothing was read", call. = FALSE)
  }
  if (!(is.character(descriptor) && length(descriptor) == 1 && !is.na(descriptor))) {
    stop("read_cnkz() takes the path of one datapackage.json", call. = FALSE)
  }
  if (!file.exists(descriptor) && !nzchar(cnkz_link_target(descriptor))) {
    stop(sprintf("%s: no such file; pass the path of the package's datapackage.json", descriptor), call. = FALSE)
  }
  folder <- dirname(descriptor)
  descriptor_bytes <- cnkz_read_small(descriptor)
  sums_file <- cnkz_file(folder, "SHA256SUMS")
  sums <- NULL
  if (file.exists(sums_file) || nzchar(cnkz_link_target(sums_file))) {
    sums <- cnkz_read_checksums(sums_file)
    if (identical(basename(descriptor), "datapackage.json")) {
      cnkz_check_listed(sums, sums_file, folder, "datapackage.json", cnkz_sha256(descriptor_bytes))
    }
  }
  if (any(descriptor_bytes == as.raw(0))) {
    cnkz_refuse(descriptor, "a NUL byte", "a Data Package descriptor (JSON text)")
  }
  text <- rawToChar(descriptor_bytes)
  Encoding(text) <- "UTF-8"
  package <- tryCatch(jsonlite::parse_json(text, simplifyVector = FALSE), error = function(error) {
    cnkz_refuse(descriptor, sprintf("not JSON (%s)", strsplit(conditionMessage(error), "\n", fixed = TRUE)[[1]][1]), "a Data Package descriptor")
  })
  if (!(is.list(package) && !is.null(names(package)) && is.list(package$resources) && is.null(names(package$resources)) &&
        all(vapply(package$resources, function(resource) is.list(resource) && !is.null(names(resource)), TRUE)))) {
    cnkz_refuse(descriptor, "no list of resources", "a Data Package descriptor")
  }
  # Every resource's path and file first, every CSV file's sha256 next, and only then is anything parsed.
  checked <- lapply(package$resources, cnkz_check_structure, folder = folder, descriptor = descriptor)
  csv <- vapply(package$resources, function(resource) identical(resource$format, "csv"), TRUE)
  resources <- package$resources[csv]
  for (i in seq_along(resources)) {
    cnkz_check_hash(resources[[i]], checked[csv][[i]], folder, descriptor, sums, sums_file)
  }
  tables <- Map(function(resource, checked) cnkz_read_resource(resource, checked, cnkz_file(folder, resource$path)), resources, checked[csv])
  names(tables) <- vapply(resources, cnkz_resource_name, "")
  tables
}
