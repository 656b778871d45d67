"""The collector, with the real Azure SDK clients, against the fake ARM over HTTPS."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from auditor.audit import AuditRequest, run_audit
from auditor.collect.arm import Reader
from auditor.collect.auth import ReadOnlyPolicy, Target
from auditor.collect.collector import Options, collect
from auditor.collect.plan import CLIENTS, make_plan
from auditor.inventory import Inventory, listed_type
from auditor.model import InputError
from auditor.snapshot import load
from auditor.testing.fake_arm import FakeArm, Fault
from tests.collect.conftest import CHECKS, NEEDED, document, needed_ids, run, subscriptions_of
from tests.conftest import FIXTURES


def statuses(snap, prefix: str) -> dict[tuple[str, str], str]:
    report = run_audit(AuditRequest(snapshot=snap))
    return {
        (f["checkId"], f["resourceName"]): f["status"] for f in report["findings"] if f["checkId"].startswith(prefix)
    }


@pytest.mark.parametrize("name", ["demo", "hardened"])
def test_collect_gives_back_the_snapshot(name):
    doc = document(name)
    with FakeArm(doc, page_size=1) as arm:
        snap, stats = run(arm, doc)
        log = list(arm.log)
    assert {r["id"].lower() for r in snap.resources} == needed_ids(doc)
    original = {r["id"].lower(): r for r in doc["resources"]}
    for resource in snap.resources:
        assert resource == original[resource["id"].lower()]  # raw wire JSON, untouched
    assert {entry.method for entry in log} == {"GET"} and stats.methods == {"GET"}
    assert not any("listkeys" in e.path.lower() or "listsecrets" in e.path.lower() for e in log)
    assert any("skiptoken" in entry.query for entry in log)  # nextLink paging was followed
    assert all("api-version=" in entry.query for entry in log)
    assert stats.requests == len(log) and stats.failures == 0 and stats.retries == 0
    # every planned type is covered, with the number of resources read
    counted = {(c["subscriptionId"], c["type"].lower()): c["count"] for c in snap.coverage if c["collected"]}
    for sub in subscriptions_of(doc):
        for rtype in make_plan(NEEDED).types:
            expected = sum(1 for r in doc["resources"] if listed_type(r).lower() == rtype.lower())
            assert counted[(sub, rtype.lower())] == expected, rtype


def test_policy_xml_is_asked_for_raw():
    doc = document("hardened")
    with FakeArm(doc) as arm:
        run(arm, doc)
        policy_reads = [e for e in arm.log if e.path.lower().endswith("/policies")]
    assert policy_reads and all("format=rawxml" in e.query for e in policy_reads)


def test_throttling_and_server_errors_are_retried_and_counted():
    doc = document("demo")
    faults = [
        Fault(r"/providers/microsoft.keyvault/vaults$", status=429, retry_after=0.15, times=2),
        Fault(r"/providers/microsoft.cache/redis$", status=500, times=1),
        Fault(r"/providers/microsoft.app/containerapps$", status=503, times=1),
    ]
    with FakeArm(doc, faults=faults) as arm:
        snap, stats = run(arm, doc, retry_after_cap=5.0)
        vault_reads = [e for e in arm.log if e.path.lower().endswith("microsoft.keyvault/vaults")]
    assert stats.throttled == 2 and stats.server_errors == 2 and stats.retries == 4
    assert stats.failures == 0 and {r["id"].lower() for r in snap.resources} == needed_ids(doc)
    assert [e.status for e in vault_reads] == [429, 429, 200]
    assert all(b.at - a.at >= 0.14 for a, b in itertools.pairwise(vault_reads))  # Retry-After honoured


def test_retry_after_is_capped():
    doc = document("demo")
    faults = [Fault(r"/providers/microsoft.keyvault/vaults$", status=429, retry_after=600, times=1)]
    with FakeArm(doc, faults=faults) as arm:
        start = time.monotonic()
        _, stats = run(arm, doc, retry_after_cap=0.2)
    assert time.monotonic() - start < 20 and stats.throttled == 1 and stats.failures == 0


def test_timeouts_are_retried_then_recorded():
    doc = document("demo")
    faults = [Fault(r"/providers/microsoft.keyvault/vaults$", status=200, delay=2.5)]
    with FakeArm(doc, faults=faults) as arm:
        snap, stats = run(arm, doc, timeout=1.0, retries=1)
    failed = [c for c in snap.coverage if not c["collected"] and c["type"] == "Microsoft.KeyVault/vaults"]
    assert [c["errorCode"] for c in failed] == ["Timeout"]
    assert "permission" not in failed[0]  # nothing was denied: a timeout names no missing permission
    assert stats.connection_errors >= 2 and stats.retries >= 1
    found = statuses(snap, "keyvault.")
    assert found and set(found.values()) == {"not_assessed"}


def test_forbidden_child_type_is_not_assessed_with_the_permission_named():
    doc = document("hardened")
    faults = [Fault(r"/apis/[^/]+/policies$", status=403)]
    with FakeArm(doc, faults=faults) as arm:
        snap, _ = run(arm, doc)
    failures = [c for c in snap.coverage if not c["collected"]]
    assert failures and {f["permission"] for f in failures} == {"Microsoft.ApiManagement/service/apis/policies/read"}
    assert {f["errorCode"] for f in failures} == {"AuthorizationFailed"}
    report = run_audit(AuditRequest(snapshot=snap))
    rate = [f for f in report["findings"] if f["checkId"] == "apim.rate-limit"]
    assert rate and {f["status"] for f in rate} == {"not_assessed"}
    assert all("Microsoft.ApiManagement/service/apis/policies/read" in f["evidence"]["message"] for f in rate)
    # what did not depend on the forbidden type is still judged
    assert any(f["status"] == "pass" for f in report["findings"] if f["checkId"].startswith("network."))


def test_a_failure_for_one_parent_leaves_the_others_judged():
    doc = document("hardened")
    apis = [r for r in doc["resources"] if r["type"].lower() == "microsoft.apimanagement/service/apis"]
    denied = apis[0]["name"].lower()
    with FakeArm(doc, faults=[Fault(rf"/apis/{denied}/policies$", status=403)]) as arm:
        snap, _ = run(arm, doc)
    (failure,) = [c for c in snap.coverage if not c["collected"]]
    assert failure["scope"].lower() == apis[0]["id"].lower()
    original = statuses(load(FIXTURES / "hardened.json"), "apim.")
    collected = statuses(snap, "apim.")
    changed = {key for key in original if original[key] != collected[key]}
    assert changed and {collected[key] for key in changed} == {"not_assessed"}
    assert any(status != "not_assessed" for status in collected.values())


def test_a_forbidden_parent_makes_everything_below_it_a_gap():
    doc = document("hardened")
    with FakeArm(doc, faults=[Fault(r"/providers/microsoft.apimanagement/service$", status=403)]) as arm:
        snap, _ = run(arm, doc)
    sub = subscriptions_of(doc)[0]
    failed = {c["type"] for c in snap.coverage if not c["collected"]}
    assert {"Microsoft.ApiManagement/service", "Microsoft.ApiManagement/service/apis/policies"} <= failed
    assert not any(
        c["collected"] and c["type"].startswith("Microsoft.ApiManagement/service") for c in snap.coverage
    )  # a read denied for the whole subscription is not also "collected, 0 found"
    gap = Inventory(snap).gap("Microsoft.ApiManagement/service/apis/policies", sub)
    assert gap and "Microsoft.ApiManagement/service/read" in gap


def test_malformed_bodies_and_dropped_connections_are_reported_not_crashed_on():
    doc = document("demo")
    faults = [
        Fault(r"/providers/microsoft.documentdb/databaseaccounts$", malformed=True),
        Fault(r"/providers/microsoft.storage/storageaccounts$", status=200, body='{"items": []}'),
        Fault(r"/providers/microsoft.keyvault/vaults$", drop=True),
    ]
    with FakeArm(doc, faults=faults) as arm:
        snap, stats = run(arm, doc, retries=1)
    codes = {(c["type"], c["errorCode"]) for c in snap.coverage if not c["collected"]}
    assert ("Microsoft.DocumentDB/databaseAccounts", "MalformedResponse") in codes
    assert ("Microsoft.Storage/storageAccounts", "MalformedResponse") in codes
    assert ("Microsoft.KeyVault/vaults", "NoResponse") in codes
    assert stats.connection_errors == 2  # the dropped read was retried once
    sub = subscriptions_of(doc)[0]
    assert "MalformedResponse" in Inventory(snap).gap("Microsoft.DocumentDB/databaseAccounts", sub)
    found = statuses(snap, "network.cosmos.")
    assert found and set(found.values()) == {"not_assessed"}


def test_unregistered_provider_means_none_and_nothing_is_registered():
    doc = document("demo")
    faults = [Fault(r"/providers/microsoft.cdn/profiles$", status=409, code="MissingSubscriptionRegistration")]
    with FakeArm(doc, faults=faults) as arm:
        snap, _ = run(arm, doc)
        log = list(arm.log)
    assert any(e.status == 409 for e in log)
    assert not any(e.method != "GET" or "register" in e.path.lower() for e in log)
    assert [c["collected"] for c in snap.coverage if c["type"] == "Microsoft.Cdn/profiles"] == [True]


def test_every_client_pipeline_is_read_only_and_never_registers_providers():
    from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy

    reader = Reader(Target(arm_endpoint="https://127.0.0.1:9"))
    for prefix in CLIENTS:
        policies = [getattr(p, "_policy", p) for p in reader.pipeline(prefix)._pipeline._impl_policies]
        assert not any(isinstance(p, ARMAutoResourceProviderRegistrationPolicy) for p in policies), prefix
        assert any(isinstance(p, ReadOnlyPolicy) for p in policies), prefix
    doc = document("demo")
    with FakeArm(doc) as arm:
        reader = Reader(Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle))
        vault = next(r for r in doc["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
        with pytest.raises(PermissionError):
            reader.request("POST", f"{vault['id']}/listKeys?api-version=2023-07-01", vault["type"])
        with pytest.raises(PermissionError):  # the settings list action only with --inspect-app-settings
            reader.request("POST", f"{vault['id']}/config/appsettings/list?api-version=1", "Microsoft.Web/sites")
        assert arm.log == []


def test_only_collects_less():
    doc = document("hardened")
    few = {t for c in CHECKS if c.meta.id.startswith("keyvault.") for t in c.meta.needs}
    with FakeArm(doc) as arm:
        snap, stats = run(arm, doc, needed=few)
        _, all_stats = run(arm, doc)
    assert {r["type"] for r in snap.resources} == {"Microsoft.KeyVault/vaults", "Microsoft.Insights/diagnosticSettings"}
    vaults = {i for i in needed_ids(doc, {"Microsoft.KeyVault/vaults"})}
    settings = {
        i
        for i in needed_ids(doc, {"Microsoft.Insights/diagnosticSettings"})
        if i.split("/providers/microsoft.insights")[0] in vaults
    }
    assert vaults and settings and {r["id"].lower() for r in snap.resources} == vaults | settings
    assert stats.requests * 5 < all_stats.requests


def test_resource_group_filter():
    doc = document("hardened")
    vault = next(r for r in doc["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    wanted = vault["id"].split("/")[4]
    other = {
        **vault,
        "name": "kv-other",
        "id": vault["id"].replace(f"/{wanted}/", "/rg-other/").rsplit("/", 1)[0] + "/kv-other",
    }
    doc["resources"].append(other)
    with FakeArm(doc) as arm:
        snap, _ = run(arm, doc, resource_groups=[wanted, wanted.upper(), "rg-missing"])
        rg_reads = [e for e in arm.log if "/resourcegroups/" in e.path.lower()]

    def group(rid: str) -> str | None:  # budgets belong to the subscription, which the filter does not narrow
        parts = rid.lower().split("/")
        return parts[4] if parts[3] == "resourcegroups" else None

    in_group = {i for i in needed_ids(doc) if group(i) in (wanted.lower(), None)}
    assert any(group(i) for i in in_group) and len(in_group) < len(needed_ids(doc))
    assert {r["id"].lower() for r in snap.resources} == in_group
    assert snap.scope["resourceGroups"]
    missing = [c for c in snap.coverage if not c["collected"]]
    assert missing and all(c["scope"].endswith("/resourceGroups/rg-missing") for c in missing)
    # the repeated group is read once (per api-version: scheduled query rules are listed at two)
    assert len({(e.path.lower(), e.query) for e in rg_reads}) == len(rg_reads)


def test_subscriptions_that_cannot_be_read_are_input_errors(tmp_path):
    doc = document("demo")
    with FakeArm(doc) as arm, pytest.raises(InputError, match="not visible"):
        run(arm, doc, subscriptions=["00000000-0000-0000-0000-00000000dead"])
    denied = FakeArm(doc, faults=[Fault(r"^/subscriptions$", status=403)])
    with denied as arm, pytest.raises(InputError, match="cannot list subscriptions: AuthorizationFailed"):
        run(arm, doc)
    with FakeArm(doc) as arm:
        ca_bundle = tmp_path / "ca.pem"
        ca_bundle.write_text(Path(arm.ca_bundle).read_text())
        url = arm.url
    options = Options(target=Target(arm_endpoint=url, ca_bundle=str(ca_bundle)), subscriptions=["x"], retries=0)
    with pytest.raises(InputError, match="cannot list subscriptions: ConnectionFailed"):
        collect(make_plan(NEEDED), set(), options)


def test_app_settings_only_on_request_and_redacted_at_collection():
    from tests.checks.helpers import arm_id

    doc = document("demo")
    sub = subscriptions_of(doc)[0]
    site_id = arm_id("Microsoft.Web/sites", "web-voice", rg="rg-voice-prod", sub=sub)
    site = {
        "id": site_id,
        "name": "web-voice",
        "type": "Microsoft.Web/sites",
        "kind": "app",
        "location": "eastus2",
        "identity": {"type": "SystemAssigned"},
        "properties": {"state": "Running", "publicNetworkAccess": "Disabled"},
    }
    doc["resources"].append(site)
    secret = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0Cg==;"
    settings = {
        site_id: {
            "appsettings": {
                "STORAGE": secret,
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey="
                "00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://x/",
            },
            "connectionstrings": {"db": {"value": "Server=x;Password=hunter2;", "type": "SQLAzure"}},
        }
    }
    with FakeArm(doc, site_settings=settings) as arm:
        without, _ = run(arm, doc)
        assert not any(e.method == "POST" for e in arm.log)
        with_settings, stats = run(arm, doc, inspect_app_settings=True)
        posts = [e.path for e in arm.log if e.method == "POST"]
    assert stats.methods == {"GET", "POST"}
    assert sorted(p.rsplit("/", 2)[1] for p in posts) == ["appsettings", "connectionstrings"]
    text = repr(with_settings.to_document())
    assert "c2VjcmV0" not in text and "hunter2" not in text
    stored = next(r for r in with_settings.resources if r["id"] == f"{site_id}/config/appsettings")
    assert stored["properties"]["STORAGE"]["secret"] is True
    report = run_audit(AuditRequest(snapshot=with_settings))
    verdict = {f["checkId"]: f["status"] for f in report["findings"] if f["resourceName"] == "web-voice"}
    assert verdict["secrets.appservice-settings"] == "fail" and verdict["monitor.workload-telemetry"] == "pass"
    plain = run_audit(AuditRequest(snapshot=without))
    verdict = {f["checkId"]: f["status"] for f in plain["findings"] if f["resourceName"] == "web-voice"}
    assert verdict["secrets.appservice-settings"] == "not_assessed"
