"""Memory tiering, the guide's context-management section: hot in Redis, warm in Cosmos DB, cold in Blob.

Advisory: each tier should let go of what it no longer needs, so that the hot tier does not refuse
writes and the warm and cold tiers do not grow and bill forever.
"""

from __future__ import annotations

import re

from auditor.api import (
    Area,
    DataError,
    Param,
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
SQL_DATABASE = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases"
CONTAINER = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
STORAGE = "Microsoft.Storage/storageAccounts"
MANAGEMENT_POLICY = "Microsoft.Storage/storageAccounts/managementPolicies"
COLD_ACTIONS = ("tierToCool", "tierToCold", "tierToArchive", "delete")
TIERING_DOC = "https://learn.microsoft.com/azure/architecture/ai-ml/architecture/baseline-openai-e2e-chat"


@check(
    id="memory.redis-eviction",
    title="Redis evicts keys when memory is full (hot tier)",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[REDIS],
    rationale=(
        "Redis is the hot memory tier. With maxmemory-policy noeviction a full cache refuses every write, so new "
        "calls cannot store their context; an LRU or TTL policy drops the coldest sessions instead."
    ),
    remediation=Remediation(
        text="Set maxmemory-policy to volatile-lru (keys with a TTL go first) or allkeys-lru.",
        az="az redis update --name {name} --resource-group {resourceGroup} --set "
        "redisConfiguration.maxmemory-policy=volatile-lru",
        bicep="properties: {\n  redisConfiguration: {\n    'maxmemory-policy': 'volatile-lru'\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/azure-cache-for-redis/cache-best-practices-memory-management"],
)
def redis_eviction(cache: Resource, ctx: Context) -> Verdict:
    # Azure Cache for Redis applies volatile-lru when maxmemory-policy is not set (memory-management doc).
    policy = cache.get("properties.redisConfiguration.maxmemory-policy", default="volatile-lru", expect=str)
    if policy.lower() == "noeviction":
        return failed("maxmemory-policy is noeviction: a full cache refuses writes", expected="an eviction policy")
    return passed(f"maxmemory-policy {policy}", expected="an eviction policy")


@check(
    id="memory.cosmos-session-ttl",
    title="Cosmos DB containers that hold session state expire it (warm tier)",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[CONTAINER],
    reads=[SQL_DATABASE],  # containers are listed below their databases, which are read on the way
    params={
        "session_pattern": Param(
            "session|conversation|history|context|memory|turn|state",
            "Regular expression (case-insensitive) for the names of containers that hold session state.",
        )
    },
    rationale=(
        "Conversation history in the warm tier is needed for hours or days, not forever. Without a default TTL on "
        "the containers that hold it, every call's state stays, and the RU and storage bill grows with every call "
        "ever made."
    ),
    remediation=Remediation(
        text="Set a default time to live on the session containers (for example 30 days).",
        az="az cosmosdb sql container update --account-name <account> --database-name <database> --name {name} "
        "--resource-group {resourceGroup} --ttl 2592000",
        bicep="resource: {\n  id: 'sessions'\n  defaultTtl: 2592000\n}",
    ),
    refs=["https://learn.microsoft.com/azure/cosmos-db/nosql/time-to-live"],
)
def cosmos_session_ttl(container: Resource, ctx: Context) -> Verdict:
    name = container.get("properties.resource.id", default=container.name, expect=str)
    try:
        pattern = re.compile(str(ctx.params["session_pattern"]), re.I)
    except re.error as exc:
        raise DataError(f"session_pattern is not a regular expression: {exc}") from None
    if not pattern.search(name[:256]):
        return not_applicable(f"container {name} does not look like session state")
    # Absent defaultTtl: items never expire; -1: TTL is on but items without their own ttl never expire.
    ttl = container.get("properties.resource.defaultTtl", default=None, expect=int)
    if ttl is None or ttl <= 0:
        state = "not set" if ttl is None else str(ttl)
        return failed(f"defaultTtl is {state}: session items never expire", expected="defaultTtl > 0")
    return passed(f"defaultTtl {ttl} s", expected="defaultTtl > 0")


def _cold_rules(policy: Resource) -> list[str]:
    rules = policy.get("properties.policy.rules", default=[], expect=list)
    out = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise DataError(f"lifecycle rule [{index}] is not an object")
        enabled = rule.get("enabled", True)
        if not isinstance(enabled, bool):
            raise DataError(f"lifecycle rule [{index}] has an enabled flag that is not a boolean")
        if not enabled:
            continue
        definition = rule.get("definition")
        actions = definition.get("actions") if isinstance(definition, dict) else None
        base = actions.get("baseBlob") if isinstance(actions, dict) else None
        if isinstance(base, dict) and any(isinstance(base.get(action), dict) for action in COLD_ACTIONS):
            out.append(str(rule.get("name", index)))
    return out


@check(
    id="memory.blob-lifecycle",
    title="A lifecycle policy moves or deletes cold blobs (cold tier)",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[STORAGE],
    reads=[MANAGEMENT_POLICY],
    rationale=(
        "Blob storage is the cold tier for transcripts and recordings. Without a lifecycle management policy "
        "every blob stays in the hot access tier forever; a rule that moves old blobs to cool or archive, or "
        "deletes them, keeps the cold tier cheap."
    ),
    remediation=Remediation(
        text="Add a lifecycle management rule that tiers blobs to cool after 30 days and deletes them after a "
        "retention period.",
        az="az storage account management-policy create --account-name {name} --resource-group {resourceGroup} "
        "--policy @lifecycle.json",
        bicep="properties: {\n  policy: { rules: [ { name: 'cool-then-delete', enabled: true, type: 'Lifecycle', "
        "definition: {\n    filters: { blobTypes: [ 'blockBlob' ] }\n    actions: { baseBlob: { tierToCool: "
        "{ daysAfterModificationGreaterThan: 30 }, delete: { daysAfterModificationGreaterThan: 365 } } }\n  } } ] }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview"],
)
def blob_lifecycle(account: Resource, ctx: Context) -> Verdict:
    policies = ctx.children(account, MANAGEMENT_POLICY)
    rules = [rule for policy in policies for rule in _cold_rules(policy)]
    if rules:
        return passed(f"lifecycle rules {', '.join(rules)}", expected="a rule that tiers or deletes old blobs")
    return failed("no lifecycle rule tiers or deletes old blobs", expected="a rule that tiers or deletes old blobs")
