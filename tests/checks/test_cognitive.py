"""Azure OpenAI deployments: content filters, capacity behind the gateway, the model mix, PTU.

Shapes from azure-rest-api-specs, cognitiveservices/.../stable/2024-10-01/examples: GetDeployment.json
(sku {name: Standard, capacity: 1}, properties.model {format, name, version}), GetRaiPolicy.json (a custom
policy on basePolicyName Microsoft.Default whose hate/Prompt filter has blocking false), GetAccount.json.
"""

import copy
import json
from pathlib import Path

import pytest

from tests.checks.helpers import SUB, only, resource, verdicts

PARTS = Path(__file__).resolve().parents[2] / "fixtures" / "parts" / "hardened"
FIXTURE_SUB = "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
RAI = "Microsoft.CognitiveServices/accounts/raiPolicies"


def account(name="aoai-voice-prod", kind="OpenAI"):
    return resource(
        ACCOUNT,
        name,
        kind=kind,
        sku={"name": "S0"},
        properties={"endpoint": f"https://{name}.openai.azure.com/", "customSubDomainName": name},
    )


def deployment(name, model="gpt-4o", sku="Standard", capacity=1, rai="Microsoft.DefaultV2", acct="aoai-voice-prod"):
    props = {"model": {"format": "OpenAI", "name": model, "version": "1"}, "provisioningState": "Succeeded"}
    if rai is not None:
        props["raiPolicyName"] = rai
    return resource(DEPLOYMENT, acct, name, sku={"name": sku, "capacity": capacity}, properties=props)


def rai_policy(name="raiPolicyName", hate_prompt_blocking=False):
    """GetRaiPolicy.json: hate on prompts is neither enabled nor blocking."""
    filters = (
        [
            {
                "name": "hate",
                "blocking": hate_prompt_blocking,
                "enabled": hate_prompt_blocking,
                "severityThreshold": "High",
                "source": "Prompt",
            },
            {"name": "hate", "blocking": True, "enabled": True, "severityThreshold": "Medium", "source": "Completion"},
        ]
        + [
            {"name": cat, "blocking": True, "enabled": True, "severityThreshold": "Medium", "source": source}
            for cat in ("sexual", "selfharm", "violence")
            for source in ("Prompt", "Completion")
        ]
        + [{"name": "jailbreak", "blocking": True, "source": "Prompt", "enabled": True}]
    )
    return resource(
        RAI,
        "aoai-voice-prod",
        name,
        properties={"basePolicyName": "Microsoft.Default", "mode": "Asynchronous_filter", "contentFilters": filters},
    )


# -- content filter ---------------------------------------------------------------------------------


def test_built_in_default_filter_passes():
    assert verdicts("ai.content-filter", [account(), deployment("gpt-4o")]) == {"gpt-4o": "pass"}


def test_get_rai_policy_example_fails_naming_the_category():
    finding = only("ai.content-filter", [account(), deployment("gpt-4o", rai="raiPolicyName"), rai_policy()])
    assert finding.status.value == "fail"
    assert "raiPolicyName" in finding.evidence["message"] and "hate/prompt not blocking" in finding.evidence["message"]


def test_custom_policy_blocking_everything_passes():
    items = [account(), deployment("gpt-4o", rai="strict"), rai_policy("strict", hate_prompt_blocking=True)]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "pass"}


def test_custom_policy_missing_a_category_inherits_from_a_built_in_base():
    policy = rai_policy("strict", hate_prompt_blocking=True)
    policy["properties"]["contentFilters"] = [f for f in policy["properties"]["contentFilters"] if f["name"] != "hate"]
    items = [account(), deployment("gpt-4o", rai="strict"), policy]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "pass"}
    policy["properties"]["basePolicyName"] = "other"
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "fail"}


def test_get_deployment_example_without_rai_policy_fails():
    # GetDeployment.json names no raiPolicyName.
    finding = only("ai.content-filter", [account(), deployment("deploymentName", model="ada", rai=None)])
    assert finding.status.value == "fail" and "raiPolicyName is not set" in finding.evidence["message"]


def test_nil_policy_fails_and_unknown_policy_is_not_assessed():
    assert verdicts("ai.content-filter", [account(), deployment("d", rai="Microsoft.Nil")]) == {"d": "fail"}
    assert verdicts("ai.content-filter", [account(), deployment("d", rai="custom-missing")]) == {"d": "not_assessed"}


def test_no_deployments_is_not_applicable():
    assert verdicts("ai.content-filter", [account()]) == {"test": "not_applicable"}


def test_rai_policies_not_collected_is_not_assessed():
    items = [account(), deployment("gpt-4o", rai="strict")]
    assert verdicts("ai.content-filter", items, collected=[ACCOUNT, DEPLOYMENT]) == {"gpt-4o": "not_assessed"}


# -- capacity versus the gateway's token limits -----------------------------------------------------


@pytest.fixture
def apim():
    """The hardened API Management service: the openai API carries azure-openai-token-limit 50000 tokens/min."""
    return copy.deepcopy(json.loads((PARTS / "apim.json").read_text().replace(FIXTURE_SUB, SUB)))


def test_capacity_above_the_gateway_limit_passes(apim):
    items = [*apim, account(), deployment("gpt-4o", sku="GlobalStandard", capacity=40), deployment("mini", capacity=20)]
    finding = only("ai.capacity-vs-gateway", items)
    assert finding.status.value == "pass"
    assert "50,000" in finding.evidence["message"] and "60,000" in finding.evidence["message"]


def test_capacity_below_the_gateway_limit_fails_with_both_numbers(apim):
    finding = only("ai.capacity-vs-gateway", [*apim, account(), deployment("gpt-4o", capacity=10)])
    assert finding.status.value == "fail"
    assert (
        "50,000" in finding.evidence["message"]
        and "10,000" in finding.evidence["message"]
        and "429" in finding.evidence["message"]
    )


def test_provisioned_capacity_cannot_be_compared(apim):
    items = [
        *apim,
        account(),
        deployment("gpt-4o", capacity=10),
        deployment("ptu", sku="ProvisionedManaged", capacity=50),
    ]
    assert only("ai.capacity-vs-gateway", items).status.value == "not_assessed"


def test_named_value_limit_is_resolved(apim):
    policy = next(r for r in apim if r["id"].endswith("apis/openai/policies/policy"))
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        'tokens-per-minute="50000"', 'tokens-per-minute="{{rate-limit-calls}}"'
    )
    # rate-limit-calls is the plain named value 100 in the hardened fixture.
    finding = only("ai.capacity-vs-gateway", [*apim, account(), deployment("gpt-4o", capacity=1)])
    assert finding.status.value == "pass" and "100 tokens/min" in finding.evidence["message"]


def test_without_a_gateway_token_limit_or_for_speech_it_does_not_apply(apim):
    assert verdicts("ai.capacity-vs-gateway", [account(), deployment("gpt-4o")]) == {
        "aoai-voice-prod": "not_applicable"
    }
    speech = account("speech-voice-prod", kind="SpeechServices")
    assert verdicts("ai.capacity-vs-gateway", [*apim, speech]) == {"speech-voice-prod": "not_applicable"}


# -- model mix and provisioned throughput -----------------------------------------------------------


def test_one_large_model_is_reported_with_a_recommendation_never_failed():
    finding = only(
        "ai.slm-cascade", [account(), deployment("gpt-4o"), deployment("emb", model="text-embedding-3-small")]
    )
    assert (
        finding.status.value == "pass"
        and "recommendation" in finding.evidence["message"]
        and "gpt-4o" in finding.evidence["message"]
    )


def test_a_small_and_a_large_model_is_a_cascade():
    finding = only("ai.slm-cascade", [account(), deployment("gpt-4o"), deployment("mini", model="gpt-4o-mini")])
    assert finding.status.value == "pass" and "recommendation" not in finding.evidence["message"]
    assert "gpt-4o-mini" in finding.evidence["message"]


def test_no_chat_model_is_not_applicable():
    assert verdicts("ai.slm-cascade", [account(), deployment("emb", model="text-embedding-3-small")]) == {
        "test": "not_applicable"
    }


def test_provisioned_throughput_is_recognised():
    finding = only("ai.provisioned-throughput", [account(), deployment("ptu", sku="ProvisionedManaged", capacity=50)])
    assert finding.status.value == "pass" and "ptu (ProvisionedManaged, 50 PTU)" in finding.evidence["message"]
    finding = only("ai.provisioned-throughput", [account(), deployment("gpt-4o")])
    assert "no provisioned throughput" in finding.evidence["message"]
    assert verdicts("ai.provisioned-throughput", [account()]) == {"test": "not_applicable"}
    bad = deployment("odd")
    bad["sku"]["capacity"] = "many"
    assert verdicts("ai.provisioned-throughput", [account(), bad]) == {"test": "not_assessed"}


def test_a_path_without_a_token_limit_leaves_the_limited_ones_counted(apim):
    operation_policy = {
        "id": next(r for r in apim if r["id"].endswith("apis/openai/operations/embeddings"))["id"] + "/policies/policy",
        "name": "policy",
        "type": "Microsoft.ApiManagement/service/apis/operations/policies",
        "properties": {"format": "rawxml", "value": "<policies><inbound /></policies>"},  # no <base/>: no limit
    }
    finding = only("ai.capacity-vs-gateway", [*apim, operation_policy, account(), deployment("gpt-4o", capacity=10)])
    assert finding.status.value == "fail"
    assert "50,000" in finding.evidence["message"] and "without a token limit" in finding.evidence["message"]


def test_a_filter_switch_of_another_type_is_not_assessed():
    policy = rai_policy("strict", hate_prompt_blocking=True)
    policy["properties"]["contentFilters"][0]["blocking"] = "true"
    items = [account(), deployment("gpt-4o", rai="strict"), policy]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "not_assessed"}
