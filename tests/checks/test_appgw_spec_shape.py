"""Every Application Gateway check over a gateway in the shape of the published example response
specification/network/resource-manager/Microsoft.Network/stable/2023-09-01/examples/ApplicationGatewayList.json
(our own names and values): a v1 Standard gateway with an SSL profile, a plain HTTP listener on a
path-based rule, no probes and no zones.
"""

from __future__ import annotations

import copy

import pytest

from auditor.registry import discover
from tests.checks.helpers import arm_id, run_check

GATEWAY_ID = arm_id("Microsoft.Network/applicationGateways", "agw-voice")
# Every gateway check, so that a new one is held to the example shape too.
GATEWAY_CHECKS = sorted(c.meta.id for c in discover(entry_points=False).checks if c.meta.id.startswith("appgw."))


def sub(kind: str, name: str) -> dict:
    return {"id": f"{GATEWAY_ID}/{kind}/{name}"}


def example_gateway() -> dict:
    return {
        "name": "agw-voice",
        "id": GATEWAY_ID,
        "type": "Microsoft.Network/applicationGateways",
        "location": "southcentralus",
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "Standard_Medium", "tier": "Standard", "capacity": 3},
            "operationalState": "Running",
            "gatewayIPConfigurations": [
                {
                    "name": "agw-ipc",
                    **sub("gatewayIPConfigurations", "agw-ipc"),
                    "properties": {"subnet": {"id": arm_id("Microsoft.Network/virtualNetworks", "vnet", "snet-agw")}},
                }
            ],
            "sslCertificates": [
                {"name": "voice-cert", **sub("sslCertificates", "voice-cert"), "properties": {"publicCertData": "*"}}
            ],
            "frontendIPConfigurations": [
                {
                    "name": "agw-fip",
                    **sub("frontendIPConfigurations", "agw-fip"),
                    "properties": {
                        "privateIPAllocationMethod": "Dynamic",
                        "publicIPAddress": {"id": arm_id("Microsoft.Network/publicIPAddresses", "pip-agw")},
                    },
                }
            ],
            "frontendPorts": [
                {"name": "port-443", **sub("frontendPorts", "port-443"), "properties": {"port": 443}},
                {"name": "port-80", **sub("frontendPorts", "port-80"), "properties": {"port": 80}},
            ],
            "backendAddressPools": [
                {
                    "name": "voice-pool",
                    **sub("backendAddressPools", "voice-pool"),
                    "properties": {"backendAddresses": [{"ipAddress": "10.20.2.4"}]},
                }
            ],
            "backendHttpSettingsCollection": [
                {
                    "name": "voice-settings",
                    **sub("backendHttpSettingsCollection", "voice-settings"),
                    "properties": {
                        "port": 80,
                        "protocol": "Http",
                        "cookieBasedAffinity": "Disabled",
                        "requestTimeout": 30,
                    },
                }
            ],
            "sslProfiles": [
                {
                    "name": "partner-profile",
                    **sub("sslProfiles", "partner-profile"),
                    "properties": {
                        "sslPolicy": {
                            "policyType": "Custom",
                            "minProtocolVersion": "TLSv1_1",
                            "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"],
                        },
                        "clientAuthConfiguration": {"verifyClientCertIssuerDN": True},
                    },
                }
            ],
            "httpListeners": [
                {
                    "name": "https-listener",
                    **sub("httpListeners", "https-listener"),
                    "properties": {
                        "frontendIPConfiguration": sub("frontendIPConfigurations", "agw-fip"),
                        "frontendPort": sub("frontendPorts", "port-443"),
                        "protocol": "Https",
                        "sslCertificate": sub("sslCertificates", "voice-cert"),
                        "sslProfile": sub("sslProfiles", "partner-profile"),
                        "requireServerNameIndication": False,
                    },
                },
                {
                    "name": "http-listener",
                    **sub("httpListeners", "http-listener"),
                    "properties": {
                        "frontendIPConfiguration": sub("frontendIPConfigurations", "agw-fip"),
                        "frontendPort": sub("frontendPorts", "port-80"),
                        "protocol": "Http",
                    },
                },
            ],
            "urlPathMaps": [
                {
                    "name": "api-paths",
                    **sub("urlPathMaps", "api-paths"),
                    "properties": {
                        "defaultBackendAddressPool": sub("backendAddressPools", "voice-pool"),
                        "defaultBackendHttpSettings": sub("backendHttpSettingsCollection", "voice-settings"),
                        "pathRules": [
                            {
                                "name": "api",
                                "id": f"{GATEWAY_ID}/urlPathMaps/api-paths/pathRules/api",
                                "properties": {
                                    "paths": ["/api", "/v1/api"],
                                    "backendAddressPool": sub("backendAddressPools", "voice-pool"),
                                    "backendHttpSettings": sub("backendHttpSettingsCollection", "voice-settings"),
                                },
                            }
                        ],
                    },
                }
            ],
            "requestRoutingRules": [
                {
                    "name": "https-rule",
                    **sub("requestRoutingRules", "https-rule"),
                    "properties": {
                        "ruleType": "Basic",
                        "priority": 10,
                        "httpListener": sub("httpListeners", "https-listener"),
                        "backendAddressPool": sub("backendAddressPools", "voice-pool"),
                        "backendHttpSettings": sub("backendHttpSettingsCollection", "voice-settings"),
                    },
                },
                {
                    "name": "http-path-rule",
                    **sub("requestRoutingRules", "http-path-rule"),
                    "properties": {
                        "ruleType": "PathBasedRouting",
                        "priority": 20,
                        "httpListener": sub("httpListeners", "http-listener"),
                        "urlPathMap": sub("urlPathMaps", "api-paths"),
                    },
                },
            ],
            "probes": [],
            "privateEndpointConnections": [],
            "globalConfiguration": {"enableRequestBuffering": True, "enableResponseBuffering": True},
        },
    }


def waf_policy(mode: str = "Prevention", rule_set: tuple[str, str] = ("Microsoft_DefaultRuleSet", "2.1")) -> dict:
    # The shape test_appgw.py mirrors from .../stable/2024-05-01/examples/WafPolicyGet.json.
    return {
        "id": arm_id("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf-voice"),
        "name": "waf-voice",
        "type": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        "location": "southcentralus",
        "properties": {
            "policySettings": {"state": "Enabled", "mode": mode, "requestBodyCheck": True},
            "managedRules": {"managedRuleSets": [{"ruleSetType": rule_set[0], "ruleSetVersion": rule_set[1]}]},
            "applicationGateways": [{"id": GATEWAY_ID}],
        },
    }


def gateway_verdicts(*resources: dict) -> dict[str, str]:
    out = {}
    for check_id in GATEWAY_CHECKS:
        (finding,) = [f for f in run_check(check_id, resources) if f.resource_name == "agw-voice"]
        out[check_id] = finding.status.value
    return out


def harden(gateway: dict) -> dict:
    """The example gateway with every finding fixed, the way an operator would fix it."""
    gateway = copy.deepcopy(gateway)
    props = gateway["properties"]
    props["sku"] = {"name": "WAF_v2", "tier": "WAF_v2"}
    props["autoscaleConfiguration"] = {"minCapacity": 2, "maxCapacity": 10}
    props["firewallPolicy"] = {"id": waf_policy()["id"]}
    props["sslPolicy"] = {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}
    props["sslProfiles"][0]["properties"]["sslPolicy"] = {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2"}
    props["probes"] = [
        {"name": "health", **sub("probes", "health"), "properties": {"protocol": "Http", "path": "/health"}}
    ]
    props["backendHttpSettingsCollection"][0]["properties"]["probe"] = sub("probes", "health")
    props["backendHttpSettingsCollection"][0]["properties"].update(protocol="Https", port=443)
    props["sslCertificates"][0]["properties"]["keyVaultSecretId"] = "https://kv-voice.vault.azure.net/secrets/voice-cert"
    props["redirectConfigurations"] = [
        {
            "name": "to-https",
            **sub("redirectConfigurations", "to-https"),
            "properties": {"redirectType": "Permanent", "targetListener": sub("httpListeners", "https-listener")},
        }
    ]
    http_rule = props["requestRoutingRules"][1]["properties"]
    http_rule.pop("urlPathMap")
    http_rule["ruleType"] = "Basic"
    http_rule["redirectConfiguration"] = sub("redirectConfigurations", "to-https")
    gateway["zones"] = ["1", "2", "3"]
    return gateway


def test_every_gateway_check_on_the_example_shape():
    assert gateway_verdicts(example_gateway()) == {
        "appgw.waf-prevention": "fail",  # the Standard tier has no WAF
        "appgw.waf-rule-set": "not_applicable",
        "appgw.tls-min-1-2": "fail",  # no gateway policy, and the SSL profile allows TLS 1.1
        "appgw.https-redirect": "fail",  # the port-80 listener routes by path to the backend
        "appgw.health-probes": "fail",  # probes: []
        "appgw.autoscale-min": "pass",  # fixed capacity 3
        "appgw.zone-redundant": "fail",  # no zones property
        "appgw.backend-https": "fail",  # voice-settings: protocol Http, port 80
        "appgw.certificates-in-keyvault": "fail",  # voice-cert carries publicCertData, no keyVaultSecretId
    }


def test_the_example_gateway_hardened_passes_every_check():
    assert set(gateway_verdicts(harden(example_gateway()), waf_policy()).values()) == {"pass"}


@pytest.mark.parametrize(
    ("change", "check_id"),
    [
        (lambda g, p: p["properties"]["policySettings"].update(mode="Detection"), "appgw.waf-prevention"),
        (lambda g, p: p["properties"]["managedRules"]["managedRuleSets"][0].update(ruleSetVersion="3.1",
                                                                                    ruleSetType="OWASP"),
         "appgw.waf-rule-set"),
        (lambda g, p: g["properties"]["sslProfiles"][0]["properties"]["sslPolicy"].update(
            policyType="Custom", minProtocolVersion="TLSv1_1"), "appgw.tls-min-1-2"),
        (lambda g, p: g["properties"]["requestRoutingRules"][1]["properties"].pop("redirectConfiguration"),
         "appgw.https-redirect"),
        (lambda g, p: g["properties"]["backendHttpSettingsCollection"][0]["properties"].pop("probe"),
         "appgw.health-probes"),
        (lambda g, p: g["properties"]["autoscaleConfiguration"].update(minCapacity=1), "appgw.autoscale-min"),
        (lambda g, p: g.update(zones=["2"]), "appgw.zone-redundant"),
        (lambda g, p: g["properties"]["backendHttpSettingsCollection"][0]["properties"].update(protocol="Http"),
         "appgw.backend-https"),
        (lambda g, p: g["properties"]["sslCertificates"][0]["properties"].pop("keyVaultSecretId"),
         "appgw.certificates-in-keyvault"),
    ],
)
def test_each_regression_of_the_hardened_example_fails_its_check(change, check_id):
    gateway, policy = harden(example_gateway()), waf_policy()
    change(gateway, policy)
    result = gateway_verdicts(gateway, policy)
    assert result[check_id] == "fail"
    assert [c for c, status in result.items() if status != "pass"] == [check_id]


def test_a_v1_waf_gateway_with_the_legacy_inline_configuration():
    # Before WAF policies, a WAF (v1) gateway carried webApplicationFirewallConfiguration inline;
    # list responses of 2023-09-01 still return it for such gateways.
    gateway = example_gateway()
    gateway["properties"]["sku"] = {"name": "WAF_Medium", "tier": "WAF", "capacity": 2}
    gateway["properties"]["webApplicationFirewallConfiguration"] = {
        "enabled": True,
        "firewallMode": "Prevention",
        "ruleSetType": "OWASP",
        "ruleSetVersion": "3.2",
    }
    result = gateway_verdicts(gateway)
    # Only WAF_v2 counts: v1 is retired, and its tier is named WAF, not WAF_v2.
    assert result["appgw.waf-prevention"] == "fail"
