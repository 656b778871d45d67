"""Azure OpenAI deployments: content filters, capacity behind the gateway, the model mix, PTU.

Shapes from azure-rest-api-specs, cognitiveservices/.../stable/2024-10-01/examples: GetDeployment.json
(sku {name: Standard, capacity: 1}, properties.model {format, name, version}), GetRaiPolicy.json (a custom
policy on basePolicyName Microsoft.Default whose hate/Prompt filter has blocking false), GetAccount.json.
"""

import copy
import json
from pathlib import Path

import pytest

from tests.checks.helpers import SUB, only, resource, run_check, verdicts

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


def rai_policy(name="raiPolicyName", hate_prompt_blocking=False, mode="Asynchronous_filter"):
    """GetRaiPolicy.json: hate on prompts is neither enabled nor blocking; mode Asynchronous_filter."""
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
        properties={"basePolicyName": "Microsoft.Default", "mode": mode, "contentFilters": filters},
    )


# -- content filter ---------------------------------------------------------------------------------


def test_built_in_default_filter_passes():
    assert verdicts("ai.content-filter", [account(), deployment("gpt-4o")]) == {"gpt-4o": "pass"}


def test_get_rai_policy_example_fails_naming_the_category():
    finding = only("ai.content-filter", [account(), deployment("gpt-4o", rai="raiPolicyName"), rai_policy()])
    assert finding.status.value == "fail"
    assert "raiPolicyName" in finding.evidence["message"] and "hate/prompt not blocking" in finding.evidence["message"]


@pytest.mark.parametrize("mode", ["Default", "Blocking", None])
def test_custom_policy_blocking_everything_in_a_buffered_mode_passes(mode):
    # RaiPolicyMode in the cognitiveservices spec: Default = 0, so a policy without a mode is Default.
    policy = rai_policy("strict", hate_prompt_blocking=True, mode=mode)
    if mode is None:
        del policy["properties"]["mode"]
    items = [account(), deployment("gpt-4o", rai="strict"), policy]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "pass"}


@pytest.mark.parametrize("mode", ["Asynchronous_filter", "Deferred"])
def test_asynchronous_filter_mode_fails_even_when_every_category_blocks(mode):
    # The spec: Asynchronous_filter is what Deferred was before 2025-06-01. Microsoft Learn, content streaming:
    # completion tokens are returned before their filter verdict, so harmful text can reach the caller first.
    policy = rai_policy("strict", hate_prompt_blocking=True, mode=mode)
    finding = only("ai.content-filter", [account(), deployment("gpt-4o", rai="strict"), policy])
    assert finding.status.value == "fail"
    assert f"mode {mode}" in finding.evidence["message"] and "not blocking" not in finding.evidence["message"]


def test_an_unknown_mode_is_not_assessed():
    policy = rai_policy("strict", hate_prompt_blocking=True, mode="Eventually")
    assert verdicts("ai.content-filter", [account(), deployment("gpt-4o", rai="strict"), policy]) == {
        "gpt-4o": "not_assessed"
    }


def test_custom_policy_missing_a_category_inherits_from_its_base():
    policy = rai_policy("strict", hate_prompt_blocking=True, mode="Default")
    policy["properties"]["contentFilters"] = [f for f in policy["properties"]["contentFilters"] if f["name"] != "hate"]
    items = [account(), deployment("gpt-4o", rai="strict"), policy]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "pass"}  # Microsoft.Default blocks hate
    policy["properties"]["basePolicyName"] = "Microsoft.Nil"
    finding = only("ai.content-filter", items)
    assert finding.status.value == "fail" and "hate/prompt not configured" in finding.evidence["message"]
    policy["properties"]["basePolicyName"] = "team-base"  # a base whose settings the snapshot does not hold
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "not_assessed"}


@pytest.mark.parametrize(
    ("base", "status"), [("Microsoft.DefaultV2", "pass"), ("Microsoft.Default", "pass"), (None, "fail")]
)
def test_a_policy_without_explicit_filters_is_its_base_policy(base, status):
    # Microsoft Learn, content filter configurability: the built-in defaults block medium and above in all four
    # harm categories on prompts and completions.
    props = {"mode": "Default", "contentFilters": []}
    if base:
        props["basePolicyName"] = base
    policy = resource(RAI, "aoai-voice-prod", "inherit", properties=props)
    finding = only("ai.content-filter", [account(), deployment("gpt-4o", rai="inherit"), policy])
    assert finding.status.value == status
    if status == "fail":
        assert all(f"{c}/completion not configured" in finding.evidence["message"] for c in ("hate", "selfharm"))


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


def _api_policy(apim):
    return next(r for r in apim if r["id"].endswith("apis/openai/policies/policy"))


def test_caller_routed_api_fronts_every_deployment_each_judged_with_both_numbers(apim):
    # The hardened openai API passes the caller's /deployments/{deployment-id}/... through (its operations'
    # urlTemplate), so its 50,000 tokens/min limit fronts every deployment of the account.
    items = [*apim, account(), deployment("gpt-4o", sku="GlobalStandard", capacity=60), deployment("mini", capacity=20)]
    found = {f.resource_name: f for f in run_check("ai.capacity-vs-gateway", items)}
    assert found["gpt-4o"].status.value == "pass" and found["mini"].status.value == "fail"
    message = found["mini"].evidence["message"]
    assert "50,000" in message and "20,000" in message and "429" in message
    assert "60,000" in found["gpt-4o"].evidence["message"]


def test_backend_url_naming_a_deployment_fronts_only_that_deployment(apim):
    # The hardened backend aoai-embeddings points at /openai/deployments/text-embedding-3-small/embeddings.
    policy = _api_policy(apim)
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        'backend-id="aoai-pool"', 'backend-id="aoai-embeddings"'
    )
    items = [*apim, account(), deployment("gpt-4o", capacity=1), deployment("text-embedding-3-small", capacity=10)]
    assert verdicts("ai.capacity-vs-gateway", items) == {"gpt-4o": "not_applicable", "text-embedding-3-small": "fail"}


def test_rewrite_uri_to_a_named_deployment_fronts_only_that_one(apim):
    policy = _api_policy(apim)
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        "<base />", '<base />\n    <rewrite-uri template="/deployments/gpt-4o/chat/completions" />', 1
    )
    items = [*apim, account(), deployment("gpt-4o", capacity=50), deployment("mini", capacity=1)]
    assert verdicts("ai.capacity-vs-gateway", items) == {"gpt-4o": "pass", "mini": "not_applicable"}


def test_an_operation_url_template_naming_a_deployment_fronts_only_that_one(apim):
    for item in apim:
        if item["type"].endswith("/apis/operations") and "/apis/openai/" in item["id"]:
            item["properties"]["urlTemplate"] = "/deployments/gpt-4o/chat/completions"
    items = [*apim, account(), deployment("gpt-4o", capacity=50), deployment("mini", capacity=1)]
    assert verdicts("ai.capacity-vs-gateway", items) == {"gpt-4o": "pass", "mini": "not_applicable"}


def test_a_rewrite_by_expression_cannot_be_mapped(apim):
    policy = _api_policy(apim)
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        "<base />",
        '<base />\n    <rewrite-uri template="@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;d&quot;))" />',
        1,
    )
    finding = only("ai.capacity-vs-gateway", [*apim, account(), deployment("gpt-4o", capacity=50)])
    assert finding.status.value == "not_assessed" and "expression" in finding.evidence["message"]


def _second_region(apim, partner_url="https://aoai-voice-dr.openai.azure.com/openai"):
    """The hardened pool aoai-pool with a second member backend in another region (BackendServicePool shape:
    pool.services[{id, priority, weight}])."""
    pool = next(r for r in apim if r["name"] == "aoai-pool")
    second = copy.deepcopy(next(r for r in apim if r["name"] == "aoai-eastus2"))
    second["id"], second["name"] = second["id"].replace("aoai-eastus2", "aoai-swedencentral"), "aoai-swedencentral"
    second["properties"]["url"] = partner_url
    pool["properties"]["pool"]["services"].append({"id": second["id"], "priority": 2, "weight": 1})
    return [*apim, second]


def _direct_api(apim):
    """A copy of the hardened openai API (its 50,000 tokens/min limit included) that calls its serviceUrl,
    the account itself, instead of the pool."""
    direct = copy.deepcopy(next(r for r in apim if r["type"].endswith("/apis") and r["name"] == "openai"))
    direct["id"], direct["name"] = direct["id"].replace("/apis/openai", "/apis/openai-direct"), "openai-direct"
    policy = copy.deepcopy(_api_policy(apim))
    policy["id"] = policy["id"].replace("/apis/openai/", "/apis/openai-direct/")
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        '<set-backend-service backend-id="aoai-pool" />', ""
    )
    return [direct, policy]


def test_a_pool_member_outside_the_snapshot_cannot_be_judged(apim):
    finding = only("ai.capacity-vs-gateway", [*_second_region(apim), account(), deployment("gpt-4o", capacity=50)])
    assert finding.status.value == "not_assessed" and "aoai-voice-dr.openai.azure.com" in finding.evidence["message"]


@pytest.mark.parametrize(("partner_capacity", "status"), [(30, "pass"), (10, "fail")])
def test_a_pool_is_judged_on_the_capacity_of_its_members(apim, partner_capacity, status):
    # The caller names gpt-4o; the pool sends it to gpt-4o in either region, so both serve the 50,000 limit.
    items = [
        *_second_region(apim),
        account(),
        deployment("gpt-4o", capacity=30),
        account("aoai-voice-dr"),
        deployment("gpt-4o", capacity=partner_capacity, acct="aoai-voice-dr"),
        deployment("mini", capacity=100, acct="aoai-voice-dr"),  # another name: not a partner of gpt-4o
    ]
    findings = {f.resource_id: f for f in run_check("ai.capacity-vs-gateway", items)}
    primary = next(f for f in findings.values() if "/accounts/aoai-voice-prod/" in f.resource_id)
    assert primary.status.value == status
    message = primary.evidence["message"]
    assert "gpt-4o in aoai-voice-dr" in message and f"{(30 + partner_capacity) * 1000:,} tokens/min" in message


def test_a_limit_that_reaches_one_deployment_alone_is_judged_against_it_alone(apim):
    # The pool serves 120,000 for its 50,000, but a second API sends 50,000 more to gpt-4o in one region only.
    base = [*_second_region(apim), *_direct_api(apim), account(), account("aoai-voice-dr")]
    partner = deployment("gpt-4o", capacity=60, acct="aoai-voice-dr")
    fine = only_primary(run_check("ai.capacity-vs-gateway", [*base, deployment("gpt-4o", capacity=60), partner]))
    assert (
        fine.status.value == "pass" and "50,000 tokens/min of the limits reach gpt-4o alone" in fine.evidence["message"]
    )
    short = only_primary(run_check("ai.capacity-vs-gateway", [*base, deployment("gpt-4o", capacity=40), partner]))
    assert short.status.value == "fail"


def only_primary(findings):
    [primary] = [f for f in findings if "/accounts/aoai-voice-prod/" in f.resource_id]
    return primary


def test_a_provisioned_pool_partner_leaves_the_pool_unjudged(apim):
    items = [
        *_second_region(apim),
        account(),
        deployment("gpt-4o", capacity=50),
        account("aoai-voice-dr"),
        deployment("gpt-4o", sku="ProvisionedManaged", capacity=100, acct="aoai-voice-dr"),
    ]
    primary = only_primary(run_check("ai.capacity-vs-gateway", items))
    assert primary.status.value == "not_assessed" and "ProvisionedManaged" in primary.evidence["message"]


def test_two_apis_fronting_one_deployment_are_summed(apim):
    # A second API, routed straight at the account, already sends more than the deployment serves.
    items = [*apim, *_direct_api(apim), account(), deployment("gpt-4o", capacity=60)]
    finding = only("ai.capacity-vs-gateway", items)
    # Two APIs of 50,000 each front the deployment: the sum is judged.
    assert finding.status.value == "fail" and "100,000" in finding.evidence["message"]


def test_provisioned_deployments_are_not_tokens_per_minute(apim):
    items = [*apim, account(), deployment("ptu", sku="ProvisionedManaged", capacity=50)]
    finding = only("ai.capacity-vs-gateway", items)
    assert finding.status.value == "not_applicable" and "provisioned throughput units" in finding.evidence["message"]


def test_o_series_units_serve_more_tokens_than_one_thousand(apim):
    # Microsoft Learn, Manage Azure OpenAI quota: one unit of o1-mini or o3-mini is 10,000 tokens/min, o1 6,000.
    items = [
        *apim,
        account(),
        deployment("reasoning", model="o3-mini", capacity=5),
        deployment("o1", model="o1", capacity=5),
    ]
    found = {f.resource_name: f for f in run_check("ai.capacity-vs-gateway", items)}
    assert (
        found["reasoning"].status.value == "pass"
        and "50,000 tokens/min (5 x 10,000)" in found["reasoning"].evidence["message"]
    )
    assert found["o1"].status.value == "fail" and "30,000" in found["o1"].evidence["message"]


def test_request_metered_models_and_unknown_skus(apim):
    # DALL-E 3 capacity units are requests per minute (quotas and limits page); a batch SKU has no TPM rate.
    items = [
        *apim,
        account(),
        deployment("images", model="dall-e-3", capacity=2),
        deployment("batch", sku="GlobalBatch"),
    ]
    assert verdicts("ai.capacity-vs-gateway", items) == {"images": "not_applicable", "batch": "not_assessed"}


def test_named_value_limit_is_resolved(apim):
    policy = _api_policy(apim)
    policy["properties"]["value"] = policy["properties"]["value"].replace(
        'tokens-per-minute="50000"', 'tokens-per-minute="{{rate-limit-calls}}"'
    )
    # rate-limit-calls is the plain named value 100 in the hardened fixture.
    finding = only("ai.capacity-vs-gateway", [*apim, account(), deployment("gpt-4o", capacity=1)])
    assert finding.status.value == "pass" and "100 tokens/min" in finding.evidence["message"]


def test_without_a_gateway_token_limit_or_for_speech_it_does_not_apply(apim):
    assert verdicts("ai.capacity-vs-gateway", [account(), deployment("gpt-4o")]) == {"gpt-4o": "not_applicable"}
    speech = account("speech-voice-prod", kind="SpeechServices")
    items = [*apim, speech, deployment("custom", acct="speech-voice-prod")]
    assert verdicts("ai.capacity-vs-gateway", items) == {"custom": "not_applicable"}


def test_a_deployment_whose_account_is_missing_is_not_assessed(apim):
    assert verdicts("ai.capacity-vs-gateway", [*apim, deployment("gpt-4o")]) == {"gpt-4o": "not_assessed"}


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
    policy = rai_policy("strict", hate_prompt_blocking=True, mode="Default")
    policy["properties"]["contentFilters"][0]["blocking"] = "true"
    items = [account(), deployment("gpt-4o", rai="strict"), policy]
    assert verdicts("ai.content-filter", items) == {"gpt-4o": "not_assessed"}


def test_an_operation_without_its_required_url_template_is_not_assessed(apim):
    # urlTemplate is required in the API Management spec's OperationContractProperties: no default to assume.
    for item in apim:
        if item["type"].endswith("/apis/operations") and "/apis/openai/" in item["id"]:
            del item["properties"]["urlTemplate"]
    items = [*apim, account(), deployment("gpt-4o", capacity=50)]
    assert verdicts("ai.capacity-vs-gateway", items) == {"gpt-4o": "not_assessed"}
