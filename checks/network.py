"""Network perimeter: no data-plane service is reachable from the internet, and each has a private
endpoint. One table row per service; the two checks of each row are built from it.

Public access is judged from `publicNetworkAccess`, whose ARM default when absent is "Enabled"
on every service listed here, and, where the service has one, a network ACL whose default action
"Deny" restricts the public endpoint to the listed networks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.api import Area, DataError, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context

PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"
CLOSED = {"disabled", "securedbyperimeter"}


@dataclass(frozen=True)
class Service:
    key: str
    rtype: str
    label: str
    az_disable: str
    bicep: str
    ref: str
    acl_path: str | None = "properties.networkAcls.defaultAction"
    # Where a service has a second switch that makes its gateway private (APIM's internal VNet mode).
    private_mode: tuple[str, str] | None = None


SERVICES: tuple[Service, ...] = (
    Service(
        "keyvault",
        "Microsoft.KeyVault/vaults",
        "Key Vault",
        "az keyvault update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-service",
    ),
    Service(
        "redis",
        "Microsoft.Cache/Redis",
        "Azure Cache for Redis",
        "az redis update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-private-link",
        acl_path=None,
    ),
    Service(
        "redis-enterprise",
        "Microsoft.Cache/redisEnterprise",
        "Azure Managed Redis",
        "az redisenterprise update --cluster-name {name} --resource-group {resourceGroup} "
        "--public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/redis/private-link",
        acl_path=None,
    ),
    Service(
        "cosmos",
        "Microsoft.DocumentDB/databaseAccounts",
        "Cosmos DB account",
        "az cosmosdb update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/cosmos-db/how-to-configure-private-endpoints",
        acl_path=None,
    ),
    Service(
        "cosmos-mongo-vcore",
        "Microsoft.DocumentDB/mongoClusters",
        "Cosmos DB for MongoDB vCore cluster",
        "az resource update --ids {id} --set properties.publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/cosmos-db/mongodb/vcore/how-to-private-link",
        acl_path=None,
    ),
    Service(
        "cognitive",
        "Microsoft.CognitiveServices/accounts",
        "Azure AI services account (OpenAI, Speech)",
        "az cognitiveservices account update --name {name} --resource-group {resourceGroup} "
        "--custom-domain {name} --api-properties publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks",
    ),
    Service(
        "storage",
        "Microsoft.Storage/storageAccounts",
        "Storage account",
        "az storage account update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/storage/common/storage-private-endpoints",
    ),
    Service(
        "acr",
        "Microsoft.ContainerRegistry/registries",
        "Container Registry",
        "az acr update --name {name} --resource-group {resourceGroup} --public-network-enabled false",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/container-registry/container-registry-private-link",
        acl_path="properties.networkRuleSet.defaultAction",
    ),
    Service(
        "apim",
        "Microsoft.ApiManagement/service",
        "API Management",
        "az apim update --name {name} --resource-group {resourceGroup} --public-network-access false",
        "properties: {\n  virtualNetworkType: 'Internal'\n"
        "  virtualNetworkConfiguration: { subnetResourceId: subnetId }\n}",
        "https://learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet",
        acl_path=None,
        private_mode=("properties.virtualNetworkType", "internal"),
    ),
    Service(
        "acs",
        "Microsoft.Communication/CommunicationServices",
        "Communication Services",
        "az resource update --ids {id} --set properties.publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/communication-services/concepts/networking/private-link",
        acl_path=None,
    ),
    Service(
        "appservice",
        "Microsoft.Web/sites",
        "App Service app",
        "az webapp update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/app-service/networking/private-endpoint",
        acl_path="properties.siteConfig.ipSecurityRestrictionsDefaultAction",
    ),
    Service(
        "servicebus",
        "Microsoft.ServiceBus/namespaces",
        "Service Bus namespace",
        "az servicebus namespace update --name {name} --resource-group {resourceGroup} "
        "--public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/service-bus-messaging/private-link-service",
        acl_path=None,
    ),
    Service(
        "eventhubs",
        "Microsoft.EventHub/namespaces",
        "Event Hubs namespace",
        "az eventhubs namespace update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/event-hubs/private-link-service",
        acl_path=None,
    ),
    Service(
        "signalr",
        "Microsoft.SignalRService/SignalR",
        "SignalR Service",
        "az signalr update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/azure-signalr/howto-private-endpoints",
        acl_path="properties.networkACLs.defaultAction",
    ),
)


def public_access_verdict(res: Resource, service: Service) -> Verdict:
    pna = res.get("properties.publicNetworkAccess", default="Enabled", expect=str)
    if pna.lower() in CLOSED:
        return passed(f"publicNetworkAccess is {pna}", expected="Disabled")
    if service.private_mode is not None:
        path, private_value = service.private_mode
        mode = res.get(path, default="None", expect=str)
        if mode.lower() == private_value:
            return passed(f"the gateway is private ({path.rsplit('.', 1)[-1]} {mode})", expected="Disabled or Internal")
    if service.acl_path is not None:
        action = res.get(service.acl_path, default="Allow", expect=str)
        if action.lower() == "deny":
            return passed(
                f"publicNetworkAccess is {pna} but a default-deny network ACL restricts it",
                expected="Disabled, or a default-deny network ACL",
            )
    return failed(f"{service.label} accepts traffic from the internet (publicNetworkAccess {pna})", expected="Disabled")


def _approved(connection: object) -> bool:
    if not isinstance(connection, dict):
        raise DataError("a private endpoint connection is not an object")
    props = connection.get("properties", connection)
    state = props.get("privateLinkServiceConnectionState") or {}
    if not isinstance(state, dict):
        raise DataError("privateLinkServiceConnectionState is not an object")
    return str(state.get("status", "")).lower() == "approved"


def private_endpoint_verdict(res: Resource, ctx: Context) -> Verdict:
    inline = res.get("properties.privateEndpointConnections", default=[], expect=list)
    approved_inline = [c for c in inline if _approved(c)]
    if approved_inline:
        return passed(f"{len(approved_inline)} approved private endpoint connection(s)", expected="approved")
    target = res.id.lower()
    for endpoint in ctx.referencing(res, PRIVATE_ENDPOINT):
        for kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for conn in endpoint.get(f"properties.{kind}", default=[], expect=list):
                service_id = (
                    (conn.get("properties") or {}).get("privateLinkServiceId", "") if isinstance(conn, dict) else ""
                )
                if isinstance(service_id, str) and service_id.lower() == target and _approved(conn):
                    res.note("privateEndpoint", endpoint.id)
                    return passed(f"private endpoint {endpoint.name} is approved", expected="approved")
    res.note("privateEndpoints", [])
    return failed(
        f"no approved private endpoint targets this {_label_of(res)}", expected="an approved private endpoint"
    )


def _label_of(res: Resource) -> str:
    return next((s.label for s in SERVICES if s.rtype.lower() == res.type.lower()), res.type)


def _public_access_check(service: Service) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"network.{service.key}.public-access",
        title=f"{service.label} is not reachable from the public internet",
        severity=Severity.HIGH,
        area=Area.NETWORK,
        checklist="private-endpoints",
        types=[service.rtype],
        rationale=(
            f"The guide puts every data-plane service inside the private network. A {service.label} with "
            "public network access answers anyone on the internet who holds (or guesses) a key or token, and "
            "is a target for credential stuffing and data exfiltration."
        ),
        remediation=Remediation(
            text=f"Disable public network access on the {service.label} and reach it through a private endpoint.",
            az=service.az_disable,
            bicep=service.bicep,
        ),
        refs=[service.ref],
    )
    def public_access(res: Resource, ctx: Context) -> Verdict:
        return public_access_verdict(res, service)

    public_access.__name__ = f"public_access_{service.key.replace('-', '_')}"
    return public_access


def _private_endpoint_check(service: Service) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"network.{service.key}.private-endpoint",
        title=f"{service.label} has an approved private endpoint",
        severity=Severity.MEDIUM,
        area=Area.NETWORK,
        checklist="private-endpoints",
        types=[service.rtype],
        reads=[PRIVATE_ENDPOINT],
        rationale=(
            f"Callers inside the VNet reach the {service.label} over a private endpoint, so its traffic never "
            "leaves the Microsoft backbone and public access can be switched off."
        ),
        remediation=Remediation(
            text=f"Create a private endpoint for the {service.label} in the private-endpoint subnet, with a "
            "private DNS zone, and approve its connection.",
            az="az network private-endpoint create --name pe-{name} --resource-group {resourceGroup} "
            "--vnet-name <vnet> --subnet <pe-subnet> --private-connection-resource-id {id} "
            "--group-id <group> --connection-name {name}",
            bicep="resource pe 'Microsoft.Network/privateEndpoints@2024-05-01' = {\n  properties: {\n"
            "    subnet: { id: peSubnetId }\n    privateLinkServiceConnections: [{\n      name: 'pe'\n"
            "      properties: { privateLinkServiceId: target.id, groupIds: [ '<group>' ] }\n    }]\n  }\n}",
        ),
        refs=[service.ref, "https://learn.microsoft.com/azure/private-link/private-endpoint-overview"],
    )
    def private_endpoint(res: Resource, ctx: Context) -> Verdict:
        return private_endpoint_verdict(res, ctx)

    private_endpoint.__name__ = f"private_endpoint_{service.key.replace('-', '_')}"
    return private_endpoint


CHECKS = [make(service) for service in SERVICES for make in (_public_access_check, _private_endpoint_check)]
