"""Application Gateway and WAF checks, starting from the hardened fixture's gateway and breaking it."""

import copy
import json
from pathlib import Path

import pytest

from tests.checks.helpers import SUB, only, resource, verdicts

PARTS = Path(__file__).resolve().parents[2] / "fixtures" / "parts" / "hardened"
FIXTURE_SUB = "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13"


def _load():
    items = json.loads((PARTS / "network.json").read_text())
    text = json.dumps(items).replace(FIXTURE_SUB, SUB)
    items = json.loads(text)
    gateway = next(r for r in items if r["type"] == "Microsoft.Network/applicationGateways")
    policy = next(r for r in items if r["type"].endswith("WebApplicationFirewallPolicies"))
    return gateway, policy


@pytest.fixture
def gateway_and_policy():
    gateway, policy = _load()
    return copy.deepcopy(gateway), copy.deepcopy(policy)


def test_hardened_gateway_passes_every_gateway_check(gateway_and_policy):
    gateway, policy = gateway_and_policy
    for check_id in (
        "appgw.waf-prevention",
        "appgw.waf-rule-set",
        "appgw.tls-min-1-2",
        "appgw.https-redirect",
        "appgw.health-probes",
        "appgw.autoscale-min",
        "appgw.zone-redundant",
    ):
        assert verdicts(check_id, [gateway, policy]) == {"agw-voice-prod": "pass"}, check_id


def test_detection_mode_and_disabled_waf_fail(gateway_and_policy):
    gateway, policy = gateway_and_policy
    policy["properties"]["policySettings"]["mode"] = "Detection"
    finding = only("appgw.waf-prevention", [gateway, policy])
    assert finding.status.value == "fail" and "Detection" in finding.evidence["message"]
    policy["properties"]["policySettings"].update(mode="Prevention", state="Disabled")
    assert verdicts("appgw.waf-prevention", [gateway, policy]) == {"agw-voice-prod": "fail"}


def test_standard_sku_has_no_waf(gateway_and_policy):
    gateway, _policy = gateway_and_policy
    gateway["properties"]["sku"] = {"name": "Standard_v2", "tier": "Standard_v2"}
    del gateway["properties"]["firewallPolicy"]
    assert verdicts("appgw.waf-prevention", [gateway]) == {"agw-voice-prod": "fail"}
    assert verdicts("appgw.waf-rule-set", [gateway]) == {"agw-voice-prod": "not_applicable"}


def test_legacy_inline_waf_configuration(gateway_and_policy):
    # The pre-policy shape of api-version 2019-era gateways.
    gateway, _ = gateway_and_policy
    del gateway["properties"]["firewallPolicy"]
    gateway["properties"]["webApplicationFirewallConfiguration"] = {
        "enabled": True,
        "firewallMode": "Prevention",
        "ruleSetType": "OWASP",
        "ruleSetVersion": "3.0",
        "disabledRuleGroups": [],
        "requestBodyCheck": True,
    }
    assert verdicts("appgw.waf-prevention", [gateway]) == {"agw-voice-prod": "pass"}
    assert verdicts("appgw.waf-rule-set", [gateway]) == {"agw-voice-prod": "fail"}  # OWASP 3.0 is too old


def test_rule_set_versions_and_exclusions(gateway_and_policy):
    gateway, policy = gateway_and_policy
    sets = policy["properties"]["managedRules"]["managedRuleSets"]
    sets[0].update(ruleSetType="Microsoft_DefaultRuleSet", ruleSetVersion="2.1")
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "pass"}
    sets[0]["ruleSetVersion"] = "2.0"
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "fail"}
    sets[0]["ruleSetVersion"] = "2.1"
    policy["properties"]["managedRules"]["exclusions"] = [
        {"matchVariable": "RequestHeaderNames", "selectorMatchOperator": "Equals", "selector": "x-token"}
    ]
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "fail"}
    accepted = verdicts("appgw.waf-rule-set", [gateway, policy], params={"allow_exclusions": True})
    assert accepted == {"agw-voice-prod": "pass"}


def test_unknown_rule_set_version_is_not_assessed(gateway_and_policy):
    gateway, policy = gateway_and_policy
    policy["properties"]["managedRules"]["managedRuleSets"][0]["ruleSetVersion"] = "latest"
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "not_assessed"}


def test_missing_policy_is_not_assessed(gateway_and_policy):
    gateway, _ = gateway_and_policy
    assert verdicts("appgw.waf-prevention", [gateway]) == {"agw-voice-prod": "not_assessed"}


@pytest.mark.parametrize(
    ("ssl_policy", "expected"),
    [
        ({"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}, "pass"),
        ({"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"}, "fail"),
        ({"policyType": "Predefined", "policyName": "AppGwSslPolicy20170401"}, "fail"),
        ({"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"}, "pass"),
        ({"policyType": "Custom", "minProtocolVersion": "TLSv1_1", "cipherSuites": []}, "fail"),
        (None, "not_assessed"),
    ],
)
def test_tls_policy(gateway_and_policy, ssl_policy, expected):
    gateway, _ = gateway_and_policy
    if ssl_policy is None:
        del gateway["properties"]["sslPolicy"]
    else:
        gateway["properties"]["sslPolicy"] = ssl_policy
    assert verdicts("appgw.tls-min-1-2", [gateway]) == {"agw-voice-prod": expected}


def test_http_listener_without_redirect_fails(gateway_and_policy):
    gateway, _ = gateway_and_policy
    rule = next(r for r in gateway["properties"]["requestRoutingRules"] if r["name"] == "http-redirect")
    del rule["properties"]["redirectConfiguration"]
    rule["properties"]["backendAddressPool"] = {"id": "pool"}
    finding = only("appgw.https-redirect", [gateway])
    assert finding.status.value == "fail" and "http" in finding.evidence["message"]


def test_backend_setting_without_probe_fails(gateway_and_policy):
    gateway, _ = gateway_and_policy
    del gateway["properties"]["backendHttpSettingsCollection"][0]["properties"]["probe"]
    assert verdicts("appgw.health-probes", [gateway]) == {"agw-voice-prod": "fail"}


def test_capacity_and_zones(gateway_and_policy):
    gateway, _ = gateway_and_policy
    gateway["properties"]["autoscaleConfiguration"]["minCapacity"] = 1
    gateway["zones"] = ["1"]
    assert verdicts("appgw.autoscale-min", [gateway]) == {"agw-voice-prod": "fail"}
    assert verdicts("appgw.zone-redundant", [gateway]) == {"agw-voice-prod": "fail"}
    del gateway["properties"]["autoscaleConfiguration"]
    gateway["properties"]["sku"]["capacity"] = 3
    assert verdicts("appgw.autoscale-min", [gateway]) == {"agw-voice-prod": "pass"}
    assert only("appgw.zone-redundant", []).status.value == "not_applicable"


def public_app(name="api"):
    return resource(
        "Microsoft.App/containerApps",
        name,
        properties={"configuration": {"ingress": {"external": True}}, "template": {"containers": []}},
    )


def test_waf_fronts_http(gateway_and_policy):
    gateway, policy = gateway_and_policy
    assert only("network.waf-fronts-http", [public_app()]).status.value == "fail"
    assert only("network.waf-fronts-http", [public_app(), gateway, policy]).status.value == "pass"
    assert only("network.waf-fronts-http", []).status.value == "not_applicable"
    policy["properties"]["policySettings"]["mode"] = "Detection"
    assert only("network.waf-fronts-http", [public_app(), gateway, policy]).status.value == "fail"


def test_front_door_premium_with_waf_counts():
    waf = resource(
        "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies",
        "fdwaf",
        properties={"policySettings": {"enabledState": "Enabled", "mode": "Prevention"}},
        sku={"name": "Premium_AzureFrontDoor"},
    )
    profile = resource("Microsoft.Cdn/profiles", "fd", properties={}, sku={"name": "Premium_AzureFrontDoor"})
    link = resource(
        "Microsoft.Cdn/profiles/securityPolicies",
        "fd",
        "waf-link",
        properties={"parameters": {"type": "WebApplicationFirewall", "wafPolicy": {"id": waf["id"]}}},
    )
    assert only("network.waf-fronts-http", [public_app(), profile, link, waf]).status.value == "pass"
    profile["sku"] = {"name": "Standard_AzureFrontDoor"}
    assert only("network.waf-fronts-http", [public_app(), profile, link, waf]).status.value == "fail"


def test_waf_fronts_http_without_gateway_collection_is_not_assessed():
    finding = only(
        "network.waf-fronts-http",
        [public_app()],
        collected=["Microsoft.App/containerApps", "Microsoft.Web/sites", "Microsoft.ApiManagement/service"],
    )
    assert finding.status.value == "not_assessed"
