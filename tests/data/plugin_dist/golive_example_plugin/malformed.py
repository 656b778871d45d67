"""An entry point whose check declares metadata golive rejects."""

from __future__ import annotations

from auditor.api import Area, Remediation, check, passed


@check(
    id="Example Bad Id",
    title="Malformed",
    severity="urgent",
    area=Area.COST,
    checklist="cost-optimization",
    types=["Microsoft.App/containerApps"],
    rationale="x",
    remediation=Remediation(text="x"),
)
def malformed(app: object, ctx: object) -> object:
    return passed("never")
