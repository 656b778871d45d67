"""Joining the JSON reports of a sharded audit into one, as `golive report A.json B.json ...` does.

The joined report is the one a single audit over all the shards' subscriptions would give: the
findings of every shard, the summary and the checklist worked out again from them (with the
attestations the shards share). Overlaps (the same finding in two reports) are kept once and
reported; conflicts (the same finding, check or attestation with different content, another
tenant or cloud, a baseline section) stop the join: which report is right is for a person to say.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from auditor import checklist
from auditor.model import InputError
from auditor.result import summarize

_SECTIONS = {"reportVersion", "tool", "run", "snapshot", "scope", "coverage", "checks", "findings", "summary",
             "checklist", "problems", "exposure"}  # fmt: skip
_EXPOSURE_LISTS = ("edges", "paths", "gaps")
#: Checks judged on the reachability graph of the whole snapshot (auditor.checks.exposure). A path
#: may cross subscriptions (an app in one reaching an API Management service in another), and each
#: shard's audit saw only its own: a joined report cannot tell that a service is unreachable.
EXPOSURE_MAP_CHECKS = frozenset({"network.waf-fronts-http", "exposure.path-around-waf",
                                 "exposure.vnet-ingress-around-gateway"})  # fmt: skip
ACROSS_SHARDS = (
    "judged on the exposure map, which each shard's audit drew from its own subscriptions only: a path "
    "through another shard is not seen. Audit the merged snapshot (golive merge) for this verdict"
)


def join_reports(named: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], list[str]]:
    """One report from (name, report) pairs, and the overlaps found; InputError on a conflict."""
    first_name, first = named[0]
    overlaps: list[str] = []
    checks: dict[str, dict[str, Any]] = {}
    findings: dict[str, tuple[str, dict[str, Any]]] = {}
    subscriptions: dict[str, dict[str, Any]] = {}
    attestations: dict[str, Any] = {}
    gaps: dict[str, Any] = {}
    failures: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    nodes: dict[str, dict[str, Any]] = {}
    exposure: dict[str, dict[str, Any]] = {key: {} for key in _EXPOSURE_LISTS}
    for name, report in named:
        extra = set(report) - _SECTIONS
        if extra:
            raise InputError(name, f"has a {sorted(extra)[0]} section: join reports made without --baseline")
        for key in ("tenantId", "cloud"):
            if report["scope"].get(key) != first["scope"].get(key):
                raise InputError(name, f"scope {key} {report['scope'].get(key)} differs from {first_name}'s")
        if report["run"].get("config") != first["run"].get("config"):
            raise InputError(name, f"was audited with another configuration than {first_name}")
        for check in report["checks"]:
            if checks.setdefault(check["id"], check) != check:
                raise InputError(name, f"check {check['id']} differs from the one in an earlier report")
        for finding in report["findings"]:
            earlier = findings.setdefault(finding["fingerprint"], (name, finding))
            if earlier[1] is not finding:
                if earlier[1] != finding:
                    raise InputError(name, f"finding {finding['checkId']} on {finding['resourceId']} differs from "
                                     f"{earlier[0]}'s")  # fmt: skip
                overlaps.append(f"{finding['checkId']} on {finding['resourceId']} is in {earlier[0]} and {name}")
        for sub in report["scope"].get("subscriptions", []):
            subscriptions.setdefault(sub["subscriptionId"].lower(), sub)
        for item in report["checklist"]:
            if "attestation" in item:
                known = attestations.setdefault(item["id"], item["attestation"])
                if known != item["attestation"]:
                    raise InputError(name, f"the attestation of checklist item {item['id']} differs")
        for bucket, entries in ((gaps, report["coverage"]["gaps"]), (failures, report["coverage"]["failures"])):
            for entry in entries:
                bucket.setdefault(json.dumps(entry, sort_keys=True), entry)
        for problem in report["problems"]:
            problems.setdefault(json.dumps(problem, sort_keys=True), problem)
        # The exposure map of each shard: the union of the maps, each node once.
        graph = report.get("exposure") or {}
        for node in graph.get("nodes", []):
            _join_node(nodes, node, name)
        for key in _EXPOSURE_LISTS:
            for entry in graph.get(key, []):
                exposure[key].setdefault(json.dumps(entry, sort_keys=True), entry)
    check_docs = sorted(checks.values(), key=lambda c: c["id"])
    finding_docs = sorted(
        (_across_shards(f) for _, f in findings.values()), key=lambda f: (f["checkId"], f["resourceId"].lower())
    )
    runs = [report["run"] for _, report in named]
    finished = max(r["finishedAt"] for r in runs)
    joined = {
        **first,
        "run": {**first["run"], "startedAt": min(r["startedAt"] for r in runs), "finishedAt": finished},
        "snapshot": {
            **first["snapshot"],
            "source": "joined: " + ", ".join(report["snapshot"]["source"] for _, report in named),
            "resourceCount": sum(report["snapshot"]["resourceCount"] for _, report in named),
        },
        "scope": {**first["scope"], "subscriptions": list(subscriptions.values())},
        "coverage": {
            # Reports of different coverage modes: the joined one knows as little as the least.
            **next((r["coverage"] for _, r in named if r["coverage"]["mode"] != "complete"), first["coverage"]),
            "gaps": list(gaps.values()),
            "failures": list(failures.values()),
        },
        "checks": check_docs,
        "findings": finding_docs,
        "summary": summarize(finding_docs, check_docs),
        "checklist": _checklist(check_docs, finding_docs, attestations, finished, first["run"]),
        "problems": list(problems.values()),
    }  # fmt: skip
    if any("exposure" in report for _, report in named):
        joined["exposure"] = {"nodes": list(nodes.values()), **{k: list(v.values()) for k, v in exposure.items()}}
    return joined, overlaps


def _across_shards(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding as a joined report may state it. A failure on the exposure map stands (the path
    was seen); any other verdict there could be changed by a path through another shard, so it is
    not assessed, with the reason: missing data never passes."""
    if finding["checkId"] not in EXPOSURE_MAP_CHECKS or finding["status"] in ("fail", "waived", "not_assessed"):
        return finding
    evidence = {**finding["evidence"], "message": f"{ACROSS_SHARDS} (the shard said: {finding['evidence']['message']})"}
    return {**finding, "status": "not_assessed", "evidence": evidence}


def _join_node(nodes: dict[str, dict[str, Any]], node: dict[str, Any], name: str) -> None:
    """Add one exposure node. The same node in two shards' maps (the Internet, a host named in
    both) may be classed differently, since each shard saw only its own paths to it: the joined map
    says it was not assessed, and why, rather than choosing. Any other difference is a conflict."""
    earlier = nodes.setdefault(node["id"].lower(), node)
    if earlier is node or earlier == node:
        return
    fixed = ("id", "name", "type", "tier", "waf")
    if any(earlier.get(k) != node.get(k) for k in fixed):
        raise InputError(name, f"exposure node {node['id']} differs from the one in an earlier report")
    notes = list(dict.fromkeys([*earlier.get("notes", []), *node.get("notes", [])]))
    joined = {**earlier}
    if earlier.get("class") != node.get("class"):
        joined["class"] = "not_assessed"
        notes.append(f"classed {earlier.get('class')} in one report and {node.get('class')} in {name}")
    if notes:
        joined["notes"] = list(dict.fromkeys(notes))
    nodes[node["id"].lower()] = joined


def _checklist(
    checks: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    attested: dict[str, Any],
    finished: str,
    run: dict[str, Any],
) -> list[dict[str, Any]]:
    """The checklist as one audit of every finding would work it out."""
    statuses: dict[str, list[str]] = {c["id"]: [] for c in checks}
    for finding in findings:
        statuses[finding["checkId"]].append("pass" if finding["status"] == "waived" else finding["status"])
    attestations = [
        checklist.Attestation(item, a["by"], date.fromisoformat(a["date"]), a["evidence"])
        for item, a in attested.items()
        if a is not None
    ]
    max_age = run.get("attestationMaxAgeDays") or checklist.DEFAULT_MAX_AGE_DAYS
    today = date.fromisoformat(finished[:10])
    items = {c["id"]: c["checklist"] for c in checks}
    return checklist.evaluate(statuses, items, attestations, today, max_age, findings)
