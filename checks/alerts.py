"""Alerting as the guide's Key Metrics table asks, judged per resource: every Application Insights
component, container app and Redis cache is watched by an enabled rule at the guide's threshold
or stricter, over a short window, that notifies someone.

A rule covers a resource the way Azure Monitor evaluates it (METRIC_COVERAGE and LOG_COVERAGE, which
every key metric check carries in its rationale, so `golive checks show` and docs/checks.md say it).

Log alerts (scheduled query rules) have no metric name, so golive matches them by convention: a
keyword in the rule's name, display name, description or query (the keywords of each metric are
listed in its rationale). Keywords match whole words: text is split into words at punctuation and
camelCase ("sttLatency", "stt_latency_ms" and "STT latency" all hold the word "stt"; "lastTime"
does not). A log alert's threshold has no unit of its own: the unit is read from the query, else
from the rule's names, else from the `log_alert_unit` parameter, and is otherwise unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    not_assessed,
    passed,
)
from auditor.inventory import Context

METRIC_ALERT = "Microsoft.Insights/metricAlerts"
LOG_ALERT = "Microsoft.Insights/scheduledQueryRules"
ACTIVITY_ALERT = "Microsoft.Insights/activityLogAlerts"
ACTION_GROUP = "Microsoft.Insights/actionGroups"
APP_INSIGHTS = "Microsoft.Insights/components"
WEB_TEST = "Microsoft.Insights/webtests"
CONTAINER_APP = "Microsoft.App/containerApps"
REDIS = "Microsoft.Cache/Redis"
MANAGED_REDIS = "Microsoft.Cache/redisEnterprise"  # Azure Managed Redis and Redis Enterprise
ALERTS_DOC = "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview"
METRIC_ALERT_DOC = (
    "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-metric-multiple-time-series-single-rule"
)
ABOVE = {"greaterthan", "greaterthanorequal"}
BELOW = {"lessthan", "lessthanorequal"}
NANOCORES = "usagenanocores"  # absolute CPU use; judged as a share of the app's allocation
WEBTEST_CRITERIA = "microsoft.azure.monitor.webtestlocationavailabilitycriteria"

METRIC_COVERAGE = (
    "A metric alert covers a resource only when it is enabled; its scopes hold the resource's id, or its "
    "resource group or subscription with targetResourceType equal to the resource's type and "
    "targetResourceRegion equal to its location; a criterion is on the metric (and metricNamespace, where "
    "given, is the resource's type) with the operator in the alerting direction and a threshold no laxer "
    "than the parameter; no dimension filter narrows the metric to a subset (only Include '*' splits without "
    "narrowing); no other criterion of the rule must also hold (allOf); windowSize is no longer than "
    "max_window_minutes; the aggregation does not hide the breach (Minimum for an 'above' alert, Maximum "
    "for a 'below' alert); and it notifies an enabled action group with at least one receiver that is not "
    "Disabled."
)
LOG_COVERAGE = (
    "A log alert (scheduled query rule, api-version 2018-04-16 or 2021-08-01 and later) covers a component "
    "when it is scoped to the component or to the Log Analytics workspace the component sends to, with the "
    "same threshold, window, aggregation and action-group rules; its threshold's unit must be stated by its "
    "query or names (ms, milliseconds, s, seconds, %, percent) or by log_alert_unit, else the verdict is "
    "not_assessed."
)
UNREADABLE_RULE = "A rule that cannot be read makes the verdict not_assessed, unless another rule covers the resource."


@dataclass(frozen=True)
class KeyMetric:
    key: str
    label: str
    above: bool  # True: alert when the value rises above the threshold
    threshold: float
    unit: str
    needs: tuple[str, ...]  # the resource types judged, one finding each
    subject: str  # what one finding is about, for titles
    metric_names: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


KEY_METRICS = (
    KeyMetric(
        "e2e-latency",
        "End-to-end response latency",
        True,
        4000,
        "ms",
        (APP_INSIGHTS,),
        "Application Insights component",
        metric_names=("requests/duration",),
        keywords=("end to end", "e2e latency", "e2e response", "e2e duration"),
    ),
    KeyMetric(
        "stt-latency",
        "STT processing latency",
        True,
        1000,
        "ms",
        (APP_INSIGHTS,),
        "Application Insights component",
        keywords=("stt", "speech to text", "speechtotext", "recognition latency"),
    ),
    KeyMetric(
        "tts-latency",
        "TTS generation latency",
        True,
        2000,
        "ms",
        (APP_INSIGHTS,),
        "Application Insights component",
        keywords=("tts", "text to speech", "texttospeech", "synthesis latency"),
    ),
    KeyMetric(
        "availability",
        "Service availability",
        False,
        99.5,
        "%",
        (APP_INSIGHTS,),
        "Application Insights component",
        metric_names=("availabilityresults/availabilitypercentage",),
        keywords=("availability", "uptime"),
    ),
    KeyMetric(
        "call-drop-rate",
        "Call drop rate",
        True,
        2,
        "%",
        (APP_INSIGHTS,),
        "Application Insights component",
        keywords=("call drop", "calldrop", "call dropped", "calls dropped", "dropped call", "dropped calls"),
    ),
    KeyMetric(
        "container-cpu",
        "Container CPU",
        True,
        85,
        "%",
        (CONTAINER_APP,),
        "container app",
        metric_names=("cpupercentage", NANOCORES),
    ),
    # Azure Cache for Redis and Azure Managed Redis both publish usedmemorypercentage:
    # learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-cache-redisenterprise-metrics
    KeyMetric(
        "redis-memory",
        "Redis memory",
        True,
        80,
        "%",
        (REDIS, MANAGED_REDIS),
        "Azure Cache for Redis and Azure Managed Redis cache",
        metric_names=("usedmemorypercentage",),
    ),
)


# --- text ------------------------------------------------------------------------------------


def words(text: Sequence[str]) -> list[str]:
    """Lower-case ASCII words of `text`, split at punctuation and camelCase ("HTTPServer" ->
    http, server; "sttLatencyMs" -> stt, latency, ms). One pass, one character of lookahead:
    linear in the text, whatever it holds (snapshot text is attacker-controlled)."""
    out: list[str] = []
    current: list[str] = []
    previous = ""  # "upper", "lower", "digit" or "" (outside a word)
    size = len(text)
    for index, char in enumerate(text):
        if "a" <= char <= "z":
            kind = "lower"
        elif "A" <= char <= "Z":
            kind = "upper"
        elif "0" <= char <= "9":
            kind = "digit"
        else:
            if current:
                out.append("".join(current))
                current = []
            previous = ""
            continue
        if kind == "upper" and current:
            following = text[index + 1] if index + 1 < size else ""
            # "aB" starts a word at B; so does "ABc" at B (the last capital of a run before lower case).
            if previous == "lower" or (previous == "upper" and "a" <= following <= "z"):
                out.append("".join(current))
                current = []
        current.append(char.lower())
        previous = kind
    if current:
        out.append("".join(current))
    return out


def mentions(texts: Iterable[str], keywords: Iterable[str]) -> bool:
    """Whether any keyword (a phrase of whole words) occurs in any of `texts`."""
    found = [f" {' '.join(words(t))} " for t in texts]
    return any(f" {' '.join(words(k))} " in text for k in keywords for text in found)


#: Words that state a unit, and the factor that turns a value in that unit into the metric's unit.
MILLISECOND_WORDS = {"ms", "msec", "msecs", "millisecond", "milliseconds"}
SECOND_WORDS = {"sec", "secs", "second", "seconds"}
PERCENT_WORDS = {"percent", "percentage", "pct"}
_NUMBER_UNIT = re.compile(r"[0-9]+(?:ms|s)")


def stated_units(text: str) -> set[str]:
    """The units a text states: "ms", "s" or "%". A bare "s" counts only after a number ("1 s"),
    so that "it's" states nothing."""
    units: set[str] = set()
    previous = ""
    for word in words(text):
        if word in MILLISECOND_WORDS:
            units.add("ms")
        elif word in SECOND_WORDS or (word == "s" and previous.isdigit()):
            units.add("s")
        elif word in PERCENT_WORDS:
            units.add("%")
        elif _NUMBER_UNIT.fullmatch(word):  # "500ms", "5s": anchored and bounded, linear
            units.add("ms" if word.endswith("ms") else "s")
        previous = word
    if "%" in text:
        units.add("%")
    return units


def _duration_minutes(text: str, where: str) -> float:
    """An ISO 8601 duration as ARM writes windows (PT5M, PT1H, P1D), in minutes."""
    match = re.fullmatch(r"P(?:([0-9]{1,4})D)?(?:T(?:([0-9]{1,4})H)?(?:([0-9]{1,5})M)?(?:([0-9]{1,6})S)?)?", text)
    if not match or not any(match.groups()):
        raise DataError(f"{where} is {text!r}, not an ISO 8601 duration")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return days * 1440 + hours * 60 + minutes + seconds / 60


# --- judging one rule against one resource --------------------------------------------------

COVERS, LAXER, UNKNOWN, ELSEWHERE = "covers", "laxer", "unknown", "elsewhere"


@dataclass(frozen=True)
class Judgement:
    rule: str  # "metric alert alert-redis-memory"
    outcome: str  # COVERS, LAXER, UNKNOWN or ELSEWHERE (the rule watches other resources)
    detail: str

    def describe(self) -> str:
        return f"{self.rule} {self.detail}"


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


def notifier(ids: Sequence[str], ctx: Context) -> tuple[str | None, str]:
    """The first enabled action group among `ids` with at least one working receiver, or None and
    why none of them reaches anyone."""
    if not ids:
        return None, "notifies no action group"
    problems = []
    for group_id in ids:
        group = ctx.get(group_id) if group_id else None
        if group is None:
            problems.append(f"action group {group_id.rsplit('/', 1)[-1] or '(empty id)'} is not in the snapshot")
        elif not group.get("properties.enabled", default=True, expect=bool):
            problems.append(f"action group {group.name} is disabled")
        elif receivers(group) == 0:
            problems.append(f"action group {group.name} has no receiver that is not Disabled")
        else:
            return group.name, ""
    return None, "; ".join(problems)


def working_action_group(ids: Iterable[str], ctx: Context) -> str | None:
    """The first enabled action group among `ids` with at least one working receiver."""
    return notifier(list(ids), ctx)[0]


def _key(resource_id: object) -> str:
    return str(resource_id).strip().lower().rstrip("/")


def _region(name: str) -> str:
    return name.replace(" ", "").lower()


def _metric_scope(alert: Resource, target: Resource) -> str | None:
    """None when the alert's scopes cover the target (as Azure expands them), else why not; the
    reason "" means the alert watches other resources altogether."""
    scopes = [_key(s) for s in alert.get("properties.scopes", expect=list)]
    if _key(target.id) in scopes:
        return None
    subscription = f"/subscriptions/{target.subscription_id}"
    containers = {subscription, f"{subscription}/resourcegroups/{target.resource_group.lower()}"}
    held = [s for s in scopes if s in containers]
    if not held:
        return ""
    wanted_type = alert.get("properties.targetResourceType", default="", expect=str)
    if wanted_type.lower() != target.type.lower():
        return f"is scoped to {held[0]} for targetResourceType {wanted_type or '(none)'}, not {target.type}"
    region = alert.get("properties.targetResourceRegion", default="", expect=str)
    location = target.get("location", expect=str)
    if _region(region) != _region(location):
        return f"is scoped to {held[0]} in region {region or '(none)'}, but {target.name} is in {location}"
    return None


def _dimension_problem(criterion: dict) -> str:
    """Why the criterion's dimension filters narrow the metric, or "". Include '*' splits the
    metric into series without leaving any out; any other filter watches a subset."""
    dimensions = criterion.get("dimensions") or []
    if not isinstance(dimensions, list):
        raise DataError("criterion dimensions is not an array")
    for dimension in dimensions:
        if not isinstance(dimension, dict):
            raise DataError("a criterion dimension is not an object")
        values = dimension.get("values")
        if not isinstance(values, list):
            raise DataError(f"dimension {dimension.get('name')!r} has no values array")
        operator = str(dimension.get("operator", "Include")).lower()
        if operator == "include" and "*" in values:
            continue
        shown = ", ".join(str(v) for v in values[:3])
        return f"filters dimension {dimension.get('name')} ({dimension.get('operator')} {shown}): it watches a subset"
    return ""


def _direction_problem(metric: KeyMetric, operator: str, aggregation: str) -> str:
    if metric.above and operator.lower() not in ABOVE:
        return f"alerts on {operator or 'no operator'}, not above the threshold"
    if not metric.above and operator.lower() not in BELOW:
        return f"alerts on {operator or 'no operator'}, not below the threshold"
    hiding = "minimum" if metric.above else "maximum"
    if aggregation.lower() == hiding:
        return f"aggregates with {aggregation}, which hides a breach inside the window"
    return ""


def _aggregation(criterion: dict) -> str:
    """timeAggregation, which metric criteria (2018-03-01) and log alert conditions (2021-08-01 and
    later) require: without it nobody can say whether the aggregation hides a breach."""
    aggregation = criterion.get("timeAggregation")
    if not isinstance(aggregation, str) or not aggregation:
        raise DataError(f"criterion {criterion.get('name', '')!r} has no timeAggregation")
    return aggregation


def _threshold_problem(metric: KeyMetric, value: float, limit: float) -> str:
    if (metric.above and value > limit) or (not metric.above and value < limit):
        return f"threshold {value:g} {metric.unit} is laxer than {limit:g} {metric.unit}"
    return ""


def _cpu_share(target: Resource, nanocores: float) -> float:
    """UsageNanoCores as a percentage of the app's CPU allocation (cores per replica)."""
    containers = target.get("properties.template.containers", expect=list)
    cores = sum(
        c["resources"]["cpu"]
        for c in containers
        if isinstance(c, dict)
        and isinstance(c.get("resources"), dict)
        and isinstance(c["resources"].get("cpu"), (int, float))
        and not isinstance(c["resources"]["cpu"], bool)
    )
    if cores <= 0:
        raise DataError(f"UsageNanoCores {nanocores:g} on {target.name}, whose CPU allocation is unknown")
    return round(nanocores / (cores * 1e9) * 100, 2)


def _rule_tail(window: float, groups: Sequence[str], ctx: Context) -> tuple[str, str]:
    """The window and notification part shared by every rule kind: (problem, how it notifies)."""
    limit = ctx.params["max_window_minutes"]
    if window > limit:
        return f"evaluates a {window:g}-minute window, longer than {limit:g} minutes", ""
    group, why = notifier(groups, ctx)
    if group is None:
        return why, ""
    return "", f"over {window:g} min, notifies {group}"


def _judge_metric_alert(alert: Resource, target: Resource, metric: KeyMetric, ctx: Context) -> Judgement | None:
    rule = f"metric alert {alert.name}"
    # "odata.type" holds a dot, so it is read from the criteria object rather than by path.
    criteria_type = _key(alert.get("properties.criteria", expect=dict).get("odata.type", ""))
    if criteria_type == WEBTEST_CRITERIA:
        return _judge_webtest_alert(alert, target, metric, ctx) if metric.key == "availability" else None
    criteria = alert.get("properties.criteria.allOf", expect=list)
    if not all(isinstance(c, dict) for c in criteria):
        raise DataError(f"a criterion of {alert.name} is not an object")
    matching = [c for c in criteria if str(c.get("metricName", "")).lower() in metric.metric_names]
    if not matching:
        return None
    scope = _metric_scope(alert, target)
    if scope == "":
        return Judgement(rule, ELSEWHERE, "watches other resources")
    if scope:
        return Judgement(rule, LAXER, scope)
    if not alert.get("properties.enabled", expect=bool):
        return Judgement(rule, LAXER, "is disabled")
    problems = []
    for criterion in matching:
        problem, described = _judge_metric_criterion(criterion, target, metric, ctx)
        if problem:
            problems.append(problem)
            continue
        if len(criteria) > 1:
            problems.append(f"fires only when {len(criteria) - 1} other condition(s) hold too (allOf)")
            continue
        window = _duration_minutes(alert.get("properties.windowSize", expect=str), "windowSize")
        groups = [
            str(a.get("actionGroupId", ""))
            for a in alert.get("properties.actions", default=[], expect=list)
            if isinstance(a, dict)
        ]
        problem, notifies = _rule_tail(window, groups, ctx)
        if problem:
            problems.append(problem)
            continue
        return Judgement(rule, COVERS, f"({described}, {notifies})")
    return Judgement(rule, LAXER, "; ".join(problems))


def _judge_metric_criterion(criterion: dict, target: Resource, metric: KeyMetric, ctx: Context) -> tuple[str, str]:
    """(problem, "") or ("", a description of the criterion)."""
    namespace = str(criterion.get("metricNamespace") or "")
    if namespace and namespace.lower() != target.type.lower():
        return f"reads metricNamespace {namespace}, not {target.type}", ""
    if str(criterion.get("criterionType", "")).lower() == "dynamicthresholdcriterion":
        return "uses a dynamic threshold: no fixed value to compare", ""
    threshold = criterion.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise DataError(f"the threshold of criterion {criterion.get('name')!r} is not a number")
    operator = str(criterion.get("operator", ""))
    aggregation = _aggregation(criterion)
    problem = _direction_problem(metric, operator, aggregation)
    if problem:
        return problem, ""
    value = float(threshold)
    if str(criterion.get("metricName", "")).lower() == NANOCORES:
        value = _cpu_share(target, value)
    problem = _threshold_problem(metric, value, ctx.params["threshold"]) or _dimension_problem(criterion)
    if problem:
        return problem, ""
    return "", f"{criterion.get('metricName')} {aggregation} {operator} {value:g} {metric.unit}"


def _judge_webtest_alert(alert: Resource, target: Resource, metric: KeyMetric, ctx: Context) -> Judgement:
    """The standard availability-test alert: it fires when failedLocationCount locations of a web
    test fail (monitor 2018-03-01 example getWebTestMetricAlert.json)."""
    rule = f"availability-test alert {alert.name}"
    if _key(alert.get("properties.criteria.componentId", expect=str)) != _key(target.id):
        return Judgement(rule, ELSEWHERE, "watches other resources")
    if not alert.get("properties.enabled", expect=bool):
        return Judgement(rule, LAXER, "is disabled")
    test_id = alert.get("properties.criteria.webTestId", expect=str)
    test = ctx.get(test_id)
    if test is None:
        return Judgement(rule, LAXER, f"reads web test {test_id.rsplit('/', 1)[-1]}, which is not in the snapshot")
    if not test.get("properties.Enabled", expect=bool):
        return Judgement(rule, LAXER, f"reads web test {test.name}, which is disabled")
    locations = len(test.get("properties.Locations", expect=list))
    needed = alert.get("properties.criteria.failedLocationCount", expect=int)
    if needed > locations:
        return Judgement(rule, LAXER, f"needs {needed} failed locations but {test.name} runs from {locations}")
    window = _duration_minutes(alert.get("properties.windowSize", expect=str), "windowSize")
    groups = [
        str(a.get("actionGroupId", ""))
        for a in alert.get("properties.actions", default=[], expect=list)
        if isinstance(a, dict)
    ]
    problem, notifies = _rule_tail(window, groups, ctx)
    if problem:
        return Judgement(rule, LAXER, problem)
    return Judgement(rule, COVERS, f"(fires when {needed} of {locations} locations of {test.name} fail, {notifies})")


@dataclass(frozen=True)
class LogRule:
    """The parts of a scheduled query rule that judging needs, from either api shape."""

    enabled: bool
    legacy: bool  # 2018-04-16: no aggregation; the trigger counts rows or a metric measurement
    sources: list[str]  # where the query runs: scopes, or dataSourceId and authorizedResources
    texts: list[str]  # query first, then the names
    query: str
    conditions: list[dict]  # operator, threshold, timeAggregation, dimensions
    window: float
    groups: list[str]


def _is_legacy(alert: Resource) -> bool:
    """api-version 2018-04-16 (LogSearchRule): query under source, threshold under action.trigger,
    the window under schedule, and `enabled` as the string "true" or "false"."""
    return alert.has("properties.source")


def _log_texts(alert: Resource) -> list[str]:
    """The query first, then the rule's names: what keywords and units are read from."""
    if _is_legacy(alert):
        query = alert.get("properties.source.query", default="", expect=str)
    else:
        criteria = alert.get("properties.criteria.allOf", default=[], expect=list)
        query = " ".join(str(c.get("query", "")) for c in criteria if isinstance(c, dict))
    return [
        query,
        alert.name,
        alert.get("properties.displayName", default="", expect=str),
        alert.get("properties.description", default="", expect=str),
    ]


def _is_alerting(alert: Resource) -> bool:
    """Log-to-metric rules (2018-04-16 LogToMetricAction, later kind LogToMetric) page nobody."""
    if _is_legacy(alert):
        action = alert.get("properties.action", default={}, expect=dict)
        return not str(action.get("odata.type", "")).lower().endswith("logtometricaction")
    return str(alert.raw.get("kind") or "").lower() != "logtometric"


def _log_rule(alert: Resource, texts: list[str]) -> LogRule:
    if _is_legacy(alert):
        trigger = {
            "operator": alert.get("properties.action.trigger.thresholdOperator", expect=str),
            "threshold": alert.get("properties.action.trigger.threshold", expect=(int, float)),
        }
        sources = [alert.get("properties.source.dataSourceId", default="", expect=str)]
        sources += [str(s) for s in alert.get("properties.source.authorizedResources", default=[], expect=list)]
        return LogRule(
            enabled=alert.get("properties.enabled", default="true", expect=str).lower() == "true",
            legacy=True,
            sources=sources,
            texts=texts,
            query=texts[0],
            conditions=[trigger],
            window=float(alert.get("properties.schedule.timeWindowInMinutes", expect=int)),
            groups=[str(g) for g in alert.get("properties.action.aznsAction.actionGroup", default=[], expect=list)],
        )
    criteria = alert.get("properties.criteria.allOf", default=[], expect=list)
    if not all(isinstance(c, dict) for c in criteria):
        raise DataError(f"a criterion of {alert.name} is not an object")
    return LogRule(
        enabled=alert.get("properties.enabled", default=True, expect=bool),
        legacy=False,
        sources=[str(s) for s in alert.get("properties.scopes", default=[], expect=list)],
        texts=texts,
        query=texts[0],
        conditions=criteria,
        window=_duration_minutes(alert.get("properties.windowSize", expect=str), "windowSize"),
        groups=[str(g) for g in alert.get("properties.actions.actionGroups", default=[], expect=list)],
    )


def _log_unit(rule: LogRule, metric: KeyMetric, ctx: Context) -> tuple[str | None, str]:
    """The unit of the rule's threshold: stated by its query, else by its names, else by the
    log_alert_unit parameter. (unit, "") or (None, why it is unknown)."""
    for where, texts in (("query", [rule.query]), ("names", rule.texts[1:])):
        units = set().union(*(stated_units(t) for t in texts))
        compatible = {u for u in units if (u == "%") == (metric.unit == "%")}
        if len(compatible) == 1:
            return compatible.pop(), ""
        if len(compatible) > 1:
            return None, f"its {where} state(s) several units ({', '.join(sorted(compatible))})"
    configured = str(ctx.params.get("log_alert_unit") or "")
    if (configured in {"ms", "s"} and metric.unit == "ms") or configured == "%" == metric.unit:
        return configured, ""
    if configured:
        return None, f"log_alert_unit is {configured!r}, which does not measure {metric.label.lower()}"
    return None, (
        "neither its query nor its names state the threshold's unit "
        f"({'%, percent' if metric.unit == '%' else 'ms, s'}); set log_alert_unit"
    )


def _judge_log_alert(alert: Resource, target: Resource, metric: KeyMetric, ctx: Context) -> Judgement | None:
    rule_name = f"log alert {alert.name}"
    texts = _log_texts(alert)
    if not mentions(texts, metric.keywords) or not _is_alerting(alert):
        return None
    rule = _log_rule(alert, texts)
    receiving = {_key(target.id)}
    workspace = target.get("properties.WorkspaceResourceId", default="", expect=str)
    if workspace:
        receiving.add(_key(workspace))
    if not receiving & {_key(s) for s in rule.sources}:
        return Judgement(rule_name, ELSEWHERE, "watches other resources")
    if not rule.enabled:
        return Judgement(rule_name, LAXER, "is disabled")
    unit, why = _log_unit(rule, metric, ctx)
    if unit is None:
        return Judgement(rule_name, UNKNOWN, why)
    factor = 1000.0 if (unit == "s" and metric.unit == "ms") else 1.0
    problems = []
    for condition in rule.conditions:
        threshold = condition.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise DataError(f"the threshold of {alert.name} is not a number")
        operator = str(condition.get("operator", ""))
        value = float(threshold) * factor
        problem = (
            _direction_problem(metric, operator, "" if rule.legacy else _aggregation(condition))
            or _threshold_problem(metric, value, ctx.params["threshold"])
            or _dimension_problem(condition)
        )
        if problem:
            problems.append(problem)
            continue
        if len(rule.conditions) > 1:
            problems.append(f"fires only when {len(rule.conditions) - 1} other condition(s) hold too (allOf)")
            continue
        problem, notifies = _rule_tail(rule.window, rule.groups, ctx)
        if problem:
            problems.append(problem)
            continue
        stated = f"{threshold:g} {unit}" + (f" = {value:g} ms" if factor != 1 else "")
        return Judgement(rule_name, COVERS, f"({operator} {stated}, {notifies})")
    return Judgement(rule_name, LAXER, "; ".join(problems) or "has no condition")


def _watching(target: Resource, rtype: str, ctx: Context) -> list[Resource]:
    """The rules of `rtype` (in any subscription) whose properties name the target, its resource
    group, its subscription or, for a component, its workspace: the only ones whose scopes can hold
    it. Looked up in the inventory's reference index, so that judging n resources against n rules
    stays linear rather than n x n."""
    ctx.inventory.require(rtype, ctx.subscription_id)
    subscription = f"/subscriptions/{target.subscription_id}"
    ids = [target.id, subscription, f"{subscription}/resourceGroups/{target.resource_group}"]
    if target.type.lower() == APP_INSIGHTS.lower():
        ids.append(target.get("properties.WorkspaceResourceId", default="", expect=str))
    found: dict[str, Resource] = {}
    for rid in filter(None, ids):
        for raw in ctx.inventory.referencing(rid, rtype):
            found.setdefault(str(raw["id"]).lower(), Resource(raw))
    return list(found.values())


def _judgements(target: Resource, metric: KeyMetric, ctx: Context) -> Iterator[Judgement]:
    judges: list[tuple[str, Callable[[Resource, Resource, KeyMetric, Context], Judgement | None]]] = []
    if metric.metric_names:
        judges.append((METRIC_ALERT, _judge_metric_alert))
    if metric.keywords:
        judges.append((LOG_ALERT, _judge_log_alert))
    for rtype, judge in judges:
        for alert in _watching(target, rtype, ctx):
            try:
                judgement = judge(alert, target, metric, ctx)
            except DataError as exc:  # an unreadable rule might cover the resource: never a pass
                judgement = Judgement(f"{rtype.rsplit('/', 1)[-1]} {alert.name}", UNKNOWN, f"could not be read: {exc}")
            if judgement is not None:
                yield judgement


def _short_list(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def judge_coverage(target: Resource, metric: KeyMetric, ctx: Context) -> Verdict:
    direction = "above" if metric.above else "below"
    limit = ctx.params["threshold"]
    expected = f"an enabled rule {direction} {limit:g} {metric.unit} on {target.name}, with an action group"
    judged = list(_judgements(target, metric, ctx))
    target.note("alertRules", [j.describe() for j in judged if j.outcome != ELSEWHERE])
    covering = [j for j in judged if j.outcome == COVERS]
    if covering:
        return passed(f"{target.name} is covered by {'; '.join(j.describe() for j in covering)}", expected=expected)
    unknown = [j for j in judged if j.outcome == UNKNOWN]
    laxer = [j for j in judged if j.outcome == LAXER]
    if unknown:
        seen = "; ".join(j.describe() for j in unknown + laxer)
        return not_assessed(f"no rule is known to cover {target.name}: {seen}")
    if laxer:
        return failed(f"no rule covers {target.name}: {'; '.join(j.describe() for j in laxer)}", expected=expected)
    elsewhere = [j.rule.rsplit(" ", 1)[-1] for j in judged]
    beside = f" ({_short_list(elsewhere)} watch(es) other resources)" if elsewhere else ""
    return failed(f"no enabled alert rule for {metric.label.lower()} watches {target.name}{beside}", expected=expected)


def _key_metric_check(metric: KeyMetric) -> Callable[[Resource, Context], Verdict]:
    direction = "above" if metric.above else "below"
    matching = (f"metric alerts on {', '.join(metric.metric_names)}" if metric.metric_names else "no metric alert") + (
        f"; log alerts whose name, description or query mentions {', '.join(metric.keywords)}"
        if metric.keywords
        else ""
    )
    if NANOCORES in metric.metric_names:
        matching += "; a UsageNanoCores threshold counts as a share of the app's CPU allocation"
    if metric.key == "availability":
        matching += (
            "; the standard availability-test alert (WebtestLocationAvailabilityCriteria) on the component, when "
            "its web test is enabled and runs from at least failedLocationCount locations"
        )
    params = {
        "threshold": Param(
            metric.threshold, f"Alert threshold in {metric.unit}; the rule must be at least this strict."
        ),
        "max_window_minutes": Param(15, "Longest evaluation window (windowSize) that still pages in time, in minutes."),
    }
    if metric.keywords:
        params["log_alert_unit"] = Param(
            "", "The unit of log alert thresholds whose query and names state none: ms, s or %. Empty: unknown."
        )
    reads = [METRIC_ALERT, LOG_ALERT, ACTION_GROUP] + ([WEB_TEST] if metric.key == "availability" else [])
    coverage = " ".join([METRIC_COVERAGE] + ([LOG_COVERAGE] if metric.keywords else []) + [UNREADABLE_RULE])

    @check(
        id=f"alerts.{metric.key}",
        title=f"Each {metric.subject} alerts when {metric.label.lower()} goes {direction} the guide's threshold",
        severity=Severity.MEDIUM,
        area=Area.OBSERVABILITY,
        checklist="monitoring-alerts",
        types=list(metric.needs),
        reads=reads,
        params=params,
        rationale=(
            f"The guide's Key Metrics table alerts on {metric.label.lower()} {direction} "
            f"{metric.threshold:g} {metric.unit}, for every service. Each resource is judged alone: a rule on "
            f"another resource, region or dimension leaves this one unwatched, and callers find the degradation "
            f"first. Matched: {matching}. {coverage}"
        ),
        remediation=Remediation(
            text=f"Create an alert rule for {metric.label.lower()} {direction} {metric.threshold:g} {metric.unit} "
            "scoped to the resource (or to its resource group with targetResourceType and targetResourceRegion), "
            "over a window of 15 minutes or less, with an action group that pages the on-call team.",
            az="az monitor metrics alert create --name <name> --resource-group {resourceGroup} --scopes <resource-id> "
            f'--condition "avg {(metric.metric_names or ("<metric>",))[0]} {">" if metric.above else "<"} '
            f'{metric.threshold:g}" --window-size 5m --action <action-group-id>',
            bicep="criteria: {\n  'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'\n"
            f"  allOf: [ {{ name: '{metric.key}', metricName: '{(metric.metric_names or ('<metric>',))[0]}', "
            f"operator: '{'GreaterThan' if metric.above else 'LessThan'}', threshold: {metric.threshold:g}, "
            "timeAggregation: 'Average', criterionType: 'StaticThresholdCriterion' } ]\n}\nwindowSize: 'PT5M'",
        ),
        refs=[
            ALERTS_DOC,
            METRIC_ALERT_DOC,
            "https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-metric-alert-rule",
        ],
    )
    def key_metric_alert(target: Resource, ctx: Context) -> Verdict:
        return judge_coverage(target, metric, ctx)

    key_metric_alert.__name__ = f"alert_{metric.key.replace('-', '_')}"
    return key_metric_alert


# --- availability tests -----------------------------------------------------------------------


def linked_web_tests(component: Resource, ctx: Context) -> list[Resource]:
    """Web tests that Application Insights links to the component with a `hidden-link:{id}` tag
    (applicationinsights 2022-06-15 example WebTestGet.json)."""
    ctx.inventory.require(WEB_TEST, ctx.subscription_id)
    return [Resource(raw) for raw in ctx.inventory.tag_linked(component.id, WEB_TEST)]


@check(
    id="alerts.availability-test",
    title="Each Application Insights component has an enabled availability test from at least three locations",
    severity=Severity.MEDIUM,
    area=Area.OBSERVABILITY,
    checklist="monitoring-alerts",
    types=[APP_INSIGHTS],
    reads=[WEB_TEST],
    params={"min_locations": Param(3, "Fewest test locations; Azure recommends at least three (five is better).")},
    rationale="The guide's availability target (99.5 %) is measured by availability tests. Without an enabled "
    "test linked to the component (its hidden-link tag) the availability metric has no data and its alert never "
    "fires; a test run from fewer than three locations turns one location's network trouble into an outage.",
    remediation=Remediation(
        text="Create a standard availability test on the public health endpoint, linked to the component, "
        "running from at least three (ideally five) locations.",
        az="az monitor app-insights web-test create --resource-group {resourceGroup} --name health "
        '--location <region> --kind standard --enabled true --frequency 300 --locations Id="us-va-ash-azr" '
        'Id="emea-nl-ams-azr" Id="apac-sg-sin-azr" --tags "hidden-link:<component-id>=Resource" '
        "--request-url https://<host>/health",
        bicep="tags: { 'hidden-link:${component.id}': 'Resource' }\n"
        "properties: {\n  Enabled: true\n  Kind: 'standard'\n"
        "  Locations: [ { Id: 'us-va-ash-azr' }, { Id: 'emea-nl-ams-azr' }, { Id: 'apac-sg-sin-azr' } ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/azure-monitor/app/availability-standard-tests"],
)
def availability_test(component: Resource, ctx: Context) -> Verdict:
    wanted = ctx.params["min_locations"]
    expected = f"an enabled web test linked to {component.name}, from at least {wanted} locations"
    tests = linked_web_tests(component, ctx)
    component.note("webTests", [t.name for t in tests])
    if not tests:
        return failed(
            f"no availability test is linked to {component.name}: its availability alert can never fire",
            expected=expected,
        )
    problems, unreadable = [], []
    for test in tests:
        try:
            enabled = test.get("properties.Enabled", expect=bool)
            locations = len(test.get("properties.Locations", expect=list))
        except DataError as exc:
            unreadable.append(f"{test.name}: {exc}")
            continue
        if enabled and locations >= wanted:
            return passed(f"web test {test.name} is enabled and runs from {locations} locations", expected=expected)
        problems.append(f"{test.name} is disabled" if not enabled else f"{test.name} runs from {locations} location(s)")
    if unreadable:
        return not_assessed("; ".join(unreadable + problems))
    return failed(
        f"no linked availability test is enabled from {wanted}+ locations: {'; '.join(problems)}", expected=expected
    )


# --- Service Health ----------------------------------------------------------------------------


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
