from __future__ import annotations

import re
from pathlib import Path

from cnkz.docs import check_docs, write_docs
from cnkz.tables import TABLES, VOCABULARIES

from .conftest import ROOT


def test_generated_documents_are_current() -> None:
    assert check_docs(ROOT) == []


def test_a_hand_edit_of_the_codebook_is_stale_until_regenerated(repo: Path) -> None:
    codebook = repo / "docs" / "codebook.md"
    codebook.write_text(codebook.read_text(encoding="utf-8").replace("| `event_id` |", "| `eventid` |", 1), encoding="utf-8")
    assert [p.table for p in check_docs(repo)] == ["docs/codebook.md"]
    write_docs(repo)
    assert check_docs(repo) == []


def test_codebook_lists_every_field_and_vocabulary_value() -> None:
    text = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    for table in TABLES:
        section = text.split(f"## {table.name}\n")[1].split("\n## ")[0]
        assert re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.MULTILINE) == table.columns
    for vocabulary in VOCABULARIES:
        for code in vocabulary.codes:
            assert f"| `{code}` |" in text


def test_curation_guide_lists_the_code_vocabularies() -> None:
    text = (ROOT / "CURATION.md").read_text(encoding="utf-8")
    for vocabulary in VOCABULARIES:
        block = text.split(f"- `{vocabulary.name}`:\n")[1].split("\n- `")[0]
        assert re.findall(r"^  - `([^`]+)`", block, re.MULTILINE) == vocabulary.codes
