"""The pacer's reading of Azure's quota headers, and the permission patterns Resource Graph is
trusted under. Header formats: learn.microsoft.com/azure/governance/resource-graph/concepts/
guidance-for-throttled-requests (x-ms-user-quota-resets-after is hh:mm:ss) and
learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling."""

from __future__ import annotations

import time

import pytest

from auditor.collect.graph import unreadable_types
from auditor.collect.pacing import Pacer, _duration


class _Message:
    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.http_request = type("Request", (), {"url": url})()
        self.http_response = type("Response", (), {"headers": headers or {}})()


@pytest.mark.parametrize(
    ("text", "seconds"), [("00:00:03", 3.0), ("00:01:00", 60.0), ("01:00:00.5", 3600.5), ("3", None), ("", None)]
)
def test_resets_after_is_read_as_hh_mm_ss(text, seconds):
    assert _duration(text) == seconds


def test_arm_reads_wait_for_a_token_once_the_bucket_is_low():
    pacer = Pacer(refill=100.0, reserve=2)
    url = "https://management.azure.com/subscriptions/s1/providers/Microsoft.KeyVault/vaults"
    pacer.on_request(_Message(url))  # nothing heard yet: no wait
    assert pacer.waited == 0
    pacer.on_response(_Message(url), _Message(url, {"x-ms-ratelimit-remaining-subscription-reads": "1"}))
    start = time.monotonic()
    pacer.on_request(_Message(url))
    assert pacer.waited > 0 and time.monotonic() - start >= pacer.waited * 0.9
    other = "https://management.azure.com/subscriptions/s2/providers/Microsoft.KeyVault/vaults"
    before = pacer.waited
    pacer.on_request(_Message(other))  # another subscription has a bucket of its own
    assert pacer.waited == before


def test_resource_graph_queries_wait_for_the_window_once_none_is_left():
    pacer = Pacer()
    url = "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
    headers = {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:01"}
    pacer.on_response(_Message(url), _Message(url, headers))
    start = time.monotonic()
    pacer.on_request(_Message(url))
    assert 0.5 < time.monotonic() - start < 1.5 and pacer.graph_remaining == 0


def test_resource_graph_is_trusted_only_for_types_granted_on_the_whole_subscription():
    types = ["Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts", "Microsoft.Web/sites"]
    everything = {"value": [{"actions": ["*"], "notActions": []}]}
    reader = {"value": [{"actions": ["*/read"], "notActions": ["Microsoft.KeyVault/*"]}]}
    narrow = {"value": [{"actions": ["Microsoft.Storage/storageAccounts/read"]}, {"actions": ["Microsoft.Web/*/read"]}]}
    assert unreadable_types(everything, types) == set()
    assert unreadable_types(reader, types) == {"Microsoft.KeyVault/vaults"}
    assert unreadable_types(narrow, types) == {"Microsoft.KeyVault/vaults"}
    assert unreadable_types({"value": "odd"}, types) == set(types)  # an odd answer proves nothing
    assert unreadable_types({"value": [{"actions": "*"}]}, types) == set(types)
