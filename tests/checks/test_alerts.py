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
    assert f"{criterion['threshold']}" in finding.evidence["message"]


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
