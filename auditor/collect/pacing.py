"""Pacing on Azure's own throttling signals: slow down before a 429, not after.

ARM meters reads per principal and subscription with a token bucket (250 tokens, 25 refilled a
second, learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling)
and reports what is left in `x-ms-ratelimit-remaining-subscription-reads` on every answer.
Resource Graph allows a user a number of queries per window (15 per 5 seconds by default) and
reports `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` (hh:mm:ss)
(learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests).

The pacer mirrors each bucket from the last figure Azure gave, refills it at the documented rate,
and makes a request wait for a token before it is sent; a 429 is still retried by the retry
policy, honouring Retry-After (capped), should the estimate be wrong.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

ARM_READS_HEADER = "x-ms-ratelimit-remaining-subscription-reads"
GRAPH_REMAINING_HEADER = "x-ms-user-quota-remaining"
GRAPH_RESETS_HEADER = "x-ms-user-quota-resets-after"
#: ARM's documented refill rate per subscription bucket, tokens a second.
ARM_REFILL_PER_SECOND = 25.0
#: Tokens left untouched in a bucket, so that other tools of the same principal are not starved.
ARM_RESERVE = 5
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?]+)", re.IGNORECASE)
_GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class Pacer(SansIOHTTPPolicy):
    """Sits after the retry policy, so that every attempt waits for its token."""

    def __init__(self, refill: float = ARM_REFILL_PER_SECOND, reserve: int = ARM_RESERVE) -> None:
        super().__init__()
        self.refill, self.reserve = refill, reserve
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._graph_remaining: int | None = None
        self._graph_resets_at = 0.0
        self.waited = 0.0  # seconds requests spent waiting for a token, all threads together
        self.arm_remaining: int | None = None  # the lowest figure of the last answers, for progress
        self.graph_remaining: int | None = None

    # -- before a request ------------------------------------------------------------------------
    def on_request(self, request: Any) -> None:
        url = request.http_request.url
        delay = self._graph_delay() if _GRAPH_PATH in url.lower() else self._arm_delay(_key(url))
        if delay > 0:
            with self._lock:
                self.waited += delay
            time.sleep(delay)

    def _arm_delay(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:  # nothing heard yet: Azure's bucket starts full
                return 0.0
            bucket.tokens += (now - bucket.stamp) * self.refill
            bucket.stamp = now
            bucket.tokens -= 1  # this request's token, taken now even if it has to wait for it
            short = self.reserve - bucket.tokens
            return short / self.refill if short > 0 else 0.0

    def _graph_delay(self) -> float:
        now = time.monotonic()
        with self._lock:
            if self._graph_remaining is None or now >= self._graph_resets_at:
                self._graph_remaining = None
                return 0.0
            if self._graph_remaining > 0:
                self._graph_remaining -= 1
                return 0.0
            return self._graph_resets_at - now

    # -- after an answer -------------------------------------------------------------------------
    def on_response(self, request: Any, response: Any) -> None:
        headers = response.http_response.headers
        url = request.http_request.url
        now = time.monotonic()
        reads = _integer(headers.get(ARM_READS_HEADER))
        if reads is not None:
            key = _key(url)
            with self._lock:
                bucket = self._buckets.setdefault(key, _Bucket(float(reads), now))
                # The answer may be older than requests sent since: keep the lower estimate.
                bucket.tokens = min(bucket.tokens + (now - bucket.stamp) * self.refill, float(reads))
                bucket.stamp = now
                self.arm_remaining = reads
        remaining = _integer(headers.get(GRAPH_REMAINING_HEADER))
        resets = _duration(headers.get(GRAPH_RESETS_HEADER))
        if remaining is not None and resets is not None:
            with self._lock:
                self._graph_remaining, self._graph_resets_at = remaining, now + resets
                self.graph_remaining = remaining


def _key(url: str) -> str:
    match = _SUBSCRIPTION.search(url)
    return match.group(1).lower() if match else ""


def _integer(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _duration(value: str | None) -> float | None:
    """'00:00:03' (hh:mm:ss, seconds may carry a fraction) in seconds."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2}(?:\.\d{1,7})?)", (value or "").strip())
    if match is None:
        return None
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
