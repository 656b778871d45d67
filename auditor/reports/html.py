"""The HTML report: one self-contained page, safe to share.

Every value from the snapshot goes through Jinja2's autoescaping, so it is text, never markup.
The page loads nothing: its stylesheet and script are inline and pinned by hash in a
Content-Security-Policy that forbids every other source.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources
from typing import Any

from markupsafe import Markup

from auditor.checklist import ITEMS_BY_ID

STATUS_ORDER = ["fail", "error", "not_assessed", "waived", "pass", "not_applicable", "manual"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]
OBSERVED_LIMIT = 200


def _asset(name: str) -> str:
    return resources.files("auditor.report_templates").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def is_safe_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith("https://") and not any(c.isspace() for c in value)


def _short_id(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    return "…/" + "/".join(parts[-2:]) if len(parts) > 4 else resource_id


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= OBSERVED_LIMIT else text[:OBSERVED_LIMIT] + "…"


def _view(report: dict[str, Any]) -> dict[str, Any]:
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        f = dict(finding)
        f["shortId"] = _short_id(f["resourceId"])
        f["evidence"] = dict(f["evidence"])
        f["evidence"]["observations"] = [
            {**o, "observedText": _text(o.get("observed"))} for o in f["evidence"]["observations"]
        ]
        if "expected" in f["evidence"]:
            f["expectedText"] = _text(f["evidence"]["expected"])
        by_check.setdefault(f["checkId"], []).append(f)
    areas = []
    for area in report["summary"]["areas"]:
        checks = []
        for check in (c for c in report["checks"] if c["area"] == area["id"]):
            findings = sorted(
                by_check.get(check["id"], []), key=lambda f: (STATUS_ORDER.index(f["status"]), f["resourceId"].lower())
            )
            statuses = {f["status"] for f in findings}
            status = next((s for s in STATUS_ORDER if s in statuses), "not_applicable")
            item = ITEMS_BY_ID.get(check["checklist"])
            checks.append(
                {
                    **check,
                    "findings": findings,
                    "status": status,
                    "checklistTitle": item.title if item else check["checklist"],
                    "safeRefs": [r for r in check["refs"] if is_safe_url(r)],
                }
            )
        checks.sort(key=lambda c: (STATUS_ORDER.index(c["status"]), SEVERITIES.index(c["severity"]), c["id"]))
        if checks:
            areas.append({**area, "checks": checks})
    return {
        "areas": areas,
        "severities": SEVERITIES,
        "statuses": [s for s in STATUS_ORDER if s != "manual"],
        "subscriptions": sorted({f["subscriptionId"] for f in report["findings"] if f["subscriptionId"]}),
        "groups": sorted({f["resourceGroup"] for f in report["findings"] if f["resourceGroup"]}, key=str.lower),
    }


def render(report: dict[str, Any], **_: Any) -> bytes:
    from jinja2 import Environment, FunctionLoader

    from auditor.reports.exposure_svg import render_svg

    env = Environment(loader=FunctionLoader(_asset), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.tests["safe_url"] = is_safe_url
    template = env.from_string(_asset("report.html.j2"))
    css, js = _asset("report.css"), _asset("report.js")
    csp = (
        f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(js)}; img-src data:; "
        "base-uri 'none'; form-action 'none'; connect-src 'none'"
    )
    ready = report["summary"]["ready"]
    html = template.render(
        report=report,
        headline="ready for production" if ready else "not ready for production",
        csp=csp,
        css=Markup(css),
        js=Markup(js),
        exposure_svg=Markup(render_svg(report)),  # built from escaped text only
        **_view(report),
    )
    return html.encode("utf-8")
