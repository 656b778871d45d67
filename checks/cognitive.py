"""Azure OpenAI deployments: content safety, capacity behind the gateway's token limits, model mix.

Deployments (`accounts/deployments`) carry the model, the SKU with its capacity and the name of the
content filter (`raiPolicyName`); custom filters are `accounts/raiPolicies`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from auditor.checks._apim_api import (
    API,
    NAMED_VALUE,
    NAMED_VALUE_REF,
    POLICY_TYPES,
    SERVICE,
    TOKEN_LIMITS,
    backend_urls,
    is_ai,
    is_current,
    request_paths,
    service_of,
)
from auditor.checks._apim_policy import Section, always_applied, found_in

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
#: RaiPolicyMode (azure-rest-api-specs, cognitiveservices RaiPolicyProperties.mode): Default and Blocking
#: filter completions before returning them; Asynchronous_filter (called Deferred before 2025-06-01)
#: streams completion tokens first and sends the filter's verdict later (Microsoft Learn, content streaming).
SYNCHRONOUS_MODES = {"default", "blocking"}
DEFERRED_MODES = {"asynchronous_filter", "deferred"}
#: Standard (pay-as-you-go) SKUs, whose capacity is in units of tokens per minute.
STANDARD_SKUS = {"standard", "globalstandard", "datazonestandard"}
#: Tokens per minute one unit of Standard capacity serves. Microsoft Learn, "Manage Azure OpenAI quota"
#: (how-to/quota): 1,000 for chat and embedding models; the o-series models listed here differ.
DEFAULT_TPM_PER_UNIT = 1000
TPM_PER_UNIT = {"o1": 6000, "o1-preview": 6000, "o1-mini": 10000, "o3-mini": 10000, "o3-pro": 10000}
#: Models whose capacity counts requests per minute (DALL-E 3 and GPT-image-1: 6 per unit, per the quotas
#: and limits page), so a token limit says nothing about them.
REQUEST_METERED = re.compile(r"dall-e|gpt-image|whisper|tts|sora", re.I)
#: The deployment segment of an Azure OpenAI URL path (/openai/deployments/<name>/...).
DEPLOYMENT_SEGMENT = re.compile(r"/deployments/([^/?#]*)", re.I)
#: A request path whose deployment the caller's own URL (or request body) names: every deployment.
CALLER_CHOOSES = "*"
PROVISIONED_SKUS = {"provisionedmanaged", "globalprovisionedmanaged", "datazoneprovisionedmanaged"}
#: Models that answer no conversational turn, so they take no part in a cascade.
NON_CHAT = re.compile(r"embedding|whisper|tts|dall-e|speech", re.I)
#: Small models for the guide's tier 1 and tier 2 (Phi, the -mini and -nano variants).
SMALL_MODEL = re.compile(r"phi|mini|nano|small", re.I)
CONTENT_FILTER_DOC = "https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter"
CONTENT_STREAMING_DOC = "https://learn.microsoft.com/azure/ai-services/openai/concepts/content-streaming"
QUOTA_DOC = "https://learn.microsoft.com/azure/ai-services/openai/how-to/quota"


def _category(name: object) -> str:
    return re.sub(r"[^a-z]", "", str(name).lower())


def _parent_account_id(deployment: Resource) -> str:
    return deployment.id.rsplit("/deployments/", 1)[0]


def _filter_gaps(policy: Resource) -> list[str]:
    """The category/source pairs of the policy that do not block, and a streaming mode that shows
    completions before they are filtered. A pair the policy does not list inherits from its base
    policy: blocking when the base is a built-in default, unfiltered when there is no base."""
    filters = policy.get("properties.contentFilters", default=[], expect=list)
    base = policy.get("properties.basePolicyName", default="", expect=str)
    # The spec's RaiPolicyMode (2024-10-01 and later): Default = 0, so an absent mode is Default.
    mode = policy.get("properties.mode", default="Default", expect=str)
    if mode.lower() not in SYNCHRONOUS_MODES | DEFERRED_MODES:
        raise DataError(f"content filter {policy.name} has mode {mode!r}, which golive does not know")
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
                if base.lower() in BUILT_IN_BLOCKING:
                    continue
                if base and base.lower() != "microsoft.nil":
                    raise DataError(
                        f"{category}/{source} of content filter {policy.name} comes from base policy {base}, "
                        "whose settings golive does not know"
                    )
                gaps.append(f"{category}/{source} not configured")
                continue
            switches = (entry.get("enabled"), entry.get("blocking"))
            if not all(isinstance(switch, bool) for switch in switches):
                raise DataError(f"the {category}/{source} filter of {policy.name} has no boolean enabled and blocking")
            if not all(switches):
                gaps.append(f"{category}/{source} not blocking")
    if mode.lower() in DEFERRED_MODES:
        gaps.append(f"mode {mode}: streamed completions reach the caller before the filter's verdict")
    return gaps


@check(
    id="ai.content-filter",
    title="Every Azure OpenAI deployment has a content filter that blocks harmful content",
    severity=Severity.HIGH,
    area=Area.AI,
    checklist="security-assessment",
    types=[DEPLOYMENT],
    reads=[RAI_POLICY],
    rationale=(
        "The guide's safety dimension relies on content filtering. A deployment without a content filter, or "
        "with one that only annotates hate, sexual, violence or self-harm content instead of blocking it, lets "
        "harmful prompts and completions reach callers in a live voice conversation. A filter in the "
        "Asynchronous_filter (Deferred) streaming mode returns completion tokens before their verdict, so "
        "harmful text can be spoken before the filter catches it."
    ),
    remediation=Remediation(
        text="Assign Microsoft.DefaultV2 or a custom content filter that blocks the four harm categories on "
        "prompts and completions, in the Default (buffered) streaming mode.",
        az="az cognitiveservices account deployment create --name <account> --resource-group {resourceGroup} "
        "--deployment-name {name} --model-name <model> --model-version <version> --model-format OpenAI "
        "--sku-name Standard --sku-capacity <capacity> --rai-policy-name Microsoft.DefaultV2",
        bicep="properties: {\n  model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-08-06' }\n"
        "  raiPolicyName: 'Microsoft.DefaultV2'\n}",
    ),
    refs=[
        CONTENT_FILTER_DOC,
        "https://learn.microsoft.com/azure/ai-services/openai/how-to/content-filters",
        CONTENT_STREAMING_DOC,
    ],
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
        shown = f"{found_value.strip()} = {value}" if ref else repr(value)  # scrubbed as {{name}} = value
        raise DataError(f"tokens-per-minute of API {api.name} is {shown}, not a number")
    return int(value)


def _fronts(url: str, account: Resource) -> bool:
    host = (urlparse(url).hostname or "").lower()
    endpoint = (urlparse(account.get("properties.endpoint", default="", expect=str)).hostname or "").lower()
    subdomain = account.get("properties.customSubDomainName", default="", expect=str).lower()
    return bool(host) and (host == endpoint or (bool(subdomain) and host.split(".", 1)[0] == subdomain))


class _Unmapped(Exception):
    """The deployment a request path reaches cannot be told from configuration."""


def _dynamic(text: str) -> bool:
    # A policy expression or a named value is resolved per request or outside the policy text.
    return "@(" in text or "@{" in text or "{{" in text


def _deployment_in(path: str, where: str) -> str | None:
    """The deployment a URL path or template names: a name, CALLER_CHOOSES for a template parameter,
    or None when the path has no deployments segment."""
    match = DEPLOYMENT_SEGMENT.search(path)
    if match is None:
        return None
    name = match.group(1)
    if name.startswith("{") and name.endswith("}") and "{" not in name[1:-1]:
        return CALLER_CHOOSES
    if not name or _dynamic(name) or "{" in name or "}" in name:
        raise _Unmapped(f"{where} names the deployment as {name!r}")
    return name.lower()


def _path_urls(api: Resource, sections: list[Section], backends: dict[str, Resource], path: str) -> list[str]:
    """The backend urls a request on this path can go to: set-backend-service targets, and the API's
    serviceUrl unless a set-backend-service applies to every request."""
    urls = []
    if always_applied(sections, {"set-backend-service"}) is None:
        urls.append(api.get("properties.serviceUrl", default="", expect=str))
    for found in found_in(sections):
        if found.element.tag != "set-backend-service":
            continue
        backend_id, base_url = found.element.get("backend-id"), found.element.get("base-url")
        if backend_id is not None:
            backend = backends.get(backend_id.lower())
            if _dynamic(backend_id) or backend is None:
                raise _Unmapped(f"{path} routes to backend {backend_id!r}, which is not in the snapshot")
            urls += backend_urls(backend, backends)
        elif base_url is not None:
            if _dynamic(base_url):
                raise _Unmapped(f"{path} sets its backend with an expression")
            urls.append(base_url)
    return [url for url in dict.fromkeys(urls) if url]


def _path_deployments(urls: list[str], sections: list[Section], operation: Resource | None, path: str) -> set[str]:
    """The deployments of the account that a request on this path can reach (CALLER_CHOOSES: any)."""
    fixed = {name for url in urls if (name := _deployment_in(urlparse(url).path, f"backend url {url}")) is not None}
    if fixed:
        return fixed
    names: set[str] = set()
    rewrites = [f.element.get("template", "") for f in found_in(sections) if f.element.tag == "rewrite-uri"]
    for template in rewrites:
        if _dynamic(template):
            raise _Unmapped(f"{path} rewrites the URL with an expression")
        # A rewrite without a deployments segment leaves the deployment to the request (the v1 API's model field).
        names.add(_deployment_in(template, f"rewrite-uri on {path}") or CALLER_CHOOSES)
    if rewrites and always_applied(sections, {"rewrite-uri"}) is not None:
        return names
    # urlTemplate is required on an operation (apimapis.json OperationContractProperties): no default.
    template = operation.get("properties.urlTemplate", expect=str) if operation is not None else ""
    names.add(_deployment_in(template, f"operation {operation.name if operation else ''}") or CALLER_CHOOSES)
    return names


def _tokens_served(deployment: Resource) -> int:
    """The tokens per minute a Standard deployment serves: capacity x the model's tokens per unit."""
    sku = deployment.get("sku.name", expect=str)
    if sku.lower() not in STANDARD_SKUS:
        raise _Unmapped(f"pool member {deployment.name} has SKU {sku}, not one measured in tokens per minute")
    model = deployment.get("properties.model.name", expect=str)
    return deployment.get("sku.capacity", expect=int) * TPM_PER_UNIT.get(model.lower(), DEFAULT_TPM_PER_UNIT)


@dataclass
class _Endpoint:
    """One AI endpoint a request path can go to: the deployments its requests name (CALLER_CHOOSES:
    whichever the caller names), and the account behind it (None when the snapshot has none)."""

    url: str
    names: set[str] | None
    unmapped: str | None
    account: Resource | None


@dataclass
class _Route:
    """One request path of an API Management API to AI endpoints, with its token limit."""

    api: str
    label: str
    endpoints: list[_Endpoint]
    unmapped: str | None = None
    limited: bool = False
    limit: int = 0
    limit_error: DataError | None = None


def _build_routes(ctx: Context) -> list[_Route]:
    accounts = ctx.resources(ACCOUNT)
    routes: list[_Route] = []
    for service in ctx.resources(SERVICE):
        backends = {b.name.lower(): b for b in ctx.children(service, BACKEND)}
        for api in ctx.children(service, API):
            if not is_current(api):
                continue
            key = f"{service.name}/{api.name}"
            for path, operation, sections in request_paths(api, ctx):
                label = f"{key} {path}"
                try:
                    urls = [url for url in _path_urls(api, sections, backends, label) if is_ai(url)]
                except _Unmapped as reason:
                    routes.append(_Route(key, label, [], unmapped=str(reason)))
                    continue
                endpoints = []
                for url in urls:
                    try:
                        names, why = _path_deployments([url], sections, operation, label), None
                    except _Unmapped as reason:
                        names, why = None, str(reason)
                    account = next((a for a in accounts if _fronts(url, a)), None)
                    endpoints.append(_Endpoint(url, names, why, account))
                route = _Route(key, label, endpoints)
                found = always_applied(sections, TOKEN_LIMITS)
                tpm = found.element.get("tokens-per-minute") if found else None
                if tpm is not None:
                    route.limited = True
                    try:
                        route.limit = _tokens_per_minute(tpm, api, ctx)
                    except DataError as error:
                        route.limit_error = error
                routes.append(route)
    return routes


def _routes(ctx: Context) -> list[_Route]:
    """Every request path to an AI endpoint in the subscription, worked out once per audit: each
    deployment is judged against all of them."""
    return ctx.inventory.derived(("ai.capacity-vs-gateway routes", ctx.subscription_id), lambda: _build_routes(ctx))


def _pool_partners(deployment: Resource, route: _Route, ctx: Context) -> list[Resource]:
    """The other deployments a request on this route can land on instead of this one: behind each
    endpoint of a backend pool (or of conditional backends), the deployment of the same name when the
    caller names it, or the one the endpoint's URL or a rewrite fixes."""
    partners: dict[str, Resource] = {}
    for endpoint in route.endpoints:
        if endpoint.account is None:
            host = urlparse(endpoint.url).hostname
            raise _Unmapped(f"{route.label} reaches {host}, which is no account in the snapshot")
        if endpoint.names is None:
            raise _Unmapped(endpoint.unmapped or route.label)
        wanted = {deployment.name.lower()} if CALLER_CHOOSES in endpoint.names else endpoint.names
        if (
            wanted == {deployment.name.lower()}
            and endpoint.account.id.lower() == _parent_account_id(deployment).lower()
        ):
            continue  # the deployment itself: no partner behind this endpoint
        for candidate in ctx.children(endpoint.account, DEPLOYMENT):
            if candidate.name.lower() in wanted and candidate.id.lower() != deployment.id.lower():
                partners[candidate.id.lower()] = candidate
    return list(partners.values())


@dataclass
class _Fronting:
    """What the gateway sends to one deployment, per API the highest limit among its paths that reach it."""

    alone: dict[str, int] = field(default_factory=dict)  # paths that reach this deployment and no other
    pooled: dict[str, int] = field(default_factory=dict)  # every path that reaches it, pools included
    partners: dict[str, Resource] = field(default_factory=dict)
    unbounded: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def _fronting(deployment: Resource, account: Resource, ctx: Context) -> _Fronting:
    out = _Fronting()
    for route in _routes(ctx):
        if route.unmapped:
            out.unmapped.append(route.unmapped)
            continue
        mine = [e for e in route.endpoints if e.account is not None and e.account.id.lower() == account.id.lower()]
        if not mine:
            continue
        try:
            names: set[str] = set()
            for endpoint in mine:
                if endpoint.names is None:
                    raise _Unmapped(endpoint.unmapped or route.label)
                names |= endpoint.names
            if CALLER_CHOOSES not in names and deployment.name.lower() not in names:
                continue
            partners = _pool_partners(deployment, route, ctx)
            for partner in partners:
                _tokens_served(partner)  # a partner whose throughput is unknown leaves the pool unmapped
        except _Unmapped as reason:
            out.unmapped.append(str(reason))
            continue
        if route.limit_error is not None:
            raise route.limit_error
        if not route.limited:
            out.unbounded.append(route.label)
            continue
        out.pooled[route.api] = max(route.limit, out.pooled.get(route.api, 0))
        if partners:
            out.partners.update({p.id.lower(): p for p in partners})
        else:
            out.alone[route.api] = max(route.limit, out.alone.get(route.api, 0))
    return out


@check(
    id="ai.capacity-vs-gateway",
    title="API Management token limits stay within what each Azure OpenAI deployment can serve",
    severity=Severity.MEDIUM,
    area=Area.AI,
    checklist="api-rate-limiting",
    types=[DEPLOYMENT],
    reads=[ACCOUNT, SERVICE, API, BACKEND, *POLICY_TYPES],
    rationale=(
        "When the gateway lets through more tokens per minute than the deployment behind it can serve, callers "
        "get 429s from Azure OpenAI instead of a clean limit at the gateway, and the gateway's retry and "
        "fallback logic never runs. A Standard, GlobalStandard or DataZoneStandard deployment serves its "
        "capacity in units of 1,000 tokens per minute (6,000 for o1, 10,000 for o1-mini, o3-mini and o3-pro). "
        "An API fronts the deployment its backend URL, set-backend-service or rewrite-uri names; one that "
        "passes the caller's deployment path through fronts every deployment of the account. The limits of "
        "the APIs that front a deployment are summed; through a backend pool they are compared with the pool's "
        "deployments together, and what reaches one deployment alone with that deployment. A per-key limit is "
        "counted once, so the real load can be higher still."
    ),
    remediation=Remediation(
        text="Raise the deployment's capacity (or add a deployment in another region behind a backend pool), or "
        "lower the tokens-per-minute of the gateway's token limits.",
        az="az cognitiveservices account deployment create --name <account> --resource-group {resourceGroup} "
        "--deployment-name {name} --model-name <model> --model-version <version> --model-format OpenAI "
        "--sku-name GlobalStandard --sku-capacity <capacity>",
        bicep="sku: {\n  name: 'GlobalStandard'\n  capacity: 300 // 300,000 tokens per minute\n}",
    ),
    refs=[QUOTA_DOC, "https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy"],
)
def capacity_vs_gateway(deployment: Resource, ctx: Context) -> Verdict:
    sku = deployment.get("sku.name", expect=str)
    if sku.lower() in PROVISIONED_SKUS:
        return not_applicable(f"{sku}: capacity is provisioned throughput units, not tokens per minute")
    if sku.lower() not in STANDARD_SKUS:
        return not_assessed(f"SKU {sku!r}: golive does not know how many tokens per minute a unit serves")
    model = deployment.get("properties.model.name", expect=str)
    if REQUEST_METERED.search(model):
        return not_applicable(f"model {model} is metered in requests per minute, not tokens")
    capacity = deployment.get("sku.capacity", expect=int)
    account = ctx.get(_parent_account_id(deployment))
    if account is None:
        raise DataError(f"the account of deployment {deployment.name} is not in the snapshot")
    if account.get("kind", default="", expect=str).lower() not in LLM_KINDS:
        return not_applicable("not an Azure OpenAI or AI Services deployment")
    per_unit = TPM_PER_UNIT.get(model.lower(), DEFAULT_TPM_PER_UNIT)
    serves = capacity * per_unit
    front = _fronting(deployment, account, ctx)
    pool_serves = serves + sum(_tokens_served(p) for p in front.partners.values())
    alone, pooled = sum(front.alone.values()), sum(front.pooled.values())
    deployment.note("tokensPerCapacityUnit", per_unit)
    deployment.note("deploymentTokensPerMinute", serves)
    deployment.note("gatewayTokensPerMinute", front.pooled)
    if front.partners:
        deployment.note("poolPartners", sorted(p.id for p in front.partners.values()))
        deployment.note("poolTokensPerMinute", pool_serves)
    if front.unbounded:
        deployment.note("pathsWithoutTokenLimit", front.unbounded)
    if front.unmapped:
        deployment.note("pathsNotMapped", front.unmapped)
    numbers = f"gateway allows {pooled:,} tokens/min, {deployment.name} serves {serves:,} tokens/min"
    numbers += f" ({capacity} x {per_unit:,})"
    if front.partners:
        names = ", ".join(
            sorted(f"{p.name} in {_parent_account_id(p).rsplit('/', 1)[-1]}" for p in front.partners.values())
        )
        numbers += f", with its pool partners ({names}) {pool_serves:,} tokens/min"
        if alone:
            numbers += f"; {alone:,} tokens/min of the limits reach {deployment.name} alone"
    if front.unbounded:
        numbers += f"; {len(front.unbounded)} path(s) without a token limit add more (see apim.token-limit)"
    expected = f"<= {pool_serves:,} tokens/min" + (
        f", and <= {serves:,} to {deployment.name} alone" if front.partners else ""
    )
    if alone > serves or pooled > pool_serves:
        return failed(f"{numbers}: callers get 429s from Azure OpenAI", expected=expected)
    if front.unmapped:
        return not_assessed(f"{numbers}; the deployment some paths reach cannot be told: {front.unmapped[0]}")
    if not front.pooled:
        return not_applicable("no API Management token limit fronts this deployment (apim.token-limit judges that)")
    return passed(numbers, expected=expected)


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
