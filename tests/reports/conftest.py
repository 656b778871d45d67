from __future__ import annotations

import hashlib
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


def with_many_findings(report: dict, count: int) -> dict:
    """The report with `count` findings, copies of its own with distinct ids and fingerprints."""
    base = report["findings"]
    findings = []
    for i in range(count):
        source = base[i % len(base)]
        resource_id = f"{source['resourceId']}-{i}"
        fingerprint = hashlib.md5(f"{source['checkId']}|{resource_id}".encode()).hexdigest()
        findings.append(dict(source, resourceId=resource_id, fingerprint=fingerprint))
    return dict(report, findings=findings)
