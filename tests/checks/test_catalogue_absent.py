"""Every check on a subscription that holds nothing it judges: `not_applicable`, unless the guide
makes the thing itself a requirement (Application Insights, a budget, a Service Health alert), in
which case its absence is a `fail`. The per-area test files cover pass and fail on real shapes."""

from __future__ import annotations

import pytest

from auditor.registry import discover
from tests.checks.helpers import SUB, arm_id, run_check

CATALOGUE = discover(entry_points=False).checks
#: Checks whose subject must exist: the guide asks for it, so no subscription can do without.
REQUIRED = {"monitor.appinsights-workspace", "alerts.service-health", "cost.budget"}
#: Required subjects that may exist where a subscription read cannot see them (a budget on a
#: management group or billing account): their absence here is `not_assessed`, not a `fail`.
MAYBE_ABOVE = {"cost.budget"}
#: Something no check judges, so that the subscription is not empty, just irrelevant.
UNRELATED = {
    "id": arm_id("Microsoft.Network/networkSecurityGroups", "nsg-unrelated"),
    "name": "nsg-unrelated",
    "type": "Microsoft.Network/networkSecurityGroups",
    "location": "eastus2",
    "properties": {"securityRules": []},
}


@pytest.mark.parametrize("chk", CATALOGUE, ids=lambda c: c.meta.id)
def test_a_subscription_without_the_subject(chk):
    findings = run_check(chk.meta.id, [UNRELATED])
    expected = "not_assessed" if chk.meta.id in MAYBE_ABOVE else "fail" if chk.meta.id in REQUIRED else "not_applicable"
    assert [(f.resource_id, f.status.value) for f in findings] == [(f"/subscriptions/{SUB}", expected)]
    assert findings[0].evidence["message"]


def test_the_required_subjects_are_declared_so():
    by_id = {c.meta.id: c for c in CATALOGUE}
    assert by_id["monitor.appinsights-workspace"].meta.when_absent.value == "fail"
    assert {c.meta.id for c in CATALOGUE if c.meta.when_absent.value == "fail"} <= REQUIRED


@pytest.mark.parametrize("chk", CATALOGUE, ids=lambda c: c.meta.id)
def test_nothing_collected_is_never_a_verdict(chk):
    # A subscription whose lists all failed (or were never read) looks empty; it must not pass,
    # fail or be called not applicable: nobody looked.
    findings = run_check(chk.meta.id, [], collected=[])
    assert findings and {f.status.value for f in findings} == {"not_assessed"}
    assert all("not in the snapshot's coverage" in f.evidence["message"] for f in findings)
