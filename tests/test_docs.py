"""docs/checks.md is generated from the checks' metadata and must be up to date."""

from __future__ import annotations

import subprocess
import sys

from auditor.registry import discover
from tests.conftest import ROOT


def test_docs_checks_md_is_up_to_date():
    generated = subprocess.run(
        [sys.executable, "-m", "auditor.docs"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    committed = (ROOT / "docs" / "checks.md").read_text()
    assert committed == generated, "regenerate: .venv/bin/python -m auditor.docs > docs/checks.md"


def test_the_catalogue_page_lists_every_builtin_check_once():
    page = (ROOT / "docs" / "checks.md").read_text()
    ids = [c.meta.id for c in discover(entry_points=False).checks]
    assert ids
    for check_id in ids:
        assert page.count(f"| `{check_id}` |") == 1, check_id
    assert page.rstrip().endswith(f"{len(ids)} checks.")
