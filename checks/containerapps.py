"""Container Apps: scale settings that survive a replica restart and a traffic spike."""

from __future__ import annotations

from auditor.api import (
    Area,
    Param,
    Remediation,
    Resource,
    Severity,
    Verdict,
    at_least,
    check,
    failed,
    passed,
)
from auditor.inventory import Context

APP = "Microsoft.App/containerApps"


@check(
    id="aca.min-replicas",
    title="Container apps keep at least two replicas",
    severity=Severity.HIGH,
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
    if not app.has("properties.template.scale.maxReplicas"):
        app.note("properties.template.scale.maxReplicas", None)
        return failed("maxReplicas is not set; the platform default applies", expected="set explicitly")
    ceiling = app.get("properties.template.scale.maxReplicas", expect=int)
    floor = app.get("properties.template.scale.minReplicas", default=0, expect=int)
    if ceiling < floor:
        return failed(f"maxReplicas {ceiling} is below minReplicas {floor}", expected=f">= {floor}")
    return passed(f"maxReplicas is {ceiling} (minReplicas {floor})", expected=f">= {floor}")
