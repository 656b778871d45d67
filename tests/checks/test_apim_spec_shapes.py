"""API Management checks over resources in the shapes of the published example responses in
specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/examples/
of Azure/azure-rest-api-specs (our own names and values):

- ApiManagementServiceGetService.json: a Premium service, every old protocol "false" (lower case),
  publicNetworkAccess Enabled, virtualNetworkType None, a Pending inline private endpoint
  connection, identity "SystemAssigned, UserAssigned".
- ApiManagementServiceGetServiceHavingMsi.json: a service created before April 2018 in an External
  VNet, Tls10/Tls11 "True", no publicNetworkAccess and no privateEndpointConnections at all.
- ApiManagementGetApiContract.json and ApiManagementListApis.json: an API with protocols, isCurrent
  and apiRevision, and no subscriptionRequired.
- ApiManagementCreateApiRevisionFromExistingApi.json: a revision named api;rev=N without isCurrent.
- ApiManagementGetApiOperation.json: an operation under the API.
- ApiManagementGetProduct.json and ApiManagementListProductApis.json: a product and its API link
  (products/{product}/apis/{api}, the link named after the API).
- ApiManagementGetNamedValue.json: a named value whose displayName differs from its name.
- ApiManagementGetPolicy.json, ApiManagementGetApiPolicy.json, ApiManagementGetProductPolicy.json:
  policies read without ?format (no format property; a leading XML comment; CRLF; a limit before
  <base />), and ApiManagementGetPolicyFormat.json: the ?format=rawxml answer that golive collects
  (format "rawxml", C# expressions with ">>" left unescaped).
- ApiManagementGetBackend.json: a Single (Service Fabric) backend without a circuit breaker, and
  ApiManagementCreateBackendWithPriorityBasedLoadBalancer.json: a Pool backend ("type": "Pool",
  url, protocol and title null, members by full ARM id). No 2024-05-01 example carries a circuit
  breaker, so that backend follows BackendCircuitBreaker / CircuitBreakerRule in the same
  api-version's definitions.json.
"""

from __future__ import annotations

import json

import pytest

from tests.checks.helpers import arm_id, run_check, verdicts

SERVICE = "Microsoft.ApiManagement/service"
SERVICE_ID = arm_id(SERVICE, "apim-voice")
OLD_PROTOCOLS = [
    f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.{side}Protocols.{proto}"
    for side in ("", "Backend.")
    for proto in ("Tls10", "Tls11", "Ssl30")
]
AOAI_URL = "https://aoai-voice.openai.azure.com/openai"
SPEECH_URL = "https://speech-voice.cognitiveservices.azure.com/"


def child(kind: str, *names: str) -> str:
    path = "/".join(f"{k}/{n}" for k, n in zip(kind.split("/"), names, strict=True))
    return f"{SERVICE_ID}/{path}"


# -- the service -------------------------------------------------------------------------------


def get_service() -> dict:
    """ApiManagementServiceGetService.json."""
    proxy_host = "apim-voice.azure-api.net"
    return {
        "id": SERVICE_ID,
        "name": "apim-voice",
        "type": SERVICE,
        "tags": {"workload": "voice"},
        "location": "East US 2",
        "etag": "AAAAAAAQm3E=",
        "properties": {
            "publisherEmail": "ops@voice.example",
            "publisherName": "Voice Ops",
            "notificationSenderEmail": "apimgmt-noreply@mail.windowsazure.com",
            "provisioningState": "Succeeded",
            "targetProvisioningState": "",
            "createdAtUtc": "2024-03-11T08:15:42.1234567Z",
            "gatewayUrl": f"https://{proxy_host}",
            "gatewayRegionalUrl": "https://apim-voice-eastus2-01.regional.azure-api.net",
            "portalUrl": "https://apim-voice.portal.azure-api.net",
            "developerPortalUrl": "https://apim-voice.developer.azure-api.net",
            "managementApiUrl": "https://apim-voice.management.azure-api.net",
            "scmUrl": "https://apim-voice.scm.azure-api.net",
            "hostnameConfigurations": [
                {
                    "type": "Proxy",
                    "hostName": proxy_host,
                    "negotiateClientCertificate": False,
                    "defaultSslBinding": False,
                    "certificateSource": "BuiltIn",
                }
            ],
            "publicIPAddresses": ["20.10.30.40"],
            "additionalLocations": [],
            "customProperties": {
                "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168": "false",
                **{key: "false" for key in OLD_PROTOCOLS},
                "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "false",
            },
            "virtualNetworkType": "None",
            "certificates": [],
            "disableGateway": False,
            "apiVersionConstraint": {"minApiVersion": "2021-08-01"},
            "publicNetworkAccess": "Enabled",
            "privateEndpointConnections": [
                {
                    "id": child("privateEndpointConnections", "pe-apim-voice"),
                    "type": "Microsoft.ApiManagement/service/privateEndpointConnections",
                    "name": "pe-apim-voice",
                    "properties": {
                        "provisioningState": "Pending",
                        "privateEndpoint": {"id": arm_id("Microsoft.Network/privateEndpoints", "pe-apim-voice")},
                        "privateLinkServiceConnectionState": {
                            "status": "Pending",
                            "description": "gateway for the voice agents",
                            "actionsRequired": "None",
                        },
                        "groupIds": ["Gateway"],
                    },
                }
            ],
            "platformVersion": "stv2",
        },
        "sku": {"name": "Premium", "capacity": 1},
        "identity": {
            "type": "SystemAssigned, UserAssigned",
            "principalId": "5c0e7d2a-4b1f-4e8a-9d3c-7a6b5e4f3d21",
            "tenantId": "9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4",
            "userAssignedIdentities": {
                arm_id("Microsoft.ManagedIdentity/userAssignedIdentities", "id-apim-voice"): {
                    "principalId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "clientId": "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
                }
            },
        },
        "systemData": {
            "createdBy": "ops@voice.example",
            "createdByType": "User",
            "createdAt": "2024-03-11T08:15:41.9876543Z",
            "lastModifiedBy": "ops@voice.example",
            "lastModifiedByType": "User",
            "lastModifiedAt": "2024-06-02T17:03:11.5550001Z",
        },
    }


def get_service_having_msi() -> dict:
    """ApiManagementServiceGetServiceHavingMsi.json: old service, External VNet, old protocols on."""
    service = get_service()
    props = service["properties"]
    for key in ("publicNetworkAccess", "privateEndpointConnections", "apiVersionConstraint", "platformVersion"):
        del props[key]
    props["createdAtUtc"] = "2016-04-12T00:20:15.6018952Z"
    props["virtualNetworkConfiguration"] = {
        "subnetResourceId": arm_id("Microsoft.Network/virtualNetworks", "vnet-voice", "snet-apim")
    }
    props["virtualNetworkType"] = "External"
    props["customProperties"] = {
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10": "True",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11": "True",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30": "False",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168": "True",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10": "True",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11": "True",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30": "False",
        "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "False",
    }
    del service["systemData"]
    return service


def status(check_id: str, resources: list[dict], name: str = "apim-voice") -> str:
    return verdicts(check_id, resources)[name]


def finding(check_id: str, resources: list[dict], name: str):
    return next(f for f in run_check(check_id, resources) if f.resource_name == name)


def observed(found, path: str):
    return next(o["observed"] for o in found.evidence["observations"] if o["path"] == path)


# -- apim.tls-protocols ------------------------------------------------------------------------


def test_tls_get_service_lower_case_false_passes_and_one_true_fails():
    service = get_service()
    assert status("apim.tls-protocols", [service]) == "pass"
    service["properties"]["customProperties"][OLD_PROTOCOLS[4]] = "true"  # Backend.Protocols.Tls11
    found = finding("apim.tls-protocols", [service], "apim-voice")
    assert found.status.value == "fail"
    assert observed(found, "oldProtocolsEnabled") == ["Backend.Protocols.Tls11"]


def test_tls_having_msi_capitalised_true_fails_and_all_false_passes():
    service = get_service_having_msi()
    found = finding("apim.tls-protocols", [service], "apim-voice")
    assert found.status.value == "fail"
    assert observed(found, "oldProtocolsEnabled") == [
        "Protocols.Tls10",
        "Protocols.Tls11",
        "Backend.Protocols.Tls10",
        "Backend.Protocols.Tls11",
    ]
    custom = service["properties"]["customProperties"]
    custom.update({key: "False" for key in OLD_PROTOCOLS})
    assert status("apim.tls-protocols", [service]) == "pass"
    # Created in 2016: a key left out means "on", whatever the others say.
    del custom[OLD_PROTOCOLS[2]]
    assert status("apim.tls-protocols", [service]) == "fail"


# -- identity.apim.managed-identity ------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (None, "pass"),  # as published: "SystemAssigned, UserAssigned"
        ({"type": "UserAssigned", "userAssignedIdentities": {}}, "pass"),
        ({"type": "None"}, "fail"),
        ("drop", "fail"),
    ],
)
def test_managed_identity(identity, expected):
    service = get_service()
    if identity == "drop":
        del service["identity"]
    elif identity is not None:
        service["identity"] = identity
    assert status("identity.apim.managed-identity", [service]) == expected


# -- network.apim.public-access / private-endpoint ----------------------------------------------


def test_public_access_get_service_enabled_fails_and_disabled_passes():
    service = get_service()
    assert status("network.apim.public-access", [service]) == "fail"
    service["properties"]["publicNetworkAccess"] = "Disabled"
    assert status("network.apim.public-access", [service]) == "pass"


def test_public_access_external_vnet_without_the_property_fails_and_internal_passes():
    service = get_service_having_msi()
    assert status("network.apim.public-access", [service]) == "fail"
    service["properties"]["virtualNetworkType"] = "Internal"
    assert status("network.apim.public-access", [service]) == "pass"


def test_private_endpoint_pending_connection_fails_and_approved_passes():
    service = get_service()
    assert status("network.apim.private-endpoint", [service]) == "fail"
    connection = service["properties"]["privateEndpointConnections"][0]["properties"]
    connection["privateLinkServiceConnectionState"]["status"] = "Approved"
    connection["provisioningState"] = "Succeeded"
    assert status("network.apim.private-endpoint", [service]) == "pass"


def test_private_endpoint_having_msi_shape():
    service = get_service_having_msi()  # External VNet, no connections
    assert status("network.apim.private-endpoint", [service]) == "fail"
    service["properties"]["virtualNetworkType"] = "Internal"
    assert status("network.apim.private-endpoint", [service]) == "pass"


# -- apim.circuit-breaker ----------------------------------------------------------------------


def service_fabric_backend() -> dict:
    """ApiManagementGetBackend.json: a Single backend, no circuit breaker, no `type` property."""
    return {
        "id": child("backends", "sf-voice"),
        "type": "Microsoft.ApiManagement/service/backends",
        "name": "sf-voice",
        "properties": {
            "description": "voice routing on Service Fabric",
            "url": "fabric:/voice/router",
            "protocol": "http",
            "properties": {
                "serviceFabricCluster": {
                    "managementEndpoints": ["https://sf-voice.eastus2.cloudapp.azure.com:19080"],
                    "clientCertificateId": child("certificates", "sf-client"),
                    "serverX509Names": [{"name": "sf-voice-server", "issuerCertificateThumbprint": "A1B2C3D4E5F6"}],
                    "maxPartitionResolutionRetries": 3,
                }
            },
        },
    }


def single_backend(name: str, url: str, rules: list | None = None) -> dict:
    """A Single backend; with `rules`, the BackendCircuitBreaker shape of definitions.json."""
    props: dict = {"description": f"{name} endpoint", "url": url, "protocol": "http", "type": "Single"}
    if rules is not None:
        props["circuitBreaker"] = {"rules": rules}
    return {
        "id": child("backends", name),
        "type": "Microsoft.ApiManagement/service/backends",
        "name": name,
        "properties": props,
    }


BREAKER_RULE = {
    "name": "aoai-throttled",
    "failureCondition": {
        "count": 3,
        "interval": "PT1M",
        "statusCodeRanges": [{"min": 429, "max": 429}, {"min": 500, "max": 599}],
        "errorReasons": ["Server errors"],
    },
    "tripDuration": "PT1M",
    "acceptRetryAfter": True,
}


def pool_backend(members: list[str]) -> dict:
    """ApiManagementCreateBackendWithPriorityBasedLoadBalancer.json (the 200 body)."""
    return {
        "id": child("backends", "aoai-pool"),
        "type": "Microsoft.ApiManagement/service/backends",
        "name": "aoai-pool",
        "properties": {
            "title": None,
            "type": "Pool",
            "url": None,
            "protocol": None,
            "pool": {
                "services": [
                    {"id": child("backends", member), "priority": 1 if i == 0 else 2}
                    for i, member in enumerate(members)
                ]
            },
        },
    }


ROUTE_TO_POOL = '\t\t<set-backend-service backend-id="aoai-pool" />\r\n'
ROUTE_TO_SINGLE = '\t\t<set-backend-service backend-id="aoai-eastus2" />\r\n'


def test_circuit_breaker_looks_at_the_backends_the_ai_apis_use():
    # Issue 9: an unused backend with a breaker (the Service Fabric one of ApiManagementGetBackend.json
    # has none, and is unused) proves nothing; the backends set-backend-service routes the AI API to count.
    published = api("openai", "https://voice-gateway.example.com/openai")
    with_rule = single_backend("aoai-eastus2", AOAI_URL, [BREAKER_RULE])
    routed = [api_policy("openai", raw_policy(ROUTE_TO_SINGLE), "rawxml")]
    resources = gateway(published, *routed, with_rule, service_fabric_backend())
    assert status("apim.circuit-breaker", resources) == "pass"
    empty = single_backend("aoai-eastus2", AOAI_URL, [])
    found = finding("apim.circuit-breaker", gateway(published, *routed, empty), "apim-voice")
    assert found.status.value == "fail" and "aoai-eastus2 has no circuit breaker" in found.evidence["message"]


def test_circuit_breaker_each_pool_member_needs_its_own():
    # ApiManagementCreateBackendWithPriorityBasedLoadBalancer.json: a pool is not a breaker.
    published = api("openai", "https://voice-gateway.example.com/openai")
    routed = [api_policy("openai", raw_policy(ROUTE_TO_POOL), "rawxml")]
    members = [
        single_backend("aoai-eastus2", AOAI_URL, [BREAKER_RULE]),
        single_backend("aoai-swedencentral", "https://aoai-swedencentral.openai.azure.com/openai"),
    ]
    pool = pool_backend(["aoai-eastus2", "aoai-swedencentral"])
    found = finding("apim.circuit-breaker", gateway(published, *routed, pool, *members), "apim-voice")
    assert found.status.value == "fail" and "aoai-swedencentral (in pool aoai-pool)" in found.evidence["message"]
    members[1]["properties"]["circuitBreaker"] = {"rules": [BREAKER_RULE]}
    assert status("apim.circuit-breaker", gateway(published, *routed, pool, *members)) == "pass"


def test_circuit_breaker_ai_api_calling_its_url_directly_fails_and_no_ai_api_is_not_applicable():
    found = finding("apim.circuit-breaker", gateway(api("openai", AOAI_URL)), "apim-voice")
    assert found.status.value == "fail" and "calls its service URL directly" in found.evidence["message"]
    orders = api("orders", "https://orders.example.com/api")
    assert status("apim.circuit-breaker", gateway(orders)) == "not_applicable"
    # a route to a backend the snapshot does not hold: not assessed
    routed = [api_policy("openai", raw_policy(ROUTE_TO_SINGLE), "rawxml")]
    assert status("apim.circuit-breaker", gateway(api("openai", AOAI_URL), *routed)) == "not_assessed"


# -- APIs, products, named values and policies -------------------------------------------------


def api(name: str, service_url: str, **changes) -> dict:
    """ApiManagementGetApiContract.json / ApiManagementListApis.json."""
    props = {
        "displayName": name.title(),
        "apiRevision": "1",
        "serviceUrl": service_url,
        "path": name,
        "protocols": ["https"],
        "authenticationSettings": {"oAuth2AuthenticationSettings": [], "openidAuthenticationSettings": []},
        "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
        "type": "http",
        "isCurrent": True,
        "isOnline": True,
    }
    props.update(changes)
    api_id = child("apis", name) if props["isCurrent"] else child("apis", f"{name};rev={props['apiRevision']}")
    return {
        "id": api_id,
        "type": "Microsoft.ApiManagement/service/apis",
        "name": api_id.rsplit("/", 1)[-1],
        "properties": props,
    }


def operation(api_name: str, name: str) -> dict:
    """ApiManagementGetApiOperation.json."""
    return {
        "id": child("apis/operations", api_name, name),
        "type": "Microsoft.ApiManagement/service/apis/operations",
        "name": name,
        "properties": {
            "displayName": name,
            "method": "POST",
            "urlTemplate": "/deployments/{deployment-id}/chat/completions",
            "templateParameters": [{"name": "deployment-id", "type": "string", "required": True, "values": []}],
            "request": {"queryParameters": [], "headers": [], "representations": []},
            "responses": [{"statusCode": 200, "representations": [{"contentType": "application/json"}], "headers": []}],
        },
    }


def product() -> dict:
    """ApiManagementGetProduct.json."""
    return {
        "id": child("products", "voice-agents"),
        "type": "Microsoft.ApiManagement/service/products",
        "name": "voice-agents",
        "properties": {
            "displayName": "Voice agents",
            "description": "Subscriptions for the voice agent containers.",
            "subscriptionRequired": True,
            "approvalRequired": True,
            "subscriptionsLimit": 1,
            "state": "published",
        },
    }


def product_link(linked: dict) -> dict:
    """One entry of ApiManagementListProductApis.json: named after the API, API properties inline."""
    return {
        "id": child("products/apis", "voice-agents", linked["name"]),
        "type": "Microsoft.ApiManagement/service/products/apis",
        "name": linked["name"],
        "properties": {
            key: linked["properties"][key]
            for key in ("displayName", "apiRevision", "serviceUrl", "path", "protocols", "isCurrent")
        },
    }


def named_value() -> dict:
    """ApiManagementGetNamedValue.json: referenced as {{displayName}}, not by its name."""
    return {
        "id": child("namedValues", "nv-voice-calls"),
        "type": "Microsoft.ApiManagement/service/namedValues",
        "name": "nv-voice-calls",
        "properties": {"displayName": "voice-calls-per-minute", "value": "120", "tags": ["voice"], "secret": False},
    }


# No ?format: the value comes back XML-escaped and without a format property.
TEMPLATE_COMMENT = "<!--\r\n    Managed by the voice platform team.\r\n    - Keep <base /> in every section.\r\n-->\r\n"
GLOBAL_POLICY = (  # ApiManagementGetPolicy.json
    TEMPLATE_COMMENT + "<policies>\r\n  <inbound />\r\n  <backend>\r\n    <forward-request />\r\n  </backend>\r\n"
    "  <outbound />\r\n</policies>"
)
API_QUOTA_POLICY = (  # ApiManagementGetApiPolicy.json: a limit before <base />, an escaped expression
    TEMPLATE_COMMENT + '<policies>\r\n  <inbound>\r\n    <quota-by-key calls="5000" renewal-period="3600" '
    'counter-key="@(context.Subscription.Id)" />\r\n    <base />\r\n  </inbound>\r\n  <backend>\r\n    <base />\r\n'
    '  </backend>\r\n  <outbound>\r\n    <log-to-eventhub logger-id="voice-hub" '
    'partition-key="@(context.Subscription.Id)">'
    '\r\n@{\r\n\treturn string.Join(",", context.Response.Headers.Select(h =&gt; h.Key));\r\n}\r\n'
    "    </log-to-eventhub>\r\n    <base />\r\n  </outbound>\r\n</policies>"
)
PRODUCT_BASE_POLICY = (  # ApiManagementGetProductPolicy.json
    "<policies>\r\n  <inbound>\r\n    <base />\r\n  </inbound>\r\n  <backend>\r\n    <base />\r\n  </backend>\r\n"
    "  <outbound>\r\n    <base />\r\n  </outbound>\r\n  <on-error>\r\n    <base />\r\n  </on-error>\r\n</policies>"
)


def raw_policy(inbound: str) -> str:
    """ApiManagementGetPolicyFormat.json: rawxml, tabs and CRLF, an unescaped multi-line expression."""
    return (
        TEMPLATE_COMMENT + "<policies>\r\n\t<inbound>\r\n\t\t<base />\r\n"
        '\t\t<set-header name="x-request-stamp" exists-action="skip">\r\n\t\t\t<value>@{\n'
        "                long ticks = DateTime.UtcNow.Ticks;\n"
        "                return ((ticks >> 20) & 0xFFFF).ToString();\n"
        "            }\n            </value>\r\n\t\t</set-header>\r\n"
        f"{inbound}\t</inbound>\r\n\t<backend>\r\n\t\t<forward-request />\r\n\t</backend>\r\n\t<outbound />\r\n"
        "\t<on-error />\r\n</policies>"
    )


def policy(parent_type: str, parent_names: tuple[str, ...], value: str, fmt: str | None = None) -> dict:
    rtype = f"{parent_type}/policies"
    kinds = "/".join(rtype.split("/")[2:])
    props = {"value": value} if fmt is None else {"format": fmt, "value": value}
    return {"id": child(kinds, *parent_names, "policy"), "type": rtype, "name": "policy", "properties": props}


def global_policy(value: str = GLOBAL_POLICY, fmt: str | None = None) -> dict:
    return {
        "id": child("policies", "policy"),
        "type": f"{SERVICE}/policies",
        "name": "policy",
        "properties": {"value": value} if fmt is None else {"format": fmt, "value": value},
    }


def api_policy(api_name: str, value: str, fmt: str | None = None) -> dict:
    return policy(f"{SERVICE}/apis", (api_name,), value, fmt)


def product_policy(value: str, fmt: str | None = None) -> dict:
    return policy(f"{SERVICE}/products", ("voice-agents",), value, fmt)


def gateway(api_resource: dict, *extra: dict) -> list[dict]:
    """The service, one API with one operation, linked into the voice-agents product."""
    return [
        get_service(),
        api_resource,
        operation(api_resource["name"], "chat-completions"),
        product(),
        product_link(api_resource),
        named_value(),
        *extra,
    ]


# -- apim.https-only ---------------------------------------------------------------------------


def test_https_only_published_protocols_pass_and_http_fails():
    published = api("openai", AOAI_URL)
    assert status("apim.https-only", gateway(published), "openai") == "pass"
    plain = api("openai", AOAI_URL, protocols=["http", "https"])
    found = finding("apim.https-only", gateway(plain), "openai")
    assert found.status.value == "fail" and "http" in found.evidence["message"]


def test_https_only_non_current_revision_is_not_applicable():
    revision = api("openai", AOAI_URL, isCurrent=False, apiRevision="2", protocols=["http"])
    assert revision["name"] == "openai;rev=2"
    assert verdicts("apim.https-only", [get_service(), revision]) == {"openai;rev=2": "not_applicable"}


def created_revision(name: str, service_url: str, **changes) -> dict:
    """ApiManagementCreateApiRevisionFromExistingApi.json: a revision named api;rev=N, with
    subscriptionRequired and apiRevisionDescription but no isCurrent."""
    revision_id = child("apis", f"{name};rev=3")
    props = {
        "displayName": name.title(),
        "apiRevision": "3",
        "subscriptionRequired": True,
        "serviceUrl": service_url,
        "path": name,
        "protocols": ["http", "https"],
        "subscriptionKeyParameterNames": {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"},
        "apiRevisionDescription": "next prompt format",
        "provisioningState": "InProgress",
    }
    props.update(changes)
    return {
        "id": revision_id,
        "type": "Microsoft.ApiManagement/service/apis",
        "name": f"{name};rev=3",
        "properties": props,
    }


@pytest.mark.parametrize("check_id", ["apim.https-only", "apim.rate-limit", "apim.token-limit", "apim.ai-caching"])
def test_revision_without_is_current_is_not_applicable(check_id):
    # Fails without the fix in checks/_apim_api.py `is_current`: an absent isCurrent counted as current, so
    # the revision (not linked into the product under its own name) failed on its plain-HTTP protocol,
    # on the "no product" path and on missing token limits and caches.
    limit = '\t\t<rate-limit-by-key calls="100" renewal-period="60" counter-key="@(context.Subscription.Id)" />\r\n'
    resources = gateway(api("openai", AOAI_URL), product_policy(raw_policy(limit), "rawxml"))
    resources.append(created_revision("openai", AOAI_URL))
    assert verdicts(check_id, resources)["openai;rev=3"] == "not_applicable"
    # A stated isCurrent wins over the name.
    resources[-1] = created_revision("openai", AOAI_URL, isCurrent=True)
    assert verdicts(check_id, resources)["openai;rev=3"] == "fail"


# -- apim.rate-limit ---------------------------------------------------------------------------


def test_rate_limit_api_quota_before_base_passes_and_without_it_fails():
    published = api("openai", AOAI_URL)
    policies = [global_policy(), api_policy("openai", API_QUOTA_POLICY), product_policy(PRODUCT_BASE_POLICY)]
    found = finding("apim.rate-limit", gateway(published, *policies), "openai")
    assert found.status.value == "pass"
    assert observed(found, "rateLimits") == ["quota-by-key calls=5000 per 3600s at API openai"]
    without = API_QUOTA_POLICY.replace("quota-by-key", "set-variable")
    policies[1] = api_policy("openai", without)
    found = finding("apim.rate-limit", gateway(published, *policies), "openai")
    assert found.status.value == "fail"
    assert "operation chat-completions via product voice-agents" in found.evidence["message"]


def test_rate_limit_raw_xml_product_limit_with_named_value():
    published = api("openai", AOAI_URL)
    limit = (
        '\t\t<rate-limit-by-key calls="{{voice-calls-per-minute}}" renewal-period="60" '
        'counter-key="@(context.Subscription.Id)" />\r\n'
    )
    policies = [global_policy(raw_policy(""), "rawxml"), product_policy(raw_policy(limit), "rawxml")]
    found = finding("apim.rate-limit", gateway(published, *policies), "openai")
    assert found.status.value == "pass"
    assert "{{voice-calls-per-minute}} = 120" in json.dumps(found.evidence)
    policies[1] = product_policy(PRODUCT_BASE_POLICY)
    assert status("apim.rate-limit", gateway(published, *policies), "openai") == "fail"


def test_rate_limit_no_policies_at_all_fails_and_revision_is_not_applicable():
    # Every policy type is collected and none exists: no limit anywhere.
    assert status("apim.rate-limit", gateway(api("openai", AOAI_URL)), "openai") == "fail"
    revision = api("openai", AOAI_URL, isCurrent=False, apiRevision="3")
    assert verdicts("apim.rate-limit", [get_service(), revision]) == {"openai;rev=3": "not_applicable"}


# -- apim.token-limit --------------------------------------------------------------------------

TOKEN_LIMIT = (
    '\t\t<azure-openai-token-limit counter-key="@(context.Subscription.Id)" tokens-per-minute="30000" '
    'estimate-prompt-tokens="true" />\r\n'
)
TOKEN_METRIC = (
    '\t\t<azure-openai-emit-token-metric namespace="voice">\r\n\t\t\t<dimension name="Subscription ID" />\r\n'
    "\t\t</azure-openai-emit-token-metric>\r\n"
)


def test_token_limit_raw_xml_api_policy_passes_and_without_metric_fails():
    published = api("openai", AOAI_URL)
    good = [global_policy(), api_policy("openai", raw_policy(TOKEN_LIMIT + TOKEN_METRIC), "rawxml")]
    assert status("apim.token-limit", gateway(published, *good), "openai") == "pass"
    no_metric = [global_policy(), api_policy("openai", raw_policy(TOKEN_LIMIT), "rawxml")]
    found = finding("apim.token-limit", gateway(published, *no_metric), "openai")
    assert found.status.value == "fail" and "token metric" in found.evidence["message"]
    assert "token limit on" not in found.evidence["message"]


def test_token_limit_through_the_published_pool_shape():
    # The API names no AI host; set-backend-service points at a Pool whose members are full ARM ids.
    published = api("openai", "https://voice-gateway.example.com/openai")
    route = '\t\t<set-backend-service backend-id="aoai-pool" />\r\n'
    backends = [
        pool_backend(["aoai-eastus2", "aoai-swedencentral"]),
        single_backend("aoai-eastus2", "https://aoai-eastus2.openai.azure.com/openai", [BREAKER_RULE]),
        single_backend("aoai-swedencentral", "https://aoai-swedencentral.openai.azure.com/openai", [BREAKER_RULE]),
    ]
    policies = [api_policy("openai", raw_policy(route + TOKEN_LIMIT), "rawxml")]
    found = finding("apim.token-limit", gateway(published, *policies, *backends), "openai")
    assert found.status.value == "fail" and "token metric" in found.evidence["message"]
    assert observed(found, "aiBackend") == "https://aoai-eastus2.openai.azure.com/openai"
    for member in backends[1:]:
        member["properties"]["url"] = "https://voice-router.example.com/"
    assert status("apim.token-limit", gateway(published, *policies, *backends), "openai") == "not_applicable"


def test_token_limit_published_non_ai_and_speech_apis_are_not_applicable():
    soap = api("orders", "https://orders.example.com/DataSource/Service.asmx", type="soap")
    assert status("apim.token-limit", gateway(soap), "orders") == "not_applicable"
    speech = api("speech", SPEECH_URL)
    assert status("apim.token-limit", gateway(speech), "speech") == "not_applicable"


# -- apim.ai-caching ---------------------------------------------------------------------------

SEMANTIC_CACHE = '\t\t<azure-openai-semantic-cache-lookup score-threshold="0.05" embeddings-backend-id="emb" />\r\n'


def test_ai_caching_semantic_cache_passes_and_without_fails():
    published = api("openai", AOAI_URL)
    cached = [api_policy("openai", raw_policy(SEMANTIC_CACHE), "rawxml")]
    assert status("apim.ai-caching", gateway(published, *cached), "openai") == "pass"
    uncached = [api_policy("openai", raw_policy(""), "rawxml")]
    assert status("apim.ai-caching", gateway(published, *uncached), "openai") == "fail"


def test_ai_caching_speech_counts_and_non_ai_is_not_applicable():
    speech = api("speech", SPEECH_URL)
    cached = [
        api_policy(
            "speech",
            raw_policy('\t\t<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />\r\n'),
            "rawxml",
        )
    ]
    assert status("apim.ai-caching", gateway(speech, *cached), "speech") == "pass"
    assert status("apim.ai-caching", gateway(speech), "speech") == "fail"
    soap = api("orders", "https://orders.example.com/DataSource/Service.asmx", type="soap")
    assert status("apim.ai-caching", gateway(soap), "orders") == "not_applicable"


# -- issue 9: limits as API Management applies them ---------------------------------------------


def test_rate_limit_and_quota_count_nothing_without_a_subscription_key():
    # rate-limit / quota docs: counted per subscription, so an API with subscriptionRequired false is
    # unlimited for callers without a key; only the -by-key forms apply to every call.
    open_api = api("orders", "https://orders.example.com/api", subscriptionRequired=False)
    per_subscription = [api_policy("orders", raw_policy('\t\t<rate-limit calls="10" renewal-period="60" />\r\n'),
                                   "rawxml")]
    assert status("apim.rate-limit", gateway(open_api, *per_subscription), "orders") == "fail"
    by_key = [api_policy("orders", raw_policy(
        '\t\t<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Request.IpAddress)" />\r\n'),
        "rawxml")]
    assert status("apim.rate-limit", gateway(open_api, *by_key), "orders") == "pass"
    keyed_api = api("orders", "https://orders.example.com/api")
    assert status("apim.rate-limit", gateway(keyed_api, *per_subscription), "orders") == "pass"


def test_token_limit_is_the_rate_limit_of_an_llm_api():
    published = api("openai", AOAI_URL)
    token_only = [api_policy("openai", raw_policy(TOKEN_LIMIT), "rawxml")]
    assert status("apim.rate-limit", gateway(published, *token_only), "openai") == "pass"
    speech = api("speech", SPEECH_URL)
    speech_tokens = [api_policy("speech", raw_policy(TOKEN_LIMIT), "rawxml")]
    assert status("apim.rate-limit", gateway(speech, *speech_tokens), "speech") == "fail"


def test_base_inside_choose_inherits_only_on_that_branch():
    # policy reference: <base /> in one <when> pulls in the product's limit only for those requests.
    published = api("orders", "https://orders.example.com/api")
    branch_base = (
        '\t\t<choose>\r\n\t\t\t<when condition="@(context.Request.Method == &quot;GET&quot;)">\r\n'
        "\t\t\t\t<base />\r\n\t\t\t</when>\r\n\t\t</choose>\r\n"
    )
    api_doc = (
        "<policies><inbound>" + branch_base + "</inbound><backend><forward-request /></backend>"
        "<outbound /><on-error /></policies>"
    )
    product_limit = product_policy(
        '<policies><inbound><base /><rate-limit calls="10" renewal-period="60" /></inbound></policies>'
    )
    assert status("apim.rate-limit", gateway(published, api_policy("orders", api_doc), product_limit), "orders") == (
        "fail"
    )
    every_branch = api_doc.replace(
        "</when>\r\n\t\t</choose>", "</when>\r\n\t\t\t<otherwise><base /></otherwise>\r\n\t\t</choose>"
    )
    resources = gateway(published, api_policy("orders", every_branch), product_limit)
    assert status("apim.rate-limit", resources, "orders") == "pass"
