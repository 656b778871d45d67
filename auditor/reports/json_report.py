"""The JSON report: the document itself, laid out for people and diffs as well as for programs."""

from __future__ import annotations

import json
from typing import Any


def render(report: dict[str, Any], **_: Any) -> bytes:
    """Sections indented, and each element of a top-level list (a check, a finding) on one line.

    `json.dumps(indent=...)` runs the pure-Python encoder, which took seconds on 100,000-resource
    audits; one compact line per element uses the C encoder, and a diff still shows one finding
    per changed line."""
    compact = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: building one per call costs
    pretty = json.JSONEncoder(ensure_ascii=False, indent=2).encode
    pieces = ["{"]
    for index, (key, value) in enumerate(report.items()):
        pieces.append(f"{',' if index else ''}\n  {compact(key)}: ")
        if isinstance(value, list) and value:
            pieces += ["[\n    ", ",\n    ".join(map(compact, value)), "\n  ]"]
        elif isinstance(value, dict) and any(isinstance(v, list) and v for v in value.values()):
            # A section of lists (the exposure map's nodes, edges, paths): one element a line, too.
            inner = [
                f"\n    {compact(k)}: "
                + ("[\n      " + ",\n      ".join(map(compact, v)) + "\n    ]" if isinstance(v, list) and v else "")
                + ("" if isinstance(v, list) and v else compact(v))
                for k, v in value.items()
            ]
            pieces += ["{", ",".join(inner), "\n  }"]
        else:
            pieces.append(pretty(value).replace("\n", "\n  "))
    pieces.append("\n}\n")
    return "".join(pieces).encode("utf-8")
