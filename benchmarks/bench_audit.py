"""Prints how fast golive starts and how fast it audits a large generated snapshot.

    python benchmarks/bench_audit.py [--resources 100000] [--subscriptions 10]

Targets (issue 2): `golive --help` under 0.3 s; 100,000 resources audited with every built-in
check in under 10 s with peak memory under 2 GB. Figures vary with the machine: compare ratios.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def help_time(runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "auditor.cli", "--help"], capture_output=True, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def generate(count: int, subscriptions: int, seed: int = 7) -> dict:
    """A realistic mix: mostly compute and network plumbing, a tenth of the services the checks read,
    each resource built from the demo fixture's shapes (1-3 KB apiece)."""
    rng = random.Random(seed)
    demo = json.loads((ROOT / "fixtures" / "demo.json").read_text())
    templates = demo["resources"]
    filler_types = [
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Compute/disks",
        "Microsoft.Compute/disks",
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Network/networkSecurityGroups",
        "Microsoft.Network/publicIPAddresses",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Storage/storageAccounts",
    ]
    subs = [f"{i:08d}-0000-4000-8000-{rng.getrandbits(48):012x}" for i in range(subscriptions)]
    resources = []
    for n in range(count):
        sub = subs[n % subscriptions]
        rg = f"rg-{n % 50}"
        if rng.random() < 0.12:
            template = rng.choice(templates)
            item = json.loads(json.dumps(template))
            rtype = item["type"]
        else:
            rtype = rng.choice(filler_types)
            item = {
                "type": rtype,
                "location": "eastus2",
                "tags": {"env": "prod", "owner": f"team-{n % 17}"},
                "properties": {
                    "provisioningState": "Succeeded",
                    "ipConfigurations": [
                        {
                            "name": "ipconfig1",
                            "properties": {
                                "privateIPAddress": f"10.{n % 250}.{n % 200}.4",
                                "subnet": {
                                    "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                                    "Microsoft.Network/virtualNetworks/vnet/subnets/default"
                                },
                            },
                        }
                    ],
                    "notes": "x" * rng.randint(400, 2200),  # with the rest: 1-3 KB a resource
                },
            }
        namespace, kind = rtype.split("/", 1)
        item["name"] = f"r{n}"
        item["id"] = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{kind}/r{n}"
        resources.append(item)
    from auditor.registry import discover

    needed = {t for c in discover(entry_points=False).checks for t in c.meta.needs} | {r["type"] for r in resources}
    coverage = [{"subscriptionId": s, "type": t, "collected": True} for s in subs for t in sorted(needed)]
    return {
        "snapshotVersion": "1",
        "scope": {
            "subscriptions": [{"subscriptionId": s, "displayName": s} for s in subs],
            "collectedAt": "2026-11-28T00:00:00Z",
            "tool": {"name": "bench", "version": "0"},
        },
        "resources": resources,
        "coverage": coverage,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--subscriptions", type=int, default=10)
    args = parser.parse_args()

    print(f"golive --help: {help_time():.3f} s (best of 7; target < 0.3 s)")
    document = generate(args.resources, args.subscriptions)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json.gz"
        path.write_bytes(gzip.compress(json.dumps(document).encode(), compresslevel=1))
        size = len(json.dumps(document)) / 1e6
        del document
        print(f"snapshot: {args.resources} resources, {args.subscriptions} subscriptions, {size:.0f} MB of JSON")
        # A fresh process, so that peak memory is the audit's own.
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", AUDIT_SCRIPT, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
        )
        total = time.perf_counter() - start
        print(proc.stdout.strip())
        print(f"total wall time including interpreter start: {total:.2f} s (target < 10 s)")
        # The command as a user runs it: load, audit, JSON report written, terminal summary.
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "auditor.cli", "audit", "--snapshot", str(path), "-o", str(Path(tmp) / "out")],
            capture_output=True,
            cwd=ROOT,
            check=False,  # exit 1: the generated estate has failures
        )
        cli = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"golive audit --snapshot (CLI, end to end): {cli:.2f} s; largest child peak memory: {peak:.0f} MB")


AUDIT_SCRIPT = """
import resource, sys, time
t0 = time.perf_counter()
from auditor import snapshot
from auditor.audit import AuditRequest, run_audit
snap = snapshot.load(sys.argv[1])
t1 = time.perf_counter()
report = run_audit(AuditRequest(snapshot=snap))
t2 = time.perf_counter()
from auditor.reports import render
data = render("json", report)
t3 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"load+validate: {t1 - t0:.2f} s; checks: {t2 - t1:.2f} s ({len(report['checks'])} checks, "
      f"{len(report['findings'])} findings); JSON report: {t3 - t2:.2f} s ({len(data) / 1e6:.0f} MB); "
      f"peak memory: {peak:.0f} MB (target < 2048 MB)")
"""

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
