"""Cost: a budget that tells someone before the bill does."""

from __future__ import annotations

from datetime import datetime, timezone

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

BUDGET = "Microsoft.Consumption/budgets"


def _at_subscription_scope(item: Resource) -> bool:
    # /subscriptions/{sub}/providers/Microsoft.Consumption/budgets/{name}; ARM also returns it without the slash.
    parts = item.id.strip("/").split("/")
    return len(parts) == 6 and parts[2].lower() == "providers"


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _expired(item: Resource, ctx: Context) -> bool:
    """Whether the budget's period ended before the snapshot was taken (a snapshot without a
    collection time cannot tell, so the budget counts)."""
    collected = _instant(str(ctx.inventory.snapshot.scope.get("collectedAt") or ""))
    end = item.get("properties.timePeriod.endDate", default="", expect=str)
    if collected is None or not end:
        return False
    ends = _instant(end)
    if ends is None:
        raise DataError(f"properties.timePeriod.endDate of {item.name} is not a date")
    return ends < collected


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
    params={
        "higher_scopes_checked": Param(
            False,
            "Set true once you have confirmed that no management-group or billing-scope budget covers the "
            "subscription: a subscription read cannot see those, so until then a missing subscription budget is "
            "not_assessed rather than a failure.",
        )
    },
    rationale="Token-priced AI services and autoscaling can multiply the bill in a day. A budget with an "
    "enabled notification is the cheapest guard against cost overruns the guide warns about. Budgets set on a "
    "management group or billing account also cover the subscription but cannot be read from it, so a "
    "subscription with no budget of its own is not_assessed unless higher_scopes_checked is set.",
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
    subscription.note("budgets", [b.id for b in budgets])
    wanted = "an active subscription budget with a notification"
    scoped = [b for b in budgets if _at_subscription_scope(b)]
    active = [b for b in scoped if not _expired(b, ctx)]
    for item in active:
        notifications = item.get("properties.notifications", default={}, expect=dict)
        if any(_notified(n) for n in notifications.values()):
            return passed(f"budget {item.name} notifies its contacts", expected=wanted)
    if active:
        return failed("no budget has an enabled notification with a contact", expected=wanted)
    if scoped:
        ended = ", ".join(b.name for b in scoped)
        return failed(f"the subscription's budgets ended before the snapshot: {ended}", expected=wanted)
    # A resource-group budget leaves spend elsewhere in the subscription unwatched.
    found = f"only resource-group budgets ({', '.join(b.name for b in budgets)})" if budgets else "no budget"
    if not ctx.params["higher_scopes_checked"]:
        return not_assessed(
            f"{found} at the subscription; budgets on a management group or billing scope were not read "
            "(a subscription read cannot see them): confirm none exists and set higher_scopes_checked"
        )
    return failed(f"{found} for this subscription, nor above it", expected=wanted)
