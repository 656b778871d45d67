"""A function entry point: one @check function."""

from __future__ import annotations

from auditor.api import Area, Remediation, Resource, Severity, Verdict, check, passed


@check(
    id="example.single-function",
    title="A check registered as a single function",
    severity=Severity.INFO,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=["Microsoft.App/containerApps"],
    rationale="Shows that an entry point may name one function.",
    remediation=Remediation(text="Nothing to do."),
)
def replicas_named(app: Resource, ctx: object) -> Verdict:
    return passed(f"saw {app.name}")


NOT_A_CHECK = 42
