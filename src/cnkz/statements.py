"""Whether a curator's sentence says no more than its quote: a pledge's statement, an event's or an update's summary,
a figure's description.

A sentence may use the quote's words (in any inflection), the words of its column's frame (for a statement, those that
name the actor and the kind of pledge; for a summary, also those that name the kind of event; for a description, also
those that name the kind of figure), function words, and the spelling corrections listed here; any other word is
unsupported.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# Function words carry no claim.
STOPWORDS = frozenset("""
a an the and or nor of to in on for with by at as from into onto about within under over its it their them they
this that these those each other both all any is are be been being was were has have had do does will shall would
can could should may might must not no than then so such also more most further which who whom whose there here
""".split())

# The frame of every statement: who acts, and what kind of pledge it is (CURATION.md, "statement").
FRAME = frozenset("""
china chinese kazakhstan kazakh sides side countries country two
agree agrees agreed decide decides decided propose proposes proposed urge urges call calls support supports
intend intends ready willing keen will pledge pledges reaffirm reaffirms state states
""".split())

# A summary also names the kind of event it summarises (the event types, and their verbs), and what a later text says.
SUMMARY_FRAME = FRAME | frozenset("""
visit visits arrival arrives welcoming ceremony hold holds talks meeting meet meets signing sign signs joint jointly
statement press conference summit announcement announces says
""".split())
# A description also names the kind of figure it describes.
DESCRIPTION_FRAME = FRAME | frozenset("number count length years total target".split())
# The frame of each checked column: (table, column) -> words it may use beyond its quote's.
FRAMES: dict[tuple[str, str], frozenset[str]] = {
    ("pledges", "statement"): FRAME,
    ("events", "summary"): SUMMARY_FRAME,
    ("pledge_updates", "summary"): SUMMARY_FRAME,
    ("figures", "description"): DESCRIPTION_FRAME,
}

# The outlets' typos and British spellings: a statement's correct word matches the quote's printed one.
SPELLINGS = {"diplopmatic": "diplomatic", "panning": "planning", "pans": "plans", "kazakstan": "kazakhstan"}
_BRITISH = ((r"isation", "ization"), (r"^(organ|optim|real|recogn|util|modern|prior)is", r"\1iz"), (r"centre", "center"),
            (r"honour", "honor"), (r"labour", "labor"), (r"organised", "organized"))


@functools.lru_cache(maxsize=1 << 16)  # words repeat: a corpus of a million statements has a vocabulary of thousands
def _normal(word: str) -> str:
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w).strip("'-")
    w = SPELLINGS.get(w, w)
    for pattern, repl in _BRITISH:
        w = re.sub(pattern, repl, w)
    return w


def _stems(word: str) -> set[str]:
    """The word and what it leaves without one inflectional ending (creating -> creat, create)."""
    out = {word}
    for suffix, repls in (("ies", ("y",)), ("ing", ("", "e")), ("ed", ("", "e")), ("es", ("", "e")), ("s", ("",)), ("ly", ("",))):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.update(word[: len(word) - len(suffix)] + r for r in repls)
    return out


def _words(text: str) -> list[str]:
    out: list[str] = []
    for token in WORD.findall(text):
        out.extend(part for part in _normal(token).split("-") if len(part) > 1)
    return out


def _related(a: str, b: str) -> bool:
    """Same stem, or a shared prefix that leaves at most three letters of either (cooperation/cooperate)."""
    stems_a, stems_b = _stems(a), _stems(b)
    if stems_a & stems_b:
        return True
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return common >= 6 and common >= max(len(a), len(b)) - 4


def unsupported_words(statement: str, quote: str, frame: frozenset[str] = FRAME) -> list[str]:
    """Words of `statement` that neither the quote, the frame nor a function word accounts for, in order."""
    quoted = set(_words(quote))
    missing: list[str] = []
    for word in _words(statement):
        if word in STOPWORDS or word in frame or word in quoted or word in missing:
            continue
        if any(_related(word, q) for q in quoted):
            continue
        missing.append(word)
    return missing


@functools.lru_cache(maxsize=1 << 18)
def _token_words(token: str) -> tuple[str, ...]:
    """The words of a token of text between spaces (punctuation and all): its words are the text's words in that stretch."""
    return tuple(_words(token))


def supported(statements: pa.Array, quotes: pa.Array, frame: frozenset[str] = FRAME) -> np.ndarray:
    """Whether each statement says no more than its quote (`unsupported_words` is empty), for a whole column at once.

    Text is split at spaces in Arrow (a plain split: a regular expression's split cost four times as much), and each distinct
    token's words found and normalised once; a statement whose every word is a quote word, a function word or a frame word
    holds, and only the others are compared word by word (inflections, stems)."""
    statements, quotes = statements.cast(pa.string()), quotes.cast(pa.string())
    n = len(statements)
    ids: dict[str, int] = {w: 0 for w in STOPWORDS | frame}  # word -> id; id 0: a word every statement may use

    def pairs(texts: pa.Array) -> np.ndarray:
        runs = pc.split_pattern(pc.fill_null(texts, ""), " ")
        flat, rows = pc.list_flatten(runs), pc.list_parent_indices(runs).to_numpy(zero_copy_only=False)
        encoded = pc.dictionary_encode(flat).combine_chunks() if isinstance(flat, pa.ChunkedArray) else pc.dictionary_encode(flat)
        words = [[ids.setdefault(w, len(ids)) for w in _token_words(run)] for run in encoded.dictionary.to_pylist()]
        lengths = np.array([len(w) for w in words], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(words) else np.zeros(0, np.int64)
        flat_ids = np.array([i for w in words for i in w], dtype=np.int64)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        per = lengths[codes]
        total = int(per.sum())
        # Each run's word ids, in place: position k of run r is flat_ids[starts[r] + k].
        within = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
        return np.repeat(rows.astype(np.int64), per) * (1 << 32) + flat_ids[np.repeat(starts[codes], per) + within]

    quoted = pairs(quotes)
    said = pairs(statements)
    open_ = said[(said % (1 << 32) != 0) & ~pc.is_in(pa.array(said), value_set=pa.array(quoted)).to_numpy(zero_copy_only=False)]
    out = np.ones(n, dtype=bool)
    for row in np.unique(open_ >> 32).tolist():
        s, q = statements[row].as_py(), quotes[row].as_py()
        out[row] = not unsupported_words(s or "", q or "", frame)
    return out
