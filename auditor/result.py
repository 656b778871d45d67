"""Assembles the JSON report: the one document every renderer reads.

Renderers never see engine objects, only this document; `golive report RESULT.json` can therefore
re-render any saved audit without re-auditing, and every format shows the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from auditor import __version__, checklist
from auditor.checklist import Attestation
from auditor.model import Area, Check, Finding, Severity, Status

REPORT_VERSION = "1"
#: Statuses that mean "this was not proven fine". Waived findings were failures someone accepted.
PROBLEM_STATUSES = ("fail", "error", "not_assessed")


def area_status(counts: Mapping[str, int]) -> str:
    for status in PROBLEM_STATUSES:
        if counts.get(status):
            return status
    if counts.get("pass") or counts.get("waived"):
        return "pass"
    return "not_applicable"


def summarize(findings: list[dict[str, Any]], checks: list[dict[str, Any]]) -> dict[str, Any]:
    area_of = {c["id"]: c["area"] for c in checks}
    by_status = Counter(f["status"] for f in findings)
    failures = Counter(f["severity"] for f in findings if f["status"] == "fail")
    areas = []
    for area in Area:
        counts = Counter(f["status"] for f in findings if area_of.get(f["checkId"]) == area.value)
        judged = sum(counts[s] for s in ("pass", "waived", *PROBLEM_STATUSES))
        areas.append(
            {
                "id": area.value,
                "title": area.title,
                "status": area_status(counts),
                "counts": {s.value: counts.get(s.value, 0) for s in Status},
                "score": round((counts["pass"] + counts["waived"]) / judged, 4) if judged else None,
            }
        )
    return {
        "total": len(findings),
        "byStatus": {s.value: by_status.get(s.value, 0) for s in Status},
        "failuresBySeverity": {s.value: failures.get(s.value, 0) for s in Severity},
        "areas": areas,
        # An audit that proved nothing (no subscription, nothing in scope) is not a green light.
        "ready": not any(by_status.get(s) for s in PROBLEM_STATUSES)
        and bool(by_status.get("pass") or by_status.get("waived")),
    }


def build(
    *,
    findings: Iterable[Finding],
    checks: Iterable[Check],
    severities: Mapping[str, Severity],
    params: Mapping[str, Mapping[str, Any]],
    snapshot_info: Mapping[str, Any],
    scope: Mapping[str, Any],
    coverage: Mapping[str, Any],
    attestations: list[Attestation],
    max_age_days: int,
    today: date,
    run: Mapping[str, Any],
    problems: list[dict[str, str]],
    adjust: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Assemble the report. `adjust` may change finding dicts in place (waivers, baselines) before
    anything is counted, and returns extra top-level sections."""
    check_docs = []
    for chk in sorted(checks, key=lambda c: c.meta.id):
        doc = chk.meta.to_dict()
        doc["severity"] = severities.get(chk.meta.id, chk.meta.severity).value
        doc["effectiveParams"] = {name: p.default for name, p in chk.meta.params.items()} | dict(
            params.get(chk.meta.id, {})
        )
        check_docs.append(doc)
    finding_docs = [f.to_dict() for f in findings]
    extra = adjust(finding_docs) if adjust else {}
    statuses: dict[str, list[str]] = {c["id"]: [] for c in check_docs}
    for f in finding_docs:
        statuses[f["checkId"]].append("pass" if f["status"] == "waived" else f["status"])
    items = checklist.evaluate(
        statuses, {c["id"]: c["checklist"] for c in check_docs}, attestations, today, max_age_days, finding_docs
    )
    return {
        "reportVersion": REPORT_VERSION,
        "tool": {"name": "golive", "version": __version__},
        "run": dict(run),
        "snapshot": dict(snapshot_info),
        "scope": dict(scope),
        "coverage": dict(coverage),
        "checks": check_docs,
        "findings": finding_docs,
        "summary": summarize(finding_docs, check_docs),
        "checklist": items,
        "problems": problems,
        **extra,
    }
