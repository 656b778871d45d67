"""What a reader needs first, worked out once for every format: the checklist with its failing
findings, the failures to fix first, readiness counts per area, grouped not-assessed reasons and
remediation commands filled in for each resource.

Everything here reads the JSON report document only, so `golive report` shows the same facts.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterable
from typing import Any

SEVERITIES = ["critical", "high", "medium", "low", "info"]
#: How a checklist status reads in a sentence.
CHECKLIST_LABELS = {
    "pass": "ready",
    "attested": "ready",
    "fail": "failing",
    "error": "failing",
    "not_assessed": "not assessed",
    "manual": "awaiting attestation",
    "stale": "attestation stale",
    "not_applicable": "not applicable",
}
READY_STATUSES = ("pass", "attested")
AWAITING_STATUSES = ("manual", "stale")
#: Findings a reader must act on; the rest (pass, not applicable, waived) sit behind one toggle.
ACTION_STATUSES = ("fail", "error", "not_assessed")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def area_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per area: passed out of judged, as the terminal prints it. A waived failure is judged but
    not passed: someone accepted it, nobody fixed it."""
    rows = []
    for area in report["summary"]["areas"]:
        counts = area["counts"]
        judged = sum(counts.get(s, 0) for s in ("pass", "waived", "fail", "error", "not_assessed"))
        rows.append(
            {
                "id": area["id"],
                "title": area["title"],
                "status": area["status"],
                "passed": counts.get("pass", 0),
                "judged": judged,
                "failed": counts.get("fail", 0),
                "errors": counts.get("error", 0),
                "notAssessed": counts.get("not_assessed", 0),
                "waived": counts.get("waived", 0),
                "notApplicable": counts.get("not_applicable", 0),
            }
        )
    return rows


def failing_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Failures grouped by check, most severe first, then the most resources: what to fix first."""
    checks = {c["id"]: c for c in report["checks"]}
    counts = Counter(f["checkId"] for f in report["findings"] if f["status"] == "fail")
    rows = [
        {
            "id": check_id,
            "title": checks[check_id]["title"] if check_id in checks else check_id,
            "severity": checks[check_id]["severity"] if check_id in checks else "info",
            "area": checks[check_id]["area"] if check_id in checks else "",
            "checklist": checks[check_id]["checklist"] if check_id in checks else "",
            "count": count,
        }
        for check_id, count in counts.items()
    ]
    rows.sort(key=lambda r: (severity_rank(r["severity"]), -r["count"], r["id"]))
    return rows


def checklist_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each checklist item with the failing checks behind it, their findings' count and worst
    severity, and whether its attestation is stale or contradicted by failing checks."""
    failing = failing_checks(report)
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in failing:
        by_item.setdefault(row["checklist"], []).append(row)
    everything = [r for rows in by_item.values() for r in rows]
    out = []
    for item in report["checklist"]:
        mine = everything if item["id"] == "environment-validated" else by_item.get(item["id"], [])
        mine = sorted(mine, key=lambda r: (severity_rank(r["severity"]), -r["count"], r["id"]))
        attestation = item.get("attestation")
        contradicted = bool(attestation) and item.get("automatedStatus") in ("fail", "error")
        out.append(
            {
                **item,
                "label": CHECKLIST_LABELS.get(item["status"], item["status"].replace("_", " ")),
                "failing": mine,
                "failingFindings": sum(r["count"] for r in mine),
                "worstSeverity": mine[0]["severity"] if mine else None,
                "contradicted": contradicted,
                "checkCount": len(item.get("checks", [])),
            }
        )
    return out


def checklist_totals(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    rows = list(rows)
    return {
        "total": len(rows),
        "ready": sum(1 for r in rows if r["status"] in READY_STATUSES),
        "awaiting": sum(1 for r in rows if r["status"] in AWAITING_STATUSES),
        "failing": sum(1 for r in rows if r["status"] in ("fail", "error")),
    }


def not_assessed_groups(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Why things could not be assessed, one row per reason with how often it happened and the
    permission that was missing, instead of one row per finding."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def add(reason: str, permission: str, what: str) -> None:
        group = groups.setdefault(
            (reason, permission), {"reason": reason, "permission": permission, "count": 0, "what": []}
        )
        group["count"] += 1
        if what not in group["what"]:
            group["what"].append(what)

    coverage = report.get("coverage", {})
    for gap in coverage.get("gaps", []):
        add(str(gap.get("reason", "not collected")), "", str(gap.get("type", "")))
    for failure in coverage.get("failures", []):
        reason = " ".join(str(failure.get(k) or "") for k in ("errorCode", "message")).strip() or "collection failed"
        add(reason, str(failure.get("permission") or ""), str(failure.get("type", "")))
    for finding in report["findings"]:
        if finding["status"] in ("not_assessed", "error"):
            prefix = "error: " if finding["status"] == "error" else ""
            add(prefix + str(finding["evidence"]["message"]), "", finding["checkId"])
    return sorted(groups.values(), key=lambda g: (-g["count"], g["reason"]))


_FINDING_FIELDS = {
    "name": "resourceName",
    "resourceGroup": "resourceGroup",
    "subscription": "subscriptionId",
    "subscriptionId": "subscriptionId",
    "id": "resourceId",
}
_PLACEHOLDER = re.compile(r"\{(name|resourceGroup|subscription|subscriptionId|id)\}")


def has_placeholder(template: str) -> bool:
    return _PLACEHOLDER.search(template) is not None


def fill_command(template: str, finding: dict[str, Any]) -> str:
    """An `az` command with this resource's name, group, id and subscription in place, each quoted
    for a POSIX shell: a name is attacker-controlled text and must stay one argument."""
    values = {key: str(finding.get(field) or "") for key, field in _FINDING_FIELDS.items()}

    def substitute(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return shlex.quote(value) if value else f"<{match.group(1)}>"

    command = _PLACEHOLDER.sub(substitute, template)
    subscription = values["subscription"]
    needs_subscription = "{subscription" not in template and not template.startswith("az rest")
    if subscription and needs_subscription and command.startswith("az ") and "\n" not in command:
        command += " --subscription " + shlex.quote(subscription)
    return command


def fill_bicep(template: str, finding: dict[str, Any]) -> str:
    """A Bicep snippet with the name in place, as a Bicep string literal."""

    def literal(match: re.Match[str]) -> str:
        value = str(finding.get(_FINDING_FIELDS[match.group(1)]) or "")
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\$") + "'"

    return _PLACEHOLDER.sub(literal, template)
