"""Source texts: reading them exactly and locating quotes in them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import CurationError

# Evidence is a phrase or sentences, not a letter and not the whole article.
QUOTE_MIN_CHARS = 10
QUOTE_MAX_CHARS = 600


def quote_length_problem(quote: str) -> str | None:
    """Why a quote is too short or too long to be evidence (None when it is fine)."""
    if len(quote) < QUOTE_MIN_CHARS:
        return f"the quote has {len(quote)} characters; evidence is at least {QUOTE_MIN_CHARS}: quote the words that support the row"
    if len(quote) > QUOTE_MAX_CHARS:
        return f"the quote has {len(quote)} characters; evidence is at most {QUOTE_MAX_CHARS}: quote only the sentence that supports the row"
    return None


def read_text(path: Path) -> str:
    """Read a seed as UTF-8 without newline translation, so offsets match the bytes on disk."""
    from .safety import read_regular

    if not path.exists():
        raise CurationError("source text not found", file=str(path))
    data = read_regular(path, "the source text", CurationError)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CurationError(f"source text is not UTF-8 (byte {exc.start})", file=str(path)) from None


def sha256_file(path: Path) -> str:
    from .safety import read_regular

    return hashlib.sha256(read_regular(path, "the source text", CurationError)).hexdigest()


def locate(text: str, quote: str, occurrence: int | None = None) -> tuple[int, int]:
    """Return (start, end) code-point offsets of `quote` in `text`.

    Raises ValueError when the quote is absent, ambiguous without `occurrence`, or the
    requested occurrence does not exist.
    """
    if not quote:
        raise ValueError("quote is empty")
    starts = []
    position = text.find(quote)
    while position != -1:
        starts.append(position)
        position = text.find(quote, position + 1)
    if not starts:
        from .nearest import explain  # only on the error path

        raise ValueError(f"quote not found in the source text; {explain(text, quote)}")
    if occurrence is None:
        if len(starts) > 1:
            raise ValueError(f"quote occurs {len(starts)} times in the source text; add occurrence: N to say which")
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        raise ValueError(f"occurrence {occurrence} requested but the quote occurs {len(starts)} time(s)")
    start = starts[occurrence - 1]
    return start, start + len(quote)
