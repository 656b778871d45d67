"""Baselines: compare an audit with a previous JSON report, finding by finding.

Findings are matched by fingerprint (a hash of check id and lower-cased resource id, the same
value SARIF's partialFingerprints carry), so renamed casing in ARM ids does not break matching.
"""

from __future__ import annotations

from typing import Any

from auditor.model import InputError
from auditor.snapshot import read_json_file, validate_document

# A waived finding still fails underneath: waiving it must not read as a fix.
PROBLEM = ("fail", "waived")


def load(path: str) -> dict[str, Any]:
    document = read_json_file(path)
    if not isinstance(document, dict) or "reportVersion" not in document:
        raise InputError(path, "is not a golive JSON report")
    validate_document(document, "report.schema.json", path)
    return document


def apply(findings: list[dict[str, Any]], previous: dict[str, Any], source: str) -> dict[str, Any]:
    """Set baselineState on each finding in place and return the report's baseline section."""
    before = {f["fingerprint"]: f for f in previous["findings"]}
    seen = set()
    counts = {"new": 0, "unchanged": 0, "fixed": 0}
    for finding in findings:
        old = before.get(finding["fingerprint"])
        seen.add(finding["fingerprint"])
        was_failing = old is not None and old["status"] in PROBLEM
        if finding["status"] in PROBLEM:
            state = "unchanged" if was_failing else "new"
        elif was_failing:
            state = "fixed"
        else:
            continue
        finding["baselineState"] = state
        counts[state] += 1
    gone = [
        {k: f[k] for k in ("checkId", "resourceId", "resourceName", "severity", "fingerprint")}
        for fp, f in sorted(before.items())
        if fp not in seen and f["status"] in PROBLEM
    ]
    counts["fixed"] += len(gone)
    return {"file": source, "counts": counts, "gone": gone}
