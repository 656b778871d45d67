"""The production guide's deployment checklist, and how each item's status is worked out.

An item is proven by checks (automated), by a person's attestation (manual), or both: "load
testing completed" needs the scale settings to pass and someone to attest the load test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from auditor.model import InputError
from auditor.suggest import did_you_mean


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    phase: str
    title: str
    automated: bool
    attested: bool


ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem("private-endpoints", "pre-production", "Private endpoints configured for all services", True, False),
    ChecklistItem("waf", "pre-production", "Application Gateway with WAF deployed", True, False),
    ChecklistItem("api-rate-limiting", "pre-production", "API Management configured with rate limiting", True, False),
    ChecklistItem(
        "managed-identity", "pre-production", "Managed Identity enabled (no connection strings)", True, False
    ),
    ChecklistItem("key-vault-secrets", "pre-production", "Key Vault integration for all secrets", True, False),
    ChecklistItem("monitoring-alerts", "pre-production", "Monitoring dashboards and alerts configured", True, False),
    ChecklistItem("load-testing", "pre-production", "Load testing completed at target scale", True, True),
    ChecklistItem("security-assessment", "pre-production", "Security assessment performed", False, True),
    ChecklistItem("disaster-recovery", "pre-production", "Disaster recovery procedures documented", False, True),
    ChecklistItem("environment-validated", "go-live", "Production environment validated", True, False),
    ChecklistItem("rollback-tested", "go-live", "Rollback procedures tested", False, True),
    ChecklistItem("support-trained", "go-live", "Support team trained and on standby", False, True),
    ChecklistItem("incident-playbooks", "go-live", "Incident response playbooks ready", False, True),
    ChecklistItem("performance-baselines", "go-live", "Performance baselines established", False, True),
    ChecklistItem("metrics-reviewed", "post-launch", "Metrics reviewed against targets", False, True),
    ChecklistItem("cost-optimization", "post-launch", "Cost optimization opportunities identified", True, True),
    ChecklistItem("roadmap-updated", "post-launch", "Continuous improvement roadmap updated", False, True),
    ChecklistItem("idle-timeout", "cost", "Idle sessions end after 60 seconds", False, True),
)
ITEMS_BY_ID: Mapping[str, ChecklistItem] = {item.id: item for item in ITEMS}

#: "Production environment validated" is the audit itself: every automated check counts toward it.
WHOLE_AUDIT_ITEM = "environment-validated"
DEFAULT_MAX_AGE_DAYS = 180


@dataclass(frozen=True)
class Attestation:
    item: str
    by: str
    on: date
    evidence: str


#: An attestation may carry tomorrow's date (UTC) where the attester's day is ahead; later is a typo.
FUTURE_TOLERANCE = timedelta(days=1)


def load_attestations(path: str, today: date | None = None) -> list[Attestation]:
    """Read attestations; with `today`, one dated after it (beyond a day of time zones) is an error:
    it would count as current for years."""
    from auditor.config import read_toml

    document = read_toml(path)
    unknown = set(document) - {"attestation"}
    if unknown:
        raise InputError(path, f"unknown key {sorted(unknown)[0]!r} (expected [[attestation]] tables)")
    entries = document.get("attestation", [])
    if not isinstance(entries, list):
        raise InputError(path, "'attestation' must be an array of tables ([[attestation]])")
    out: list[Attestation] = []
    for index, entry in enumerate(entries):
        where = f"attestation[{index}]"
        if not isinstance(entry, dict):
            raise InputError(path, "each attestation must be a table", where)
        extra = set(entry) - {"item", "by", "date", "evidence"}
        if extra:
            raise InputError(path, f"unknown key {sorted(extra)[0]!r}", where)
        for key in ("item", "by", "date", "evidence"):
            if key not in entry:
                raise InputError(path, f"missing required key {key!r}", where)
        if entry["item"] not in ITEMS_BY_ID:
            hint = did_you_mean(str(entry["item"]), [i.id for i in ITEMS if i.attested])
            raise InputError(path, f"unknown checklist item {entry['item']!r}{hint}", f"{where}.item")
        if not ITEMS_BY_ID[entry["item"]].attested:
            raise InputError(path, f"checklist item {entry['item']!r} is proven by checks, not attested", where)
        if not isinstance(entry["date"], date) or isinstance(entry["date"], datetime):
            raise InputError(path, "date must be a TOML date such as 2026-11-01 (not a date-time)", f"{where}.date")
        if today is not None and entry["date"] > today + FUTURE_TOLERANCE:
            raise InputError(path, f"date {entry['date'].isoformat()} is in the future", f"{where}.date")
        for key in ("by", "evidence"):
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise InputError(path, f"{key} must be a non-empty string", f"{where}.{key}")
        out.append(Attestation(entry["item"], entry["by"], entry["date"], entry["evidence"]))
    return out


def _worst(statuses: Iterable[str]) -> str:
    seen = set(statuses)
    for status in ("fail", "error", "not_assessed"):
        if status in seen:
            return status
    return "pass" if "pass" in seen else "not_applicable"


def evaluate(
    check_statuses: Mapping[str, list[str]],
    check_items: Mapping[str, str],
    attestations: list[Attestation],
    today: date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    findings: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Status per checklist item. check_statuses: check id -> statuses of its findings (waived counts
    as pass); check_items: check id -> checklist item id; findings: the report's finding documents,
    shown as evidence beside the manual items."""
    by_check: dict[str, list[Mapping[str, Any]]] = {}
    for finding in findings:
        by_check.setdefault(finding["checkId"], []).append(finding)
    latest: dict[str, Attestation] = {}
    for attestation in attestations:
        if attestation.item not in latest or attestation.on > latest[attestation.item].on:
            latest[attestation.item] = attestation
    out: list[dict[str, Any]] = []
    for item in ITEMS:
        if item.id == WHOLE_AUDIT_ITEM:
            checks = sorted(check_statuses)
        else:
            checks = sorted(c for c, i in check_items.items() if i == item.id)
        entry: dict[str, Any] = {
            "id": item.id,
            "phase": item.phase,
            "title": item.title,
            "mode": "both" if item.automated and item.attested else ("automated" if item.automated else "manual"),
            "checks": checks if item.id != WHOLE_AUDIT_ITEM else [],
        }
        parts: list[str] = []
        if item.automated:
            automated = _worst(s for c in checks for s in check_statuses.get(c, []))
            entry["automatedStatus"] = automated
            parts.append(automated if checks else "not_assessed")
        if item.attested:
            attestation = latest.get(item.id)
            if attestation is None:
                entry["attestation"] = None
                parts.append("manual")
            else:
                stale = attestation.on < today - timedelta(days=max_age_days)
                entry["attestation"] = {
                    "by": attestation.by,
                    "date": attestation.on.isoformat(),
                    "evidence": attestation.evidence,
                    "stale": stale,
                }
                parts.append("stale" if stale else "attested")
        entry["status"] = _combine(parts)
        if not item.automated and checks:
            _add_evidence(entry, checks, check_statuses, by_check)
        out.append(entry)
    return out


#: The problem statuses of evidence findings, worst first.
PROBLEM_ORDER = ("fail", "error", "not_assessed")
#: Evidence findings kept beside a manual item (the worst first); the count says how many there are.
#: Each is a finding the report already holds: at tenant scale a full copy would double them.
EVIDENCE_KEPT = 25


def _add_evidence(
    entry: dict[str, Any],
    checks: list[str],
    check_statuses: Mapping[str, list[str]],
    by_check: Mapping[str, list[Mapping[str, Any]]],
) -> None:
    """What the snapshot says about a manual item. The item stays manual (a person attests it); an
    attestation that the evidence contradicts (a failing finding) is flagged with what contradicts it."""
    status = _worst(s for c in checks for s in check_statuses.get(c, []))
    found = [f for c in checks for f in by_check.get(c, []) if f["status"] in PROBLEM_ORDER]
    found.sort(key=lambda f: PROBLEM_ORDER.index(f["status"]))  # stable: failures first, then check order
    problems = [
        {
            "checkId": f["checkId"],
            "resourceName": f.get("resourceName", ""),
            "status": f["status"],
            "message": (f.get("evidence") or {}).get("message", ""),
        }
        for f in found[:EVIDENCE_KEPT]
    ]
    entry["evidence"] = {"status": status, "findings": problems, "findingCount": len(found)}
    attestation = entry.get("attestation")
    failing = sum(1 for f in found if f["status"] == "fail")
    if attestation and failing:
        first = [p for p in problems if p["status"] == "fail"][:5]
        shown = "; ".join(f"{p['checkId']} on {p['resourceName']}: {p['message']}" for p in first)
        more = f" (and {failing - 5} more)" if failing > 5 else ""
        attestation["contradicted"] = f"attested, but the snapshot shows {shown}{more}"


def _combine(parts: list[str]) -> str:
    """One status from the automated and the manual halves: the worse one wins."""
    order = ["fail", "error", "not_assessed", "stale", "manual", "not_applicable", "pass", "attested"]
    return min(parts, key=order.index)
