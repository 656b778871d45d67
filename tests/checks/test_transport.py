"""Transport security: plain-text channels, TLS floors and anonymous blob reads.

Shapes follow the azure-rest-api-specs example responses named in each test."""

from __future__ import annotations

import json

import pytest
from auditor.checks.transport import TLS_FLOORS

from tests.checks.helpers import only, resource, verdicts

STORAGE = "Microsoft.Storage/storageAccounts"
CONTAINER = "Microsoft.Storage/storageAccounts/blobServices/containers"


def redis(name, **props):
    # redis/.../stable/2024-11-01/examples/RedisCacheGet.json
    base = {
        "provisioningState": "Succeeded",
        "redisVersion": "6.0",
        "sku": {"name": "Premium", "family": "P", "capacity": 1},
        "hostName": f"{name}.redis.cache.windows.net",
        "port": 6379,
        "sslPort": 6380,
    }
    return resource("Microsoft.Cache/Redis", name, properties=base | props)


def storage(name, **props):
    # storage/.../stable/2023-05-01/examples/StorageAccountGetProperties.json
    base = {
        "keyCreationTime": {"key1": "2021-03-18T04:42:22.4322836Z", "key2": "2021-03-18T04:42:22.4322836Z"},
        "isHnsEnabled": True,
        "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"},
        "provisioningState": "Succeeded",
    }
    return resource(STORAGE, name, properties=base | props, kind="StorageV2", sku={"name": "Standard_GRS"})


def container(account, name, **props):
    # storage/.../stable/2023-05-01/examples/BlobContainersGet.json
    base = {"hasImmutabilityPolicy": False, "hasLegalHold": False, "leaseState": "Available"}
    return resource(CONTAINER, account, "default", name, properties=base | props)


def test_redis_non_ssl_port():
    result = verdicts(
        "transport.redis.non-ssl-port",
        [redis("open", enableNonSslPort=True), redis("closed", enableNonSslPort=False), redis("silent")],
    )
    assert result == {"open": "fail", "closed": "pass", "silent": "pass"}


def test_redis_non_ssl_port_not_applicable_without_caches():
    assert only("transport.redis.non-ssl-port", [storage("st")]).status.value == "not_applicable"


#: Where Azure has retired TLS 1.0 and 1.1 for the whole service, whatever the resource's setting says.
#: Today is 2026-12-01; every date below has passed, so each retirement is in force.
PLATFORM_FLOOR_DOCS = {
    # azure-cache-for-redis/cache-remove-tls-10-11: TLS 1.0/1.1 retired for Azure Cache for Redis.
    "redis": "learn.microsoft.com/azure/azure-cache-for-redis/cache-remove-tls-10-11",
    # storage/common/transport-layer-security-configure-minimum-version and Azure's service notice: "After
    # 3 February 2026, we'll no longer support TLS 1.0 and 1.1 for Azure Storage accounts", new and existing.
    "storage": "learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version",
    # cosmos-db/self-serve-minimum-tls-enforcement: "Starting August 31, 2025, all Cosmos DB database accounts
    # must use TLS 1.2 or higher, as support for TLS 1.0 and 1.1 is retired."
    "cosmos": "learn.microsoft.com/azure/cosmos-db/self-serve-minimum-tls-enforcement",
    # service-bus-messaging/transport-layer-security-configure-minimum-version: "As of 28 February 2025, TLS 1.0
    # and TLS 1.1 will no longer be supported on Azure Service Bus. The minimum TLS version will be 1.2 for all
    # Service Bus deployments."
    "servicebus": "learn.microsoft.com/azure/service-bus-messaging/transport-layer-security-configure-minimum-version",
    # event-hubs/transport-layer-security-enforce-minimum-version: the same warning for Event Hubs (28 February
    # 2025, moved to October 2025 in later revisions of the page; past either way).
    "eventhubs": "learn.microsoft.com/azure/event-hubs/transport-layer-security-enforce-minimum-version",
}

#: (old value, current value) as each service spells them in its GET (RedisCacheGet.json 2024-11-01,
#: StorageAccountGetProperties.json 2023-05-01, CosmosDBDatabaseAccountGet.json 2024-11-15,
#: SBNameSpaceGet.json / EHNameSpaceGet.json 2022-10-01-preview).
TLS_VALUES = {
    "redis": ("1.0", "1.2"),
    "storage": ("TLS1_0", "TLS1_2"),
    "cosmos": ("Tls11", "Tls12"),
    "servicebus": ("1.1", "1.2"),
    "eventhubs": ("1.0", "1.2"),
}


def test_every_tls_floor_row_is_covered_here():
    assert {row.key for row in TLS_FLOORS} == set(TLS_VALUES) == set(PLATFORM_FLOOR_DOCS)


@pytest.mark.parametrize("row", TLS_FLOORS, ids=lambda r: r.key)
def test_old_tls_is_reported_where_the_platform_enforces_1_2(row):
    assert row.platform_floor, f"{row.key}: {PLATFORM_FLOOR_DOCS[row.key]} retires TLS 1.0/1.1 platform-wide"
    old, new = TLS_VALUES[row.key]
    prop = row.path.split(".", 1)[1]
    resources = [
        resource(row.rtype, "old", properties={prop: old}),
        resource(row.rtype, "new", properties={prop: new}),
        resource(row.rtype, "odd", properties={prop: "SSL3"}),
    ]
    assert verdicts(f"transport.{row.key}.min-tls", resources) == {"old": "pass", "new": "pass", "odd": "not_assessed"}
    reported = only(f"transport.{row.key}.min-tls", resources[:1])
    # Reported, not silently passed: the message names the old setting and says it has no effect.
    assert old in reported.evidence["message"] and "no effect" in reported.evidence["message"]
    assert "TLS 1.2 or newer only" in reported.evidence["message"]
    current = only(f"transport.{row.key}.min-tls", resources[1:2])
    assert "no effect" not in current.evidence["message"]


def test_storage_tls_floor_default_is_tls_1_0_which_the_platform_overrides():
    # storage.json: minimumTlsVersion "The default interpretation is TLS 1.0 for this property"; since
    # 3 February 2026 Azure Storage refuses TLS 1.0/1.1 anyway, so the default is reported, not failed.
    finding = only("transport.storage.min-tls", [storage("silent")])
    assert finding.status.value == "pass" and "TLS1_0" in finding.evidence["message"]
    assert "no effect" in finding.evidence["message"]


def test_messaging_tls_floor_without_the_property_is_not_assessed():
    # The namespace GET (SBNameSpaceGet.json, 2022-10-01-preview) states minimumTlsVersion; absence is odd.
    ns = resource("Microsoft.ServiceBus/namespaces", "sb", properties={"status": "Active"})
    assert verdicts("transport.servicebus.min-tls", [ns]) == {"sb": "not_assessed"}


def test_storage_https_only():
    # storage.json: supportsHttpsTrafficOnly "Default value is true since API version 2019-04-01".
    result = verdicts(
        "transport.storage.https-only",
        [storage("plain", supportsHttpsTrafficOnly=False), storage("secure", supportsHttpsTrafficOnly=True),
         storage("silent")],
    )
    assert result == {"plain": "fail", "secure": "pass", "silent": "pass"}


def test_blob_public_access_default_follows_the_api_version():
    # storage.json before 2023-01-01: "The default interpretation is true for this property";
    # from 2023-01-01: "The default interpretation is false for this property."
    accounts = [storage("silent"), storage("allowed", allowBlobPublicAccess=True),
                storage("denied", allowBlobPublicAccess=False)]
    new = verdicts("transport.storage.blob-public-access", accounts, api_versions={STORAGE: "2023-05-01"})
    assert new == {"silent": "pass", "allowed": "fail", "denied": "pass"}
    old = verdicts("transport.storage.blob-public-access", accounts, api_versions={STORAGE: "2022-09-01"})
    assert old == {"silent": "fail", "allowed": "fail", "denied": "pass"}


def test_blob_public_access_without_api_version_takes_the_less_secure_reading():
    finding = only("transport.storage.blob-public-access", [storage("silent")], api_versions={STORAGE: None})
    assert finding.status.value == "fail"
    notes = {o["path"]: o["observed"] for o in finding.evidence["observations"]}
    assert "unknown" in notes["apiVersion"]


def test_container_public_access():
    # BlobContainersGet.json / BlobContainersList.json: publicAccess None, Blob or Container.
    open_account = storage("open", allowBlobPublicAccess=True)
    closed_account = storage("closed", allowBlobPublicAccess=False)
    result = verdicts(
        "transport.storage.container-public-access",
        [
            open_account,
            closed_account,
            container("open", "public", publicAccess="Container"),
            container("open", "blobs", publicAccess="Blob"),
            container("open", "private", publicAccess="None"),
            container("closed", "ineffective", publicAccess="Blob"),
        ],
    )
    assert result == {"public": "fail", "blobs": "fail", "private": "not_applicable", "ineffective": "pass"}


def test_container_of_an_unseen_account_is_not_assessed():
    orphan = container("ghost", "public", publicAccess="Blob")
    assert verdicts("transport.storage.container-public-access", [orphan]) == {"public": "not_assessed"}


def site(name, **props):
    # web/.../stable/2023-12-01/examples/GetWebApp.json: the site GET holds siteConfig with null values.
    base = {"state": "Running", "hostNames": [f"{name}.azurewebsites.net"], "siteConfig": {"minTlsVersion": None}}
    return resource("Microsoft.Web/sites", name, properties=base | props, kind="app")


def web_config(site_name, **props):
    # web/.../stable/2023-12-01/examples/GetSiteConfig.json: {site}/config/web
    return resource("Microsoft.Web/sites/config", site_name, "web", properties={"numberOfWorkers": 1} | props)


def test_appservice_https_only():
    result = verdicts(
        "transport.appservice.https-only", [site("on", httpsOnly=True), site("off", httpsOnly=False), site("silent")]
    )
    assert result == {"on": "pass", "off": "fail", "silent": "fail"}


def test_appservice_min_tls_is_read_from_config_web():
    result = verdicts(
        "transport.appservice.min-tls",
        [site("new"), web_config("new", minTlsVersion="1.2"), site("old"), web_config("old", minTlsVersion="1.0"),
         site("unread")],
    )
    # App Service still serves TLS 1.0/1.1 to an app set to allow them: the platform retires them for inbound
    # connections on 31 May 2027 (learn.microsoft.com/azure/app-service/tls-minimum-version), so 1.0 fails.
    assert result == {"new": "pass", "old": "fail", "unread": "not_assessed"}


@pytest.mark.parametrize("shape", ["resource-graph", "resource-array"])
def test_inputs_without_an_api_version_take_the_older_blob_default_and_say_so(tmp_path, shape):
    # A Resource Graph answer (its data/count/skip_token envelope) or a plain array of resources names no
    # api-version, so an account without allowBlobPublicAccess gets the pre-2023-01-01 default ("the default
    # interpretation is true") and the evidence says it was assumed.
    from auditor import snapshot as snapshots
    from auditor.audit import AuditRequest, run_audit

    silent = storage("silent") | {"resourceGroup": "rg-test", "subscriptionId": "00000000-0000-0000-0000-000000000001"}
    document = {"count": 1, "data": [silent], "skip_token": None, "total_records": 1} if shape == "resource-graph" \
        else [silent]
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    snap = snapshots.load(path)
    report = run_audit(AuditRequest(snapshot=snap))
    (finding,) = [f for f in report["findings"] if f["checkId"] == "transport.storage.blob-public-access"]
    assert finding["status"] == "fail"
    notes = {o["path"]: o["observed"] for o in finding["evidence"]["observations"]}
    assert "unknown" in str(notes["apiVersion"]) and "older default" in str(notes["apiVersion"])
