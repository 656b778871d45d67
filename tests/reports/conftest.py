from __future__ import annotations

from pathlib import Path

import pytest

from auditor import snapshot
from auditor.audit import AuditRequest, run_audit
from tests.conftest import FIXTURES

EMPTY = {
    "snapshotVersion": "1",
    "scope": {"subscriptions": [], "collectedAt": "2026-11-20T00:00:00Z", "tool": {"name": "golive", "version": "0"}},
    "resources": [],
    "coverage": [],
}


def audit(name: str, **kwargs) -> dict:
    snap = snapshot.from_document(EMPTY, "empty") if name == "empty" else snapshot.load(FIXTURES / f"{name}.json")
    return run_audit(AuditRequest(snapshot=snap, **kwargs))


@pytest.fixture(scope="session")
def reports() -> dict[str, dict]:
    return {name: audit(name) for name in ("demo", "hardened", "hostile", "empty")}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
