"""The HTML report: one self-contained page, safe to share, that answers first.

Top of the page: the verdict, the scope, the deployment checklist with the failing findings behind
each item, then the failures to fix first. Below: the findings, failures first, grouped by check.

Every value from the snapshot goes through Jinja2's autoescaping, so it is text, never markup, and
through `visible()` (the environment's finalize hook), so bidi and invisible characters show as
<U+202E>. The page loads nothing: its stylesheet and script are inline and pinned by hash in a
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
from auditor.reports import triage
from auditor.reports.safe_text import NAME_LIMIT, cut, visible
from auditor.reports.text import is_safe_url

STATUS_ORDER = ["fail", "error", "not_assessed", "waived", "pass", "not_applicable", "manual"]
SEVERITIES = triage.SEVERITIES
OBSERVED_LIMIT = 200
#: Filled-in remediation snippets per check; past this the template with placeholders stands for the rest.
SNIPPETS_PER_CHECK = 5
FIX_FIRST_SHOWN = 10


def _asset(name: str) -> str:
    return resources.files("auditor.report_templates").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _text(value: object) -> str:
    # An empty string shows as "" rather than as nothing at all.
    text = value if isinstance(value, str) and value else json.dumps(value, ensure_ascii=False)
    return cut(text, OBSERVED_LIMIT)


def _finalize(value: object) -> object:
    """Every {{ value }} in the template: invisible characters spelled out, markup left alone."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(value)


def _finding_view(finding: dict[str, Any]) -> dict[str, Any]:
    evidence = finding["evidence"]
    view = {
        **finding,
        # 16 hex digits of the fingerprint name the row's anchor: unique enough, and half the bytes.
        "anchor": finding["fingerprint"][:16],
        "longId": len(finding["resourceId"]) > 2 * NAME_LIMIT,
        "longName": len(finding["resourceName"]) > NAME_LIMIT,
        "cutName": cut(finding["resourceName"]),
        "ok": finding["status"] not in triage.ACTION_STATUSES,
        "observations": [
            {"path": o.get("path", ""), "text": _text(o.get("observed")), "default": o.get("defaultApplied")}
            for o in evidence.get("observations", [])
        ],
        "expectedText": _text(evidence["expected"]) if "expected" in evidence else None,
    }
    return view


def _remediations(check: dict[str, Any], findings: list[dict[str, Any]]) -> list[dict[str, str]]:
    remediation = check["remediation"]
    templated_bicep = triage.has_placeholder(remediation.get("bicep") or "")
    out = []
    for finding in findings[:SNIPPETS_PER_CHECK]:
        out.append(
            {
                "name": finding["resourceName"],
                "cutName": cut(finding["resourceName"]),
                "az": triage.fill_command(remediation["az"], finding) if remediation.get("az") else "",
                "bicep": triage.fill_bicep(remediation["bicep"], finding) if templated_bicep else "",
            }
        )
    return out


def _view(report: dict[str, Any]) -> dict[str, Any]:
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["checkId"], []).append(finding)
    sub_names = {
        s["subscriptionId"].lower(): s.get("displayName") or "" for s in report["scope"].get("subscriptions", [])
    }
    subscriptions = sorted({f["subscriptionId"] for f in report["findings"] if f["subscriptionId"]})
    groups = sorted({f["resourceGroup"] for f in report["findings"] if f["resourceGroup"]}, key=str.lower)
    # With one subscription the filter has nothing to choose between: rows need not carry it.
    sub_index = {s: i for i, s in enumerate(subscriptions)} if len(subscriptions) > 1 else {}
    group_index = {g: i for i, g in enumerate(groups)}
    areas = []
    for area in triage.area_rows(report):
        checks = []
        for check in (c for c in report["checks"] if c["area"] == area["id"]):
            raw = sorted(
                by_check.get(check["id"], []),
                key=lambda f: (STATUS_ORDER.index(f["status"]), f["resourceId"].lower()),
            )
            findings = [
                {
                    **_finding_view(f),
                    "sub": sub_index.get(f["subscriptionId"], ""),
                    "group": group_index.get(f["resourceGroup"], ""),
                }
                for f in raw
            ]
            # What every finding expects is said once, in the check's header: at 5,000 findings the
            # repeated sentence is a measurable share of the page.
            expected = {f["expectedText"] for f in findings}
            shared_expected = expected.pop() if len(findings) > 1 and len(expected) == 1 else None
            if shared_expected is not None:
                for view in findings:
                    view["expectedText"] = None
            statuses = {f["status"] for f in raw}
            status = next((s for s in STATUS_ORDER if s in statuses), "not_applicable")
            item = ITEMS_BY_ID.get(check["checklist"])
            failing = [f for f in raw if f["status"] == "fail"]
            checks.append(
                {
                    **check,
                    "findings": findings,
                    "expectedText": shared_expected,
                    "status": status,
                    "ok": status not in triage.ACTION_STATUSES,
                    "counts": {s: sum(1 for f in raw if f["status"] == s) for s in STATUS_ORDER if s in statuses},
                    "checklistTitle": item.title if item else check["checklist"],
                    "safeRefs": [r for r in check["refs"] if is_safe_url(r)],
                    "fixes": _remediations(check, failing),
                    "moreFixes": max(0, len(failing) - SNIPPETS_PER_CHECK),
                }
            )
        checks.sort(key=lambda c: (STATUS_ORDER.index(c["status"]), triage.severity_rank(c["severity"]), c["id"]))
        if checks:
            areas.append({**area, "checks": checks, "ok": all(c["ok"] for c in checks)})
    checklist = triage.checklist_rows(report)
    fix_first = triage.failing_checks(report)
    action = sum(1 for f in report["findings"] if f["status"] in triage.ACTION_STATUSES)
    return {
        "areas": areas,
        "areaRows": triage.area_rows(report),
        "checklist": checklist,
        "checklistTotals": triage.checklist_totals(checklist),
        "fixFirst": fix_first[:FIX_FIRST_SHOWN],
        "fixLater": fix_first[FIX_FIRST_SHOWN:],
        "notAssessed": triage.not_assessed_groups(report),
        "waived": [f for f in report["findings"] if f["status"] == "waived"],
        "actionCount": action,
        "otherCount": len(report["findings"]) - action,
        "severities": SEVERITIES,
        "statuses": [s for s in STATUS_ORDER if s != "manual"],
        "subscriptions": [
            {"index": i, "id": s, "name": sub_names.get(s.lower(), "")} for i, s in enumerate(subscriptions)
        ],
        "groups": [{"index": i, "name": g} for i, g in enumerate(groups)],
    }


def render(report: dict[str, Any], **_: Any) -> bytes:
    from jinja2 import Environment, FunctionLoader

    from auditor.reports.exposure_svg import render_svg

    # The loader lets the page include partial templates shipped beside it ({% include "x.html.j2" %}).
    env = Environment(
        loader=FunctionLoader(_asset),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.tests["safe_url"] = is_safe_url
    env.filters["cut"] = cut
    template = env.get_template("report.html.j2")
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
