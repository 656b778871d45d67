"""docs/checks.md maps every actionable line of the production guide; this keeps the map complete."""

from __future__ import annotations

import re

import pytest

from auditor.checklist import ITEMS_BY_ID
from auditor.guide_map import GUIDE_MAP
from auditor.registry import discover
from tests.conftest import ROOT

GUIDE = ROOT.parent / "shared" / "seed" / "production-deployment-guide.md"


def actionable_lines(text: str) -> list[str]:
    """List items at the margin, table rows below a header, and the scale YAML, Markdown stripped."""
    out: list[str] = []
    fence: str | None = None
    in_table = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("```"):
            fence = None if fence is not None else (line[3:].strip() or "code")
            in_table = False
            continue
        if fence is not None:
            if fence == "yaml" and line.strip():
                out.append(line.strip())
            continue
        if line.startswith("|"):
            if re.fullmatch(r"\|[-| :]+\|", line):
                continue
            if in_table:
                out.append(line)
            in_table = True  # the first row of a table is its header
            continue
        in_table = False
        if re.match(r"(- |\d+\. )", line):
            out.append(line)
    return [normalize(line) for line in out]


def normalize(line: str) -> str:
    line = re.sub(r"^(- \[ \] |- (?!name)|\d+\. |\| )", "", line.strip())
    return re.sub(r"\s+", " ", line.replace("**", "").replace("`", "")).strip()


@pytest.fixture(scope="module")
def guide_lines() -> list[str]:
    if not GUIDE.exists():
        pytest.skip(f"the guide is not beside this checkout ({GUIDE})")
    lines = actionable_lines(GUIDE.read_text(encoding="utf-8"))
    assert len(lines) > 80, "the guide's structure changed: the parser found too few actionable lines"
    return lines


def test_every_actionable_line_is_mapped_exactly_once(guide_lines):
    unmapped, ambiguous = [], []
    for line in guide_lines:
        keys = [entry.line for entry in GUIDE_MAP if line.startswith(entry.line)]
        if not keys:
            unmapped.append(line)
        elif len(keys) > 1:
            ambiguous.append((line, keys))
    assert unmapped == [] and ambiguous == []


def test_no_map_entry_is_stale(guide_lines):
    stale = [entry.line for entry in GUIDE_MAP if not any(line.startswith(entry.line) for line in guide_lines)]
    assert stale == []


def test_every_entry_names_real_checks_and_items_and_says_why():
    ids = {c.meta.id for c in discover(entry_points=False).checks}
    for entry in GUIDE_MAP:
        assert set(entry.checks) <= ids, (entry.line, set(entry.checks) - ids)
        assert not entry.item or entry.item in ITEMS_BY_ID, entry.line
        if entry.kind == "not provable from configuration":
            assert entry.reason, f"{entry.line}: say why configuration cannot prove it"


def test_the_catalogue_page_renders_the_map():
    page = (ROOT / "docs" / "checks.md").read_text()
    assert "## The production guide, line by line" in page
    for entry in GUIDE_MAP:
        assert "| " + entry.line.removesuffix(" |").replace("|", "\\|") + " |" in page, entry.line


def test_the_parser_sees_what_the_guide_asks():
    text = "| A | B |\n|---|---|\n| **Row** | x |\n- [ ] Item\n1. **Step** one\n"
    text += "```yaml\nkey: 1\n```\n```mermaid\nA-->B\n```"
    assert actionable_lines(text) == ["Row | x |", "Item", "Step one", "key: 1"]
