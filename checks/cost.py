"""Cost: a budget that tells someone before the bill does."""

from __future__ import annotations

from auditor.api import Area, DataError, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context

BUDGET = "Microsoft.Consumption/budgets"


def _notified(notification: object) -> bool:
    if not isinstance(notification, dict):
        raise DataError("a budget notification is not an object")
    if notification.get("enabled") is not True:
        return False
    return any(notification.get(k) for k in ("contactEmails", "contactGroups", "contactRoles"))


@check(
    id="cost.budget",
    title="The subscription has a budget that notifies someone",
    severity=Severity.MEDIUM,
    area=Area.COST,
    checklist="cost-optimization",
    types=[BUDGET],
    scope="subscription",
    rationale="Token-priced AI services and autoscaling can multiply the bill in a day. A budget with an "
    "enabled notification is the cheapest guard against cost overruns the guide warns about.",
    remediation=Remediation(
        text="Create a monthly budget with notifications at 80 % actual and 100 % forecast to the owners.",
        az="az consumption budget create --budget-name voice-agent --amount 5000 --category cost --time-grain Monthly "
        "--start-date 2026-12-01 --end-date 2027-12-01",
        bicep="resource budget 'Microsoft.Consumption/budgets@2023-05-01' = {\n  properties: {\n    category: 'Cost'\n"
        "    amount: 5000\n    timeGrain: 'Monthly'\n    notifications: {\n      actual80: { enabled: true, operator: "
        "'GreaterThan', threshold: 80, contactEmails: [ 'owners@contoso.com' ] }\n    }\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/cost-management-billing/costs/tutorial-acm-create-budgets"],
)
def budget(subscription: Resource, ctx: Context) -> Verdict:
    budgets = ctx.resources(BUDGET)
    subscription.note("budgets", [b.name for b in budgets])
    for item in budgets:
        notifications = item.get("properties.notifications", default={}, expect=dict)
        if any(_notified(n) for n in notifications.values()):
            return passed(f"budget {item.name} notifies its contacts", expected="a budget with a notification")
    if budgets:
        return failed("no budget has an enabled notification with a contact", expected="a budget with a notification")
    return failed("no budget for this subscription", expected="a budget with a notification")
