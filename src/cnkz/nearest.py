"""Why a quote is not in its text: the closest passage and what differs (spaces, quote marks, typos)."""

from __future__ import annotations

import difflib
import unicodedata

# Characters that look alike to a curator copying from a web page; folded before searching.
FOLD = {
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
}
NAMES = {" ": "a space", "\n": "a line break", "\t": "a tab", "\r": "a carriage return"}
MIN_RATIO = 0.7  # below this, no passage is close enough to be called the same words


def _normalise(text: str) -> tuple[str, list[int]]:
    """Folded text with runs of whitespace as one space, and the index in `text` of each kept character."""
    out: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        char = FOLD.get(char, char)
        if char.isspace():
            if out and out[-1] == " ":
                continue
            char = " "
        out.append(char)
        index.append(position)
    return "".join(out), index


def _name(chars: str) -> str:
    """How a difference is spelled out: invisible and look-alike characters by name and code point."""
    if not chars:
        return "nothing"
    if len(set(chars)) == 1 and chars[0] in NAMES and len(chars) > 1:
        return f"{len(chars)} × {NAMES[chars[0]].removeprefix('a ')}"
    parts = []
    for char in chars:
        if char in NAMES:
            parts.append(NAMES[char])
        elif char == "\u00a0":
            parts.append("a no-break space (U+00A0)")
        elif ord(char) > 127 or not char.isprintable():
            parts.append(f"{char} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed').lower()})")
        else:
            parts.append(repr(char))
    return " + ".join(parts)


def _word(text: str, start: int, end: int) -> str:
    """text[start:end] widened to whole words, for reading a typo in context."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


def _differences(passage: str, quote: str) -> list[str]:
    found = []
    matcher = difflib.SequenceMatcher(None, passage, quote, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        in_text, in_quote = passage[i1:i2], quote[j1:j2]
        before = quote[max(0, j1 - 20) : j1]
        after = f' after "{before}"' if before.strip() else " at its start"
        blank = not (in_text + in_quote).strip()
        if blank or _normalise(in_text)[0] == _normalise(in_quote)[0]:
            kind = "a no-break space" if "\u00a0" in in_text + in_quote else "whitespace" if blank else "a look-alike character"
            if not in_text:
                found.append(f"{kind}: the quote has {_name(in_quote)} more than the text{after}")
            elif not in_quote:
                found.append(f"{kind}: the text has {_name(in_text)} that the quote lacks{after}")
            else:
                found.append(f"{kind}: the text has {_name(in_text)} where the quote has {_name(in_quote)}{after}")
        else:
            found.append(f'a typo: the text has "{_word(passage, i1, i2)}" where the quote has "{_word(quote, j1, j2)}"')
    return list(dict.fromkeys(found))


def closest_passage(text: str, quote: str) -> tuple[int, int, float]:
    """(start, end, similarity) of the passage of `text` most like `quote`, searching with look-alikes folded."""
    ntext, index = _normalise(text)
    nquote, _ = _normalise(quote)
    if not ntext or not nquote:
        return 0, 0, 0.0
    position = ntext.find(nquote)
    if position != -1:
        return index[position], index[position + len(nquote) - 1] + 1, 1.0
    matcher = difflib.SequenceMatcher(None, ntext, nquote, autojunk=False)
    anchor = matcher.find_longest_match(0, len(ntext), 0, len(nquote))
    if anchor.size == 0:
        return 0, 0, 0.0
    # Align the window where the longest common run puts the quote, with slack for insertions.
    slack = max(10, len(nquote) // 4)
    low = max(0, anchor.a - anchor.b - slack)
    high = min(len(ntext), anchor.a - anchor.b + len(nquote) + slack)
    window = ntext[low:high]
    blocks = [b for b in difflib.SequenceMatcher(None, window, nquote, autojunk=False).get_matching_blocks() if b.size]
    first, last = blocks[0], blocks[-1]
    # Extend the matched runs by the quote's unmatched ends, then to whole words.
    start = max(0, low + first.a - first.b)
    end = min(len(ntext), low + last.a + last.size + len(nquote) - last.b - last.size)
    while start > 0 and ntext[start - 1].isalnum() and ntext[start].isalnum():
        start -= 1
    while end < len(ntext) and end > 0 and ntext[end - 1].isalnum() and ntext[end].isalnum():
        end += 1
    end = max(end, start + 1)
    ratio = difflib.SequenceMatcher(None, ntext[start:end], nquote, autojunk=False).ratio()
    return index[start], index[end - 1] + 1, ratio


def explain(text: str, quote: str) -> str:
    """One line for a quote that is not in `text`: the closest passage, where it is, and what differs."""
    start, end, ratio = closest_passage(text, quote)
    if ratio < MIN_RATIO:
        return "nothing in the text is close to it; check that the quote is from this source"
    passage = text[start:end]
    differences = _differences(passage, quote)
    shown = passage.replace("\n", "\\n")
    return f'the closest passage, characters {start}-{end}, is "{shown}"; it differs by ' + "; ".join(differences)
