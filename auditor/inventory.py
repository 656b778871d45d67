"""The index that checks query. ARM ids and types are case-insensitive, and so is every lookup here.

Every query names the type it wants, and the inventory answers only when that type was collected
for the scope asked about; otherwise it raises NotCollected with the reason, which the engine turns
into `not_assessed`. That is how missing data is kept from ever passing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from auditor.api import DataError, Resource, subscription_of
from auditor.snapshot import COVERAGE_COMPLETE, COVERAGE_TOP_LEVEL, Snapshot

Raw = dict[str, Any]
#: Types with a single-segment name that Resource Graph's `resources` table still does not hold:
#: extension resources and subscription-level billing objects.
NOT_IN_RESOURCE_GRAPH = frozenset(
    {"microsoft.insights/diagnosticsettings", "microsoft.consumption/budgets", "microsoft.security/pricings"}
)


class NotCollected(DataError):
    """A query asked for a type that the snapshot does not hold for that scope."""


def _providers_positions(parts: list[str]) -> list[int]:
    return [i for i, part in enumerate(parts) if part.lower() == "providers"]


def type_of_id(resource_id: str) -> str:
    """'/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a/slots/b' -> 'Microsoft.Web/sites/slots'."""
    parts = resource_id.strip("/").split("/")
    positions = _providers_positions(parts)
    if not positions:
        return "Microsoft.Resources/resourceGroups" if len(parts) >= 4 else "Microsoft.Resources/subscriptions"
    start = positions[-1]
    namespace = parts[start + 1] if start + 1 < len(parts) else ""
    return "/".join([namespace, *parts[start + 2 :: 2]])


def listed_type(raw: Raw) -> str:
    """The type a resource is listed under. Some list responses spell a child's type differently
    from its id (Service Bus answers "Namespaces/NetworkRuleSet" for .../networkrulesets/default),
    and then the id decides; but a name holding "/" makes the id unreadable as a type, and then
    the type field stands."""
    spelled, from_id = raw["type"], type_of_id(raw["id"])
    if spelled.lower() == from_id.lower() or spelled.count("/") != from_id.count("/"):
        return spelled
    return from_id


def parent_of(resource_id: str) -> str | None:
    """The resource that a child or extension resource belongs to, or None for a top-level one."""
    parts = resource_id.rstrip("/").split("/")
    positions = _providers_positions(parts)
    if not positions:
        return None
    last = positions[-1]
    if len(parts) - last > 4:  # providers/NS/type/name/childType/childName...
        return "/".join(parts[:-2])
    if len(positions) >= 2:  # {resourceId}/providers/NS/type/name: an extension resource
        return "/".join(parts[:last])
    return None


def is_extension_id(resource_id: str) -> bool:
    parts = resource_id.rstrip("/").split("/")
    positions = _providers_positions(parts)
    return len(positions) >= 2 and len(parts) - positions[-1] == 4


def strings_in(value: Any) -> Iterator[str]:
    """Every string found anywhere inside a value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def _ids_in(value: Any) -> Iterator[str]:
    """Every ARM id found anywhere inside a value."""
    return (text for text in strings_in(value) if text[:15].lower() == "/subscriptions/")


class Inventory:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.coverage_mode = snapshot.coverage_mode
        self._by_id: dict[str, Raw] = {}
        self._by_sub_type: dict[tuple[str, str], list[Raw]] = {}
        self._type_names: dict[str, str] = {}
        for raw in snapshot.resources:
            rid = raw["id"]
            self._by_id[rid.lower()] = raw
            rtype = raw["type"]
            key = (subscription_of(rid), rtype.lower())
            self._by_sub_type.setdefault(key, []).append(raw)
            self._type_names.setdefault(rtype.lower(), rtype)
        self._collected: set[tuple[str, str]] = set()
        self._failures: dict[tuple[str, str], list[Raw]] = {}
        self._api_versions: dict[tuple[str, str], str] = {}
        for entry in snapshot.coverage:
            key = (entry["subscriptionId"].lower(), entry["type"].lower())
            if entry["collected"]:
                self._collected.add(key)
                if isinstance(entry.get("apiVersion"), str):
                    self._api_versions[key] = entry["apiVersion"]
            else:
                self._failures.setdefault(key, []).append(entry)
        self._children: dict[tuple[str, str], list[Raw]] | None = None
        self._references: dict[str, dict[str, list[Raw]]] = {}
        self._tag_links: dict[str, dict[str, list[Raw]]] = {}
        self._derived: dict[Any, Any] = {}

    # -- scope ---------------------------------------------------------------------------------
    def subscriptions(self) -> list[str]:
        listed = [s["subscriptionId"].lower() for s in self.snapshot.scope.get("subscriptions", [])]
        found = {sub for sub, _ in self._by_sub_type}
        return sorted(set(listed) | found)

    def subscription_name(self, subscription_id: str) -> str:
        for sub in self.snapshot.scope.get("subscriptions", []):
            if sub["subscriptionId"].lower() == subscription_id.lower():
                return sub.get("displayName") or subscription_id
        return subscription_id

    def __len__(self) -> int:
        return len(self._by_id)

    # -- coverage ------------------------------------------------------------------------------
    def gap(self, rtype: str, subscription_id: str, within: str | None = None) -> str | None:
        """Why `rtype` cannot be trusted to be complete for the subscription (optionally, for the
        resource `within`), or None when it was collected."""
        sub, key = subscription_id.lower(), rtype.lower()
        if self.coverage_mode == COVERAGE_COMPLETE:
            for failure in self._failures.get((sub, key), []):
                # Compared segment by segment ("/rg1/" must not cover "/rg10/"), hence the slashes.
                scope = (failure.get("scope") or f"/subscriptions/{sub}").lower().rstrip("/") + "/"
                target = (within or f"/subscriptions/{sub}").lower().rstrip("/") + "/"
                if target.startswith(scope) or scope.startswith(target):
                    return _failure_reason(rtype, failure)
            if (sub, key) in self._collected:
                return None
            return f"{rtype} is not in the snapshot's coverage for subscription {sub}"
        if (sub, key) in self._by_sub_type:
            return None
        if self.coverage_mode == COVERAGE_TOP_LEVEL and rtype.count("/") == 1 and key not in NOT_IN_RESOURCE_GRAPH:
            return None
        if self.coverage_mode == COVERAGE_TOP_LEVEL:
            return f"the input is Resource Graph output, which holds no child or extension resources such as {rtype}"
        return f"the input is a plain list of resources, so the absence of {rtype} cannot be confirmed"

    def api_version(self, rtype: str, subscription_id: str) -> str | None:
        """The api-version `rtype` was read with in the subscription, or None when the input does
        not say (Resource Graph output, plain arrays, older snapshots)."""
        return self._api_versions.get((subscription_id.lower(), rtype.lower()))

    def is_collected(self, rtype: str, subscription_id: str) -> bool:
        return self.gap(rtype, subscription_id) is None

    def require(self, rtype: str, subscription_id: str, within: str | None = None) -> None:
        reason = self.gap(rtype, subscription_id, within)
        if reason is not None:
            raise NotCollected(reason)

    # -- lookups -------------------------------------------------------------------------------
    def of_type(self, rtype: str, subscription_id: str) -> list[Raw]:
        return self._by_sub_type.get((subscription_id.lower(), rtype.lower()), [])

    def by_id(self, resource_id: str) -> Raw | None:
        return self._by_id.get(resource_id.lower())

    def children(self, parent_id: str, rtype: str) -> list[Raw]:
        if self._children is None:
            index: dict[tuple[str, str], list[Raw]] = {}
            for raw in self._by_id.values():
                parent = parent_of(raw["id"])
                if parent is not None:
                    index.setdefault((parent.lower(), listed_type(raw).lower()), []).append(raw)
            self._children = index
        return self._children.get((parent_id.lower(), rtype.lower()), [])

    def referencing(self, target_id: str, rtype: str) -> list[Raw]:
        """Resources of `rtype` (in any subscription) whose properties mention `target_id`."""
        key = rtype.lower()
        index = self._references.get(key)
        if index is None:
            index = {}
            for (_, type_key), items in self._by_sub_type.items():
                if type_key != key:
                    continue
                for raw in items:
                    for ref in set(i.lower().rstrip("/") for i in _ids_in(raw.get("properties"))):
                        index.setdefault(ref, []).append(raw)
            self._references[key] = index
        return index.get(target_id.lower().rstrip("/"), [])

    def derived(self, key: Any, build: Callable[[], Any]) -> Any:
        """A value computed from the whole inventory (the exposure graph), built once per inventory."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def tag_linked(self, target_id: str, rtype: str) -> list[Raw]:
        """Resources of `rtype` (in any subscription) tagged `hidden-link:{target_id}`: how Application
        Insights links web tests and their alerts to a component. Indexed once per type."""
        key = rtype.lower()
        index = self._tag_links.get(key)
        if index is None:
            index = {}
            for (_, type_key), items in self._by_sub_type.items():
                if type_key != key:
                    continue
                for raw in items:
                    tags = raw.get("tags")
                    linked = tags if isinstance(tags, dict) else {}
                    for tag in {t.lower().rstrip("/") for t in linked if isinstance(t, str)}:
                        if tag.startswith("hidden-link:"):
                            index.setdefault(tag.removeprefix("hidden-link:").strip(), []).append(raw)
            self._tag_links[key] = index
        return index.get(target_id.lower().rstrip("/"), [])

    def types(self) -> list[str]:
        return sorted(self._type_names.values(), key=str.lower)


def _failure_reason(rtype: str, failure: Raw) -> str:
    where = failure.get("scope") or f"subscription {failure['subscriptionId']}"
    text = f"{rtype} could not be read in {where}"
    if failure.get("errorCode"):
        text += f": {failure['errorCode']}"
    if failure.get("message"):
        text += f" ({failure['message']})"
    if failure.get("permission"):
        text += f"; missing permission {failure['permission']}"
    return text


class Context:
    """What a check sees besides its resource: the inventory, gated by coverage, and its params."""

    def __init__(self, inventory: Inventory, subscription_id: str, params: dict[str, Any]) -> None:
        self.inventory = inventory
        self.subscription_id = subscription_id
        self.params = params

    def api_version(self, rtype: str) -> str | None:
        """The api-version the snapshot read `rtype` with in this subscription, when it says."""
        return self.inventory.api_version(rtype, self.subscription_id)

    def resources(self, rtype: str) -> list[Resource]:
        self.inventory.require(rtype, self.subscription_id)
        return [Resource(r) for r in self.inventory.of_type(rtype, self.subscription_id)]

    def get(self, resource_id: str) -> Resource | None:
        raw = self.inventory.by_id(resource_id)
        if raw is not None:
            return Resource(raw)
        self.inventory.require(type_of_id(resource_id), subscription_of(resource_id) or self.subscription_id)
        return None

    def children(self, parent: Resource, rtype: str) -> list[Resource]:
        self.inventory.require(rtype, parent.subscription_id, within=parent.id)
        return [Resource(r) for r in self.inventory.children(parent.id, rtype)]

    def extensions(self, parent: Resource, rtype: str) -> list[Resource]:
        """Extension resources such as {id}/providers/Microsoft.Insights/diagnosticSettings/x."""
        return self.children(parent, rtype)

    def referencing(self, target: Resource, rtype: str) -> list[Resource]:
        self.inventory.require(rtype, self.subscription_id)
        return [Resource(r) for r in self.inventory.referencing(target.id, rtype)]
