"""A resource type spelled with a trailing `/` or `.` (or an empty segment) would match no check's
type and drop out of the audit silently: it is bad input, one line, exit 2 (issue 11 §1)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, golive

ODD = ["Microsoft.KeyVault/vaults/", "Microsoft.KeyVault/vaults.", "Microsoft.KeyVault//vaults", ".Microsoft/x"]


@pytest.mark.parametrize("spelled", ODD)
@pytest.mark.parametrize("command", ["validate", "audit"])
def test_an_odd_type_spelling_is_rejected_in_one_line(tmp_path, spelled, command):
    document = json.loads((FIXTURES / "hardened.json").read_text())
    vault = next(r for r in document["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    vault["type"] = spelled
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(document))
    args = ["validate", str(path)] if command == "validate" else ["audit", "--snapshot", str(path), "-o", str(tmp_path)]
    run = golive(*args)
    assert run.code == 2, run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert f"{spelled!r} is not an ARM resource type" in run.err and "type" in run.err
    assert not (tmp_path / "golive-report.json").exists()
