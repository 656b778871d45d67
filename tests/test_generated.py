"""Generated files are up to date: the check catalogue page and the built fixtures."""

import json
import subprocess
import sys

import pytest

from auditor.snapshot import validate_document
from tests.conftest import FIXTURES, ROOT


def test_docs_checks_md_is_up_to_date():
    generated = subprocess.run(
        [sys.executable, "-m", "auditor.docs"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert (ROOT / "docs" / "checks.md").read_text() == generated, "run: python -m auditor.docs > docs/checks.md"


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "parts").iterdir() if p.is_dir()))
def test_fixture_is_built_from_its_parts(name):
    sys.path.insert(0, str(FIXTURES))
    try:
        import build
    finally:
        sys.path.pop(0)
    expected = build.build(name, build.needed_types())
    assert (FIXTURES / f"{name}.json").read_text() == expected, "run: python fixtures/build.py"
    validate_document(json.loads(expected), "snapshot.schema.json", name)
