"""A module entry point: every @check function in it is loaded."""

from __future__ import annotations

from auditor.api import Area, Remediation, Resource, Severity, Verdict, check, failed, passed


@check(
    id="example.app-tagged",
    title="Container apps carry an owner tag",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=["Microsoft.App/containerApps"],
    rationale="Untagged apps cannot be charged back.",
    remediation=Remediation(text="Add an owner tag."),
)
def app_tagged(app: Resource, ctx: object) -> Verdict:
    tags = app.get("tags", default={}, expect=dict)
    return passed("owner tag present") if "owner" in tags else failed("no owner tag", expected="an owner tag")
