"""Collection of what alerting and dashboards are judged on: web tests, workbooks, shared
dashboards, Managed Grafana, and scheduled query rules in both api shapes (the real SDK clients
against the fake ARM)."""

from __future__ import annotations

import copy

from auditor.audit import AuditRequest, run_audit
from auditor.collect.plan import api_version
from auditor.testing.fake_arm import FakeArm, Fault
from tests.collect.conftest import document, run

LEGACY = "2018-04-16"


def with_extras(doc):
    """The hardened fixture plus a 2018-04-16 log alert (monitor 2018-04-16 example
    getScheduledQueryRules.json), a shared dashboard and a Managed Grafana instance."""
    doc = copy.deepcopy(doc)
    sub = doc["scope"]["subscriptions"][0]["subscriptionId"]
    rg = f"/subscriptions/{sub}/resourceGroups/rg-voice-prod"
    component = f"{rg}/providers/Microsoft.Insights/components/appi-voice-prod"
    group = f"{rg}/providers/Microsoft.Insights/actionGroups/ag-voice-oncall"
    legacy = {
        "id": f"{rg}/providers/microsoft.insights/scheduledqueryrules/stt-legacy",
        "name": "stt-legacy",
        "type": "Microsoft.Insights/scheduledQueryRules",
        "location": "eastus2",
        "kind": None,
        "tags": {},
        "properties": {
            "description": "STT latency (ms), the rule from before the migration",
            "enabled": "true",
            "source": {"query": "customMetrics | where name == 'stt_latency_ms'", "dataSourceId": component},
            "schedule": {"frequencyInMinutes": 5, "timeWindowInMinutes": 5},
            "action": {
                "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.Microsoft.AppInsights."
                "Nexus.DataContracts.Resources.ScheduledQueryRules.AlertingAction",
                "severity": "1",
                "aznsAction": {"actionGroup": [group]},
                "trigger": {"thresholdOperator": "GreaterThan", "threshold": 1000},
            },
        },
    }
    dashboard = {
        "id": f"{rg}/providers/Microsoft.Portal/dashboards/voice",
        "name": "voice",
        "type": "Microsoft.Portal/dashboards",
        "location": "eastus2",
        "tags": {"hidden-title": "Voice agent"},
        "properties": {
            "lenses": [
                {
                    "order": 0,
                    "parts": [
                        {
                            "position": {"x": 0, "y": 0, "rowSpan": 4, "colSpan": 6},
                            "metadata": {"inputs": [{"name": "ComponentId", "value": {"ResourceId": component}}]},
                        }
                    ],
                }
            ],
            "metadata": {},
        },
    }
    grafana = {
        "id": f"{rg}/providers/Microsoft.Dashboard/grafana/grafana-voice",
        "name": "grafana-voice",
        "type": "Microsoft.Dashboard/grafana",
        "location": "eastus2",
        "sku": {"name": "Standard"},
        "properties": {"provisioningState": "Succeeded", "grafanaVersion": "10"},
    }
    doc["resources"] += [legacy, dashboard, grafana]
    return doc


def test_new_types_and_both_log_alert_shapes_are_collected():
    doc = with_extras(document("hardened"))
    with FakeArm(doc) as arm:
        snap, stats = run(arm, doc)
        log = list(arm.log)
    ids = {r["id"].lower() for r in snap.resources}
    assert {
        r["id"].lower()
        for r in doc["resources"]
        if r["type"].lower()
        in {
            "microsoft.insights/webtests",
            "microsoft.insights/workbooks",
            "microsoft.portal/dashboards",
            "microsoft.dashboard/grafana",
            "microsoft.insights/scheduledqueryrules",
        }
    } <= ids
    versions = {}
    for entry in log:
        rtype = "/".join(entry.path.lower().split("/providers/")[-1].split("/")[:2])
        versions.setdefault(rtype, set()).add(entry.query.split("api-version=")[1].split("&")[0])
    assert versions["microsoft.insights/scheduledqueryrules"] == {
        api_version("microsoft.insights/scheduledqueryrules"),
        LEGACY,
    }
    assert versions["microsoft.insights/webtests"] == {"2022-06-15"}
    assert versions["microsoft.insights/workbooks"] == {"2023-06-01"}
    # WorkbooksList.json: the list requires a category; the fake refuses it without one, as ARM does.
    assert all("category=workbook" in e.query for e in log if e.path.lower().endswith("/workbooks"))
    assert versions["microsoft.portal/dashboards"] and versions["microsoft.dashboard/grafana"]
    assert stats.failures == 0
    report = run_audit(AuditRequest(snapshot=snap))
    found = {(f["checkId"], f["resourceName"]): f for f in report["findings"]}
    assert found[("alerts.availability-test", "appi-voice-prod")]["status"] == "pass"
    assert found[("monitor.dashboard", "appi-voice-prod")]["status"] == "pass"
    stt = found[("alerts.stt-latency", "appi-voice-prod")]
    assert stt["status"] == "pass" and "stt-legacy" in stt["evidence"]["message"]


def test_forbidden_web_tests_leave_the_availability_test_not_assessed():
    doc = document("hardened")
    with FakeArm(doc, faults=[Fault(r"/microsoft\.insights/webtests$", status=403)]) as arm:
        snap, _ = run(arm, doc)
    report = run_audit(AuditRequest(snapshot=snap))
    finding = next(f for f in report["findings"] if f["checkId"] == "alerts.availability-test")
    assert finding["status"] == "not_assessed"
    assert "Microsoft.Insights/webtests/read" in finding["evidence"]["message"]
