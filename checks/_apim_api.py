"""API Management APIs as the snapshot holds them: the service, policy chains and AI backends.

Shared by the gateway checks (checks/apim.py) and the Azure OpenAI checks (checks/cognitive.py). The
policy XML itself (parsing, fragments, `<base/>` inheritance) is checks/_apim_policy.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlparse

from auditor.checks._apim_policy import Scope, Section, effective_sections, found_in, policy_text

from auditor.api import DataError, Resource
from auditor.inventory import Context

SERVICE = "Microsoft.ApiManagement/service"
API = "Microsoft.ApiManagement/service/apis"
OPERATION = "Microsoft.ApiManagement/service/apis/operations"
GLOBAL_POLICY = "Microsoft.ApiManagement/service/policies"
API_POLICY = "Microsoft.ApiManagement/service/apis/policies"
OPERATION_POLICY = "Microsoft.ApiManagement/service/apis/operations/policies"
PRODUCT = "Microsoft.ApiManagement/service/products"
PRODUCT_POLICY = "Microsoft.ApiManagement/service/products/policies"
PRODUCT_API = "Microsoft.ApiManagement/service/products/apis"
NAMED_VALUE = "Microsoft.ApiManagement/service/namedValues"
FRAGMENT = "Microsoft.ApiManagement/service/policyFragments"
BACKEND = "Microsoft.ApiManagement/service/backends"
COGNITIVE = "Microsoft.CognitiveServices/accounts"
POLICY_TYPES = [
    GLOBAL_POLICY,
    API_POLICY,
    OPERATION,
    OPERATION_POLICY,
    PRODUCT,
    PRODUCT_POLICY,
    PRODUCT_API,
    NAMED_VALUE,
    FRAGMENT,
]

TOKEN_LIMITS = {"azure-openai-token-limit", "llm-token-limit"}
AI_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
# The name starts and ends with a non-space, so no two quantifiers compete for the same spaces:
# a long "{{ ..." that never closes costs linear time (the lazy form this replaces was cubic).
NAMED_VALUE_REF = re.compile(r"^\{\{\s*([^\s}](?:[^}]*[^\s}])?)\s*\}\}$")


def xml_of(policy: Resource) -> str:
    # Policies can carry inline keys (set-header api-key): the XML stays out of the evidence.
    return policy_text(
        policy.get("properties.value", default=None, sensitive=True),
        policy.get("properties.format", default="xml"),
        policy.id,
    )


def policy_xml(ctx: Context, parent: Resource, rtype: str) -> str | None:
    for policy in ctx.children(parent, rtype):
        if policy.name.lower() == "policy":
            return xml_of(policy)
    return None


def service_of(api: Resource, ctx: Context) -> Resource:
    service_id = api.id.rsplit("/apis/", 1)[0]
    service = ctx.get(service_id)
    if service is None:
        raise DataError(f"the API Management service {service_id} is not in the snapshot")
    return service


def fragment_lookup(service: Resource, ctx: Context) -> Callable[[str], str | None]:
    fragments = {f.name.lower(): f for f in ctx.children(service, FRAGMENT)}

    def lookup(fragment_id: str) -> str | None:
        fragment = fragments.get(fragment_id.lower())
        return xml_of(fragment) if fragment else None

    return lookup


def chains(api: Resource, ctx: Context) -> list[tuple[str, Resource | None, list[Scope]]]:
    """One inheritance chain per (operation, product) path a request to the API can take, with the
    operation resource (None when the API has no operations in the snapshot)."""
    service = service_of(api, ctx)
    global_scope = Scope("global", policy_xml(ctx, service, GLOBAL_POLICY))
    api_scope = Scope(f"API {api.name}", policy_xml(ctx, api, API_POLICY))
    products = []
    for product in ctx.children(service, PRODUCT):
        linked = {link.name.lower() for link in ctx.children(product, PRODUCT_API)}
        if api.name.lower() in linked:
            products.append(Scope(f"product {product.name}", policy_xml(ctx, product, PRODUCT_POLICY)))
    # A request can reach the API without a product when it needs no subscription key.
    if not products or not api.get("properties.subscriptionRequired", default=True, expect=bool):
        products.append(Scope("no product", None))
    operations = ctx.children(api, OPERATION)
    op_scopes: list[tuple[Resource | None, Scope]] = [
        (op, Scope(f"operation {op.name}", policy_xml(ctx, op, OPERATION_POLICY))) for op in operations
    ] or [(None, Scope("all operations", None))]
    return [
        (f"{scope.label} via {product.label}", op, [scope, api_scope, product, global_scope])
        for op, scope in op_scopes
        for product in products
    ]


def request_paths(api: Resource, ctx: Context) -> list[tuple[str, Resource | None, list[Section]]]:
    """Per request path: its label, its operation (None without operations) and the inbound sections."""
    lookup = fragment_lookup(service_of(api, ctx), ctx)
    return [(path, op, effective_sections(chain, lookup)) for path, op, chain in chains(api, ctx)]


def effective(api: Resource, ctx: Context) -> list[tuple[str, list[Section]]]:
    """Per request path, the inbound sections that apply to it."""
    return [(path, sections) for path, _, sections in request_paths(api, ctx)]


def is_current(api: Resource) -> bool:
    # Without isCurrent (the revision in ApiManagementCreateApiRevisionFromExistingApi.json has none),
    # a name of the form api;rev=N marks a revision; the current one is listed under the API's own name.
    return api.get("properties.isCurrent", default=";rev=" not in api.name, expect=bool)


def ai_backend(api: Resource, ctx: Context) -> str | None:
    """The AI endpoint behind an API: its serviceUrl, or a backend entity named by set-backend-service."""
    url = api.get("properties.serviceUrl", default="", expect=str)
    if is_ai(url):
        return url
    service = service_of(api, ctx)
    backends = {b.name.lower(): b for b in ctx.children(service, BACKEND)}
    for _, sections in effective(api, ctx):
        for item in found_in(sections):
            if item.element.tag == "set-backend-service" and item.element.get("backend-id"):
                backend = backends.get(item.element.get("backend-id", "").lower())
                if backend is None:
                    continue
                found_url = backend_url(backend, backends)
                if found_url:
                    return found_url
    return None


def backend_url(backend: Resource, backends: dict[str, Resource]) -> str | None:
    """The AI endpoint of a backend entity, looking through a pool to its members."""
    url = backend.get("properties.url", default="", expect=str)
    if is_ai(url):
        return url
    for member in backend.get("properties.pool.services", default=[], expect=list, parent_optional="properties.pool"):
        member_name = (
            str(member.get("id", "")).rstrip("/").rsplit("/", 1)[-1].lower() if isinstance(member, dict) else ""
        )
        if member_name in backends and member_name != backend.name.lower():
            found = backend_url(backends[member_name], {})
            if found:
                return found
    return None


def is_ai(url: str) -> bool:
    return (urlparse(url).hostname or "").lower().endswith(AI_HOSTS)


def is_llm(url: str) -> bool:
    """Azure OpenAI and AI Foundry model endpoints, as opposed to Speech or other AI services."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return host.endswith((".openai.azure.com", ".services.ai.azure.com")) or "/openai" in parsed.path.lower()


def pool_members(backend: Resource, backends: dict[str, Resource]) -> list[Resource]:
    """The member backends of a pool (an empty list for a single backend)."""
    if backend.get("properties.type", default="Single", expect=str).lower() != "pool":
        return []
    members = []
    for entry in backend.get("properties.pool.services", default=[], expect=list):
        member_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(member_id, str):
            raise DataError(f"a member of pool {backend.name} has no id")
        member = backends.get(member_id.rstrip("/").rsplit("/", 1)[-1].lower())
        if member is None:
            raise DataError(f"the pool member {member_id} of {backend.name} is not in the snapshot")
        members.append(member)
    return members


def backend_urls(backend: Resource, backends: dict[str, Resource]) -> list[str]:
    """The urls a backend entity sends requests to: its own, or one per member of a pool."""
    return [member.get("properties.url", expect=str) for member in pool_members(backend, backends) or [backend]]
