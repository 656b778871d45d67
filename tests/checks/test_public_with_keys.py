"""The compound exposure: reachable from the internet and accepting keys is one critical finding
that names both facts; the two separate high findings give way to it (issue 9, section 3)."""

from __future__ import annotations

import pytest
from auditor.checks._compound import COMPOUND_KEYS
from auditor.checks.network import SERVICES_BY_KEY

from tests.checks.helpers import only, resource, verdicts
from tests.checks.test_network import keys_off

PUBLIC = {"publicNetworkAccess": "Enabled"}
PRIVATE = {"publicNetworkAccess": "Disabled"}


def key_check(key: str) -> str:
    return "identity.cosmos-mongo-vcore.native-auth-disabled" if key == "cosmos-mongo-vcore" else (
        f"identity.{key}.local-auth-disabled"
    )


@pytest.mark.parametrize("key", COMPOUND_KEYS)
def test_public_and_keyed_is_one_critical_finding(key):
    service = SERVICES_BY_KEY[key]
    both = resource(service.rtype, "both", properties=dict(PUBLIC))  # keys on by ARM default
    finding = only(f"exposure.{key}.public-with-keys", [both])
    assert finding.status.value == "fail" and finding.severity.value == "critical"
    message = finding.evidence["message"]
    assert "reachable from the internet" in message and "accepting keys" in message
    for separate in (f"network.{key}.public-access", key_check(key)):
        gone = only(separate, [both])
        assert gone.status.value == "not_applicable", separate
        assert f"exposure.{key}.public-with-keys" in gone.evidence["message"]


@pytest.mark.parametrize("key", COMPOUND_KEYS)
def test_one_fact_alone_stays_a_separate_high_finding(key):
    service = SERVICES_BY_KEY[key]
    public_only = resource(service.rtype, "public-only", properties=PUBLIC | keys_off(service))
    keys_only = resource(service.rtype, "keys-only", properties=dict(PRIVATE))
    items = [public_only, keys_only]
    assert verdicts(f"exposure.{key}.public-with-keys", items) == {"public-only": "pass", "keys-only": "pass"}
    assert verdicts(f"network.{key}.public-access", items) == {"public-only": "fail", "keys-only": "pass"}
    assert verdicts(key_check(key), items) == {"public-only": "pass", "keys-only": "fail"}
    for finding in (only(f"network.{key}.public-access", [public_only]), only(key_check(key), [keys_only])):
        assert finding.severity.value == "high"


def test_a_cosmos_mongo_ru_account_accepts_only_keys():
    # CosmosDBDatabaseAccountGet.json with kind MongoDB: no Entra ID data plane, so keys are the way in.
    account = resource(
        "Microsoft.DocumentDB/databaseAccounts",
        "mongo-ru",
        kind="MongoDB",
        properties={"databaseAccountOfferType": "Standard", "publicNetworkAccess": "Enabled",
                    "capabilities": [{"name": "EnableMongo"}]},
    )
    finding = only("exposure.cosmos.public-with-keys", [account])
    assert finding.status.value == "fail" and "only keys" in finding.evidence["message"]
    assert only("network.cosmos.public-access", [account]).status.value == "not_applicable"


def test_app_insights_ingestion_key_is_not_part_of_the_compound():
    # The ingestion key writes telemetry; it reads no data.
    assert "appinsights" not in COMPOUND_KEYS
    component = resource("Microsoft.Insights/components", "appi", properties={"DisableLocalAuth": False})
    finding = only("identity.appinsights.local-auth-disabled", [component])
    assert finding.status.value == "fail" and finding.severity.value == "low"
