"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run per audited subscription (automationDetails.id tells them apart), a rule per check, a
result per failing (check, resource). GitHub's upload limits are kept by dropping the least
severe results first, and the cut is recorded in the run's properties.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any
from urllib.parse import quote

from auditor.reports.safe_text import visible
from auditor.reports.text import check_help_markdown, check_help_text, is_safe_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
MAX_GZIPPED_BYTES = 10 * 1024 * 1024
MAX_TAGS = 20
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
#: "[x](javascript:...)" in a name must not become a link where a viewer renders message text as Markdown.
_LINK_SYNTAX = re.compile(r"\]\s*\(")


def information_uri() -> str | None:
    """The home page the installed package declares (Project-URL), for tool.driver.informationUri.

    None when the distribution names none: a made-up address would send reviewers to someone
    else's project, and SARIF makes the property optional.
    """
    from importlib import metadata

    try:
        urls = metadata.metadata("golive").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository"} and is_safe_url(url.strip()):
            return url.strip()
    return None


def plain_message(text: str) -> str:
    """Snapshot text for message.text: invisible characters spelled out, Markdown link syntax broken."""
    return _LINK_SYNTAX.sub("] (", visible(text))


def artifact_uri(resource_id: str) -> str:
    """A relative URI reference for an ARM id: its path segments, percent-encoded."""
    return quote(visible(resource_id.strip("/")), safe="/-._~") or "subscriptions"


def _rule(check: dict[str, Any]) -> dict[str, Any]:
    tags = ["security", "azure", check["area"], f"checklist:{check['checklist']}", f"severity:{check['severity']}"]
    rule: dict[str, Any] = {
        "id": check["id"],
        "name": "".join(part.capitalize() for part in check["id"].replace("-", ".").split(".")),
        "shortDescription": {"text": visible(check["title"])},
        "fullDescription": {"text": visible(check["rationale"])},
        "help": {"text": check_help_text(check), "markdown": check_help_markdown(check)},
        "defaultConfiguration": {"level": LEVELS[check["severity"]]},
        "properties": {
            "tags": tags[:MAX_TAGS],
            "security-severity": SECURITY_SEVERITY[check["severity"]],
            "precision": "high",
        },
    }
    # helpUri names the check's Microsoft documentation when it has any, whatever order its
    # references come in; a check with only third-party references links the first of those.
    refs = [ref for ref in check["refs"] if is_safe_url(ref)]
    microsoft = [ref for ref in refs if ref.startswith("https://learn.microsoft.com/")]
    if refs:
        rule["helpUri"] = (microsoft or refs)[0]
    return rule


def _visible_json(value: Any) -> Any:
    """Every string inside `value` with its invisible characters spelled out. JSON escapes control
    characters itself; what it leaves raw (bidi, zero-width) is made visible in the encoded text."""
    return json.loads(visible(json.dumps(value, ensure_ascii=False)))


def _result(finding: dict[str, Any], rule_index: int, note: bool) -> dict[str, Any]:
    evidence = finding["evidence"]
    result: dict[str, Any] = {
        "ruleId": finding["checkId"],
        "ruleIndex": rule_index,
        "level": "note" if note else LEVELS[finding["severity"]],
        "message": {"text": plain_message(f"{finding['resourceName']}: {evidence['message']}")},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding["resourceId"])},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "fullyQualifiedName": visible(finding["resourceId"]),
                        "name": visible(finding["resourceName"]),
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": finding["fingerprint"]},
        "properties": {
            "status": finding["status"],
            "resourceType": finding["resourceType"],
            "observations": _visible_json(evidence["observations"]),
        },
    }
    if "expected" in evidence:
        result["properties"]["expected"] = _visible_json(evidence["expected"])
    if finding.get("baselineState") in ("new", "unchanged"):
        result["baselineState"] = finding["baselineState"]
    return result


def render(
    report: dict[str, Any], *, include_not_assessed: bool = False, notes: list[str] | None = None, **_: Any
) -> bytes:
    checks = report["checks"]
    index = {c["id"]: i for i, c in enumerate(checks)}
    rules = [_rule(c) for c in checks]
    wanted = {"fail"} | ({"not_assessed"} if include_not_assessed else set())
    selected = [f for f in report["findings"] if f["status"] in wanted]
    subscriptions = [s["subscriptionId"].lower() for s in report["scope"].get("subscriptions", [])]
    subscriptions += sorted({f["subscriptionId"] for f in selected} - set(subscriptions))
    homepage = information_uri()
    runs = []
    for sub in subscriptions or ["none"]:
        mine = [f for f in selected if f["subscriptionId"] == sub or (sub == "none" and not f["subscriptionId"])]
        mine.sort(
            key=lambda f: (
                f["status"] != "fail",
                SEVERITY_ORDER.index(f["severity"]),
                f["checkId"],
                f["resourceId"].lower(),
            )
        )
        results = [_result(f, index[f["checkId"]], f["status"] != "fail") for f in mine]
        driver: dict[str, Any] = {
            "name": "golive",
            "version": report["tool"]["version"],
            "semanticVersion": report["tool"]["version"].split("+")[0],
            "rules": rules,
        }
        if homepage:
            driver["informationUri"] = homepage
        runs.append(
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": f"golive/{sub}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"subscriptionId": sub, "resultsBeforeTruncation": len(results), "truncated": False},
            }
        )
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}
    _fit_limits(document, notes if notes is not None else [])
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _fit_limits(document: dict[str, Any], notes: list[str]) -> None:
    """Keep the most severe results within GitHub's limits; say what was cut."""
    for run in document["runs"]:
        if len(run["results"]) > MAX_RESULTS:
            run["results"] = run["results"][:MAX_RESULTS]
            run["properties"]["truncated"] = True
    while len(gzip.compress(json.dumps(document).encode(), compresslevel=6)) > MAX_GZIPPED_BYTES:
        biggest = max(document["runs"], key=lambda r: len(r["results"]))
        biggest["results"] = biggest["results"][: len(biggest["results"]) * 3 // 4]
        biggest["properties"]["truncated"] = True
    for run in document["runs"]:
        if run["properties"]["truncated"]:
            kept, total = len(run["results"]), run["properties"]["resultsBeforeTruncation"]
            run["properties"]["resultsAfterTruncation"] = kept
            notes.append(
                f"SARIF truncated for {run['automationDetails']['id']}: kept the {kept} most severe of "
                f"{total} results (GitHub code scanning limits)"
            )
