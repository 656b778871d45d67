"""The subscription budget, over the shape of consumption/.../stable/2023-05-01/examples/Budget.json."""

import copy

from auditor import engine
from auditor.inventory import Inventory
from auditor.registry import discover
from tests.checks.helpers import RG, SUB, only, snapshot

NOTIFIED = {
    "Actual_GreaterThan_80_Percent": {
        "enabled": True,
        "operator": "GreaterThan",
        "threshold": 80,
        "contactEmails": ["johndoe@contoso.com", "janesmith@contoso.com"],
        "contactRoles": ["Contributor", "Reader"],
        "contactGroups": [f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/microsoft.insights/actionGroups/ag"],
        "thresholdType": "Actual",
    }
}


def budget(notifications=NOTIFIED, *, scope=f"/subscriptions/{SUB}", name="TestBudget", end="2027-10-31T00:00:00Z"):
    return {
        "id": f"{scope}/providers/Microsoft.Consumption/budgets/{name}",
        "name": name,
        "type": "Microsoft.Consumption/budgets",
        "eTag": '"1d34d012214157f"',
        "properties": {
            "category": "Cost",
            "amount": 100.65,
            "timeGrain": "Monthly",
            "timePeriod": {"startDate": "2026-10-01T00:00:00Z", "endDate": end},
            "currentSpend": {"amount": 80.89, "unit": "USD"},
            "notifications": copy.deepcopy(notifications),
        },
    }


def status(resources, **kwargs):
    return only("cost.budget", resources, **kwargs).status.value


def test_example_budget_passes():
    assert status([budget()]) == "pass"


def test_each_notification_contact_kind_counts():
    for kind, value in (("contactEmails", ["a@contoso.com"]), ("contactRoles", ["Owner"]), ("contactGroups", ["x"])):
        notification = {"n": {"enabled": True, "operator": "GreaterThan", "threshold": 90, kind: value}}
        assert status([budget(notification)]) == "pass", kind


def test_muted_or_unaddressed_budgets_fail():
    muted = copy.deepcopy(NOTIFIED)
    muted["Actual_GreaterThan_80_Percent"]["enabled"] = False
    nobody = {"n": {"enabled": True, "operator": "GreaterThan", "threshold": 80, "contactEmails": []}}
    assert status([budget(muted)]) == "fail"
    assert status([budget(nobody)]) == "fail"
    assert status([budget({})]) == "fail"


CHECKED_ABOVE = {"higher_scopes_checked": True}


def test_no_budget_is_not_assessed_while_budgets_above_the_subscription_are_unread():
    """A budget on a management group or billing scope covers the subscription too, and a
    subscription read cannot see it (learn.microsoft.com/azure/cost-management-billing/costs/
    tutorial-acm-create-budgets: budgets can be scoped to a management group or billing account)."""
    finding = only("cost.budget", [])
    assert finding.status.value == "not_assessed"
    assert "management group or billing scope" in finding.evidence["message"]
    finding = only("cost.budget", [], params=CHECKED_ABOVE)
    assert finding.status.value == "fail"
    assert "no budget" in finding.evidence["message"]


def test_a_resource_group_budget_does_not_cover_the_subscription():
    # Budget.json itself is a resource-group budget (resourceGroups/MYDEVTESTRG).
    rg_budget = budget(scope=f"/subscriptions/{SUB}/resourceGroups/MYDEVTESTRG")
    assert only("cost.budget", [rg_budget]).status.value == "not_assessed"
    finding = only("cost.budget", [rg_budget], params=CHECKED_ABOVE)
    assert finding.status.value == "fail"
    assert "resource-group" in finding.evidence["message"]


def test_odd_shapes_and_missing_coverage_are_not_assessed():
    assert status([budget({"n": "x"})]) == "not_assessed"
    assert run_at("2026-11-28T00:00:00Z", [budget(end="next year")]).status.value == "not_assessed"
    assert status([], collected=[]) == "not_assessed"


def run_at(collected_at, resources):
    snap = snapshot(resources)
    snap.scope["collectedAt"] = collected_at
    chk = discover(entry_points=False).by_id()["cost.budget"]
    (finding,) = engine.run([chk], Inventory(snap), engine.RunOptions())
    return finding


def test_a_budget_that_ended_before_the_snapshot_does_not_count():
    ended = budget(end="2025-10-31T00:00:00Z")
    finding = run_at("2026-11-28T21:00:00Z", [ended])
    assert finding.status.value == "fail" and "ended" in finding.evidence["message"]
    assert run_at("2026-11-28T21:00:00Z", [ended, budget(name="current")]).status.value == "pass"
    assert run_at("2025-06-01T00:00:00Z", [ended]).status.value == "pass"
