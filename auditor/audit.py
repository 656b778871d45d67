"""The audit as a library call: snapshot and settings in, JSON report document out."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from auditor import baseline, checklist, engine, exposure, registry, result, waivers
from auditor.config import Config, resolve_checks
from auditor.inventory import Inventory
from auditor.model import Area, Check, Finding, InputError, Severity
from auditor.snapshot import COVERAGE_COMPLETE, COVERAGE_TOP_LEVEL, Snapshot
from auditor.suggest import check_waiver_ids, did_you_mean

_COVERAGE_NOTES = {
    COVERAGE_COMPLETE: "the snapshot lists what was collected",
    COVERAGE_TOP_LEVEL: "Resource Graph output: top-level resources only; checks that need child or "
    "extension resources are not assessed",
    "unknown": "a plain list of resources: coverage is unknown, so absence proves nothing",
}


@dataclass
class AuditRequest:
    snapshot: Snapshot
    config: Config = field(default_factory=Config)
    only: Sequence[str] = ()
    skip: Sequence[str] = ()
    checks_dirs: Sequence[Path] = ()
    attestations: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    today: date | None = None
    #: Let the snapshot's resources go once they are judged, before the report is built: the
    #: parsed snapshot and the report would otherwise be in memory together. The snapshot's
    #: resource list is emptied; set by the CLI, which needs it no more.
    release_snapshot: bool = False


def _matches(check: Check, pattern: str) -> bool:
    pattern = pattern.strip().lower()
    return pattern == check.meta.area.value or fnmatch.fnmatchcase(check.meta.id, pattern)


def select(checks: Iterable[Check], only: Sequence[str], skip: Sequence[str], disabled: set[str]) -> list[Check]:
    checks = list(checks)
    areas = {a.value for a in Area}
    for pattern in (*only, *skip):
        if pattern.lower() not in areas and not any(_matches(c, pattern) for c in checks):
            hint = did_you_mean(pattern, [*areas, *(c.meta.id for c in checks)])
            raise InputError("--only/--skip", f"{pattern!r} matches no check id and no area{hint}")
    chosen = [c for c in checks if c.meta.id not in disabled]
    if only:
        chosen = [c for c in chosen if any(_matches(c, p) for p in only)]
    chosen = [c for c in chosen if not any(_matches(c, p) for p in skip)]
    if checks and not chosen:
        # An audit of nothing would exit 0 and read as "ready".
        raise InputError("--only/--skip", "leave no check to run")
    return chosen


def load_catalogue(checks_dirs: Sequence[Path]) -> registry.Catalogue:
    for directory in checks_dirs:
        if not Path(directory).is_dir():
            raise InputError(str(directory), "is not a directory of checks")
    catalogue = registry.discover(checks_dirs)
    if catalogue.duplicates:
        raise InputError("checks", "; ".join(catalogue.duplicates))
    return catalogue


def coverage_section(inventory: Inventory, checks: Iterable[Check]) -> dict[str, Any]:
    needed = sorted({t for c in checks for t in c.meta.needs}, key=str.lower)
    gaps = []
    for sub in inventory.subscriptions():
        for rtype in needed:
            reason = inventory.gap(rtype, sub)
            if reason is not None:
                gaps.append({"subscriptionId": sub, "type": rtype, "reason": reason})
    failures = [e for e in inventory.snapshot.coverage if not e["collected"]]
    mode = inventory.coverage_mode
    return {"mode": mode, "note": _COVERAGE_NOTES[mode], "gaps": gaps, "failures": failures}


@dataclass(frozen=True)
class Selection:
    """The checks a run uses, with their parameters and severity overrides, and how they were chosen."""

    checks: list[Check]
    params: dict[str, dict[str, Any]]
    severities: dict[str, Severity]
    only: list[str]
    skip: list[str]
    problems: list[dict[str, str]]
    known_ids: frozenset[str] = frozenset()  # every loaded check, chosen or not: what waivers may name


def choose_checks(config: Config, only: Sequence[str], skip: Sequence[str], checks_dirs: Sequence[Path]) -> Selection:
    """The command line's --only wins over the config's; skips add up; the config can switch single
    checks off. The audit and the collection it plans both choose here."""
    catalogue = load_catalogue([*config.checks_dirs, *checks_dirs])
    params, severities, disabled = resolve_checks(config, catalogue.by_id())
    chosen_only, chosen_skip = list(only) or config.only, [*config.skip, *skip]
    checks = select(catalogue.checks, chosen_only, chosen_skip, disabled)
    known = frozenset(c.meta.id for c in catalogue.checks)
    return Selection(checks, params, severities, chosen_only, chosen_skip, catalogue.problems, known)


def _drain(items: list[Finding]) -> Iterator[Finding]:
    """Yield the items in order, removing each from the list as it goes."""
    items.reverse()
    while items:
        yield items.pop()


def run_audit(request: AuditRequest) -> dict[str, Any]:
    started = datetime.now(timezone.utc)
    config = request.config
    chosen = choose_checks(config, request.only, request.skip, request.checks_dirs)
    checks = chosen.checks
    # Inputs first: a bad waiver or attestation file fails before the audit spends its time.
    attestation_path = request.attestations or config.attestations
    today = request.today or started.date()
    attestations = checklist.load_attestations(str(attestation_path), today) if attestation_path else []
    max_age = config.attestation_max_age_days or checklist.DEFAULT_MAX_AGE_DAYS
    waiver_path = request.waivers or config.waivers
    waiver_list = waivers.load(str(waiver_path)) if waiver_path else None
    if waiver_list:
        check_waiver_ids(waiver_list, chosen.known_ids, str(waiver_path))
    previous = baseline.load(str(request.baseline)) if request.baseline else None
    snap = request.snapshot
    inventory = Inventory(snap)
    findings = engine.run(checks, inventory, engine.RunOptions(params=chosen.params, severities=chosen.severities))
    # What the report needs from the snapshot, taken before it may be let go.
    ranges = chosen.params.get("network.waf-fronts-http", {}).get("allowed_ranges", [])
    exposure_map = exposure.graph_of(inventory, ranges).to_document()
    coverage = coverage_section(inventory, checks)
    snapshot_info = {"source": snap.source, "format": snap.source_format, "resourceCount": len(snap.resources)}
    # Application Insights may answer "" for tags: only objects count.
    tagged = (r for r in snap.resources if isinstance(r.get("tags"), dict)) if waiver_list else ()
    tags = {r["id"].lower(): r["tags"] for r in tagged}
    del inventory
    if request.release_snapshot:
        snap.resources = []

    def adjust(finding_docs: list[dict[str, Any]]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if waiver_list is not None:

            def tags_of(resource_id: str) -> dict[str, Any]:
                return tags.get(resource_id.lower(), {})

            extra["waivers"] = waivers.apply(finding_docs, waiver_list, today, tags_of, str(waiver_path))
        if previous is not None:
            extra["baseline"] = baseline.apply(finding_docs, previous, str(request.baseline))
        return extra

    finished = datetime.now(timezone.utc)
    report = result.build(
        findings=_drain(findings),  # each finding let go once it is a report entry: a lower peak
        checks=checks,
        severities=chosen.severities,
        params=chosen.params,
        snapshot_info=snapshot_info,
        scope=snap.scope,
        coverage=coverage,
        attestations=attestations,
        max_age_days=max_age,
        today=today,
        run={
            "startedAt": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "finishedAt": finished.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "config": config.summary() | {"only": chosen.only, "skip": chosen.skip},
            "attestations": str(attestation_path) if attestation_path else None,
            "attestationMaxAgeDays": max_age,
        },
        problems=chosen.problems,
        adjust=adjust,
    )
    report["exposure"] = exposure_map
    return report
