"""Transport security: no service accepts plain text, each refuses TLS below 1.2, and storage serves
no anonymous reads.

One table row per service for the TLS floor; each row names the property, how its values spell a
TLS version, Azure's default when the property is absent, and whether the platform already refuses
TLS 1.0 and 1.1 whatever the setting says (then an old setting is reported, not failed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditor.checks._site import SITE_CONFIG, site_setting

from auditor.api import (
    Area,
    DataError,
    Remediation,
    Resource,
    Severity,
    Verdict,
    check,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Context

REDIS = "Microsoft.Cache/Redis"
STORAGE = "Microsoft.Storage/storageAccounts"
CONTAINER = "Microsoft.Storage/storageAccounts/blobServices/containers"
SITE = "Microsoft.Web/sites"
ANONYMOUS_DOC = "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"
#: Microsoft.Storage changed the documented default of allowBlobPublicAccess in api-version
#: 2023-01-01: before it "the default interpretation is true", from it "false".
BLOB_PUBLIC_DEFAULT_FALSE_FROM = "2023-01-01"


@dataclass(frozen=True)
class TlsFloor:
    key: str
    rtype: str
    label: str
    path: str
    #: value as ARM spells it (lower-cased) -> (major, minor)
    versions: dict[str, tuple[int, int]]
    #: Azure's value when the property is absent; None: no documented default, so absence is not assessed
    default: str | None
    az: str
    bicep: str
    ref: str
    #: Set where the service refuses TLS 1.0 and 1.1 whatever the setting says: what the platform does.
    platform_floor: str | None = None


DOTTED = {"1.0": (1, 0), "1.1": (1, 1), "1.2": (1, 2), "1.3": (1, 3)}
TLS_FLOORS = (
    TlsFloor(
        "redis",
        REDIS,
        "Azure Cache for Redis",
        "properties.minimumTlsVersion",
        DOTTED,
        "1.2",  # caches created today get 1.2; older ones state their setting in the GET
        "az redis update --name {name} --resource-group {resourceGroup} --set minimumTlsVersion=1.2",
        "properties: {\n  minimumTlsVersion: '1.2'\n}",
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-remove-tls-10-11",
        platform_floor="Azure Cache for Redis has retired TLS 1.0 and 1.1 and accepts TLS 1.2 or newer only",
    ),
    TlsFloor(
        "storage",
        STORAGE,
        "Storage account",
        "properties.minimumTlsVersion",
        {"tls1_0": (1, 0), "tls1_1": (1, 1), "tls1_2": (1, 2), "tls1_3": (1, 3)},
        "TLS1_0",  # storage.json: "The default interpretation is TLS 1.0 for this property"
        "az storage account update --name {name} --resource-group {resourceGroup} --min-tls-version TLS1_2",
        "properties: {\n  minimumTlsVersion: 'TLS1_2'\n}",
        "https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version",
        # Retired on 3 February 2026 for every account, new and existing, whatever minimumTlsVersion says.
        platform_floor="Azure Storage has retired TLS 1.0 and 1.1 (3 February 2026) and accepts TLS 1.2 or newer only",
    ),
    TlsFloor(
        "cosmos",
        "Microsoft.DocumentDB/databaseAccounts",
        "Cosmos DB account",
        "properties.minimalTlsVersion",
        {"tls": (1, 0), "tls11": (1, 1), "tls12": (1, 2), "tls13": (1, 3)},
        "Tls",  # older api-versions: "The default is Tls 1.0, except for Cassandra and Mongo API's"
        "az cosmosdb update --name {name} --resource-group {resourceGroup} --minimal-tls-version Tls12",
        "properties: {\n  minimalTlsVersion: 'Tls12'\n}",
        "https://learn.microsoft.com/azure/cosmos-db/self-serve-minimum-tls-enforcement",
        platform_floor="Azure Cosmos DB has retired TLS 1.0 and 1.1 and accepts TLS 1.2 or newer only",
    ),
    TlsFloor(
        "servicebus",
        "Microsoft.ServiceBus/namespaces",
        "Service Bus namespace",
        "properties.minimumTlsVersion",
        DOTTED,
        None,  # the namespace GET always states it; no default is documented
        "az servicebus namespace update --name {name} --resource-group {resourceGroup} --min-tls 1.2",
        "properties: {\n  minimumTlsVersion: '1.2'\n}",
        "https://learn.microsoft.com/azure/service-bus-messaging/transport-layer-security-configure-minimum-version",
        platform_floor="Azure Service Bus has retired TLS 1.0 and 1.1 and accepts TLS 1.2 or newer only",
    ),
    TlsFloor(
        "eventhubs",
        "Microsoft.EventHub/namespaces",
        "Event Hubs namespace",
        "properties.minimumTlsVersion",
        DOTTED,
        None,
        "az eventhubs namespace update --name {name} --resource-group {resourceGroup} --minimum-tls-version 1.2",
        "properties: {\n  minimumTlsVersion: '1.2'\n}",
        "https://learn.microsoft.com/azure/event-hubs/transport-layer-security-enforce-minimum-version",
        platform_floor="Azure Event Hubs has retired TLS 1.0 and 1.1 and accepts TLS 1.2 or newer only",
    ),
)


def judge_tls_floor(value: str, versions: dict[str, tuple[int, int]], platform_floor: str | None) -> Verdict:
    """Pass at TLS 1.2 or newer; below it, fail, unless the platform refuses old TLS anyway."""
    version = versions.get(value.lower())
    if version is None:
        raise DataError(f"minimum TLS version {value!r} is not a TLS version this check knows")
    if version >= (1, 2):
        return passed(f"minimum TLS version {value}", expected="1.2 or newer")
    if platform_floor:
        return passed(
            f"minimum TLS version {value}, which has no effect: {platform_floor}; set 1.2 to say so",
            expected="1.2 or newer",
        )
    return failed(f"minimum TLS version {value} admits TLS below 1.2", expected="1.2 or newer")


def _tls_floor_check(row: TlsFloor) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=f"transport.{row.key}.min-tls",
        title=f"{row.label} refuses TLS below 1.2",
        severity=Severity.LOW,
        area=Area.NETWORK,
        checklist="private-endpoints",
        types=[row.rtype],
        rationale=(
            f"TLS 1.0 and 1.1 are deprecated and open to downgrade attacks. Current clients negotiate TLS 1.2 "
            f"anyway, so the floor the {row.label} sets is defence in depth against an old or misconfigured client."
        ),
        remediation=Remediation(
            text=f"Set the {row.label}'s minimum TLS version to 1.2.", az=row.az, bicep=row.bicep
        ),
        refs=[row.ref],
    )
    def min_tls(res: Resource, ctx: Context) -> Verdict:
        if row.default is None:
            value = res.get(row.path, expect=str)
        else:
            value = res.get(row.path, default=row.default, expect=str)
        return judge_tls_floor(value, row.versions, row.platform_floor)

    min_tls.__name__ = f"min_tls_{row.key}"
    return min_tls


@check(
    id="transport.appservice.min-tls",
    title="App Service app refuses TLS below 1.2",
    severity=Severity.LOW,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[SITE],
    reads=[SITE_CONFIG],
    rationale="TLS 1.0 and 1.1 are deprecated and open to downgrade attacks; the floor is defence in depth "
    "against an old or misconfigured client.",
    remediation=Remediation(
        text="Set the app's minimum TLS version to 1.2.",
        az="az webapp config set --name {name} --resource-group {resourceGroup} --min-tls-version 1.2",
        bicep="siteConfig: {\n  minTlsVersion: '1.2'\n}",
    ),
    refs=["https://learn.microsoft.com/azure/app-service/overview-tls"],
)
def appservice_min_tls(site: Resource, ctx: Context) -> Verdict:
    # No platform floor (yet): App Service keeps accepting TLS 1.0/1.1 on apps set to allow them until it
    # retires them for inbound connections on 31 May 2027 (app-service/tls-minimum-version).
    holder, path = site_setting(site, ctx, "minTlsVersion")
    value = holder.get(path, expect=str)
    site.note(f"{'siteConfig' if holder is site else 'config/web'}.minTlsVersion", value)
    return judge_tls_floor(value, DOTTED, None)


@check(
    id="transport.redis.non-ssl-port",
    title="Azure Cache for Redis keeps the plain-text port closed",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[REDIS],
    rationale="With enableNonSslPort the cache answers on port 6379 without TLS: the access key and every "
    "cached value cross the network in clear text.",
    remediation=Remediation(
        text="Disable the non-TLS port and connect on 6380 with TLS.",
        az="az redis update --name {name} --resource-group {resourceGroup} --set enableNonSslPort=false",
        bicep="properties: {\n  enableNonSslPort: false\n}",
    ),
    refs=["https://learn.microsoft.com/azure/azure-cache-for-redis/cache-configure#access-ports"],
)
def redis_non_ssl_port(cache: Resource, ctx: Context) -> Verdict:
    # redis.json: enableNonSslPort "Specifies whether the non-ssl Redis server port (6379) is enabled", default false.
    if cache.get("properties.enableNonSslPort", default=False, expect=bool):
        return failed("the non-TLS port 6379 is open", expected=False)
    return passed("only the TLS port 6380 is open", expected=False)


@check(
    id="transport.storage.https-only",
    title="Storage account accepts HTTPS only",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[STORAGE],
    rationale="With supportsHttpsTrafficOnly off, blob and file requests (and the SAS tokens in them) travel "
    "in clear text.",
    remediation=Remediation(
        text="Require secure transfer.",
        az="az storage account update --name {name} --resource-group {resourceGroup} --https-only true",
        bicep="properties: {\n  supportsHttpsTrafficOnly: true\n}",
    ),
    refs=["https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer"],
)
def storage_https_only(account: Resource, ctx: Context) -> Verdict:
    # Default true since api-version 2019-04-01 (storage.json: "Default value is true since API version 2019-04-01").
    if account.get("properties.supportsHttpsTrafficOnly", default=True, expect=bool):
        return passed("secure transfer is required", expected=True)
    return failed("supportsHttpsTrafficOnly is false: plain HTTP is served", expected=True)


def blob_public_access_allowed(account: Resource, ctx: Context) -> bool:
    """allowBlobPublicAccess, with the default of the api-version the account was read with. An
    input that does not say which (Resource Graph output, a plain array) gets the older, less
    secure default, and the evidence says so."""
    version = ctx.api_version(STORAGE)
    if version is None:
        account.note("apiVersion", "unknown: the older default (public access allowed) is assumed")
        default = True
    else:
        default = version[:10] < BLOB_PUBLIC_DEFAULT_FALSE_FROM
        account.note("apiVersion", version)
    return bool(account.get("properties.allowBlobPublicAccess", default=default, expect=bool))


@check(
    id="transport.storage.blob-public-access",
    title="Storage account forbids anonymous blob access",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[STORAGE],
    rationale="While allowBlobPublicAccess is on, any container can be switched to anonymous read with one "
    "property change, and then anyone with the URL reads its blobs: no key, no token, no log of who.",
    remediation=Remediation(
        text="Disallow anonymous access on the account.",
        az="az storage account update --name {name} --resource-group {resourceGroup} --allow-blob-public-access false",
        bicep="properties: {\n  allowBlobPublicAccess: false\n}",
    ),
    refs=[ANONYMOUS_DOC],
)
def storage_blob_public_access(account: Resource, ctx: Context) -> Verdict:
    if blob_public_access_allowed(account, ctx):
        return failed("anonymous blob access is allowed on the account", expected=False)
    return passed("anonymous blob access is disallowed", expected=False)


@check(
    id="transport.storage.container-public-access",
    title="No blob container is readable anonymously",
    severity=Severity.CRITICAL,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[CONTAINER],
    reads=[STORAGE],
    rationale="A container whose publicAccess is Blob or Container serves its blobs (and, for Container, "
    "their list) to anyone on the internet, when the account allows anonymous access.",
    remediation=Remediation(
        text="Set the container's public access level to None, or disallow anonymous access on the account.",
        az="az storage container set-permission --name {name} --account-name <account> --public-access off",
        bicep="properties: {\n  publicAccess: 'None'\n}",
    ),
    refs=[ANONYMOUS_DOC],
)
def storage_container_public_access(container: Resource, ctx: Context) -> Verdict:
    # blob.json: publicAccess "Specifies whether data in the container may be accessed publicly", None when absent.
    level = container.get("properties.publicAccess", default="None", expect=str)
    if level.lower() == "none":
        return not_applicable("the container's public access level is None")
    account_id = container.id.split("/blobServices/", 1)[0]
    account = ctx.get(account_id)
    if account is None:
        raise DataError(f"the storage account {account_id} is not in the snapshot")
    if not blob_public_access_allowed(account, ctx):
        container.note("account.allowBlobPublicAccess", False)
        return passed(
            f"publicAccess {level} has no effect: the account disallows anonymous access", expected="None"
        )
    return failed(f"publicAccess {level}: anyone on the internet reads the container's blobs", expected="None")


@check(
    id="transport.appservice.https-only",
    title="App Service app redirects HTTP to HTTPS",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[SITE],
    rationale="Without httpsOnly the app answers plain HTTP, so cookies, tokens and call data cross the "
    "network in clear text.",
    remediation=Remediation(
        text="Turn on HTTPS Only.",
        az="az webapp update --name {name} --resource-group {resourceGroup} --https-only true",
        bicep="properties: {\n  httpsOnly: true\n}",
    ),
    refs=["https://learn.microsoft.com/azure/app-service/configure-ssl-bindings#enforce-https"],
)
def appservice_https_only(site: Resource, ctx: Context) -> Verdict:
    # WebApps.json: httpsOnly "configures a web site to accept only https requests", false when absent.
    if site.get("properties.httpsOnly", default=False, expect=bool):
        return passed("HTTPS Only is on", expected=True)
    return failed("httpsOnly is off: plain HTTP is served", expected=True)


CHECKS = [_tls_floor_check(row) for row in TLS_FLOORS]
