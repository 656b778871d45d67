"""Network perimeter: no data-plane service is reachable from the internet, and each has a private
endpoint. One table row per service; the two checks of each row are built from it.

Public access is judged from `publicNetworkAccess`, whose ARM default when absent is "Enabled" on
every service listed here (older api-versions of Azure Managed Redis and Communication Services
do not have the property at all, and their endpoints are public). Where the service has a network
ACL on the resource itself, a default-deny ACL also counts as restricted; the evidence says which.
Communication Services offers no private endpoints (no api-version of its resource provider has
private link resources); it closes with `publicNetworkAccess` Disabled or SecuredByPerimeter (a
network security perimeter), so it has no private-endpoint check.
Service Bus and Event Hubs keep their firewall in a child resource (networkRuleSets/default),
which is read as well. Redis keeps allow-only firewall rules as child resources: once any rule
exists, only the listed ranges get in, so rules that do not cover every address restrict it; a
Premium cache injected into a subnet (`subnetId`) has no public endpoint at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.checks._compound import accepts_keys_too, subsumed
from auditor.checks._iprules import admits_everyone, rule_values
from auditor.checks._site import SITE_CONFIG, site_setting

from auditor.api import Area, DataError, Remediation, Resource, Severity, Status, Verdict, check, failed, passed
from auditor.inventory import Context

PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"
CLOSED = {"disabled", "securedbyperimeter"}
#: Returns how the resource's own network ACL restricts its public endpoint, or None when it does not.
AclReader = Callable[[Resource, Context], "str | None"]


def default_deny(path: str) -> AclReader:
    """An ACL whose `defaultAction` is Deny admits only the listed networks (ipRules[].value beside
    it); ARM's default is Allow. IP rules that together admit all of IPv4 restrict nothing."""
    rules_path = path.rsplit(".", 1)[0] + ".ipRules"

    def read(res: Resource, ctx: Context) -> str | None:
        action = res.get(path, default="Allow", expect=str, parent_optional=path.rsplit(".", 1)[0])
        if action.lower() != "deny":
            return None
        ranges = rule_values(res.get(rules_path, default=[], expect=list), "value", rules_path)
        if admits_everyone(ranges):
            res.note(rules_path, ranges)
            return None
        return f"{path} is {action}"

    return read


#: Access-restriction rules whose ipAddress names a service tag or a proxy header, not a range.
SERVICE_TAGS = ("ServiceTag", "XffProxy")


def appservice_restrictions(site: Resource, ctx: Context) -> str | None:
    """Access restrictions, read from config/web (the site GET returns null siteConfig values).
    Deny by default admits only the Allow rules; an Allow rule for Any, or Allow ranges that cover
    all of IPv4, admit everyone. Rules by service tag or subnet admit no internet range."""
    holder, path = site_setting(site, ctx, "ipSecurityRestrictionsDefaultAction")
    action = holder.get(path, default="Allow", expect=str)
    rules_path = path.rsplit(".", 1)[0] + ".ipSecurityRestrictions"
    rules = holder.get(rules_path, default=[], expect=list)
    if not all(isinstance(r, dict) for r in rules):
        raise DataError(f"{rules_path}: an entry is not an object")
    allowed = [r for r in rules if str(r.get("action", "Allow")).lower() == "allow"]
    by_address = [r for r in allowed if isinstance(r.get("ipAddress"), str) and r.get("tag") not in SERVICE_TAGS]
    ranges = [str(r["ipAddress"]) for r in by_address]
    ranges = ["0.0.0.0/0" if r.lower() == "any" else r for r in ranges]
    site.note("accessRestrictions", {"defaultAction": action, "allowedRanges": ranges})
    if admits_everyone(ranges):
        return None
    if action.lower() == "deny":
        return f"access restrictions deny by default and allow {len(allowed)} rule(s)"
    return None


def cosmos_firewall(res: Resource, ctx: Context) -> str | None:
    """Cosmos DB has no defaultAction: any IP rule or the VNet filter turns the firewall on. The
    rule 0.0.0.0 admits every Azure datacenter, which is every Azure tenant, so it restricts nothing."""
    vnet_filter = res.get("properties.isVirtualNetworkFilterEnabled", default=False, expect=bool)
    ranges = []
    for rule in res.get("properties.ipRules", default=[], expect=list):
        value = rule.get("ipAddressOrRange") if isinstance(rule, dict) else None
        if not isinstance(value, str):
            raise DataError("a Cosmos DB ipRules entry has no ipAddressOrRange string")
        ranges.append(value)
    if "0.0.0.0" in ranges or admits_everyone(ranges):
        return None
    if vnet_filter or ranges:
        return f"the firewall admits only {len(ranges)} IP range(s)" + (" and listed subnets" if vnet_filter else "")
    return None


def signalr_acl(res: Resource, ctx: Context) -> str | None:
    """SignalR's ACL can deny by default yet still admit public client connections by request type."""
    acl = "properties.networkACLs"
    action = res.get(f"{acl}.defaultAction", default="Allow", expect=str, parent_optional=acl)
    if action.lower() != "deny":
        return None
    allowed = res.get("properties.networkACLs.publicNetwork.allow", default=[], expect=list)
    return None if allowed else "networkACLs deny every public request type"


def messaging_rule_set(namespace: Resource, rule_set: Resource) -> str | None:
    """A Service Bus or Event Hubs networkRuleSets/default. Deny with no IP or VNet rule admits
    everyone (the service documents this), and so does a rule for the whole IPv4 space. What it
    read is noted on the namespace, whose finding carries the evidence."""
    where = f"networkRuleSets/{rule_set.name}"
    pna = rule_set.get("properties.publicNetworkAccess", default="Enabled", expect=str)
    action = rule_set.get("properties.defaultAction", default="Allow", expect=str)
    ip_rules = rule_set.get("properties.ipRules", default=[], expect=list)
    subnets = rule_set.get("properties.virtualNetworkRules", default=[], expect=list)
    masks = [rule.get("ipMask") if isinstance(rule, dict) else None for rule in ip_rules]
    if not all(isinstance(m, str) for m in masks):
        raise DataError(f"{where}: an ipRules entry has no ipMask string")
    namespace.note(
        where,
        {"publicNetworkAccess": pna, "defaultAction": action, "ipRules": masks, "virtualNetworkRules": len(subnets)},
    )
    if pna.lower() in CLOSED:
        return f"{where} publicNetworkAccess is {pna}"
    if action.lower() != "deny" or not (masks or subnets):
        return None
    if any(m.strip() == "0.0.0.0" for m in masks) or admits_everyone(masks):
        return None
    return f"{where} denies by default and admits {len(masks)} IP range(s) and {len(subnets)} subnet(s)"


@dataclass(frozen=True)
class Service:
    key: str
    rtype: str
    label: str
    az_disable: str
    bicep: str
    ref: str
    acl: AclReader | None = None
    # A second switch that makes the service private without a private endpoint: API Management
    # injected into a VNet in Internal mode (private endpoints are not supported in that mode).
    private_mode: tuple[str, str] | None = None
    # A child resource that holds the service's firewall, judged by `messaging_rule_set`.
    rule_set: str | None = None
    # False where the service's API offers no private link resources: no private-endpoint check.
    private_link: bool = True
    # Further types the public-access verdict reads (App Service access restrictions in config/web).
    reads: tuple[str, ...] = ()
    # A property whose presence means the service is injected into a subnet (Premium Redis subnetId).
    injected: str | None = None
    # A child type of allow-only firewall rules (startIP, endIP): any rule set short of all
    # addresses restricts the public endpoint to those ranges.
    firewall_rules: str | None = None
    # Older api-versions of the service have no publicNetworkAccess, and then an approved private
    # endpoint closes the public endpoint (Azure Managed Redis).
    private_endpoint_closes: bool = False


SERVICES: tuple[Service, ...] = (
    Service(
        "keyvault",
        "Microsoft.KeyVault/vaults",
        "Key Vault",
        "az keyvault update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/key-vault/general/private-link-service",
        acl=default_deny("properties.networkAcls.defaultAction"),
    ),
    Service(
        "redis",
        "Microsoft.Cache/Redis",
        "Azure Cache for Redis",
        "az redis update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-private-link",
        injected="properties.subnetId",
        firewall_rules="Microsoft.Cache/Redis/firewallRules",
    ),
    Service(
        "redis-enterprise",
        "Microsoft.Cache/redisEnterprise",
        "Azure Managed Redis",
        "az redisenterprise update --cluster-name {name} --resource-group {resourceGroup} "
        "--public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/redis/private-link",
        private_endpoint_closes=True,
    ),
    Service(
        "cosmos",
        "Microsoft.DocumentDB/databaseAccounts",
        "Cosmos DB account",
        "az cosmosdb update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/cosmos-db/how-to-configure-private-endpoints",
        acl=cosmos_firewall,
    ),
    Service(
        "cosmos-mongo-vcore",
        "Microsoft.DocumentDB/mongoClusters",
        "Cosmos DB for MongoDB vCore cluster",
        "az resource update --ids {id} --set properties.publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/cosmos-db/mongodb/vcore/how-to-private-link",
    ),
    Service(
        "cognitive",
        "Microsoft.CognitiveServices/accounts",
        "Azure AI services account (OpenAI, Speech, AI Services)",
        "az cognitiveservices account update --name {name} --resource-group {resourceGroup} "
        "--custom-domain {name} --api-properties publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks",
        acl=default_deny("properties.networkAcls.defaultAction"),
    ),
    Service(
        "storage",
        "Microsoft.Storage/storageAccounts",
        "Storage account",
        "az storage account update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n  networkAcls: { defaultAction: 'Deny' }\n}",
        "https://learn.microsoft.com/azure/storage/common/storage-private-endpoints",
        acl=default_deny("properties.networkAcls.defaultAction"),
    ),
    Service(
        "acr",
        "Microsoft.ContainerRegistry/registries",
        "Container Registry",
        "az acr update --name {name} --resource-group {resourceGroup} --public-network-enabled false",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/container-registry/container-registry-private-link",
        acl=default_deny("properties.networkRuleSet.defaultAction"),
    ),
    Service(
        "apim",
        "Microsoft.ApiManagement/service",
        "API Management",
        "az apim update --name {name} --resource-group {resourceGroup} --public-network-access false",
        "properties: {\n  virtualNetworkType: 'Internal'\n"
        "  virtualNetworkConfiguration: { subnetResourceId: subnetId }\n}",
        "https://learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet",
        private_mode=("properties.virtualNetworkType", "internal"),
    ),
    Service(
        "acs",
        "Microsoft.Communication/CommunicationServices",
        "Communication Services",
        "az resource update --ids {id} --set properties.publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts",
        private_link=False,
    ),
    Service(
        "appservice",
        "Microsoft.Web/sites",
        "App Service app",
        "az webapp update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/app-service/networking/private-endpoint",
        acl=appservice_restrictions,
        reads=(SITE_CONFIG,),
    ),
    Service(
        "servicebus",
        "Microsoft.ServiceBus/namespaces",
        "Service Bus namespace",
        "az servicebus namespace update --name {name} --resource-group {resourceGroup} "
        "--public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/service-bus-messaging/private-link-service",
        rule_set="Microsoft.ServiceBus/namespaces/networkRuleSets",
    ),
    Service(
        "eventhubs",
        "Microsoft.EventHub/namespaces",
        "Event Hubs namespace",
        "az eventhubs namespace update --name {name} --resource-group {resourceGroup} --public-network-access Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/event-hubs/private-link-service",
        rule_set="Microsoft.EventHub/namespaces/networkRuleSets",
    ),
    Service(
        "signalr",
        "Microsoft.SignalRService/SignalR",
        "SignalR Service",
        "az signalr update --name {name} --resource-group {resourceGroup} --set publicNetworkAccess=Disabled",
        "properties: {\n  publicNetworkAccess: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/azure-signalr/howto-private-endpoints",
        acl=signalr_acl,
    ),
)


def _private_mode(res: Resource, service: Service) -> str | None:
    if service.injected and res.get(service.injected, default="", expect=str):
        return f"{service.injected.rsplit('.', 1)[-1]} is set: the service is injected into a subnet"
    if service.private_mode is None:
        return None
    path, private_value = service.private_mode
    mode = res.get(path, default="None", expect=str)
    return f"{path.rsplit('.', 1)[-1]} is {mode}" if mode.lower() == private_value else None


def _restriction(res: Resource, service: Service, ctx: Context) -> str | None:
    if service.acl is not None:
        return service.acl(res, ctx)
    if service.rule_set is not None:
        for rule_set in ctx.children(res, service.rule_set):
            found = messaging_rule_set(res, rule_set)
            if found:
                return found
    if service.firewall_rules is not None:
        return _firewall_rules(res, ctx.children(res, service.firewall_rules))
    return None


def _firewall_rules(res: Resource, rules: list[Resource]) -> str | None:
    """Allow-only rules (Redis firewallRules): none admits everyone; some restrict unless together
    they cover all of IPv4."""
    ranges = [f"{r.get('properties.startIP', expect=str)}-{r.get('properties.endIP', expect=str)}" for r in rules]
    res.note("firewallRules", ranges)
    if not ranges or admits_everyone(ranges):
        return None
    return f"{len(ranges)} firewall rule(s) admit only their ranges"


def public_access_verdict(res: Resource, service: Service, ctx: Context) -> Verdict:
    if service.private_endpoint_closes and not res.has("properties.publicNetworkAccess"):
        approved = approved_private_endpoint(res, ctx)
        if approved:
            return passed(
                f"publicNetworkAccess is not set and {approved}: a private endpoint closes the public endpoint",
                expected="Disabled",
            )
    pna = res.get("properties.publicNetworkAccess", default="Enabled", expect=str)
    if pna.lower() in CLOSED:
        return passed(f"publicNetworkAccess is {pna}", expected="Disabled")
    private = _private_mode(res, service)
    if private:
        return passed(f"the gateway is private to the VNet ({private})", expected="Disabled or an internal VNet")
    restriction = _restriction(res, service, ctx)
    if restriction:
        return passed(
            f"publicNetworkAccess is {pna}, restricted by its network ACL ({restriction})",
            expected="Disabled, or a default-deny network ACL",
        )
    return failed(
        f"the {service.label} accepts traffic from the internet (publicNetworkAccess {pna}, no default-deny ACL)",
        expected="Disabled",
    )


def _approved(connection: object, where: str) -> bool:
    """A private link connection, in either the endpoint's or the target's shape, whose state is Approved."""
    if not isinstance(connection, dict):
        raise DataError(f"{where}: a private link connection is not an object")
    props = connection.get("properties", connection)
    if not isinstance(props, dict):
        raise DataError(f"{where}: the connection's properties are not an object")
    state = props.get("privateLinkServiceConnectionState")
    if state is None:
        return False
    status = state.get("status") if isinstance(state, dict) else None
    if not isinstance(status, str):
        raise DataError(f"{where}: privateLinkServiceConnectionState.status is not a string")
    return status.lower() == "approved"


def _endpoint_targets(endpoint: Resource, target_id: str) -> bool:
    """Whether one of the endpoint's approved connections (automatic or manual) targets the resource."""
    for kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for conn in endpoint.get(f"properties.{kind}", default=[], expect=list):
            props = conn.get("properties") if isinstance(conn, dict) else None
            service_id = props.get("privateLinkServiceId") if isinstance(props, dict) else None
            if not isinstance(service_id, str):
                raise DataError(f"{endpoint.name}: a {kind} entry has no privateLinkServiceId")
            if service_id.lower().rstrip("/") == target_id and _approved(conn, endpoint.name):
                return True
    return False


def approved_private_endpoint(res: Resource, ctx: Context) -> str | None:
    """The approved private endpoint connection of the resource (inline, or a private endpoint
    that targets it), or None. What was looked at is noted on the resource."""
    inline = res.get("properties.privateEndpointConnections", default=[], expect=list)
    approved_inline = [c for c in inline if _approved(c, "properties.privateEndpointConnections")]
    if approved_inline:
        return f"{len(approved_inline)} approved private endpoint connection(s)"
    target = res.id.lower().rstrip("/")
    endpoints = ctx.referencing(res, PRIVATE_ENDPOINT)
    for endpoint in endpoints:
        if _endpoint_targets(endpoint, target):
            res.note("privateEndpoint", endpoint.id)
            return f"private endpoint {endpoint.name} is approved"
    res.note("privateEndpoints", [e.id for e in endpoints])
    return None


def private_endpoint_verdict(res: Resource, service: Service, ctx: Context) -> Verdict:
    private = _private_mode(res, service)
    if private:
        return passed(
            f"injected into the VNet ({private}); private endpoints do not apply in this mode",
            expected="an approved private endpoint, or an internal VNet",
        )
    approved = approved_private_endpoint(res, ctx)
    if approved:
        return passed(approved, expected="approved")
    endpoints = ctx.referencing(res, PRIVATE_ENDPOINT)
    if endpoints:
        return failed(
            f"{len(endpoints)} private endpoint(s) target this {service.label}, none of them approved",
            expected="an approved private endpoint",
        )
    return failed(f"no private endpoint targets this {service.label}", expected="an approved private endpoint")


def _public_access_check(service: Service) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"network.{service.key}.public-access",
        title=f"{service.label} is not reachable from the public internet",
        severity=Severity.HIGH,
        area=Area.NETWORK,
        checklist="private-endpoints",
        types=[service.rtype],
        reads=[t for t in (service.rule_set, service.firewall_rules) if t]
        + list(service.reads)
        + ([PRIVATE_ENDPOINT] if service.private_endpoint_closes else []),
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
        verdict = public_access_verdict(res, service, ctx)
        if verdict.status is Status.FAIL and accepts_keys_too(res, service.key):
            return subsumed(service.key)
        return verdict

    public_access.__name__ = f"public_access_{service.key.replace('-', '_')}"
    return public_access



def _private_endpoint_check(service: Service) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"network.{service.key}.private-endpoint",
        title=f"{service.label} has an approved private endpoint",
        severity=Severity.LOW,
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
        return private_endpoint_verdict(res, service, ctx)

    private_endpoint.__name__ = f"private_endpoint_{service.key.replace('-', '_')}"
    return private_endpoint


SERVICES_BY_KEY = {service.key: service for service in SERVICES}

CHECKS = [_public_access_check(service) for service in SERVICES] + [
    _private_endpoint_check(service) for service in SERVICES if service.private_link
]
