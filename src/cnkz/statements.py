"""Whether a pledge's normalised statement says no more than its quote.

A statement may use the quote's words (in any inflection), the words that name the actor and
the kind of pledge (the frame every statement is written in), function words, and the
spelling corrections listed here; any other word is unsupported.
"""

from __future__ import annotations

import functools
import re

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


def unsupported_words(statement: str, quote: str) -> list[str]:
    """Words of `statement` that neither the quote, the frame nor a function word accounts for, in order."""
    quoted = set(_words(quote))
    missing: list[str] = []
    for word in _words(statement):
        if word in STOPWORDS or word in FRAME or word in quoted or word in missing:
            continue
        if any(_related(word, q) for q in quoted):
            continue
        missing.append(word)
    return missing
