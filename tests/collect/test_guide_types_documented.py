"""Issue 14's done-when: collection, the fake ARM, the least-privilege role and docs/collecting.md cover
every type the AI, resilience, messaging, memory and Defender checks read. The types come from the
checks' own metadata, so a new read in one of these checks must be planned, granted, documented and
read through the real SDK clients from the fake ARM."""

from __future__ import annotations

import json
import re

import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.collect.plan import api_version
from auditor.registry import discover
from auditor.testing.fake_arm import FakeArm
from tests.collect.conftest import document, run
from tests.conftest import ROOT

GUIDE_CHECKS = ("ai.", "dr.", "memory.", "messaging.", "security.defender-plans")


def _types() -> list[str]:
    catalogue = discover(entry_points=False)
    return sorted({t for c in catalogue.checks if c.meta.id.startswith(GUIDE_CHECKS) for t in c.meta.needs})


def _route(rtype: str) -> re.Pattern[str]:
    """The ARM path of a type's list or GET: /providers/ns/a/{name}/b/{name}/c."""
    namespace, first, *rest = rtype.lower().split("/")
    return re.compile(re.escape(f"/providers/{namespace}/{first}") + "".join(f"/[^/]+/{re.escape(s)}" for s in rest))


def _mongo_cluster(doc: dict) -> dict:
    """MongoClusters_Get.json (cosmos-db/mongocluster, 2025-09-01) in the hardened subscription and group."""
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/rg-voice-prod/providers/Microsoft.DocumentDB/mongoClusters/"
        "mongo-voice",
        "name": "mongo-voice",
        "type": "Microsoft.DocumentDB/mongoClusters",
        "location": "eastus2",
        "properties": {
            "provisioningState": "Succeeded",
            "serverVersion": "7.0",
            "highAvailability": {"targetMode": "ZoneRedundantPreferred"},
            "publicNetworkAccess": "Disabled",
        },
    }


@pytest.fixture(scope="module")
def collected():
    doc = document("hardened")
    doc["resources"].append(_mongo_cluster(doc))
    with pytest.MonkeyPatch.context() as patch, FakeArm(doc) as arm:
        patch.setenv("GOLIVE_ACCESS_TOKEN", "test-token")  # the fake ARM accepts any bearer token
        snap, stats = run(arm, doc)
        paths = [e.path.lower() for e in arm.log]
    return snap, stats, paths


@pytest.mark.parametrize("rtype", _types())
def test_each_type_is_planned_granted_and_read_from_the_fake_arm(rtype, collected):
    assert api_version(rtype), f"{rtype} has no api-version in auditor/collect/plan.py"
    role = json.loads((ROOT / "docs" / "golive-reader-role.json").read_text())
    assert f"{rtype.lower()}/read" in {action.lower() for action in role["Actions"]}
    _, stats, paths = collected
    assert stats.failures == 0
    assert any(_route(rtype).search(path) for path in paths), f"no request for {rtype}"


def test_a_collected_mongo_vcore_cluster_is_judged(collected):
    snap, _, _ = collected
    report = run_audit(AuditRequest(snapshot=snap))
    found = {f["resourceName"]: f["status"] for f in report["findings"] if f["checkId"] == "dr.mongo-vcore-ha"}
    assert found == {"mongo-voice": "pass"}


@pytest.mark.parametrize(
    "rtype", [t for t in _types() if t.count("/") >= 2 and not t.startswith("Microsoft.ApiManagement/")]
)
def test_each_child_type_is_named_in_collecting_md(rtype):
    # Top-level types are covered by "a list per subscription"; API Management's children are named in prose.
    assert rtype.split("/", 1)[1] in (ROOT / "docs" / "collecting.md").read_text()
