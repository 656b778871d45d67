"""monitor.dashboard: a workbook, shared dashboard or Managed Grafana over each component."""

import pytest

from tests.checks.helpers import RG, SUB, arm_id, only

COMPONENT = arm_id("Microsoft.Insights/components", "appi-voice")
OTHER = arm_id("Microsoft.Insights/components", "appi-other")
DASHBOARD_TYPES = ["Microsoft.Insights/workbooks", "Microsoft.Portal/dashboards", "Microsoft.Dashboard/grafana"]


def component(rid=COMPONENT):
    return {
        "id": rid,
        "name": rid.rsplit("/", 1)[-1],
        "type": "Microsoft.Insights/components",
        "location": "eastus2",
        "kind": "web",
        "properties": {"Application_Type": "web", "IngestionMode": "LogAnalytics"},
    }


def workbook(source_id):
    """applicationinsights 2023-06-01 examples WorkbookGet.json (lower-case provider in the id)."""
    name = "deadb33f-5e0d-4064-8ebb-1a4ed0313eb2"
    return {
        "id": f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.insights/workbooks/{name}",
        "name": name,
        "type": "Microsoft.Insights/workbooks",
        "location": "eastus2",
        "kind": "shared",
        "properties": {
            "displayName": "Voice key metrics",
            "userId": "userId",
            "serializedData": '{"version":"Notebook/1.0","items":[],"isLocked":false}',
            "version": "Notebook/1.0",
            "category": "workbook",
            "sourceId": source_id,
            "timeModified": "2026-08-24T06:56:31.6301521Z",
            "storageUri": None,
            "description": "Voice key metrics",
            "revision": "1e2f8435b98248febee70c64ac22e1bb",
        },
        "tags": {},
    }


def portal_dashboard(resource_id):
    """portal 2020-09-01-preview examples createOrUpdateDashboard.json, with a part whose inputs name
    a resource, as the portal writes them."""
    return {
        "properties": {
            "lenses": [
                {
                    "order": 1,
                    "parts": [
                        {
                            "position": {"x": 1, "y": 2, "rowSpan": 4, "colSpan": 3},
                            "metadata": {
                                "inputs": [{"name": "ComponentId", "value": {"ResourceId": resource_id}}],
                                "type": "Extension/AppInsightsExtension/PartType/AppMapGalPt",
                            },
                        }
                    ],
                }
            ],
            "metadata": {"metadata": {"X": 4, "Y": 3, "RowSpan": 1, "ColSpan": 2}},
        },
        "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Portal/dashboards/voice",
        "name": "voice",
        "type": "Microsoft.Portal/dashboards",
        "location": "eastus2",
        "tags": {"hidden-title": "Voice agent"},
    }


def grafana():
    """dashboard 2023-09-01 examples Grafana_Get.json."""
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Dashboard/grafana/voice-grafana",
        "name": "voice-grafana",
        "type": "Microsoft.Dashboard/grafana",
        "sku": {"name": "Standard"},
        "location": "eastus2",
        "tags": {},
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "provisioningState": "Succeeded",
            "grafanaVersion": "10",
            "endpoint": "https://voice-grafana-abc.eus2.grafana.azure.com",
            "zoneRedundancy": "Enabled",
            "publicNetworkAccess": "Enabled",
        },
    }


@pytest.mark.parametrize(
    "shown",
    [workbook(COMPONENT), portal_dashboard(COMPONENT), grafana()],
    ids=["workbook", "portal-dashboard", "grafana"],
)
def test_a_dashboard_over_the_component_passes(shown):
    finding = only("monitor.dashboard", [component(), shown])
    assert finding.status.value == "pass", finding.evidence


def test_dashboards_over_other_resources_fail():
    items = [component(), workbook(OTHER), portal_dashboard(OTHER), workbook("Azure Monitor")]
    finding = only("monitor.dashboard", items)
    assert finding.status.value == "fail" and "appi-voice" in finding.evidence["message"]


def test_an_uncollected_dashboard_type_is_not_assessed_unless_another_shows_the_component():
    collected = ["Microsoft.Insights/components", "Microsoft.Insights/workbooks"]
    finding = only("monitor.dashboard", [component()], collected=collected)
    assert finding.status.value == "not_assessed"
    assert "Microsoft.Portal/dashboards" in finding.evidence["message"]
    assert only("monitor.dashboard", [component(), workbook(COMPONENT)], collected=collected).status.value == "pass"


def test_no_component_is_not_applicable_and_odd_source_is_not_assessed():
    assert only("monitor.dashboard", [grafana()]).status.value == "not_applicable"
    odd = workbook(COMPONENT)
    odd["properties"]["sourceId"] = [COMPONENT]  # the component's id, in a shape a workbook never has
    assert only("monitor.dashboard", [component(), odd]).status.value == "not_assessed"


def test_the_checklist_item_needs_a_dashboard_as_well_as_alerts():
    from auditor.registry import discover

    on_item = {c.meta.id for c in discover(entry_points=False).checks if c.meta.checklist == "monitoring-alerts"}
    assert {"monitor.dashboard", "alerts.availability-test", "alerts.redis-memory"} <= on_item
    assert set(DASHBOARD_TYPES) <= set(discover(entry_points=False).by_id()["monitor.dashboard"].meta.needs)


def test_a_grafana_instance_that_failed_to_deploy_shows_nothing():
    failed = grafana()
    failed["properties"]["provisioningState"] = "Failed"
    assert only("monitor.dashboard", [component(), failed]).status.value == "fail"
    del failed["properties"]["provisioningState"]
    assert only("monitor.dashboard", [component(), failed]).status.value == "not_assessed"
