"""The JSON report: the document itself, laid out for people and diffs as well as for programs."""

from __future__ import annotations

import io
import json
from typing import IO, Any


def render(report: dict[str, Any], **options: Any) -> bytes:
    buffer = io.BytesIO()
    write(report, buffer, **options)
    return buffer.getvalue()


def write(report: dict[str, Any], handle: IO[bytes], **_: Any) -> None:
    """Sections indented, and each element of a top-level list (a check, a finding) on one line,
    written element by element: a large audit's report is never held whole in memory.

    `json.dumps(indent=...)` runs the pure-Python encoder, which took seconds on 100,000-resource
    audits; one compact line per element uses the C encoder, and a diff still shows one finding
    per changed line."""
    compact = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: building one per call costs
    pretty = json.JSONEncoder(ensure_ascii=False, indent=2).encode
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n", write_through=False)
    text.write("{")

    def one_per_line(items: list[Any], indent: str) -> None:
        for position, element in enumerate(items):
            text.write(f",\n{indent}  " if position else f"[\n{indent}  ")
            text.write(compact(element))
        text.write(f"\n{indent}]")

    for index, (key, value) in enumerate(report.items()):
        text.write(f"{',' if index else ''}\n  {compact(key)}: ")
        if isinstance(value, list) and value:
            one_per_line(value, "  ")
        elif isinstance(value, dict) and any(isinstance(v, list) and v for v in value.values()):
            # A section of lists (the exposure map's nodes, edges, paths): one element a line, too.
            for position, (inner_key, inner) in enumerate(value.items()):
                text.write(f"{',' if position else '{'}\n    {compact(inner_key)}: ")
                if isinstance(inner, list) and inner:
                    one_per_line(inner, "    ")
                else:
                    text.write(compact(inner))
            text.write("\n  }")
        else:
            text.write(pretty(value).replace("\n", "\n  "))
    text.write("\n}\n")
    text.flush()
    text.detach()  # the caller owns the handle
