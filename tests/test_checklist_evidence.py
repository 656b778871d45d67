"""Evidence beside the manual checklist items, and attestations the snapshot contradicts."""

from __future__ import annotations

from datetime import date

from auditor.checklist import Attestation, evaluate
from tests.conftest import audit_report, validate_report

ATTESTATIONS = """
[[attestation]]
item = "disaster-recovery"
by = "SRE <script>x</script>"
date = 2026-11-20
evidence = "https://wiki.example/dr"
"""


def test_an_attested_item_whose_evidence_fails_is_flagged(tmp_path, report_schema):
    path = tmp_path / "attest.toml"
    path.write_text(ATTESTATIONS)
    _, report = audit_report(tmp_path / "out", "--demo", "--attestations", str(path), "-q", "--format", "json,md,html")
    validate_report(report, report_schema)
    item = next(i for i in report["checklist"] if i["id"] == "disaster-recovery")
    assert item["status"] == "attested"  # a person attests; the evidence does not overrule, it flags
    assert item["evidence"]["status"] == "fail"
    assert {f["checkId"] for f in item["evidence"]["findings"]} >= {"dr.cosmos", "dr.redis", "dr.storage"}
    contradicted = item["attestation"]["contradicted"]
    assert "dr.cosmos on cosmos-voice-prod: 1 region" in contradicted
    markdown = (tmp_path / "out" / "golive-report.md").read_text()
    assert "attestation contradicted" in markdown and "dr.cosmos" in markdown
    html = (tmp_path / "out" / "golive-report.html").read_text()
    assert "Contradicted by the snapshot" in html and "<script>x</script>" not in html


def test_unattested_manual_items_still_show_evidence(tmp_path):
    _, report = audit_report(tmp_path, "--demo", "-q")
    security = next(i for i in report["checklist"] if i["id"] == "security-assessment")
    assert security["status"] == "manual" and security["evidence"]["status"] == "fail"
    assert "security.defender-plans" in security["checks"]
    assert "contradicted" not in (security["attestation"] or {})


def test_passing_evidence_contradicts_nothing(tmp_path):
    _, report = audit_report(
        tmp_path, "--snapshot", "fixtures/hardened.json", "--attestations", "fixtures/hardened-attestations.toml", "-q"
    )
    for item_id in ("disaster-recovery", "security-assessment"):
        item = next(i for i in report["checklist"] if i["id"] == item_id)
        assert item["evidence"] == {"status": "pass", "findings": [], "findingCount": 0}
        assert "contradicted" not in item["attestation"]


def test_evaluate_lists_only_problem_findings_and_leaves_automated_items_alone():
    findings = [
        {"checkId": "dr.cosmos", "resourceName": "a", "status": "pass", "evidence": {"message": "ok"}},
        {"checkId": "dr.redis", "resourceName": "r", "status": "not_assessed", "evidence": {"message": "403"}},
        {"checkId": "aca.min-replicas", "resourceName": "app", "status": "fail", "evidence": {"message": "1"}},
    ]
    statuses = {"dr.cosmos": ["pass"], "dr.redis": ["not_assessed"], "aca.min-replicas": ["fail"]}
    items = {"dr.cosmos": "disaster-recovery", "dr.redis": "disaster-recovery", "aca.min-replicas": "load-testing"}
    attested = [Attestation("disaster-recovery", "me", date(2026, 11, 1), "doc")]
    out = {i["id"]: i for i in evaluate(statuses, items, attested, date(2026, 11, 28), findings=findings)}
    dr = out["disaster-recovery"]
    assert dr["evidence"]["status"] == "not_assessed"
    assert [f["checkId"] for f in dr["evidence"]["findings"]] == ["dr.redis"]
    assert "contradicted" not in dr["attestation"]  # not assessed is no contradiction
    assert "evidence" not in out["load-testing"]


def test_evidence_keeps_the_worst_findings_and_counts_them_all():
    """At tenant scale a manual item's checks fail on thousands of resources: the report keeps the
    worst 25 (failures first) and the count, not a second copy of every finding."""
    findings = [
        {"checkId": "dr.redis", "resourceName": f"r{i}", "status": "not_assessed", "evidence": {"message": "403"}}
        for i in range(40)
    ] + [
        {"checkId": "dr.cosmos", "resourceName": f"c{i}", "status": "fail", "evidence": {"message": "1 region"}}
        for i in range(30)
    ]
    statuses = {"dr.redis": ["not_assessed"], "dr.cosmos": ["fail"]}
    items = {"dr.redis": "disaster-recovery", "dr.cosmos": "disaster-recovery"}
    attested = [Attestation("disaster-recovery", "me", date(2026, 11, 1), "doc")]
    (dr,) = [i for i in evaluate(statuses, items, attested, date(2026, 11, 28), findings=findings)
             if i["id"] == "disaster-recovery"]
    assert dr["evidence"]["findingCount"] == 70 and len(dr["evidence"]["findings"]) == 25
    assert {f["status"] for f in dr["evidence"]["findings"]} == {"fail"}
    assert dr["attestation"]["contradicted"].endswith("(and 25 more)")
    assert "r0" not in dr["attestation"]["contradicted"]


def test_reports_count_the_evidence_they_do_not_show():
    from auditor.reports import render
    from tests.reports.conftest import audit

    report = audit("demo")
    item = next(i for i in report["checklist"] if i.get("evidence") and i["evidence"]["findings"])
    item["evidence"]["findingCount"] = 70
    assert "and 60 more" in render("md", report).decode()
    html = render("html", report).decode()
    assert "<br>65 more</div>" in html
