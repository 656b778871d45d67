"""The summary printed after an audit: counts, readiness per area, the worst failures, the files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

_STATUS_COLOURS = {"pass": "green", "fail": "red", "error": "magenta", "not_assessed": "yellow"}
_SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
_MARKS = {"pass": "ok", "fail": "FAIL", "error": "ERR", "not_assessed": "??", "not_applicable": "--"}


def _clean(text: str) -> str:
    """Snapshot text is attacker-controlled: keep control characters and bidi overrides off the terminal."""
    return "".join(
        ch if ch.isprintable() and not ("\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069") else "?"
        for ch in text
    )


def _short(text: str, width: int) -> str:
    text = _clean(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_summary(
    report: dict[str, Any],
    written: list[str],
    *,
    colour: bool,
    verbose: int = 0,
    fail_on: str = "high",
    limit: int = 10,
    notes: list[str] | None = None,
) -> str:
    def paint(text: str, status: str) -> str:
        fg = _STATUS_COLOURS.get(status)
        return click.style(text, fg=fg, bold=status == "fail") if colour and fg else text

    lines: list[str] = []
    out: Callable[[str], None] = lines.append
    summary = report["summary"]
    scope = report["scope"]
    subs = scope.get("subscriptions", [])
    out(
        f"golive {report['tool']['version']} · {_clean(report['snapshot'].get('source', ''))} · "
        f"{len(subs)} subscription{'s' if len(subs) != 1 else ''} · "
        f"{report['snapshot'].get('resourceCount', 0)} resources · {len(report['checks'])} checks"
    )
    if report["coverage"].get("mode") != "complete":
        out(paint(f"Coverage: {report['coverage'].get('note', 'unknown')}", "not_assessed"))
    out("")
    by_status = summary["byStatus"]
    out(
        "Verdicts   "
        + " · ".join(
            paint(f"{name.replace('_', ' ')} {by_status[name]}", name) for name in by_status if by_status[name]
        )
    )
    failures = summary["failuresBySeverity"]
    out("Failures   " + " · ".join(f"{sev} {failures[sev]}" for sev in _SEVERITY_ORDER))
    out("")
    out("Readiness by area")
    for area in summary["areas"]:
        counts = area["counts"]
        judged = counts["pass"] + counts["waived"] + counts["fail"] + counts["error"] + counts["not_assessed"]
        mark = _MARKS.get(area["status"], area["status"])
        out(
            f"  {paint(f'{mark:>4}', area['status'])}  {area['title']:<28} "
            f"{counts['pass'] + counts['waived']:>4}/{judged:<4} passed   "
            f"{counts['fail']} failed, {counts['not_assessed']} not assessed"
        )
    titles = {c["id"]: c["title"] for c in report["checks"]}
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    failing.sort(key=lambda f: (_SEVERITY_ORDER.index(f["severity"]), f["checkId"], f["resourceId"].lower()))
    if failing:
        out("")
        shown = failing if verbose else failing[:limit]
        out(f"Most severe failures ({len(shown)} of {len(failing)})")
        for f in shown:
            out(
                f"  {paint(f['severity'].upper().ljust(8), 'fail')} {f['checkId']:<34} "
                f"{_short(f['resourceName'], 30):<30} {_short(f['evidence']['message'], 90)}"
            )
            if verbose:
                out(f"           {_short(titles.get(f['checkId'], ''), 100)}")
    not_assessed = [f for f in report["findings"] if f["status"] in ("not_assessed", "error")]
    if not_assessed:
        out("")
        out(paint(f"Not assessed or errored ({len(not_assessed)})", "not_assessed"))
        for f in not_assessed if verbose else not_assessed[:limit]:
            out(f"  {f['checkId']:<34} {_short(f['resourceName'], 30):<30} {_short(f['evidence']['message'], 90)}")
        if not verbose and len(not_assessed) > limit:
            out(f"  … {len(not_assessed) - limit} more (-v lists all)")
    for problem in report.get("problems", []):
        out(paint(f"Plugin problem: {problem['source']} {problem['check']}: {problem['problem']}", "error"))
    items = report["checklist"]
    ready = sum(1 for i in items if i["status"] in ("pass", "attested"))
    manual = sum(1 for i in items if i["status"] in ("manual", "stale"))
    out("")
    out(f"Deployment checklist: {ready}/{len(items)} items ready, {manual} awaiting attestation")
    waivers = report.get("waivers")
    if waivers:
        out(
            f"Waivers: {waivers['applied']} finding(s) waived, {len(waivers['expired'])} expired, "
            f"{len(waivers['unused'])} unused"
        )
        for wildcard in waivers.get("wildcard", []):
            out(paint(f"Wildcard waiver (line {wildcard['line']}): check {wildcard['check']!r}", "error"))
    baseline = report.get("baseline")
    if baseline:
        counts = baseline["counts"]
        out(f"Against the baseline: {counts['new']} new, {counts['unchanged']} unchanged, {counts['fixed']} fixed")
    if written:
        out("Reports written:")
        for path in written:
            out(f"  {path}")
    for note in notes or []:
        out(paint(f"Note: {note}", "not_assessed"))
    at_or_above = _SEVERITY_ORDER[: _SEVERITY_ORDER.index(fail_on) + 1]
    blocking = sum(failures[s] for s in at_or_above)
    if summary["ready"]:
        out(paint("Result: READY — every check that applies passed", "pass"))
    elif blocking:
        out(paint(f"Result: NOT READY — {blocking} failure(s) at or above {fail_on}", "fail"))
    elif not any(by_status[s] for s in ("pass", "waived", "fail", "error", "not_assessed")):
        out(paint("Result: NOT READY — no check applied to anything in this snapshot", "not_assessed"))
    else:
        out(paint("Result: NOT READY — see the findings above", "not_assessed"))
    return "\n".join(lines)
