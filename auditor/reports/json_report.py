"""The JSON report: the document itself, validated against its shipped schema before it is written."""

from __future__ import annotations

import json
from typing import Any


def render(report: dict[str, Any], **_: Any) -> bytes:
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
