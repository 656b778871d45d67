"""Run checks over hand-written ARM resources, the way the engine runs them over a snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditor import engine
from auditor.inventory import Inventory
from auditor.model import Finding
from auditor.registry import discover
from auditor.snapshot import Snapshot, validate_document

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-test"
SCOPE = {"subscriptions": [], "collectedAt": "", "tool": {"name": "tests", "version": "0"}}


def arm_id(rtype: str, *names: str, rg: str = RG, sub: str = SUB) -> str:
    """arm_id('Microsoft.Web/sites/slots', 'app', 'staging') -> the full ARM id."""
    namespace, *types = rtype.split("/")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=False))
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{path}"


def resource(rtype: str, *names: str, properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": arm_id(rtype, *names), "name": names[-1], "type": rtype, "location": "eastus2"}
    out.update(fields)
    out["properties"] = properties if properties is not None else {}
    return out


def snapshot(
    resources: Iterable[dict[str, Any]],
    *,
    collected: Iterable[str] | None = None,
    failures: Iterable[dict[str, Any]] = (),
    api_versions: dict[str, str | None] | None = None,
) -> Snapshot:
    """A snapshot whose coverage marks `collected` types (default: every type any check needs,
    plus every type present) as collected for SUB, each with the api-version the collector reads
    it with unless `api_versions` says otherwise (None: the input does not say)."""
    from auditor.collect.plan import api_version

    resources = list(resources)
    if collected is None:
        catalogue = discover(entry_points=False)
        collected = {t for c in catalogue.checks for t in c.meta.needs} | {r["type"] for r in resources}
    versions = {t: api_version(t) for t in set(collected)} | dict(api_versions or {})
    coverage = [
        {"subscriptionId": SUB, "type": t, "collected": True}
        | ({"apiVersion": versions[t]} if versions.get(t) else {})
        for t in sorted(set(collected))
    ]
    coverage += [{"subscriptionId": SUB, "collected": False, **f} for f in failures]
    # Every hand-written shape must be one a snapshot file can hold: the schema is the gate.
    validate_document(
        {"snapshotVersion": "1", "scope": SCOPE, "resources": resources, "coverage": []}, "snapshot.schema.json", "test"
    )
    return Snapshot(
        scope={"subscriptions": [{"subscriptionId": SUB, "displayName": "test"}], "collectedAt": "", "tool": {}},
        resources=resources,
        coverage=coverage,
    )


def run_check(check_id: str, resources: Iterable[dict[str, Any]], **kwargs: Any) -> list[Finding]:
    params = kwargs.pop("params", {})
    catalogue = discover(entry_points=False).by_id()
    chk = catalogue[check_id]
    inventory = Inventory(snapshot(resources, **kwargs))
    return engine.run([chk], inventory, engine.RunOptions(params={check_id: params}))


def verdicts(check_id: str, resources: Iterable[dict[str, Any]], **kwargs: Any) -> dict[str, str]:
    """resource name -> status, for compact assertions."""
    return {f.resource_name: f.status.value for f in run_check(check_id, resources, **kwargs)}


def only(check_id: str, resources: Iterable[dict[str, Any]], **kwargs: Any) -> Finding:
    findings = run_check(check_id, resources, **kwargs)
    assert len(findings) == 1, findings
    return findings[0]
