"""Identity: workloads authenticate with managed identities, and services refuse keys.

Two tables, one check per row: who must have a managed identity, and which services must have
local (key) authentication switched off. Each row names the property, the value that means
"keys are off", and the ARM default when the property is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.checks._compound import COMPOUND_KEYS, subsumed

from auditor.api import (
    Area,
    DataError,
    Remediation,
    Resource,
    Severity,
    Status,
    Verdict,
    check,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Context

MI_DOC = "https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/overview"


@dataclass(frozen=True)
class Workload:
    key: str
    rtype: str
    label: str
    az: str
    ref: str


WORKLOADS = (
    Workload(
        "aca",
        "Microsoft.App/containerApps",
        "Container app",
        "az containerapp identity assign --name {name} --resource-group {resourceGroup} --system-assigned",
        "https://learn.microsoft.com/azure/container-apps/managed-identity",
    ),
    Workload(
        "appservice",
        "Microsoft.Web/sites",
        "App Service app",
        "az webapp identity assign --name {name} --resource-group {resourceGroup}",
        "https://learn.microsoft.com/azure/app-service/overview-managed-identity",
    ),
    Workload(
        "cognitive",
        "Microsoft.CognitiveServices/accounts",
        "Azure AI services account (OpenAI, Speech)",
        "az cognitiveservices account identity assign --name {name} --resource-group {resourceGroup}",
        "https://learn.microsoft.com/azure/ai-services/openai/how-to/managed-identity",
    ),
    Workload(
        "apim",
        "Microsoft.ApiManagement/service",
        "API Management service",
        "az apim update --name {name} --resource-group {resourceGroup} --enable-managed-identity true",
        "https://learn.microsoft.com/azure/api-management/api-management-howto-use-managed-service-identity",
    ),
)


def _managed_identity_check(workload: Workload) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"identity.{workload.key}.managed-identity",
        title=f"{workload.label} has a managed identity",
        severity=Severity.HIGH,
        area=Area.IDENTITY,
        checklist="managed-identity",
        types=[workload.rtype],
        rationale=(
            f"Without a managed identity a {workload.label} can only reach Key Vault, Redis, Cosmos DB and the AI "
            "services with keys or connection strings, which leak, never expire and are shared. The guide requires "
            "managed identity for all service-to-service communication."
        ),
        remediation=Remediation(
            text=f"Assign a system- or user-assigned managed identity to the {workload.label} and grant it roles "
            "on the services it calls.",
            az=workload.az,
            bicep="identity: {\n  type: 'SystemAssigned'\n}",
        ),
        refs=[workload.ref, MI_DOC],
    )
    def managed_identity(res: Resource, ctx: Context) -> Verdict:
        # A resource with no managed identity has no identity object at all.
        kind = res.get("identity.type", default="None", expect=str, parent_optional="identity")
        if "assigned" in kind.lower():
            return passed(f"identity type {kind}", expected="SystemAssigned or UserAssigned")
        return failed(f"identity type {kind}: no managed identity", expected="SystemAssigned or UserAssigned")

    managed_identity.__name__ = f"managed_identity_{workload.key}"
    return managed_identity


@dataclass(frozen=True)
class KeyAuth:
    """How a service says "keys are off": `path` must equal `disabled_value`; `default` is ARM's."""

    key: str
    rtype: str
    label: str
    path: str
    disabled_value: Any
    default: Any
    az: str
    bicep: str
    ref: str
    also: tuple[tuple[str, Any, Any], ...] = ()  # further (path, required value, default) pairs
    #: High by default; low where a key grants no read of data (the Application Insights ingestion key).
    severity: Severity = Severity.HIGH
    #: Why the switch does not apply to a resource (None: it applies), for services where some kinds
    #: have no Entra ID data-plane access to switch to.
    exempt: Callable[[Resource], str | None] | None = None


#: Cosmos DB APIs whose data plane has no Entra ID role-based access, so keys cannot be turned off.
COSMOS_KEY_ONLY_CAPABILITIES = {"enablecassandra": "Cassandra", "enabletable": "Table", "enablegremlin": "Gremlin"}


def cosmos_key_only_api(account: Resource) -> str | None:
    """Mongo (RU), Cassandra, Table and Gremlin accounts: disableLocalAuth does not apply."""
    if account.get("kind", default="GlobalDocumentDB", expect=str).lower() == "mongodb":
        return "an API for MongoDB (RU) account"
    for capability in account.get("properties.capabilities", default=[], expect=list):
        name = capability.get("name") if isinstance(capability, dict) else None
        if isinstance(name, str) and name.lower() in COSMOS_KEY_ONLY_CAPABILITIES:
            return f"an API for {COSMOS_KEY_ONLY_CAPABILITIES[name.lower()]} account"
    return None


KEY_AUTH = (
    KeyAuth(
        "cosmos",
        "Microsoft.DocumentDB/databaseAccounts",
        "Cosmos DB account",
        "properties.disableLocalAuth",
        True,
        False,
        "az resource update --ids {id} --set properties.disableLocalAuth=true",
        "properties: {\n  disableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac#disable-local-auth",
        exempt=cosmos_key_only_api,
    ),
    KeyAuth(
        "cognitive",
        "Microsoft.CognitiveServices/accounts",
        "Azure AI services account (OpenAI, Speech)",
        "properties.disableLocalAuth",
        True,
        False,
        "az resource update --ids {id} --set properties.disableLocalAuth=true",
        "properties: {\n  disableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/ai-services/disable-local-auth",
    ),
    KeyAuth(
        "redis",
        "Microsoft.Cache/Redis",
        "Azure Cache for Redis",
        "properties.disableAccessKeyAuthentication",
        True,
        False,
        "az redis update --name {name} --resource-group {resourceGroup} "
        "--set disableAccessKeyAuthentication=true redisConfiguration.aad-enabled=true",
        "properties: {\n  disableAccessKeyAuthentication: true\n  redisConfiguration: { 'aad-enabled': 'true' }\n}",
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-azure-active-directory-for-authentication",
        also=(("properties.redisConfiguration.aad-enabled", "true", "false"),),
    ),
    KeyAuth(
        "redis-enterprise",
        "Microsoft.Cache/redisEnterprise/databases",
        "Azure Managed Redis database",
        "properties.accessKeysAuthentication",
        "Disabled",
        # Absent only before 2024-09-01-preview, when keys could not be turned off. 2025-07-01 made
        # "Disabled" the create default, but a GET always states the value.
        "Enabled",
        "az redisenterprise database update --cluster-name <cluster> --resource-group {resourceGroup} "
        "--access-keys-auth Disabled",
        "properties: {\n  accessKeysAuthentication: 'Disabled'\n}",
        "https://learn.microsoft.com/azure/redis/entra-for-authentication",
    ),
    KeyAuth(
        "storage",
        "Microsoft.Storage/storageAccounts",
        "Storage account",
        "properties.allowSharedKeyAccess",
        False,
        True,
        "az storage account update --name {name} --resource-group {resourceGroup} --allow-shared-key-access false",
        "properties: {\n  allowSharedKeyAccess: false\n}",
        "https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent",
    ),
    KeyAuth(
        "servicebus",
        "Microsoft.ServiceBus/namespaces",
        "Service Bus namespace",
        "properties.disableLocalAuth",
        True,
        False,
        "az servicebus namespace update --name {name} --resource-group {resourceGroup} --disable-local-auth true",
        "properties: {\n  disableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/service-bus-messaging/disable-local-authentication",
    ),
    KeyAuth(
        "eventhubs",
        "Microsoft.EventHub/namespaces",
        "Event Hubs namespace",
        "properties.disableLocalAuth",
        True,
        False,
        "az eventhubs namespace update --name {name} --resource-group {resourceGroup} --disable-local-auth true",
        "properties: {\n  disableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/event-hubs/authorize-access-event-hubs#disable-local-or-sas-key-authentication",
    ),
    KeyAuth(
        "acs",
        # The property exists from api-version 2025-09-01; the collector reads that version.
        "Microsoft.Communication/CommunicationServices",
        "Communication Services",
        "properties.disableLocalAuth",
        True,
        False,
        "az resource update --ids {id} --set properties.disableLocalAuth=true",
        "properties: {\n  disableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/communication-services/concepts/authentication",
    ),
    KeyAuth(
        "appinsights",
        "Microsoft.Insights/components",
        "Application Insights",
        "properties.DisableLocalAuth",
        True,
        False,
        "az monitor app-insights component update --app {name} --resource-group {resourceGroup} "
        "--disable-local-auth true",
        "properties: {\n  DisableLocalAuth: true\n}",
        "https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication",
        severity=Severity.LOW,
    ),
    KeyAuth(
        "acr",
        "Microsoft.ContainerRegistry/registries",
        "Container Registry admin user",
        "properties.adminUserEnabled",
        False,
        False,
        "az acr update --name {name} --resource-group {resourceGroup} --admin-enabled false",
        "properties: {\n  adminUserEnabled: false\n}",
        "https://learn.microsoft.com/azure/container-registry/container-registry-authentication#admin-account",
    ),
)


def _same(observed: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and isinstance(observed, str):
        return observed.lower() == wanted.lower()
    return observed == wanted


def key_auth_verdict(res: Resource, rule: KeyAuth) -> Verdict:
    exemption = rule.exempt(res) if rule.exempt else None
    if exemption:
        return not_applicable(f"{exemption}: its data plane has no Entra ID access, so keys cannot be turned off")
    expect = type(rule.disabled_value)
    value = res.get(rule.path, default=rule.default, expect=expect)
    if not _same(value, rule.disabled_value):
        return failed(f"{rule.path.rsplit('.', 1)[-1]} is {value}: keys are accepted", expected=rule.disabled_value)
    for path, required, default in rule.also:
        extra = res.get(path, default=default, expect=type(required))
        if not _same(extra, required):
            return failed(f"{path.rsplit('.', 1)[-1]} is {extra}", expected=required)
    return passed("key-based authentication is disabled", expected=rule.disabled_value)


def _key_auth_check(rule: KeyAuth) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"identity.{rule.key}.local-auth-disabled",
        title=f"{rule.label}: key-based authentication is disabled",
        severity=rule.severity,
        area=Area.IDENTITY,
        checklist="managed-identity",
        types=[rule.rtype],
        rationale=(
            f"While {rule.label} accepts keys, anyone holding a leaked key or connection string gets in, whatever "
            "the identity controls say. Turning keys off forces Entra ID and managed identity, as the guide asks."
        ),
        remediation=Remediation(
            text=f"Move every client to Entra ID (managed identity) and switch key authentication off on the "
            f"{rule.label}.",
            az=rule.az,
            bicep=rule.bicep,
        ),
        refs=[rule.ref, MI_DOC],
    )
    def local_auth_disabled(res: Resource, ctx: Context) -> Verdict:
        verdict = key_auth_verdict(res, rule)
        if verdict.status is Status.FAIL and rule.key in COMPOUND_KEYS and internet_reachable(res, rule.key, ctx):
            return subsumed(rule.key)
        return verdict

    local_auth_disabled.__name__ = f"local_auth_disabled_{rule.key.replace('-', '_')}"
    return local_auth_disabled


MONGO_CLUSTER = "Microsoft.DocumentDB/mongoClusters"


@check(
    id="identity.cosmos-mongo-vcore.native-auth-disabled",
    title="Cosmos DB for MongoDB vCore cluster refuses native (password) authentication",
    severity=Severity.HIGH,
    area=Area.IDENTITY,
    checklist="managed-identity",
    types=[MONGO_CLUSTER],
    rationale=(
        "While the cluster allows NativeAuth, the administrator password in a mongodb+srv:// connection string "
        "opens every database, whatever Entra ID says. Allowing only MicrosoftEntraID forces managed identity."
    ),
    remediation=Remediation(
        text="Add Entra ID users for every client, then allow only MicrosoftEntraID.",
        az="az resource update --ids {id} --set properties.authConfig.allowedModes=\"['MicrosoftEntraID']\" "
        "--api-version 2025-09-01",
        bicep="properties: {\n  authConfig: {\n    allowedModes: [ 'MicrosoftEntraID' ]\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/cosmos-db/mongodb/vcore/entra-authentication", MI_DOC],
)
def mongo_vcore_native_auth(cluster: Resource, ctx: Context) -> Verdict:
    verdict = native_auth_verdict(cluster)
    if verdict.status is Status.FAIL and internet_reachable(cluster, "cosmos-mongo-vcore", ctx):
        return subsumed("cosmos-mongo-vcore")
    return verdict


def native_auth_verdict(cluster: Resource) -> Verdict:
    # authConfig exists from api-version 2025-09-01 (MongoClusters_Get.json); a cluster without it
    # predates Entra ID support and accepts native passwords only.
    modes = cluster.get(
        "properties.authConfig.allowedModes",
        default=["NativeAuth"],
        expect=list,
        parent_optional="properties.authConfig",
    )
    if not all(isinstance(m, str) for m in modes):
        raise DataError("properties.authConfig.allowedModes holds a value that is not a string")
    if any(m.lower() == "nativeauth" for m in modes):
        return failed(f"allowed modes {', '.join(modes)}: passwords are accepted", expected=["MicrosoftEntraID"])
    return passed(f"allowed modes {', '.join(modes)}", expected=["MicrosoftEntraID"])


def accepts_keys(res: Resource, key: str) -> Verdict | None:
    """The key-authentication verdict of a compound service, or None when it accepts keys because
    its kind has no other way in (a Cosmos DB Mongo RU account, say); a failed verdict means it
    accepts keys too."""
    if key == "cosmos-mongo-vcore":
        return native_auth_verdict(res)
    rule = KEY_AUTH_BY_KEY[key]
    exemption = rule.exempt(res) if rule.exempt else None
    if exemption:
        res.note("keyAuthentication", f"{exemption}: keys are the only way in")
        return None
    return key_auth_verdict(res, rule)


def internet_reachable(res: Resource, key: str, ctx: Context) -> bool:
    """Whether the compound service's public-access verdict fails; an unreadable one counts as not."""
    from auditor.checks.network import SERVICES_BY_KEY, public_access_verdict

    try:
        return public_access_verdict(res, SERVICES_BY_KEY[key], ctx).status is Status.FAIL
    except DataError:
        return False


KEY_AUTH_BY_KEY = {rule.key: rule for rule in KEY_AUTH}

CHECKS = [_managed_identity_check(w) for w in WORKLOADS] + [_key_auth_check(r) for r in KEY_AUTH]
