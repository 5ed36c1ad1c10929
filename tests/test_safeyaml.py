"""The curation reader refuses what a hand-written file never needs, naming file:line:column and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnkz.curation import curate
from cnkz.errors import CurationError
from cnkz.safeyaml import parse

DOC = "curation/2010-jia-qinglin-astana.yaml"


def edit(repo: Path, old: str, new: str) -> None:
    path = repo / DOC
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_for(repo: Path) -> str:
    with pytest.raises(CurationError) as info:
        curate(repo)
    return str(info.value)


LAUGHS = "lol:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)
)


# {line} is the line where `old` starts in the curation file: the tests follow the file as it changes.
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    venue: null\n", "    venue: null\n    country: CHN\n",
         "{DOC}:{line+1}:5: events[1], key country: duplicate key country: it is also at line {line-1}, column 5; keep one"),
        ("    deadline: null\n", "    deadline: 99999999999999999999999\n",
         "{DOC}:{line}:15: pledges[1], key deadline: 99999999999999999999999 is outside the 64-bit integer range "
         "-9223372036854775808 to 9223372036854775807"),
        ("    target_value: null\n", "    target_value: .inf\n", "{DOC}:{line}:19: pledges[1], key target_value: .inf is not a finite number"),
        ("    target_value: null\n", "    target_value: .NaN\n", "{DOC}:{line}:19: pledges[1], key target_value: .NaN is not a finite number"),
        ("    target_value: null\n", "    target_value: 1.0e+400\n", "{DOC}:{line}:19: pledges[1], key target_value: 1.0e+400 is not a finite number"),
        ("    start_date: 2010-11-09\n", "    start_date: 2010-02-30\n",
         "{DOC}:{line}:17: events[1], key start_date: 2010-02-30 is not a valid date (day is out of range for month)"),
        ("events:\n", "deep: " + "[" * 30 + "]" * 30 + "\nevents:\n", "{DOC}:{line}:27: deep[1], key " + "[1]" * 19 + ": nested deeper than 20 levels"),
        ("events:\n", LAUGHS + "events:\n",
         "{DOC}:{line+5}:6: lol, key e: expands to more than 100000 values through YAML aliases (an alias bomb); write the values out"),
        ("events:\n", "many: &m [1]\nmore: [" + ", ".join(["*m"] * 101) + "]\nevents:\n",
         "{DOC}:{line+1}:408: more[101]: more than 100 YAML aliases (*name) in one file; write the values out"),
        ("events:\n", "loop: &loop [*loop]\nevents:\n",
         "{DOC}:{line}:14: loop[1]: a YAML alias that refers to itself (a recursive structure)"),
    ],
)
def test_refused_yaml_names_line_column_and_key(repo: Path, old: str, new: str, message: str) -> None:
    line = line_of(repo, old)
    edit(repo, old, new)
    expected = re.sub(r"\{line([+-]\d+)?\}", lambda m: str(line + int(m.group(1) or 0)), message).replace("{DOC}", DOC)
    assert error_for(repo) == expected


def line_of(repo: Path, text: str) -> int:
    """The line where `text` first starts in the curation file."""
    content = (repo / DOC).read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def test_a_huge_integer_literal_is_refused_without_converting_it(repo: Path) -> None:
    line = line_of(repo, "    deadline: null\n")
    edit(repo, "    deadline: null\n", "    deadline: " + "9" * 5000 + "\n")
    assert error_for(repo) == (
        f"{DOC}:{line}:15: pledges[1], key deadline: 99999999999999999999… (5000 characters) is outside the 64-bit integer range "
        "-9223372036854775808 to 9223372036854775807"
    )


def test_a_file_too_large_to_be_curation_is_refused_before_parsing(repo: Path) -> None:
    (repo / DOC).write_text("# x\n" * 600_000, encoding="utf-8")
    assert error_for(repo) == f"{DOC}: invalid YAML: the file has 2400000 bytes; a curation file is at most 2000000"


def test_merge_keys_may_be_overridden_without_a_duplicate_error() -> None:
    data, _ = parse("base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n")
    assert data["derived"] == {"a": 1, "b": 3}


def test_positions_are_recorded_for_values_and_keys() -> None:
    _, positions = parse("source:\n  id: x\nevents:\n  - key: a\n    quote: words\n")
    assert positions.values[("events", 0, "quote")] == (5, 12)
    assert positions.keys[("events", 0, "quote")] == (5, 5)
    assert positions.of(("events", 0, "missing")) == (4, 5)


def test_a_control_character_is_refused_with_its_position(repo: Path) -> None:
    line = line_of(repo, "  language: en\n")
    edit(repo, "  language: en\n", "  language: e\x07n\n")
    assert error_for(repo) == f"{DOC}:{line}:14: invalid YAML: the character U+0007 is not allowed in YAML"


def test_a_document_read_again_is_a_fresh_copy_of_the_first_reading() -> None:
    text = "events:\n  - key: a\n    who: [x, y]\n"
    data, positions = parse(text)
    data["events"][0]["who"].append("z")
    positions.values.clear()
    again, positions_again = parse(text)
    assert again == {"events": [{"key": "a", "who": ["x", "y"]}]}
    assert positions_again.values[("events", 0, "who")] == (3, 10)
