"""Azure OpenAI deployments: content safety, capacity behind the gateway's token limits, model mix.

Deployments (`accounts/deployments`) carry the model, the SKU with its capacity and the name of the
content filter (`raiPolicyName`); custom filters are `accounts/raiPolicies`.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from auditor.checks._apim_api import (
    API,
    NAMED_VALUE,
    NAMED_VALUE_REF,
    POLICY_TYPES,
    SERVICE,
    TOKEN_LIMITS,
    ai_backend,
    effective,
    is_current,
    service_of,
)
from auditor.checks._apim_policy import always_applied

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
    not_assessed,
    passed,
)
from auditor.inventory import Context

ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
RAI_POLICY = "Microsoft.CognitiveServices/accounts/raiPolicies"
BACKEND = "Microsoft.ApiManagement/service/backends"
LLM_KINDS = {"openai", "aiservices"}
#: The harm categories the guide's safety dimension names; each must block on prompts and completions.
HARM_CATEGORIES = ("hate", "sexual", "violence", "selfharm")
SOURCES = ("prompt", "completion")
#: Built-in policies that block medium severity and above in every harm category, prompts and completions
#: (https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter#configurability).
BUILT_IN_BLOCKING = {"microsoft.default", "microsoft.defaultv2"}
#: Standard (pay-as-you-go) SKUs: one unit of capacity is 1,000 tokens per minute.
STANDARD_SKUS = {"standard", "globalstandard", "datazonestandard"}
PROVISIONED_SKUS = {"provisionedmanaged", "globalprovisionedmanaged", "datazoneprovisionedmanaged"}
#: Models that answer no conversational turn, so they take no part in a cascade.
NON_CHAT = re.compile(r"embedding|whisper|tts|dall-e|speech", re.I)
#: Small models for the guide's tier 1 and tier 2 (Phi, the -mini and -nano variants).
SMALL_MODEL = re.compile(r"phi|mini|nano|small", re.I)
CONTENT_FILTER_DOC = "https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter"
QUOTA_DOC = "https://learn.microsoft.com/azure/ai-services/openai/how-to/quota"


def _category(name: object) -> str:
    return re.sub(r"[^a-z]", "", str(name).lower())


def _parent_account_id(deployment: Resource) -> str:
    return deployment.id.rsplit("/deployments/", 1)[0]


def _filter_gaps(policy: Resource) -> list[str]:
    """The category/source pairs of the policy that do not block. A pair the policy does not list
    inherits from its base policy: blocking when the base is a built-in default."""
    filters = policy.get("properties.contentFilters", default=[], expect=list)
    base = policy.get("properties.basePolicyName", default="", expect=str).lower()
    listed: dict[tuple[str, str], dict] = {}
    for index, entry in enumerate(filters):
        if not isinstance(entry, dict):
            raise DataError(f"contentFilters[{index}] of {policy.name} is not an object")
        listed[(_category(entry.get("name")), str(entry.get("source", "")).lower())] = entry
    gaps = []
    for category in HARM_CATEGORIES:
        for source in SOURCES:
            entry = listed.get((category, source))
            if entry is None:
                if base not in BUILT_IN_BLOCKING:
                    gaps.append(f"{category}/{source} not configured")
                continue
            switches = (entry.get("enabled"), entry.get("blocking"))
            if not all(isinstance(switch, bool) for switch in switches):
                raise DataError(f"the {category}/{source} filter of {policy.name} has no boolean enabled and blocking")
            if not all(switches):
                gaps.append(f"{category}/{source} not blocking")
    return gaps


@check(
    id="ai.content-filter",
    title="Every Azure OpenAI deployment has a content filter that blocks harmful content",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="security-assessment",
    types=[DEPLOYMENT],
    reads=[RAI_POLICY],
    rationale=(
        "The guide's safety dimension relies on content filtering. A deployment without a content filter, or "
        "with one that only annotates hate, sexual, violence or self-harm content instead of blocking it, lets "
        "harmful prompts and completions reach callers in a live voice conversation."
    ),
    remediation=Remediation(
        text="Assign Microsoft.DefaultV2 or a custom content filter that blocks the four harm categories on "
        "prompts and completions.",
        az="az cognitiveservices account deployment create --name <account> --resource-group {resourceGroup} "
        "--deployment-name {name} --model-name <model> --model-version <version> --model-format OpenAI "
        "--sku-name Standard --sku-capacity <capacity> --rai-policy-name Microsoft.DefaultV2",
        bicep="properties: {\n  model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-08-06' }\n"
        "  raiPolicyName: 'Microsoft.DefaultV2'\n}",
    ),
    refs=[CONTENT_FILTER_DOC, "https://learn.microsoft.com/azure/ai-services/openai/how-to/content-filters"],
)
def content_filter(deployment: Resource, ctx: Context) -> Verdict:
    expected = "a content filter blocking hate, sexual, violence and self-harm on prompts and completions"
    name = deployment.get("properties.raiPolicyName", default="", expect=str)
    if not name:
        return failed("no content filter: raiPolicyName is not set", expected=expected)
    if name.lower() in BUILT_IN_BLOCKING:
        return passed(f"built-in content filter {name}", expected=expected)
    account = ctx.get(_parent_account_id(deployment))
    if account is None:
        raise DataError(f"the account of deployment {deployment.name} is not in the snapshot")
    policy = next((p for p in ctx.children(account, RAI_POLICY) if p.name.lower() == name.lower()), None)
    if policy is None:
        if name.lower().startswith("microsoft."):
            # Microsoft.Nil switches filtering off; other built-ins are not listed among the account's policies.
            if name.lower() == "microsoft.nil":
                return failed(f"content filter {name} switches filtering off", expected=expected)
            return not_assessed(f"built-in content filter {name} is not one golive knows the settings of")
        return not_assessed(f"content filter {name} is not among the account's raiPolicies in the snapshot")
    gaps = _filter_gaps(policy)
    deployment.note("raiPolicy", policy.id)
    if gaps:
        return failed(f"content filter {policy.name}: {', '.join(gaps)}", expected=expected)
    return passed(f"content filter {policy.name} blocks every harm category", expected=expected)


def _tokens_per_minute(found_value: str, api: Resource, ctx: Context) -> int:
    """The number of a tokens-per-minute attribute, through a plain named value when it names one."""
    value = found_value.strip()
    ref = NAMED_VALUE_REF.match(value)
    if ref:
        wanted = ref.group(1).lower()
        for named in ctx.children(service_of(api, ctx), NAMED_VALUE):
            display = named.get("properties.displayName", default=named.name, expect=str)
            if wanted in (named.name.lower(), display.lower()):
                if named.get("properties.secret", default=False, expect=bool) or named.has("properties.keyVault"):
                    raise DataError(f"tokens-per-minute of API {api.name} is the secret named value {value}")
                value = named.get("properties.value", expect=str).strip()
                break
        else:
            raise DataError(f"tokens-per-minute of API {api.name} names {value}, which is not in the snapshot")
    if not value.isdigit():
        raise DataError(f"tokens-per-minute of API {api.name} is {value!r}, not a number")
    return int(value)


def _gateway_limit(api: Resource, ctx: Context) -> tuple[int | None, list[str]]:
    """The highest token limit a request path to the API meets (one request takes one path), and the
    paths that meet none (apim.token-limit fails those; here they leave the sum a lower bound)."""
    limits, unbounded = [], []
    for path, sections in effective(api, ctx):
        found = always_applied(sections, TOKEN_LIMITS)
        tpm = found.element.get("tokens-per-minute") if found else None
        if tpm is None:
            unbounded.append(path)
        else:
            limits.append(_tokens_per_minute(tpm, api, ctx))
    return (max(limits) if limits else None), unbounded


def _fronts(url: str, account: Resource) -> bool:
    host = (urlparse(url).hostname or "").lower()
    endpoint = (urlparse(account.get("properties.endpoint", default="", expect=str)).hostname or "").lower()
    subdomain = account.get("properties.customSubDomainName", default="", expect=str).lower()
    return bool(host) and (host == endpoint or (bool(subdomain) and host.split(".", 1)[0] == subdomain))


@check(
    id="ai.capacity-vs-gateway",
    title="API Management token limits stay within what the Azure OpenAI deployments can serve",
    severity=Severity.MEDIUM,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[ACCOUNT],
    reads=[DEPLOYMENT, SERVICE, API, BACKEND, *POLICY_TYPES],
    rationale=(
        "When the gateway lets through more tokens per minute than the deployments behind it can serve, callers "
        "get 429s from Azure OpenAI instead of a clean limit at the gateway, and the gateway's retry and "
        "fallback logic never runs. Standard deployments serve capacity x 1,000 tokens per minute. The limits "
        "are summed over the APIs that front the account; a per-key limit is counted once, so the real load "
        "can be higher still."
    ),
    remediation=Remediation(
        text="Raise the deployments' capacity (or add a deployment in another region behind a backend pool), or "
        "lower the tokens-per-minute of the gateway's token limits.",
        az="az cognitiveservices account deployment create --name {name} --resource-group {resourceGroup} "
        "--deployment-name <deployment> --model-name <model> --model-version <version> --model-format OpenAI "
        "--sku-name GlobalStandard --sku-capacity <capacity>",
        bicep="sku: {\n  name: 'GlobalStandard'\n  capacity: 300 // 300,000 tokens per minute\n}",
    ),
    refs=[QUOTA_DOC, "https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy"],
)
def capacity_vs_gateway(account: Resource, ctx: Context) -> Verdict:
    if account.get("kind", default="", expect=str).lower() not in LLM_KINDS:
        return not_applicable("not an Azure OpenAI or AI Services account")
    limits: dict[str, int] = {}
    unbounded: list[str] = []
    for service in ctx.resources(SERVICE):
        for api in ctx.children(service, API):
            if not is_current(api):
                continue
            url = ai_backend(api, ctx)
            if url and _fronts(url, account):
                limit, open_paths = _gateway_limit(api, ctx)
                unbounded += [f"{api.name}: {path}" for path in open_paths]
                if limit is not None:
                    limits[f"{service.name}/{api.name}"] = limit
    if unbounded:
        account.note("pathsWithoutTokenLimit", unbounded)
    if not limits:
        return not_applicable("no API Management token limit fronts this account (apim.token-limit judges that)")
    standard, provisioned = 0, []
    for deployment in ctx.children(account, DEPLOYMENT):
        sku = deployment.get("sku.name", expect=str).lower()
        capacity = deployment.get("sku.capacity", expect=int)
        if sku in STANDARD_SKUS:
            standard += capacity * 1000
        elif sku in PROVISIONED_SKUS:
            provisioned.append(f"{deployment.name} ({capacity} PTU)")
        else:
            raise DataError(f"deployment {deployment.name} has SKU {sku!r}, whose throughput golive does not know")
    gateway = sum(limits.values())
    account.note("gatewayTokensPerMinute", limits)
    account.note("deploymentTokensPerMinute", standard)
    numbers = f"gateway allows {gateway:,} tokens/min, Standard deployments serve {standard:,} tokens/min"
    if unbounded:
        numbers += f" ({len(unbounded)} path(s) without a token limit add more; see apim.token-limit)"
    if gateway <= standard:
        return passed(numbers, expected=f"<= {standard:,} tokens/min")
    if provisioned:
        # PTU throughput depends on the model and the prompt shape: the comparison cannot be made.
        return not_assessed(f"{numbers}; provisioned deployments {', '.join(provisioned)} serve an unknown rest")
    return failed(numbers + ": callers get 429s from Azure OpenAI", expected=f"<= {standard:,} tokens/min")


def _chat_deployments(ctx: Context) -> list[tuple[Resource, str]]:
    out = []
    for deployment in ctx.resources(DEPLOYMENT):
        model = deployment.get("properties.model.name", expect=str)
        if not NON_CHAT.search(model):
            out.append((deployment, model))
    return out


@check(
    id="ai.slm-cascade",
    title="Small models take the simple turns (cascade advisory)",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[DEPLOYMENT],
    scope="subscription",
    rationale=(
        "The guide's cascade routes common intents to a fine-tuned small model and moderate ones to GPT-4o-mini, "
        "keeping GPT-4o for complex turns: 80-90 % lower cost and lower latency. This check reports the models "
        "deployed and recommends the cascade when one large model serves everything; one model is never a "
        "failure, because the routing lives in the application."
    ),
    remediation=Remediation(
        text="Deploy a small model (GPT-4o-mini or a fine-tuned Phi) beside the large one and route simple intents "
        "to it.",
        az="az cognitiveservices account deployment create --name <account> --resource-group {resourceGroup} "
        "--deployment-name gpt-4o-mini --model-name gpt-4o-mini --model-version 2024-07-18 --model-format OpenAI "
        "--sku-name GlobalStandard --sku-capacity 100",
        bicep="properties: {\n  model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/ai-services/openai/how-to/fine-tuning"],
)
def slm_cascade(subscription: Resource, ctx: Context) -> Verdict:
    chat = _chat_deployments(ctx)
    models = sorted({model for _, model in chat})
    subscription.note("chatModels", models)
    if not chat:
        return not_applicable("no chat model is deployed in this subscription")
    small = [m for m in models if SMALL_MODEL.search(m)]
    if small and len(models) > 1:
        return passed(f"cascade possible: models {', '.join(models)}", expected="a small and a large model")
    if small:
        return passed(f"only small models: {', '.join(models)}", expected="a small and a large model")
    subscription.note("recommendation", "cascade")
    return passed(
        f"models {', '.join(models)}: one large model serves every turn; recommendation: route simple intents "
        "to a small model (the guide's cascade)",
        expected="a small and a large model",
    )


@check(
    id="ai.provisioned-throughput",
    title="Provisioned throughput (PTU) deployments are reported for the cost review",
    severity=Severity.INFO,
    area=Area.COST,
    checklist="cost-optimization",
    types=[DEPLOYMENT],
    scope="subscription",
    rationale=(
        "Provisioned throughput is billed by the hour whether used or not, and pays off only for predictable load: "
        "the guide's reserved-capacity row. The cost review needs to see which deployments are provisioned and "
        "which are pay-as-you-go."
    ),
    remediation=Remediation(
        text="Review provisioned deployments against measured load; reserve PTUs for a year when the load is steady.",
        az="az cognitiveservices account deployment list --name <account> --resource-group {resourceGroup}",
        bicep="sku: {\n  name: 'ProvisionedManaged'\n  capacity: 100\n}",
    ),
    refs=["https://learn.microsoft.com/azure/ai-services/openai/concepts/provisioned-throughput"],
)
def provisioned_throughput(subscription: Resource, ctx: Context) -> Verdict:
    deployments = ctx.resources(DEPLOYMENT)
    if not deployments:
        return not_applicable("no Azure OpenAI deployment in this subscription")
    provisioned, standard = [], []
    for deployment in deployments:
        sku = deployment.get("sku.name", expect=str)
        capacity = deployment.get("sku.capacity", expect=int)
        if sku.lower() in PROVISIONED_SKUS:
            provisioned.append(f"{deployment.name} ({sku}, {capacity} PTU)")
        else:
            standard.append(f"{deployment.name} ({sku})")
    subscription.note("provisioned", provisioned)
    subscription.note("payAsYouGo", standard)
    if provisioned:
        return passed(f"provisioned throughput: {', '.join(provisioned)}", expected="reported")
    return passed(f"no provisioned throughput; pay-as-you-go: {', '.join(standard)}", expected="reported")
