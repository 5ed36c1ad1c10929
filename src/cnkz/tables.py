"""The table definitions: the one place where every column, type, vocabulary and key is stated.

The Table Schemas of the descriptor, the pandera schemas, the codebook and the vocabulary
lists of CURATION.md are all derived from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "integer", "number", "boolean", "date"]

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
ROW_ID = r"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$"
PERIOD = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


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

EVENT_TYPE = Vocabulary("event_type", tuple((c, m) for c, m, _ in EVENT_TYPES))
CAMEO_CODE = Vocabulary("cameo_code", tuple(sorted(CAMEO_MEANINGS.items())))
DATE_PRECISION = Vocabulary(
    "date_precision",
    (
        ("day", "start_date and end_date are exact days."),
        ("month", "Only the month is known; dates are the month's first and last day."),
        ("year", "Only the year is known; dates are the year's first and last day."),
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
        ("anniversary", "An Nth anniversary; the description says of what."),
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
COUNTRY = Vocabulary("country", (("CHN", "China."), ("KAZ", "Kazakhstan.")))

VOCABULARIES: tuple[Vocabulary, ...] = (
    EVENT_TYPE, CAMEO_CODE, DATE_PRECISION, ROLE, ACTOR, PLEDGE_TYPE, TOPIC, STATUS, METRIC,
    UNIT, QUALIFIER, COUNTRY,
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
    ),
    fields=(
        Field("event_id", "string", "Identifier: <source_id>.<key>.", required=True, unique=True, pattern=ROW_ID),
        _source_ref(),
        Field("parent_event_id", "string", "The visit this event is part of.", pattern=ROW_ID),
        Field("event_type", "string", "Kind of event.", required=True, vocabulary=EVENT_TYPE),
        Field("cameo_code", "string", "CAMEO event code, determined by event_type.", required=True, vocabulary=CAMEO_CODE),
        Field("start_date", "date", "First day of the event; empty when the text gives no date."),
        Field("end_date", "date", "Last day of the event; empty when the text gives no date."),
        Field("date_precision", "string", "How precisely the dates are known.", required=True, vocabulary=DATE_PRECISION),
        Field("date_inferred", "boolean", "True when the dates were resolved from a weekday or relative reference.", required=True),
        Field("city", "string", "City the text or dateline names; empty otherwise."),
        Field("country", "string", "Country of the event (ISO 3166-1 alpha-3).", vocabulary=COUNTRY),
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
    description="One row per commitment, proposal, agreement, target or statement of support.",
    primary_key=("pledge_id",),
    foreign_keys=(
        ForeignKey(("event_id",), "events", ("event_id",)),
        ForeignKey(("source_id",), "sources", ("source_id",)),
        ForeignKey(("status_source_id",), "sources", ("source_id",)),
    ),
    fields=(
        Field("pledge_id", "string", "Identifier: <source_id>.<key>.", required=True, unique=True, pattern=ROW_ID),
        Field("event_id", "string", "The event in which the pledge was made.", required=True, pattern=ROW_ID),
        _source_ref(),
        Field("actor", "string", "Who makes the pledge.", required=True, vocabulary=ACTOR),
        Field("speaker_person_id", "string", "The named person who makes it (a participant of the event).", pattern=SLUG),
        Field("pledge_type", "string", "Kind of pledge.", required=True, vocabulary=PLEDGE_TYPE),
        Field("topic", "string", "Main subject.", required=True, vocabulary=TOPIC),
        Field("statement", "string", "The pledge as one normalised English sentence.", required=True),
        Field("target_value", "number", "Quantified target, in target_unit.", minimum=0),
        Field("target_unit", "string", "Unit of target_value.", vocabulary=UNIT),
        Field("deadline", "integer", "Year by which the target is to be met.", minimum=1990, maximum=2100),
        Field("status", "string", "What the corpus reports of the pledge's outcome.", required=True, vocabulary=STATUS),
        Field("status_as_of", "date", "Reference date of the document that reports the status."),
        Field("status_source_id", "string", "The document that reports the status.", pattern=SLUG),
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

TABLES: tuple[Table, ...] = (SOURCES, EVENTS, PARTICIPANTS, PLEDGES, FIGURES)
TABLES_BY_NAME = {t.name: t for t in TABLES}
