"""Collection against the fake ARM with 50 ms latency per request: parallel vs one request at a time.

    python benchmarks/bench_collect.py [--subscriptions 1] [--resources 500] [--latency 0.05]
                                       [--concurrency 16] [--source arm] [--quick]

Target (issue 15): one subscription with 500 resources (and the diagnostic settings and API
Management children the checks read) collected at least 8x faster than one request at a time.
Both runs read the same lists through the same source (ARM lists by default, so that every
read is a request of its own); the client packages are imported before either run is timed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(
    document: dict, subscriptions: list[str], concurrency: int, latency: float, source: str
) -> tuple[float, int, int]:
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
            source=source,
        )
        start = time.perf_counter()
        snap, stats = collect(make_plan(needed), diag, options)
        return time.perf_counter() - start, stats.requests, len(snap.resources)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--source", choices=["arm", "resourcegraph"], default="arm")
    parser.add_argument("--quick", action="store_true", help="1 subscription x 100 resources")
    args = parser.parse_args()
    if args.quick:
        args.subscriptions, args.resources = 1, 100
    os.environ["GOLIVE_ACCESS_TOKEN"] = "benchmark"
    from auditor.testing.tenant import generate

    document = generate(args.subscriptions, args.resources)
    subs = [s["subscriptionId"] for s in document["scope"]["subscriptions"]]
    warm_up = generate(1, 1)  # imports the client packages, so that neither timed run pays for them
    run(warm_up, [warm_up["scope"]["subscriptions"][0]["subscriptionId"]], 4, 0.0, "arm")
    parallel, requests, collected = run(document, subs, args.concurrency, args.latency, args.source)
    serial, serial_requests, _ = run(document, subs, 1, args.latency, args.source)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(subs)} subscription(s) x {args.resources} resources, {args.latency * 1000:.0f} ms per request, "
        f"source {args.source}"
    )
    print(
        f"parallel ({args.concurrency} workers): {parallel:.1f} s, {requests} requests, {collected} resources kept, "
        f"{requests / max(1, collected):.2f} requests per resource"
    )
    print(f"one request at a time: {serial:.1f} s, {serial_requests} requests")
    print(f"speed-up: {serial / parallel:.1f}x (target >= 8x); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
