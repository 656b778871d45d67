"""JUnit XML for Azure DevOps and GitLab: a suite per area, a case per check, a failure per
failing resource. not_assessed findings are skipped cases with their reason; errors are errors;
a check that applied to nothing is skipped too, not a passing test."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from auditor.reports.safe_text import visible


def _clean(text: str) -> str:
    """XML 1.0 forbids control characters, surrogates and U+FFFE/U+FFFF, which snapshot text may
    hold: each is spelled out as <U+XXXX>, like every invisible character, so the file stays
    well-formed and the reader sees what was there."""
    return "\n".join(visible(line) for line in str(text).split("\n"))


def render(report: dict[str, Any], **_: Any) -> bytes:
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["checkId"], []).append(finding)
    root = ET.Element("testsuites", name="golive")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for area in report["summary"]["areas"]:
        suite = ET.SubElement(root, "testsuite", name=_clean(area["title"]))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for check in (c for c in report["checks"] if c["area"] == area["id"]):
            findings = by_check.get(check["id"], [])
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"golive.{area['id']}",
                name=_clean(f"{check['id']}: {check['title']}"),
                time="0",
            )
            counts["tests"] += 1
            failed = [f for f in findings if f["status"] == "fail"]
            errors = [f for f in findings if f["status"] == "error"]
            unassessed = [f for f in findings if f["status"] == "not_assessed"]
            for f in failed:
                node = ET.SubElement(
                    case,
                    "failure",
                    message=_clean(f"{f['resourceName']}: {f['evidence']['message']}"),
                    type=check["severity"],
                )
                node.text = _clean(f"{f['resourceId']}\nexpected: {f['evidence'].get('expected', '')}")
            for f in errors:
                ET.SubElement(case, "error", message=_clean(f["evidence"]["message"]), type="error").text = _clean(
                    f["resourceId"]
                )
            if failed:
                counts["failures"] += 1
            elif errors:
                counts["errors"] += 1
            elif unassessed:
                ET.SubElement(
                    case,
                    "skipped",
                    message=_clean(
                        "not assessed: "
                        + "; ".join(f"{f['resourceName']}: {f['evidence']['message']}" for f in unassessed)
                    ),
                )
                counts["skipped"] += 1
            elif not any(f["status"] in ("pass", "waived") for f in findings):
                ET.SubElement(case, "skipped", message="not applicable: no resource this check reads was found")
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
