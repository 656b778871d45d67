"""Container Apps: scale settings that survive a replica restart and a traffic spike."""

from __future__ import annotations

from auditor.api import (
    Area,
    DataError,
    Param,
    Remediation,
    Resource,
    Severity,
    Verdict,
    at_least,
    check,
    failed,
    flag,
    not_applicable,
    passed,
)
from auditor.inventory import Context

APP = "Microsoft.App/containerApps"
ENVIRONMENT = "Microsoft.App/managedEnvironments"
PLATFORM_MAX_REPLICAS = 10
SCALE_RULE_KINDS = ("http", "tcp", "custom", "azureQueue")  # the triggers of a ScaleRule in the ARM schema


@check(
    id="aca.min-replicas",
    title="Container apps keep at least two replicas",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[APP],
    params={"min_replicas": Param(2, "Lowest acceptable scale.minReplicas (the guide uses 2).")},
    rationale=(
        "With a single replica every restart, revision change or node drain drops live calls, and a "
        "cold start adds seconds of latency to the first caller. The guide runs at least two."
    ),
    remediation=Remediation(
        text="Set the minimum replica count to at least two.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --min-replicas 2",
        bicep="template: {\n  scale: {\n    minReplicas: 2\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/scale-app"],
)
def min_replicas(app: Resource, ctx: Context) -> Verdict:
    # ARM omits minReplicas when it is 0: the app scales to zero.
    count = app.get("properties.template.scale.minReplicas", default=0, expect=int)
    return at_least(count, ctx.params["min_replicas"], "minReplicas")


@check(
    id="aca.max-replicas",
    title="Container apps set a maximum replica count at or above the minimum",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[APP],
    rationale=(
        "An explicit ceiling keeps a runaway scale-out from exhausting downstream quotas (Azure OpenAI, "
        "Speech) and the budget; a ceiling below the floor is a configuration error."
    ),
    remediation=Remediation(
        text="Set maxReplicas to the peak the load test proved, for example 20 as in the guide.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --max-replicas 20",
        bicep="template: {\n  scale: {\n    minReplicas: 2\n    maxReplicas: 20\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/scale-app"],
)
def max_replicas(app: Resource, ctx: Context) -> Verdict:
    # ContainerApps.json Scale.maxReplicas: "Optional. Maximum number of container replicas. Defaults to
    # 10 if not set."
    explicit = app.has("properties.template.scale.maxReplicas")
    ceiling = app.get("properties.template.scale.maxReplicas", default=PLATFORM_MAX_REPLICAS, expect=int)
    floor = app.get("properties.template.scale.minReplicas", default=0, expect=int)
    if ceiling < floor:
        return failed(f"maxReplicas {ceiling} is below minReplicas {floor}", expected=f">= {floor}")
    if not explicit:
        return passed(
            f"maxReplicas is not set: the platform default {ceiling} applies (minReplicas {floor})",
            expected=f">= {floor}",
        )
    return passed(f"maxReplicas is {ceiling} (minReplicas {floor})", expected=f">= {floor}")


@check(
    id="aca.scale-rules",
    title="Container apps scale on load with at least one scale rule",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[APP],
    rationale=(
        "Without a rule the app scales only on the platform's default HTTP concurrency. The guide scales on "
        "concurrent requests (50) and CPU (70 %), so that replicas are added before calls queue."
    ),
    remediation=Remediation(
        text="Add an HTTP concurrency rule and a CPU rule.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --scale-rule-name http-requests "
        "--scale-rule-type http --scale-rule-http-concurrency 50",
        bicep="scale: {\n  rules: [\n    { name: 'http-requests', http: { metadata: { concurrentRequests: '50' } } }\n"
        "    { name: 'cpu-utilization', custom: { type: 'cpu', metadata: { type: 'Utilization', value: '70' } } }\n"
        "  ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/scale-app"],
)
def scale_rules(app: Resource, ctx: Context) -> Verdict:
    rules = app.get("properties.template.scale.rules", default=[], expect=list)
    kinds = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise DataError(f"scale rule [{index}] is not an object")
        present = [k for k in SCALE_RULE_KINDS if rule.get(k) is not None]
        if any(not isinstance(rule[k], dict) for k in present):
            raise DataError(f"scale rule {rule.get('name', index)} has a trigger that is not an object")
        for kind in present:
            trigger = rule[kind].get("type") if kind == "custom" else None
            kinds.append(f"{rule.get('name', index)} ({kind}{':' + str(trigger) if trigger else ''})")
    if kinds:
        return passed(f"scale rules: {', '.join(kinds)}", expected="at least one scale rule")
    return failed("no scale rule", expected="at least one scale rule (HTTP concurrency, CPU or custom)")


@check(
    id="aca.environment-zone-redundant",
    title="Container Apps environment is zone redundant",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="environment-validated",
    types=[ENVIRONMENT],
    rationale="A zone-redundant environment spreads replicas across availability zones, so a zone outage does "
    "not drop every call.",
    remediation=Remediation(
        text="Create the environment with zone redundancy (it requires a VNet and cannot be changed later).",
        az="az containerapp env create --name {name} --resource-group {resourceGroup} --zone-redundant "
        "--infrastructure-subnet-resource-id <subnet-id>",
        bicep="properties: {\n  zoneRedundant: true\n}",
    ),
    refs=["https://learn.microsoft.com/azure/reliability/reliability-azure-container-apps"],
)
def environment_zone_redundant(env: Resource, ctx: Context) -> Verdict:
    return flag(env, "properties.zoneRedundant", default=False, what="zone redundancy")


@check(
    id="aca.health-probes",
    title="Every container of a container app has liveness and readiness probes",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[APP],
    rationale=(
        "Without a readiness probe a replica takes calls before it can reach Redis or Speech; without a liveness "
        "probe a hung replica keeps its share of calls until someone restarts it. The platform adds only TCP "
        "defaults, which see the port, not the app."
    ),
    remediation=Remediation(
        text="Add Liveness and Readiness probes on the app's health endpoint to each container.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --yaml app-with-probes.yaml",
        bicep="probes: [\n  { type: 'Liveness', httpGet: { path: '/health/live', port: 8080 } }\n"
        "  { type: 'Readiness', httpGet: { path: '/health/ready', port: 8080 } }\n]",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/health-probes"],
)
def health_probes(app: Resource, ctx: Context) -> Verdict:
    # Read without recording the containers (their env would bloat the evidence); the probe kinds
    # per container are noted instead.
    containers = app.lookup("properties.template.containers")
    if not isinstance(containers, list):
        raise DataError("properties.template.containers is not in the snapshot as an array")
    missing, seen = [], {}
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            raise DataError(f"properties.template.containers[{index}] is not an object")
        probes = container.get("probes") or []
        if not isinstance(probes, list) or not all(isinstance(p, dict) for p in probes):
            raise DataError(f"the probes of container {container.get('name', index)} are not a list of objects")
        kinds = {str(p.get("type", "")).lower() for p in probes}
        seen[str(container.get("name", index))] = sorted(kinds)
        lacking = [k for k in ("Liveness", "Readiness") if k.lower() not in kinds]
        if lacking:
            missing.append(f"{container.get('name', index)} ({' and '.join(lacking)})")
    app.note("properties.template.containers[].probes[].type", seen)
    if missing:
        return failed(f"container(s) without probes: {', '.join(missing)}", expected="Liveness and Readiness probes")
    return passed(f"{len(containers)} container(s), each with liveness and readiness probes", expected="both probes")


def _rule_triggers(app: Resource) -> list[tuple[str, str, dict]]:
    """(rule name, trigger kind, metadata) per scale rule: "http" for an http rule or a custom rule of
    type http (ContainerApps_Get.json spells it that way), else the custom type (cpu, cron, ...)."""
    out = []
    for index, rule in enumerate(app.get("properties.template.scale.rules", default=[], expect=list)):
        if not isinstance(rule, dict):
            raise DataError(f"scale rule [{index}] is not an object")
        name = str(rule.get("name", index))
        for kind in SCALE_RULE_KINDS:
            trigger = rule.get(kind)
            if trigger is None:
                continue
            if not isinstance(trigger, dict):
                raise DataError(f"scale rule {name} has a trigger that is not an object")
            metadata = trigger.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise DataError(f"scale rule {name} has metadata that is not an object")
            kind_name = str(trigger.get("type", "")).lower() if kind == "custom" else kind.lower()
            out.append((name, kind_name, metadata))
    return out


def _number(metadata: dict, key: str, rule: str, default: float | None = None) -> float:
    raw = next((v for k, v in metadata.items() if k.lower() == key.lower()), None)
    if raw is None:
        if default is None:
            raise DataError(f"scale rule {rule} has no {key}")
        return default
    try:
        return float(str(raw))
    except ValueError:
        raise DataError(f"{key} of scale rule {rule} is {raw!r}, not a number") from None


@check(
    id="aca.scale-thresholds",
    title="HTTP and CPU scale rules trigger at the guide's thresholds",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[APP],
    params={
        "max_concurrent_requests": Param(50, "Highest concurrentRequests of an HTTP rule (the guide uses 50)."),
        "max_cpu_percent": Param(70, "Highest utilisation value of a CPU rule (the guide uses 70 %)."),
    },
    rationale=(
        "A rule that waits for 200 concurrent requests or 95 % CPU adds replicas only after calls already queue "
        "and voice latency has blown the 2.5 s target. The guide scales out at 50 concurrent requests and 70 % "
        "CPU. An HTTP rule without concurrentRequests uses the platform default of 10."
    ),
    remediation=Remediation(
        text="Lower the HTTP rule's concurrentRequests to 50 or less and the CPU rule's value to 70 or less.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --scale-rule-name http-requests "
        "--scale-rule-type http --scale-rule-http-concurrency 50",
        bicep="rules: [\n  { name: 'http-requests', http: { metadata: { concurrentRequests: '50' } } }\n"
        "  { name: 'cpu-utilization', custom: { type: 'cpu', metadata: { type: 'Utilization', value: '70' } } }\n]",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/scale-app#http"],
)
def scale_thresholds(app: Resource, ctx: Context) -> Verdict:
    http_max, cpu_max = ctx.params["max_concurrent_requests"], ctx.params["max_cpu_percent"]
    seen, too_high = [], []
    for name, kind, metadata in _rule_triggers(app):
        if kind == "http":
            # https://learn.microsoft.com/azure/container-apps/scale-app#http: concurrentRequests defaults to 10.
            value, limit, unit = _number(metadata, "concurrentRequests", name, default=10), http_max, "requests"
        elif kind == "cpu":
            value, limit, unit = _number(metadata, "value", name), cpu_max, "%"
        else:
            continue
        seen.append(f"{name} {kind} {value:g} {unit}")
        if value > limit:
            too_high.append(f"{name} triggers at {value:g} {unit}, above {limit}")
    app.note("scaleThresholds", seen)
    expected = f"HTTP <= {http_max} concurrent requests, CPU <= {cpu_max} %"
    if not seen:
        return not_applicable("no HTTP or CPU scale rule (aca.scale-rules judges that)")
    if too_high:
        return failed("; ".join(too_high), expected=expected)
    return passed(f"thresholds: {', '.join(seen)}", expected=expected)


@check(
    id="cost.off-peak-schedule",
    title="Container apps follow a schedule for off-peak scale-down (advisory)",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[APP],
    rationale=(
        "The guide's cost section scales down during off-peak hours. A cron scale rule raises the replica count "
        "for business hours only, so the app falls back to its minimum at night and at weekends."
    ),
    remediation=Remediation(
        text="Add a cron scale rule for the peak hours; the app returns to minReplicas outside them.",
        az="az containerapp update --name {name} --resource-group {resourceGroup} --scale-rule-name peak-hours "
        "--scale-rule-type cron --scale-rule-metadata timezone=Europe/London 'start=0 8 * * 1-5' "
        "'end=0 20 * * 1-5' desiredReplicas=6",
        bicep="{ name: 'peak-hours', custom: { type: 'cron', metadata: { timezone: 'Europe/London', "
        "start: '0 8 * * 1-5', end: '0 20 * * 1-5', desiredReplicas: '6' } } }",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/scale-app", "https://keda.sh/docs/latest/scalers/cron/"],
)
def off_peak_schedule(app: Resource, ctx: Context) -> Verdict:
    crons = [name for name, kind, _ in _rule_triggers(app) if kind == "cron"]
    if crons:
        return passed(f"scheduled scale rule: {', '.join(crons)}", expected="a cron scale rule")
    return failed("no cron scale rule: replicas do not follow peak and off-peak hours", expected="a cron scale rule")
