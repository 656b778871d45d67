"""The HTML report at 5,000 findings: its size, render time, and load time in headless Chromium.

    python benchmarks/bench_html.py

Targets (issue 13): under 3 MB, opens in under 1 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from auditor import snapshot
    from auditor.audit import AuditRequest, run_audit
    from auditor.reports import render
    from tests.reports.cdp import CHROMIUM, Browser
    from tests.reports.conftest import with_many_findings

    demo = run_audit(AuditRequest(snapshot=snapshot.load(ROOT / "fixtures" / "demo.json")))
    report = with_many_findings(demo, 5000)
    start = time.perf_counter()
    html = render("html", report)
    rendered = time.perf_counter() - start
    print(f"5,000 findings: {len(html) / 1e6:.2f} MB (target < 3 MB), rendered in {rendered:.2f} s")
    if CHROMIUM is None:
        print("chromium not installed: load time not measured")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.html"
        path.write_bytes(html)
        browser = Browser()
        try:
            browser.open("about:blank")
            times = [browser.open(path.as_uri()) for _ in range(3)]
            rows = browser.evaluate("document.querySelectorAll('tr.finding').length")
            start = time.perf_counter()
            browser.evaluate("document.getElementById('show-all').click()")
            toggled = time.perf_counter() - start
        finally:
            browser.close()
    print(f"Chromium load (navigation to load event, best of 3): {min(times):.2f} s (target < 1 s); {rows} rows")
    print(f"Showing all {rows} rows with the toggle: {toggled:.2f} s")


if __name__ == "__main__":
    main()
