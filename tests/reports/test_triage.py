"""The answer-first parts shared by the formats: checklist, fix-first, counts, grouped reasons,
filled-in remediation, and hostile text shown visibly."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date

import pytest

from auditor.reports import render
from auditor.reports.safe_text import visible
from auditor.reports.terminal import columns, render_summary
from auditor.reports.triage import (
    area_rows,
    checklist_rows,
    failing_checks,
    fill_bicep,
    fill_command,
    not_assessed_groups,
)
from tests.reports.conftest import audit

TODAY = date(2026, 11, 28)
HOSTILE_NAME = "=cmd|' /C calc'!A0; rm -rf ~ $(id) `id`"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("invoice\u202egpj.exe", "invoice<U+202E>gpj.exe"),
        ("a\u2066b\u2069", "a<U+2066>b<U+2069>"),
        ("zero\u200bwidth", "zero<U+200B>width"),
        ("bell\x07esc\x1b[31m", "bell<U+0007>esc<U+001B>[31m"),
        ("lone\ud800", "lone<U+D800>"),
        ("non\uffffchar", "non<U+FFFF>char"),
        ("tag\U000e0041", "tag<U+E0041>"),
        ("语音代理-🎙️-агент", "语音代理-🎙️-агент"),
    ],
)
def test_visible_spells_out_invisible_and_bidi_characters(text, shown):
    assert visible(text) == shown


def test_area_counts_match_the_terminal_and_waived_is_not_passed(reports):
    report = reports["demo"]
    network = next(r for r in area_rows(report) if r["id"] == "network")
    assert (network["passed"], network["judged"]) == (8, 36)
    terminal = render_summary(report, [], colour=False)
    html = render("html", report).decode()
    for row in area_rows(report):
        assert f"{row['passed']:>4}/{row['judged']:<4} passed" in terminal
        assert f"{row['passed']}/{row['judged']} passed" in html


def test_waived_findings_are_judged_but_not_passed(tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "network.acr.public-access"\nresource = "*/registries/*"\n'
        'justification = "ACR pulls from build agents"\nowner = "platform"\nexpires = 2027-01-31\n'
        '[[waiver]]\ncheck = "aca.min-replicas"\nresource = "*/nothing/*"\n'
        'justification = "never matches"\nowner = "pm"\nexpires = 2027-01-01\n'
        '[[waiver]]\ncheck = "aca.max-replicas"\nresource = "*"\n'
        'justification = "old"\nowner = "pm"\nexpires = 2026-01-01\n'
    )
    report = audit("demo", waivers=waivers, today=TODAY)
    network = next(r for r in area_rows(report) if r["id"] == "network")
    assert (network["passed"], network["waived"], network["judged"]) == (8, 1, 36)
    terminal = render_summary(report, [], colour=False)
    assert "8/36   passed   27 failed, 0 not assessed, 1 waived" in terminal
    assert "Unused waiver (line 7): aca.min-replicas on */nothing/*, matches no failing finding" in terminal
    assert "Expired waiver (line 13): aca.max-replicas on *, expired 2026-01-01" in terminal
    html = render("html", report).decode()
    assert "ACR pulls from build agents" in html and "platform" in html and "2027-01-31" in html
    assert "Unused waiver (line 7)" in html and "Expired waiver (line 13)" in html


def test_checklist_links_failing_findings_with_counts_and_severity(reports):
    report = reports["demo"]
    rows = {r["id"]: r for r in checklist_rows(report)}
    waf = rows["waf"]
    assert waf["label"] == "failing" and waf["worstSeverity"] == "critical"
    failing = [f for f in report["findings"] if f["status"] == "fail" and f["checkId"] in waf["checks"]]
    assert waf["failingFindings"] == len(failing) > 0
    # The critical exposure check leads; the high ones follow, most failing resources first
    # (network.waf-fronts-http is high: a missing WAF in front of an entry point, docs/severity.md).
    ids = [c["id"] for c in waf["failing"]]
    assert ids[0] == "exposure.path-around-waf" and "network.waf-fronts-http" in ids[1:]
    counts = [c["count"] for c in waf["failing"][1:]]
    assert counts == sorted(counts, reverse=True)
    assert rows["security-assessment"]["label"] == "awaiting attestation"
    html = render("html", report).decode()
    item = html[html.index('id="item-waf"') : html.index("</tr>", html.index('id="item-waf"'))]
    assert f"{len(failing)} failing findings" in item and 'href="#check-network.waf-fronts-http"' in item
    assert html.index('id="checklist"') < html.index('id="fix-first"') < html.index('id="findings"')


def test_stale_and_contradicted_attestations_are_named(tmp_path):
    attestations = tmp_path / "attestations.toml"
    attestations.write_text(
        '[[attestation]]\nitem = "load-testing"\nby = "qa"\ndate = 2026-11-01\nevidence = "https://example.com/lt"\n'
        '[[attestation]]\nitem = "rollback-tested"\nby = "ops"\ndate = 2024-01-01\nevidence = "runbook"\n'
    )
    report = audit("demo", attestations=attestations, today=TODAY)
    rows = {r["id"]: r for r in checklist_rows(report)}
    assert rows["load-testing"]["contradicted"] and not rows["rollback-tested"]["contradicted"]
    terminal = render_summary(report, [], colour=False)
    assert "Stale attestation: rollback-tested (ops, 2024-01-01)" in terminal
    assert "Contradicted attestation: load-testing (qa, 2026-11-01) but its checks fail" in terminal
    html = render("html", report).decode()
    assert "<b>stale</b>" in html and "<b>contradicted</b> by failing checks" in html


def test_fix_first_orders_by_severity_then_count(reports):
    rows = failing_checks(reports["demo"])
    keys = [(["critical", "high", "medium", "low", "info"].index(r["severity"]), -r["count"]) for r in rows]
    assert keys == sorted(keys) and rows[0]["severity"] == "critical"
    assert sum(r["count"] for r in rows) == reports["demo"]["summary"]["byStatus"]["fail"]


def test_not_assessed_reasons_are_grouped_with_counts_and_permission(reports):
    report = reports["hostile"]
    groups = not_assessed_groups(report)
    unassessed = sum(1 for f in report["findings"] if f["status"] in ("not_assessed", "error"))
    from_findings = [g for g in groups if not g["permission"] and g["what"] and "." in g["what"][0]]
    assert sum(g["count"] for g in groups) >= unassessed
    assert len(groups) < unassessed + len(report["coverage"]["failures"]) + len(report["coverage"]["gaps"])
    assert any(g["permission"] == "Microsoft.Insights/diagnosticSettings/read" for g in groups)
    assert max(g["count"] for g in from_findings) > 1
    html = render("html", report).decode()
    assert 'missing permission <code class="data">Microsoft.Insights/diagnosticSettings/read</code>' in html


def test_remediation_is_filled_in_and_quoted_for_the_shell():
    finding = {
        "resourceName": HOSTILE_NAME,
        "resourceGroup": "rg prod",
        "subscriptionId": "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13",
        "resourceId": "/subscriptions/x/resourceGroups/rg prod/providers/Microsoft.App/containerApps/a",
    }
    command = fill_command(
        "az containerapp update --name {name} --resource-group {resourceGroup} --min-replicas 2", finding
    )
    assert shlex.split(command) == [
        "az", "containerapp", "update", "--name", HOSTILE_NAME, "--resource-group", "rg prod",
        "--min-replicas", "2", "--subscription", "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13",
    ]  # fmt: skip
    assert "{" not in fill_command("az x --ids {id}", finding)
    assert fill_command("az x -g {resourceGroup}", {"resourceName": "sub"}) == "az x -g <resourceGroup>"
    assert fill_bicep("name: {name}", {"resourceName": "it's"}) == "name: 'it\\'s'"


def test_html_remediation_names_each_resource(reports):
    html = render("html", reports["demo"]).decode()
    assert "az containerapp update --name ca-voice-backend --resource-group rg-voice-prod --min-replicas 2" in html
    assert "az containerapp update --name ca-voice-frontend --resource-group rg-voice-prod --min-replicas 2" in html
    # Several resources: one folded snippet each.
    assert re.search(r'<details class="fix"><summary>For <bdi>ca-voice-backend</bdi>', html)


@pytest.mark.parametrize("fmt", ["html", "md", "sarif", "junit", "csv"])
def test_bidi_is_shown_visibly_in_every_format(reports, fmt):
    report = json.loads(json.dumps(reports["hostile"]))
    for finding in report["findings"]:
        if "gpj.exe" in finding["resourceName"]:
            finding["resourceName"] = "invoice\u202egpj.exe"
        else:  # so that the summaries (Markdown shows one resource per failing check) show this name
            finding["status"] = "not_applicable" if finding["status"] == "fail" else finding["status"]
    text = render(fmt, report, include_not_assessed=True).decode("utf-8-sig")
    assert "\u202e" not in text
    assert "invoice<U+202E>gpj.exe" in text or "invoice&lt;U+202E&gt;gpj.exe" in text


def test_terminal_fits_its_width_and_shows_bidi(reports):
    report = json.loads(json.dumps(reports["hostile"]))
    for finding in report["findings"]:  # CJK takes two columns each: a name of them must still fit
        if finding["resourceName"].startswith("语音"):
            finding["resourceName"] = "语音代理" * 40
    for width in (80, 100, 160):
        text = render_summary(report, ["/tmp/x"], colour=False, verbose=1, width=width)
        assert max(columns(line) for line in text.splitlines()) <= width
    assert "invoice<U+202E>gpj" in render_summary(reports["hostile"], [], colour=False, width=200)


def test_html_evidence_shows_an_empty_value_as_quotes(reports):
    html = render("html", reports["demo"]).decode()
    assert "<code>properties.vnetConfiguration.infrastructureSubnetId</code> = <code>&#34;&#34;</code>" in html


def test_html_headline_of_a_ready_audit(reports):
    html = render("html", reports["hardened"]).decode()
    assert re.search(r"0 failures\s+·", html) and "()" not in html.split('id="scope"')[0]
    assert "Nothing to act on" in html and "Nothing to act on" not in render("html", reports["demo"]).decode()


def test_terminal_fix_first_takes_one_line_per_failing_check_with_its_resources(reports):
    """A hole on eight resources must not push seven other holes out of the ten lines shown."""
    report = reports["demo"]
    text = render_summary(report, [], colour=False, width=200)
    block = text.split("What to fix first")[1].split("\n\n")[0]
    shown = [line.split()[1] for line in block.splitlines()[1:] if line.startswith("  ") and line.split()[0].isupper()]
    assert len(shown) == len(set(shown)) == 10
    assert shown == [row["id"] for row in failing_checks(report)[:10]]
    worst = shown[0]
    names = sorted(f["resourceName"] for f in report["findings"] if f["checkId"] == worst and f["status"] == "fail")
    line = next(line for line in block.splitlines() if f" {worst} " in line)
    assert f"{len(names)} resources: " in line and all(name in line for name in names)
