"""The exposure map as an inline SVG, drawn in Python when the HTML report renders: no script, no
stylesheet, nothing from the network (presentation attributes only, so the report's
Content-Security-Policy needs no change).

Layout: one column per tier (internet | edge | gateway | compute | data and AI), nodes ordered in
each column by the mean position of the nodes that reach them (one barycentre sweep, which is all a
five-column layered drawing needs; a graph-layout package would add a dependency for no gain).
A column with more than MAX_ROWS nodes collapses the nodes of one type and one class into a single
node with a count, so the map stays legible at hundreds of nodes. Each node links to its findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from auditor.exposure import TIERS
from auditor.reports.safe_text import cut, visible

TIER_TITLES = {
    "internet": "Internet",
    "edge": "Edge",
    "gateway": "Gateway",
    "compute": "Compute",
    "data": "Data and AI",
}
CLASS_COLOURS = {
    "waf": "#1a7f37",
    "weak": "#bf8700",
    "around": "#cf222e",
    "not_assessed": "#6e7781",
    "private": "#0969da",
}
CLASS_TEXT = {
    "waf": "WAF in Prevention",
    "weak": "weak WAF",
    "around": "around the WAF",
    "not_assessed": "not assessed",
    "private": "private only",
}
RANK = ("around", "weak", "not_assessed", "waf", "private")
WIDTH = 1000
COLUMN = WIDTH // len(TIERS)
NODE_W, NODE_H, ROW = 168, 26, 34
TOP = 64
MAX_ROWS = 24
LABEL_CHARS = 24
EXPOSURE_CHECKS = ("exposure.path-around-waf", "network.waf-fronts-http")
STATUS_RANK = {"fail": 0, "error": 1, "not_assessed": 2, "waived": 3, "pass": 4, "not_applicable": 5}


def _label(text: str) -> str:
    return cut(visible(text), LABEL_CHARS)


@dataclass
class _Box:
    key: str
    name: str
    type: str
    tier: str
    cls: str
    members: list[str] = field(default_factory=list)  # node keys drawn as this box
    y: float = 0.0


def _edge_class(source: _Box, target_waf: str | None, known: bool) -> str:
    """The worst class that flows over an edge: what reaches the source, filtered by the target's WAF."""
    if not known or target_waf == "unknown":
        return "not_assessed"
    if target_waf == "waf":
        return "waf"
    if source.tier == "internet":
        return "weak" if target_waf == "weak" else "around"
    if source.cls == "around" and target_waf == "weak":
        return "weak"
    return source.cls if source.cls in CLASS_COLOURS else "not_assessed"


def _finding_links(report: dict[str, Any]) -> dict[str, str]:
    """resource id -> the anchor of its most telling finding (an exposure check first, then the worst)."""
    best: dict[str, tuple[tuple[int, int], str]] = {}
    for finding in report.get("findings", []):
        key = finding["resourceId"].lower()
        rank = (0 if finding["checkId"] in EXPOSURE_CHECKS else 1, STATUS_RANK.get(finding["status"], 9))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, "#f-" + finding["fingerprint"][:16])
    return {key: anchor for key, (_, anchor) in best.items()}


def _boxes(document: dict[str, Any]) -> tuple[dict[str, _Box], dict[str, str]]:
    """The boxes to draw, and node key -> box key (collapsed nodes share a box)."""
    columns: dict[str, list[dict[str, Any]]] = {t: [] for t in TIERS}
    for node in document["nodes"]:
        columns.setdefault(node["tier"], []).append(node)
    boxes: dict[str, _Box] = {}
    owner: dict[str, str] = {}
    for tier, nodes in columns.items():
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for node in nodes:
            groups.setdefault((node["type"], node.get("class", "around")), []).append(node)
        collapse = len(nodes) > MAX_ROWS
        for (rtype, cls), members in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
            if collapse and len(members) > 1:
                key = f"group:{tier}:{rtype}:{cls}".lower()
                short = rtype.rsplit("/", 1)[-1]
                boxes[key] = _Box(
                    key, f"{len(members)} × {short}", rtype, tier, cls, [m["id"].lower() for m in members]
                )
                for member in members:
                    owner[member["id"].lower()] = key
                continue
            for member in members:
                key = member["id"].lower()
                boxes[key] = _Box(key, member["name"], rtype, tier, member.get("class", "around"), [key])
                owner[key] = key
    return boxes, owner


def _order(boxes: dict[str, _Box], pairs: dict[tuple[str, str], str]) -> dict[str, list[_Box]]:
    """Rows per column: sorted by name, then each column after the first by the barycentre of its sources."""
    columns: dict[str, list[_Box]] = {t: [] for t in TIERS}
    for box in boxes.values():
        columns.setdefault(box.tier, []).append(box)
    sources: dict[str, list[str]] = {}
    for source, target in pairs:
        sources.setdefault(target, []).append(source)
    for tier in TIERS:

        def centre(box: _Box) -> float:
            # Sources in earlier columns already have their rows; a node no one reaches goes last.
            ys = [boxes[s].y for s in sources.get(box.key, []) if TIERS.index(boxes[s].tier) < TIERS.index(box.tier)]
            return sum(ys) / len(ys) if ys else float("inf")

        column = sorted(columns[tier], key=lambda b: (centre(b), b.name.lower(), b.key))
        for row, box in enumerate(column):
            box.y = TOP + row * ROW
        columns[tier] = column
    return columns


def render_svg(report: dict[str, Any]) -> str:
    """The map's SVG markup, every text escaped; '' when the report has no exposure section."""
    document = report.get("exposure")
    if not document or not document.get("nodes"):
        return ""
    boxes, owner = _boxes(document)
    waf_of = {n["id"].lower(): n.get("waf") for n in document["nodes"]}
    pairs: dict[tuple[str, str], str] = {}
    for edge in document["edges"]:
        source, target = owner[edge["source"].lower()], owner[edge["target"].lower()]
        if source == target:
            continue
        cls = _edge_class(boxes[source], waf_of.get(edge["target"].lower()), edge.get("known", True))
        previous = pairs.get((source, target))
        if previous is None or _worse(cls, previous):
            pairs[(source, target)] = cls
    columns = _order(boxes, pairs)
    rows = max((len(c) for c in columns.values()), default=1)
    height = TOP + rows * ROW + 16
    links = _finding_links(report)
    for edge in document["edges"]:  # a name that several resources answer links to the first one's findings
        source, target = edge["source"].lower(), edge["target"].lower()
        if source.startswith("name:") and source not in links and target in links:
            links[source] = links[target]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="exposure-map" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMin meet" role="img" aria-labelledby="exposure-map-title" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        '<title id="exposure-map-title">Exposure map: every way in from the internet, by tier</title>',
    ]
    for index, tier in enumerate(TIERS):
        x = index * COLUMN + COLUMN / 2
        out.append(f'<text x="{x:.0f}" y="18" text-anchor="middle" font-weight="bold">{TIER_TITLES[tier]}</text>')
    for index, (cls, colour) in enumerate(CLASS_COLOURS.items()):
        x = 8 + index * (WIDTH - 16) / len(CLASS_COLOURS)
        out.append(
            f'<line x1="{x:.0f}" y1="38" x2="{x + 22:.0f}" y2="38" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{x + 28:.0f}" y="42" fill="#24292f">{CLASS_TEXT[cls]}</text>'
        )
    # The worst edges last, so that they are drawn on top.
    for (source, target), cls in sorted(pairs.items(), key=lambda p: RANK.index(p[1]), reverse=True):
        a, b = boxes[source], boxes[target]
        x1 = TIERS.index(a.tier) * COLUMN + (COLUMN + NODE_W) / 2
        x2 = TIERS.index(b.tier) * COLUMN + (COLUMN - NODE_W) / 2
        y1, y2 = a.y + NODE_H / 2, b.y + NODE_H / 2
        if x2 <= x1:  # a hop within a column or backwards: bow out to the right
            x2 = TIERS.index(b.tier) * COLUMN + (COLUMN + NODE_W) / 2
            bend = max(x1, x2) + 24
            d = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        else:
            mid = (x1 + x2) / 2
            d = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        dash = ' stroke-dasharray="5 4"' if cls == "not_assessed" else ""
        out.append(
            f'<path class="edge edge-{cls}" data-class="{cls}" d="{d}" fill="none" stroke="{CLASS_COLOURS[cls]}" '
            f'stroke-width="2"{dash}/>'
        )
    for box in boxes.values():
        x = TIERS.index(box.tier) * COLUMN + (COLUMN - NODE_W) / 2
        colour = CLASS_COLOURS.get(box.cls, "#24292f") if box.tier != "internet" else "#24292f"
        label = _label(box.name)
        detail = escape(visible(f"{box.name} · {box.type} · {CLASS_TEXT.get(box.cls, box.cls)}"))
        shape = (
            f'<rect x="{x:.0f}" y="{box.y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + 8:.0f}" y="{box.y + 17:.0f}" fill="#24292f"{_fit(label)}>{escape(label)}</text>'
            f"<title>{detail}</title>"
        )
        anchor = next((links[m] for m in box.members if m in links), None)
        attrs = f'class="node" data-tier="{box.tier}" data-class="{escape(box.cls)}" data-count="{len(box.members)}"'
        if anchor:
            out.append(f'<g {attrs}><a href="{escape(anchor)}">{shape}</a></g>')
        else:
            out.append(f"<g {attrs}>{shape}</g>")
    out.append("</svg>")
    return "".join(out)


def _fit(label: str) -> str:
    """A long label (or one of wide characters) is squeezed into the box instead of spilling out."""
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
    return f' textLength="{NODE_W - 16}" lengthAdjust="spacingAndGlyphs"' if wide > 18 else ""


def _worse(cls: str, previous: str) -> bool:
    return RANK.index(cls) < RANK.index(previous)
