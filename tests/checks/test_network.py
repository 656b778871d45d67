"""Network perimeter checks, one parametrized family per service table row."""

import pytest
from auditor.checks._compound import COMPOUND_KEYS
from auditor.checks.network import PRIVATE_ENDPOINT, SERVICES

from auditor.registry import discover
from tests.checks.helpers import SUB, arm_id, only, resource, verdicts


def keys_off(service) -> dict:
    """Properties that turn key authentication off, so that public access reports on its own (a
    public service that accepts keys is one compound finding: tests/checks/test_exposure.py)."""
    from auditor.checks.identity import KEY_AUTH_BY_KEY

    if service.key == "cosmos-mongo-vcore":
        return {"authConfig": {"allowedModes": ["MicrosoftEntraID"]}}
    rule = KEY_AUTH_BY_KEY.get(service.key)
    if rule is None or service.key not in COMPOUND_KEYS:
        return {}
    props: dict = {}
    for path, value in ((rule.path, rule.disabled_value), *((p, v) for p, v, _ in rule.also)):
        node = props
        parts = path.split(".")[1:]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return props


def service_resource(service, name="target", **properties):
    return resource(service.rtype, name, properties=keys_off(service) | properties)


def web_config(site_name, **props):
    # web/.../stable/2023-12-01/examples/GetSiteConfig.json; with no restriction set, ARM lists the
    # implicit rule {"ipAddress": "Any", "action": "Allow", "name": "Allow all"}.
    rules = [{"ipAddress": "Any", "action": "Allow", "priority": 2147483647, "name": "Allow all"}]
    return resource(
        "Microsoft.Web/sites/config", site_name, "web", properties={"ipSecurityRestrictions": rules} | props
    )


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_public_access_verdicts(service):
    configs = [web_config("open"), web_config("silent")] if service.key == "appservice" else []
    result = verdicts(
        f"network.{service.key}.public-access",
        [
            service_resource(service, "closed", publicNetworkAccess="Disabled"),
            service_resource(service, "open", publicNetworkAccess="Enabled"),
            service_resource(service, "silent"),
            *configs,
        ],
    )
    assert result == {"closed": "pass", "open": "fail", "silent": "fail"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_absent_public_access_reports_the_arm_default(service):
    finding = only(f"network.{service.key}.public-access", [service_resource(service, "silent")])
    read = [o for o in finding.evidence["observations"] if o["path"] == "properties.publicNetworkAccess"]
    assert read == [{"path": "properties.publicNetworkAccess", "observed": "Enabled", "defaultApplied": True}]


DENY_ACLS = {
    "keyvault": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}},
    "cognitive": {"networkAcls": {"defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []}},
    "storage": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}},
    "acr": {"networkRuleSet": {"defaultAction": "Deny", "ipRules": []}},
    "appservice": {"siteConfig": {"ipSecurityRestrictionsDefaultAction": "Deny"}},
    "signalr": {"networkACLs": {"defaultAction": "Deny", "publicNetwork": {"allow": []}}},
    "cosmos": {"isVirtualNetworkFilterEnabled": True, "ipRules": []},
}


@pytest.mark.parametrize("service", [s for s in SERVICES if s.acl], ids=lambda s: s.key)
def test_default_deny_acl_restricts_public_access(service):
    acl = DENY_ACLS[service.key]
    finding = only(f"network.{service.key}.public-access", [service_resource(service, "acl", **acl)])
    assert finding.status.value == "pass"
    assert "network ACL" in finding.evidence["message"]


def test_services_without_resource_acl_ignore_acl_like_properties():
    # Redis keeps its firewall in child firewallRules; a stray networkAcls must not count.
    redis = resource(
        "Microsoft.Cache/Redis",
        "r",
        properties={"networkAcls": {"defaultAction": "Deny"}, "publicNetworkAccess": "Enabled"},
    )
    assert verdicts("exposure.redis.public-with-keys", [redis]) == {"r": "fail"}


def test_cosmos_firewall_rules():
    def account(name, **props):
        return resource(
            "Microsoft.DocumentDB/databaseAccounts", name, properties={"publicNetworkAccess": "Enabled", **props}
        )

    result = verdicts(
        "exposure.cosmos.public-with-keys",  # these accounts accept keys as well
        [
            account("listed", ipRules=[{"ipAddressOrRange": "203.0.113.0/24"}]),
            account("azure-wide", ipRules=[{"ipAddressOrRange": "0.0.0.0"}]),
            account("open", ipRules=[], isVirtualNetworkFilterEnabled=False),
            account("odd", ipRules=["203.0.113.0/24"]),
        ],
    )
    assert result == {"listed": "pass", "azure-wide": "fail", "open": "fail", "odd": "not_assessed"}


def test_signalr_deny_acl_that_still_admits_clients_is_public():
    hub = resource(
        "Microsoft.SignalRService/SignalR",
        "hub",
        properties={"networkACLs": {"defaultAction": "Deny", "publicNetwork": {"allow": ["ClientConnection"]}}},
    )
    assert verdicts("network.signalr.public-access", [hub]) == {"hub": "fail"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_public_access_odd_shape_and_absence(service):
    check_id = f"network.{service.key}.public-access"
    assert verdicts(check_id, [service_resource(service, "odd", publicNetworkAccess=False)]) == {"odd": "not_assessed"}
    assert only(check_id, []).status.value == "not_applicable"


def test_apim_internal_vnet_counts_as_private_and_needs_no_private_endpoint():
    def apim(name, mode):
        props = {"publicNetworkAccess": "Enabled", "virtualNetworkType": mode}
        return resource("Microsoft.ApiManagement/service", name, properties=props)

    services = [apim("internal", "Internal"), apim("external", "External"), apim("none", "None")]
    expected = {"internal": "pass", "external": "fail", "none": "fail"}
    assert verdicts("network.apim.public-access", services) == expected
    # Private endpoints are not supported on a VNet-injected gateway: Internal mode is the private path.
    assert verdicts("network.apim.private-endpoint", services) == expected


def private_endpoint(name, target_id, status="Approved", manual=False):
    connection = {
        "name": name,
        "properties": {
            "privateLinkServiceId": target_id,
            "groupIds": ["vault"],
            "privateLinkServiceConnectionState": {"status": status, "description": "", "actionsRequired": "None"},
        },
    }
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    other = "privateLinkServiceConnections" if manual else "manualPrivateLinkServiceConnections"
    return resource(PRIVATE_ENDPOINT, name, properties={key: [connection], other: [], "subnet": {"id": "x"}})


@pytest.mark.parametrize("service", [s for s in SERVICES if s.private_link], ids=lambda s: s.key)
def test_private_endpoint_verdicts(service):
    check_id = f"network.{service.key}.private-endpoint"
    approved = service_resource(service, "approved")
    pending = service_resource(service, "pending")
    manual = service_resource(service, "manual")
    inline = service_resource(
        service,
        "inline",
        privateEndpointConnections=[
            {"name": "c", "properties": {"privateLinkServiceConnectionState": {"status": "Approved"}}}
        ],
    )
    lonely = service_resource(service, "lonely")
    endpoints = [
        private_endpoint("pe-a", approved["id"].upper()),  # ARM ids compare case-insensitively
        private_endpoint("pe-p", pending["id"], status="Pending"),
        private_endpoint("pe-m", manual["id"], manual=True),
    ]
    if service.private_mode:  # APIM: judged on its VNet mode when not Internal
        for item in (approved, pending, manual, inline, lonely):
            item["properties"]["virtualNetworkType"] = "None"
    result = verdicts(check_id, [approved, pending, manual, inline, lonely, *endpoints])
    assert result == {"approved": "pass", "pending": "fail", "manual": "pass", "inline": "pass", "lonely": "fail"}


def test_pending_endpoint_is_named_in_the_failure():
    vault = resource("Microsoft.KeyVault/vaults", "kv")
    finding = only("network.keyvault.private-endpoint", [vault, private_endpoint("pe-p", vault["id"], "Pending")])
    assert finding.status.value == "fail"
    assert "none of them approved" in finding.evidence["message"]


@pytest.mark.parametrize(
    "connection",
    [
        "not-an-object",
        {"name": "c", "properties": {"privateLinkServiceConnectionState": {"status": 1}}},
        {"name": "c", "properties": "approved"},
    ],
)
def test_odd_private_endpoint_connections_are_not_assessed(connection):
    vault = resource("Microsoft.KeyVault/vaults", "kv", properties={"privateEndpointConnections": [connection]})
    assert verdicts("network.keyvault.private-endpoint", [vault]) == {"kv": "not_assessed"}


def test_endpoint_without_a_target_id_is_not_assessed():
    vault = resource("Microsoft.KeyVault/vaults", "kv")
    endpoint = private_endpoint("pe", vault["id"], status="Pending")
    endpoint["properties"]["manualPrivateLinkServiceConnections"] = [{"name": "x", "properties": {}}]
    assert verdicts("network.keyvault.private-endpoint", [vault, endpoint]) == {"kv": "not_assessed"}


def test_private_endpoints_not_collected_is_not_assessed():
    vault = resource("Microsoft.KeyVault/vaults", "kv", properties={"publicNetworkAccess": "Disabled"})
    finding = only("network.keyvault.private-endpoint", [vault], collected=["Microsoft.KeyVault/vaults"])
    assert finding.status.value == "not_assessed"
    assert "Microsoft.Network/privateEndpoints" in finding.evidence["message"]


def test_private_endpoint_read_failure_names_the_permission():
    vault = resource("Microsoft.KeyVault/vaults", "kv")
    failure = {
        "type": PRIVATE_ENDPOINT,
        "scope": f"/subscriptions/{SUB}",
        "errorCode": "AuthorizationFailed",
        "message": "no read access",
        "permission": "Microsoft.Network/privateEndpoints/read",
    }
    finding = only(
        "network.keyvault.private-endpoint",
        [vault],
        collected=["Microsoft.KeyVault/vaults"],
        failures=[failure],
    )
    assert finding.status.value == "not_assessed"
    assert "Microsoft.Network/privateEndpoints/read" in finding.evidence["message"]


def test_key_vault_spec_example_shape():
    # Mirrors the shape of specification/keyvault/.../examples/getVault.json (2023-07-01).
    vault = {
        "id": arm_id("Microsoft.KeyVault/vaults", "sample-vault"),
        "name": "sample-vault",
        "type": "Microsoft.KeyVault/vaults",
        "location": "westus",
        "tags": {},
        "systemData": {"createdBy": "keyVaultUser1", "createdAt": "2020-01-01T12:00:00.0000000Z"},
        "properties": {
            "sku": {"family": "A", "name": "standard"},
            "tenantId": "00000000-0000-0000-0000-000000000000",
            "accessPolicies": [],
            "enabledForDeployment": True,
            "enabledForDiskEncryption": True,
            "enabledForTemplateDeployment": True,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "enableRbacAuthorization": False,
            "vaultUri": "https://sample-vault.vault.azure.net/",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
        },
    }
    assert verdicts("network.keyvault.public-access", [vault]) == {"sample-vault": "fail"}
    assert verdicts("network.keyvault.private-endpoint", [vault]) == {"sample-vault": "fail"}


def _rehome(body: dict) -> dict:
    """Move a published example into the test subscription, keeping its shape."""
    rtype = body["type"]
    namespace, kind = rtype.split("/", 1)
    body = dict(body, id=arm_id(f"{namespace}/{kind}", body["name"]))
    return body


def test_redis_enterprise_example_without_public_network_access():
    # Mirrors specification/redisenterprise/.../stable/2025-04-01/examples/RedisEnterpriseGet.json: no
    # publicNetworkAccess property and an approved inline private endpoint connection.
    cluster = _rehome(
        {
            "location": "West US",
            "kind": "v1",
            "sku": {"name": "EnterpriseFlash_F300", "capacity": 3},
            "zones": ["1", "2", "3"],
            "name": "cache1",
            "type": "Microsoft.Cache/redisEnterprise",
            "tags": {},
            "properties": {
                "hostName": "cache1.westus.something.azure.com",
                "provisioningState": "Succeeded",
                "resourceState": "Running",
                "redisVersion": "6",
                "minimumTlsVersion": "1.2",
                "privateEndpointConnections": [
                    {
                        "id": "/subscriptions/x/resourceGroups/rg1/providers/Microsoft.Cache/redisEnterprise/cache1/"
                        "privateEndpointConnections/cachePec",
                        "properties": {
                            "privateEndpoint": {
                                "id": "/subscriptions/x/resourceGroups/rg1/providers/Microsoft.Network/"
                                "privateEndpoints/cachePe"
                            },
                            "privateLinkServiceConnectionState": {
                                "status": "Approved",
                                "description": "Please approve my connection",
                                "actionsRequired": "None",
                            },
                        },
                    }
                ],
            },
        }
    )
    # Issue 9: before publicNetworkAccess existed, an approved private endpoint closed the cluster's
    # public endpoint (learn.microsoft.com/azure/redis/private-link), so this cluster is private.
    public = only("network.redis-enterprise.public-access", [cluster])
    assert public.status.value == "pass" and "private endpoint" in public.evidence["message"]
    assert verdicts("network.redis-enterprise.private-endpoint", [cluster]) == {"cache1": "pass"}


def test_communication_services_example_shapes():
    # Mirrors specification/communication/.../examples/2025-09-01/communicationServices/
    # updateWithSystemAssignedIdentity.json (no publicNetworkAccess), then the 2025-05-01-preview shape
    # that adds publicNetworkAccess.
    acs = _rehome(
        {
            "name": "MyCommunicationResource",
            "type": "Microsoft.Communication/CommunicationServices",
            "identity": {"type": "SystemAssigned", "principalId": "1", "tenantId": "2"},
            "location": "Global",
            "properties": {
                "dataLocation": "United States",
                "hostName": "mycommunicationresource.communications.azure.com",
                "provisioningState": "Succeeded",
                "version": "0.2.0",
            },
            "tags": {"newTag": "newVal"},
        }
    )
    assert verdicts("exposure.acs.public-with-keys", [acs]) == {"MyCommunicationResource": "fail"}
    acs["properties"]["publicNetworkAccess"] = "SecuredByPerimeter"
    assert verdicts("network.acs.public-access", [acs]) == {"MyCommunicationResource": "pass"}


def test_communication_services_has_no_private_endpoint_check():
    # No api-version of Microsoft.Communication has private link resources: asking for a private
    # endpoint would fail every deployment for good. The perimeter is judged by public-access.
    ids = {c.meta.id for c in discover(entry_points=False).checks}
    assert "network.acs.public-access" in ids and "network.acs.private-endpoint" not in ids
    assert {f"network.{s.key}.private-endpoint" for s in SERVICES if s.key != "acs"} <= ids


def test_cosmos_account_example_shape():
    # Mirrors specification/cosmos-db/.../stable/2024-11-15/examples/CosmosDBDatabaseAccountGet.json: no
    # publicNetworkAccess, an empty firewall, and an approved inline private endpoint connection.
    account = _rehome(
        {
            "name": "ddb1",
            "location": "West US",
            "type": "Microsoft.DocumentDB/databaseAccounts",
            "kind": "GlobalDocumentDB",
            "tags": {},
            "properties": {
                "provisioningState": "Succeeded",
                "documentEndpoint": "https://ddb1.documents.azure.com:443/",
                "ipRules": [],
                "isVirtualNetworkFilterEnabled": False,
                "virtualNetworkRules": [],
                "databaseAccountOfferType": "Standard",
                "privateEndpointConnections": [
                    {
                        "id": "/subscriptions/subId/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/"
                        "account1/privateEndpointConnections/pe1",
                        "properties": {
                            "privateEndpoint": {
                                "id": "/subscriptions/subId/resourceGroups/rg/providers/"
                                "Microsoft.Network/privateEndpoints/pe1"
                            },
                            "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"},
                        },
                    }
                ],
                "networkAclBypass": "None",
                "networkAclBypassResourceIds": [],
                "minimalTlsVersion": "Tls",
            },
        }
    )
    assert verdicts("exposure.cosmos.public-with-keys", [account]) == {"ddb1": "fail"}
    assert verdicts("network.cosmos.private-endpoint", [account]) == {"ddb1": "pass"}


def test_signalr_example_shape():
    # Mirrors the response of specification/signalr/.../stable/2024-03-01/examples/SignalR_Update.json:
    # a Deny ACL that still admits public ClientConnection traffic, and an approved private endpoint.
    hub = _rehome(
        {
            "sku": {"name": "Premium_P1", "tier": "Premium", "size": "P1", "capacity": 1},
            "properties": {
                "provisioningState": "Succeeded",
                "hostName": "mysignalrservice.service.signalr.net",
                "privateEndpointConnections": [
                    {
                        "properties": {
                            "provisioningState": "Succeeded",
                            "privateEndpoint": {
                                "id": "/subscriptions/0/resourcegroups/myResourceGroup/providers/"
                                "Microsoft.Network/privateEndpoints/myPrivateEndpoint"
                            },
                            "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"},
                        },
                        "name": "mysignalrservice.1fa229cd-bf3f-47f0-8c49-afb36723997e",
                        "type": "Microsoft.SignalRService/SignalR/privateEndpointConnections",
                    }
                ],
                "networkACLs": {
                    "defaultAction": "Deny",
                    "publicNetwork": {"allow": ["ClientConnection"]},
                    "privateEndpoints": [
                        {"name": "mysignalrservice.1fa229cd-bf3f-47f0-8c49-afb36723997e", "allow": ["ServerConnection"]}
                    ],
                    "ipRules": [{"value": "123.456.789.123/24", "action": "Allow"}],
                },
                "publicNetworkAccess": "Enabled",
                "disableLocalAuth": False,
            },
            "kind": "SignalR",
            "location": "eastus",
            "name": "mySignalRService",
            "type": "Microsoft.SignalRService/SignalR",
        }
    )
    assert verdicts("network.signalr.public-access", [hub]) == {"mySignalRService": "fail"}
    assert verdicts("network.signalr.private-endpoint", [hub]) == {"mySignalRService": "pass"}


def test_private_endpoint_example_shape():
    # Mirrors specification/network/.../stable/2024-05-01/examples/PrivateEndpointGet.json, pointed at a vault.
    vault = resource("Microsoft.KeyVault/vaults", "kv", properties={"publicNetworkAccess": "Disabled"})
    endpoint = _rehome(
        {
            "name": "testPe",
            "type": "Microsoft.Network/privateEndpoints",
            "location": "eastus",
            "properties": {
                "provisioningState": "Succeeded",
                "privateLinkServiceConnections": [
                    {
                        "id": "/subscriptions/subId/resourceGroups/rg1/providers/Microsoft.Network/privateEndpoints/"
                        "testPe/privateLinkServiceConnections/plsconnection1",
                        "properties": {
                            "privateLinkServiceId": vault["id"],
                            "groupIds": ["groupIdFromResource"],
                            "requestMessage": "Please approve my connection.",
                            "privateLinkServiceConnectionState": {
                                "status": "Approved",
                                "description": "Auto-approved",
                                "actionsRequired": "None",
                            },
                        },
                    }
                ],
                "manualPrivateLinkServiceConnections": [],
                "subnet": {
                    "id": "/subscriptions/subId/resourceGroups/rg1/providers/Microsoft.Network/"
                    "virtualNetworks/myVnet/subnets/mySubnet"
                },
                "customDnsConfigs": [{"fqdn": "abc.cosmos.com", "ipAddresses": ["192.168.0.4"]}],
            },
        }
    )
    finding = only("network.keyvault.private-endpoint", [vault, endpoint])
    assert finding.status.value == "pass" and "testPe" in finding.evidence["message"]


# Service Bus and Event Hubs keep their firewall in networkRuleSets/default. The list responses of
# servicebus/.../2022-10-01-preview/examples/NameSpaces/VirtualNetworkRule/SBNetworkRuleSetList.json
# (and Event Hubs' equivalent) spell the child's type in the singular: ".../Namespaces/NetworkRuleSet".
MESSAGING = [s for s in SERVICES if s.rule_set]


def rule_set(service, *, action="Deny", ip_masks=("203.0.113.10",), subnets=1, **extra):
    namespace, _ = service.rtype.split("/")
    props = {
        "defaultAction": action,
        "virtualNetworkRules": [
            {"subnet": {"id": arm_id("Microsoft.Network/virtualNetworks/subnets", "vnet", f"s{i}")},
             "ignoreMissingVnetServiceEndpoint": False}
            for i in range(subnets)
        ],
        "ipRules": [{"ipMask": mask, "action": "Allow"} for mask in ip_masks],
        **extra,
    }
    return {
        "id": arm_id(f"{service.rtype}/networkRuleSets", "ns", "default").replace("networkRuleSets", "networkrulesets"),
        "name": "default",
        "type": f"{namespace}/Namespaces/NetworkRuleSet",
        "properties": props,
    }


def namespace_verdict(service, *rule_sets, **kwargs):
    finding = only(f"network.{service.key}.public-access", [service_resource(service, "ns"), *rule_sets], **kwargs)
    return finding


@pytest.mark.parametrize("service", MESSAGING, ids=lambda s: s.key)
def test_messaging_deny_rule_set_with_rules_restricts_public_access(service):
    finding = namespace_verdict(service, rule_set(service))
    assert finding.status.value == "pass"
    assert "admits 1 IP range(s) and 1 subnet(s)" in finding.evidence["message"]
    read = {o["path"]: o["observed"] for o in finding.evidence["observations"]}
    assert read["networkRuleSets/default"]["defaultAction"] == "Deny"


@pytest.mark.parametrize("service", MESSAGING, ids=lambda s: s.key)
@pytest.mark.parametrize(
    "weak",
    [
        {"action": "Allow"},
        {"ip_masks": (), "subnets": 0},  # Deny with no rule admits everyone
        {"ip_masks": ("0.0.0.0/0",), "subnets": 0},
    ],
    ids=["allow", "deny-without-rules", "whole-internet"],
)
def test_messaging_rule_sets_that_restrict_nothing_fail(service, weak):
    assert namespace_verdict(service, rule_set(service, **weak)).status.value == "fail"


@pytest.mark.parametrize("service", MESSAGING, ids=lambda s: s.key)
def test_messaging_rule_set_closing_public_access_passes(service):
    closed = rule_set(service, action="Allow", ip_masks=(), subnets=0, publicNetworkAccess="Disabled")
    assert namespace_verdict(service, closed).status.value == "pass"


@pytest.mark.parametrize("service", MESSAGING, ids=lambda s: s.key)
def test_messaging_rule_sets_not_collected_is_not_assessed(service):
    finding = namespace_verdict(service, collected=[service.rtype])
    assert finding.status.value == "not_assessed"
    assert "networkrulesets" in finding.evidence["message"].lower()


@pytest.mark.parametrize("service", MESSAGING, ids=lambda s: s.key)
def test_messaging_rule_set_with_odd_ip_rules_is_not_assessed(service):
    odd = rule_set(service)
    odd["properties"]["ipRules"] = [{"action": "Allow"}]
    assert namespace_verdict(service, odd).status.value == "not_assessed"
