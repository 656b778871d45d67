"""Observability: Application Insights on a workspace, every workload wired to it, and the
platform logs of each service in Log Analytics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.checks.ingress import environment_id

from auditor.api import Area, DataError, Remediation, Resource, Severity, Status, Verdict, check, failed, passed
from auditor.diagnostics import DIAGNOSTIC_SETTINGS, logs_to_workspace
from auditor.inventory import Context

APP_INSIGHTS = "Microsoft.Insights/components"
APP = "Microsoft.App/containerApps"
ENVIRONMENT = "Microsoft.App/managedEnvironments"
SITE = "Microsoft.Web/sites"
SITE_CONFIG = "Microsoft.Web/sites/config"
TELEMETRY_SETTINGS = {"applicationinsights_connection_string", "appinsights_instrumentationkey"}
#: An environment with no log destination may leave appLogsConfiguration out altogether.
APP_LOGS = "properties.appLogsConfiguration"
APP_LOGS_DESTINATION = f"{APP_LOGS}.destination"
DIAG_DOC = "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings"


@check(
    id="monitor.appinsights-workspace",
    title="Application Insights is workspace-based",
    severity=Severity.MEDIUM,
    area=Area.OBSERVABILITY,
    checklist="monitoring-alerts",
    types=[APP_INSIGHTS],
    when_absent="fail",
    rationale="The guide's monitoring stack correlates traces with platform logs in Log Analytics. Classic "
    "Application Insights is retired and keeps its data apart from the workspace that alerts query.",
    remediation=Remediation(
        text="Create (or migrate to) a workspace-based Application Insights resource.",
        az="az monitor app-insights component update --app {name} --resource-group {resourceGroup} "
        "--workspace <log-analytics-workspace-id>",
        bicep="properties: {\n  Application_Type: 'web'\n  WorkspaceResourceId: workspace.id\n}",
    ),
    refs=["https://learn.microsoft.com/azure/azure-monitor/app/create-workspace-resource"],
)
def appinsights_workspace(component: Resource, ctx: Context) -> Verdict:
    workspace = component.get("properties.WorkspaceResourceId", default="", expect=str)
    if workspace:
        return passed("workspace-based", expected="WorkspaceResourceId set")
    mode = component.get("properties.IngestionMode", default="ApplicationInsights", expect=str)
    return failed(f"classic Application Insights (IngestionMode {mode})", expected="WorkspaceResourceId set")


def _container_app_telemetry(app: Resource, ctx: Context) -> str | None:
    for container in app.item_views("properties.template.containers", required=True):
        for variable in container.item_views("env"):
            name = variable.get("name", expect=str, record=False)
            if name.lower() in TELEMETRY_SETTINGS:
                return f"environment variable {name}"
    env_id = environment_id(app)
    env = ctx.get(env_id) if env_id else None
    if env is not None:
        if env.has("properties.appInsightsConfiguration.connectionString") or env.has(
            "properties.daprAIConnectionString"
        ):
            return "the environment's Application Insights integration"
        if env.has("properties.openTelemetryConfiguration.tracesConfiguration"):
            return "the environment's OpenTelemetry export"
        destination = env.get(APP_LOGS_DESTINATION, default="", expect=str, parent_optional=APP_LOGS)
        if destination.lower() == "log-analytics":
            return "the environment's logs (log-analytics)"
        # "azure-monitor" hands the logs to the environment's diagnostic settings, which may send them nowhere.
        if destination.lower() == "azure-monitor" and logs_to_workspace(env, ctx).status is Status.PASS:
            return "the environment's logs (azure-monitor, diagnostic setting to a workspace)"
    return None


@check(
    id="monitor.workload-telemetry",
    title="Every container app and App Service app sends telemetry to Application Insights or Log Analytics",
    severity=Severity.MEDIUM,
    area=Area.OBSERVABILITY,
    checklist="monitoring-alerts",
    types=[APP, SITE],
    reads=[ENVIRONMENT, SITE_CONFIG, DIAGNOSTIC_SETTINGS],
    rationale="Distributed tracing with callConnectionId, sessionId and requestId is how the guide finds a slow "
    "call; an app that is not wired to Application Insights (or whose logs reach no workspace) is invisible.",
    remediation=Remediation(
        text="Set APPLICATIONINSIGHTS_CONNECTION_STRING on the app (or the environment's Application Insights "
        "integration) and send the environment's logs to Log Analytics.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} "
        "--set-env-vars APPLICATIONINSIGHTS_CONNECTION_STRING=<connection-string>",
        bicep="env: [\n  {\n    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'\n"
        "    value: appInsights.properties.ConnectionString\n  }\n]",
    ),
    refs=["https://learn.microsoft.com/azure/azure-monitor/app/opentelemetry-enable"],
)
def workload_telemetry(workload: Resource, ctx: Context) -> Verdict:
    if workload.type.lower() == APP.lower():
        source = _container_app_telemetry(workload, ctx)
    else:
        settings = {c.name.lower(): c for c in ctx.children(workload, SITE_CONFIG)}.get("appsettings")
        if settings is None:
            raise DataError("the app settings are not in the snapshot (collect with --inspect-app-settings)")
        names = {name.lower() for name in settings.get("properties", expect=dict)}
        source = next((f"app setting {n.upper()}" for n in names & TELEMETRY_SETTINGS), None)
    if source:
        workload.note("telemetry", source)
        return passed(f"telemetry through {source}", expected="Application Insights or Log Analytics")
    return failed("no Application Insights connection and no log destination", expected="telemetry wired")


@dataclass(frozen=True)
class LoggedService:
    key: str
    rtype: str
    label: str


LOGGED = (
    LoggedService("apim", "Microsoft.ApiManagement/service", "API Management"),
    LoggedService("appgw", "Microsoft.Network/applicationGateways", "Application Gateway"),
    LoggedService("aca-environment", ENVIRONMENT, "Container Apps environment"),
    LoggedService("redis", "Microsoft.Cache/Redis", "Azure Cache for Redis"),
    LoggedService("cosmos", "Microsoft.DocumentDB/databaseAccounts", "Cosmos DB account"),
    LoggedService("cognitive", "Microsoft.CognitiveServices/accounts", "Azure AI services account"),
    LoggedService("cosmos-mongo-vcore", "Microsoft.DocumentDB/mongoClusters", "Cosmos DB for MongoDB vCore cluster"),
    LoggedService("acs", "Microsoft.Communication/CommunicationServices", "Communication Services"),
)


def _diagnostics_check(service: LoggedService) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"monitor.{service.key}.diagnostic-logs",
        title=f"{service.label} sends its logs to Log Analytics",
        severity=Severity.MEDIUM,
        area=Area.OBSERVABILITY,
        checklist="monitoring-alerts",
        types=[service.rtype],
        reads=[DIAGNOSTIC_SETTINGS],
        rationale=(
            f"Platform logs of the {service.label} (requests, failures, throttling, audit) are the evidence an "
            "incident review needs and the input of log alerts; without a diagnostic setting they are not kept."
        ),
        remediation=Remediation(
            text=f"Add a diagnostic setting on the {service.label} sending allLogs to the Log Analytics workspace.",
            az="az monitor diagnostic-settings create --name to-workspace --resource {id} --workspace <workspace-id> "
            '--logs \'[{"categoryGroup":"allLogs","enabled":true}]\'',
            bicep="resource diag 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {\n  scope: target\n"
            "  properties: {\n    workspaceId: workspace.id\n"
            "    logs: [ { categoryGroup: 'allLogs', enabled: true } ]\n"
            "  }\n}",
        ),
        refs=[DIAG_DOC],
    )
    def diagnostic_logs(res: Resource, ctx: Context) -> Verdict:
        if service.rtype == ENVIRONMENT:
            destination = res.get(APP_LOGS_DESTINATION, default="", expect=str, parent_optional=APP_LOGS)
            if destination.lower() == "log-analytics":
                return passed("the environment writes its logs to Log Analytics", expected="logs in Log Analytics")
        return logs_to_workspace(res, ctx)

    diagnostic_logs.__name__ = f"diagnostic_logs_{service.key.replace('-', '_')}"
    return diagnostic_logs


CHECKS = [_diagnostics_check(s) for s in LOGGED]
