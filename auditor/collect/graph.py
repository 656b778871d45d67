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
property only a pinned api-version returns (plan.TYPE_API_VERSIONS): Resource Graph holds each
type at the provider's latest non-preview api-version, which golive cannot choose.
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
