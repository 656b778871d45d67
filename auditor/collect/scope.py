"""Which subscriptions a collection reads: named ones, every visible one, everything beneath
management groups; minus exclusions; one stable shard of them; and which are not to be read.

Subscriptions that are not Enabled (Warned, PastDue, Disabled, Deleted) are listed in the
snapshot's scope and coverage as not read, never silently dropped: their absence proves nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.collect.arm import Reader, ReadError
from auditor.model import InputError

MANAGEMENT_GROUPS_API_VERSION = "2020-05-01"
MANAGEMENT_GROUP_TYPE = "Microsoft.Management/managementGroups"


@dataclass(frozen=True)
class Shard:
    """Share `index` (1-based) of `count`: a subscription belongs to the share its id hashes to,
    so that every runner of a matrix takes the same share whatever order Azure lists them in."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        parts = text.split("/")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InputError("--shard", f"{text!r} is not K/N (for example 2/8)")
        index, count = int(parts[0]), int(parts[1])
        if not 1 <= index <= count:
            raise InputError("--shard", f"{text!r}: K must be between 1 and N")
        return cls(index, count)

    def holds(self, subscription_id: str) -> bool:
        digest = hashlib.sha256(subscription_id.strip().lower().encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


def read_subscription_file(path: str) -> list[str]:
    """Subscription ids, one a line; blank lines and # comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    ids = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    for number, value in enumerate(ids, start=1):
        if value and (len(value) > 64 or not all(c.isalnum() or c == "-" for c in value)):
            raise InputError(path, f"line {number} is not a subscription id")
    return [i for i in ids if i]


def is_readable(subscription: dict[str, Any]) -> bool:
    """Enabled, or of unknown state (found beneath a management group but not listed to us)."""
    return str(subscription.get("state") or "enabled").lower() == "enabled"


def management_group_subscriptions(reader: Reader, group: str) -> list[dict[str, Any]]:
    """Every subscription beneath `group`, at any depth: the descendants API lists the whole
    subtree, paged; a group's own groups are followed through it, not by one call per level."""
    path = f"/providers/{MANAGEMENT_GROUP_TYPE}/{group}/descendants"
    try:
        rows = [r for page in reader.pages(path, MANAGEMENT_GROUP_TYPE, MANAGEMENT_GROUPS_API_VERSION) for r in page]
    except ReadError as exc:
        raise InputError("--management-group", f"{group}: cannot list what is beneath it: {exc}") from None
    found = []
    for row in rows:
        if str(row.get("type", "")).lower() != f"{MANAGEMENT_GROUP_TYPE}/subscriptions".lower():
            continue
        properties = row.get("properties") if isinstance(row.get("properties"), dict) else {}
        found.append(
            {
                "subscriptionId": str(row.get("name") or row["id"].rsplit("/", 1)[-1]),
                "displayName": properties.get("displayName"),
            }
        )
    return found


def choose(
    reader: Reader,
    visible: list[dict[str, Any]],
    *,
    subscriptions: list[str],
    all_subscriptions: bool,
    management_groups: list[str],
    exclude: list[str],
    shard: Shard | None,
) -> list[dict[str, Any]]:
    """The subscriptions in scope, in a stable order, each as ARM describes it (with its state)."""
    by_id = {str(s.get("subscriptionId", "")).lower(): s for s in visible}
    chosen: dict[str, dict[str, Any]] = {}
    if all_subscriptions:
        chosen.update((k, s) for k, s in by_id.items() if k)
    for sub in subscriptions:
        if sub.lower() not in by_id:
            raise InputError("--subscription", f"{sub} is not visible to this identity")
        chosen[sub.lower()] = by_id[sub.lower()]
    for group in management_groups:
        for found in management_group_subscriptions(reader, group):
            key = found["subscriptionId"].lower()
            # One beneath the group but not listed to us: read it anyway, and let coverage say
            # what was denied, rather than leave it out unnoticed.
            chosen.setdefault(key, by_id.get(key) or {**found, "state": None})
    excluded = {e.lower() for e in exclude}
    picked = [s for k, s in chosen.items() if k not in excluded and (shard is None or shard.holds(k))]
    if not picked and shard is None:
        raise InputError(
            "--subscription",
            "no subscription to collect (give --subscription, --subscription-file, --management-group "
            "or --all-subscriptions)",
        )
    return picked
