"""The HTML report in a real headless Chromium: loads clean, offline, filters work, XSS inert."""

from __future__ import annotations

import pytest

from auditor.reports import render
from tests.reports.cdp import CHROMIUM, Browser

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


def write(tmp_path, report, name):
    path = tmp_path / f"{name}.html"
    path.write_bytes(render("html", report))
    return path


def test_demo_report_loads_offline_without_errors_and_filters(browser, reports, tmp_path, artifacts):
    path = write(tmp_path, reports["demo"], "demo")
    browser.open(path.as_uri())
    assert browser.problems() == []
    assert browser.requests() == [path.as_uri()]
    total = browser.evaluate("document.querySelectorAll('tr.finding').length")
    assert total == len(reports["demo"]["findings"])
    assert browser.evaluate("document.getElementById('filters').hidden") is False
    visible = "document.querySelectorAll('tr.finding:not([hidden])').length"
    assert browser.evaluate(visible) == total
    failing = sum(1 for f in reports["demo"]["findings"] if f["status"] == "fail")
    browser.evaluate(
        "var s=document.getElementById('filter-status'); s.value='fail'; s.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(visible) == failing
    critical = sum(1 for f in reports["demo"]["findings"] if f["status"] == "fail" and f["severity"] == "critical")
    browser.evaluate(
        "var s=document.getElementById('filter-severity'); s.value='critical'; s.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(visible) == critical
    browser.evaluate("document.getElementById('filter-reset').click()")
    browser.evaluate(
        "var t=document.getElementById('filter-text'); t.value='redis-voice-prod'; t.dispatchEvent(new Event('input'))"
    )
    shown = browser.evaluate(visible)
    assert 0 < shown < total
    assert browser.evaluate("document.querySelector('section.check:not([hidden])') !== null")
    browser.evaluate("document.getElementById('filter-reset').click()")
    browser.screenshot(artifacts / "report-demo.png")
    assert (artifacts / "report-demo.png").stat().st_size > 10_000


def test_hostile_report_executes_nothing(browser, reports, tmp_path, artifacts):
    path = write(tmp_path, reports["hostile"], "hostile")
    browser.open(path.as_uri())
    assert browser.evaluate("typeof window.__xss") == "undefined"
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed, h1').length") == 1  # our title
    assert browser.evaluate("document.scripts.length") == 1
    names = browser.evaluate("Array.from(document.querySelectorAll('bdi.data')).map(e => e.textContent)")
    assert "<script>window.__xss=1</script>" in names
    assert browser.evaluate("document.body.scrollWidth <= window.innerWidth + 1"), "a long name broke the layout"
    assert browser.requests() == [path.as_uri()]
    assert browser.problems() == []
    browser.screenshot(artifacts / "report-hostile.png")


def test_report_of_5000_findings_opens_quickly(browser, reports, tmp_path):
    report = dict(reports["demo"])
    base = report["findings"]
    report["findings"] = [
        dict(base[i % len(base)], resourceId=base[i % len(base)]["resourceId"] + f"-{i}", fingerprint=f"{i:032x}")
        for i in range(5000)
    ]
    path = write(tmp_path, report, "big")
    seconds = browser.open(path.as_uri())
    assert browser.evaluate("document.querySelectorAll('tr.finding').length") == 5000
    assert browser.problems() == []
    print(f"5,000-finding report: {path.stat().st_size / 1e6:.1f} MB, loaded in {seconds:.2f} s")
