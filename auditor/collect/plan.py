"""What to read for a set of checks: each needed type, how to list it, and with which api-version.

Types come from the enabled checks' metadata (CheckMeta.needs), so an `--only` run reads less.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: api-versions per namespace, overridden per type where a service moves faster than its namespace.
API_VERSIONS = {
    "microsoft.keyvault": "2023-07-01",
    "microsoft.cache": "2024-03-01",
    "microsoft.documentdb": "2024-11-15",
    "microsoft.cognitiveservices": "2024-10-01",
    "microsoft.storage": "2023-05-01",
    "microsoft.containerregistry": "2023-07-01",
    "microsoft.apimanagement": "2024-05-01",
    "microsoft.communication": "2023-04-01",
    "microsoft.web": "2023-12-01",
    "microsoft.servicebus": "2022-10-01-preview",
    "microsoft.eventhub": "2024-01-01",
    "microsoft.signalrservice": "2024-03-01",
    # Container apps: publicNetworkAccess and the current scale and probe shapes.
    "microsoft.app": "2025-07-01",
    "microsoft.network": "2024-05-01",
    "microsoft.cdn": "2024-02-01",
    "microsoft.operationalinsights": "2023-09-01",
    "microsoft.consumption": "2023-05-01",
    "microsoft.insights": "2023-01-01",
    # Shared dashboards: the long-standing version every cloud serves.
    "microsoft.portal": "2020-09-01-preview",
    "microsoft.dashboard": "2023-09-01",
    "microsoft.security": "2024-01-01",
    "microsoft.eventgrid": "2025-02-15",
}
TYPE_API_VERSIONS = {
    "microsoft.cache/redisenterprise": "2025-04-01",
    "microsoft.cache/redisenterprise/databases": "2025-04-01",
    # disableLocalAuth is returned from 2025-09-01 on; older versions omit it even when set.
    "microsoft.communication/communicationservices": "2025-09-01",
    # disableAccessKeyAuthentication is in the 2024-11-01 stable shape.
    "microsoft.cache/redis": "2024-11-01",
    # authConfig (native or Entra ID authentication) is returned from 2025-09-01 on.
    "microsoft.documentdb/mongoclusters": "2025-09-01",
    "microsoft.insights/components": "2020-02-02",
    "microsoft.insights/metricalerts": "2018-03-01",
    "microsoft.insights/scheduledqueryrules": "2023-12-01",
    "microsoft.insights/webtests": "2022-06-15",
    "microsoft.insights/workbooks": "2023-06-01",
    "microsoft.insights/activitylogalerts": "2020-10-01",
    "microsoft.insights/diagnosticsettings": "2021-05-01-preview",
    "microsoft.network/frontdoorwebapplicationfirewallpolicies": "2024-02-01",
    # Environments: appInsightsConfiguration and openTelemetryConfiguration are in the preview
    # ManagedEnvironment shape (2025-02-02-preview), not in the stable 2025-07-01 one.
    "microsoft.app/managedenvironments": "2025-02-02-preview",
}
#: Types listed a second time with an older api-version, because rules made with it keep their own
#: shape: scheduled query rules created with 2018-04-16 (query under properties.source).
EXTRA_API_VERSIONS = {"microsoft.insights/scheduledqueryrules": ("2018-04-16",)}
DEFAULT_API_VERSION = "2022-09-01"
SUBSCRIPTIONS_API_VERSION = "2022-12-01"

#: The azure-mgmt client that owns each namespace (or type prefix): reads of a type go through its
#: pipeline. A namespace without an installed client (Microsoft.Cdn) reads through the resource client.
CLIENTS = {
    "microsoft.apimanagement": "azure.mgmt.apimanagement:ApiManagementClient",
    "microsoft.app": "azure.mgmt.appcontainers:ContainerAppsAPIClient",
    "microsoft.cache": "azure.mgmt.redis:RedisManagementClient",
    "microsoft.cache/redisenterprise": "azure.mgmt.redisenterprise:RedisEnterpriseManagementClient",
    "microsoft.cognitiveservices": "azure.mgmt.cognitiveservices:CognitiveServicesManagementClient",
    "microsoft.communication": "azure.mgmt.communication:CommunicationServiceManagementClient",
    "microsoft.consumption": "azure.mgmt.consumption:ConsumptionManagementClient",
    "microsoft.containerregistry": "azure.mgmt.containerregistry:ContainerRegistryManagementClient",
    "microsoft.documentdb": "azure.mgmt.cosmosdb:CosmosDBManagementClient",
    "microsoft.eventhub": "azure.mgmt.eventhub:EventHubManagementClient",
    # azure-mgmt-monitor 7 has no diagnostic-settings operation; its pipeline still sends the GET.
    "microsoft.insights": "azure.mgmt.monitor:MonitorManagementClient",
    "microsoft.insights/components": "azure.mgmt.applicationinsights:ApplicationInsightsManagementClient",
    "microsoft.insights/webtests": "azure.mgmt.applicationinsights:ApplicationInsightsManagementClient",
    "microsoft.insights/workbooks": "azure.mgmt.applicationinsights:ApplicationInsightsManagementClient",
    "microsoft.keyvault": "azure.mgmt.keyvault:KeyVaultManagementClient",
    "microsoft.network": "azure.mgmt.network:NetworkManagementClient",
    "microsoft.resources": "azure.mgmt.subscription:SubscriptionClient",
    "microsoft.servicebus": "azure.mgmt.servicebus:ServiceBusManagementClient",
    "microsoft.signalrservice": "azure.mgmt.signalr:SignalRManagementClient",
    "microsoft.storage": "azure.mgmt.storage:StorageManagementClient",
    "microsoft.web": "azure.mgmt.web:WebSiteManagementClient",
}
FALLBACK_CLIENT = "azure.mgmt.resource.resources:ResourceManagementClient"

DIAGNOSTIC_SETTINGS = "Microsoft.Insights/diagnosticSettings"
SITE_CONFIG = "Microsoft.Web/sites/config"
#: Types listed once per subscription, not per resource group.
SUBSCRIPTION_LEVEL = {"microsoft.consumption/budgets", "microsoft.security/pricings"}
#: Child types ARM serves only as one named resource, not as a list: read with a GET of that name;
#: a 404 means there is none.
SINGLETON_CHILDREN = {"microsoft.storage/storageaccounts/managementpolicies": "default"}
#: Query parameters some collections need (APIM policies as raw XML, not escaped).
EXTRA_QUERY = {
    "microsoft.apimanagement/service/policies": {"format": "rawxml"},
    "microsoft.apimanagement/service/apis/policies": {"format": "rawxml"},
    "microsoft.apimanagement/service/apis/operations/policies": {"format": "rawxml"},
    "microsoft.apimanagement/service/products/policies": {"format": "rawxml"},
    "microsoft.apimanagement/service/policyfragments": {"format": "rawxml"},
    # Listing workbooks requires a category (applicationinsights 2023-06-01 WorkbooksList.json);
    # "workbook" is the one users create dashboards in.
    "microsoft.insights/workbooks": {"category": "workbook"},
}


def api_version(rtype: str) -> str:
    key = rtype.lower()
    return TYPE_API_VERSIONS.get(key) or API_VERSIONS.get(key.split("/", 1)[0], DEFAULT_API_VERSION)


def client_for(rtype: str) -> str:
    """The azure-mgmt client ("module:Class") whose pipeline reads `rtype`."""
    key = rtype.lower()
    for prefix in sorted(CLIENTS, key=len, reverse=True):
        if key == prefix or key.startswith(prefix + "/"):
            return CLIENTS[prefix]
    return FALLBACK_CLIENT


@dataclass(frozen=True)
class Plan:
    top_level: tuple[str, ...]
    children: tuple[str, ...]  # ordered so that every parent type comes before its children
    subscription_level: tuple[str, ...]
    diagnostic_settings: bool
    app_settings: bool

    @property
    def types(self) -> tuple[str, ...]:
        extra = ((DIAGNOSTIC_SETTINGS,) if self.diagnostic_settings else ()) + (
            (SITE_CONFIG,) if self.app_settings and SITE_CONFIG not in self.children else ()
        )
        return self.top_level + self.children + self.subscription_level + extra

    def children_of(self, rtype: str) -> tuple[str, ...]:
        """The planned child types listed directly below each resource of `rtype`."""
        key = rtype.lower()
        return tuple(c for c in self.children if c.rsplit("/", 1)[0].lower() == key)

    def descendants_of(self, rtype: str) -> tuple[str, ...]:
        """The planned types read only below resources of `rtype`: what a failed read of it leaves
        unknown in the same scope. Diagnostic settings are not among them: they extend resources
        of many types, and the checks that read them judge resources of the failed type, which
        are a gap already."""
        key = rtype.lower()
        below = [c for c in self.children if c.lower().startswith(key + "/")]
        if self.app_settings and key == "microsoft.web/sites" and SITE_CONFIG not in below:
            below.append(SITE_CONFIG)
        return tuple(below)


def make_plan(needed: Iterable[str], inspect_app_settings: bool = False) -> Plan:
    wanted = {t.lower(): t for t in needed}
    diag = DIAGNOSTIC_SETTINGS.lower() in wanted
    app_settings = SITE_CONFIG.lower() in wanted and inspect_app_settings
    wanted.pop(DIAGNOSTIC_SETTINGS.lower(), None)
    # Microsoft.Web/sites/config stays a child type: listing {site}/config returns config/web,
    # where siteConfig values live (the site GET returns them null). App settings are the list
    # action on top, only with --inspect-app-settings.
    subscription_level = tuple(sorted(t for k, t in wanted.items() if k in SUBSCRIPTION_LEVEL))
    # A child type needs its parents listed first, even when no check reads the parent itself.
    for rtype in list(wanted.values()):
        segments = rtype.split("/")
        for depth in range(2, len(segments)):
            parent = "/".join(segments[:depth])
            wanted.setdefault(parent.lower(), parent)
    if app_settings:
        wanted.setdefault("microsoft.web/sites", "Microsoft.Web/sites")
    top = tuple(
        sorted((t for k, t in wanted.items() if t.count("/") == 1 and k not in SUBSCRIPTION_LEVEL), key=str.lower)
    )
    children = tuple(sorted((t for t in wanted.values() if t.count("/") > 1), key=lambda t: (t.count("/"), t.lower())))
    return Plan(top, children, subscription_level, diag, app_settings)
