import pytest
from auditor.checks.identity import KEY_AUTH, WORKLOADS

from tests.checks.helpers import arm_id, only, resource, verdicts


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.key)
def test_managed_identity(workload):
    check_id = f"identity.{workload.key}.managed-identity"
    items = [
        resource(workload.rtype, "system", identity={"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}),
        resource(
            workload.rtype, "both", identity={"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {}}
        ),
        resource(workload.rtype, "none", identity={"type": "None"}),
        resource(workload.rtype, "absent"),
        resource(workload.rtype, "odd", identity={"type": 7}),
    ]
    assert verdicts(check_id, items) == {
        "system": "pass",
        "both": "pass",
        "none": "fail",
        "absent": "fail",
        "odd": "not_assessed",
    }
    assert only(check_id, []).status.value == "not_applicable"


def _set(props: dict, path: str, value) -> dict:
    parts = path.split(".")[1:]
    node = props
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return props


#: Private, so that the key check reports on its own (a public service that also accepts keys is one
#: compound finding, exposure.*.public-with-keys: tests/checks/test_exposure.py).
PRIVATE = {"publicNetworkAccess": "Disabled"}


def _hardened(rule) -> dict:
    props = _set(dict(PRIVATE), rule.path, rule.disabled_value)
    for path, required, _ in rule.also:
        _set(props, path, required)
    return props


@pytest.mark.parametrize("rule", KEY_AUTH, ids=lambda r: r.key)
def test_local_auth_disabled(rule):
    check_id = f"identity.{rule.key}.local-auth-disabled"
    enabled_value = (not rule.disabled_value) if isinstance(rule.disabled_value, bool) else "Enabled"
    odd_value = "sometimes" if isinstance(rule.disabled_value, bool) else 3
    items = [
        resource(rule.rtype, "off", properties=_hardened(rule)),
        resource(rule.rtype, "on", properties=_set(dict(PRIVATE), rule.path, enabled_value)),
        resource(rule.rtype, "odd", properties=_set(dict(PRIVATE), rule.path, odd_value)),
    ]
    result = verdicts(check_id, items)
    assert result == {"off": "pass", "on": "fail", "odd": "not_assessed"}
    assert only(check_id, []).status.value == "not_applicable"


@pytest.mark.parametrize("rule", KEY_AUTH, ids=lambda r: r.key)
def test_local_auth_absent_property_uses_the_arm_default(rule):
    check_id = f"identity.{rule.key}.local-auth-disabled"
    finding = only(check_id, [resource(rule.rtype, "silent", properties=dict(PRIVATE))])
    expected = "pass" if rule.default == rule.disabled_value else "fail"
    assert finding.status.value == expected
    assert finding.evidence["observations"][0]["defaultApplied"] is True


def test_redis_needs_entra_auth_too():
    redis = resource(
        "Microsoft.Cache/Redis",
        "half",
        properties={
            "disableAccessKeyAuthentication": True,
            "redisConfiguration": {"aad-enabled": "false"},
            **PRIVATE,
        },
    )
    finding = only("identity.redis.local-auth-disabled", [redis])
    assert finding.status.value == "fail" and "aad-enabled" in finding.evidence["message"]


def test_app_insights_property_name_is_matched_case_insensitively():
    component = resource("Microsoft.Insights/components", "appi", properties={"disableLocalAuth": True}, kind="web")
    assert verdicts("identity.appinsights.local-auth-disabled", [component]) == {"appi": "pass"}


# The published example responses, with our own ids. Each names its file under
# specification/<service>/resource-manager/.


def test_redis_cache_get_example_shape():
    # redis/.../Microsoft.Cache/stable/2024-11-01/examples/RedisCacheGet.json: no
    # disableAccessKeyAuthentication and an empty redisConfiguration, i.e. keys on.
    props = {
        "provisioningState": "Succeeded",
        "redisVersion": "6.0",
        "sku": {"name": "Premium", "family": "P", "capacity": 3},
        "enableNonSslPort": False,
        "redisConfiguration": {},
        "hostName": "cache1.redis.cache.windows.net",
        "port": 6379,
        "sslPort": 6380,
        "publicNetworkAccess": "Enabled",
    }
    example = resource("Microsoft.Cache/Redis", "example", properties=props)
    # Entra-only, as ARM templates write it ("True" with a capital letter is common).
    entra = resource(
        "Microsoft.Cache/Redis",
        "entra",
        properties={**props, "disableAccessKeyAuthentication": True, "redisConfiguration": {"aad-enabled": "True"}},
    )
    # the example cache is public too: one compound finding, and the key check points at it
    assert verdicts("identity.redis.local-auth-disabled", [example, entra]) == {
        "example": "not_applicable",
        "entra": "pass",
    }
    assert verdicts("exposure.redis.public-with-keys", [example])["example"] == "fail"


def test_managed_redis_database_example_shapes():
    # redisenterprise/.../preview/2024-09-01-preview/examples/RedisEnterpriseDatabasesListByCluster.json:
    # no accessKeysAuthentication (older shape, keys always on).
    older = {
        "id": arm_id("Microsoft.Cache/redisEnterprise/databases", "cache1", "default"),
        "name": "cache1/default",
        "type": "Microsoft.Cache/redisEnterprise/databases",
        "properties": {
            "provisioningState": "Succeeded",
            "resourceState": "Running",
            "clientProtocol": "Encrypted",
            "clusteringPolicy": "OSSCluster",
            "evictionPolicy": "AllKeysLRU",
            "port": 10000,
            "deferUpgrade": "NotDeferred",
            "redisVersion": "6.0",
        },
    }
    # From 2025-04-01 GET returns the setting; 2025-07-01 made "Disabled" the create default.
    current = {
        **older,
        "id": arm_id("Microsoft.Cache/redisEnterprise/databases", "cache2", "default"),
        "name": "cache2/default",
        "properties": {**older["properties"], "accessKeysAuthentication": "Disabled"},
    }
    result = verdicts("identity.redis-enterprise.local-auth-disabled", [older, current])
    assert result == {"cache1/default": "fail", "cache2/default": "pass"}


def test_communication_services_example_shapes():
    # communication/.../Communication/examples/2026-03-18/communicationServices/createOrUpdate.json:
    # identity None and no disableLocalAuth; 2025-09-01 added the property (createOrUpdateWithDisableLocalAuth).
    base = {
        "dataLocation": "United States",
        "hostName": "mycommunicationresource.communications.azure.com",
        "provisioningState": "Succeeded",
    }
    plain = resource(
        "Microsoft.Communication/CommunicationServices", "plain", properties=base, identity={"type": "None"}
    )
    hardened = resource(
        "Microsoft.Communication/CommunicationServices", "hardened", properties={**base, "disableLocalAuth": True}
    )
    assert verdicts("identity.acs.local-auth-disabled", [plain, hardened]) == {
        "plain": "not_applicable",  # public as well: the compound finding below
        "hardened": "pass",
    }
    assert verdicts("exposure.acs.public-with-keys", [plain])["plain"] == "fail"


def test_container_app_registry_pull_shape_from_az():
    # What `az containerapp registry set --identity system` leaves in a GET: empty strings, not absent keys.
    app = resource(
        "Microsoft.App/containerApps",
        "app",
        properties={
            "configuration": {
                "registries": [
                    {"identity": "system", "passwordSecretRef": "", "server": "cr.azurecr.io", "username": ""}
                ]
            },
            "template": {"containers": [{"name": "main", "image": "cr.azurecr.io/app:1"}]},
        },
        identity={"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
    )
    assert verdicts("secrets.aca-registry-password", [app]) == {"app": "pass"}
    assert verdicts("identity.aca.managed-identity", [app]) == {"app": "pass"}
