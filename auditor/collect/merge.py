"""`golive merge`: join the snapshots of a sharded collection into one.

Shards of one tenant do not overlap, so a clean merge is a plain union. What is not clean is
reported, never resolved silently:
- an overlap: the same subscription in two inputs. Identical resources and coverage are kept
  once, and the overlap is listed;
- a conflict: the same resource id with different content, a type collected in one input and
  failed in another for the same subscription, or inputs from different tenants or clouds.
  Nothing is written, and the exit code is 2: which input is right is for a person to decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import click


@dataclass
class MergeResult:
    scope: dict[str, Any]
    resources: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    overlaps: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def merge(named: list[tuple[str, Any]]) -> MergeResult:
    """Merge (name, Snapshot) pairs, in order."""
    scope: dict[str, Any] = {}
    subscriptions: dict[str, tuple[str, dict[str, Any]]] = {}
    resources: dict[str, tuple[str, dict[str, Any]]] = {}
    coverage: dict[str, tuple[str, dict[str, Any]]] = {}
    outcome: dict[tuple[str, str, str], tuple[str, bool]] = {}
    overlaps: list[str] = []
    conflicts: list[str] = []
    for name, snap in named:
        if not scope:
            scope = {k: v for k, v in snap.scope.items() if k != "subscriptions"}
        for key in ("tenantId", "cloud"):
            if snap.scope.get(key) and scope.get(key) and snap.scope[key] != scope[key]:
                conflicts.append(f"{name}: {key} {snap.scope[key]} differs from {scope[key]}")
        scope["collectedAt"] = min(str(scope.get("collectedAt", "")), str(snap.scope.get("collectedAt", ""))) or (
            snap.scope.get("collectedAt")
        )
        for sub in snap.scope.get("subscriptions", []):
            key = sub["subscriptionId"].lower()
            if key in subscriptions:
                overlaps.append(f"subscription {sub['subscriptionId']} is in {subscriptions[key][0]} and {name}")
            else:
                subscriptions[key] = (name, sub)
        for resource in snap.resources:
            key = resource["id"].lower()
            if key in resources and resources[key][1] != resource:
                conflicts.append(f"{resource['id']}: differs between {resources[key][0]} and {name}")
            resources.setdefault(key, (name, resource))
        for entry in snap.coverage:
            text = json.dumps(entry, sort_keys=True)
            coverage.setdefault(text, (name, entry))
            where = (entry["subscriptionId"].lower(), entry["type"].lower(), str(entry.get("scope", "")).lower())
            earlier = outcome.setdefault(where, (name, bool(entry["collected"])))
            if earlier[1] != bool(entry["collected"]):
                conflicts.append(
                    f"{entry['type']} in {entry['subscriptionId']}: collected in "
                    f"{earlier[0] if earlier[1] else name}, not in {name if earlier[1] else earlier[0]}"
                )
    scope["subscriptions"] = [sub for _, sub in subscriptions.values()]
    return MergeResult(
        scope=scope,
        resources=sorted((r for _, r in resources.values()), key=lambda r: r["id"].lower()),
        coverage=[entry for _, entry in coverage.values()],
        overlaps=overlaps,
        conflicts=conflicts,
    )


@click.command(
    "merge",
    epilog="\b\nExamples:\n  golive merge shard-1.json.gz shard-2.json.gz -o all.json.gz\n"
    "  golive merge snapshots/*.json.gz -o all.json.gz -q\n\n",
)
@click.argument("snapshots", nargs=-1, required=True, metavar="SNAPSHOT...")
@click.option("--output", "-o", required=True, metavar="FILE", help="Snapshot to write (.json or .json.gz).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def merge_command(snapshots: tuple[str, ...], output: str, quiet: bool) -> None:
    """Join the snapshots of a sharded collection. Overlaps are reported; conflicts stop the
    merge (exit 2), nothing is written."""
    from auditor import snapshot
    from auditor.model import InputError

    loaded = [(path, snapshot.load(path)) for path in snapshots]
    for path, snap in loaded:
        if snap.source_format != "snapshot" or snap.coverage_mode != snapshot.COVERAGE_COMPLETE:
            raise InputError(path, "is not a snapshot golive collected: merge joins collected snapshots only")
    result = merge(loaded)
    for line in result.overlaps:
        click.echo(f"golive: overlap: {line}", err=True)
    if result.conflicts:
        for line in result.conflicts[:50]:
            click.echo(f"golive: conflict: {line}", err=True)
        more = len(result.conflicts) - 50
        raise InputError(
            output, f"not written: {len(result.conflicts)} conflict(s)" + (f", {more} not shown" if more > 0 else "")
        )
    snapshot.save(snapshot.Snapshot(scope=result.scope, resources=result.resources, coverage=result.coverage), output)
    if not quiet:
        click.echo(
            f"{output}: {len(result.resources)} resources in {len(result.scope['subscriptions'])} subscription(s) "
            f"from {len(loaded)} snapshot(s); {len(result.overlaps)} overlap(s)"
        )
