"""The collector, with the real Azure SDK clients, against the fake ARM over HTTPS."""

from __future__ import annotations

import json

import pytest

from auditor.audit import AuditRequest, load_catalogue, run_audit
from auditor.collect.auth import Target
from auditor.collect.collector import Options, collect
from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
from auditor.inventory import Inventory
from auditor.snapshot import load
from auditor.testing.fake_arm import FakeArm, Fault
from tests.conftest import FIXTURES, golive

CHECKS = load_catalogue([]).checks
NEEDED = {t for c in CHECKS for t in c.meta.needs}
DIAG_TARGETS = {t for c in CHECKS if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("GOLIVE_ACCESS_TOKEN", "test-token")


def document(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def run(arm: FakeArm, doc: dict, **overrides):
    options = Options(
        target=Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle),
        subscriptions=[s["subscriptionId"] for s in doc["scope"]["subscriptions"]],
        backoff=0.01,
        retry_after_cap=0.2,
        **overrides,
    )
    return collect(make_plan(NEEDED, options.inspect_app_settings), DIAG_TARGETS, options)


def needed_ids(doc: dict) -> set[str]:
    wanted = {t.lower() for t in NEEDED}
    return {r["id"].lower() for r in doc["resources"] if r["type"].lower() in wanted}


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
    assert any("skiptoken" in entry.query for entry in log)  # nextLink paging was followed
    assert all("api-version=" in entry.query for entry in log)
    assert stats.requests == len(log) and stats.failures == 0


def test_collected_snapshot_audits_like_the_original():
    doc = document("hardened")
    with FakeArm(doc, page_size=5) as arm:
        snap, _ = run(arm, doc)
    original = run_audit(AuditRequest(snapshot=load(FIXTURES / "hardened.json")))
    collected = run_audit(AuditRequest(snapshot=snap))
    key = lambda report: sorted((f["checkId"], f["resourceId"].lower(), f["status"]) for f in report["findings"])  # noqa: E731
    assert key(collected) == key(original)


def test_throttling_and_server_errors_are_retried_and_counted():
    doc = document("demo")
    faults = [
        Fault(r"/providers/microsoft.keyvault/vaults$", status=429, retry_after=0.05, times=2),
        Fault(r"/providers/microsoft.cache/redis$", status=500, times=1),
        Fault(r"/providers/microsoft.app/containerapps$", status=503, times=1),
    ]
    with FakeArm(doc, faults=faults) as arm:
        snap, stats = run(arm, doc)
    assert stats.throttled == 2 and stats.server_errors == 2
    assert stats.failures == 0 and {r["id"].lower() for r in snap.resources} == needed_ids(doc)


def test_forbidden_type_is_recorded_and_not_assessed_with_the_permission():
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


def test_malformed_body_and_dropped_connection_are_reported_not_crashed_on():
    doc = document("demo")
    faults = [
        Fault(r"/providers/microsoft.documentdb/databaseaccounts$", malformed=True),
        Fault(r"/providers/microsoft.keyvault/vaults$", drop=True),
    ]
    with FakeArm(doc, faults=faults) as arm:
        snap, _ = run(arm, doc, retries=1)
    codes = {(c["type"], c["errorCode"]) for c in snap.coverage if not c["collected"]}
    assert ("Microsoft.DocumentDB/databaseAccounts", "MalformedResponse") in codes
    assert ("Microsoft.KeyVault/vaults", "ConnectionFailed") in codes
    inventory = Inventory(snap)
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
    assert "MalformedResponse" in inventory.gap("Microsoft.DocumentDB/databaseAccounts", sub)


def test_unregistered_provider_means_empty_and_nothing_is_registered():
    doc = document("demo")
    faults = [Fault(r"/providers/microsoft.cdn/profiles$", status=409, code="MissingSubscriptionRegistration")]
    with FakeArm(doc, faults=faults) as arm:
        snap, _ = run(arm, doc)
        log = list(arm.log)
    assert not any(e.method != "GET" or "register" in e.path.lower() for e in log)
    assert not any(c["type"] == "Microsoft.Cdn/profiles" and not c["collected"] for c in snap.coverage)


def test_only_collects_less():
    doc = document("hardened")
    few = [c for c in CHECKS if c.meta.id.startswith("keyvault.")]
    needed = {t for c in few for t in c.meta.needs}
    with FakeArm(doc) as arm:
        options = Options(
            target=Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle),
            subscriptions=[doc["scope"]["subscriptions"][0]["subscriptionId"]],
        )
        snap, stats = collect(make_plan(needed), {"Microsoft.KeyVault/vaults"}, options)
    assert {r["type"] for r in snap.resources} == {"Microsoft.KeyVault/vaults", "Microsoft.Insights/diagnosticSettings"}
    assert stats.requests < 10


def test_unknown_subscription_is_an_input_error():
    from auditor.model import InputError

    doc = document("demo")
    with FakeArm(doc) as arm, pytest.raises(InputError, match="not visible"):
        collect(
            make_plan(NEEDED),
            DIAG_TARGETS,
            Options(target=Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle), subscriptions=["nope"]),
        )


def test_fake_arm_requires_api_version_and_refuses_writes():
    import ssl
    import urllib.request

    doc = document("demo")
    with FakeArm(doc) as arm:
        context = ssl.create_default_context(cafile=arm.ca_bundle)
        with pytest.raises(urllib.request.HTTPError) as missing:
            urllib.request.urlopen(f"{arm.url}/subscriptions", context=context)
        assert missing.value.code == 400
        request = urllib.request.Request(
            f"{arm.url}/subscriptions/x/providers/y/register?api-version=1", method="POST", data=b""
        )
        with pytest.raises(urllib.request.HTTPError) as refused:
            urllib.request.urlopen(request, context=context)
        assert refused.value.code == 405
        sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
        url = f"{arm.url}/SUBSCRIPTIONS/{sub.upper()}/providers/microsoft.KEYVAULT/vaults?api-version=2023-07-01"
        with urllib.request.urlopen(url, context=context) as response:
            assert [v["name"] for v in json.load(response)["value"]] == ["kv-voice-prod"]


@pytest.mark.parametrize("name", ["demo", "hardened"])
def test_audit_subscription_end_to_end(tmp_path, name):
    doc = document(name)
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
    with FakeArm(doc, page_size=4) as arm:
        result = golive(
            "audit",
            "--subscription",
            sub,
            "--arm-endpoint",
            arm.url,
            "--ca-bundle",
            arm.ca_bundle,
            "-o",
            str(tmp_path / "live"),
            "--save-snapshot",
            str(tmp_path / "snap.json.gz"),
            env={"GOLIVE_ACCESS_TOKEN": "t"},
        )
    offline = golive("audit", "--snapshot", str(FIXTURES / f"{name}.json"), "-o", str(tmp_path / "offline"), "-q")
    assert result.code == offline.code == (1 if name == "demo" else 0), result.err
    live = json.loads((tmp_path / "live" / "golive-report.json").read_text())
    saved = json.loads((tmp_path / "offline" / "golive-report.json").read_text())
    key = lambda report: sorted((f["checkId"], f["resourceId"].lower(), f["status"]) for f in report["findings"])  # noqa: E731
    assert key(live) == key(saved)
    assert (tmp_path / "snap.json.gz").exists()
    assert "requests" in result.err


def test_collect_command_writes_a_valid_snapshot(tmp_path):
    doc = document("demo")
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
    with FakeArm(doc) as arm:
        result = golive(
            "collect",
            "--subscription",
            sub,
            "--arm-endpoint",
            arm.url,
            "--ca-bundle",
            arm.ca_bundle,
            "-o",
            str(tmp_path / "s.json"),
            env={"GOLIVE_ACCESS_TOKEN": "t"},
        )
        everything = golive(
            "collect",
            "--all-subscriptions",
            "--arm-endpoint",
            arm.url,
            "--ca-bundle",
            arm.ca_bundle,
            "-o",
            str(tmp_path / "all.json"),
            env={"GOLIVE_ACCESS_TOKEN": "t"},
        )
    assert result.code == 0, result.err
    assert everything.code == 0, everything.err
    assert golive("validate", str(tmp_path / "s.json")).code == 0
    assert golive("collect", "-o", str(tmp_path / "x.json")).code == 2


def test_app_settings_only_on_request_and_redacted_at_collection():
    from tests.checks.helpers import arm_id

    doc = document("demo")
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
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
    assert stats.methods == {"GET", "POST"}
    text = json.dumps(with_settings.to_document())
    assert "c2VjcmV0" not in text and "hunter2" not in text
    report = run_audit(AuditRequest(snapshot=with_settings))
    verdict = {f["checkId"]: f["status"] for f in report["findings"] if f["resourceName"] == "web-voice"}
    assert verdict["secrets.appservice-settings"] == "fail" and verdict["monitor.workload-telemetry"] == "pass"
    plain = run_audit(AuditRequest(snapshot=without))
    verdict = {f["checkId"]: f["status"] for f in plain["findings"] if f["resourceName"] == "web-voice"}
    assert verdict["secrets.appservice-settings"] == "not_assessed"
