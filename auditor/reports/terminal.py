"""The summary printed after an audit: counts, readiness per area, the failing checks to fix first
(one line per check, naming the resources), the files.

It fits the terminal's width (100 columns when the output is not a terminal), spells out bidi and
invisible characters from the snapshot as <U+202E>, and names what needs a person's attention:
expired and unused waivers, stale and contradicted attestations.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import click

from auditor.reports.safe_text import visible
from auditor.reports.triage import area_rows, checklist_rows, checklist_totals, failing_checks

_STATUS_COLOURS = {"pass": "green", "fail": "red", "error": "magenta", "not_assessed": "yellow"}
_SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
_MARKS = {"pass": "ok", "fail": "FAIL", "error": "ERR", "not_assessed": "??", "not_applicable": "--"}
#: Width when stdout is a file or a pipe (CI logs): wide enough to read, narrow enough not to wrap.
PIPE_WIDTH = 100
MIN_WIDTH = 60
#: From this width a failure fits on one line with its message.
WIDE = 140


def columns(text: str) -> int:
    """How many terminal columns `text` takes: East Asian wide and full-width characters take two,
    combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _short(text: object, width: int) -> str:
    """`text` made visible and cut to `width` terminal columns."""
    text = visible(text)
    width = max(1, width)
    if columns(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        used += columns(ch)
        if used > width - 1:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - columns(text))


def _row(prefix: str, *cells: tuple[object, int], rest: object, width: int) -> str:
    """Cells cut and padded to their widths, then `rest` in whatever the line has left."""
    line = prefix + "".join(_pad(_short(text, size), size) + " " for text, size in cells)
    return line + _short(rest, max(8, width - columns(line)))


def _failure_line(severity: str, cells: list[tuple[object, int]], rest: object, width: int) -> str:
    """SEVERITY, the cells and `rest` on one line when the terminal is wide; narrower, the cells
    joined by ' · ' and `rest` on a line of its own rather than a few cut words."""
    if width >= WIDE:
        return _row("  ", (severity.upper(), 8), *cells, rest=rest, width=width)
    line = _row("  ", (severity.upper(), 8), rest=" · ".join(str(text) for text, _ in cells), width=width)
    return line + "\n" + _short("           " + visible(rest), width)


def _paint_failure(line: str, paint: Callable[[str, str], str]) -> str:
    """The severity column in the failure colour."""
    return paint(line[:10], "fail") + line[10:]


def _fix_first(
    out: Callable[[str], None],
    paint: Callable[[str, str], str],
    report: dict[str, Any],
    failing: list[dict[str, Any]],
    *,
    id_width: int,
    width: int,
    limit: int | None,
) -> None:
    """One line per failing check, worst first, with the resources it fails on: a hole that spans
    six resources takes one line, so the ten lines show ten different things to fix."""
    rows = failing_checks(report)
    shown = rows if limit is None else rows[:limit]
    names: dict[str, list[str]] = {}
    for f in failing:
        names.setdefault(f["checkId"], []).append(f["resourceName"] or f["resourceId"])
    id_width = max(id_width, min(width // 3, max((len(row["id"]) for row in shown), default=0)))
    out(f"What to fix first ({len(shown)} of {len(rows)} failing checks, {len(failing)} failures)")
    for row in shown:
        resources = names.get(row["id"], [])
        where = (f"{len(resources)} resources: " if len(resources) > 1 else "") + ", ".join(resources)
        out(_paint_failure(_failure_line(row["severity"], [(row["id"], id_width)], where, width), paint))
        out(_short("           " + visible(row["title"]), width))


def _every_failure(
    out: Callable[[str], None],
    paint: Callable[[str, str], str],
    failing: list[dict[str, Any]],
    *,
    id_width: int,
    name_width: int,
    width: int,
) -> None:
    out(f"Every failure ({len(failing)})")
    for f in failing:
        cells = [(f["checkId"], id_width), (f["resourceName"], name_width)]
        out(_paint_failure(_failure_line(f["severity"], cells, f["evidence"]["message"], width), paint))


def render_summary(
    report: dict[str, Any],
    written: list[str],
    *,
    colour: bool,
    verbose: int = 0,
    fail_on: str = "high",
    limit: int = 10,
    notes: list[str] | None = None,
    width: int = PIPE_WIDTH,
) -> str:
    width = max(MIN_WIDTH, width)

    def paint(text: str, status: str) -> str:
        fg = _STATUS_COLOURS.get(status)
        return click.style(text, fg=fg, bold=status == "fail") if colour and fg else text

    lines: list[str] = []
    out: Callable[[str], None] = lines.append
    summary = report["summary"]
    subs = report["scope"].get("subscriptions", [])
    out(
        _short(
            f"golive {report['tool']['version']} · {report['snapshot'].get('source', '')} · "
            f"{len(subs)} subscription{'s' if len(subs) != 1 else ''} · "
            f"{report['snapshot'].get('resourceCount', 0)} resources · {len(report['checks'])} checks",
            width,
        )
    )
    if report["coverage"].get("mode") != "complete":
        out(paint(_short(f"Coverage: {report['coverage'].get('note', 'unknown')}", width), "not_assessed"))
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
    title_width = min(28, max(10, width - 60))
    for area in area_rows(report):
        mark = _MARKS.get(area["status"], area["status"])
        waived = f", {area['waived']} waived" if area["waived"] else ""
        out(
            f"  {paint(f'{mark:>4}', area['status'])}  {_pad(_short(area['title'], title_width), title_width)} "
            f"{area['passed']:>4}/{area['judged']:<4} passed   "
            f"{area['failed']} failed, {area['notAssessed']} not assessed{waived}"
        )
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    failing.sort(key=lambda f: (_SEVERITY_ORDER.index(f["severity"]), f["checkId"], f["resourceId"].lower()))
    id_width = min(34, max((len(f["checkId"]) for f in report["findings"]), default=10), width // 3)
    name_width = min(30, width // 5)
    if failing:
        out("")
        _fix_first(out, paint, report, failing, id_width=id_width, width=width, limit=None if verbose else limit)
    if failing and verbose:
        out("")
        _every_failure(out, paint, failing, id_width=id_width, name_width=name_width, width=width)
    not_assessed = [f for f in report["findings"] if f["status"] in ("not_assessed", "error")]
    if not_assessed:
        out("")
        out(paint(f"Not assessed or errored ({len(not_assessed)})", "not_assessed"))
        for f in not_assessed if verbose else not_assessed[:limit]:
            out(
                _row(
                    "  ",
                    (f["checkId"], id_width),
                    (f["resourceName"], name_width),
                    rest=f["evidence"]["message"],
                    width=width,
                )
            )
        if not verbose and len(not_assessed) > limit:
            out(f"  … {len(not_assessed) - limit} more (-v lists all)")
    for problem in report.get("problems", []):
        out(
            paint(
                _short(f"Plugin problem: {problem['source']} {problem['check']}: {problem['problem']}", width), "error"
            )
        )
    items = checklist_rows(report)
    totals = checklist_totals(items)
    out("")
    out(
        f"Deployment checklist: {totals['ready']}/{totals['total']} items ready, "
        f"{totals['awaiting']} awaiting attestation"
    )
    for item in items:
        attestation = item.get("attestation")
        if not attestation:
            continue
        who = f"{attestation['by']}, {attestation['date']}"
        if attestation.get("stale"):
            out(
                paint(
                    _short(f"  Stale attestation: {item['id']} ({who}) is older than the allowed age", width),
                    "not_assessed",
                )
            )
        if item["contradicted"]:
            out(paint(_short(f"  Contradicted attestation: {item['id']} ({who}) but its checks fail", width), "fail"))
    waivers = report.get("waivers")
    if waivers:
        out(
            f"Waivers: {waivers['applied']} finding(s) waived, {len(waivers['expired'])} expired, "
            f"{len(waivers['unused'])} unused"
        )
        for kind, entries in (("Expired", waivers["expired"]), ("Unused", waivers["unused"])):
            for w in entries:
                target = w.get("resource") or w.get("tag") or "any resource"
                when = f", expired {w['expires']}" if kind == "Expired" else ", matches no failing finding"
                out(
                    paint(
                        _short(f"  {kind} waiver (line {w.get('line')}): {w['check']} on {target}{when}", width),
                        "not_assessed",
                    )
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
            out(f"  {visible(path)}")
    for note in notes or []:
        out(paint(f"Note: {visible(note)}", "not_assessed"))
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
