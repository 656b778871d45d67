"""A JSON report read back (`golive report`) is untrusted input: anyone may have edited it.

The report schema fixes its shape; this adds what a schema cannot say, so that a renderer never
meets a finding of an unknown check or an area it has no title for. The renderers escape its text
as they escape snapshot text.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Area, InputError


def check_consistency(document: dict[str, Any], source: str) -> None:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:  # "\ud800" escapes parse, but no UTF-8 report can hold them
        raise InputError(
            source, f"holds a lone surrogate ({exc.object[exc.start]!r}), which UTF-8 cannot encode"
        ) from None
    check_ids = {c["id"] for c in document["checks"]}
    areas = {a.value for a in Area}
    for index, check in enumerate(document["checks"]):
        if check["area"] not in areas:
            raise InputError(source, f"check {check['id']!r} names unknown area {check['area']!r}", f"checks[{index}]")
    for index, finding in enumerate(document["findings"]):
        if finding["checkId"] not in check_ids:
            raise InputError(
                source, f"finding of check {finding['checkId']!r}, which the report does not list", f"findings[{index}]"
            )
    for index, area in enumerate(document["summary"]["areas"]):
        if area["id"] not in areas:
            raise InputError(source, f"unknown area {area['id']!r}", f"summary.areas[{index}]")
