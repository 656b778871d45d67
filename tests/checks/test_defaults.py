"""Issue 9 section 2: Azure's current defaults and other shapes that sound deployments use.

Each test names the spec example or document whose shape or default it follows."""

from __future__ import annotations

import copy

import pytest

from tests.checks.helpers import only, resource, verdicts
from tests.checks.test_appgw import _load

GATEWAY = "Microsoft.Network/applicationGateways"


def gateway_and_policy():
    gateway, policy = _load()
    return copy.deepcopy(gateway), copy.deepcopy(policy)


def test_v2_gateway_without_zones_is_zone_redundant_by_default():
    # learn.microsoft.com/azure/reliability/reliability-application-gateway-v2: a v2 gateway created
    # without zones in a region with availability zones is zone redundant.
    gateway, _ = gateway_and_policy()
    gateway.pop("zones", None)
    finding = only("appgw.zone-redundant", [gateway])
    assert finding.status.value == "pass" and "by default" in finding.evidence["message"]
    gateway["zones"] = []
    assert verdicts("appgw.zone-redundant", [gateway]) == {"agw-voice-prod": "pass"}
    gateway["zones"] = ["1"]  # pinned to one zone on purpose
    assert verdicts("appgw.zone-redundant", [gateway]) == {"agw-voice-prod": "fail"}
    gateway["zones"] = []
    gateway["properties"]["sku"] = {"name": "WAF_Medium", "tier": "WAF", "capacity": 2}  # v1 has no zones
    assert verdicts("appgw.zone-redundant", [gateway]) == {"agw-voice-prod": "fail"}


def test_autoscale_minimum_below_two_is_a_scale_out_delay():
    gateway, _ = gateway_and_policy()
    gateway["properties"]["autoscaleConfiguration"] = {"minCapacity": 1, "maxCapacity": 10}
    finding = only("appgw.autoscale-min", [gateway])
    assert finding.status.value == "fail" and finding.severity.value == "medium"
    assert "scale-out delay" in finding.evidence["message"]
    assert "not a single point of failure" in finding.evidence["message"]


def test_absent_tls_policy_takes_the_default_of_the_api_version():
    # application-gateway-ssl-policy-overview: no sslPolicy means AppGwSslPolicy20150501 (TLS 1.0)
    # before api-version 2023-02-01 and AppGwSslPolicy20220101 (TLS 1.2) from it.
    gateway, _ = gateway_and_policy()
    del gateway["properties"]["sslPolicy"]
    new = only("appgw.tls-min-1-2", [gateway], api_versions={GATEWAY: "2024-05-01"})
    assert new.status.value == "pass" and "AppGwSslPolicy20220101" in str(new.evidence["observations"])
    assert verdicts("appgw.tls-min-1-2", [gateway], api_versions={GATEWAY: "2022-09-01"}) == {
        "agw-voice-prod": "fail"
    }
    unknown = only("appgw.tls-min-1-2", [gateway], api_versions={GATEWAY: None})
    assert unknown.status.value == "fail" and "older default assumed" in str(unknown.evidence["observations"])


def test_v1_waf_tier_is_a_waf_that_fails_as_retired():
    # ApplicationGatewayList.json (2023-09-01) v1 shape: sku {name WAF_Medium, tier WAF}.
    gateway, policy = gateway_and_policy()
    gateway["properties"]["sku"] = {"name": "WAF_Medium", "tier": "WAF", "capacity": 2}
    finding = only("appgw.waf-prevention", [gateway, policy])
    assert finding.status.value == "fail" and "retired" in finding.evidence["message"]
    # and it is a WAF: its rule set is judged, not skipped
    assert verdicts("appgw.waf-rule-set", [gateway, policy]) == {"agw-voice-prod": "pass"}


def test_waf_allow_override_disables_the_rule_on_the_gateway():
    # ApplicationGatewayWebApplicationFirewallPolicies: ManagedRuleOverride.action Allow.
    gateway, policy = gateway_and_policy()
    policy["properties"]["managedRules"]["managedRuleSets"][0]["ruleGroupOverrides"] = [
        {"ruleGroupName": "SQLI", "rules": [{"ruleId": "942100", "state": "Enabled", "action": "Allow"}]}
    ]
    finding = only("appgw.waf-rule-set", [gateway, policy])
    assert finding.status.value == "fail" and "Allow" in finding.evidence["message"]


def cosmos(name, kind="GlobalDocumentDB", capabilities=(), **props):
    # cosmos-db/.../stable/2024-11-15/examples/CosmosDBDatabaseAccountGet.json
    base = {
        "databaseAccountOfferType": "Standard",
        "capabilities": [{"name": c} for c in capabilities],
        "publicNetworkAccess": "Disabled",
    }
    return resource("Microsoft.DocumentDB/databaseAccounts", name, properties=base | props, kind=kind)


def test_cosmos_local_auth_is_not_applicable_to_key_only_apis():
    # learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac: data-plane RBAC is for the API for NoSQL.
    result = verdicts(
        "identity.cosmos.local-auth-disabled",
        [
            cosmos("nosql"),
            cosmos("nosql-off", disableLocalAuth=True),
            cosmos("mongo", kind="MongoDB", capabilities=["EnableMongo"]),
            cosmos("cassandra", capabilities=["EnableCassandra"]),
            cosmos("table", capabilities=["EnableTable"]),
            cosmos("gremlin", capabilities=["EnableGremlin"]),
        ],
    )
    assert result == {
        "nosql": "fail",
        "nosql-off": "pass",
        "mongo": "not_applicable",
        "cassandra": "not_applicable",
        "table": "not_applicable",
        "gremlin": "not_applicable",
    }


ENV = "Microsoft.App/managedEnvironments"


def environment(name, **props):
    # app/.../stable/2025-07-01/examples/ManagedEnvironments_Get.json (publicNetworkAccess from 2024-10-02-preview)
    base = {"provisioningState": "Succeeded", "defaultDomain": f"{name}.k4apps.io", "staticIp": "20.42.33.145"}
    return resource(ENV, name, properties=base | props)


def test_environment_with_public_access_disabled_and_a_private_endpoint_is_private():
    approved = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}
    result = verdicts(
        "aca.environment-internal",
        [
            environment("pe", publicNetworkAccess="Disabled", privateEndpointConnections=[approved]),
            environment("public", publicNetworkAccess="Enabled"),
        ],
    )
    assert result == {"pe": "pass", "public": "fail"}


#: What app/resource-manager/Microsoft.App/ContainerApps/<version>/ManagedEnvironments.json defines under
#: ManagedEnvironment.properties, for the versions golive has considered: the stable 2025-07-01 has
#: publicNetworkAccess and privateEndpointConnections but neither appInsightsConfiguration nor
#: openTelemetryConfiguration, which only the previews (2025-02-02-preview among them) define.
ENVIRONMENT_PROPERTIES_BY_API_VERSION = {
    "2025-07-01": {"publicNetworkAccess", "privateEndpointConnections", "appLogsConfiguration"},
    "2025-02-02-preview": {
        "publicNetworkAccess", "privateEndpointConnections", "appLogsConfiguration", "appInsightsConfiguration",
        "openTelemetryConfiguration",
    },
}


def test_the_collector_reads_environments_at_an_api_version_with_public_network_access():
    from auditor.collect.plan import api_version

    assert api_version(ENV) >= "2024-10-02"
    assert "publicNetworkAccess" in ENVIRONMENT_PROPERTIES_BY_API_VERSION.get(api_version(ENV), set())


@pytest.mark.xfail(
    strict=True,
    reason="auditor/collect/plan.py reads Microsoft.App/managedEnvironments at the stable 2025-07-01, whose "
    "ManagedEnvironment has no appInsightsConfiguration or openTelemetryConfiguration, so "
    "monitor.workload-telemetry never sees an environment-level Application Insights or OpenTelemetry wiring "
    "in a collected snapshot; reading environments at 2025-02-02-preview fixes it (collection code, owned by "
    "the collection change; drop this marker then)",
)
def test_the_collector_reads_environments_at_an_api_version_with_their_telemetry_settings():
    from auditor.collect.plan import api_version

    wanted = {"publicNetworkAccess", "appInsightsConfiguration", "openTelemetryConfiguration"}
    assert wanted <= ENVIRONMENT_PROPERTIES_BY_API_VERSION.get(api_version(ENV), set())


def test_kube_environment_id_names_the_environment():
    # Older Microsoft.Web-era shape (2022-01-01-preview ContainerApps_Get.json): kubeEnvironmentId.
    env = environment("env", vnetConfiguration={"internal": True, "infrastructureSubnetId": "/subscriptions/x"})
    app = resource(
        "Microsoft.App/containerApps",
        "legacy",
        properties={"kubeEnvironmentId": env["id"], "configuration": {"ingress": {"external": True}}},
    )
    assert verdicts("aca.ingress-not-public", [env, app]) == {"legacy": "pass"}


def redis(name, **props):
    # redis/.../stable/2024-11-01/examples/RedisCacheGet.json
    base = {"provisioningState": "Succeeded", "sku": {"name": "Premium", "family": "P", "capacity": 1},
            "enableNonSslPort": False, "port": 6379, "sslPort": 6380}
    return resource("Microsoft.Cache/Redis", name, properties=base | props)


def firewall_rule(cache, name, start, end):
    # redis/.../stable/2024-11-01/examples/RedisCacheFirewallRuleGet.json
    return resource("Microsoft.Cache/Redis/firewallRules", cache, name, properties={"startIP": start, "endIP": end})


def test_vnet_injected_premium_redis_is_private():
    subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/redis"
    caches = [redis("injected", subnetId=subnet, staticIP="10.0.1.5"), redis("public", publicNetworkAccess="Enabled")]
    # both caches accept keys, so public access is judged with them: one compound finding
    assert verdicts("exposure.redis.public-with-keys", caches) == {"injected": "pass", "public": "fail"}
    assert verdicts("network.redis.private-endpoint", caches) == {"injected": "pass", "public": "fail"}


def test_redis_firewall_rules_restrict_unless_they_admit_everyone():
    result = verdicts(
        "exposure.redis.public-with-keys",
        [
            redis("office", publicNetworkAccess="Enabled"),
            firewall_rule("office", "office", "203.0.113.0", "203.0.113.255"),
            redis("wide", publicNetworkAccess="Enabled"),
            firewall_rule("wide", "all", "0.0.0.0", "255.255.255.255"),
            redis("none", publicNetworkAccess="Enabled"),
        ],
    )
    assert result == {"office": "pass", "wide": "fail", "none": "fail"}


def test_redis_enterprise_without_public_network_access_and_a_private_endpoint_is_private():
    # redisenterprise/.../stable/2024-10-01/examples/RedisEnterpriseGet.json: no publicNetworkAccess before
    # 2025-07-01; privateEndpointConnections inline.
    approved = {
        "id": "x/privateEndpointConnections/pe",
        "properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved"}},
    }
    clusters = [
        resource("Microsoft.Cache/redisEnterprise", "pe", properties={"privateEndpointConnections": [approved]},
                 sku={"name": "Balanced_B5"}),
        resource("Microsoft.Cache/redisEnterprise", "bare", properties={}, sku={"name": "Balanced_B5"}),
        resource("Microsoft.Cache/redisEnterprise", "open", sku={"name": "Balanced_B5"},
                 properties={"publicNetworkAccess": "Enabled", "privateEndpointConnections": [approved]}),
    ]
    result = verdicts("network.redis-enterprise.public-access", clusters)
    assert result == {"pe": "pass", "bare": "fail", "open": "fail"}
