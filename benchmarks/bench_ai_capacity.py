"""Prints how long ai.capacity-vs-gateway takes when many deployments sit behind many APIs.

    python benchmarks/bench_ai_capacity.py [--deployments 200] [--apis 50]

Each deployment is judged against every API Management path that can reach it; the paths are
worked out once per audit, so the work grows with deployments x paths only in a cheap scan. The
hardened fixture's openai API (two operations, a product) is copied --apis times and its gpt-4o
deployment --deployments times. Measured: 203 deployments x 51 APIs took 7.1 s before the paths were
shared, 0.10 s after.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor import engine  # noqa: E402
from auditor.inventory import Inventory  # noqa: E402
from auditor.registry import discover  # noqa: E402
from auditor.snapshot import from_document  # noqa: E402


def scaled(deployments: int, apis: int) -> dict:
    doc = json.loads((ROOT / "fixtures" / "hardened.json").read_text())
    resources = doc["resources"]
    model = next(r for r in resources if r["type"].endswith("/deployments") and r["name"] == "gpt-4o")
    openai = [r for r in resources if "/apis/openai" in r["id"] and r["type"].startswith("Microsoft.ApiManagement")]
    for n in range(deployments):
        clone = copy.deepcopy(model)
        clone["id"], clone["name"] = f"{model['id']}-{n}", f"{model['name']}-{n}"
        resources.append(clone)
    for n in range(apis):
        for item in openai:
            clone = copy.deepcopy(item)
            clone["id"] = item["id"].replace("/apis/openai", f"/apis/openai-{n}")
            if item["type"].endswith("/apis") or item["type"].endswith("/products/apis"):
                clone["name"] = f"openai-{n}"
            resources.append(clone)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--apis", type=int, default=50)
    args = parser.parse_args()
    doc = scaled(args.deployments, args.apis)
    snap = from_document(doc, "bench")
    chk = discover(entry_points=False).by_id()["ai.capacity-vs-gateway"]
    start = time.perf_counter()
    findings = engine.run([chk], Inventory(snap), engine.RunOptions())
    took = time.perf_counter() - start
    each = took / len(findings) * 1000
    print(f"{len(findings)} deployments x {args.apis + 1} APIs: {took:.2f} s ({each:.1f} ms each)")


if __name__ == "__main__":
    main()
