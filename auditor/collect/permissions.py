"""The Azure RBAC action that each collected type needs, as coverage names it and the role grants it.

Actions are case-insensitive in Azure RBAC; they are spelled here as the types are in check metadata.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Types not read with a plain `{type}/read`.
SPECIAL = {
    # App Service settings come from a list action, not a GET (and only with --inspect-app-settings).
    "microsoft.web/sites/config": "Microsoft.Web/sites/config/list/action",
}
#: What every collection reads besides the planned types: the subscription list, the Resource
#: Graph query, the caller's own permissions (which tell where Resource Graph is complete) and,
#: with --management-group, the subscriptions beneath a group.
ALWAYS = (
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.ResourceGraph/resources/read",
    "Microsoft.Authorization/permissions/read",
    "Microsoft.Management/managementGroups/descendants/read",
)


def permission(rtype: str) -> str:
    """The action a 403 on reading `rtype` asks for."""
    return SPECIAL.get(rtype.lower(), f"{rtype}/read")


def role_actions(types: Iterable[str], with_list_actions: bool = False) -> list[str]:
    """The actions of a least-privilege role for collecting `types`; list actions (which return
    values) only when asked for, because they are the one read that can see a secret."""
    actions = {a.lower(): a for a in ALWAYS}
    for rtype in types:
        action = permission(rtype)
        if action.endswith("/action"):
            # The same type is also listed with a GET ({site}/config returns config/web).
            actions.setdefault(f"{rtype}/read".lower(), f"{rtype}/read")
            if not with_list_actions:
                continue
        actions.setdefault(action.lower(), action)
    return sorted(actions.values(), key=str.lower)
