"""The compound exposure: a data or AI service that is reachable from the internet and accepts keys.

Either fact alone is a high finding (network.*.public-access, identity.*.local-auth-disabled).
Together they are one critical finding, exposure.*.public-with-keys, which names both; the two
separate checks then answer not_applicable and point at it, so that a report counts the hole once.
"""

from __future__ import annotations

from auditor.api import DataError, Resource, Status, Verdict
from auditor.model import Observation

#: Service keys (network.SERVICES and identity.KEY_AUTH rows) of the data and AI services judged
#: together. Application Insights is not among them: its ingestion key writes telemetry and reads
#: nothing. Container Registry holds images, not data.
COMPOUND_KEYS = ("cosmos", "cosmos-mongo-vcore", "cognitive", "redis", "storage", "servicebus", "eventhubs", "acs")


def compound_id(key: str) -> str:
    return f"exposure.{key}.public-with-keys"


def subsumed(key: str) -> Verdict:
    """not_applicable, pointing at the compound finding, whose evidence holds what was read."""
    return Verdict(
        Status.NOT_APPLICABLE,
        f"reachable from the internet and accepting keys: reported once, as the critical finding {compound_id(key)}",
        (Observation("reportedAs", compound_id(key)),),
    )


def accepts_keys_too(res: Resource, key: str) -> bool:
    """Whether a service of the compound also accepts keys; an unreadable key setting counts as not,
    so that the separate findings keep what each could read."""
    if key not in COMPOUND_KEYS:
        return False
    from auditor.checks.identity import accepts_keys

    try:
        verdict = accepts_keys(res, key)
    except DataError:
        return False
    return verdict is None or verdict.status is Status.FAIL
