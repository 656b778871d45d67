"""The fake ARM itself, spoken to with nothing but the standard library."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from auditor.testing.fake_arm import FakeArm, Fault
from tests.collect.conftest import document, subscriptions_of


def get(arm: FakeArm, path: str) -> tuple[int, Any]:
    context = ssl.create_default_context(cafile=arm.ca_bundle)
    url = path if path.startswith("https://") else f"{arm.url}{path}"
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.fixture(scope="module")
def hardened() -> dict[str, Any]:
    return document("hardened")


def test_reads_by_subscription_group_id_child_and_extension(hardened):
    sub = subscriptions_of(hardened)[0]
    vault = next(r for r in hardened["resources"] if r["type"] == "Microsoft.KeyVault/vaults")
    group = vault["id"].split("/")[4]
    api = next(r for r in hardened["resources"] if r["type"] == "Microsoft.ApiManagement/service/apis")
    with FakeArm(hardened) as arm:
        q = "?api-version=1"
        assert get(arm, f"/subscriptions{q}")[1]["value"][0]["subscriptionId"] == sub
        assert vault in get(arm, f"/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults{q}")[1]["value"]
        in_group = f"/SUBSCRIPTIONS/{sub.upper()}/resourcegroups/{group.upper()}/providers/microsoft.keyvault/VAULTS{q}"
        assert vault in get(arm, in_group)[1]["value"]  # paths are case-insensitive
        assert get(arm, f"{vault['id']}{q}") == (200, vault)
        assert api in get(arm, f"{api['id'].rsplit('/', 2)[0]}/apis{q}")[1]["value"]
        status, settings = get(arm, f"{vault['id']}/providers/Microsoft.Insights/diagnosticSettings{q}")
        assert status == 200 and all(s["id"].lower().startswith(vault["id"].lower()) for s in settings["value"])
        assert get(arm, f"{vault['id']}-missing{q}")[0] == 404
        assert get(arm, f"/subscriptions/{sub}/resourceGroups/nope/providers/Microsoft.KeyVault/vaults{q}")[0] == 404
        assert get(arm, f"/subscriptions/other/providers/Microsoft.KeyVault/vaults{q}")[1]["error"]["code"] == (
            "SubscriptionNotFound"
        )
        assert get(arm, f"{vault['id']}")[0] == 400  # api-version is required
        assert [(e.method, e.status) for e in arm.log][-1] == ("GET", 400)


def test_paging_follows_next_links_to_every_item(hardened):
    with FakeArm(hardened, page_size=2) as arm:
        apim = next(r for r in hardened["resources"] if r["type"] == "Microsoft.ApiManagement/service")
        link, seen, pages = f"{apim['id']}/namedValues?api-version=1", [], 0
        while link:
            status, page = get(arm, link)
            assert status == 200 and len(page["value"]) <= 2
            seen += page["value"]
            link, pages = page.get("nextLink"), pages + 1
    expected = [r for r in hardened["resources"] if r["type"] == "Microsoft.ApiManagement/service/namedValues"]
    assert seen == expected and pages == max(1, -(-len(expected) // 2))


def test_faults_are_injected_per_route_and_logged(hardened):
    sub = subscriptions_of(hardened)[0]
    vaults = f"/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults?api-version=1"
    faults = [
        Fault(r"keyvault/vaults$", status=429, retry_after=7, times=1),
        Fault(r"keyvault/vaults$", status=200, delay=0.3, times=1),
        Fault(r"microsoft.cache/redis$", malformed=True),
        Fault(r"microsoft.storage/storageaccounts$", status=403),
    ]
    with FakeArm(hardened, faults=faults) as arm:
        context = ssl.create_default_context(cafile=arm.ca_bundle)
        with pytest.raises(urllib.error.HTTPError) as throttled:
            urllib.request.urlopen(f"{arm.url}{vaults}", context=context)
        assert throttled.value.code == 429 and throttled.value.headers["Retry-After"] == "7"
        start = time.monotonic()
        assert get(arm, vaults)[0] == 200 and time.monotonic() - start >= 0.3
        assert get(arm, vaults)[0] == 200
        with urllib.request.urlopen(
            f"{arm.url}/subscriptions/{sub}/providers/Microsoft.Cache/Redis?api-version=1", context=context
        ) as response, pytest.raises(json.JSONDecodeError):
            json.load(response)
        status, body = get(arm, f"/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts?api-version=1")
        assert status == 403 and body["error"]["code"] == "AuthorizationFailed"
        assert [e.status for e in arm.log] == [429, 200, 200, 200, 403]


def test_dropped_connection_and_refused_writes(hardened):
    sub = subscriptions_of(hardened)[0]
    with FakeArm(hardened, faults=[Fault(r"keyvault/vaults$", drop=True)]) as arm:
        context = ssl.create_default_context(cafile=arm.ca_bundle)
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(
                f"{arm.url}/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults?api-version=1", context=context
            )
        request = urllib.request.Request(
            f"{arm.url}/subscriptions/{sub}/providers/Microsoft.KeyVault/register?api-version=1",
            method="POST",
            data=b"",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, context=context)
        assert refused.value.code == 405
        assert [(e.method, e.status) for e in arm.log] == [("GET", 0), ("POST", 405)]
