"""Regenerate docs/report-top.png, the README's picture of the top of the demo report.

    .venv/bin/python scripts/report_screenshot.py [OUTPUT.png]

Audits the bundled demo snapshot, renders the HTML report and photographs its top in headless
Chromium at 1366 px, so the picture always shows what the code renders today.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "report-top.png"
WIDTH, HEIGHT = 1366, 1100


def main(output: Path = OUTPUT) -> None:
    sys.path.insert(0, str(ROOT))
    from auditor import snapshot
    from auditor.audit import AuditRequest, run_audit
    from auditor.reports import render
    from tests.reports.cdp import CHROMIUM, Browser, screenshot_top, set_viewport

    if CHROMIUM is None:
        sys.exit("chromium is not installed")
    snap = snapshot.load(ROOT / "fixtures" / "demo.json")
    snap.source = "demo"
    report = run_audit(AuditRequest(snapshot=snap))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "demo.html"
        page.write_bytes(render("html", report))
        browser = Browser()
        try:
            set_viewport(browser, WIDTH, HEIGHT)
            browser.open(page.as_uri())
            screenshot_top(browser, output, WIDTH, HEIGHT)
        finally:
            browser.close()
    print(f"{output}: {output.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
