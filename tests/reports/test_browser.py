"""The HTML report in a real headless Chromium, at a laptop's 1366 px and a phone's 390 px:
loads clean and offline, answers first, filters count right, hostile text stays inert and visible."""

from __future__ import annotations

import json

import pytest

from auditor.reports import render
from tests.reports.cdp import CHROMIUM, Browser, set_viewport

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
WIDTHS = (1366, 390)
SHOWN = "document.querySelectorAll('tr.finding').length - document.querySelectorAll('tr.finding[hidden]').length"
RENDERED = "Array.from(document.querySelectorAll('tr.finding')).filter(r => r.offsetParent !== null).length"


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


def write(tmp_path, report, name):
    path = tmp_path / f"{name}.html"
    path.write_bytes(render("html", report))
    return path


def choose(browser, control: str, value: str) -> None:
    browser.evaluate(
        f"var s=document.getElementById({json.dumps(control)}); s.value={json.dumps(value)};"
        "s.dispatchEvent(new Event('change'))"
    )


def no_horizontal_overflow(browser) -> bool:
    return browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_demo_report_answers_first_and_fits(browser, reports, tmp_path, artifacts, width):
    set_viewport(browser, width)
    path = write(tmp_path, reports["demo"], "demo")
    browser.open(path.as_uri())
    assert browser.problems() == []
    assert browser.requests() == [path.as_uri()]
    assert no_horizontal_overflow(browser)
    top = "(function(e){return e.getBoundingClientRect().top + window.scrollY})"
    checklist = browser.evaluate(f"{top}(document.getElementById('checklist'))")
    fix_first = browser.evaluate(f"{top}(document.getElementById('fix-first'))")
    first_finding = browser.evaluate(
        f"{top}(Array.from(document.querySelectorAll('tr.finding')).find(r => r.offsetParent !== null))"
    )
    verdict = browser.evaluate(f"{top}(document.querySelector('.verdict.big'))")
    assert verdict < checklist < fix_first < first_finding
    # Failures by default: what the reader must act on is on screen, the rest behind the toggle.
    action = sum(1 for f in reports["demo"]["findings"] if f["status"] in ("fail", "error", "not_assessed"))
    assert browser.evaluate(RENDERED) == action < len(reports["demo"]["findings"])
    if width > 700:  # a phone stacks the columns
        widths = browser.evaluate(
            "['c-res', 'c-msg', 'c-ev'].map(c => document.querySelector('section.check:not(.ok) th.' + c).offsetWidth)"
        )
        assert widths[2] == max(widths) and widths[2] > 500, widths  # evidence is the widest column
    assert browser.evaluate("document.querySelector('tr.finding a[href^=\"#f-\"]').textContent") == "link"
    browser.screenshot(artifacts / f"report-demo-{width}.png")


def test_filters_change_counts(browser, reports, tmp_path):
    set_viewport(browser, 1366)
    report = reports["demo"]
    findings = report["findings"]
    browser.open(write(tmp_path, report, "demo").as_uri())
    failing = sum(1 for f in findings if f["status"] in ("fail", "error", "not_assessed"))
    assert browser.evaluate(RENDERED) == failing
    assert browser.evaluate("document.getElementById('shown').textContent").startswith(f"{failing} failing")
    browser.evaluate("var t=document.getElementById('show-all'); t.click()")
    assert browser.evaluate(SHOWN) == browser.evaluate(RENDERED) == len(findings)
    assert browser.evaluate("document.getElementById('shown').textContent").startswith(
        f"{len(findings)} of {len(findings)} findings shown"
    )
    choose(browser, "filter-status", "not_applicable")
    not_applicable = sum(1 for f in findings if f["status"] == "not_applicable")
    assert browser.evaluate(RENDERED) == not_applicable
    # A check that fails nowhere carries no severity colour; one that also fails elsewhere keeps it.
    failing_checks = {f["checkId"] for f in findings if f["status"] in ("fail", "error", "not_assessed")}
    shown = browser.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('section.check:not([hidden])'))"
        ".map(s => [s.id.slice(6), s.querySelector('.sev').classList.contains('sev-quiet')]))"
    )
    shown = json.loads(shown)
    assert shown and all(quiet == (check_id not in failing_checks) for check_id, quiet in shown)
    browser.evaluate("document.getElementById('filter-reset').click()")
    choose(browser, "filter-severity", "critical")
    critical = sum(1 for f in findings if f["status"] == "fail" and f["severity"] == "critical")
    assert browser.evaluate(RENDERED) == critical
    choose(browser, "filter-area", "cost")
    assert browser.evaluate(RENDERED) == 0
    assert browser.evaluate("document.getElementById('no-match').hidden") is False
    # An area the filters empty hides its heading.
    assert (
        browser.evaluate("Array.from(document.querySelectorAll('h3.area')).filter(h => h.offsetParent !== null).length")
        == 0
    )
    browser.evaluate("document.getElementById('filter-reset').click()")
    sub = report["scope"]["subscriptions"][0]
    assert (
        browser.evaluate("document.getElementById('filter-subscription').options[1].textContent") == sub["displayName"]
    )
    choose(browser, "filter-subscription", "0")
    assert browser.evaluate(RENDERED) == failing
    browser.evaluate(
        "var t=document.getElementById('filter-text'); t.value='redis-voice-prod'; t.dispatchEvent(new Event('input'))"
    )
    shown = browser.evaluate(RENDERED)
    assert 0 < shown < failing
    assert shown == sum(1 for f in findings if f["status"] == "fail" and "redis-voice-prod" in f["resourceId"])
    assert browser.problems() == []


@pytest.mark.parametrize("width", WIDTHS)
def test_hostile_report_executes_nothing_and_shows_bidi(browser, reports, tmp_path, artifacts, width):
    set_viewport(browser, width)
    path = write(tmp_path, reports["hostile"], "hostile")
    browser.open(path.as_uri())
    browser.evaluate("document.getElementById('show-all').click()")
    tallest = "Math.max(...Array.from(document.querySelectorAll('tr.finding')).map(r => r.offsetHeight))"
    assert browser.evaluate(tallest) < 600  # a 10,000-character name made one cell 12,700 px tall
    browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert browser.evaluate("typeof window.__xss") == "undefined"
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed, h1').length") == 1  # our title
    assert browser.evaluate("document.scripts.length") == 1
    names = browser.evaluate("Array.from(document.querySelectorAll('bdi')).map(e => e.textContent)")
    assert "<script>window.__xss=1</script>" in names
    assert "invoice<U+202E>gpj.exe" in names
    text = browser.evaluate("document.body.textContent")
    assert "\u202e" not in text and "invoice<U+202E>gpj.exe" in text
    # A 10,000-character name is cut; the full value is in a <details> one click away.
    assert "x" * 79 + "…" in text
    assert no_horizontal_overflow(browser), "a long name broke the layout"
    assert browser.evaluate(tallest) < 800
    assert browser.requests() == [path.as_uri()]
    assert browser.problems() == []
    browser.screenshot(artifacts / f"report-hostile-{width}.png")


def test_print_to_pdf_puts_the_checklist_first(browser, reports, tmp_path):
    """Chromium's print-to-PDF gives a document to file: checklist first, then failures, no empty page."""
    import base64
    import io
    import unicodedata

    import pypdf

    set_viewport(browser, 1366)
    browser.open(write(tmp_path, reports["demo"], "demo").as_uri())
    pdf = base64.b64decode(browser.call("Page.printToPDF", printBackground=True)["data"])
    # NFKC folds the ligatures (the "fi" of "findings") that PDF text extraction returns.
    pages = [unicodedata.normalize("NFKC", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert 2 <= len(pages) <= 45
    assert all(len(text.strip()) > 200 for text in pages), [len(t) for t in pages]
    first = pages[0]
    assert "not ready for production" in first and "Deployment checklist" in first
    everything = "\n".join(pages)
    assert everything.index("Deployment checklist") < everything.index("Fix these first") < everything.index("Evidence")
    assert "Also show passing" not in everything  # the toggle and filters are not printed
    # How to fix each failing check is opened for print, filled in for each resource.
    assert "az containerapp update --name ca-voice-backend --resource-group rg-voice-prod" in everything
    assert browser.evaluate("document.querySelectorAll('details.doc[open]').length") == 0  # closed again
    passing = next(f for f in reports["demo"]["findings"] if f["status"] == "pass")
    assert passing["evidence"]["message"] not in everything  # failures only, as on screen


def test_readme_screenshot_is_generated_by_the_script(tmp_path):
    import runpy

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/report-top.png)" in readme and "scripts/report_screenshot.py" in readme
    assert (ROOT / "docs" / "report-top.png").read_bytes().startswith(b"\x89PNG")
    script = runpy.run_path(str(ROOT / "scripts" / "report_screenshot.py"))
    script["main"](tmp_path / "top.png")
    assert (tmp_path / "top.png").read_bytes().startswith(b"\x89PNG")


def test_readable_without_javascript(browser, reports, tmp_path):
    """With scripts off the page still shows failures first, and the toggle (a CSS checkbox) shows the rest."""
    set_viewport(browser, 1366)
    browser.call("Emulation.setScriptExecutionDisabled", value=True)
    try:
        browser.open(write(tmp_path, reports["demo"], "demo").as_uri())
        findings = reports["demo"]["findings"]
        failing = sum(1 for f in findings if f["status"] in ("fail", "error", "not_assessed"))
        assert browser.evaluate(RENDERED) == failing
        assert browser.evaluate("document.getElementById('filters').hidden") is True
        browser.evaluate("document.getElementById('show-all').checked = true")
        assert browser.evaluate(RENDERED) == len(findings)
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", value=False)
