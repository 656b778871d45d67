"""CSV: one row per finding, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from auditor.reports.safe_text import visible

COLUMNS = [
    "checkId",
    "title",
    "severity",
    "area",
    "status",
    "resourceName",
    "resourceType",
    "subscriptionId",
    "resourceGroup",
    "resourceId",
    "message",
    "expected",
    "baselineState",
    "waiverJustification",
    "fingerprint",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Spreadsheets run cells that start with = + - @ (or a tab/CR before them) as formulas;
    invisible and bidi characters are spelled out as <U+202E>, as in every other format."""
    text = value if isinstance(value, str) else ("" if value is None else json.dumps(value, ensure_ascii=False))
    text = visible(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(report: dict[str, Any], **_: Any) -> bytes:
    checks = {c["id"]: c for c in report["checks"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in report["findings"]:
        check = checks.get(f["checkId"], {})
        row = {
            **f,
            "title": check.get("title", ""),
            "area": check.get("area", ""),
            "message": f["evidence"]["message"],
            "expected": f["evidence"].get("expected"),
            "waiverJustification": (f.get("waiver") or {}).get("justification"),
        }
        writer.writerow([safe_cell(row.get(column)) for column in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
