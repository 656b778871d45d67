"""Front Door checks, and Front Door as the WAF in front of the workloads, over resources in the
shapes of the published azure-rest-api-specs example responses (our own names and values):

- specification/cdn/resource-manager/Microsoft.Cdn/stable/2024-02-01/examples/Profiles_List.json
- .../Microsoft.Cdn/stable/2024-02-01/examples/SecurityPolicies_Get.json
- specification/frontdoor/resource-manager/Microsoft.Network/FrontDoor/examples/2025-11-01/WafPolicyGet.json

ARM spells these types and ids in lower case in places (securitypolicies,
frontdoorwebapplicationfirewallpolicies, resourcegroups); the inventory must still match them.
"""

from __future__ import annotations

import pytest

from tests.checks.helpers import RG, SUB, arm_id, run_check

FD_RG_LOWER = f"/subscriptions/{SUB}/resourcegroups/{RG}"
PROFILE_ID = f"{FD_RG_LOWER}/providers/Microsoft.Cdn/profiles/afd-voice"
WAF_ID_AS_LINKED = f"{FD_RG_LOWER}/providers/Microsoft.Network/frontdoorwebapplicationfirewallpolicies/wafvoice"


def example_profile(sku: str = "Premium_AzureFrontDoor") -> dict:
    return {
        "name": "afd-voice",
        "id": PROFILE_ID,
        "type": "Microsoft.Cdn/profiles",
        "tags": {},
        "location": "global",
        "sku": {"name": sku},
        "kind": "frontdoor",
        "properties": {
            "originResponseTimeoutSeconds": 30,
            "logScrubbing": {"state": "Enabled", "scrubbingRules": []},
            "frontDoorId": "6f1c9e2a-3b7d-4c55-9a10-0d2b4e8f7a31",
            "provisioningState": "Succeeded",
            "resourceState": "Active",
        },
    }


def example_security_policy() -> dict:
    return {
        "name": "waf-link",
        "id": f"{PROFILE_ID}/securitypolicies/waf-link",
        "type": "Microsoft.Cdn/profiles/securitypolicies",
        "properties": {
            "parameters": {
                "type": "WebApplicationFirewall",
                "wafPolicy": {"id": WAF_ID_AS_LINKED},
                "associations": [
                    {"domains": [{"id": f"{PROFILE_ID}/customdomains/voice-contoso"}], "patternsToMatch": ["/*"]}
                ],
            },
            "deploymentStatus": "NotStarted",
            "provisioningState": "Succeeded",
        },
    }


def example_waf() -> dict:
    return {
        "name": "wafvoice",
        "id": arm_id("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies", "wafvoice"),
        "type": "Microsoft.Network/frontdoorwebapplicationfirewallpolicies",
        "tags": {"team": "voice"},
        "location": "Global",
        "properties": {
            "resourceState": "Enabled",
            "provisioningState": "Succeeded",
            "policySettings": {
                "enabledState": "Enabled",
                "mode": "Prevention",
                "customBlockResponseStatusCode": 403,
                "requestBodyCheck": "Enabled",
                "logScrubbing": None,
            },
            "customRules": {"rules": []},
            "managedRules": {
                "managedRuleSets": [
                    {"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1", "ruleSetAction": "Block"},
                    {"ruleSetType": "Microsoft_BotManagerRuleSet", "ruleSetVersion": "1.1"},
                ]
            },
            "frontendEndpointLinks": [],
            "securityPolicyLinks": [{"id": example_security_policy()["id"]}],
        },
        "sku": {"name": "Premium_AzureFrontDoor"},
    }


def example() -> tuple[dict, dict, dict]:
    return example_profile(), example_security_policy(), example_waf()


def public_app() -> dict:
    return {
        "id": arm_id("Microsoft.App/containerApps", "voice-api"),
        "name": "voice-api",
        "type": "Microsoft.App/containerApps",
        "location": "eastus2",
        "properties": {"configuration": {"ingress": {"external": True, "targetPort": 8080}}},
    }


def status(check_id: str, *resources: dict, **kwargs) -> str:
    findings = [f for f in run_check(check_id, resources, **kwargs) if f.resource_name in ("afd-voice", "test")]
    assert len(findings) == 1, findings
    return findings[0].status.value


def message(check_id: str, *resources: dict) -> str:
    (finding,) = [f for f in run_check(check_id, resources) if f.resource_name == "afd-voice"]
    return finding.evidence["message"]


# --- frontdoor.waf-prevention and frontdoor.waf-rule-set --------------------------------------


def test_the_published_shapes_pass_both_front_door_checks():
    assert status("frontdoor.waf-prevention", *example()) == "pass"
    assert status("frontdoor.waf-rule-set", *example()) == "pass"


@pytest.mark.parametrize(
    ("setting", "value"), [("mode", "Detection"), ("enabledState", "Disabled")]
)
def test_a_waf_that_does_not_block_fails(setting, value):
    profile, link, waf = example()
    waf["properties"]["policySettings"][setting] = value
    assert status("frontdoor.waf-prevention", profile, link, waf) == "fail"
    assert value.lower() in message("frontdoor.waf-prevention", profile, link, waf).lower()


def test_a_profile_without_a_security_policy_fails():
    assert status("frontdoor.waf-prevention", example_profile()) == "fail"
    assert status("frontdoor.waf-rule-set", example_profile()) == "not_applicable"


def test_enabled_state_defaults_to_enabled_but_mode_must_be_read():
    profile, link, waf = example()
    del waf["properties"]["policySettings"]["enabledState"]
    assert status("frontdoor.waf-prevention", profile, link, waf) == "pass"
    del waf["properties"]["policySettings"]["mode"]
    assert status("frontdoor.waf-prevention", profile, link, waf) == "not_assessed"


def test_a_classic_cdn_profile_is_not_applicable():
    cdn = example_profile("Standard_Microsoft")
    cdn["kind"] = "cdn"
    assert status("frontdoor.waf-prevention", cdn) == "not_applicable"
    assert status("frontdoor.waf-rule-set", cdn) == "not_applicable"


def test_a_dangling_waf_link_is_not_assessed():
    profile, link, _ = example()
    assert status("frontdoor.waf-prevention", profile, link) == "not_assessed"


def test_without_security_policies_collected_nothing_passes():
    collected = ["Microsoft.Cdn/profiles", "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies"]
    assert status("frontdoor.waf-prevention", *example(), collected=collected) == "not_assessed"


def test_the_standard_tier_has_no_managed_rules():
    profile, link, waf = example()
    profile["sku"] = waf["sku"] = {"name": "Standard_AzureFrontDoor"}
    del waf["properties"]["managedRules"]
    assert status("frontdoor.waf-prevention", profile, link, waf) == "pass"
    assert status("frontdoor.waf-rule-set", profile, link, waf) == "fail"
    assert "Standard tier" in message("frontdoor.waf-rule-set", profile, link, waf)


@pytest.mark.parametrize(
    ("rule_set", "expected"),
    [
        (("Microsoft_DefaultRuleSet", "2.2"), "pass"),
        (("Microsoft_DefaultRuleSet", "2.0"), "fail"),
        (("Microsoft_DefaultRuleSet", "1.1"), "fail"),
        (("DefaultRuleSet", "1.0"), "fail"),
        (("Microsoft_DefaultRuleSet", "two"), "not_assessed"),
    ],
)
def test_rule_set_versions(rule_set, expected):
    profile, link, waf = example()
    waf["properties"]["managedRules"]["managedRuleSets"][0].update(ruleSetType=rule_set[0], ruleSetVersion=rule_set[1])
    assert status("frontdoor.waf-rule-set", profile, link, waf) == expected


QUERY_EXCLUSION = {"matchVariable": "QueryStringArgNames", "selectorMatchOperator": "Equals", "selector": "q"}
# Each weakening as the published WafPolicyGet.json example spells it (exclusions at set, group and
# rule level, a rule override without enabledState, a non-blocking action) and the newer exceptionsList.
WEAKENINGS = {
    "set exclusion": lambda s, p: s.update(
        exclusions=[{"matchVariable": "RequestHeaderNames", "selectorMatchOperator": "Equals", "selector": "X-A"}]
    ),
    "log-only set": lambda s, p: s.update(ruleSetAction="Log"),
    "disabled by default": lambda s, p: s.update(
        ruleGroupOverrides=[{"ruleGroupName": "SQLI", "rules": [{"ruleId": "942110"}]}]
    ),
    "allow action": lambda s, p: s.update(
        ruleGroupOverrides=[{"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", "enabledState": "Enabled",
                                                                  "action": "Allow"}]}]
    ),
    "group without rules": lambda s, p: s.update(ruleGroupOverrides=[{"ruleGroupName": "XSS"}]),
    "rule exclusion": lambda s, p: s.update(
        ruleGroupOverrides=[{"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", "enabledState": "Enabled",
                                                                  "action": "AnomalyScoring",
                                                                  "exclusions": [QUERY_EXCLUSION]}]}]
    ),
    "exceptions list": lambda s, p: p["managedRules"].update(
        exceptionsList={"exceptions": [{"matchVariable": "RequestHeaderNames", "valueMatchOperator": "Contains",
                                        "matchValues": ["Mozilla"]}]}
    ),
}


@pytest.mark.parametrize("weakening", sorted(WEAKENINGS))
def test_weakened_rules_fail_unless_accepted(weakening):
    profile, link, waf = example()
    WEAKENINGS[weakening](waf["properties"]["managedRules"]["managedRuleSets"][0], waf["properties"])
    assert status("frontdoor.waf-rule-set", profile, link, waf) == "fail"
    (finding,) = run_check("frontdoor.waf-rule-set", [profile, link, waf], params={"allow_exclusions": True})
    assert finding.status.value == "pass" and "accepted by allow_exclusions" in finding.evidence["message"]


def test_enabled_overrides_that_still_block_do_not_weaken():
    profile, link, waf = example()
    waf["properties"]["managedRules"]["managedRuleSets"][0]["ruleGroupOverrides"] = [
        {"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", "enabledState": "Enabled", "action": "Block"}]}
    ]
    assert status("frontdoor.waf-rule-set", profile, link, waf) == "pass"


# --- Front Door as the subscription's WAF (network.waf-fronts-http) ------------------------------


def fronts(*resources: dict) -> str:
    (finding,) = run_check("network.waf-fronts-http", [public_app(), *resources])
    return finding.status.value


def test_front_door_premium_in_the_published_shapes_fronts_the_workloads():
    assert fronts(*example()) == "pass"


@pytest.mark.parametrize(
    "broken",
    [
        lambda p, s, w: p.update(sku={"name": "Standard_AzureFrontDoor"}),
        lambda p, s, w: w["properties"]["policySettings"].update(mode="Detection"),
        lambda p, s, w: w["properties"]["policySettings"].update(enabledState="Disabled"),
    ],
)
def test_front_door_that_does_not_block_does_not_count(broken):
    profile, link, waf = example()
    broken(profile, link, waf)
    assert fronts(profile, link, waf) == "fail"


def test_front_door_without_its_waf_policy_collected_is_not_assessed():
    (finding,) = run_check(
        "network.waf-fronts-http",
        [public_app(), example_profile(), example_security_policy()],
        collected=[
            "Microsoft.App/containerApps",
            "Microsoft.Web/sites",
            "Microsoft.ApiManagement/service",
            "Microsoft.Network/applicationGateways",
            "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
            "Microsoft.Cdn/profiles",
            "Microsoft.Cdn/profiles/securityPolicies",
        ],
    )
    assert finding.status.value == "not_assessed"
    assert "frontdoorwebapplicationfirewallpolicies" in finding.evidence["message"].lower()
