"""Checks over Application Insights components, public IP addresses and App Service app settings in
the shapes of the published azure-rest-api-specs example responses (our own names and values):

- specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/examples/ComponentsGet.json:
  PascalCase properties (Application_Type, WorkspaceResourceId, ConnectionString, IngestionMode),
  `tags` returned as an empty string, no DisableLocalAuth (ARM's default: keys accepted). Resource
  Graph spells the type "microsoft.insights/components"; both spellings are judged alike.
- specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/examples/PublicIpAddressGet.json:
  a Dynamic IPv4 address without `ipAddress` (not yet allocated); and the entry of
  .../2024-05-01/examples/PublicIpAddressList.json that carries an allocated `ipAddress`.
- specification/web/resource-manager/Microsoft.Web/stable/2024-04-01/examples/ListAppSettings.json
  (2023-12-01, the api-version golive reads, publishes the same StringDictionary body only as the 200
  response of .../2023-12-01/examples/UpdateAppSettings.json): id ".../config/appsettings", name
  "appsettings", type "Microsoft.Web/sites/config", kind, properties mapping names to string values.
  No example is published for the connection strings list; its body follows the
  ConnectionStringDictionary schema of WebApps.json (name -> {value, type}).
  golive never stores these bodies: the collector redacts them, so the tests collect them from the
  local fake ARM with the real collector and judge what it stores.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.collect.auth import Target
from auditor.collect.collector import Options, collect
from auditor.collect.plan import make_plan
from auditor.testing.fake_arm import FakeArm
from tests.checks.helpers import RG, SUB, arm_id, run_check

# Obviously fake values; none may ever appear in evidence.
FAKE_IKEY = "00000000-0000-0000-0000-0000000000aa"
FAKE_SPEECH_KEY = "fake-speech-key-not-a-real-one"
FAKE_DB_PASSWORD = "not-a-real-password"

COMPONENT = "Microsoft.Insights/components"
WORKSPACE_ID = f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.operationalinsights/workspaces/log-voice"


def _status(check_id: str, resources: list[dict], **kwargs: Any) -> str:
    (finding,) = run_check(check_id, resources, **kwargs)
    return finding.status.value


def _only(check_id: str, resources: list[dict], **kwargs: Any):
    (finding,) = run_check(check_id, resources, **kwargs)
    return finding


def _evidence_text(finding) -> str:
    return json.dumps(finding.evidence, default=str)


# --- Application Insights components (ComponentsGet.json) -------------------------------------


def example_component(rtype: str = COMPONENT) -> dict:
    return {
        "id": arm_id(COMPONENT, "appi-voice"),
        "name": "appi-voice",
        "type": rtype,
        "location": "East US 2",
        "tags": "",
        "kind": "web",
        "properties": {
            "ApplicationId": "appi-voice",
            "AppId": "00000000-0000-0000-0000-0000000000bb",
            "Application_Type": "web",
            "Flow_Type": "Bluefield",
            "Request_Source": "rest",
            "InstrumentationKey": FAKE_IKEY,
            "CreationDate": "2026-01-24T01:05:38.5934061+00:00",
            "TenantId": "00000000-0000-0000-0000-0000000000cc",
            "HockeyAppId": "",
            "HockeyAppToken": "",
            "provisioningState": "Succeeded",
            "SamplingPercentage": 100.0,
            "WorkspaceResourceId": WORKSPACE_ID,
            "ConnectionString": f"InstrumentationKey={FAKE_IKEY}",
            "DisableIpMasking": False,
            "publicNetworkAccessForQuery": "Enabled",
            "publicNetworkAccessForIngestion": "Enabled",
            "IngestionMode": "LogAnalytics",
            "LinkedStorages": {"ServiceProfilerLinkedStorage": arm_id("Microsoft.Storage/storageAccounts", "stvoice")},
        },
    }


SPELLINGS = pytest.mark.parametrize("rtype", [COMPONENT, COMPONENT.lower()], ids=["arm", "lower-case"])


@SPELLINGS
def test_component_example_is_workspace_based(rtype):
    component = example_component(rtype)
    finding = _only("monitor.appinsights-workspace", [component])
    assert (finding.resource_name, finding.status.value) == ("appi-voice", "pass")
    assert {"path": "properties.WorkspaceResourceId", "observed": WORKSPACE_ID} in finding.evidence["observations"]
    # A classic component: no WorkspaceResourceId, IngestionMode ApplicationInsights.
    del component["properties"]["WorkspaceResourceId"]
    component["properties"]["IngestionMode"] = "ApplicationInsights"
    finding = _only("monitor.appinsights-workspace", [component])
    assert finding.status.value == "fail"
    assert "IngestionMode ApplicationInsights" in finding.evidence["message"]
    assert FAKE_IKEY not in _evidence_text(finding)


def test_workspace_check_reads_the_property_in_any_case():
    component = example_component()
    component["properties"]["workspaceResourceId"] = component["properties"].pop("WorkspaceResourceId")
    assert _status("monitor.appinsights-workspace", [component]) == "pass"


def test_no_component_fails_the_workspace_check():
    # when_absent="fail": the guide requires Application Insights, so its absence is no pass.
    finding = _only("monitor.appinsights-workspace", [])
    assert finding.status.value == "fail"
    assert "no Microsoft.Insights/components exists" in finding.evidence["message"]


@SPELLINGS
def test_component_example_accepts_keys_by_default(rtype):
    component = example_component(rtype)
    finding = _only("identity.appinsights.local-auth-disabled", [component])
    assert finding.status.value == "fail"
    assert {"path": "properties.DisableLocalAuth", "observed": False, "defaultApplied": True} in (
        finding.evidence["observations"]
    )
    assert FAKE_IKEY not in _evidence_text(finding)
    component["properties"]["DisableLocalAuth"] = True
    assert _status("identity.appinsights.local-auth-disabled", [component]) == "pass"
    component["properties"]["DisableLocalAuth"] = False
    assert _status("identity.appinsights.local-auth-disabled", [component]) == "fail"


def test_local_auth_check_without_component_is_not_applicable():
    assert _status("identity.appinsights.local-auth-disabled", []) == "not_applicable"


GROUP_ID = arm_id("Microsoft.Insights/actionGroups", "ag-voice-oncall")


def action_group() -> dict:
    return {
        "id": GROUP_ID,
        "name": "ag-voice-oncall",
        "type": "Microsoft.Insights/ActionGroups",
        "location": "Global",
        "properties": {
            "groupShortName": "oncall",
            "enabled": True,
            "emailReceivers": [
                {
                    "name": "oncall",
                    "emailAddress": "oncall@example.com",
                    "useCommonAlertSchema": True,
                    "status": "Enabled",
                }
            ],
        },
    }


def latency_alert(threshold: float) -> dict:
    return {
        "id": arm_id("Microsoft.Insights/metricAlerts", "alert-e2e-latency"),
        "type": "Microsoft.Insights/metricAlerts",
        "location": "global",
        "properties": {
            "severity": 2,
            "enabled": True,
            "scopes": [arm_id(COMPONENT, "appi-voice")],
            "evaluationFrequency": "PT1M",
            "windowSize": "PT5M",
            "criteria": {
                "odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                "allOf": [
                    {
                        "criterionType": "StaticThresholdCriterion",
                        "name": "slow",
                        "metricName": "requests/duration",
                        "metricNamespace": "microsoft.insights/components",
                        "operator": "GreaterThan",
                        "threshold": threshold,
                        "timeAggregation": "Average",
                    }
                ],
            },
            "actions": [{"actionGroupId": GROUP_ID, "webHookProperties": {}}],
        },
    }


@SPELLINGS
def test_e2e_latency_alert_applies_to_the_component_example(rtype):
    component = example_component(rtype)
    finding = _only("alerts.e2e-latency", [component])
    assert finding.status.value == "fail"
    assert "no enabled alert rule" in finding.evidence["message"]
    finding = _only("alerts.e2e-latency", [component, latency_alert(3000), action_group()])
    assert finding.status.value == "pass", finding.evidence
    assert "ag-voice-oncall" in finding.evidence["message"]
    assert _status("alerts.e2e-latency", [component, latency_alert(6000), action_group()]) == "fail"


def test_e2e_latency_alert_without_component_is_not_applicable():
    assert _status("alerts.e2e-latency", [latency_alert(3000), action_group()]) == "not_applicable"


# --- Public IP addresses behind an Application Gateway (PublicIpAddressGet.json) ---------------

APP = "Microsoft.App/containerApps"
ENV = "Microsoft.App/managedEnvironments"
GATEWAY = "Microsoft.Network/applicationGateways"
PIP = "Microsoft.Network/publicIPAddresses"
PIP_ID = arm_id(PIP, "pip-agw-voice")
GATEWAY_ADDRESS = "203.0.113.10"


def example_public_ip(address: str | None = None) -> dict:
    """PublicIpAddressGet.json as published: Dynamic, no ipAddress yet; with `address`, the
    allocated entry of PublicIpAddressList.json."""
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "publicIPAddressVersion": "IPv4",
        "publicIPAllocationMethod": "Dynamic",
        "idleTimeoutInMinutes": 4,
        "ipConfiguration": {"id": f"{arm_id(GATEWAY, 'agw-voice')}/frontendIPConfigurations/agw-fip"},
        "ddosSettings": {"protectionMode": "VirtualNetworkInherited"},
        "ipTags": [{"ipTagType": "FirstPartyUsage", "tag": "SQL"}],
    }
    if address is not None:
        properties["ipAddress"] = address
    return {
        "name": "pip-agw-voice",
        "id": PIP_ID,
        "location": "eastus2",
        "properties": properties,
        "type": PIP,
    }


def gateway() -> dict:
    return {
        "id": arm_id(GATEWAY, "agw-voice"),
        "name": "agw-voice",
        "type": GATEWAY,
        "location": "eastus2",
        "properties": {
            "frontendIPConfigurations": [
                {
                    "name": "agw-fip",
                    "id": f"{arm_id(GATEWAY, 'agw-voice')}/frontendIPConfigurations/agw-fip",
                    "properties": {"privateIPAllocationMethod": "Dynamic", "publicIPAddress": {"id": PIP_ID}},
                }
            ]
        },
    }


def public_environment() -> dict:
    return {
        "id": arm_id(ENV, "cae-voice"),
        "name": "cae-voice",
        "type": ENV,
        "location": "eastus2",
        "properties": {"provisioningState": "Succeeded", "staticIp": "198.51.100.20"},
    }


def app_allowing(address_range: str) -> dict:
    return {
        "id": arm_id(APP, "ca-voice"),
        "name": "ca-voice",
        "type": APP,
        "location": "eastus2",
        "properties": {
            "managedEnvironmentId": arm_id(ENV, "cae-voice"),
            "configuration": {
                "ingress": {
                    "external": True,
                    "targetPort": 8080,
                    "ipSecurityRestrictions": [{"name": "appgw", "ipAddressRange": address_range, "action": "Allow"}],
                }
            },
            "template": {"containers": [{"name": "voice", "image": "crvoice.azurecr.io/voice:1"}]},
        },
    }


def ingress_world(pip: dict, allowed: str = f"{GATEWAY_ADDRESS}/32") -> list[dict]:
    return [app_allowing(allowed), public_environment(), gateway(), pip]


def test_gateway_address_in_the_published_list_shape_admits_the_gateway():
    finding = _only("aca.ingress-not-public", ingress_world(example_public_ip(GATEWAY_ADDRESS)))
    assert finding.status.value == "pass", finding.evidence
    assert f"{GATEWAY_ADDRESS}/32 (Application Gateway agw-voice)" in finding.evidence["message"]


def test_unallocated_public_ip_as_in_the_published_get_proves_nothing():
    # The published GET has no ipAddress: the rule cannot be tied to the gateway, so it is open.
    finding = _only("aca.ingress-not-public", ingress_world(example_public_ip()))
    assert finding.status.value == "fail"
    assert f"{GATEWAY_ADDRESS}/32" in finding.evidence["message"]


def test_allow_list_for_another_address_than_the_gateway_fails():
    finding = _only("aca.ingress-not-public", ingress_world(example_public_ip("203.0.113.99")))
    assert finding.status.value == "fail"


def test_ipv6_gateway_address():
    pip = example_public_ip("2001:db8::10")
    pip["properties"]["publicIPAddressVersion"] = "IPv6"
    assert _status("aca.ingress-not-public", ingress_world(pip, "2001:db8::10/128")) == "pass"
    assert _status("aca.ingress-not-public", ingress_world(pip, "2001:db8::/64")) == "fail"


def test_public_ips_not_collected_leave_the_gateway_unknown():
    world = ingress_world(example_public_ip(GATEWAY_ADDRESS))[:-1]
    finding = _only("aca.ingress-not-public", world, collected=[APP, ENV, GATEWAY])
    assert finding.status.value == "not_assessed"
    assert PIP in finding.evidence["message"]


def test_ingress_check_without_container_apps_is_not_applicable():
    world = [public_environment(), gateway(), example_public_ip(GATEWAY_ADDRESS)]
    assert _status("aca.ingress-not-public", world) == "not_applicable"


# --- App Service app settings (ListAppSettings.json) --------------------------------------------

SITE = "Microsoft.Web/sites"
SITE_ID = arm_id(SITE, "app-voice")
FAKE_CONNECTION = (
    f"InstrumentationKey={FAKE_IKEY};IngestionEndpoint=https://eastus2-3.in.applicationinsights.azure.com/;"
    "LiveEndpoint=https://eastus2.livediagnostics.monitor.azure.com/;ApplicationId=00000000-0000-0000-0000-0000000000bb"
)


def list_app_settings_body(**extra: str) -> dict:
    return {
        "id": f"{SITE_ID}/config/appsettings",
        "name": "appsettings",
        "type": "Microsoft.Web/sites/config",
        "kind": "app",
        "properties": {
            "APPLICATIONINSIGHTS_CONNECTION_STRING": FAKE_CONNECTION,
            "WEBSITE_RUN_FROM_PACKAGE": "1",
            "SPEECH_REGION": "eastus2",
            "SPEECH_KEY": "@Microsoft.KeyVault(SecretUri=https://kv-voice.vault.azure.net/secrets/speech-key/)",
            **extra,
        },
    }


def list_connection_strings_body(**values: dict) -> dict:
    return {
        "id": f"{SITE_ID}/config/connectionstrings",
        "name": "connectionstrings",
        "type": "Microsoft.Web/sites/config",
        "kind": "app",
        "properties": values,
    }


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A static token instead of the credential chain: the fake ARM accepts any bearer token."""
    monkeypatch.setenv("GOLIVE_ACCESS_TOKEN", "test-token")


def collect_site(settings: dict, connections: dict) -> list[dict]:
    """The site and its settings as golive's collector stores them: the real SDK pipeline lists the
    site and POSTs the two list actions to the local fake ARM, which answers with these bodies."""
    site = example_site()
    doc = {"scope": {"subscriptions": [{"subscriptionId": SUB}]}, "resources": [site]}
    answers = {SITE_ID: {"appsettings": settings["properties"], "connectionstrings": connections["properties"]}}
    with FakeArm(doc, site_settings=answers) as arm:
        target = Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle)
        options = Options(target=target, subscriptions=[SUB], backoff=0.01, inspect_app_settings=True)
        snap, _ = collect(make_plan({SITE, "Microsoft.Web/sites/config"}, inspect_app_settings=True), set(), options)
        posts = [e.path for e in arm.log if e.method == "POST"]
    assert sorted(p.rsplit("/", 2)[1] for p in posts) == ["appsettings", "connectionstrings"]
    return snap.resources


def collected(body: dict) -> dict:
    """What the collector stores for one list response."""
    empty = {"properties": {}}
    pair = (body, empty) if body["name"] == "appsettings" else (empty, body)
    resources = collect_site(*pair)
    return next(r for r in resources if r["id"].lower() == f"{SITE_ID}/config/{body['name']}".lower())


def example_site() -> dict:
    return {
        "id": SITE_ID,
        "name": "app-voice",
        "type": SITE,
        "kind": "app",
        "location": "East US 2",
        "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
        "properties": {"state": "Running", "defaultHostName": "app-voice.azurewebsites.net", "httpsOnly": True},
    }


def site_world(settings: dict, connections: dict | None = None) -> list[dict]:
    return collect_site(settings, connections or list_connection_strings_body())


def test_collector_stores_the_published_body_without_values():
    stored = collected(list_app_settings_body(SPEECH_KEY=FAKE_SPEECH_KEY))
    assert (stored["id"], stored["name"], stored["type"]) == (
        f"{SITE_ID}/config/appsettings",
        "appsettings",
        "Microsoft.Web/sites/config",
    )
    assert stored["properties"]["SPEECH_KEY"]["secret"] is True
    assert stored["properties"]["APPLICATIONINSIGHTS_CONNECTION_STRING"]["secret"] is False
    text = json.dumps(stored)
    assert FAKE_SPEECH_KEY not in text and FAKE_IKEY not in text


def test_app_settings_example_holds_no_plain_secret():
    finding = _only("secrets.appservice-settings", site_world(list_app_settings_body()))
    assert (finding.resource_name, finding.status.value) == ("app-voice", "pass"), finding.evidence


def test_plain_key_in_app_settings_fails_without_showing_it():
    finding = _only("secrets.appservice-settings", site_world(list_app_settings_body(SPEECH_KEY=FAKE_SPEECH_KEY)))
    assert finding.status.value == "fail"
    assert "SPEECH_KEY (name _KEY)" in finding.evidence["message"]
    assert FAKE_SPEECH_KEY not in _evidence_text(finding)


def test_plain_password_in_a_connection_string_fails_without_showing_it():
    value = f"Server=tcp:sql-voice.database.windows.net;Database=voice;User ID=app;Password={FAKE_DB_PASSWORD};"
    connections = list_connection_strings_body(VoiceDb={"value": value, "type": "SQLAzure"})
    finding = _only("secrets.appservice-settings", site_world(list_app_settings_body(), connections))
    assert finding.status.value == "fail"
    assert "VoiceDb (password in connection string)" in finding.evidence["message"]
    assert FAKE_DB_PASSWORD not in _evidence_text(finding)


def test_unredacted_settings_are_never_judged():
    # A snapshot holding the raw list body (not what golive's collector writes) is not trusted.
    raw = list_app_settings_body(SPEECH_KEY=FAKE_SPEECH_KEY)
    world = [example_site(), raw, collected(list_connection_strings_body())]
    finding = _only("secrets.appservice-settings", world)
    assert finding.status.value == "not_assessed"
    assert FAKE_SPEECH_KEY not in _evidence_text(finding)


def test_settings_not_collected_and_no_site():
    assert _status("secrets.appservice-settings", [example_site()]) == "not_assessed"
    assert _status("monitor.workload-telemetry", [example_site()]) == "not_assessed"
    assert _status("secrets.appservice-settings", []) == "not_applicable"
    assert _status("monitor.workload-telemetry", []) == "not_applicable"


def test_app_settings_example_sends_telemetry():
    finding = _only("monitor.workload-telemetry", site_world(list_app_settings_body()))
    assert finding.status.value == "pass", finding.evidence
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in finding.evidence["message"]
    assert FAKE_IKEY not in _evidence_text(finding)
    settings = list_app_settings_body()
    del settings["properties"]["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    assert _status("monitor.workload-telemetry", site_world(settings)) == "fail"
    settings["properties"]["APPINSIGHTS_INSTRUMENTATIONKEY"] = FAKE_IKEY
    assert _status("monitor.workload-telemetry", site_world(settings)) == "pass"
