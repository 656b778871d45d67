"""Reading top-level resources from Azure Resource Graph: one query for many subscriptions.

Resource Graph's `resources` table holds the top-level resources of most types with the same
id, name, type, location, sku, identity, tags and properties as ARM; the query projects only
those columns. Rows come back 1,000 to a page, with a `$skipToken` for the next page, and at
most 1,000 subscriptions go into one query
(learn.microsoft.com/azure/governance/resource-graph/concepts/work-with-data).

Per type, docs/collecting.md says why a type is read here or from ARM. What Resource Graph
lacks or holds incompletely stays on ARM: child collections (APIM APIs, policies, backends,
...), extension resources (diagnostic settings), subscription-level types (budgets), App
Service sites (their siteConfig is not in `resources`), and every type whose checks read a
property only a pinned api-version returns (plan.TYPE_API_VERSIONS, or ARM_ONLY) or take Azure's
default for an absent property by api-version (ARM_ONLY): Resource Graph holds each type at the
provider's latest non-preview api-version, which golive can neither choose nor learn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from auditor.collect.plan import SUBSCRIPTION_LEVEL, TYPE_API_VERSIONS

GRAPH_API_VERSION = "2022-10-01"
GRAPH_QUERY_PATH = "/providers/Microsoft.ResourceGraph/resources"
GRAPH_TYPE = "Microsoft.ResourceGraph/resources"
MAX_SUBSCRIPTIONS_PER_QUERY = 1000
PAGE_ROWS = 1000
#: The ARM columns of a resource, as Resource Graph's `resources` table names them.
COLUMNS = (
    "id",
    "name",
    "type",
    "kind",
    "location",
    "tags",
    "sku",
    "plan",
    "identity",
    "zones",
    "managedBy",
    "extendedLocation",
    "properties",
)
#: Types kept on ARM although `resources` lists them, with the reason (docs/collecting.md).
ARM_ONLY = {
    "microsoft.web/sites": "siteConfig is not populated in the resources table (it is in appserviceresources)",
    # A check takes Azure's default for an absent property from the api-version the type was read
    # with (coverage "apiVersion"); Resource Graph neither lets golive choose it nor says which it used.
    "microsoft.storage/storageaccounts": "the allowBlobPublicAccess default depends on the api-version read with",
    "microsoft.network/applicationgateways": "the default TLS policy depends on the api-version read with",
    # Properties the checks read that the pinned provider api-version returns (plan.API_VERSIONS).
    "microsoft.app/managedenvironments": "publicNetworkAccess and the telemetry settings the checks read depend on "
    "the pinned api-version (2025-07-01), which Resource Graph cannot choose",
    "microsoft.portal/dashboards": "read at the preview api-version 2020-09-01-preview, whose shape the checks "
    "read; Resource Graph holds the latest non-preview one",
}


def from_graph(rtype: str) -> bool:
    """Whether the planned top-level `rtype` is read from Resource Graph."""
    key = rtype.lower()
    return (
        key.count("/") == 1 and key not in SUBSCRIPTION_LEVEL and key not in ARM_ONLY and key not in TYPE_API_VERSIONS
    )


def query_text(types: Iterable[str]) -> str:
    """The one query shape golive sends; the fake ARM answers exactly this shape."""
    listed = ", ".join(f"'{t.lower()}'" for t in sorted(types, key=str.lower))
    return f"resources | where type in~ ({listed}) | project {', '.join(COLUMNS)} | order by id asc"


QUERY_SHAPE = re.compile(
    r"resources \| where type in~ \(((?:'[a-z0-9./-]+'(?:, )?)+)\) \| project ([a-zA-Z, ]+) \| order by id asc"
)


def request_body(subscriptions: list[str], types: Iterable[str], skip_token: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {"$top": PAGE_ROWS, "resultFormat": "objectArray"}
    if skip_token:
        options["$skipToken"] = skip_token
    return {"subscriptions": subscriptions, "query": query_text(types), "options": options}


def batches(subscriptions: list[str], size: int = MAX_SUBSCRIPTIONS_PER_QUERY) -> Iterator[list[str]]:
    for start in range(0, len(subscriptions), size):
        yield subscriptions[start : start + size]


def as_arm_shape(row: dict[str, Any], planned: dict[str, str]) -> dict[str, Any]:
    """A row in ARM's wire shape: Resource Graph lower-cases the type and answers null for a
    column the resource does not have, where ARM leaves the key out."""
    resource = {k: v for k, v in row.items() if v is not None and k in COLUMNS}
    rtype = str(resource.get("type", ""))
    resource["type"] = planned.get(rtype.lower(), rtype)
    return resource


PERMISSIONS_TYPE = "Microsoft.Authorization/permissions"
PERMISSIONS_API_VERSION = "2022-04-01"


def unreadable_types(permissions: Any, types: Iterable[str]) -> set[str]:
    """The `types` the caller may not read at subscription scope, from the answer of
    GET /subscriptions/{id}/providers/Microsoft.Authorization/permissions. Resource Graph leaves
    out what the caller cannot read without saying so (it filters by role-based access), so a
    type read there is complete only where `{type}/read` is granted on the whole subscription."""
    grants = permissions.get("value") if isinstance(permissions, dict) else None
    if not isinstance(grants, list):
        return set(types)
    unreadable = set()
    for rtype in types:
        action = f"{rtype}/read".lower()
        if not any(_grants(grant, action) for grant in grants if isinstance(grant, dict)):
            unreadable.add(rtype)
    return unreadable


def _grants(grant: dict[str, Any], action: str) -> bool:
    actions, denied = grant.get("actions"), grant.get("notActions") or []
    if not isinstance(actions, list) or not isinstance(denied, list):
        return False
    return any(_matches(str(p), action) for p in actions) and not any(_matches(str(p), action) for p in denied)


def _matches(pattern: str, action: str) -> bool:
    """An Azure RBAC action pattern ('*', '*/read', 'Microsoft.KeyVault/*') against an action,
    without a regex: the pieces between wildcards must appear in order."""
    pieces = pattern.lower().split("*")
    if len(pieces) == 1:
        return pieces[0] == action
    if not action.startswith(pieces[0]) or not action.endswith(pieces[-1]):
        return False
    position, end = len(pieces[0]), len(action) - len(pieces[-1])
    for piece in pieces[1:-1]:
        found = action.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return position <= end
