"""A Markdown summary for pull-request comments and $GITHUB_STEP_SUMMARY, under GitHub's 64 KB."""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor.reports.exposure_text import markdown_paths
from auditor.reports.text import md_escape

LIMIT = 64_000
SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
ICONS = {"pass": "✅", "fail": "❌", "not_assessed": "❔", "error": "💥", "not_applicable": "➖"}


def render(report: dict[str, Any], **_: Any) -> bytes:
    summary = report["summary"]
    titles = {c["id"]: c for c in report["checks"]}
    subs = ", ".join(
        md_escape(s.get("displayName") or s["subscriptionId"]) for s in report["scope"].get("subscriptions", [])
    )
    lines = [
        "## golive production readiness",
        "",
        f"**{'Ready' if summary['ready'] else 'Not ready'}** · scope: {subs or 'none'} · "
        f"{report['snapshot']['resourceCount']} resources · {len(report['checks'])} checks · "
        f"coverage: {md_escape(report['coverage']['note'])}",
        "",
        "| area | status | passed | failed | not assessed |",
        "|---|---|---:|---:|---:|",
    ]
    for area in summary["areas"]:
        c = area["counts"]
        lines.append(
            f"| {area['title']} | {ICONS.get(area['status'], '')} {area['status']} | {c['pass'] + c['waived']} "
            f"| {c['fail']} | {c['not_assessed']} |"
        )
    counts = summary["byStatus"]
    lines += ["", " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items() if v), ""]
    failing = Counter(f["checkId"] for f in report["findings"] if f["status"] == "fail")
    if failing:
        lines += ["### Failing checks", "", "| severity | check | resources |", "|---|---|---:|"]
        for check_id in sorted(failing, key=lambda i: (SEVERITY_ORDER.index(titles[i]["severity"]), i)):
            check = titles[check_id]
            lines.append(f"| {check['severity']} | `{check_id}` {md_escape(check['title'])} | {failing[check_id]} |")
        lines.append("")
    lines += markdown_paths(report)
    unassessed = [f for f in report["findings"] if f["status"] in ("not_assessed", "error")]
    if unassessed:
        lines += ["### Not assessed", ""]
        lines += [
            f"- `{f['checkId']}` {md_escape(f['resourceName'])}: {md_escape(f['evidence']['message'])}"
            for f in unassessed
        ]
        lines.append("")
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > LIMIT:
        note = "\n_Truncated to fit GitHub's 64 KB comment limit; the HTML and JSON reports hold everything._\n"
        budget = LIMIT - len(note.encode())
        text = text.encode()[:budget].decode("utf-8", "ignore")
        text = text[: text.rfind("\n") + 1] + note
    return text.encode("utf-8")
