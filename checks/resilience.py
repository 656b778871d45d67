"""Evidence for the manual checklist items: what the snapshot shows about disaster recovery and the
security assessment. A person still attests the items; these findings sit beside the attestation,
and an attestation they contradict is flagged (auditor/checklist.py)."""

from __future__ import annotations

from auditor.api import (
    Area,
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

COSMOS = "Microsoft.DocumentDB/databaseAccounts"
MONGO_VCORE = "Microsoft.DocumentDB/mongoClusters"
REDIS = "Microsoft.Cache/Redis"
REDIS_LINK = "Microsoft.Cache/Redis/linkedServers"
STORAGE = "Microsoft.Storage/storageAccounts"
BLOB_SERVICE = "Microsoft.Storage/storageAccounts/blobServices"
REGISTRY = "Microsoft.ContainerRegistry/registries"
REPLICATION = "Microsoft.ContainerRegistry/registries/replications"
PRICING = "Microsoft.Security/pricings"
DR_EXPECTED = "a copy that survives the loss of a zone or region, and a way back"
#: Storage SKUs whose data survives a zone outage (ZRS) or a region outage (GRS family).
RESILIENT_STORAGE = ("_zrs", "_gzrs", "_ragzrs", "_grs", "_ragrs")


def _gaps_verdict(gaps: list[str], good: str) -> Verdict:
    if gaps:
        return failed("; ".join(gaps), expected=DR_EXPECTED)
    return passed(good, expected=DR_EXPECTED)


@check(
    id="dr.cosmos",
    title="Cosmos DB has continuous backup, a second region and automatic failover",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="disaster-recovery",
    types=[COSMOS],
    rationale=(
        "Session state and conversation history live in Cosmos DB. Periodic backup restores only from Microsoft "
        "support and loses hours; a single region goes down with its region; without automatic failover a "
        "regional outage waits for a person. This is evidence for the attested disaster-recovery item."
    ),
    remediation=Remediation(
        text="Switch to continuous backup, add a second region and enable service-managed failover.",
        az="az cosmosdb update --name {name} --resource-group {resourceGroup} --backup-policy-type Continuous "
        "--enable-automatic-failover true --locations regionName=eastus2 failoverPriority=0 "
        "--locations regionName=centralus failoverPriority=1",
        bicep="properties: {\n  backupPolicy: { type: 'Continuous' }\n  enableAutomaticFailover: true\n"
        "  locations: [\n    { locationName: 'eastus2', failoverPriority: 0 }\n"
        "    { locationName: 'centralus', failoverPriority: 1 }\n  ]\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/cosmos-db/continuous-backup-restore-introduction",
        "https://learn.microsoft.com/azure/reliability/reliability-cosmos-db-nosql",
    ],
)
def cosmos(account: Resource, ctx: Context) -> Verdict:
    # An account created without a backup policy gets periodic backup (the service default).
    backup = account.get(
        "properties.backupPolicy.type", default="Periodic", expect=str, parent_optional="properties.backupPolicy"
    )
    regions = account.get("properties.locations", expect=list)
    failover = account.get("properties.enableAutomaticFailover", default=False, expect=bool)
    gaps = []
    if backup.lower() != "continuous":
        gaps.append(f"backup is {backup}, not Continuous")
    if len(regions) < 2:
        gaps.append(f"{len(regions)} region")
    if not failover:
        gaps.append("automatic failover is off")
    return _gaps_verdict(gaps, f"continuous backup, {len(regions)} regions, automatic failover")


@check(
    id="dr.mongo-vcore-ha",
    title="Azure Cosmos DB for MongoDB (vCore) clusters run with high availability",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="disaster-recovery",
    types=[MONGO_VCORE],
    rationale="Without high availability a vCore cluster has no standby: a node failure is an outage until the "
    "node is rebuilt. This is evidence for the attested disaster-recovery item.",
    remediation=Remediation(
        text="Enable high availability (zone redundant where the region offers it).",
        az="az resource update --ids <cluster-id> --set properties.highAvailability.targetMode=ZoneRedundantPreferred",
        bicep="properties: {\n  highAvailability: { targetMode: 'ZoneRedundantPreferred' }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/cosmos-db/mongodb/vcore/high-availability"],
)
def mongo_vcore_ha(cluster: Resource, ctx: Context) -> Verdict:
    mode = cluster.get("properties.highAvailability.targetMode", expect=str)
    if mode.lower() == "disabled":
        return failed("high availability is Disabled", expected=DR_EXPECTED)
    return passed(f"high availability {mode}", expected=DR_EXPECTED)


@check(
    id="dr.redis",
    title="Redis persists data, is geo-replicated and spans zones",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="disaster-recovery",
    types=[REDIS],
    reads=[REDIS_LINK],
    rationale=(
        "Redis holds the hot conversation memory. Without RDB or AOF persistence a restart empties it; without a "
        "geo-replica a regional outage loses it; without zones one datacenter takes it down. Persistence and "
        "geo-replication need the Premium tier. This is evidence for the attested disaster-recovery item."
    ),
    remediation=Remediation(
        text="Use Premium, enable RDB persistence, link a geo-replica and spread the cache over zones.",
        az="az redis update --name {name} --resource-group {resourceGroup} --set "
        "redisConfiguration.rdb-backup-enabled=true redisConfiguration.rdb-backup-frequency=60",
        bicep="properties: {\n  sku: { name: 'Premium', family: 'P', capacity: 1 }\n  redisConfiguration: {\n"
        "    'rdb-backup-enabled': 'true'\n    'rdb-backup-frequency': '60'\n  }\n}\nzones: [ '1', '2', '3' ]",
    ),
    refs=[
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-how-to-premium-persistence",
        "https://learn.microsoft.com/azure/azure-cache-for-redis/cache-how-to-geo-replication",
    ],
)
def redis(cache: Resource, ctx: Context) -> Verdict:
    tier = cache.get("properties.sku.name", expect=str)
    if tier.lower() != "premium":
        return failed(f"{tier} tier: no persistence, geo-replication or zones (Premium needed)", expected=DR_EXPECTED)
    config = cache.get("properties.redisConfiguration", default={}, expect=dict)
    persisted = [kind for kind in ("rdb", "aof") if str(config.get(f"{kind}-backup-enabled", "")).lower() == "true"]
    cache.note("properties.redisConfiguration.persistence", persisted)
    links = ctx.children(cache, REDIS_LINK)
    zones = cache.get("zones", default=[], expect=list)
    # From 2025-08-01-preview, zonalAllocationPolicy Automatic spreads the cache over zones with "zones" empty.
    automatic = cache.get("properties.zonalAllocationPolicy", default="", expect=str).lower() == "automatic"
    spread = "automatic zonal allocation" if automatic and not zones else f"zones {zones}"
    gaps = []
    if not persisted:
        gaps.append("no RDB or AOF persistence")
    if not links:
        gaps.append("no geo-replica (linkedServers)")
    if len(zones) < 2 and not automatic:
        gaps.append("not spread over availability zones")
    good = f"persistence {'+'.join(persisted).upper()}, geo-replica {links[0].name if links else ''}, {spread}"
    return _gaps_verdict(gaps, good)


@check(
    id="dr.storage",
    title="Storage is zone or geo redundant and keeps deleted blobs",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="disaster-recovery",
    types=[STORAGE],
    reads=[BLOB_SERVICE],
    rationale=(
        "Locally redundant storage lives in one datacenter; without blob soft delete an accidental or malicious "
        "delete of recordings and cold conversation history is final. This is evidence for the attested "
        "disaster-recovery item."
    ),
    remediation=Remediation(
        text="Move to ZRS or GZRS and enable blob soft delete.",
        az="az storage account update --name {name} --resource-group {resourceGroup} --sku Standard_GZRS && "
        "az storage account blob-service-properties update --account-name {name} --resource-group {resourceGroup} "
        "--enable-delete-retention true --delete-retention-days 14",
        bicep="sku: { name: 'Standard_GZRS' }\n// blobServices/default\nproperties: {\n  deleteRetentionPolicy: "
        "{ enabled: true, days: 14 }\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/storage/common/storage-redundancy",
        "https://learn.microsoft.com/azure/storage/blobs/soft-delete-blob-overview",
    ],
)
def storage(account: Resource, ctx: Context) -> Verdict:
    sku = account.get("sku.name", expect=str)
    services = [s for s in ctx.children(account, BLOB_SERVICE) if s.name.lower() == "default"]
    # Blob soft delete is off unless deleteRetentionPolicy.enabled says otherwise (BlobServicesGet.json).
    soft_delete = (
        services[0].get("properties.deleteRetentionPolicy.enabled", default=False, expect=bool) if services else False
    )
    gaps = []
    if not sku.lower().endswith(RESILIENT_STORAGE):
        gaps.append(f"{sku} keeps every copy in one datacenter")
    if not services:
        gaps.append("no blob service settings: soft delete is off")
    elif not soft_delete:
        gaps.append("blob soft delete is off")
    return _gaps_verdict(gaps, f"{sku}, blob soft delete on")


@check(
    id="dr.acr-geo-replication",
    title="The container registry is replicated to a second region",
    severity=Severity.LOW,
    area=Area.SCALABILITY,
    checklist="disaster-recovery",
    types=[REGISTRY],
    reads=[REPLICATION],
    rationale="When the registry's region is down, no replica can pull an image, so a failover region cannot "
    "start the apps. Geo-replication needs the Premium tier. This is evidence for the attested disaster-recovery "
    "item.",
    remediation=Remediation(
        text="Use Premium and add a replication in the failover region.",
        az="az acr replication create --registry {name} --location centralus",
        bicep="resource replica 'Microsoft.ContainerRegistry/registries/replications@2023-07-01' = {\n"
        "  parent: registry\n  name: 'centralus'\n  location: 'centralus'\n}",
    ),
    refs=["https://learn.microsoft.com/azure/container-registry/container-registry-geo-replication"],
)
def acr_geo_replication(registry: Resource, ctx: Context) -> Verdict:
    tier = registry.get("sku.name", expect=str)
    if tier.lower() != "premium":
        return failed(f"{tier} tier cannot geo-replicate (Premium needed)", expected=DR_EXPECTED)
    home = registry.get("location", expect=str).replace(" ", "").lower()
    # The list of replications includes the home region's own.
    elsewhere = [
        r.name
        for r in ctx.children(registry, REPLICATION)
        if str(r.raw.get("location", "")).replace(" ", "").lower() != home
    ]
    registry.note("replications", elsewhere)
    if not elsewhere:
        return failed("no replication outside the home region", expected=DR_EXPECTED)
    return passed(f"replicated to {', '.join(elsewhere)}", expected=DR_EXPECTED)


#: Defender for Cloud plan (pricings name) per resource type in the guide's architecture.
DEFENDER_PLANS = {
    STORAGE: "StorageAccounts",
    "Microsoft.KeyVault/vaults": "KeyVaults",
    REGISTRY: "Containers",
    COSMOS: "CosmosDbs",
    "Microsoft.CognitiveServices/accounts": "AI",
    "Microsoft.ApiManagement/service": "Api",
}


@check(
    id="security.defender-plans",
    title="Microsoft Defender for Cloud covers the services in scope",
    severity=Severity.MEDIUM,
    area=Area.IDENTITY,
    checklist="security-assessment",
    types=[PRICING],
    reads=list(DEFENDER_PLANS),
    scope="subscription",
    rationale=(
        "A security assessment is a moment; Defender for Cloud keeps assessing. Its plans for Storage, Key "
        "Vault, containers, Cosmos DB, AI services and APIs alert on threats to exactly the services the "
        "guide deploys. This is evidence for the attested security-assessment item; reading the plans needs "
        "Microsoft.Security/pricings/read, and without it the check is not assessed."
    ),
    remediation=Remediation(
        text="Enable the Standard tier of the Defender plans for the services you run.",
        az="az security pricing create --name StorageAccounts --tier Standard",
        bicep="resource plan 'Microsoft.Security/pricings@2024-01-01' = {\n  name: 'StorageAccounts'\n"
        "  properties: { pricingTier: 'Standard' }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/defender-for-cloud/defender-for-cloud-introduction"],
)
def defender_plans(subscription: Resource, ctx: Context) -> Verdict:
    wanted = sorted({plan for rtype, plan in DEFENDER_PLANS.items() if ctx.resources(rtype)})
    if not wanted:
        return not_applicable("none of the services Defender plans cover is in this subscription")
    tiers = {p.name.lower(): p.get("properties.pricingTier", expect=str) for p in ctx.resources(PRICING)}
    subscription.note("defenderPlans", {plan: tiers.get(plan.lower(), "absent") for plan in wanted})
    off = [
        f"{plan} ({tiers.get(plan.lower(), 'absent')})"
        for plan in wanted
        if tiers.get(plan.lower(), "").lower() != "standard"
    ]
    if off:
        return failed(f"Defender plans not on Standard: {', '.join(off)}", expected={p: "Standard" for p in wanted})
    return passed(f"Defender plans on: {', '.join(wanted)}", expected={p: "Standard" for p in wanted})
