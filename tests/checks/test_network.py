"""Network perimeter checks, one parametrized family per service table row."""

import pytest
from auditor.checks.network import PRIVATE_ENDPOINT, SERVICES

from tests.checks.helpers import SUB, arm_id, only, resource, verdicts


def service_resource(service, name="target", **properties):
    return resource(service.rtype, name, properties=properties)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_public_access_verdicts(service):
    result = verdicts(
        f"network.{service.key}.public-access",
        [
            service_resource(service, "closed", publicNetworkAccess="Disabled"),
            service_resource(service, "open", publicNetworkAccess="Enabled"),
            service_resource(service, "silent"),
        ],
    )
    assert result == {"closed": "pass", "open": "fail", "silent": "fail"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_absent_public_access_reports_the_arm_default(service):
    finding = only(f"network.{service.key}.public-access", [service_resource(service, "silent")])
    first = finding.evidence["observations"][0]
    assert first == {"path": "properties.publicNetworkAccess", "observed": "Enabled", "defaultApplied": True}


@pytest.mark.parametrize("service", [s for s in SERVICES if s.acl_path], ids=lambda s: s.key)
def test_default_deny_acl_restricts_public_access(service):
    path = service.acl_path.split(".")[1:]
    props: dict = {"publicNetworkAccess": "Enabled"}
    node = props
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = "Deny"
    assert verdicts(f"network.{service.key}.public-access", [service_resource(service, "acl", **props)]) == {
        "acl": "pass"
    }


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
def test_public_access_odd_shape_and_absence(service):
    check_id = f"network.{service.key}.public-access"
    assert verdicts(check_id, [service_resource(service, "odd", publicNetworkAccess=False)]) == {"odd": "not_assessed"}
    assert only(check_id, []).status.value == "not_applicable"


def test_apim_internal_vnet_counts_as_private():
    apim = resource(
        "Microsoft.ApiManagement/service",
        "apim",
        properties={"publicNetworkAccess": "Enabled", "virtualNetworkType": "Internal"},
    )
    assert verdicts("network.apim.public-access", [apim]) == {"apim": "pass"}


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


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key)
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
    result = verdicts(check_id, [approved, pending, manual, inline, lonely, *endpoints])
    assert result == {"approved": "pass", "pending": "fail", "manual": "pass", "inline": "pass", "lonely": "fail"}


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
