"""Dashboards: the "Monitoring dashboards and alerts configured" checklist item needs somewhere to
look at the voice workload, not only rules that page."""

from __future__ import annotations

from auditor.api import Area, Remediation, Resource, Severity, Verdict, check, failed, not_assessed, passed
from auditor.inventory import Context

APP_INSIGHTS = "Microsoft.Insights/components"
WORKBOOK = "Microsoft.Insights/workbooks"
PORTAL_DASHBOARD = "Microsoft.Portal/dashboards"
GRAFANA = "Microsoft.Dashboard/grafana"
DASHBOARD_TYPES = (WORKBOOK, PORTAL_DASHBOARD, GRAFANA)


def _same(left: object, right: str) -> bool:
    return isinstance(left, str) and left.strip().lower().rstrip("/") == right.lower().rstrip("/")


@check(
    id="monitor.dashboard",
    title="A dashboard shows each Application Insights component of the workload",
    severity=Severity.MEDIUM,
    area=Area.OBSERVABILITY,
    checklist="monitoring-alerts",
    types=[APP_INSIGHTS],
    reads=list(DASHBOARD_TYPES),
    rationale="The guide's checklist asks for monitoring dashboards as well as alerts: during an incident the "
    "on-call engineer needs the latency, availability and call-drop picture in one place. Counted: a workbook "
    "whose sourceId is the component, a shared portal dashboard that references the component's id, or an "
    "Azure Managed Grafana instance in the subscription (its dashboards live in Grafana and cannot be read "
    "through ARM). When a dashboard type was not collected and no other dashboard is found, the verdict is "
    "not_assessed.",
    remediation=Remediation(
        text="Create an Azure Monitor workbook (or a shared dashboard) on the Application Insights component with "
        "the Key Metrics: end-to-end, STT and TTS latency, availability and call drop rate.",
        az="az monitor app-insights workbook create --resource-group {resourceGroup} --name <guid> "
        '--display-name "Voice agent key metrics" --category workbook --source-id <component-id> '
        "--serialized-data @workbook.json",
        bicep="resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {\n  kind: 'shared'\n  properties: {\n"
        "    displayName: 'Voice agent key metrics'\n    category: 'workbook'\n    sourceId: component.id\n"
        "    serializedData: loadTextContent('workbook.json')\n  }\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-overview",
        "https://learn.microsoft.com/azure/azure-portal/azure-portal-dashboards",
    ],
)
def dashboard(component: Resource, ctx: Context) -> Verdict:
    expected = "a workbook, shared dashboard or Managed Grafana over the component"
    gaps = []
    for rtype in DASHBOARD_TYPES:
        reason = ctx.inventory.gap(rtype, ctx.subscription_id)
        if reason is not None:
            gaps.append(reason)
            continue
        # Workbooks and dashboards name the component in their properties: the reference index finds
        # them without reading every one for every component.
        candidates = ctx.resources(rtype) if rtype == GRAFANA else ctx.referencing(component, rtype)
        for item in candidates:
            shown = _shows(item, component)
            if shown:
                component.note("dashboard", item.id)
                return passed(f"{shown} {item.name} shows {component.name}", expected=expected)
    if gaps:
        return not_assessed(f"no dashboard found over {component.name}, and {'; '.join(gaps)}")
    return failed(f"no workbook, shared dashboard or Managed Grafana shows {component.name}", expected=expected)


def _shows(item: Resource, component: Resource) -> str:
    """What kind of dashboard `item` is when it shows the component, else ""."""
    kind = item.type.lower()
    if kind == WORKBOOK.lower():
        # applicationinsights 2023-06-01 WorkbookGet.json: properties.sourceId names the resource it opens on.
        return "workbook" if _same(item.get("properties.sourceId", default="", expect=str), component.id) else ""
    if kind == PORTAL_DASHBOARD.lower():
        # portal 2020-09-01-preview: parts carry resource ids in metadata.inputs; any reference counts.
        return "shared dashboard"
    if kind == GRAFANA.lower():
        # dashboard 2023-09-01 Grafana_Get.json: an instance that failed to deploy shows nothing.
        state = item.get("properties.provisioningState", expect=str)
        return "Managed Grafana" if state.lower() == "succeeded" else ""
    return ""
