"""Collection of the types the AI, resilience, messaging and memory checks read, through the real SDK
clients against the fake ARM."""

from __future__ import annotations

from auditor.audit import AuditRequest, run_audit
from auditor.testing.fake_arm import FakeArm, Fault
from tests.collect.conftest import document, run


def statuses(snap, check_id: str) -> dict[str, tuple[str, str]]:
    report = run_audit(AuditRequest(snapshot=snap))
    return {
        f["resourceName"]: (f["status"], f["evidence"]["message"])
        for f in report["findings"]
        if f["checkId"] == check_id
    }


def test_lifecycle_policies_are_read_by_name_not_listed():
    # ARM has no list operation for managementPolicies (storage.json: only .../managementPolicies/{name}).
    doc = document("hardened")
    with FakeArm(doc) as arm:
        snap, stats = run(arm, doc)
        paths = [e.path.lower() for e in arm.log]
    assert stats.failures == 0
    assert any(p.endswith("/storageaccounts/stvoiceprod/managementpolicies/default") for p in paths)
    assert not any(p.endswith("/managementpolicies") for p in paths)
    assert statuses(snap, "memory.blob-lifecycle")["stvoiceprod"][0] == "pass"


def test_an_account_without_a_lifecycle_policy_is_judged_not_a_gap():
    doc = document("demo")  # its storage account has no managementPolicies/default: ARM answers 404
    with FakeArm(doc) as arm:
        snap, stats = run(arm, doc)
    assert stats.failures == 0
    assert statuses(snap, "memory.blob-lifecycle")["stvoiceprod"][0] == "fail"


def test_new_child_and_subscription_types_are_collected():
    doc = document("hardened")
    with FakeArm(doc, page_size=1) as arm:
        snap, _ = run(arm, doc)
    types = {r["type"].lower() for r in snap.resources}
    assert {
        "microsoft.cognitiveservices/accounts/deployments",
        "microsoft.cognitiveservices/accounts/raipolicies",
        "microsoft.security/pricings",
        "microsoft.servicebus/namespaces/queues",
        "microsoft.eventgrid/systemtopics",
        "microsoft.eventgrid/systemtopics/eventsubscriptions",
        "microsoft.cache/redis/linkedservers",
        "microsoft.storage/storageaccounts/blobservices",
        "microsoft.storage/storageaccounts/managementpolicies",
        "microsoft.containerregistry/registries/replications",
        "microsoft.documentdb/databaseaccounts/sqldatabases/containers",
    } <= types


def test_defender_plans_forbidden_is_not_assessed_with_the_permission():
    doc = document("hardened")
    with FakeArm(doc, faults=[Fault(r"/providers/microsoft\.security/pricings$", status=403)]) as arm:
        snap, stats = run(arm, doc, retries=0)
    assert stats.failures == 1
    [(status, message)] = statuses(snap, "security.defender-plans").values()
    assert status == "not_assessed" and "Microsoft.Security/pricings/read" in message
