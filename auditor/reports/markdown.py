"""A Markdown summary for pull-request comments and $GITHUB_STEP_SUMMARY, under GitHub's 64 KB.

Answer first: the verdict, the deployment checklist, then the failures to fix first with one
remediation command each. Snapshot text is escaped with backslashes (never HTML entities, which
read as `&#39;` in plain-text views), its invisible characters spelled out, its @mentions defused.
"""

from __future__ import annotations

from typing import Any

from auditor.reports import triage
from auditor.reports.exposure_text import markdown_paths
from auditor.reports.safe_text import cut
from auditor.reports.text import md_code, md_escape

LIMIT = 64_000
ICONS = {
    "pass": "✅",
    "attested": "✅",
    "fail": "❌",
    "error": "💥",
    "not_assessed": "❔",
    "manual": "⏳",
    "stale": "⏳",
    "not_applicable": "➖",
}
FIX_FIRST_SHOWN = 15


def _remediation_line(check: dict[str, Any] | None, finding: dict[str, Any] | None) -> str:
    if not check:
        return ""
    remediation = check["remediation"]
    if remediation.get("az") and finding is not None:
        return md_code(cut(triage.fill_command(remediation["az"], finding), 300))
    return md_escape(cut(remediation["text"], 300))


def render(report: dict[str, Any], **_: Any) -> bytes:
    summary = report["summary"]
    checks = {c["id"]: c for c in report["checks"]}
    subs = ", ".join(
        md_escape(cut(s.get("displayName") or s["subscriptionId"])) for s in report["scope"].get("subscriptions", [])
    )
    items = triage.checklist_rows(report)
    totals = triage.checklist_totals(items)
    counts = summary["byStatus"]
    lines = [
        "## golive production readiness",
        "",
        f"**{'Ready' if summary['ready'] else 'Not ready'}** · "
        + " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items() if v),
        "",
        f"Scope: {subs or 'none'} · {report['snapshot']['resourceCount']} resources · {len(report['checks'])} checks · "
        f"coverage: {md_escape(report['coverage']['note'])}",
        "",
        f"### Deployment checklist: {totals['ready']}/{totals['total']} ready, "
        f"{totals['awaiting']} awaiting attestation",
        "",
        "| item | status | failing findings |",
        "|---|---|---|",
    ]
    for item in items:
        failing = ""
        if item["failing"]:
            failing = (
                f"{item['failingFindings']} ({item['worstSeverity']}) in "
                + ", ".join(md_code(c["id"], in_table=True) for c in item["failing"][:4])
                + (f" and {len(item['failing']) - 4} more" if len(item["failing"]) > 4 else "")
            )
        attestation = item.get("attestation")
        if attestation and (attestation.get("stale") or item["contradicted"]):
            failing += " · attestation " + ("stale" if attestation.get("stale") else "contradicted by failing checks")
        lines.append(
            f"| {md_escape(item['title'])} | {ICONS.get(item['status'], '')} {md_escape(item['label'])} | {failing} |"
        )
    lines.append("")
    fix_first = triage.failing_checks(report)
    if fix_first:
        first_failure: dict[str, dict[str, Any]] = {}
        for f in report["findings"]:
            if f["status"] == "fail":
                first_failure.setdefault(f["checkId"], f)
        lines += ["### Fix these first", ""]
        for n, row in enumerate(fix_first[:FIX_FIRST_SHOWN], 1):
            finding = first_failure.get(row["id"])
            where = md_escape(cut(finding["resourceName"], 60)) if finding else ""
            more = f" and {row['count'] - 1} more" if row["count"] > 1 else ""
            lines.append(
                f"{n}. **{row['severity']}** {md_code(row['id'])} {md_escape(row['title'])} — {where}{more}: "
                + _remediation_line(checks.get(row["id"]), finding)
            )
        if len(fix_first) > FIX_FIRST_SHOWN:
            lines.append(f"\n{len(fix_first) - FIX_FIRST_SHOWN} more failing checks in the HTML and JSON reports.")
        lines.append("")
    lines += markdown_paths(report)
    lines += _checklist_evidence(report)
    lines += [
        "### Readiness by area",
        "",
        "| area | status | passed | failed | not assessed | waived |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for area in triage.area_rows(report):
        lines.append(
            f"| {md_escape(area['title'])} | {ICONS.get(area['status'], '')} {area['status'].replace('_', ' ')} "
            f"| {area['passed']}/{area['judged']} | {area['failed']} | {area['notAssessed']} | {area['waived']} |"
        )
    lines.append("")
    waivers = report.get("waivers")
    if waivers and (waivers["expired"] or waivers["unused"] or waivers["applied"]):
        lines += ["### Waivers", "", f"{waivers['applied']} finding(s) waived."]
        for kind, entries in (("Expired", waivers["expired"]), ("Unused", waivers["unused"])):
            lines += [
                f"- {kind} waiver (line {w.get('line')}): {md_code(w['check'])}, "
                f"owner {md_escape(cut(w.get('owner') or '-'))}, expires {w['expires']}"
                for w in entries
            ]
        lines.append("")
    reasons = triage.not_assessed_groups(report)
    if reasons:
        lines += ["### Not assessed", "", "| count | reason | where |", "|---:|---|---|"]
        for group in reasons:
            permission = f" (missing permission {md_code(group['permission'], True)})" if group["permission"] else ""
            where = ", ".join(md_code(cut(w, 60), True) for w in group["what"][:5])
            lines.append(f"| {group['count']} | {md_escape(cut(group['reason'], 200))}{permission} | {where} |")
        lines.append("")
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > LIMIT:
        note = "\n_Truncated to fit GitHub's 64 KB comment limit; the HTML and JSON reports hold everything._\n"
        budget = LIMIT - len(note.encode())
        text = text.encode()[:budget].decode("utf-8", "ignore")
        text = text[: text.rfind("\n") + 1] + note
    return text.encode("utf-8")


def _checklist_evidence(report: dict[str, Any]) -> list[str]:
    """What the snapshot says beside each manual checklist item, and the attestations it contradicts."""
    items = [i for i in report.get("checklist", []) if i.get("evidence")]
    if not items:
        return []
    lines = ["### Evidence beside the manual checklist items", ""]
    for item in items:
        evidence = item["evidence"]
        lines.append(f"- {md_escape(item['title'])}: {item['status']}; snapshot evidence {evidence['status']}")
        contradicted = (item.get("attestation") or {}).get("contradicted")
        if contradicted:
            lines.append(f"  - ⚠️ attestation contradicted: {md_escape(contradicted)}")
        for finding in evidence["findings"][:10]:
            lines.append(
                f"  - `{finding['checkId']}` {md_escape(finding['resourceName'])}: {md_escape(finding['message'])}"
            )
        total = evidence.get("findingCount") or len(evidence["findings"])
        if total > 10:
            lines.append(f"  - and {total - 10} more")
    return [*lines, ""]
