"""Alerting as the guide's Key Metrics table asks: a rule per metric, at the guide's threshold or
stricter, enabled, with an action group that reaches someone.

Metric alerts are matched by metric name. Log alerts (scheduled query rules) have no metric
name, so golive matches them by convention: a keyword in the rule's name, display name,
description or query (the keywords of each metric are listed in its rationale), with the rule's
threshold in the unit the metric's parameter names (milliseconds or percent). Keywords match whole
words: text is split into words at punctuation and camelCase ("sttLatency", "stt_latency_ms" and
"STT latency" all hold the word "stt"; "lastTime" does not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditor.api import (
    Area,
    DataError,
    Param,
    Remediation,
    Resource,
    Severity,
    Verdict,
    check,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Context

METRIC_ALERT = "Microsoft.Insights/metricAlerts"
LOG_ALERT = "Microsoft.Insights/scheduledQueryRules"
ACTIVITY_ALERT = "Microsoft.Insights/activityLogAlerts"
ACTION_GROUP = "Microsoft.Insights/actionGroups"
APP_INSIGHTS = "Microsoft.Insights/components"
ALERTS_DOC = "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview"
ABOVE = {"greaterthan", "greaterthanorequal"}
BELOW = {"lessthan", "lessthanorequal"}
NANOCORES = "usagenanocores"  # absolute CPU use; judged as a share of the app's allocation


@dataclass(frozen=True)
class KeyMetric:
    key: str
    label: str
    above: bool  # True: alert when the value rises above the threshold
    threshold: float
    unit: str
    needs: str  # the resource type whose presence makes the metric apply
    metric_names: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


KEY_METRICS = (
    KeyMetric(
        "e2e-latency",
        "End-to-end response latency",
        True,
        4000,
        "ms",
        APP_INSIGHTS,
        metric_names=("requests/duration",),
        keywords=("end to end", "e2e latency", "e2e response", "e2e duration"),
    ),
    KeyMetric(
        "stt-latency",
        "STT processing latency",
        True,
        1000,
        "ms",
        APP_INSIGHTS,
        keywords=("stt", "speech to text", "speechtotext", "recognition latency"),
    ),
    KeyMetric(
        "tts-latency",
        "TTS generation latency",
        True,
        2000,
        "ms",
        APP_INSIGHTS,
        keywords=("tts", "text to speech", "texttospeech", "synthesis latency"),
    ),
    KeyMetric(
        "availability",
        "Service availability",
        False,
        99.5,
        "%",
        APP_INSIGHTS,
        metric_names=("availabilityresults/availabilitypercentage",),
        keywords=("availability", "uptime"),
    ),
    KeyMetric(
        "call-drop-rate",
        "Call drop rate",
        True,
        2,
        "%",
        APP_INSIGHTS,
        keywords=("call drop", "calldrop", "call dropped", "calls dropped", "dropped call", "dropped calls"),
    ),
    KeyMetric(
        "container-cpu",
        "Container CPU",
        True,
        85,
        "%",
        "Microsoft.App/containerApps",
        metric_names=("cpupercentage", NANOCORES),
    ),
    KeyMetric(
        "redis-memory", "Redis memory", True, 80, "%", "Microsoft.Cache/Redis", metric_names=("usedmemorypercentage",)
    ),
)


def receivers(group: Resource) -> int:
    """Receivers of any kind (email, SMS, webhook, ...) that Azure has not disabled (for example
    an email address that unsubscribed)."""
    props = group.get("properties", expect=dict)
    return sum(
        1
        for key, items in props.items()
        if key.lower().endswith("receivers") and isinstance(items, list)
        for item in items
        if isinstance(item, dict) and str(item.get("status", "")).lower() != "disabled"
    )


def working_action_group(ids: Iterable[str], ctx: Context) -> str | None:
    """The first enabled action group among `ids` with at least one working receiver."""
    for group_id in ids:
        group = ctx.get(group_id) if group_id else None
        if group is None:
            continue
        if group.get("properties.enabled", default=True, expect=bool) and receivers(group) > 0:
            return group.name
    return None


def words(text: str) -> list[str]:
    """Lower-case words of `text`, split at punctuation and camelCase."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z0-9]+", text.lower())


def mentions(texts: Iterable[str], keywords: Iterable[str]) -> bool:
    """Whether any keyword (a phrase of whole words) occurs in any of `texts`."""
    found = [f" {' '.join(words(t))} " for t in texts]
    return any(f" {' '.join(words(k))} " in text for k in keywords for text in found)


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    operator: str
    threshold: float | None  # in the metric's unit; None when there is no fixed one to compare
    action_groups: list[str]
    why_unjudged: str = ""

    def describe(self) -> str:
        if self.threshold is None:
            return f"{self.name} ({self.why_unjudged or 'no threshold'})"
        return f"{self.name} at {self.operator} {self.threshold:g}"


def _cpu_allocation(scopes: list[object], ctx: Context) -> float | None:
    """The smallest CPU allocation (cores per replica) among the container apps an alert watches,
    or None when a scope is not a container app in the snapshot."""
    allocations = []
    for scope in scopes:
        app = ctx.get(str(scope)) if isinstance(scope, str) and "/providers/" in scope else None
        if app is None or app.type.lower() != "microsoft.app/containerapps":
            return None
        containers = app.get("properties.template.containers", default=[], expect=list)
        cores = sum(
            c["resources"]["cpu"]
            for c in containers
            if isinstance(c, dict)
            and isinstance(c.get("resources"), dict)
            and isinstance(c["resources"].get("cpu"), (int, float))
        )
        if cores <= 0:
            return None
        allocations.append(cores)
    return min(allocations) if allocations else None


def _metric_threshold(alert: Resource, criterion: dict, ctx: Context) -> tuple[float | None, str]:
    if str(criterion.get("criterionType", "")).lower() == "dynamicthresholdcriterion":
        return None, "dynamic threshold: no fixed value to compare"
    threshold = criterion.get("threshold")
    if threshold is None:
        return None, "no threshold"
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise DataError(f"the threshold of {alert.name} is not a number")
    if str(criterion.get("metricName", "")).lower() != NANOCORES:
        return threshold, ""
    # UsageNanoCores is absolute: as a share of the allocation it is comparable with CpuPercentage.
    cores = _cpu_allocation(alert.get("properties.scopes", default=[], expect=list), ctx)
    if cores is None:
        return None, f"UsageNanoCores {threshold:g} on scopes whose CPU allocation is unknown"
    percent = threshold / (cores * 1e9) * 100
    alert.note(f"criteria[{criterion.get('name', '')}].percentOfAllocation", round(percent, 2))
    return round(percent, 2), ""


def _metric_rules(ctx: Context, metric: KeyMetric) -> list[Rule]:
    rules = []
    for alert in ctx.resources(METRIC_ALERT):
        if not alert.get("properties.enabled", default=True, expect=bool):
            continue
        groups = [
            str(a.get("actionGroupId", ""))
            for a in alert.get("properties.actions", default=[], expect=list)
            if isinstance(a, dict)
        ]
        for criterion in alert.get("properties.criteria.allOf", default=[], expect=list):
            if not isinstance(criterion, dict):
                raise DataError(f"a criterion of {alert.name} is not an object")
            if str(criterion.get("metricName", "")).lower() not in metric.metric_names:
                continue
            threshold, why = _metric_threshold(alert, criterion, ctx)
            operator = str(criterion.get("operator", ""))
            rules.append(Rule(alert.name, "metric alert", operator, threshold, groups, why))
    return rules


def _legacy_log_rule(alert: Resource, metric: KeyMetric) -> list[Rule]:
    """api-version 2018-04-16: the query under source, the threshold under action.trigger, and
    `enabled` as the string "true" or "false"."""
    if alert.get("properties.enabled", default="true", expect=str).lower() != "true":
        return []
    texts = [
        alert.name,
        alert.get("properties.displayName", default="", expect=str),
        alert.get("properties.description", default="", expect=str),
        alert.get("properties.source.query", default="", expect=str),
    ]
    if not mentions(texts, metric.keywords):
        return []
    threshold = alert.get("properties.action.trigger.threshold", expect=(int, float))
    operator = alert.get("properties.action.trigger.thresholdOperator", expect=str)
    groups = [str(g) for g in alert.get("properties.action.aznsAction.actionGroup", default=[], expect=list)]
    return [Rule(alert.name, "log alert (2018-04-16)", operator, threshold, groups)]


def _log_rules(ctx: Context, metric: KeyMetric) -> list[Rule]:
    rules = []
    for alert in ctx.resources(LOG_ALERT):
        if alert.has("properties.source"):
            rules += _legacy_log_rule(alert, metric)
            continue
        if not alert.get("properties.enabled", default=True, expect=bool):
            continue
        criteria = alert.get("properties.criteria.allOf", default=[], expect=list)
        if not all(isinstance(c, dict) for c in criteria):
            raise DataError(f"a criterion of {alert.name} is not an object")
        texts = [
            alert.name,
            alert.get("properties.displayName", default="", expect=str),
            alert.get("properties.description", default="", expect=str),
        ] + [str(c.get("query", "")) for c in criteria]
        if not mentions(texts, metric.keywords):
            continue
        groups = [str(g) for g in alert.get("properties.actions.actionGroups", default=[], expect=list)]
        for criterion in criteria:
            threshold = criterion.get("threshold")
            if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
                raise DataError(f"the threshold of {alert.name} is not a number")
            operator = str(criterion.get("operator", ""))
            rules.append(Rule(alert.name, "log alert", operator, threshold, groups))
    return rules


def _strict_enough(rule: Rule, metric: KeyMetric, limit: float) -> bool:
    if rule.threshold is None:
        return False
    if metric.above:
        return rule.operator.lower() in ABOVE and rule.threshold <= limit
    return rule.operator.lower() in BELOW and rule.threshold >= limit


def _key_metric_check(metric: KeyMetric) -> Callable[[Resource, Context], Verdict]:
    direction = "above" if metric.above else "below"
    matching = (f"metric alerts on {', '.join(metric.metric_names)}" if metric.metric_names else "no metric alert") + (
        f"; log alerts whose name, description or query mentions {', '.join(metric.keywords)}"
        if metric.keywords
        else ""
    )
    if NANOCORES in metric.metric_names:
        matching += (
            "; a UsageNanoCores threshold counts as a share of the CPU allocation of the container apps the rule "
            "watches (the smallest allocation when it watches several)"
        )

    @check(
        id=f"alerts.{metric.key}",
        title=f"An alert fires when {metric.label.lower()} goes {direction} the guide's threshold",
        severity=Severity.HIGH,
        area=Area.OBSERVABILITY,
        checklist="monitoring-alerts",
        types=[metric.needs],
        reads=[METRIC_ALERT, LOG_ALERT, ACTION_GROUP],
        scope="subscription",
        params={
            "threshold": Param(
                metric.threshold, f"Alert threshold in {metric.unit}; the rule must be at least this strict."
            )
        },
        rationale=(
            f"The guide's Key Metrics table alerts on {metric.label.lower()} {direction} "
            f"{metric.threshold:g} {metric.unit}. Without an enabled rule at that threshold (or stricter) and an "
            f"action group that reaches someone, degradation is found by callers first. Matched: {matching}."
        ),
        remediation=Remediation(
            text=f"Create an alert rule for {metric.label.lower()} {direction} {metric.threshold:g} {metric.unit} "
            "with an action group that pages the on-call team.",
            az="az monitor metrics alert create --name <name> --resource-group {resourceGroup} --scopes <resource-id> "
            f'--condition "avg {(metric.metric_names or ("<metric>",))[0]} {">" if metric.above else "<"} '
            f'{metric.threshold:g}" --action <action-group-id>',
            bicep="criteria: {\n  'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'\n"
            f"  allOf: [ {{ name: '{metric.key}', metricName: '{(metric.metric_names or ('<metric>',))[0]}', "
            f"operator: '{'GreaterThan' if metric.above else 'LessThan'}', threshold: {metric.threshold:g}, "
            "timeAggregation: 'Average', criterionType: 'StaticThresholdCriterion' } ]\n}",
        ),
        refs=[ALERTS_DOC, "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-metric-alert-rule"],
    )
    def key_metric_alert(subscription: Resource, ctx: Context) -> Verdict:
        if not ctx.resources(metric.needs):
            return not_applicable(f"no {metric.needs} in this subscription")
        limit = ctx.params["threshold"]
        rules = (_metric_rules(ctx, metric) if metric.metric_names else []) + (
            _log_rules(ctx, metric) if metric.keywords else []
        )
        subscription.note("matchingRules", [r.describe() for r in rules])
        if not rules:
            return failed(
                f"no enabled alert rule for {metric.label.lower()}", expected=f"{direction} {limit:g} {metric.unit}"
            )
        strict = [r for r in rules if _strict_enough(r, metric, limit)]
        if not strict:
            seen = ", ".join(r.describe() for r in rules)
            return failed(
                f"no rule alerts {direction} {limit:g} {metric.unit} or stricter: {seen}",
                expected=f"{direction} {limit:g} {metric.unit} or stricter",
            )
        for rule in strict:
            group = working_action_group(rule.action_groups, ctx)
            if group:
                return passed(
                    f"{rule.kind} {rule.name} at {rule.operator} {rule.threshold:g} notifies {group}",
                    expected=f"{direction} {limit:g} {metric.unit}, with an action group",
                )
        return failed(
            f"{', '.join(r.name for r in strict)} notif(ies) no enabled action group with a receiver",
            expected="an action group with at least one receiver",
        )

    key_metric_alert.__name__ = f"alert_{metric.key.replace('-', '_')}"
    return key_metric_alert


def _scope_key(scope: object) -> str:
    # ARM returns activity-log alert scopes both as "/subscriptions/x" and "subscriptions/x".
    return str(scope).strip("/").lower()


def _is_service_health(condition: object) -> bool:
    """A leaf `category` equals/containsAny ServiceHealth, or an anyOf holding such a leaf."""
    if not isinstance(condition, dict):
        raise DataError("an activity log alert condition is not an object")
    if isinstance(condition.get("anyOf"), list):
        return any(_is_service_health(c) for c in condition["anyOf"])
    if str(condition.get("field", "")).lower() != "category":
        return False
    values = condition.get("containsAny")
    values = values if isinstance(values, list) else [condition.get("equals")]
    return any(str(v).lower() == "servicehealth" for v in values)


@check(
    id="alerts.service-health",
    title="A Service Health alert notifies the team of Azure incidents",
    severity=Severity.MEDIUM,
    area=Area.OBSERVABILITY,
    checklist="monitoring-alerts",
    types=[ACTIVITY_ALERT],
    reads=[ACTION_GROUP],
    scope="subscription",
    rationale="When Azure OpenAI, Speech or Communication Services have an incident in the region, the team "
    "should hear it from Azure, not from callers.",
    remediation=Remediation(
        text="Create an activity log alert on the ServiceHealth category for the subscription, with an action group.",
        az="az monitor activity-log alert create --name service-health --resource-group {resourceGroup} "
        "--condition category=ServiceHealth --action-group <action-group-id>",
        bicep="condition: {\n  allOf: [ { field: 'category', equals: 'ServiceHealth' } ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/service-health/alerts-activity-log-service-notifications-portal"],
)
def service_health(subscription: Resource, ctx: Context) -> Verdict:
    found = []
    for alert in ctx.resources(ACTIVITY_ALERT):
        if not alert.get("properties.enabled", default=True, expect=bool):
            continue
        conditions = alert.get("properties.condition.allOf", default=[], expect=list)
        if not any(_is_service_health(c) for c in conditions):
            continue
        scopes = [_scope_key(s) for s in alert.get("properties.scopes", default=[], expect=list)]
        if _scope_key(subscription.id) not in scopes:
            continue
        groups = [
            str(g.get("actionGroupId", ""))
            for g in alert.get("properties.actions.actionGroups", default=[], expect=list)
            if isinstance(g, dict)
        ]
        found.append(alert.name)
        group = working_action_group(groups, ctx)
        if group:
            return passed(f"activity log alert {alert.name} notifies {group}", expected="a Service Health alert")
    subscription.note("serviceHealthAlerts", found)
    if found:
        return failed(
            f"{', '.join(found)} notif(ies) no enabled action group with a receiver",
            expected="an action group with at least one receiver",
        )
    return failed("no enabled Service Health alert for this subscription", expected="a Service Health alert")


CHECKS = [_key_metric_check(m) for m in KEY_METRICS]
