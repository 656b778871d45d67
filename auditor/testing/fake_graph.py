"""The fake ARM's Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources.

It answers the one query shape golive sends (a type filter on the `resources` table, a column
projection, ordered by id) over the fake's top-level resources, the way Resource Graph does:
lower-cased types, null for a projected column a resource lacks, `$top` rows a page (at most
1,000) with a `$skipToken` for the next, at most 1,000 subscriptions a query, and the per-user
quota (15 queries per 5-second window by default) in `x-ms-user-quota-remaining` and
`x-ms-user-quota-resets-after`, answering 429 with Retry-After once it is spent. Any other
query is answered 400, so that a test sees golive send nothing else.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from typing import Any

_SHAPE = re.compile(
    r"^resources \| where type in~ \((?P<types>[^()]*)\) \| project (?P<columns>[A-Za-z, ]+) \| order by id asc$"
)
_TYPE = re.compile(r"^'([a-z0-9.]+/[a-z0-9.]+)'$")
_COLUMNS = {"id", "name", "type", "kind", "location", "tags", "sku", "plan", "identity", "zones", "managedBy",
            "extendedLocation", "properties"}  # fmt: skip
_MAX_SUBSCRIPTIONS = 1000
_MAX_ROWS = 1000


class GraphQuota:
    """`limit` queries per `window` seconds, counted from the first query of each window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._start, self._used = 0.0, 0

    def take(self) -> tuple[int, float, bool]:
        """(queries left, seconds until the window resets, whether this query may run)."""
        now = time.monotonic()
        with self._lock:
            if now - self._start >= self.window:
                self._start, self._used = now, 0
            resets = self.window - (now - self._start)
            if self._used >= self.limit:
                return 0, resets, False
            self._used += 1
            return self.limit - self._used, resets, True


def quota_headers(remaining: int, resets: float) -> dict[str, str]:
    whole = max(0, math.ceil(resets))
    return {
        "x-ms-user-quota-remaining": str(remaining),
        "x-ms-user-quota-resets-after": f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}",
    }


def answer(
    resources: list[dict[str, Any]], body: bytes, overrides: dict[str, dict[str, Any]], page_size: int = _MAX_ROWS
) -> tuple[int, dict[str, Any]]:
    """The answer to one query body; `overrides` replaces columns of the rows of some ids, for a
    row whose shape differs from what ARM returns."""
    try:
        request = json.loads(body)
    except ValueError:
        return 400, _error("InvalidRequestContent", "The request body is not JSON.")
    if not isinstance(request, dict):
        return 400, _error("InvalidRequestContent", "The request body is not an object.")
    subscriptions = request.get("subscriptions")
    if not isinstance(subscriptions, list) or not all(isinstance(s, str) for s in subscriptions):
        return 400, _error("InvalidRequestContent", "subscriptions must be a list of ids.")
    if len(subscriptions) > _MAX_SUBSCRIPTIONS:
        return 400, _error("BadRequest", f"At most {_MAX_SUBSCRIPTIONS} subscriptions may be queried at once.")
    shape = _SHAPE.match(str(request.get("query", "")))
    if shape is None:
        return 400, _error("InvalidQuery", "The fake Resource Graph answers only golive's query shape.")
    types = [_TYPE.match(t.strip()) for t in shape.group("types").split(",")]
    columns = [c.strip() for c in shape.group("columns").split(",")]
    if not all(types) or not set(columns) <= _COLUMNS or "id" not in columns:
        return 400, _error("InvalidQuery", "The query names a type or a column the fake does not know.")
    options = request.get("options") or {}
    top = options.get("$top", _MAX_ROWS)
    if not isinstance(top, int) or not 1 <= top <= _MAX_ROWS:
        return 400, _error("BadRequest", f"$top must be between 1 and {_MAX_ROWS}.")
    top = min(top, page_size)
    start = _offset(options.get("$skipToken"))
    if start is None:
        return 400, _error("InvalidSkipToken", "The $skipToken is not one this server issued.")
    wanted_types = {m.group(1) for m in types if m}
    wanted_subscriptions = {s.lower() for s in subscriptions}
    matching = sorted(
        (
            r
            for r in resources
            if r["type"].lower() in wanted_types
            and r["id"].count("/") == 8
            and r["id"].split("/")[2].lower() in wanted_subscriptions
        ),
        key=lambda r: r["id"].lower(),
    )
    rows = [_row(r, columns, overrides.get(r["id"].lower(), {})) for r in matching[start : start + top]]
    answer_body: dict[str, Any] = {
        "totalRecords": len(matching),
        "count": len(rows),
        "data": rows,
        "facets": [],
        "resultTruncated": "false",
    }
    if start + top < len(matching):
        answer_body["$skipToken"] = base64.b64encode(f"fake-graph:{start + top}".encode()).decode()
    return 200, answer_body


def _row(resource: dict[str, Any], columns: list[str], override: dict[str, Any]) -> dict[str, Any]:
    row = {c: resource.get(c) for c in columns}
    if "type" in row:
        row["type"] = str(resource["type"]).lower()
    row.update({k: v for k, v in override.items() if k in row})
    return row


def _offset(token: Any) -> int | None:
    if token is None:
        return 0
    try:
        text = base64.b64decode(str(token), validate=True).decode()
    except ValueError:
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "fake-graph" and number.isdigit() else None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
