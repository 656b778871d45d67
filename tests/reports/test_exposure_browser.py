"""The exposure map in the HTML report, in a real headless Chromium: the SVG is in the page, carries no
script, fits the viewport at 1366 and 390 px, each node links to its findings, and hostile names are
text."""

from __future__ import annotations

import json

import pytest

from auditor.reports import render
from tests.reports.cdp import CHROMIUM, Browser

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")

MAP = "document.querySelector('#exposure-map svg')"


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


def open_report(browser, tmp_path, report, name, width=1366):
    path = tmp_path / f"{name}.html"
    path.write_bytes(render("html", report))
    browser.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width < 600)
    browser.open(path.as_uri())
    assert browser.problems() == []
    assert browser.requests() == [path.as_uri()]
    return path


@pytest.mark.parametrize("name", ["demo", "hardened"])
def test_map_is_in_the_page_without_script(browser, reports, tmp_path, name):
    open_report(browser, tmp_path, reports[name], name)
    assert browser.evaluate(f"{MAP} !== null")
    assert browser.evaluate(f"{MAP}.querySelectorAll('script, foreignObject, iframe').length") == 0
    handlers = browser.evaluate(
        f"Array.from({MAP}.querySelectorAll('*')).flatMap(e => Array.from(e.attributes).map(a => a.name))"
        ".filter(n => n.toLowerCase().startsWith('on') || n === 'style')"
    )
    assert handlers == []
    hrefs = browser.evaluate(f"Array.from({MAP}.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("#f-") for h in hrefs)
    nodes = browser.evaluate(f"{MAP}.querySelectorAll('g.node').length")
    assert nodes == len(reports[name]["exposure"]["nodes"])


@pytest.mark.parametrize("width", [1366, 390])
def test_map_stays_within_the_viewport(browser, reports, tmp_path, width):
    open_report(browser, tmp_path, reports["demo"], f"demo-{width}", width=width)
    right = browser.evaluate(f"{MAP}.getBoundingClientRect().right")
    left = browser.evaluate(f"{MAP}.getBoundingClientRect().left")
    inner = browser.evaluate("window.innerWidth")
    assert left >= 0 and right <= inner, (left, right, inner)
    # Scaled to the width, not cropped: the whole drawing keeps its aspect ratio.
    rect = browser.evaluate(f"(r => [r.width, r.height])({MAP}.getBoundingClientRect())")
    view = browser.evaluate(f"(v => [v.width, v.height])({MAP}.viewBox.baseVal)")
    assert abs(rect[0] / rect[1] - view[0] / view[1]) < 0.05


def test_each_node_links_to_its_findings(browser, reports, tmp_path):
    report = reports["demo"]
    open_report(browser, tmp_path, report, "demo-links")
    links = browser.evaluate(
        f"Array.from({MAP}.querySelectorAll('g.node')).filter(g => g.dataset.tier !== 'internet')"
        ".map(g => { const a = g.querySelector('a'); return a ? a.getAttribute('href') : null; })"
    )
    assert links and None not in links
    by_anchor = {"#f-" + f["fingerprint"][:16]: f for f in report["findings"]}
    names = {n["id"].lower(): n["name"] for n in report["exposure"]["nodes"]}
    for href in links:
        assert browser.evaluate(f"document.getElementById({json.dumps(href[1:])}) !== null"), href
        assert by_anchor[href]["resourceId"].lower() in names
    # Following a link lands on the finding's row.
    first = links[0]
    browser.evaluate(f"{MAP}.querySelector('a[href={json.dumps(first)}]').dispatchEvent(new MouseEvent('click'))")
    assert browser.evaluate("location.hash") == first


def test_hostile_names_are_text_in_the_map(browser, reports, tmp_path, artifacts):
    open_report(browser, tmp_path, reports["hostile"], "hostile-map")
    assert browser.evaluate("window.__xss === undefined")
    assert browser.evaluate(f"{MAP}.querySelectorAll('script, img, foreignObject').length") == 0
    titles = browser.evaluate(f"Array.from({MAP}.querySelectorAll('g.node title')).map(t => t.textContent)")
    assert any(t.startswith("<script>window.__xss=1</script>") for t in titles)
    assert any(t.startswith('"><img src=x onerror="window.__xss=2">') for t in titles)
    labels = " ".join(browser.evaluate(f"Array.from({MAP}.querySelectorAll('g.node text')).map(t => t.textContent)"))
    assert "invoice<U+202E>gpj.exe" in labels and "\u202e" not in labels
    browser.evaluate("document.getElementById('exposure').scrollIntoView()")
    browser.screenshot(artifacts / "exposure-hostile.png")
