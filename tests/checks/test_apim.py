"""API Management checks over the hardened fixture's service, broken one scope at a time."""

import copy
import json
from pathlib import Path

import pytest

from tests.checks.helpers import SUB, only, resource, verdicts

PARTS = Path(__file__).resolve().parents[2] / "fixtures" / "parts" / "hardened"
FIXTURE_SUB = "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13"
OLD_PROTOCOL_KEYS = [
    f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.{side}Protocols.{proto}"
    for side in ("", "Backend.")
    for proto in ("Tls10", "Tls11", "Ssl30")
]


@pytest.fixture
def apim():
    items = json.loads((PARTS / "apim.json").read_text().replace(FIXTURE_SUB, SUB))
    return copy.deepcopy(items)


def by_suffix(items, suffix):
    return next(r for r in items if r["id"].endswith(suffix))


def drop(items, suffix):
    return [r for r in items if not r["id"].endswith(suffix)]


def set_policy(items, suffix, xml):
    by_suffix(items, suffix)["properties"]["value"] = xml


def test_hardened_apim_passes(apim):
    for check_id in ("apim.rate-limit", "apim.token-limit", "apim.https-only"):
        result = verdicts(check_id, apim)
        assert set(result.values()) <= {"pass", "not_applicable"} and "pass" in result.values(), (check_id, result)
    for check_id in ("apim.circuit-breaker", "apim.tls-protocols"):
        assert verdicts(check_id, apim) == {"apim-voice-prod": "pass"}
    assert verdicts("apim.ai-caching", apim) == {"openai": "pass", "speech": "pass"}


def test_rate_limit_evidence_names_scope_and_resolves_named_value(apim):
    finding = next(f for f in verdicts_findings("apim.rate-limit", apim) if f.resource_name == "openai")
    text = json.dumps(finding.evidence)
    assert "product voice-agent" in text and "{{rate-limit-calls}} = 100" in text


def verdicts_findings(check_id, items):
    from tests.checks.helpers import run_check

    return run_check(check_id, items)


def test_product_policy_without_limit_fails(apim):
    set_policy(apim, "products/voice-agent/policies/policy", "<policies><inbound><base /></inbound></policies>")
    # The OpenAI API keeps its azure-openai-token-limit, which is the rate limit of an LLM API.
    assert verdicts("apim.rate-limit", apim) == {"openai": "pass", "speech": "fail"}


def test_api_scope_without_base_cuts_off_the_product_limit(apim):
    set_policy(
        apim,
        "apis/speech/policies/policy",
        '<policies><inbound><cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
        "</inbound></policies>",
    )
    assert verdicts("apim.rate-limit", apim)["speech"] == "fail"


def test_operation_level_limit_covers_only_that_operation(apim):
    set_policy(apim, "products/voice-agent/policies/policy", "<policies><inbound><base /></inbound></policies>")
    apim.append(
        {
            "id": by_suffix(apim, "apis/speech/operations/synthesize")["id"] + "/policies/policy",
            "name": "policy",
            "type": "Microsoft.ApiManagement/service/apis/operations/policies",
            "properties": {
                "format": "rawxml",
                "value": '<policies><inbound><base /><rate-limit calls="10" renewal-period="1" /></inbound></policies>',
            },
        }
    )
    finding = next(f for f in verdicts_findings("apim.rate-limit", apim) if f.resource_name == "speech")
    assert finding.status.value == "fail" and "operation transcribe" in finding.evidence["message"]


def test_global_limit_and_secret_named_value(apim):
    set_policy(apim, "products/voice-agent/policies/policy", "<policies><inbound><base /></inbound></policies>")
    set_policy(
        apim,
        "service/apim-voice-prod/policies/policy",
        '<policies><inbound><rate-limit-by-key calls="{{aoai-api-key}}" renewal-period="60" '
        'counter-key="@(context.Request.IpAddress)" /></inbound></policies>',
    )
    finding = next(f for f in verdicts_findings("apim.rate-limit", apim) if f.resource_name == "openai")
    assert finding.status.value == "pass" and "secret named value" in json.dumps(finding.evidence)


def test_fragment_expansion_and_missing_fragment(apim):
    # the token metric comes from the ai-usage-metrics fragment
    assert verdicts("apim.token-limit", apim)["openai"] == "pass"
    without = drop(apim, "policyFragments/ai-usage-metrics")
    assert verdicts("apim.token-limit", without)["openai"] == "not_assessed"


def test_token_limit_missing_fails(apim):
    xml = by_suffix(apim, "apis/openai/policies/policy")["properties"]["value"]
    set_policy(apim, "apis/openai/policies/policy", xml.replace("azure-openai-token-limit", "set-header"))
    finding = next(f for f in verdicts_findings("apim.token-limit", apim) if f.resource_name == "openai")
    assert finding.status.value == "fail" and "token limit" in finding.evidence["message"]


def test_malformed_policy_is_not_assessed(apim):
    set_policy(apim, "apis/openai/policies/policy", "<policies><inbound><base /></policies")
    assert verdicts("apim.rate-limit", apim)["openai"] == "not_assessed"
    set_policy(apim, "apis/openai/policies/policy", "<!DOCTYPE x [<!ENTITY a 'b'>]><policies/>")
    assert verdicts("apim.rate-limit", apim)["openai"] == "not_assessed"


def test_raw_expressions_with_angle_brackets_parse(apim):
    set_policy(
        apim,
        "apis/openai/policies/policy",
        '<policies><inbound><base /><choose><when condition="@(context.Request.Body.As<string>().Length > 10 && true)">'
        '<set-header name="x" exists-action="override"><value>@("a<b")</value></set-header></when></choose>'
        "</inbound></policies>",
    )
    assert verdicts("apim.rate-limit", apim)["openai"] == "pass"


def test_policies_not_collected_is_not_assessed(apim):
    collected = sorted({r["type"] for r in apim} - {"Microsoft.ApiManagement/service/products/policies"})
    result = verdicts("apim.rate-limit", apim, collected=collected)
    assert result == {"openai": "not_assessed", "speech": "not_assessed"}


def test_non_ai_api_is_not_applicable_for_token_limit(apim):
    api = by_suffix(apim, "apis/speech")
    assert verdicts("apim.token-limit", apim)["speech"] == "not_applicable"
    api["properties"]["serviceUrl"] = "https://backend.contoso.com"
    by_suffix(apim, "backends/speech")["properties"]["url"] = "https://backend.contoso.com"
    assert verdicts("apim.ai-caching", apim)["speech"] == "not_applicable"


def test_plain_http_api_fails(apim):
    by_suffix(apim, "apis/speech")["properties"]["protocols"] = ["http", "https"]
    assert verdicts("apim.https-only", apim)["speech"] == "fail"
    by_suffix(apim, "apis/speech")["properties"]["protocols"] = "https"
    assert verdicts("apim.https-only", apim)["speech"] == "not_assessed"


def test_circuit_breaker(apim):
    # a pool member without a breaker: the pool itself is no breaker
    del by_suffix(apim, "backends/aoai-eastus2")["properties"]["circuitBreaker"]
    finding = only("apim.circuit-breaker", apim)
    assert finding.status.value == "fail" and "aoai-eastus2 (in pool aoai-pool)" in finding.evidence["message"]
    # routes to backends the snapshot does not hold: not assessed, never a pass
    without = [r for r in apim if "/backends/" not in r["id"]]
    assert verdicts("apim.circuit-breaker", without) == {"apim-voice-prod": "not_assessed"}


@pytest.mark.parametrize(
    ("created", "custom", "expected"),
    [
        ("2026-03-02T10:20:11Z", {}, "pass"),
        ("2017-05-01T00:00:00Z", {}, "fail"),
        (
            "2026-03-02T10:20:11Z",
            {"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11": "True"},
            "fail",
        ),
        (None, {}, "not_assessed"),
        # every key set explicitly: the creation date does not matter
        (None, {key: "False" for key in OLD_PROTOCOL_KEYS}, "pass"),
        # the ARM description: default True for services created on or before April 1, 2018
        ("2018-04-01T23:00:00Z", {}, "fail"),
        ("2018-04-02T00:00:00Z", {}, "pass"),
        ("2026-03-02T10:20:11Z", {OLD_PROTOCOL_KEYS[0]: "maybe"}, "not_assessed"),
        ("2026-03-02T10:20:11Z", {OLD_PROTOCOL_KEYS[0].lower(): True}, "fail"),
        ("yesterday", {}, "not_assessed"),
    ],
)
def test_tls_protocol_defaults_follow_creation_date(apim, created, custom, expected):
    service = by_suffix(apim, "service/apim-voice-prod")
    service["properties"]["customProperties"] = custom
    if created is None:
        del service["properties"]["createdAtUtc"]
    else:
        service["properties"]["createdAtUtc"] = created
    assert verdicts("apim.tls-protocols", apim) == {"apim-voice-prod": expected}


def test_ai_traffic_through_gateway(apim):
    # cognitiveservices/.../stable/2024-10-01/examples/GetAccount.json: properties.endpoint
    aoai = resource(
        "Microsoft.CognitiveServices/accounts",
        "aoai",
        kind="OpenAI",
        sku={"name": "S0"},
        properties={"endpoint": "https://aoai-voice-prod.openai.azure.com/", "customSubDomainName": "aoai-voice-prod"},
    )
    assert only("apim.fronts-ai-services", [aoai]).status.value == "fail"
    assert only("apim.fronts-ai-services", [aoai, *apim]).status.value == "pass"
    # Issue 9: each account is judged; one behind the gateway does not cover another called directly.
    other = resource(
        "Microsoft.CognitiveServices/accounts",
        "aoai-direct",
        kind="OpenAI",
        sku={"name": "S0"},
        properties={"endpoint": "https://aoai-direct.openai.azure.com/"},
    )
    finding = only("apim.fronts-ai-services", [aoai, other, *apim])
    assert finding.status.value == "fail" and "aoai-direct" in finding.evidence["message"]
    assert only("apim.fronts-ai-services", []).status.value == "not_applicable"
    for api in ("apis/openai", "apis/speech"):
        by_suffix(apim, api)["properties"]["serviceUrl"] = "https://example.com"
    no_ai = [r for r in apim if "/backends/" not in r["id"]]
    assert only("apim.fronts-ai-services", [aoai, *no_ai]).status.value == "fail"


NAMED_VALUE = "namedValues/rate-limit-calls"


def _evidence_of(check_id, items, name):
    finding = next(f for f in verdicts_findings(check_id, items) if f.resource_name == name)
    return finding.status.value, json.dumps(finding.evidence)


def test_named_value_plain_by_display_name(apim):
    # Named values are referenced by displayName, which may differ from the resource name
    # (ApiManagementCreateNamedValueWithKeyVault.json: name testprop6, displayName prop6namekv).
    nv = by_suffix(apim, NAMED_VALUE)
    nv["id"], nv["name"] = nv["id"].replace("rate-limit-calls", "nv-0001"), "nv-0001"
    status, text = _evidence_of("apim.rate-limit", apim, "openai")
    assert status == "pass" and "{{rate-limit-calls}} = 100" in text


def test_named_value_secret_is_counted_but_never_read(apim):
    by_suffix(apim, NAMED_VALUE)["properties"].update(secret=True, value="zq81-hidden-limit")
    status, text = _evidence_of("apim.rate-limit", apim, "openai")
    assert status == "pass" and "secret named value" in text and "zq81-hidden-limit" not in text


def test_named_value_key_vault_backed(apim):
    # The keyVault shape of ApiManagementCreateNamedValueWithKeyVault.json (2024-05-01 examples).
    props = by_suffix(apim, NAMED_VALUE)["properties"]
    props.pop("value")
    props.update(
        secret=True,
        keyVault={
            "secretIdentifier": "https://kv-test.vault.azure.net/secrets/rate-limit-calls",
            "identityClientId": None,
            "lastStatus": {"code": "Success", "timeStampUtc": "2026-09-11T00:54:31.8024882Z"},
        },
    )
    status, text = _evidence_of("apim.rate-limit", apim, "openai")
    assert status == "pass" and "secret named value" in text


def test_named_value_missing_is_reported(apim):
    status, text = _evidence_of("apim.rate-limit", drop(apim, NAMED_VALUE), "openai")
    assert status == "pass" and "named value not found" in text


def test_named_values_not_collected_is_not_assessed(apim):
    collected = sorted({r["type"] for r in apim} - {"Microsoft.ApiManagement/service/namedValues"})
    assert verdicts("apim.rate-limit", apim, collected=collected)["openai"] == "not_assessed"


def test_policy_xml_stays_out_of_evidence(apim):
    set_policy(
        apim,
        "apis/openai/policies/policy",
        '<policies><inbound><base /><set-header name="api-key" exists-action="override">'
        "<value>inline-key-7f3a9c</value></set-header></inbound></policies>",
    )
    status, text = _evidence_of("apim.rate-limit", apim, "openai")
    assert status == "pass" and "inline-key-7f3a9c" not in text


def test_escaped_xml_format_and_link_format(apim):
    policy = by_suffix(apim, "products/voice-agent/policies/policy")["properties"]
    policy["format"] = "xml"
    escaped = "@(context.Request.Headers.GetValueOrDefault(&quot;x&quot;,&quot;&quot;))"
    policy["value"] = policy["value"].replace("@(context.Subscription.Id)", escaped)
    assert verdicts("apim.rate-limit", apim)["openai"] == "pass"
    policy["format"] = "rawxml-link"
    policy["value"] = "https://contoso.blob.core.windows.net/policies/product.xml"
    assert verdicts("apim.rate-limit", apim)["openai"] == "not_assessed"


def test_open_api_without_subscription_bypasses_the_product_limit(apim):
    by_suffix(apim, "apis/speech")["properties"]["subscriptionRequired"] = False
    status, text = _evidence_of("apim.rate-limit", apim, "speech")
    assert status == "fail" and "no product" in text


def test_non_current_revision_is_not_applicable(apim):
    revision = copy.deepcopy(by_suffix(apim, "apis/speech"))
    revision["id"] += ";rev=2"
    revision["name"] = "speech;rev=2"
    revision["properties"].update(isCurrent=False, apiRevision="2", protocols=["http"])
    apim.append(revision)
    for check_id in ("apim.rate-limit", "apim.https-only", "apim.ai-caching", "apim.token-limit"):
        assert verdicts(check_id, apim)["speech;rev=2"] == "not_applicable", check_id


def test_ai_backend_found_through_set_backend_service_and_pool(apim):
    # The openai API names no AI host itself: only its aoai-pool backend (a pool whose member
    # aoai-eastus2 is Azure OpenAI) makes it an AI API.
    by_suffix(apim, "apis/openai")["properties"]["serviceUrl"] = "https://gateway.contoso.com/openai"
    assert verdicts("apim.token-limit", apim)["openai"] == "pass"
    xml = by_suffix(apim, "apis/openai/policies/policy")["properties"]["value"]
    without_metrics = xml.replace('<include-fragment fragment-id="ai-usage-metrics" />', "")
    set_policy(apim, "apis/openai/policies/policy", without_metrics)
    assert verdicts("apim.token-limit", apim)["openai"] == "fail"
    set_policy(apim, "apis/openai/policies/policy", xml.replace('backend-id="aoai-pool"', 'backend-id="other"'))
    assert verdicts("apim.token-limit", apim)["openai"] == "not_applicable"


def test_ai_caching_missing_fails(apim):
    xml = by_suffix(apim, "apis/speech/policies/policy")["properties"]["value"]
    set_policy(apim, "apis/speech/policies/policy", xml.replace("cache-lookup", "set-query-parameter"))
    assert verdicts("apim.ai-caching", apim)["speech"] == "fail"


def test_a_rate_limit_under_a_condition_does_not_cover_the_api(apim):
    # The hardened product limits (a rate limit and a quota), moved under a <choose> that only some
    # requests meet.
    product = "products/voice-agent/policies/policy"
    xml = by_suffix(apim, product)["properties"]["value"]
    start = xml.index("<rate-limit-by-key")
    end = xml.index("/>", xml.index("<quota-by-key")) + 2
    limits = xml[start:end]
    guarded = f'<choose><when condition="@(context.Request.Method == &quot;POST&quot;)">{limits}</when></choose>'
    set_policy(apim, product, xml[:start] + guarded + xml[end:])
    finding = next(f for f in verdicts_findings("apim.rate-limit", apim) if f.resource_name == "speech")
    assert finding.status.value == "fail"
    assert "only under <choose> conditions" in finding.evidence["message"]
    observed = {o["path"]: o["observed"] for o in finding.evidence["observations"]}
    assert observed["conditionalRateLimits"] == [
        "quota-by-key at product voice-agent",
        "rate-limit-by-key at product voice-agent",
    ]
    # With a limit in an <otherwise> as well, every request meets one.
    covered = f'<choose><when condition="@(true)">{limits}</when><otherwise>{limits}</otherwise></choose>'
    set_policy(apim, product, xml[:start] + covered + xml[end:])
    assert verdicts("apim.rate-limit", apim)["speech"] == "pass"


def test_a_token_limit_under_a_condition_does_not_count(apim):
    policy = "apis/openai/policies/policy"
    xml = by_suffix(apim, policy)["properties"]["value"]
    start = xml.index("<azure-openai-token-limit")
    end = xml.index("/>", start) + 2
    guarded = f'<choose><when condition="@(context.Request.Headers.ContainsKey(&quot;x-batch&quot;))">' \
              f"{xml[start:end]}</when></choose>"
    set_policy(apim, policy, xml[:start] + guarded + xml[end:])
    finding = next(f for f in verdicts_findings("apim.token-limit", apim) if f.resource_name == "openai")
    assert finding.status.value == "fail" and "token limit on" in finding.evidence["message"]
