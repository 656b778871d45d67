"""The exposure map as text: a tree for the terminal (`golive exposure`) and the short list of risky
paths in the Markdown report. Both read the report's `exposure` section, so a saved JSON report
renders the same."""

from __future__ import annotations

from typing import Any

from auditor.exposure import TIERS
from auditor.reports.safe_text import cut, visible
from auditor.reports.text import md_escape

CLASS_LABELS = {
    "waf": "through WAF (Prevention)",
    "weak": "WEAK WAF (Detection or rules off)",
    "around": "AROUND THE WAF",
    "not_assessed": "NOT ASSESSED",
    "private": "private only",
}
RISKY = ("around", "weak", "not_assessed")
MARKDOWN_LIMIT = 20


def _names(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"].lower(): n for n in document.get("nodes", [])}


def _tier(node: dict[str, Any]) -> int:
    return TIERS.index(node["tier"]) if node["tier"] in TIERS else len(TIERS)


def tree(document: dict[str, Any], width: int = 160) -> list[str]:
    """Internet at the root, each hop a branch; a node met again is named, not expanded again."""
    nodes = _names(document)
    children: dict[str, list[dict[str, Any]]] = {}
    for edge in document.get("edges", []):
        children.setdefault(edge["source"].lower(), []).append(edge)
    lines = ["Internet"]
    expanded = {"internet"}

    def walk(key: str, prefix: str) -> None:
        edges = sorted(children.get(key, []), key=lambda e: (_tier(nodes[e["target"].lower()]), e["target"].lower()))
        for index, edge in enumerate(edges):
            last = index == len(edges) - 1
            target = edge["target"].lower()
            node = nodes[target]
            label = CLASS_LABELS.get(node.get("class", ""), node.get("class", ""))
            again = target in expanded
            unknown = "" if edge.get("known", True) else " [unresolved: " + edge.get("reason", "") + "]"
            text = f"{node['name']} ({node['tier']}) · {label} · via {edge['how']}{unknown}"
            text = visible(text + (" · see above" if again else ""))
            text = text if len(text) <= width else text[: width - 1] + "…"
            lines.append(prefix + ("└── " if last else "├── ") + text)
            if not again:
                expanded.add(target)
                walk(target, prefix + ("    " if last else "│   "))

    walk("internet", "")
    if len(lines) == 1:
        lines.append("└── nothing is reachable from the internet")
    for gap in document.get("gaps", []):
        lines.append(visible(f"not assessed: {gap}"))
    return lines


def markdown_paths(report: dict[str, Any]) -> list[str]:
    """The risky paths to data and AI services and to workloads, worst first, at most MARKDOWN_LIMIT."""
    document = report.get("exposure")
    if not document:
        return []
    nodes = _names(document)
    risky = [p for p in document.get("paths", []) if p["class"] in RISKY]
    if not risky:
        return ["### Exposure", "", "Every path from the internet crosses a WAF in Prevention mode.", ""]
    lines = ["### Exposure: risky paths from the internet", ""]
    for path in risky[:MARKDOWN_LIMIT]:
        names = [nodes[h.lower()]["name"] if h.lower() in nodes else h for h in path["hops"]]
        hops = " → ".join(md_escape(cut(visible(name))) for name in names)
        why = f" ({md_escape(cut(visible(path['reason']), 200))})" if path.get("reason") else ""
        lines.append(f"- **{CLASS_LABELS[path['class']].lower()}**: {hops}{why}")
    if len(risky) > MARKDOWN_LIMIT:
        lines.append(f"- … and {len(risky) - MARKDOWN_LIMIT} more in the JSON and HTML reports")
    return [*lines, ""]
