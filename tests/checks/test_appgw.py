"""Application Gateway and WAF checks, starting from the hardened fixture's gateway and breaking it."""

import copy
import json
from pathlib import Path

import pytest

from tests.checks.helpers import SUB, only, verdicts

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
        ({"policyType": "CustomV2"}, "pass"),  # CustomV2 offers only TLS 1.2 and 1.3
        # The pre-2017 shape: no policyType, only the protocols switched off.
        ({"disabledSslProtocols": ["TLSv1_0", "TLSv1_1"]}, "pass"),
        ({"disabledSslProtocols": ["TLSv1_0"]}, "fail"),
        ({"policyType": "Predefined", "policyName": "AppGwSslPolicy2099"}, "not_assessed"),
        ({"policyType": "Custom", "minProtocolVersion": 12}, "not_assessed"),
        # Absent: the default of the api-version read with (2024-05-01: AppGwSslPolicy20220101, TLS 1.2);
        # older and unknown api-versions in tests/checks/test_defaults.py.
        (None, "pass"),
        # A minimum protocol without policyType is a Custom policy.
        ({"minProtocolVersion": "TLSv1_2"}, "pass"),
        ({"minProtocolVersion": "TLSv1_1"}, "fail"),
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


def test_ssl_profile_with_a_weaker_policy_fails(gateway_and_policy):
    gateway, _ = gateway_and_policy
    gateway["properties"]["sslProfiles"] = [
        {
            "name": "legacy-clients",
            "properties": {"sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"}},
        }
    ]
    finding = only("appgw.tls-min-1-2", [gateway])
    assert finding.status.value == "fail" and "legacy-clients" in finding.evidence["message"]


def test_listener_policy_in_detection_mode_fails(gateway_and_policy):
    gateway, policy = gateway_and_policy
    listener_policy = copy.deepcopy(policy)
    listener_policy["name"] = "wafp-listener"
    listener_policy["id"] = policy["id"].replace("wafp-voice-prod", "wafp-listener")
    listener_policy["properties"]["policySettings"]["mode"] = "Detection"
    listener_policy["properties"]["applicationGateways"] = []
    gateway["properties"]["httpListeners"][0]["properties"]["firewallPolicy"] = {"id": listener_policy["id"]}
    finding = only("appgw.waf-prevention", [gateway, policy, listener_policy])
    assert finding.status.value == "fail" and "wafp-listener" in finding.evidence["message"]


def test_policy_linked_only_from_its_side_is_found(gateway_and_policy):
    gateway, policy = gateway_and_policy
    del gateway["properties"]["firewallPolicy"]  # the policy still lists the gateway in applicationGateways
    assert verdicts("appgw.waf-prevention", [gateway, policy]) == {"agw-voice-prod": "pass"}
    policy["properties"]["policySettings"]["mode"] = "Detection"
    assert verdicts("appgw.waf-prevention", [gateway, policy]) == {"agw-voice-prod": "fail"}


def test_policy_without_settings_is_not_assessed(gateway_and_policy):
    gateway, policy = gateway_and_policy
    del policy["properties"]["policySettings"]["state"]
    assert verdicts("appgw.waf-prevention", [gateway, policy]) == {"agw-voice-prod": "not_assessed"}


@pytest.mark.parametrize(
    "override",
    [
        {
            "ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI",
            "rules": [{"ruleId": "942130"}],
        },  # state absent: Disabled
        {"ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI", "rules": []},  # no rule listed: whole group off
        {
            "ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI",
            "rules": [{"ruleId": "942130", "state": "Enabled", "action": "Log"}],
        },
    ],
)
def test_rule_overrides_weaken_the_rule_set(gateway_and_policy, override):
    gateway, policy = gateway_and_policy
    policy["properties"]["managedRules"]["managedRuleSets"][0]["ruleGroupOverrides"] = [override]
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "fail"}
    assert verdicts("appgw.waf-rule-set", [gateway, policy], params={"allow_exclusions": True}) == {
        "agw-voice-prod": "pass"
    }


def test_waf_policy_example_shape(gateway_and_policy):
    # Mirrors specification/network/.../stable/2024-05-01/examples/WafPolicyGet.json (lower-case type,
    # disabled and log-only overrides, exclusions), linked to the hardened gateway.
    gateway, _ = gateway_and_policy
    policy = {
        "name": "wafp-voice-prod",
        "id": gateway["properties"]["firewallPolicy"]["id"],
        "type": "Microsoft.Network/applicationgatewaywebapplicationfirewallpolicies",
        "location": "WestUs",
        "properties": {
            "resourceState": "Enabled",
            "provisioningState": "Succeeded",
            "policySettings": {"state": "Enabled", "mode": "Prevention", "requestBodyCheck": True},
            "customRules": [],
            "managedRules": {
                "managedRuleSets": [
                    {
                        "ruleSetType": "OWASP",
                        "ruleSetVersion": "3.2",
                        "ruleGroupOverrides": [
                            {
                                "ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI",
                                "rules": [
                                    {"ruleId": "942130", "state": "Disabled", "action": "AnomalyScoring"},
                                    {"ruleId": "942140", "state": "Enabled", "action": "Log"},
                                ],
                            }
                        ],
                    },
                    {"ruleSetType": "Microsoft_BotManagerRuleSet", "ruleSetVersion": "1.0", "ruleGroupOverrides": []},
                ],
                "exclusions": [
                    {
                        "matchVariable": "RequestHeaderNames",
                        "selectorMatchOperator": "Equals",
                        "selector": "testHeader1",
                    }
                ],
            },
        },
    }
    assert verdicts("appgw.waf-prevention", [gateway, policy]) == {"agw-voice-prod": "pass"}
    finding = only("appgw.waf-rule-set", [gateway, policy])
    assert finding.status.value == "fail"
    assert "942130 disabled" in finding.evidence["message"] and "942140 log-only" in finding.evidence["message"]


def test_path_based_rule_must_redirect_every_path(gateway_and_policy):
    gateway, _ = gateway_and_policy
    props = gateway["properties"]
    rule = next(r for r in props["requestRoutingRules"] if r["name"] == "http-redirect")
    redirect = rule["properties"].pop("redirectConfiguration")
    path_map_id = gateway["id"] + "/urlPathMaps/http-paths"
    rule["properties"].update(ruleType="PathBasedRouting", urlPathMap={"id": path_map_id})
    props["urlPathMaps"] = [
        {
            "name": "http-paths",
            "id": path_map_id,
            "properties": {
                "defaultRedirectConfiguration": redirect,
                "pathRules": [{"name": "api", "properties": {"paths": ["/api/*"], "redirectConfiguration": redirect}}],
            },
        }
    ]
    assert verdicts("appgw.https-redirect", [gateway]) == {"agw-voice-prod": "pass"}
    path_rule = props["urlPathMaps"][0]["properties"]["pathRules"][0]["properties"]
    del path_rule["redirectConfiguration"]
    path_rule["backendAddressPool"] = {"id": "pool"}
    assert verdicts("appgw.https-redirect", [gateway]) == {"agw-voice-prod": "fail"}


def test_odd_listener_and_setting_shapes_are_not_assessed(gateway_and_policy):
    gateway, _ = gateway_and_policy
    broken = copy.deepcopy(gateway)
    broken["properties"]["httpListeners"] = ["https"]
    assert verdicts("appgw.https-redirect", [broken]) == {"agw-voice-prod": "not_assessed"}
    del gateway["properties"]["backendHttpSettingsCollection"]
    assert verdicts("appgw.health-probes", [gateway]) == {"agw-voice-prod": "not_assessed"}


def test_autoscale_without_minimum_is_not_assessed(gateway_and_policy):
    gateway, _ = gateway_and_policy
    gateway["properties"]["autoscaleConfiguration"] = {"maxCapacity": 10}
    assert verdicts("appgw.autoscale-min", [gateway]) == {"agw-voice-prod": "not_assessed"}
    assert verdicts("appgw.autoscale-min", [gateway], params={"min_capacity": 3}) == {"agw-voice-prod": "not_assessed"}
