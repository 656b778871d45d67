"""Transport security: plain-text channels, TLS floors and anonymous blob reads.

Shapes follow the azure-rest-api-specs example responses named in each test."""

from __future__ import annotations

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


def test_redis_old_tls_is_reported_but_the_platform_enforces_1_2():
    # learn.microsoft.com/azure/azure-cache-for-redis/cache-remove-tls-10-11: TLS 1.0/1.1 retired.
    finding = only("transport.redis.min-tls", [redis("old", minimumTlsVersion="1.0")])
    assert finding.status.value == "pass"
    assert "no effect" in finding.evidence["message"] and "1.0" in finding.evidence["message"]


@pytest.mark.parametrize("row", [r for r in TLS_FLOORS if not r.platform_floor], ids=lambda r: r.key)
def test_tls_floor_verdicts(row):
    old, new = {
        "storage": ("TLS1_0", "TLS1_2"),
        "servicebus": ("1.1", "1.2"),
        "eventhubs": ("1.0", "1.2"),
    }[row.key]
    prop = row.path.split(".", 1)[1]
    result = verdicts(
        f"transport.{row.key}.min-tls",
        [
            resource(row.rtype, "old", properties={prop: old}),
            resource(row.rtype, "new", properties={prop: new}),
            resource(row.rtype, "odd", properties={prop: "SSL3"}),
        ],
    )
    assert result == {"old": "fail", "new": "pass", "odd": "not_assessed"}


def test_storage_tls_floor_default_is_tls_1_0():
    # storage.json: minimumTlsVersion "The default interpretation is TLS 1.0 for this property."
    assert verdicts("transport.storage.min-tls", [storage("silent")]) == {"silent": "fail"}


def test_messaging_tls_floor_without_the_property_is_not_assessed():
    # The namespace GET (SBNameSpaceGet.json, 2022-10-01-preview) states minimumTlsVersion; absence is odd.
    ns = resource("Microsoft.ServiceBus/namespaces", "sb", properties={"status": "Active"})
    assert verdicts("transport.servicebus.min-tls", [ns]) == {"sb": "not_assessed"}


def test_cosmos_old_tls_is_reported_but_the_platform_enforces_1_2():
    account = resource(
        "Microsoft.DocumentDB/databaseAccounts",
        "cosmos",
        properties={"databaseAccountOfferType": "Standard", "minimalTlsVersion": "Tls11"},
        kind="GlobalDocumentDB",
    )
    finding = only("transport.cosmos.min-tls", [account])
    assert finding.status.value == "pass" and "no effect" in finding.evidence["message"]


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
    assert result == {"new": "pass", "old": "fail", "unread": "not_assessed"}
