"""Check documentation, generated from check metadata: `golive checks`, docs/checks.md.

Run `python -m auditor.docs > docs/checks.md` to regenerate the catalogue page; a test fails when
the committed page is out of date.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable

from auditor.checklist import ITEMS_BY_ID
from auditor.model import Area, CheckMeta


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue_listing(metas: Iterable[CheckMeta], fmt: str) -> str:
    metas = sorted(metas, key=lambda m: (list(Area).index(m.area), m.id))
    if fmt == "json":
        return json.dumps([m.to_dict() for m in metas], indent=2) + "\n"
    if fmt == "markdown":
        return catalogue_markdown(metas)
    width = max((len(m.id) for m in metas), default=10)
    lines = [f"{'ID':<{width}}  {'SEVERITY':<8}  {'AREA':<13}  {'CHECKLIST':<21}  TITLE"]
    for m in metas:
        lines.append(f"{m.id:<{width}}  {m.severity.value:<8}  {m.area.value:<13}  {m.checklist:<21}  {m.title}")
    lines.append(f"{len(metas)} checks")
    return "\n".join(lines) + "\n"


def catalogue_markdown(metas: Iterable[CheckMeta]) -> str:
    metas = sorted(metas, key=lambda m: (list(Area).index(m.area), m.id))
    out = [
        "# golive check catalogue",
        "",
        "Generated from the checks' metadata by `python -m auditor.docs`; do not edit by hand.",
        "`golive checks show ID` prints the rationale, remediation and references of each check.",
        "",
    ]
    for area in Area:
        in_area = [m for m in metas if m.area is area]
        if not in_area:
            continue
        out += [
            f"## {area.title}",
            "",
            "| id | severity | checklist item | resource types | title |",
            "|---|---|---|---|---|",
        ]
        for m in in_area:
            item = ITEMS_BY_ID[m.checklist].title if m.checklist in ITEMS_BY_ID else m.checklist
            types = "<br>".join(f"`{t}`" for t in m.types)
            out.append(f"| `{m.id}` | {m.severity.value} | {_md_cell(item)} | {types} | {_md_cell(m.title)} |")
        out.append("")
    # Each check's rationale, which says what it counts and how (alert coverage, for one), so that a
    # reviewer reads the rules without running `golive checks show`.
    out += ["## What each check counts", ""]
    for m in metas:
        out += [f"### `{m.id}`", "", m.rationale, ""]
    out.append(f"{len(metas)} checks.")
    return "\n".join(out) + "\n"


def check_page(meta: CheckMeta, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(meta.to_dict(), indent=2) + "\n"
    item = ITEMS_BY_ID.get(meta.checklist)
    item_title = item.title if item else meta.checklist
    if fmt == "markdown":
        out = [
            f"## `{meta.id}`: {meta.title}",
            "",
            f"- Severity: **{meta.severity.value}**",
            f"- Area: {meta.area.title}",
            f"- Checklist item: {item_title} (`{meta.checklist}`)",
            f"- Resource types: {', '.join(f'`{t}`' for t in meta.types)}",
        ]
        if meta.reads:
            out.append(f"- Also reads: {', '.join(f'`{t}`' for t in meta.reads)}")
        out += ["", meta.rationale, "", "### Remediation", "", meta.remediation.text, ""]
        if meta.remediation.az:
            out += ["```bash", meta.remediation.az, "```", ""]
        if meta.remediation.bicep:
            out += ["```bicep", meta.remediation.bicep, "```", ""]
        if meta.params:
            out += ["### Parameters", ""]
            out += [f"- `{name}` (default `{p.default!r}`): {p.description}" for name, p in meta.params.items()]
            out.append("")
        if meta.refs:
            out += ["### References", ""] + [f"- <{ref}>" for ref in meta.refs] + [""]
        return "\n".join(out)
    wrap = textwrap.TextWrapper(width=96, initial_indent="  ", subsequent_indent="  ")
    out = [
        f"{meta.id}: {meta.title}",
        f"  severity {meta.severity.value} · area {meta.area.title} · checklist: {item_title}",
        f"  types: {', '.join(meta.types)}",
    ]
    if meta.reads:
        out.append(f"  also reads: {', '.join(meta.reads)}")
    out += ["", "Why", wrap.fill(meta.rationale), "", "Remediation", wrap.fill(meta.remediation.text)]
    if meta.remediation.az:
        out += ["", "  az:", textwrap.indent(meta.remediation.az, "    ")]
    if meta.remediation.bicep:
        out += ["", "  Bicep:", textwrap.indent(meta.remediation.bicep, "    ")]
    if meta.params:
        out += ["", 'Parameters (set in golive.toml under [checks."' + meta.id + '"])']
        out += [f"  {name} = {p.default!r}  {p.description}" for name, p in meta.params.items()]
    if meta.refs:
        out += ["", "References"] + [f"  {ref}" for ref in meta.refs]
    return "\n".join(out) + "\n"


def main() -> None:
    from auditor.registry import discover

    catalogue = discover(entry_points=False)
    print(catalogue_markdown([c.meta for c in catalogue.checks]), end="")


if __name__ == "__main__":
    main()
