"""Key Metrics alerting, over the hardened fixture's alert rules."""

import copy
import json
from pathlib import Path

import pytest
from auditor.checks.alerts import KEY_METRICS

from tests.checks.helpers import SUB, only

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "parts" / "hardened"
FIXTURE_SUB = "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13"


def load(part):
    return json.loads((ROOT / part).read_text().replace(FIXTURE_SUB, SUB))


@pytest.fixture
def world():
    base = load("base.json")
    observability = [r for r in load("observability.json") if "diagnosticSettings" not in r["id"]]
    return copy.deepcopy(base + observability)


def rule(items, name):
    return next(r for r in items if r["name"] == name)


METRIC_RULES = {
    "e2e-latency": "alert-e2e-latency",
    "stt-latency": "alert-stt-latency",
    "tts-latency": "alert-tts-latency",
    "availability": "alert-availability",
    "call-drop-rate": "alert-call-drop-rate",
    "container-cpu": "alert-backend-cpu",
    "redis-memory": "alert-redis-memory",
}


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_every_key_metric_passes_on_the_hardened_rules(world, metric):
    finding = only(f"alerts.{metric.key}", world)
    assert finding.status.value == "pass", finding.evidence


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_missing_rule_fails(world, metric):
    items = [r for r in world if r["name"] != METRIC_RULES[metric.key]]
    assert only(f"alerts.{metric.key}", items).status.value == "fail"


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_laxer_threshold_fails_with_both_numbers(world, metric):
    target = rule(world, METRIC_RULES[metric.key])
    criterion = target["properties"]["criteria"]["allOf"][0]
    criterion["threshold"] = metric.threshold * 2.5 if metric.above else metric.threshold - 10
    finding = only(f"alerts.{metric.key}", world)
    assert finding.status.value == "fail"
    assert f"{metric.threshold:g}" in finding.evidence["message"]
    assert f"{criterion['threshold']:g}" in finding.evidence["message"]


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_disabled_rule_and_missing_action_group_fail(world, metric):
    target = rule(world, METRIC_RULES[metric.key])
    target["properties"]["enabled"] = False
    assert only(f"alerts.{metric.key}", world).status.value == "fail"
    target["properties"]["enabled"] = True
    group = rule(world, "ag-voice-oncall")
    group["properties"]["emailReceivers"] = []
    group["properties"]["smsReceivers"] = []
    finding = only(f"alerts.{metric.key}", world)
    assert finding.status.value == "fail" and "action group" in finding.evidence["message"]


def test_thresholds_are_configurable(world):
    assert only("alerts.e2e-latency", world, params={"threshold": 3000}).status.value == "fail"
    assert only("alerts.availability", world, params={"threshold": 99.9}).status.value == "fail"


def test_wrong_operator_does_not_count(world):
    rule(world, "alert-availability")["properties"]["criteria"]["allOf"][0]["operator"] = "GreaterThan"
    assert only("alerts.availability", world).status.value == "fail"


def test_not_applicable_without_the_monitored_service(world):
    items = [r for r in world if r["type"] != "Microsoft.Cache/Redis"]
    assert only("alerts.redis-memory", items).status.value == "not_applicable"


def test_alert_rules_not_collected_is_not_assessed(world):
    collected = sorted({r["type"] for r in world} - {"Microsoft.Insights/scheduledQueryRules"})
    assert only("alerts.stt-latency", world, collected=collected).status.value == "not_assessed"


def test_odd_threshold_is_not_assessed(world):
    rule(world, "alert-redis-memory")["properties"]["criteria"]["allOf"][0]["threshold"] = "eighty"
    assert only("alerts.redis-memory", world).status.value == "not_assessed"


def test_service_health(world):
    assert only("alerts.service-health", world).status.value == "pass"
    health = rule(world, "service-health-voice")
    health["properties"]["scopes"] = ["/subscriptions/another"]
    assert only("alerts.service-health", world).status.value == "fail"
    health["properties"]["scopes"] = [f"/subscriptions/{SUB}"]
    health["properties"]["actions"]["actionGroups"] = []
    finding = only("alerts.service-health", world)
    assert finding.status.value == "fail" and "action group" in finding.evidence["message"]


def test_legacy_2018_04_16_log_alert_shape(world):
    """The shape of api-version 2018-04-16 (LogSearchRule): query under source, trigger under action."""
    current = rule(world, "alert-stt-latency")
    group = rule(world, "ag-voice-oncall")["id"]
    legacy = {
        "id": current["id"],
        "name": current["name"],
        "type": "Microsoft.Insights/scheduledQueryRules",
        "location": "eastus2",
        "kind": None,
        "properties": {
            "description": "STT latency above 1 s",
            "enabled": "true",
            "source": {
                "query": "customMetrics | where name == 'stt_latency_ms'",
                "dataSourceId": "x",
                "queryType": "ResultCount",
            },
            "schedule": {"frequencyInMinutes": 5, "timeWindowInMinutes": 5},
            "action": {
                "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.Microsoft.AppInsights."
                "Nexus.DataContracts.Resources.ScheduledQueryRules.AlertingAction",
                "severity": "2",
                "aznsAction": {"actionGroup": [group]},
                "trigger": {"thresholdOperator": "GreaterThan", "threshold": 1000},
            },
        },
    }
    items = [r for r in world if r["name"] != current["name"]] + [legacy]
    assert only("alerts.stt-latency", items).status.value == "pass"
    legacy["properties"]["action"]["trigger"]["threshold"] = 5000
    assert only("alerts.stt-latency", items).status.value == "fail"
    legacy["properties"]["action"]["trigger"]["threshold"] = 1000
    legacy["properties"]["enabled"] = "false"
    assert only("alerts.stt-latency", items).status.value == "fail"


# --- Shapes of the published azure-rest-api-specs example responses (our own values) ---------

PROVIDER = f"/subscriptions/{SUB}/resourcegroups/rg-voice-prod/providers/microsoft.insights"
GROUP_ID = f"{PROVIDER}/actiongroups/ag-voice-oncall"


def metric_alert(name, scopes, criterion, odata="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"):
    """monitor/.../stable/2018-03-01/examples/getMetricAlertSingleResource.json: no `name` field (ARM
    derives it from the id), lower-case provider segments, actions[].actionGroupId."""
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg-voice-prod/providers/microsoft.insights/metricalerts/{name}",
        "type": "Microsoft.Insights/metricAlerts",
        "location": "global",
        "tags": {},
        "properties": {
            "description": "",
            "severity": 3,
            "enabled": True,
            "scopes": scopes,
            "evaluationFrequency": "PT1M",
            "windowSize": "PT15M",
            "criteria": {"odata.type": odata, "allOf": [criterion]},
            "autoMitigate": False,
            "actions": [{"actionGroupId": GROUP_ID, "webHookProperties": {}}],
        },
    }


def without_rule(world, name):
    return [r for r in world if r["name"] != name]


def backend_id(world):
    return rule(world, "ca-voice-backend")["id"]


def test_example_metric_alert_shape_passes(world):
    criterion = {
        "criterionType": "StaticThresholdCriterion",
        "name": "High_CPU_80",
        "metricName": "CpuPercentage",
        "dimensions": [],
        "operator": "GreaterThan",
        "threshold": 80.50,
        "timeAggregation": "Average",
    }
    items = [*without_rule(world, "alert-backend-cpu"), metric_alert("cpu", [backend_id(world)], criterion)]
    finding = only("alerts.container-cpu", items)
    assert finding.status.value == "pass", finding.evidence


def test_dynamic_threshold_has_no_number_to_compare(world):
    # monitor/.../stable/2018-03-01/examples/getDynamicMetricAlertSingleResource.json
    criterion = {
        "criterionType": "DynamicThresholdCriterion",
        "name": "High_CPU_80",
        "metricName": "CpuPercentage",
        "metricNamespace": "microsoft.app/containerapps",
        "operator": "GreaterOrLessThan",
        "timeAggregation": "Average",
        "dimensions": [],
        "alertSensitivity": "Medium",
        "failingPeriods": {"numberOfEvaluationPeriods": 4, "minFailingPeriodsToAlert": 4},
        "ignoreDataBefore": None,
    }
    multiple = "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria"
    dynamic = metric_alert("cpu-dynamic", [backend_id(world)], criterion, odata=multiple)
    finding = only("alerts.container-cpu", [*without_rule(world, "alert-backend-cpu"), dynamic])
    assert finding.status.value == "fail"
    assert "dynamic threshold" in finding.evidence["message"]


@pytest.mark.parametrize(
    ("nanocores", "status"),
    [(800_000_000, "pass"), (850_000_000, "pass"), (950_000_000, "fail")],
)
def test_usage_nanocores_counts_as_a_share_of_the_allocation(world, nanocores, status):
    # ca-voice-backend is allocated 1.0 core: 850,000,000 nanocores is 85 %.
    criterion = {
        "criterionType": "StaticThresholdCriterion",
        "name": "nano",
        "metricName": "UsageNanoCores",
        "operator": "GreaterThan",
        "threshold": nanocores,
        "timeAggregation": "Average",
    }
    items = [*without_rule(world, "alert-backend-cpu"), metric_alert("cpu-nano", [backend_id(world)], criterion)]
    finding = only("alerts.container-cpu", items)
    assert finding.status.value == status, finding.evidence
    if status == "fail":
        assert "95" in finding.evidence["message"] and "85" in finding.evidence["message"]


def test_usage_nanocores_on_a_resource_group_scope_cannot_be_compared(world):
    criterion = {"name": "nano", "metricName": "UsageNanoCores", "operator": "GreaterThan", "threshold": 1}
    group_scope = [f"/subscriptions/{SUB}/resourceGroups/rg-voice-prod"]
    items = [*without_rule(world, "alert-backend-cpu"), metric_alert("cpu-nano", group_scope, criterion)]
    finding = only("alerts.container-cpu", items)
    assert finding.status.value == "fail"
    assert "allocation is unknown" in finding.evidence["message"]


def scheduled_query_rule(name, query, threshold, *, description="", groups=(GROUP_ID,)):
    """monitor/.../preview/2023-03-15-preview/examples/getScheduledQueryRule.json: lower-case type,
    criteria.allOf[] with query/operator/threshold, actions.actionGroups as plain ids."""
    return {
        "id": f"{PROVIDER}/scheduledqueryrules/{name}",
        "name": name,
        "type": "microsoft.insights/scheduledqueryrules",
        "location": "eastus2",
        "tags": {},
        "properties": {
            "description": description,
            "severity": 4,
            "enabled": True,
            "evaluationFrequency": "PT5M",
            "scopes": [f"/subscriptions/{SUB}/resourceGroups/rg-voice-prod/providers/Microsoft.Insights/components/x"],
            "windowSize": "PT10M",
            "criteria": {
                "allOf": [
                    {
                        "query": query,
                        "timeAggregation": "Average",
                        "metricMeasureColumn": "value",
                        "resourceIdColumn": "resourceId",
                        "dimensions": [],
                        "operator": "GreaterThan",
                        "threshold": threshold,
                        "failingPeriods": {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1},
                    }
                ]
            },
            "muteActionsDuration": "PT30M",
            "actions": {"actionGroups": list(groups), "customProperties": {}},
            "resolveConfiguration": {"autoResolved": True, "timeToResolve": "PT10M"},
            "skipQueryValidation": True,
        },
    }


def test_example_log_alert_shape_matched_by_camel_case_word(world):
    stt = scheduled_query_rule("perf", "customMetrics | where name == 'sttLatencyMs' | summarize value=avg(value)", 900)
    finding = only("alerts.stt-latency", [*without_rule(world, "alert-stt-latency"), stt])
    assert finding.status.value == "pass", finding.evidence


def test_keywords_match_whole_words_only(world):
    # "lastTime" holds the letters s-t-t but not the word "stt"; "settings" holds no "tts".
    decoy = scheduled_query_rule("perf", "requests | summarize lastTime = max(timestamp) | where settings > 0", 500)
    items = [*without_rule(without_rule(world, "alert-stt-latency"), "alert-tts-latency"), decoy]
    assert only("alerts.stt-latency", items).evidence["message"].startswith("no enabled alert rule")
    assert only("alerts.tts-latency", items).evidence["message"].startswith("no enabled alert rule")


def test_log_alert_without_action_group_fails(world):
    stt = scheduled_query_rule("stt", "customMetrics | where name == 'stt_latency_ms'", 1000, groups=())
    finding = only("alerts.stt-latency", [*without_rule(world, "alert-stt-latency"), stt])
    assert finding.status.value == "fail" and "action group" in finding.evidence["message"]


def test_log_alert_criterion_of_odd_shape_is_not_assessed(world):
    stt = scheduled_query_rule("stt", "customMetrics | where name == 'stt_latency_ms'", 1000)
    stt["properties"]["criteria"]["allOf"].append("GreaterThan 1000")
    assert only("alerts.stt-latency", [*world, stt]).status.value == "not_assessed"


def test_example_action_group_receivers_that_azure_disabled_do_not_count(world):
    # monitor/.../stable/2020-10-01/examples/getActionGroup.json: receivers carry a read-only status.
    group = rule(world, "ag-voice-oncall")
    group["properties"]["emailReceivers"] = [
        {"name": "John Doe's email", "emailAddress": "johndoe@email.com", "status": "Disabled"}
    ]
    group["properties"]["smsReceivers"] = [
        {"name": "John Doe's mobile", "countryCode": "1", "phoneNumber": "1234567890", "status": "Disabled"}
    ]
    assert only("alerts.redis-memory", world).status.value == "fail"
    group["properties"]["webhookReceivers"] = [{"name": "Sample webhook", "serviceUri": "https://example.com/hook"}]
    assert only("alerts.redis-memory", world).status.value == "pass"


def test_action_group_in_an_uncollected_subscription_is_not_assessed(world):
    other = "/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.Insights"
    target = rule(world, "alert-redis-memory")
    target["properties"]["actions"] = [{"actionGroupId": f"{other}/actionGroups/central", "webHookProperties": {}}]
    assert only("alerts.redis-memory", world).status.value == "not_assessed"


def activity_log_alert(condition, scopes):
    """monitor/.../stable/2020-10-01/examples/ActivityLogAlertRule_CreateOrUpdateRuleWithAnyOfCondition.json
    (and ...WithContainsAny.json): scopes without the leading slash, "odata.type": null on conditions."""
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg-voice-prod/providers/microsoft.insights/activityLogAlerts/sh",
        "type": "Microsoft.Insights/ActivityLogAlerts",
        "name": "sh",
        "location": "Global",
        "tags": {},
        "properties": {
            "scopes": scopes,
            "condition": {"allOf": condition},
            "actions": {"actionGroups": [{"actionGroupId": GROUP_ID, "webhookProperties": {}}]},
            "enabled": True,
            "description": "",
        },
    }


@pytest.mark.parametrize(
    "condition",
    [
        [
            {"field": "category", "equals": "ServiceHealth", "odata.type": None},
            {
                "anyOf": [
                    {"field": "properties.incidentType", "equals": "Incident", "odata.type": None},
                    {"field": "properties.incidentType", "equals": "Maintenance", "odata.type": None},
                ],
                "odata.type": None,
            },
        ],
        [
            {"field": "category", "equals": "ServiceHealth", "odata.type": None},
            {
                "field": "properties.impactedServices[*].ImpactedRegions[*].RegionName",
                "containsAny": ["East US 2"],
                "odata.type": None,
            },
        ],
        [{"anyOf": [{"field": "category", "equals": "ServiceHealth"}, {"field": "category", "equals": "Security"}]}],
        [{"field": "category", "containsAny": ["ServiceHealth", "ResourceHealth"]}],
    ],
    ids=["any-of", "contains-any-region", "any-of-category", "contains-any-category"],
)
def test_example_service_health_shapes(world, condition):
    items = [*without_rule(world, "service-health-voice"), activity_log_alert(condition, [f"subscriptions/{SUB}"])]
    assert only("alerts.service-health", items).status.value == "pass"


def test_administrative_activity_alert_is_not_service_health(world):
    admin = activity_log_alert([{"field": "category", "equals": "Administrative"}], [f"/subscriptions/{SUB}"])
    assert only("alerts.service-health", [*without_rule(world, "service-health-voice"), admin]).status.value == "fail"
    odd = activity_log_alert(["category=ServiceHealth"], [f"/subscriptions/{SUB}"])
    assert only("alerts.service-health", [*without_rule(world, "service-health-voice"), odd]).status.value == (
        "not_assessed"
    )
