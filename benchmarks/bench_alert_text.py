"""Prints how long alert judging takes on hostile and large inputs (issue 11 §4, issue 10).

    python benchmarks/bench_alert_text.py

Targets: each 50 KB adversarial text parsed in well under 1 s (the regex version of words() took
50 s on 50 KB of capitals); judging n caches against n alert rules grows linearly with n.
The test suite asserts the bounds by counting steps; this script prints the figures.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INPUTS = {
    "capitals": "A" * 50_000,
    "capitals then lower": "A" * 49_999 + "a",
    "camel humps": "aB" * 25_000,
    "digits and units": "1s" * 25_000,
    "spaces": " " * 50_000,
    "percent signs": "%" * 50_000,
}


def text_figures() -> None:
    from auditor.checks.alerts import mentions, stated_units, words

    for name, text in INPUTS.items():
        start = time.perf_counter()
        words(text)
        stated_units(text)
        mentions([text], ("stt", "speech to text"))
        print(f"  {name:<22} {len(text):>7} chars  {time.perf_counter() - start:7.3f} s")


def scale_figures() -> None:
    from tests.checks.helpers import run_check
    from tests.checks.test_alerts import load

    world = load("base.json") + [r for r in load("observability.json") if "diagnosticSettings" not in r["id"]]
    cache = next(r for r in world if r["type"] == "Microsoft.Cache/Redis")
    alert = next(r for r in world if r["name"] == "alert-redis-memory")
    rest = [r for r in world if r is not cache and r is not alert]
    for count in (250, 500, 1000, 2000):
        items = list(rest)
        for index in range(count):
            each = {**copy.deepcopy(cache), "id": f"{cache['id']}-{index}", "name": f"redis-{index}"}
            rule = {**copy.deepcopy(alert), "id": f"{alert['id']}-{index}", "name": f"memory-{index}"}
            rule["properties"]["scopes"] = [each["id"]]
            items += [each, rule]
        start = time.perf_counter()
        findings = run_check("alerts.redis-memory", items)
        elapsed = time.perf_counter() - start
        print(f"  {count:>5} caches, {count:>5} rules  {len(findings):>5} findings  {elapsed:7.3f} s")


if __name__ == "__main__":
    print("alert text, 50 KB adversarial inputs (words, stated_units, mentions):")
    text_figures()
    print("alerts.redis-memory, one rule per cache (includes building the snapshot):")
    scale_figures()
