"""A simulated tenant for the fake ARM: many subscriptions of resources in real wire shape.

Each subscription gets `per_subscription` top-level resources cloned from the hardened fixture
(so their shapes are those the checks are tested on), plus the diagnostic settings of each and,
with `children`, one API Management service with its APIs and policies: the child and extension
lists the checks need, read through ARM even when Resource Graph serves the top level.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def generate(subscriptions: int, per_subscription: int, children: bool = True, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    hardened = json.loads((FIXTURES / "hardened.json").read_text())
    top = [r for r in hardened["resources"] if r["id"].count("/") == 8 and "/providers/" in r["id"]]
    top = [
        r for r in top if r["type"].lower() not in ("microsoft.apimanagement/service", "microsoft.consumption/budgets")
    ]
    apim = [r for r in hardened["resources"] if "/providers/Microsoft.ApiManagement/service/" in r["id"]]
    subs = [f"{i:08x}-1111-4222-8333-{rng.getrandbits(48):012x}" for i in range(subscriptions)]
    resources: list[dict[str, Any]] = []
    for sub in subs:
        for n in range(per_subscription):
            item = copy.deepcopy(rng.choice(top))
            namespace, kind = item["type"].split("/", 1)
            item["name"] = f"r{n}"
            item["id"] = f"/subscriptions/{sub}/resourceGroups/rg-{n % 8}/providers/{namespace}/{kind}/r{n}"
            resources.append(item)
            resources.append(
                {
                    "id": f"{item['id']}/providers/Microsoft.Insights/diagnosticSettings/to-workspace",
                    "name": "to-workspace",
                    "type": "Microsoft.Insights/diagnosticSettings",
                    "properties": {"logs": [{"categoryGroup": "allLogs", "enabled": True}]},
                }
            )
        if children and apim:
            for part in apim:
                item = copy.deepcopy(part)
                item["id"] = "/".join(
                    ["", "subscriptions", sub, "resourceGroups", "rg-apim", *part["id"].split("/")[5:]]
                )
                resources.append(item)
    return {
        "snapshotVersion": "1",
        "scope": {
            "subscriptions": [{"subscriptionId": s, "displayName": f"sub-{n}"} for n, s in enumerate(subs)],
            "collectedAt": "2026-11-28T00:00:00Z",
            "tool": {"name": "golive-tenant", "version": "0"},
        },
        "resources": resources,
        "coverage": [],
    }
