"""Memory tiering: Redis eviction, Cosmos DB session TTL, Blob lifecycle.

Shapes from azure-rest-api-specs: redis RedisCacheGet.json (redisConfiguration.maxmemory-policy), cosmos-db
CosmosDBSqlContainerGet.json (properties.resource.id, defaultTtl 100), storage
StorageAccountGetManagementPolicy.json (policy.rules[].definition.actions.baseBlob tierToCool / delete).
"""

from tests.checks.helpers import only, resource, verdicts

REDIS = "Microsoft.Cache/Redis"
CONTAINER = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
STORAGE = "Microsoft.Storage/storageAccounts"
POLICY = "Microsoft.Storage/storageAccounts/managementPolicies"


def redis(policy):
    config = {"maxclients": "1000"} if policy is None else {"maxmemory-policy": policy}
    return resource(
        REDIS,
        "cache1",
        properties={"sku": {"name": "Premium", "family": "P", "capacity": 1}, "redisConfiguration": config},
    )


def test_redis_eviction_policy():
    assert verdicts("memory.redis-eviction", [redis("allkeys-lru")]) == {"cache1": "pass"}
    finding = only("memory.redis-eviction", [redis(None)])  # Azure's default, volatile-lru
    assert finding.status.value == "pass" and "volatile-lru" in finding.evidence["message"]
    assert verdicts("memory.redis-eviction", [redis("noeviction")]) == {"cache1": "fail"}
    assert verdicts("memory.redis-eviction", []) == {"test": "not_applicable"}


def container(name, ttl):
    res = {
        "id": name,
        "partitionKey": {"paths": ["/sessionId"], "kind": "Hash"},
        "_rid": "PD5DALigDgw=",
        "_ts": 1459200611,
        "_etag": '"00005900-0000-0000-0000-56f9a2630000"',
    }
    if ttl is not None:
        res["defaultTtl"] = ttl
    return resource(CONTAINER, "ddb1", "databaseName", name, properties={"resource": res})


def test_session_container_ttl():
    assert verdicts("memory.cosmos-session-ttl", [container("sessions", 2592000)]) == {"sessions": "pass"}
    assert verdicts("memory.cosmos-session-ttl", [container("conversation-history", None)]) == {
        "conversation-history": "fail"
    }
    assert verdicts("memory.cosmos-session-ttl", [container("sessions", -1)]) == {"sessions": "fail"}


def test_containers_that_hold_no_session_state_do_not_apply():
    assert verdicts("memory.cosmos-session-ttl", [container("products", None)]) == {"products": "not_applicable"}
    assert verdicts("memory.cosmos-session-ttl", []) == {"test": "not_applicable"}
    custom = {"session_pattern": "^products$"}
    assert verdicts("memory.cosmos-session-ttl", [container("products", None)], params=custom) == {"products": "fail"}


def storage():
    return resource(STORAGE, "sto1", kind="StorageV2", sku={"name": "Standard_ZRS"}, properties={})


def policy(actions, enabled=True):
    rule = {
        "enabled": enabled,
        "name": "olcmtest",
        "type": "Lifecycle",
        "definition": {
            "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["olcmtestcontainer"]},
            "actions": {"baseBlob": actions},
        },
    }
    return resource(
        POLICY,
        "sto1",
        "default",
        properties={"policy": {"rules": [rule]}, "lastModifiedTime": "2018-06-08T02:53:39.0932539Z"},
    )


def test_blob_lifecycle():
    cool = {
        "tierToCool": {"daysAfterModificationGreaterThan": 30},
        "delete": {"daysAfterModificationGreaterThan": 1000},
    }
    assert verdicts("memory.blob-lifecycle", [storage(), policy(cool)]) == {"sto1": "pass"}
    assert verdicts("memory.blob-lifecycle", [storage(), policy(cool, enabled=False)]) == {"sto1": "fail"}
    assert verdicts("memory.blob-lifecycle", [storage()]) == {"sto1": "fail"}
    assert verdicts("memory.blob-lifecycle", []) == {"test": "not_applicable"}
    assert verdicts("memory.blob-lifecycle", [storage()], collected=[STORAGE]) == {"sto1": "not_assessed"}


def test_a_lifecycle_rule_of_odd_shape_never_passes():
    odd = policy({"tierToCool": "yes"})
    assert verdicts("memory.blob-lifecycle", [storage(), odd]) == {"sto1": "fail"}
    flag = policy({"delete": {"daysAfterModificationGreaterThan": 30}}, enabled="true")
    assert verdicts("memory.blob-lifecycle", [storage(), flag]) == {"sto1": "not_assessed"}
