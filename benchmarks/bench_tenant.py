"""A simulated tenant on the fake ARM, with Azure's quotas enforced: how close golive comes to
what the quotas allow, against --source arm, and how its memory grows with the tenant.

    python benchmarks/bench_tenant.py [--subscriptions 1000] [--resources 100] [--latency 0.05]
                                      [--concurrency 32] [--memory-at 500,1000] [--no-arm]

The fake ARM runs in a process of its own (so that the collector's memory is measured alone),
with ARM's token bucket per subscription (250, refilled 25 a second) and Resource Graph's
quota (15 queries per 5 seconds), and every request delayed by --latency. Each subscription
holds --resources top-level resources with their diagnostic settings, and one API Management
service with its children. golive collects it the way `golive collect` does (streamed to a
gzip snapshot, one subscription at a time).

Lower bound: the longest of what the quotas allow (Resource Graph queries beyond the first
window at 3 a second; per subscription, ARM reads beyond the bucket at 25 a second) and what
the latency allows with the same number of requests in flight. golive's wall time is reported
as a ratio to it (target <= 1.5x), and to the same tenant read with --source arm.
Peak memory is the collector process's own (ru_maxrss), measured in a fresh process per size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARM_BUCKET, ARM_REFILL = 250, 25.0
GRAPH_QUERIES, GRAPH_WINDOW = 15, 5.0


def serve(subscriptions: int, per_subscription: int, latency: float, ready: Any, stop: Any) -> None:
    """The fake ARM's process: generate the tenant, serve it until told to stop."""
    sys.path.insert(0, str(ROOT))
    from auditor.testing.fake_arm import FakeArm
    from auditor.testing.tenant import generate

    document = generate(subscriptions, per_subscription)
    with FakeArm(
        document,
        page_size=1000,
        latency=latency,
        read_quota=(ARM_BUCKET, ARM_REFILL),
        graph_quota=(GRAPH_QUERIES, GRAPH_WINDOW),
    ) as arm:
        ready.put((arm.url, arm.ca_bundle, [s["subscriptionId"] for s in document["scope"]["subscriptions"]]))
        stop.wait()
        other = sum(1 for e in arm.log if e.method != "GET" and e.source != "resourcegraph")
        ready.put({**arm.served_by(), "other": other})


def collect_once(url: str, ca_bundle: str, subscriptions: list[str], source: str, concurrency: int) -> dict[str, Any]:
    """One streamed collection, in this process; its figures."""
    from auditor.collect.auth import Target
    from auditor.collect.collector import Options, make_reader, plan_scope, run_collection
    from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
    from auditor.collect.stream import PartialSnapshot
    from auditor.registry import discover

    checks = discover(entry_points=False).checks
    plan = make_plan({t for c in checks for t in c.meta.needs})
    diag = {t for c in checks if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}
    options = Options(
        target=Target(arm_endpoint=url, ca_bundle=ca_bundle),
        all_subscriptions=True,
        source=source,
        concurrency=concurrency,
        retry_after_cap=30.0,
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        reader = make_reader(options)
        scope, chosen = plan_scope(plan, options, reader)
        partial = PartialSnapshot(Path(folder) / "tenant.json.gz", scope, {"benchmark": source})
        partial.open(resume=False)
        stats = run_collection(plan, diag, options, reader, chosen, partial.add)
        written, subs = partial.finish([s["subscriptionId"] for s in chosen])
        wall = time.perf_counter() - start
        size = (Path(folder) / "tenant.json.gz").stat().st_size
    return {
        "wall": wall,
        "requests": stats.requests,
        "throttled": stats.throttled,
        "failures": stats.failures,
        "resources": written,
        "subscriptions": subs,
        "paced": stats.paced,
        "snapshot_mb": size / 2**20,
        "methods": sorted(stats.methods),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(subscriptions: int, per_subscription: int, latency: float, source: str, concurrency: int) -> dict[str, Any]:
    """Serve a tenant in a child process and collect it here."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=serve, args=(subscriptions, per_subscription, latency, ready, stop), daemon=True)
    server.start()
    url, ca_bundle, subs = ready.get(timeout=600)
    try:
        figures = collect_once(url, ca_bundle, subs, source, concurrency)
    finally:
        stop.set()
    served = ready.get(timeout=60)
    server.join(timeout=30)
    figures["served_by"] = served
    figures["graph_queries"] = served.get("resourcegraph", 0)
    return figures


def lower_bound(figures: dict[str, Any], subscriptions: int, latency: float, concurrency: int) -> float:
    """The least wall time the quotas and the latency allow for the requests golive sent."""
    queries = figures["graph_queries"]
    graph = max(0.0, (queries - GRAPH_QUERIES) * GRAPH_WINDOW / GRAPH_QUERIES)
    arm_reads_per_subscription = (figures["requests"] - queries) / max(1, subscriptions)
    arm = max(0.0, (arm_reads_per_subscription - ARM_BUCKET) / ARM_REFILL)
    in_flight = figures["requests"] * latency / concurrency
    return max(graph, arm, in_flight)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--memory-at", default="500,1000", help="tenant sizes (subscriptions) to measure memory at")
    parser.add_argument("--no-arm", action="store_true", help="skip the --source arm comparison")
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)  # "SUBS:SOURCE": one run, figures as JSON
    args = parser.parse_args()
    os.environ["GOLIVE_ACCESS_TOKEN"] = "benchmark"
    if args.one:
        subs, source = args.one.split(":")
        print(json.dumps(measure(int(subs), args.resources, args.latency, source, args.concurrency)))
        return

    def fresh(subs: int, source: str) -> dict[str, Any]:
        """One run in a fresh process, so that its peak memory is its own."""
        command = [sys.executable, __file__, "--one", f"{subs}:{source}", "--resources", str(args.resources)]
        command += ["--latency", str(args.latency), "--concurrency", str(args.concurrency)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    n = args.subscriptions
    print(f"tenant: {n} subscriptions x {args.resources} resources (+ diagnostic settings and APIM children), "
          f"{args.latency * 1000:.0f} ms latency, ARM bucket {ARM_BUCKET}/{ARM_REFILL:g} per s per subscription, "
          f"Resource Graph {GRAPH_QUERIES} queries per {GRAPH_WINDOW:g} s, {args.concurrency} workers")  # fmt: skip
    golive = fresh(n, "resourcegraph")
    bound = lower_bound(golive, n, args.latency, args.concurrency)
    print(
        f"golive (Resource Graph + ARM): {golive['wall']:.1f} s, {golive['requests']} requests "
        f"({golive['graph_queries']} Resource Graph queries), {golive['resources']} resources, "
        f"{golive['throttled']} throttled, {golive['failures']} failed lists; requests other than reads and "
        f"the Resource Graph query: {golive['served_by']['other']}"
    )
    print(f"lower bound from quotas and request counts: {bound:.1f} s; golive / bound = {golive['wall'] / bound:.2f}x "
          "(target <= 1.5x)")  # fmt: skip
    if not args.no_arm:
        arm = fresh(n, "arm")
        print(
            f"--source arm: {arm['wall']:.1f} s, {arm['requests']} requests, {arm['throttled']} throttled; "
            f"--source arm / golive = {arm['wall'] / golive['wall']:.2f}x"
        )
    sizes = [int(s) for s in args.memory_at.split(",") if s.strip()]
    peaks = {}
    for size in sizes:
        peaks[size] = golive["peak_mb"] if size == n else fresh(size, "resourcegraph")["peak_mb"]
    print("peak memory of the collector: " + ", ".join(f"{s} subscriptions {peaks[s]:.0f} MB" for s in sizes)
          + " (target < 1 GB, flat as the tenant doubles)")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
