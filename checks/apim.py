"""API Management as the AI gateway: rate limits, token limits, caching, circuit breaking, TLS.

Policies are read from the snapshot's policy resources at global, product, API and operation
scope and combined by `<base/>` inheritance (checks/_apim_policy.py); the chains and AI backends
of an API are read by checks/_apim_api.py, which checks/cognitive.py shares.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse

from auditor.checks._apim_api import (
    AI_HOSTS,
    API,
    BACKEND,
    COGNITIVE,
    NAMED_VALUE,
    NAMED_VALUE_REF,
    POLICY_TYPES,
    SERVICE,
    TOKEN_LIMITS,
    ai_backend,
    effective,
    is_current,
    is_llm,
    pool_members,
    service_of,
)
from auditor.checks._apim_policy import Found, always_applied, found_in

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
    passed,
)
from auditor.inventory import Context

RATE_LIMITS = {"rate-limit", "rate-limit-by-key", "quota", "quota-by-key"}
#: Limits counted per subscription: they apply only to calls made with a subscription key.
SUBSCRIPTION_COUNTED = {"rate-limit", "quota"}
TOKEN_METRICS = {"azure-openai-emit-token-metric", "llm-emit-token-metric"}
CACHES = {"cache-lookup", "azure-openai-semantic-cache-lookup", "llm-semantic-cache-lookup"}
AI_KINDS = {"openai", "aiservices", "speechservices", "cognitiveservices"}
AI_GATEWAY_DOC = "https://learn.microsoft.com/azure/api-management/genai-gateway-capabilities"
RATE_LIMIT_DOC = "https://learn.microsoft.com/azure/api-management/api-management-policies#rate-limiting-and-quotas"


def _describe_limit(found: Found, api: Resource, ctx: Context) -> str:
    element = found.element
    calls = element.get("calls") or element.get("tokens-per-minute") or element.get("bandwidth") or "?"
    ref = NAMED_VALUE_REF.match(calls)
    if ref:
        service = service_of(api, ctx)
        name = ref.group(1).lower()
        value = next(
            (
                nv
                for nv in ctx.children(service, NAMED_VALUE)
                if nv.name.lower() == name or str(nv.raw.get("properties", {}).get("displayName", "")).lower() == name
            ),
            None,
        )
        if value is None:
            calls = f"{calls} (named value not found; the limit is counted as present)"
        elif value.get("properties.secret", default=False, expect=bool) or value.has("properties.keyVault"):
            calls = f"{calls} (secret named value; the limit is counted as present)"
        else:
            calls = f"{calls} = {value.get('properties.value', default='?', expect=str)}"
    period = element.get("renewal-period")
    return f"{element.tag} calls={calls}" + (f" per {period}s" if period else "") + f" at {found.scope}"


@check(
    id="apim.rate-limit",
    title="Every API in API Management is rate limited",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[API],
    reads=[SERVICE, BACKEND, *POLICY_TYPES],
    rationale=(
        "Without rate-limit, rate-limit-by-key, quota or quota-by-key on every path to an API, one client (or "
        "one bug) can exhaust the Azure OpenAI and Speech quotas of every caller and run up the bill. The guide "
        "puts API Management with rate limiting in front of the AI services. golive follows <base/> "
        "inheritance from operation to API to product to global scope, and counts a limit inside <choose> only "
        "when every branch, <otherwise> included, has one."
    ),
    remediation=Remediation(
        text="Add rate-limit-by-key (per subscription or caller IP) at product or API scope, and keep <base/> in "
        "the scopes below it.",
        az="az apim api policy create --resource-group {resourceGroup} --service-name <service> --api-id {name} "
        '--xml-policy \'<policies><inbound><base /><rate-limit-by-key calls="100" renewal-period="60" '
        'counter-key="@(context.Subscription.Id)" /></inbound></policies>\'',
        bicep="resource policy 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = {\n"
        "  properties: {\n    format: 'rawxml'\n    value: '<policies><inbound><base /><rate-limit-by-key "
        'calls="100" renewal-period="60" counter-key="@(context.Subscription.Id)" /></inbound>'
        "</policies>'\n  }\n}",
    ),
    refs=[RATE_LIMIT_DOC, "https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy"],
)
def rate_limit(api: Resource, ctx: Context) -> Verdict:
    if not is_current(api):
        return not_applicable("a non-current API revision")
    uncovered, conditional, sources = [], [], set()
    calls, tokens = _rate_limits_for(api, ctx)
    wanted = calls | tokens
    for path, sections in effective(api, ctx):
        # A call limit is named first when there is one; a token limit also limits an LLM API.
        limit = always_applied(sections, calls) or (always_applied(sections, tokens) if tokens else None)
        if limit is not None:
            sources.add(_describe_limit(limit, api, ctx))
            continue
        uncovered.append(path)
        conditional += [f"{f.element.tag} at {f.scope}" for f in found_in(sections) if f.element.tag in wanted]
    api.note("rateLimits", sorted(sources))
    if conditional:
        # A limit inside <choose> without one in every branch and an <otherwise> lets some requests through.
        api.note("conditionalRateLimits", sorted(set(conditional)))
    if uncovered:
        only_sometimes = " (limits exist only under <choose> conditions that not every request meets)"
        return failed(
            f"no rate limit or quota on {len(uncovered)} path(s): {', '.join(uncovered[:5])}"
            + (only_sometimes if conditional else ""),
            expected=f"{', '.join(sorted(wanted))} on every path",
        )
    return passed(f"rate limited: {'; '.join(sorted(sources))}", expected="a rate limit on every path")


def _rate_limits_for(api: Resource, ctx: Context) -> tuple[set[str], set[str]]:
    """The call limits and token limits that limit this API's callers. rate-limit and quota count
    calls per subscription, so on an API that needs no subscription key only the -by-key forms
    limit anyone; a token limit (counted by key) limits an LLM API."""
    calls = set(RATE_LIMITS)
    if not api.get("properties.subscriptionRequired", default=True, expect=bool):
        calls -= SUBSCRIPTION_COUNTED
    backend = ai_backend(api, ctx)
    tokens = set(TOKEN_LIMITS) if backend is not None and is_llm(backend) else set()
    api.note("limitsCounted", sorted(calls | tokens))
    return calls, tokens


@check(
    id="apim.token-limit",
    title="APIs in front of Azure OpenAI limit and meter tokens",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[API],
    reads=[SERVICE, BACKEND, *POLICY_TYPES],
    rationale=(
        "Request counts say little about Azure OpenAI cost: one request can spend a hundred tokens or a hundred "
        "thousand. The guide asks API Management to track and limit token consumption: a token limit per caller "
        "and a token metric to watch it."
    ),
    remediation=Remediation(
        text="Add azure-openai-token-limit (or llm-token-limit) and azure-openai-emit-token-metric to the API's "
        "inbound policy.",
        az="az apim api policy create --resource-group {resourceGroup} --service-name <service> --api-id {name} "
        "--xml-file token-policy.xml",
        bicep="value: '<policies><inbound><base /><azure-openai-token-limit counter-key=\"@(context.Subscription.Id)"
        '" tokens-per-minute="50000" estimate-prompt-tokens="true" /><azure-openai-emit-token-metric>'
        '<dimension name="Subscription ID" /></azure-openai-emit-token-metric></inbound></policies>\'',
    ),
    refs=[
        "https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy",
        "https://learn.microsoft.com/azure/api-management/azure-openai-emit-token-metric-policy",
    ],
)
def token_limit(api: Resource, ctx: Context) -> Verdict:
    if not is_current(api):
        return not_applicable("a non-current API revision")
    backend = ai_backend(api, ctx)
    if backend is None or not is_llm(backend):
        return not_applicable("the API's backend is not an Azure OpenAI or AI Foundry model endpoint")
    api.note("aiBackend", backend)
    missing = []
    for path, sections in effective(api, ctx):
        if always_applied(sections, TOKEN_LIMITS) is None:
            missing.append(f"token limit on {path}")
        if always_applied(sections, TOKEN_METRICS) is None:
            missing.append(f"token metric on {path}")
    if missing:
        return failed(f"missing: {', '.join(missing[:6])}", expected="a token limit and a token metric on every path")
    return passed("token limit and token metric on every path", expected="a token limit and a token metric")


@check(
    id="apim.ai-caching",
    title="APIs in front of AI services cache responses",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=[API],
    reads=[SERVICE, BACKEND, *POLICY_TYPES],
    rationale="The guide caches common AI completions and TTS responses to cut latency and cost; "
    "cache-lookup or a semantic cache in API Management does that without code changes.",
    remediation=Remediation(
        text="Add azure-openai-semantic-cache-lookup/-store (or cache-lookup/cache-store) to the API.",
        az="az apim api policy create --resource-group {resourceGroup} --service-name <service> --api-id {name} "
        "--xml-file cache-policy.xml",
        bicep='value: \'<policies><inbound><base /><azure-openai-semantic-cache-lookup score-threshold="0.05" '
        'embeddings-backend-id="embeddings" /></inbound><outbound><azure-openai-semantic-cache-store '
        'duration="60" /><base /></outbound></policies>\'',
    ),
    refs=["https://learn.microsoft.com/azure/api-management/azure-openai-semantic-cache-lookup-policy"],
)
def ai_caching(api: Resource, ctx: Context) -> Verdict:
    if not is_current(api):
        return not_applicable("a non-current API revision")
    if ai_backend(api, ctx) is None:
        return not_applicable("the API's backend is not Azure OpenAI or AI Services")
    cached = {f.element.tag for _, sections in effective(api, ctx) for f in found_in(sections)} & CACHES
    if cached:
        return passed(f"caching with {', '.join(sorted(cached))}", expected="a cache lookup")
    return failed("no cache lookup on this AI API", expected="cache-lookup or a semantic cache lookup")


#: A backend without a circuit breaker has no circuitBreaker object at all.
CIRCUIT_BREAKER = "properties.circuitBreaker"


@check(
    id="apim.circuit-breaker",
    title="API Management backends for AI services break the circuit on failures",
    severity=Severity.MEDIUM,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[SERVICE],
    reads=[BACKEND, API, *POLICY_TYPES],
    rationale="When Azure OpenAI throttles or fails, a circuit breaker stops the gateway from piling retries onto "
    "it and lets calls degrade gracefully, as the guide's circuit-breaking row asks. Only the backends the AI "
    "APIs route to count, and in a pool each member needs its own breaker.",
    remediation=Remediation(
        text="Define each AI endpoint as a backend with circuitBreaker rules (also every member of a pool) and "
        "route the AI APIs to it with set-backend-service.",
        az="az rest --method put --url https://management.azure.com{id}/backends/aoai?api-version=2024-05-01 "
        "--body @backend-with-circuit-breaker.json",
        bicep="properties: {\n  url: aoaiEndpoint\n  protocol: 'http'\n  circuitBreaker: {\n    rules: [ {\n"
        "      name: 'aoai-breaker'\n      failureCondition: { count: 3, interval: 'PT1M', statusCodeRanges: [ "
        "{ min: 429, max: 429 }, { min: 500, max: 599 } ] }\n      tripDuration: 'PT1M'\n    } ]\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/backends#circuit-breaker"],
)
def circuit_breaker(service: Resource, ctx: Context) -> Verdict:
    backends = {b.name.lower(): b for b in ctx.children(service, BACKEND)}
    direct, used = [], {}
    for api in ctx.children(service, API):
        if not is_current(api) or ai_backend(api, ctx) is None:
            continue
        names = _backend_ids(api, ctx)
        if not names:
            direct.append(api.name)
        for name in names:
            used.setdefault(name, api.name)
    service.note("aiApisCallingUrlsDirectly", direct)
    service.note("backendsUsedByAiApis", sorted(used))
    if not direct and not used:
        return not_applicable("no API of this service fronts an AI service")
    unprotected = []
    for name, api_name in sorted(used.items()):
        backend = backends.get(name)
        if backend is None:
            raise DataError(f"the backend {name!r} used by API {api_name} is not in the snapshot")
        members = pool_members(backend, backends)
        for member in members or [backend]:
            rules = member.get(f"{CIRCUIT_BREAKER}.rules", default=[], expect=list, parent_optional=CIRCUIT_BREAKER)
            if not rules:
                unprotected.append(member.name if member is backend else f"{member.name} (in pool {backend.name})")
    problems = [f"API {a} calls its service URL directly" for a in direct]
    problems += [f"backend {b} has no circuit breaker" for b in unprotected]
    if problems:
        return failed("; ".join(problems), expected="a circuit breaker on every backend an AI API uses")
    return passed(f"circuit breakers on {', '.join(sorted(used))}", expected="a circuit breaker on every backend")


def _backend_ids(api: Resource, ctx: Context) -> list[str]:
    """Backend entities the API's policies route to with set-backend-service backend-id."""
    names = []
    for _, sections in effective(api, ctx):
        for item in found_in(sections):
            if item.element.tag == "set-backend-service" and item.element.get("backend-id"):
                names.append(item.element.get("backend-id", "").lower())
    return list(dict.fromkeys(names))


#: customProperties keys that must be "False" for old protocols to be off.
OLD_PROTOCOLS = [
    f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.{side}Protocols.{proto}"
    for side in ("", "Backend.")
    for proto in ("Tls10", "Tls11", "Ssl30")
]
#: Services created on or before this date keep TLS 1.0/1.1 and SSL 3.0 on unless set otherwise
#: (the customProperties description in the ARM specification); later services default to off.
LEGACY_PROTOCOL_CUTOFF = "2018-04-01"


def _legacy_defaults(service: Resource) -> bool:
    """Whether an unset protocol property means enabled: it does for services created on or
    before the cutoff. Without a creation date the default is unknown, so the check is not assessed."""
    created = service.get("properties.createdAtUtc", expect=str)
    try:
        return datetime.fromisoformat(created[:10]) <= datetime.fromisoformat(LEGACY_PROTOCOL_CUTOFF)
    except ValueError:
        raise DataError(f"properties.createdAtUtc {created!r} is not a date") from None


@check(
    id="apim.tls-protocols",
    title="API Management disables TLS 1.0, TLS 1.1 and SSL 3.0 on gateway and backend",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[SERVICE],
    rationale="Old protocols are broken and downgrade attacks reach the AI traffic the gateway carries.",
    remediation=Remediation(
        text="Set the gateway and backend Tls10, Tls11 and Ssl30 custom properties to False.",
        az="az apim update --name {name} --resource-group {resourceGroup} --set "
        "properties.customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10=False",
        bicep="customProperties: {\n  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': "
        "'False'\n  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False'\n  ...\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/api-management-howto-manage-protocols-ciphers"],
)
def tls_protocols(service: Resource, ctx: Context) -> Verdict:
    custom = service.get("properties.customProperties", default={}, expect=dict)
    lowered = {k.lower(): v for k, v in custom.items()}
    enabled = []
    for key in OLD_PROTOCOLS:
        value = lowered.get(key.lower())
        if value is None:
            on = _legacy_defaults(service)
        elif str(value).lower() in ("true", "false"):
            on = str(value).lower() == "true"
        else:
            raise DataError(f"customProperties {key} is {value!r}, neither True nor False")
        if on:
            enabled.append(key.split("Security.", 1)[1])
    service.note("oldProtocolsEnabled", enabled)
    if enabled:
        return failed(f"enabled: {', '.join(enabled)}", expected="all False")
    return passed("TLS 1.0, TLS 1.1 and SSL 3.0 are off on gateway and backend", expected="all False")


@check(
    id="apim.https-only",
    title="No API in API Management accepts plain HTTP",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[API],
    rationale="An API that lists the http or ws protocol accepts subscription keys and call data in clear text.",
    remediation=Remediation(
        text="Limit the API's protocols to https (and wss).",
        az="az apim api update --resource-group {resourceGroup} --service-name <service> --api-id {name} "
        "--protocols https",
        bicep="properties: {\n  protocols: [ 'https' ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/api-management-howto-manage-protocols-ciphers"],
)
def https_only(api: Resource, ctx: Context) -> Verdict:
    if not is_current(api):
        return not_applicable("a non-current API revision")
    protocols = api.get("properties.protocols", expect=list)
    plain = [p for p in protocols if str(p).lower() in ("http", "ws")]
    if plain:
        return failed(f"accepts {', '.join(plain)}", expected=["https"])
    return passed(f"protocols {', '.join(map(str, protocols))}", expected=["https"])


@check(
    id="apim.fronts-ai-services",
    title="AI services are reached through API Management",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[COGNITIVE],
    reads=[SERVICE, API, BACKEND],
    scope="subscription",
    rationale=(
        "The guide's demo lets containers call Azure OpenAI and Speech directly: no rate limit, no token "
        "accounting, no circuit breaker. In production API Management sits between the apps and the AI services: "
        "each AI account's endpoint must be the serviceUrl of an API or the url of a backend."
    ),
    remediation=Remediation(
        text="Deploy API Management, import the Azure OpenAI and Speech APIs, and point the apps at the gateway.",
        az="az apim create --name apim-{resourceGroup} --resource-group {resourceGroup} --sku-name StandardV2 "
        "--publisher-email ops@contoso.com --publisher-name Contoso",
        bicep="resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {\n  sku: { name: 'StandardV2', "
        "capacity: 1 }\n  identity: { type: 'SystemAssigned' }\n}",
    ),
    refs=[AI_GATEWAY_DOC],
)
def fronts_ai_services(subscription: Resource, ctx: Context) -> Verdict:
    accounts = [a for a in ctx.resources(COGNITIVE) if a.get("kind", default="", expect=str).lower() in AI_KINDS]
    subscription.note("aiAccounts", [a.name for a in accounts])
    if not accounts:
        return not_applicable("no Azure OpenAI, AI Services or Speech account in this subscription")
    services = ctx.resources(SERVICE)
    if not services:
        return failed(
            f"{len(accounts)} AI account(s) and no API Management: apps call them directly",
            expected="API Management in front of the AI services",
        )
    routed = set()  # host names that an API or a backend of any API Management service points at
    for service in services:
        for api in ctx.children(service, API):
            if is_current(api):
                routed.add(_host(api.get("properties.serviceUrl", default="", expect=str)))
        for backend in ctx.children(service, BACKEND):
            routed.add(_host(backend.get("properties.url", default="", expect=str)))
    routed.discard("")
    bypassed = [a.name for a in accounts if not (_account_hosts(a) & routed)]
    subscription.note("aiAccountsNotBehindApiManagement", bypassed)
    if bypassed:
        return failed(
            f"no API or backend in API Management points at {', '.join(bypassed)}",
            expected="every AI account reached through an API Management API or backend",
        )
    return passed(f"every AI account is behind API Management ({len(accounts)})", expected="API Management in front")


def _host(url: str) -> str:
    return (urlparse(url).hostname or "").lower()


def _account_hosts(account: Resource) -> set[str]:
    """The host names an AI account answers on: its endpoint(s) and its custom subdomain."""
    hosts = {_host(account.get("properties.endpoint", default="", expect=str))}
    for url in account.get("properties.endpoints", default={}, expect=dict).values():
        if isinstance(url, str):
            hosts.add(_host(url))
    subdomain = account.get("properties.customSubDomainName", default="", expect=str).lower()
    if subdomain:
        hosts |= {f"{subdomain}{suffix}" for suffix in AI_HOSTS}
    hosts.discard("")
    return hosts


@check(
    id="apim.backend-https",
    title="API Management reaches its backends over HTTPS",
    severity=Severity.HIGH,
    area=Area.GATEWAY,
    checklist="api-rate-limiting",
    types=[BACKEND],
    rationale="A backend whose url is http:// carries every request the gateway forwards, with the keys or "
    "tokens it adds, in clear text on the hop to the service.",
    remediation=Remediation(
        text="Point the backend at the service's https:// endpoint.",
        az="az apim backend update --resource-group {resourceGroup} --service-name <service> --backend-id {name} "
        "--url https://<host>/",
        bicep="properties: {\n  url: 'https://<host>/'\n  protocol: 'http'\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/backends"],
)
def backend_https(backend: Resource, ctx: Context) -> Verdict:
    if backend.get("properties.type", default="Single", expect=str).lower() == "pool":
        return not_applicable("a backend pool: each member backend is judged on its own url")
    url = backend.get("properties.url", expect=str)
    scheme = (urlparse(url).scheme or "").lower()
    if scheme == "https":
        return passed(f"url scheme {scheme}", expected="https")
    return failed(f"url scheme {scheme or 'none'}: the hop to the service is not encrypted", expected="https")


def _named_value_label(value: Resource) -> str:
    return value.get("properties.displayName", default=value.name, expect=str)


@check(
    id="apim.named-value-plaintext",
    title="API Management named values hold no plain-text secret",
    severity=Severity.CRITICAL,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[NAMED_VALUE],
    rationale="A named value with secret: false is returned in clear by every GET of the service's "
    "configuration, so a key or password kept there is readable by anyone with Reader on API Management.",
    remediation=Remediation(
        text="Store the value in Key Vault and make the named value a Key Vault reference.",
        az="az apim nv update --resource-group {resourceGroup} --service-name <service> --named-value-id {name} "
        "--secret true",
        bicep="properties: {\n  secret: true\n  keyVault: { secretIdentifier: kvSecretUri }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/api-management-howto-properties"],
)
def named_value_plaintext(value: Resource, ctx: Context) -> Verdict:
    from auditor.secrets import detect

    if value.get("properties.secret", default=False, expect=bool) or value.has("properties.keyVault"):
        return not_applicable("a secret or Key Vault named value: its value is not returned")
    text = value.get("properties.value", default="", expect=str, sensitive=True)
    match = detect(_named_value_label(value), text, value.subscription_id)
    if match:
        value.note("secretMatch", match.to_evidence())
        return failed(f"a secret-looking value ({match.pattern}) is stored with secret: false", expected="no secret")
    return passed("the value does not look like a secret", expected="no secret in a plain named value")


@check(
    id="apim.named-value-keyvault",
    title="API Management secret named values are Key Vault references",
    severity=Severity.HIGH,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[NAMED_VALUE],
    rationale="A secret named value without a Key Vault reference keeps its value in API Management: it "
    "cannot be rotated centrally and its reads are not audited. The guide puts all secrets in Key Vault.",
    remediation=Remediation(
        text="Recreate the named value as a Key Vault reference read with the service's managed identity.",
        az="az apim nv create --resource-group {resourceGroup} --service-name <service> --named-value-id {name} "
        "--display-name {name} --secret true --value-from-key-vault <secret-uri>",
        bicep="properties: {\n  secret: true\n  keyVault: { secretIdentifier: kvSecretUri }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/api-management/api-management-howto-properties#key-vault-secrets"],
)
def named_value_keyvault(value: Resource, ctx: Context) -> Verdict:
    if value.has("properties.keyVault"):
        secret_id = value.get("properties.keyVault.secretIdentifier", default="", expect=str)
        return passed(f"Key Vault reference {secret_id or '(identifier not shown)'}", expected="a Key Vault reference")
    if not value.get("properties.secret", default=False, expect=bool):
        return not_applicable("not a secret (a plain value is judged by apim.named-value-plaintext)")
    return failed("a secret kept in API Management, not in Key Vault", expected="a Key Vault reference")
