"""Disaster-recovery and security-assessment evidence.

Shapes from azure-rest-api-specs examples: cosmos-db CosmosDBDatabaseAccountGet.json (backupPolicy,
locations, enableAutomaticFailover), mongocluster MongoClusters_Get.json (highAvailability.targetMode),
redis RedisCacheGet.json and RedisCacheLinkedServer_Get.json (linkedRedisCacheId, serverRole), storage
StorageAccountGetProperties.json and BlobServicesGet.json (deleteRetentionPolicy), containerregistry
ReplicationGet.json, security Pricings/GetPricingByName_example.json (pricingTier Standard / Free).
"""

from tests.checks.helpers import SUB, arm_id, only, resource, verdicts

COSMOS = "Microsoft.DocumentDB/databaseAccounts"
REDIS = "Microsoft.Cache/Redis"
STORAGE = "Microsoft.Storage/storageAccounts"
REGISTRY = "Microsoft.ContainerRegistry/registries"
PRICING = "Microsoft.Security/pricings"


def cosmos(regions=("East US 2", "Central US"), backup="Continuous", failover=True):
    props = {
        "databaseAccountOfferType": "Standard",
        "enableAutomaticFailover": failover,
        "locations": [
            {"id": f"ddb1-{i}", "locationName": name, "failoverPriority": i, "isZoneRedundant": False}
            for i, name in enumerate(regions)
        ],
    }
    if backup:
        props["backupPolicy"] = {"type": backup}
    return resource(COSMOS, "ddb1", kind="GlobalDocumentDB", properties=props)


def test_cosmos_with_continuous_backup_two_regions_and_failover_passes():
    assert verdicts("dr.cosmos", [cosmos()]) == {"ddb1": "pass"}


def test_single_region_cosmos_fails_naming_each_gap():
    finding = only("dr.cosmos", [cosmos(regions=("East US 2",), backup=None, failover=False)])
    message = finding.evidence["message"]
    assert finding.status.value == "fail"
    assert "Periodic" in message and "1 region" in message and "automatic failover is off" in message


def test_cosmos_absent_or_without_locations():
    assert verdicts("dr.cosmos", []) == {"test": "not_applicable"}
    odd = cosmos()
    del odd["properties"]["locations"]
    assert verdicts("dr.cosmos", [odd]) == {"ddb1": "not_assessed"}


def test_mongo_vcore_high_availability():
    def cluster(mode):
        return resource(
            "Microsoft.DocumentDB/mongoClusters",
            "myMongoCluster",
            properties={"serverVersion": "5.0", "highAvailability": {"targetMode": mode}},
        )

    assert verdicts("dr.mongo-vcore-ha", [cluster("ZoneRedundantPreferred")]) == {"myMongoCluster": "pass"}
    assert verdicts("dr.mongo-vcore-ha", [cluster("Disabled")]) == {"myMongoCluster": "fail"}
    assert verdicts("dr.mongo-vcore-ha", []) == {"test": "not_applicable"}


def redis(tier="Premium", rdb=True, zones=("1", "2")):
    config = {"maxmemory-policy": "allkeys-lru"}
    if rdb:
        config |= {"rdb-backup-enabled": "true", "rdb-backup-frequency": "60"}
    return resource(
        REDIS,
        "cache1",
        zones=list(zones),
        properties={
            "sku": {"name": tier, "family": "P" if tier == "Premium" else "C", "capacity": 1},
            "redisConfiguration": config,
        },
    )


def link():
    return resource(
        "Microsoft.Cache/Redis/linkedServers",
        "cache1",
        "cache2",
        properties={
            "linkedRedisCacheId": arm_id(REDIS, "cache2"),
            "linkedRedisCacheLocation": "West US",
            "serverRole": "Secondary",
            "provisioningState": "Succeeded",
        },
    )


def test_premium_redis_with_persistence_replica_and_zones_passes():
    assert verdicts("dr.redis", [redis(), link()]) == {"cache1": "pass"}


def test_redis_gaps_fail():
    finding = only("dr.redis", [redis(rdb=False, zones=())])
    message = finding.evidence["message"]
    assert "no RDB or AOF persistence" in message and "linkedServers" in message and "zones" in message
    assert verdicts("dr.redis", [redis(tier="Standard")]) == {"cache1": "fail"}


def test_redis_links_not_collected_is_not_assessed():
    assert verdicts("dr.redis", [redis()], collected=[REDIS]) == {"cache1": "not_assessed"}


def storage(sku="Standard_GZRS"):
    return resource(STORAGE, "sto1", kind="StorageV2", sku={"name": sku, "tier": "Standard"}, properties={})


def blob_service(enabled=True):
    return resource(
        f"{STORAGE}/blobServices",
        "sto1",
        "default",
        properties={"deleteRetentionPolicy": {"enabled": enabled, "days": 14}},
    )


def test_storage_redundancy_and_soft_delete():
    assert verdicts("dr.storage", [storage(), blob_service()]) == {"sto1": "pass"}
    assert verdicts("dr.storage", [storage("Standard_LRS"), blob_service()]) == {"sto1": "fail"}
    assert verdicts("dr.storage", [storage(), blob_service(enabled=False)]) == {"sto1": "fail"}
    assert verdicts("dr.storage", [storage()]) == {"sto1": "fail"}  # no blob service settings: the default, off
    assert verdicts("dr.storage", []) == {"test": "not_applicable"}


def registry(tier="Premium"):
    return resource(REGISTRY, "myRegistry", sku={"name": tier, "tier": tier}, properties={"loginServer": "x"})


def replication(location):
    return resource(
        f"{REGISTRY}/replications",
        "myRegistry",
        location.replace(" ", "").lower(),
        location=location,
        properties={"provisioningState": "Succeeded"},
    )


def test_registry_replicated_elsewhere_passes_and_home_region_alone_fails():
    assert verdicts("dr.acr-geo-replication", [registry(), replication("eastus2"), replication("West US")]) == {
        "myRegistry": "pass"
    }
    assert verdicts("dr.acr-geo-replication", [registry(), replication("eastus2")]) == {"myRegistry": "fail"}
    assert verdicts("dr.acr-geo-replication", [registry("Basic")]) == {"myRegistry": "fail"}
    assert verdicts("dr.acr-geo-replication", []) == {"test": "not_applicable"}


def pricing(name, tier):
    raw = {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/{name}",
        "name": name,
        "type": PRICING,
        "properties": {"pricingTier": tier, "freeTrialRemainingTime": "PT0S"},
    }
    return raw


def test_defender_plans_for_the_services_in_scope():
    items = [
        storage(),
        registry(),
        pricing("StorageAccounts", "Standard"),
        pricing("Containers", "Standard"),
        pricing("VirtualMachines", "Free"),
    ]
    assert verdicts("security.defender-plans", items) == {"test": "pass"}
    items[3] = pricing("Containers", "Free")
    finding = only("security.defender-plans", items)
    assert finding.status.value == "fail" and "Containers (Free)" in finding.evidence["message"]


def test_defender_without_services_does_not_apply_and_a_403_is_not_assessed():
    assert verdicts("security.defender-plans", [pricing("StorageAccounts", "Free")]) == {"test": "not_applicable"}
    denied = [{"type": PRICING, "errorCode": "AuthorizationFailed", "permission": f"{PRICING}/read"}]
    collected = [
        STORAGE,
        REGISTRY,
        COSMOS,
        "Microsoft.KeyVault/vaults",
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.ApiManagement/service",
    ]
    finding = only("security.defender-plans", [storage()], collected=collected, failures=denied)
    assert finding.status.value == "not_assessed" and "Microsoft.Security/pricings/read" in finding.evidence["message"]


def test_redis_automatic_zonal_allocation_counts_as_zones():
    # RedisCacheCreateAutomaticZonalAllocationPolicy.json (2025-08-01-preview): zones left empty.
    cache = redis(zones=())
    cache["properties"]["zonalAllocationPolicy"] = "Automatic"
    assert verdicts("dr.redis", [cache, link()]) == {"cache1": "pass"}
    cache["properties"]["zonalAllocationPolicy"] = "NoZones"
    assert verdicts("dr.redis", [cache, link()]) == {"cache1": "fail"}
