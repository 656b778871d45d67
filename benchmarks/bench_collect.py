"""Collection against the fake ARM with 50 ms latency per request: parallel vs one at a time.

    python benchmarks/bench_collect.py [--subscriptions 20] [--resources 500] [--latency 0.05] [--quick]

Target (issue 5): 20 subscriptions x 500 resources collected at least 8x faster than with a
single worker, under 500 MB peak memory. Prints requests per resource too. The serial run is
measured on a sample of subscriptions and scaled, so that the benchmark stays short.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(subscriptions: int, per_subscription: int) -> dict:
    rng = random.Random(3)
    demo = json.loads((ROOT / "fixtures" / "hardened.json").read_text())
    templates = [r for r in demo["resources"] if r["id"].count("/") == 8 and "/providers/" in r["id"]]
    subs = [f"{i:08d}-1111-4222-8333-{rng.getrandbits(48):012x}" for i in range(subscriptions)]
    resources = []
    for sub in subs:
        for n in range(per_subscription):
            item = json.loads(json.dumps(rng.choice(templates)))
            namespace, kind = item["type"].split("/", 1)
            item["name"] = f"r{n}"
            item["id"] = f"/subscriptions/{sub}/resourceGroups/rg-{n % 8}/providers/{namespace}/{kind}/r{n}"
            resources.append(item)
    return {
        "snapshotVersion": "1",
        "scope": {
            "subscriptions": [{"subscriptionId": s, "displayName": s} for s in subs],
            "collectedAt": "2026-11-28T00:00:00Z",
            "tool": {"name": "bench", "version": "0"},
        },
        "resources": resources,
        "coverage": [],
    }


def run(document: dict, subscriptions: list[str], concurrency: int, latency: float) -> tuple[float, int, int]:
    from auditor.collect.auth import Target
    from auditor.collect.collector import Options, collect
    from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
    from auditor.registry import discover
    from auditor.testing.fake_arm import FakeArm

    checks = discover(entry_points=False).checks
    needed = {t for c in checks for t in c.meta.needs}
    diag = {t for c in checks if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}
    with FakeArm(document, page_size=100, latency=latency) as arm:
        options = Options(
            target=Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle),
            subscriptions=subscriptions,
            concurrency=concurrency,
        )
        start = time.perf_counter()
        snap, stats = collect(make_plan(needed), diag, options)
        return time.perf_counter() - start, stats.requests, len(snap.resources)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="5 subscriptions x 100 resources")
    args = parser.parse_args()
    if args.quick:
        args.subscriptions, args.resources = 5, 100
    os.environ["GOLIVE_ACCESS_TOKEN"] = "benchmark"
    document = generate(args.subscriptions, args.resources)
    subs = [s["subscriptionId"] for s in document["scope"]["subscriptions"]]
    parallel, requests, collected = run(document, subs, args.concurrency, args.latency)
    sample = subs[:2]
    serial_sample, serial_requests, _ = run(document, sample, 1, args.latency)
    serial = serial_sample * len(subs) / len(sample)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(subs)} subscriptions x {args.resources} resources, {args.latency * 1000:.0f} ms per request")
    print(
        f"parallel ({args.concurrency} workers): {parallel:.1f} s, {requests} requests, {collected} resources kept, "
        f"{requests / max(1, collected):.2f} requests per resource"
    )
    print(
        f"one at a time: {serial_sample:.1f} s for {len(sample)} subscriptions ({serial_requests} requests), "
        f"about {serial:.0f} s for all"
    )
    print(f"speed-up: {serial / parallel:.1f}x (target >= 8x); peak memory {peak:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
