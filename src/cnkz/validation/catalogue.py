"""Every check code `cnkz validate` can report: its layer, a title, its rank in the report, and what its column names.

The one place a code is defined. The report orders and explains problems by it (cnkz.report), a Problem's location says
"property" or "column" by it (cnkz.errors), `docs/checks.md` is written from it, and the tests require a planted fault
for every code and that no code is reported that is not here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The layers, in the order `cnkz validate` runs them; each is a module of checks (cnkz.validation and cnkz.validate).
LAYERS = {
    "descriptor": "the descriptor: its profile, its tables against the data model, its version, no remote reference",
    "files": "the files: paths inside the package, regular files, sizes, sha256 hashes, encoding, line endings, SHA256SUMS",
    "rows": "the rows: types, columns, vocabularies, patterns, ranges, keys, and the cross-field and cross-table rules",
    "provenance": "provenance: each source text's sha256 and size, each quote at its offsets and inside the article body",
    "numbers": "numbers: no infinity or NaN in a number column",
    "frictionless": "Frictionless's own validation, a second opinion (with --frictionless)",
    "repository": "the repository (with curation/): a fresh rebuild, the coverage audit, the generated documents",
}


@dataclass(frozen=True)
class Code:
    """A check code. `rank` 0 is a finding of its own; a higher rank is what an earlier finding may already explain
    (listed after it). `file_rank` is the rank of a problem of the code with no row, when it differs. `on_property`: the
    problem's column names a property of the descriptor, not a table column."""

    code: str
    layer: str
    title: str
    rank: int = 0
    file_rank: int | None = None
    on_property: bool = False

    def rank_of(self, has_row: bool) -> int:
        return self.rank if has_row or self.file_rank is None else self.file_rank


def _codes(layer: str, *entries: tuple[str, str] | tuple[str, str, dict[str, object]]) -> list[Code]:
    return [Code(entry[0], layer, entry[1], **(entry[2] if len(entry) > 2 else {})) for entry in entries]  # type: ignore[arg-type]


PROPERTY: dict[str, object] = {"on_property": True}

CODES: dict[str, Code] = {code.code: code for code in [
    *_codes(
        "descriptor",
        ("descriptor_missing", "no datapackage.json"),
        ("descriptor_json", "datapackage.json is not a JSON object within the caps"),
        ("profile", "the descriptor breaks the Data Package v2 profile", PROPERTY),
        ("descriptor_name", "the package's name is not the dataset's", PROPERTY),
        ("version_mismatch", "the descriptor's version differs from pyproject.toml's", PROPERTY),
        ("version_stated", "a document states another version than the descriptor", PROPERTY),
        ("data_model", "a version whose data model this cnkz does not know", PROPERTY),
        ("unexpected_resource", "a resource the data model does not have", PROPERTY),
        ("missing_resource", "a table of the data model is not in the descriptor", PROPERTY),
        ("resource_path", "a resource's path is not where the data model puts it", PROPERTY),
        ("schema_drift", "a resource's schema differs from the data model's", PROPERTY),
        ("resource_property", "a resource's format, media type, encoding or dialect differs from the data model's", PROPERTY),
        ("remote_reference", "the descriptor refers to something that would be fetched"),
    ),
    *_codes(
        "files",
        ("archive", "a release archive that does not unpack safely"),
        ("unsafe_path", "a resource path that could leave the package", PROPERTY),
        ("file_missing", "a resource's file does not exist", PROPERTY),
        ("not_regular_file", "a resource's file is a link, FIFO, device or over the size cap"),
        ("hash_mismatch", "a file's sha256 differs from the descriptor's", {"rank": 4, "on_property": True}),
        ("bytes_mismatch", "a file's size differs from the descriptor's", {"rank": 4, "on_property": True}),
        ("bom", "a CSV starts with a byte-order mark"),
        ("encoding", "a CSV is not UTF-8"),
        ("line_endings", "a CSV has carriage returns"),
        ("final_newline", "a CSV does not end with a newline"),
        ("checksums", "the SHA256SUMS file is not a list of '<sha256>  <path>' lines"),
        ("checksum_file_missing", "a file SHA256SUMS lists is missing or not a regular file"),
        ("checksum_mismatch", "a file's sha256 differs from SHA256SUMS"),
        ("checksum_unlisted", "a file of the package is not in SHA256SUMS"),
    ),
    *_codes(
        "rows",
        ("unreadable", "a table file cannot be read"),
        ("columns", "a table's columns are not the data model's, in its order"),
        ("parquet_type", "a Parquet column of another type than the data model's"),
        ("type", "a cell that is not of its column's type"),
        ("required", "a required cell is empty"),
        ("unique", "a value repeated in a column of unique values"),
        ("primary_key", "a repeated primary key"),
        ("formula_injection", "text a spreadsheet would run as a formula"),
        ("control_character", "text with a control character"),
        ("whitespace", "text with leading or trailing whitespace"),
        ("pattern", "text not matching its column's pattern"),
        ("vocabulary", "a value outside its column's vocabulary"),
        ("minimum", "a number below its column's minimum"),
        ("maximum", "a number above its column's maximum"),
        ("csv_parquet", "the CSV and the Parquet file differ", {"rank": 3}),
        ("foreign_key", "an id that names no row of the table it refers to"),
        ("id_prefix", "a row id that does not start with its source_id"),
        ("offsets_order", "char_end not after char_start"),
        ("same_source", "an event of another source"),
        ("body_order", "body_end not after body_start"),
        ("end_before_start", "an event that ends before it starts"),
        ("dates_with_precision", "dates present or absent against date_precision"),
        ("dates_together", "start_date without end_date, or the reverse"),
        ("cameo_for_type", "a CAMEO code that is not the event type's"),
        ("parent_is_visit", "a parent event that is not a visit"),
        ("plover_crosswalk", "PLOVER fields that are not what the CAMEO-to-PLOVER crosswalk gives"),
        ("visit_contains_children", "an event outside its visit's dates"),
        ("visit_known_span", "a visit's dates that are not the span of its dated events"),
        ("day_sequence", "an undated event told between two events of the same day"),
        ("dates_after_publication", "dates_planned that disagrees with the event's dates and its source's date"),
        ("place_country", "an event's country that is not its place's"),
        ("summary_supported", "a summary with words its quote does not account for"),
        ("actor_from_roles", "an actor that is not what the participants' roles give"),
        ("recipient_from_roles", "a recipient that is not what the participants' roles give"),
        ("present_role", "present that disagrees with role"),
        ("person_id_names", "a person_id with several names or countries"),
        ("name_person_ids", "a name with several person_ids"),
        ("office_format", "several offices not joined with '; '"),
        ("attendance_covers_activities", "a person attending 'the above activities' missing from one of them"),
        ("target_fields", "target_value, target_unit and deadline not set together"),
        ("status_fields", "status_as_of and status_source_id that disagree with status"),
        ("status_later_source", "a status reported by a source that is not later"),
        ("speaker_participant", "a speaker who is not a participant of the event"),
        ("pledge_plover", "a pledge's PLOVER category that its type does not allow"),
        ("statement_supported", "a statement with words its quote does not account for"),
        ("status_from_updates", "a pledge's status that is not the latest later report on its commitment"),
        ("restates_earlier", "a restatement of a pledge that is not earlier"),
        ("restates_first", "a restatement of a restatement"),
        ("restates_party", "a restatement by a side that is not a party to the commitment"),
        ("value_text_in_quote", "a figure's value_text not in its quote"),
        ("description_supported", "a figure's description with words its quote does not account for"),
        ("metric_fits_pledge", "a figure linked to a pledge its metric cannot report on"),
        ("target_matches_pledge", "a target figure that differs from its pledge's target"),
        ("target_period", "a target figure's period that is not its pledge's deadline"),
        ("years_ahead_deadline", "years ahead of schedule that do not lead to the pledge's deadline"),
        ("relations_year", "counts of years of relations that disagree on the founding year"),
        ("authority_value", "a place's value that is not GeoNames' for its geonames_id"),
        ("update_later", "an update from a document that is not later than the pledge's"),
        ("update_of_commitment", "an update of a pledge that restates another"),
        ("update_not_pledge", "an update whose quote is a pledge's quote"),
        ("update_figure_pledge", "a cited figure that does not name the update's pledge"),
        ("update_as_of", "an update's as_of that is not its document's date"),
        ("update_figure", "a cited figure of another document or disagreeing with the pledge's target"),
        ("engine", "a rule the engine could not run (reported, never skipped)"),
    ),
    *_codes(
        "provenance",
        ("seed_missing", "a source text that is not in the package"),
        ("seed_hash", "a source text whose sha256 differs from its sources row"),
        ("seed_bytes", "a source text whose size differs from its sources row"),
        ("seed_encoding", "a source text that is not UTF-8"),
        ("quote_offsets", "a quote that is not the text at its offsets"),
        ("quote_length", "a quote too short or too long to be evidence"),
        ("quote_in_body", "a quote outside the article's body"),
    ),
    *_codes(
        "numbers",
        ("non_finite", "infinity or NaN in a number column"),
    ),
    *_codes(
        "frictionless",
        ("frictionless", "a problem Frictionless reports", {"rank": 1, "file_rank": 4}),
        ("frictionless_guard", "a descriptor key Frictionless is not shown", PROPERTY),
    ),
    *_codes(
        "repository",
        ("rebuild", "curation/ does not build"),
        ("stale", "a published file differs from what a fresh build writes", {"rank": 2, "file_rank": 4}),
        ("coverage", "a number or name of a text no row records"),
        ("stale_docs", "a generated document differs from what the tables give", {"rank": 4}),
    ),
]}


def code(name: str) -> Code:
    """The catalogue's entry for a check code; an unknown code is a programming error, named."""
    try:
        return CODES[name]
    except KeyError:
        raise KeyError(f"check code {name!r} is not in cnkz.validation.catalogue.CODES: add it there") from None
