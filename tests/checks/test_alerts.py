"""Key Metrics alerting, over the hardened fixture's alert rules."""

import copy
import json
from pathlib import Path

import pytest
from auditor.checks.alerts import KEY_METRICS, stated_units, words

from tests.checks.helpers import SUB, only, run_check, verdicts

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
#: The resource each rule above watches: one finding per resource.
WATCHED = {"container-cpu": "ca-voice-backend", "redis-memory": "redis-voice-prod"}


def judged(check_id, items, **kwargs):
    """The finding on the resource that the metric's hardened rule watches."""
    metric = check_id.removeprefix("alerts.")
    name = WATCHED.get(metric, "appi-voice-prod")
    return next(f for f in run_check(check_id, items, **kwargs) if f.resource_name == name)


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_every_key_metric_passes_on_the_hardened_rules(world, metric):
    found = verdicts(f"alerts.{metric.key}", world)
    assert set(found.values()) == {"pass"}, found


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_missing_rule_fails(world, metric):
    items = [r for r in world if r["name"] != METRIC_RULES[metric.key]]
    assert judged(f"alerts.{metric.key}", items).status.value == "fail"


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_laxer_threshold_fails_with_both_numbers(world, metric):
    target = rule(world, METRIC_RULES[metric.key])
    criterion = target["properties"]["criteria"]["allOf"][0]
    criterion["threshold"] = metric.threshold * 2.5 if metric.above else metric.threshold - 10
    finding = judged(f"alerts.{metric.key}", world)
    assert finding.status.value == "fail"
    assert f"{metric.threshold:g}" in finding.evidence["message"]
    assert f"{criterion['threshold']:g}" in finding.evidence["message"]


@pytest.mark.parametrize("metric", KEY_METRICS, ids=lambda m: m.key)
def test_disabled_rule_and_missing_action_group_fail(world, metric):
    target = rule(world, METRIC_RULES[metric.key])
    target["properties"]["enabled"] = False
    finding = judged(f"alerts.{metric.key}", world)
    assert finding.status.value == "fail" and "is disabled" in finding.evidence["message"]
    target["properties"]["enabled"] = True
    group = rule(world, "ag-voice-oncall")
    group["properties"]["emailReceivers"] = []
    group["properties"]["smsReceivers"] = []
    finding = judged(f"alerts.{metric.key}", world)
    assert finding.status.value == "fail" and "no receiver that is not Disabled" in finding.evidence["message"]


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


# --- Shapes of the published azure-rest-api-specs example responses (our own values) ---------

PROVIDER = f"/subscriptions/{SUB}/resourcegroups/rg-voice-prod/providers/microsoft.insights"
GROUP_ID = f"{PROVIDER}/actiongroups/ag-voice-oncall"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-voice-prod"
SINGLE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
MULTIPLE = "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria"


def metric_alert(name, scopes, criterion, odata=SINGLE, **properties):
    """monitor/.../stable/2018-03-01/examples/getMetricAlertSingleResource.json: no `name` field (ARM
    derives it from the id), lower-case provider segments, actions[].actionGroupId. Multi-resource
    alerts (getMetricAlertResourceGroup.json, getMetricAlertSubscription.json) add
    targetResourceType and targetResourceRegion."""
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
            **properties,
        },
    }


def cpu_criterion(**changes):
    criterion = {
        "criterionType": "StaticThresholdCriterion",
        "name": "High_CPU_80",
        "metricName": "CpuPercentage",
        "dimensions": [],
        "operator": "GreaterThan",
        "threshold": 80.50,
        "timeAggregation": "Average",
    }
    return {**criterion, **changes}


def without_rule(world, *names):
    return [r for r in world if r["name"] not in names]


def app_id(world, name="ca-voice-backend"):
    return rule(world, name)["id"]


def without_cpu_rules(world):
    return without_rule(world, "alert-backend-cpu", "alert-frontend-cpu")


def cpu_message(items, app="ca-voice-backend"):
    finding = next(f for f in run_check("alerts.container-cpu", items) if f.resource_name == app)
    return finding.status.value, finding.evidence["message"]


def test_example_metric_alert_shape_passes(world):
    items = [*without_cpu_rules(world), metric_alert("cpu", [app_id(world)], cpu_criterion())]
    assert verdicts("alerts.container-cpu", items) == {"ca-voice-backend": "pass", "ca-voice-frontend": "fail"}


def test_an_alert_on_one_app_does_not_cover_another(world):
    status, message = cpu_message(without_rule(world, "alert-frontend-cpu"), "ca-voice-frontend")
    assert status == "fail"
    assert message == "no enabled alert rule for container cpu watches ca-voice-frontend"


@pytest.mark.parametrize(
    "scope",
    [RG_ID, f"/subscriptions/{SUB}"],
    ids=["getMetricAlertResourceGroup.json", "getMetricAlertSubscription.json"],
)
def test_multi_resource_alert_covers_every_app_of_its_type_and_region(world, scope):
    alert = metric_alert(
        "cpu-all",
        [scope],
        cpu_criterion(metricNamespace="microsoft.app/containerapps"),
        odata=MULTIPLE,
        targetResourceType="Microsoft.App/containerApps",
        targetResourceRegion="eastus2",
    )
    items = [*without_cpu_rules(world), alert]
    assert verdicts("alerts.container-cpu", items) == {"ca-voice-backend": "pass", "ca-voice-frontend": "pass"}
    alert["properties"]["targetResourceRegion"] = "westeurope"
    status, message = cpu_message(items)
    assert status == "fail" and "region westeurope" in message and "eastus2" in message
    alert["properties"]["targetResourceRegion"] = "East US 2"  # display spelling of the same region
    assert cpu_message(items)[0] == "pass"
    alert["properties"]["targetResourceType"] = "Microsoft.Compute/virtualMachines"
    status, message = cpu_message(items)
    assert status == "fail" and "targetResourceType Microsoft.Compute/virtualMachines" in message


def test_resource_group_alert_on_another_group_watches_other_resources(world):
    alert = metric_alert(
        "cpu-dev",
        [f"/subscriptions/{SUB}/resourceGroups/rg-voice-dev"],
        cpu_criterion(),
        odata=MULTIPLE,
        targetResourceType="Microsoft.App/containerApps",
        targetResourceRegion="eastus2",
    )
    status, message = cpu_message([*without_cpu_rules(world), alert])
    assert status == "fail" and message.startswith("no enabled alert rule")


def test_dimension_filter_that_narrows_the_metric_fails(world):
    # monitor 2018-03-01 createOrUpdateMetricAlertWithDimensions.json: Include "*" splits, Include "200" filters.
    split = cpu_criterion(dimensions=[{"name": "revisionName", "operator": "Include", "values": ["*"]}])
    items = [*without_cpu_rules(world), metric_alert("cpu", [app_id(world)], split)]
    assert cpu_message(items)[0] == "pass"
    narrowed = cpu_criterion(
        dimensions=[{"name": "revisionName", "operator": "Include", "values": ["ca-voice-backend--r6"]}]
    )
    items = [*without_cpu_rules(world), metric_alert("cpu", [app_id(world)], narrowed)]
    status, message = cpu_message(items)
    assert status == "fail" and "revisionName" in message and "subset" in message
    excluded = cpu_criterion(dimensions=[{"name": "revisionName", "operator": "Exclude", "values": ["x"]}])
    assert cpu_message([*without_cpu_rules(world), metric_alert("cpu", [app_id(world)], excluded)])[0] == "fail"


def test_long_window_fails_and_the_limit_is_a_parameter(world):
    # createOrUpdateMetricAlertWithDimensions.json evaluates a one-day window (windowSize P1D).
    items = [*without_cpu_rules(world), metric_alert("cpu", [app_id(world)], cpu_criterion(), windowSize="P1D")]
    status, message = cpu_message(items)
    assert status == "fail" and "1440-minute window" in message
    findings = run_check("alerts.container-cpu", items, params={"max_window_minutes": 1440})
    assert {f.resource_name: f.status.value for f in findings}["ca-voice-backend"] == "pass"
    items[-1]["properties"]["windowSize"] = "one day"
    assert cpu_message(items)[0] == "not_assessed"


def test_aggregation_that_hides_the_breach_fails(world):
    minimum = metric_alert("cpu", [app_id(world)], cpu_criterion(timeAggregation="Minimum"))
    status, message = cpu_message([*without_cpu_rules(world), minimum])
    assert status == "fail" and "Minimum" in message and "hides a breach" in message
    # A "below" alert on Maximum hides a drop the same way.
    availability = rule(world, "alert-availability")["properties"]["criteria"]["allOf"][0]
    availability["timeAggregation"] = "Maximum"
    assert judged("alerts.availability", world).status.value == "fail"


def test_a_rule_whose_other_conditions_must_also_hold_does_not_cover(world):
    alert = metric_alert("cpu", [app_id(world)], cpu_criterion())
    alert["properties"]["criteria"]["allOf"].append(
        cpu_criterion(name="memory", metricName="WorkingSetBytes", threshold=1e9)
    )
    status, message = cpu_message([*without_cpu_rules(world), alert])
    assert status == "fail" and "allOf" in message


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda alert, group: alert["properties"].update(actions=[]), "notifies no action group"),
        (lambda alert, group: group["properties"].update(emailReceivers=[], smsReceivers=[]), "no receiver"),
        (lambda alert, group: group["properties"].update(enabled=False), "is disabled"),
        (
            lambda alert, group: group["properties"].update(
                emailReceivers=[{"name": "a", "emailAddress": "a@contoso.com", "status": "Disabled"}], smsReceivers=[]
            ),
            "no receiver that is not Disabled",
        ),
        (
            lambda alert, group: alert["properties"].update(actions=[{"actionGroupId": GROUP_ID + "-gone"}]),
            "is not in the snapshot",
        ),
    ],
    ids=["no-group", "empty-group", "disabled-group", "only-receiver-disabled", "missing-group"],
)
def test_action_group_must_reach_someone(world, change, reason):
    alert = metric_alert("cpu", [app_id(world)], cpu_criterion())
    items = [*without_cpu_rules(world), alert]
    change(alert, rule(items, "ag-voice-oncall"))
    status, message = cpu_message(items)
    assert status == "fail" and reason in message, message


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
    dynamic = metric_alert("cpu-dynamic", [app_id(world)], criterion, odata=MULTIPLE)
    status, message = cpu_message([*without_cpu_rules(world), dynamic])
    assert status == "fail" and "dynamic threshold" in message


@pytest.mark.parametrize(
    ("nanocores", "status"),
    [(800_000_000, "pass"), (850_000_000, "pass"), (950_000_000, "fail")],
)
def test_usage_nanocores_counts_as_a_share_of_the_allocation(world, nanocores, status):
    # ca-voice-backend is allocated 1.0 core: 850,000,000 nanocores is 85 %.
    criterion = cpu_criterion(name="nano", metricName="UsageNanoCores", threshold=nanocores)
    items = [*without_cpu_rules(world), metric_alert("cpu-nano", [app_id(world)], criterion)]
    found, message = cpu_message(items)
    assert found == status, message
    if status == "fail":
        assert "95" in message and "85" in message


def test_usage_nanocores_without_an_allocation_is_not_assessed(world):
    rule(world, "ca-voice-backend")["properties"]["template"]["containers"][0].pop("resources")
    criterion = cpu_criterion(name="nano", metricName="UsageNanoCores", threshold=1)
    items = [*without_cpu_rules(world), metric_alert("cpu-nano", [app_id(world)], criterion)]
    status, message = cpu_message(items)
    assert status == "not_assessed" and "allocation is unknown" in message


# --- Redis: Azure Cache for Redis and Azure Managed Redis, one finding per cache ----------------


def memory_alert(name, cache_id, namespace):
    criterion = cpu_criterion(name="memory", metricName="usedmemorypercentage", metricNamespace=namespace, threshold=80)
    return metric_alert(name, [cache_id], criterion)


def managed_redis(name):
    """redisenterprise 2025-04-01 example RedisEnterpriseGet.json: sku Balanced_B*, kind v2."""
    return {
        "id": f"{RG_ID}/providers/Microsoft.Cache/redisEnterprise/{name}",
        "name": name,
        "type": "Microsoft.Cache/redisEnterprise",
        "location": "eastus2",
        "tags": {},
        "kind": "v2",
        "sku": {"name": "Balanced_B5"},
        "properties": {"provisioningState": "Succeeded", "resourceState": "Running", "minimumTlsVersion": "1.2"},
    }


def test_two_caches_with_one_alert_pass_once_and_fail_once(world):
    second = copy.deepcopy(rule(world, "redis-voice-prod"))
    second["id"] = second["id"].replace("redis-voice-prod", "redis-voice-sessions")
    second["name"] = "redis-voice-sessions"
    found = verdicts("alerts.redis-memory", [*world, second])
    assert found == {"redis-voice-prod": "pass", "redis-voice-sessions": "fail"}


def test_azure_managed_redis_is_judged_on_its_own_namespace(world):
    cache = managed_redis("amr-voice-prod")
    on_enterprise = memory_alert("amr-memory", cache["id"], "Microsoft.Cache/redisEnterprise")
    assert verdicts("alerts.redis-memory", [*world, cache, on_enterprise])["amr-voice-prod"] == "pass"
    found = verdicts("alerts.redis-memory", [*world, cache])
    assert found == {"redis-voice-prod": "pass", "amr-voice-prod": "fail"}
    wrong_namespace = memory_alert("amr-memory", cache["id"], "Microsoft.Cache/Redis")
    finding = next(
        f
        for f in run_check("alerts.redis-memory", [*world, cache, wrong_namespace])
        if f.resource_name == "amr-voice-prod"
    )
    assert finding.status.value == "fail" and "metricNamespace Microsoft.Cache/Redis" in finding.evidence["message"]


# --- Log alerts: both api shapes, scoped to the component or its workspace, units ---------------

APPI_ID = f"{RG_ID}/providers/Microsoft.Insights/components/appi-voice-prod"


def scheduled_query_rule(name, query, threshold, *, description="", groups=(GROUP_ID,), scopes=(APPI_ID,)):
    """monitor/.../stable/2023-12-01/examples/getScheduledQueryRule.json: lower-case type,
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
            "scopes": list(scopes),
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
            "ruleResolveConfiguration": {"autoResolved": True, "timeToResolve": "PT10M"},
            "skipQueryValidation": True,
        },
    }


def stt(items, **kwargs):
    return judged("alerts.stt-latency", items, **kwargs)


def test_example_log_alert_shape_matched_by_camel_case_word(world):
    rule_ = scheduled_query_rule(
        "perf", "customMetrics | where name == 'sttLatencyMs' | summarize value=avg(value)", 900
    )
    finding = stt([*without_rule(world, "alert-stt-latency"), rule_])
    assert finding.status.value == "pass", finding.evidence


def test_log_alert_on_the_components_workspace_covers_it(world):
    workspace = rule(world, "appi-voice-prod")["properties"]["WorkspaceResourceId"]
    rule_ = scheduled_query_rule("perf", "AppMetrics | where Name == 'stt_latency_ms'", 900, scopes=[workspace])
    assert stt([*without_rule(world, "alert-stt-latency"), rule_]).status.value == "pass"
    rule_["properties"]["scopes"] = [f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log-other"]
    finding = stt([*without_rule(world, "alert-stt-latency"), rule_])
    assert finding.status.value == "fail" and finding.evidence["message"].startswith("no enabled alert rule")


@pytest.mark.parametrize(
    ("query", "description", "threshold", "status"),
    [
        ("customMetrics | where name == 'stt_seconds' | summarize value = avg(value)", "", 5, "fail"),  # 5000 ms
        ("customMetrics | where name == 'stt_seconds' | summarize value = avg(value)", "", 0.8, "pass"),  # 800 ms
        ("customMetrics | where name == 'stt' | summarize value = avg(value)", "STT above 1 s", 1, "pass"),
        ("customMetrics | where name == 'stt_latency_ms' | summarize value = avg(value)", "", 900, "pass"),
        ("customMetrics | where name == 'stt' | summarize value = avg(value)", "", 5, "not_assessed"),
    ],
    ids=["seconds-laxer", "seconds-stricter", "unit-in-names", "milliseconds", "no-unit"],
)
def test_log_alert_threshold_unit_comes_from_the_query_or_names(world, query, description, threshold, status):
    rule_ = scheduled_query_rule("stt", query, threshold, description=description)
    finding = stt([*without_rule(world, "alert-stt-latency"), rule_])
    assert finding.status.value == status, finding.evidence
    if status == "fail":
        assert "5000 ms" in finding.evidence["message"] and "1000 ms" in finding.evidence["message"]


def test_log_alert_unit_can_be_set_by_parameter(world):
    rule_ = scheduled_query_rule("stt", "customMetrics | where name == 'stt' | summarize value = avg(value)", 5)
    items = [*without_rule(world, "alert-stt-latency"), rule_]
    assert "log_alert_unit" in stt(items).evidence["message"]
    assert stt(items, params={"log_alert_unit": "s"}).status.value == "fail"
    assert stt(items, params={"log_alert_unit": "ms"}).status.value == "pass"


def test_keywords_match_whole_words_only(world):
    # "lastTime" holds the letters s-t-t but not the word "stt"; "settings" holds no "tts".
    decoy = scheduled_query_rule("perf", "requests | summarize lastTime = max(timestamp) | where settings > 0", 500)
    items = [*without_rule(world, "alert-stt-latency", "alert-tts-latency"), decoy]
    assert stt(items).evidence["message"].startswith("no enabled alert rule")
    assert judged("alerts.tts-latency", items).evidence["message"].startswith("no enabled alert rule")


def test_log_alert_without_action_group_fails(world):
    rule_ = scheduled_query_rule("stt", "customMetrics | where name == 'stt_latency_ms'", 1000, groups=())
    finding = stt([*without_rule(world, "alert-stt-latency"), rule_])
    assert finding.status.value == "fail" and "notifies no action group" in finding.evidence["message"]


def test_log_alert_criterion_of_odd_shape_is_not_assessed(world):
    rule_ = scheduled_query_rule("stt", "customMetrics | where name == 'stt_latency_ms'", 1000)
    rule_["properties"]["criteria"]["allOf"].append("GreaterThan 1000")
    assert stt([*without_rule(world, "alert-stt-latency"), rule_]).status.value == "not_assessed"
    # Another rule that covers the component still passes it: the odd rule hides nothing.
    assert stt([*world, rule_]).status.value == "pass"


def legacy_rule(name, query, threshold, *, data_source=APPI_ID):
    """monitor/.../stable/2018-04-16/examples/getScheduledQueryRules.json (LogSearchRule): query under
    source, trigger under action, window under schedule, `enabled` as a string."""
    return {
        "id": f"{PROVIDER}/scheduledqueryrules/{name}",
        "name": name,
        "type": "Microsoft.Insights/scheduledQueryRules",
        "location": "eastus2",
        "kind": None,
        "tags": {},
        "properties": {
            "description": "log alert description",
            "enabled": "true",
            "lastUpdatedTime": "2026-10-01T07:09:24.2768048Z",
            "provisioningState": "Succeeded",
            "source": {"query": query, "dataSourceId": data_source, "queryType": "ResultCount"},
            "schedule": {"frequencyInMinutes": 5, "timeWindowInMinutes": 5},
            "action": {
                "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.Microsoft.AppInsights."
                "Nexus.DataContracts.Resources.ScheduledQueryRules.AlertingAction",
                "severity": "2",
                "aznsAction": {"actionGroup": [GROUP_ID], "emailSubject": "STT latency", "customWebhookPayload": "{}"},
                "trigger": {"thresholdOperator": "GreaterThan", "threshold": threshold},
            },
        },
    }


def test_legacy_2018_04_16_log_alert_shape(world):
    legacy = legacy_rule("stt-legacy", "customMetrics | where name == 'stt_latency_ms'", 1000)
    items = [*without_rule(world, "alert-stt-latency"), legacy]
    assert stt(items).status.value == "pass"
    legacy["properties"]["action"]["trigger"]["threshold"] = 5000
    assert stt(items).status.value == "fail"
    legacy["properties"]["action"]["trigger"]["threshold"] = 1000
    legacy["properties"]["schedule"]["timeWindowInMinutes"] = 1440
    assert "1440-minute window" in stt(items).evidence["message"]
    legacy["properties"]["schedule"]["timeWindowInMinutes"] = 5
    legacy["properties"]["enabled"] = "false"
    assert "is disabled" in stt(items).evidence["message"]
    legacy["properties"]["enabled"] = "true"
    legacy["properties"]["source"]["dataSourceId"] = f"{RG_ID}/providers/Microsoft.Insights/components/other"
    assert stt(items).status.value == "fail"


# --- Availability: the availability-test alert and the web test behind it -----------------------

WEBTEST_ID = f"{PROVIDER}/webtests/webtest-voice-health"


def webtest_alert(failed_locations=2, component=APPI_ID):
    """monitor/.../stable/2018-03-01/examples/getWebTestMetricAlert.json."""
    return {
        "location": "global",
        "type": "Microsoft.Insights/metricAlerts",
        "name": "webtest-voice-health-alert",
        "id": f"{PROVIDER}/metricalerts/webtest-voice-health-alert",
        "tags": {f"hidden-link:{APPI_ID}": "Resource", f"hidden-link:{WEBTEST_ID}": "Resource"},
        "properties": {
            "description": 'Automatically created alert rule for availability test "webtest-voice-health"',
            "severity": 1,
            "enabled": True,
            "scopes": [WEBTEST_ID, component],
            "evaluationFrequency": "PT1M",
            "windowSize": "PT5M",
            "criteria": {
                "webTestId": WEBTEST_ID,
                "componentId": component,
                "failedLocationCount": failed_locations,
                "odata.type": "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria",
            },
            "actions": [{"actionGroupId": GROUP_ID, "webHookProperties": {}}],
        },
    }


def test_availability_test_alert_shape_covers_the_component(world):
    items = [*without_rule(world, "alert-availability"), webtest_alert()]
    finding = judged("alerts.availability", items)
    assert finding.status.value == "pass" and "2 of 5 locations" in finding.evidence["message"]
    items[-1]["properties"]["criteria"]["failedLocationCount"] = 6
    finding = judged("alerts.availability", items)
    assert finding.status.value == "fail" and "runs from 5" in finding.evidence["message"]
    items[-1]["properties"]["criteria"]["failedLocationCount"] = 2
    items[-1]["properties"]["actions"] = []  # as in the example: created without an action group
    assert "notifies no action group" in judged("alerts.availability", items).evidence["message"]


def test_availability_test_alert_on_a_disabled_web_test_fails(world):
    rule(world, "webtest-voice-health")["properties"]["Enabled"] = False
    items = [*without_rule(world, "alert-availability"), webtest_alert()]
    finding = judged("alerts.availability", items)
    assert finding.status.value == "fail" and "disabled" in finding.evidence["message"]


def test_web_test_check(world):
    """applicationinsights 2022-06-15 example WebTestGet.json: Enabled false, two locations."""
    assert only("alerts.availability-test", world).status.value == "pass"
    test = rule(world, "webtest-voice-health")
    test["properties"]["Locations"] = [{"Id": "us-fl-mia-edge"}, {"Id": "apac-hk-hkn-azr"}]
    finding = only("alerts.availability-test", world)
    assert finding.status.value == "fail" and "2 location(s)" in finding.evidence["message"]
    assert only("alerts.availability-test", world, params={"min_locations": 2}).status.value == "pass"
    test["properties"]["Enabled"] = False
    assert "is disabled" in only("alerts.availability-test", world, params={"min_locations": 2}).evidence["message"]
    del test["properties"]["Enabled"]
    assert only("alerts.availability-test", world).status.value == "not_assessed"
    test["tags"] = {
        "hidden-link:/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/components/z": "Resource"
    }
    finding = only("alerts.availability-test", world)
    assert finding.status.value == "fail" and "never fire" in finding.evidence["message"]
    items = [r for r in world if r["type"] != "Microsoft.Insights/components"]
    assert only("alerts.availability-test", items).status.value == "not_applicable"
    collected = sorted({r["type"] for r in world} - {"Microsoft.Insights/webtests"})
    assert only("alerts.availability-test", world, collected=collected).status.value == "not_assessed"


# --- Action groups ------------------------------------------------------------------------------


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


# --- Alert text is parsed in linear time ---------------------------------------------------------


class CountingText(str):
    """A str that counts every character the parser reads: the parser's steps."""

    reads = 0

    def __iter__(self):
        for char in str.__iter__(self):
            CountingText.reads += 1
            yield char

    def __getitem__(self, index):
        CountingText.reads += 1
        return str.__getitem__(self, index)


def steps(text):
    CountingText.reads = 0
    words(CountingText(text))
    return CountingText.reads


@pytest.mark.parametrize(
    "unit",
    ["A", "Ab", "aB", "a1", "-", "AAb", "a", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"],
    ids=lambda u: u[:4],
)
def test_words_reads_each_character_a_bounded_number_of_times(unit):
    """issue 11 §4: 50 KB of capitals took 50 s in the regex version (quadratic backtracking)."""
    small, large = unit * 2_000, unit * 4_000
    assert steps(small) <= 2 * len(small)
    assert steps(large) <= 2 * steps(small) + 2


def test_words_splits_as_before():
    assert words("HTTPServer sttLatencyMs stt_latency_ms ABc lastTime x2Y") == [
        "http",
        "server",
        "stt",
        "latency",
        "ms",
        "stt",
        "latency",
        "ms",
        "a",
        "bc",
        "last",
        "time",
        "x2y",
    ]
    assert stated_units("STT latency above 1 s") == {"s"} and stated_units("it's slow") == set()
    assert stated_units("p95 of 500ms") == {"ms"} and stated_units("drop rate (%)") == {"%"}


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


def test_log_to_metric_rules_page_nobody_and_are_not_judged(world):
    """2018-04-16 getScheduledQueryRules.json also lists LogToMetricAction rules (criteria, no trigger);
    from 2021-08-01 they are kind LogToMetric. Neither makes the component unassessable."""
    legacy = legacy_rule("stt-to-metric", "customMetrics | where name == 'stt_latency_ms'", 1000)
    legacy["properties"]["action"] = {
        "odata.type": "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.Microsoft.AppInsights."
        "Nexus.DataContracts.Resources.ScheduledQueryRules.LogToMetricAction",
        "criteria": [{"metricName": "stt", "dimensions": []}],
    }
    current = scheduled_query_rule("stt-metric", "customMetrics | where name == 'stt_latency_ms'", 1000)
    current["kind"] = "LogToMetric"
    del current["properties"]["criteria"]["allOf"][0]["threshold"]
    items = [*without_rule(world, "alert-stt-latency"), legacy, current]
    finding = stt(items)
    assert finding.status.value == "fail" and finding.evidence["message"].startswith("no enabled alert rule")


def test_log_alert_unit_parameter_must_measure_the_metric(world):
    rule_ = scheduled_query_rule("stt", "customMetrics | where name == 'stt' | summarize value = avg(value)", 5)
    items = [*without_rule(world, "alert-stt-latency"), rule_]
    finding = stt(items, params={"log_alert_unit": "%"})
    assert finding.status.value == "not_assessed" and "does not measure" in finding.evidence["message"]


def test_judging_n_caches_against_n_rules_reads_each_rule_once(world, monkeypatch):
    """Each resource is judged only against the rules that name it, its group, its subscription
    or its workspace (the inventory's reference index): n caches with a rule each cost n
    judgements, not n x n (600 caches took 18 s before)."""
    from auditor.checks import alerts

    calls = []
    judge = alerts._judge_metric_alert
    monkeypatch.setattr(alerts, "_judge_metric_alert", lambda *args: calls.append(1) or judge(*args))
    cache, memory = rule(world, "redis-voice-prod"), rule(world, "alert-redis-memory")
    for count in (20, 40):
        items = without_rule(world, "redis-voice-prod", "alert-redis-memory")
        for index in range(count):
            copy_cache = {**copy.deepcopy(cache), "id": f"{cache['id']}-{index}", "name": f"redis-{index}"}
            copy_rule = copy.deepcopy(memory)
            copy_rule.update(id=f"{memory['id']}-{index}", name=f"memory-{index}")
            copy_rule["properties"]["scopes"] = [copy_cache["id"]]
            items += [copy_cache, copy_rule]
        calls.clear()
        assert set(verdicts("alerts.redis-memory", items).values()) == {"pass"}
        assert len(calls) == count


def test_the_demo_fails_per_resource_and_the_hardened_fixture_passes():
    """The guide's Key Metrics table promises each service is watched: the demo has no alert, no
    availability test and no dashboard, and its only budget notifies nobody."""
    from auditor.audit import AuditRequest, run_audit
    from auditor.snapshot import load as load_snapshot
    from tests.conftest import FIXTURES

    watched = ("alerts.", "monitor.dashboard", "cost.budget")
    for name, wanted in (("demo", "fail"), ("hardened", "pass")):
        report = run_audit(AuditRequest(snapshot=load_snapshot(str(FIXTURES / f"{name}.json"))))
        found = {
            (f["checkId"], f["resourceName"]): f["status"]
            for f in report["findings"]
            if f["checkId"].startswith(watched) and f["status"] != "not_applicable"
        }
        assert set(found.values()) == {wanted}, (name, found)
        if name == "demo":
            assert ("alerts.container-cpu", "ca-voice-frontend") in found
            assert ("alerts.container-cpu", "ca-voice-backend") in found
            assert ("alerts.redis-memory", "redis-voice-prod") in found


@pytest.mark.parametrize("kind", ["metric", "log"])
def test_a_criterion_without_its_required_aggregation_is_not_assessed(world, kind):
    """timeAggregation is required on metric criteria (2018-03-01) and on log alert conditions
    (2023-12-01): without it, whether the aggregation hides a breach is unknown."""
    if kind == "metric":
        alert = metric_alert("cpu", [app_id(world)], cpu_criterion())
        del alert["properties"]["criteria"]["allOf"][0]["timeAggregation"]
        status, message = cpu_message([*without_cpu_rules(world), alert])
    else:
        alert = scheduled_query_rule("stt", "customMetrics | where name == 'stt_latency_ms'", 900)
        del alert["properties"]["criteria"]["allOf"][0]["timeAggregation"]
        finding = stt([*without_rule(world, "alert-stt-latency"), alert])
        status, message = finding.status.value, finding.evidence["message"]
    assert status == "not_assessed" and "timeAggregation" in message
