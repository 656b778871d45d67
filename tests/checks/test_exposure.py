"""The exposure graph (auditor.exposure) and the checks judged on it, over resources in the shapes of
the published azure-rest-api-specs example responses (our own names and values):

- Application Gateway: specification/network/resource-manager/Microsoft.Network/stable/2023-09-01/examples/
  ApplicationGatewayList.json (frontends, listeners, rules, pools with `fqdn`, backend settings), and
  .../2024-05-01/examples/WafPolicyGet.json for its WAF policy
- Front Door: specification/cdn/resource-manager/Microsoft.Cdn/stable/2024-02-01/examples/Routes_Get.json,
  AFDOriginGroups_Create.json and AFDOrigins_Get.json (ids and types in lower case, as ARM answers them),
  with the profile, security policy, endpoint and WAF of tests/checks/test_frontdoor.py
- Container Apps: specification/app/resource-manager/Microsoft.App/stable/2024-03-01/examples/
  ContainerApps_Get.json (configuration.ingress.fqdn, external, ipSecurityRestrictions) and
  ManagedEnvironments_Get.json (defaultDomain, staticIp, vnetConfiguration.internal)
- App Service: specification/web/resource-manager/Microsoft.Web/stable/2023-12-01/examples/GetWebApp.json
  (defaultHostName, hostNames, publicNetworkAccess, siteConfig.ipSecurityRestrictionsDefaultAction)
- API Management: specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/
  examples/ApiManagementServiceGetService.json (gatewayUrl, virtualNetworkType, privateIPAddresses),
  ApiManagementGetApiContract.json (serviceUrl) and ApiManagementGetBackend.json (url)
- Azure OpenAI: specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/
  2024-10-01/examples/GetAccount.json (endpoint, publicNetworkAccess)
- Redis: specification/redis/resource-manager/Microsoft.Cache/stable/2024-11-01/examples/RedisCacheGet.json
  (hostName, publicNetworkAccess; ARM's default for an absent publicNetworkAccess is Enabled)
"""

from __future__ import annotations

import copy

import pytest

from auditor.exposure import build
from auditor.inventory import Inventory
from tests.checks.helpers import SUB, arm_id, run_check, snapshot, verdicts
from tests.checks.test_frontdoor import example as front_door_example

RG_LOWER = f"/subscriptions/{SUB}/resourcegroups/rg-test"
GATEWAY_ID = arm_id("Microsoft.Network/applicationGateways", "agw-voice")
GATEWAY_SUBNET = arm_id("Microsoft.Network/virtualNetworks/subnets", "vnet-voice", "snet-agw")
ENV_DOMAIN = "blackrock-4c2a1b.eastus2.azurecontainerapps.io"


def sub(kind: str, name: str) -> dict:
    return {"id": f"{GATEWAY_ID}/{kind}/{name}"}


def gateway(*pools: tuple[str, dict]) -> dict:
    """A WAF_v2 gateway with one public frontend and one HTTPS rule per backend pool."""
    return {
        "name": "agw-voice",
        "id": GATEWAY_ID,
        "type": "Microsoft.Network/applicationGateways",
        "location": "eastus2",
        "properties": {
            "provisioningState": "Succeeded",
            "sku": {"name": "WAF_v2", "tier": "WAF_v2"},
            "firewallPolicy": {"id": WAF_POLICY_ID},
            "gatewayIPConfigurations": [
                {
                    "name": "gwip",
                    **sub("gatewayIPConfigurations", "gwip"),
                    "properties": {"subnet": {"id": GATEWAY_SUBNET}},
                }
            ],
            "frontendIPConfigurations": [
                {
                    "name": "public",
                    **sub("frontendIPConfigurations", "public"),
                    "properties": {"publicIPAddress": {"id": arm_id("Microsoft.Network/publicIPAddresses", "pip-agw")}},
                },
                {
                    "name": "private",
                    **sub("frontendIPConfigurations", "private"),
                    "properties": {
                        "privateIPAddress": "10.20.1.10",
                        "privateIPAllocationMethod": "Static",
                        "subnet": {"id": GATEWAY_SUBNET},
                    },
                },
            ],
            "frontendPorts": [{"name": "port-443", **sub("frontendPorts", "port-443"), "properties": {"port": 443}}],
            "httpListeners": [
                {
                    "name": "https",
                    **sub("httpListeners", "https"),
                    "properties": {
                        "frontendIPConfiguration": sub("frontendIPConfigurations", "public"),
                        "frontendPort": sub("frontendPorts", "port-443"),
                        "protocol": "Https",
                        "hostName": "voice.contoso.com",
                    },
                }
            ],
            "backendAddressPools": [
                {"name": name, **sub("backendAddressPools", name), "properties": {"backendAddresses": [address]}}
                for name, address in pools
            ],
            "backendHttpSettingsCollection": [
                {
                    "name": "https-settings",
                    **sub("backendHttpSettingsCollection", "https-settings"),
                    "properties": {"port": 443, "protocol": "Https", "pickHostNameFromBackendAddress": True},
                }
            ],
            "requestRoutingRules": [
                {
                    "name": f"rule-{name}",
                    **sub("requestRoutingRules", f"rule-{name}"),
                    "properties": {
                        "ruleType": "Basic",
                        "priority": 100 + index,
                        "httpListener": sub("httpListeners", "https"),
                        "backendAddressPool": sub("backendAddressPools", name),
                        "backendHttpSettings": sub("backendHttpSettingsCollection", "https-settings"),
                    },
                }
                for index, (name, _) in enumerate(pools)
            ],
        },
    }


WAF_POLICY_ID = arm_id("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "wafp-voice")


def waf_policy(mode: str = "Prevention") -> dict:
    return {
        "name": "wafp-voice",
        "id": WAF_POLICY_ID,
        "type": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        "location": "eastus2",
        "properties": {
            "provisioningState": "Succeeded",
            "policySettings": {"state": "Enabled", "mode": mode, "requestBodyCheck": True},
            "customRules": [],
            "managedRules": {"managedRuleSets": [{"ruleSetType": "OWASP", "ruleSetVersion": "3.2"}], "exclusions": []},
            "applicationGateways": [{"id": GATEWAY_ID}],
        },
    }


def public_ip() -> dict:
    return {
        "name": "pip-agw",
        "id": arm_id("Microsoft.Network/publicIPAddresses", "pip-agw"),
        "type": "Microsoft.Network/publicIPAddresses",
        "location": "eastus2",
        "properties": {
            "provisioningState": "Succeeded",
            "ipAddress": "20.119.44.10",
            "publicIPAllocationMethod": "Static",
        },
    }


def vnet() -> dict:
    return {
        "name": "vnet-voice",
        "id": arm_id("Microsoft.Network/virtualNetworks", "vnet-voice"),
        "type": "Microsoft.Network/virtualNetworks",
        "location": "eastus2",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [
                {"name": "snet-agw", "id": GATEWAY_SUBNET, "properties": {"addressPrefix": "10.20.1.0/24"}},
            ],
        },
    }


def environment(name: str = "cae-voice", internal: bool = True) -> dict:
    props: dict = {"provisioningState": "Succeeded", "defaultDomain": ENV_DOMAIN, "staticIp": "10.20.2.250"}
    if internal:
        props["vnetConfiguration"] = {
            "internal": True,
            "infrastructureSubnetId": arm_id("Microsoft.Network/virtualNetworks/subnets", "vnet-voice", "snet-aca"),
        }
    else:
        props["staticIp"] = "20.81.1.7"
    return {
        "name": name,
        "id": arm_id("Microsoft.App/managedEnvironments", name),
        "type": "Microsoft.App/managedEnvironments",
        "location": "eastus2",
        "properties": props,
    }


def container_app(name: str, env: str = "cae-voice", restrictions: list | None = None, env_vars=()) -> dict:
    ingress: dict = {
        "fqdn": f"{name}.{ENV_DOMAIN}",
        "external": True,
        "targetPort": 8000,
        "transport": "auto",
        "traffic": [{"weight": 100, "latestRevision": True}],
    }
    if restrictions is not None:
        ingress["ipSecurityRestrictions"] = restrictions
    return {
        "name": name,
        "id": arm_id("Microsoft.App/containerApps", name),
        "type": "Microsoft.App/containerApps",
        "location": "eastus2",
        "properties": {
            "provisioningState": "Succeeded",
            "managedEnvironmentId": arm_id("Microsoft.App/managedEnvironments", env),
            "latestRevisionFqdn": f"{name}--r1.{ENV_DOMAIN}",
            "configuration": {"ingress": ingress},
            "template": {
                "containers": [
                    {
                        "image": f"crvoice.azurecr.io/{name}:1",
                        "name": name,
                        "env": [{"name": k, "value": v} for k, v in env_vars],
                        "resources": {"cpu": 0.5, "memory": "1Gi"},
                    }
                ],
                "scale": {"minReplicas": 2, "maxReplicas": 5},
            },
        },
    }


GATEWAY_ONLY = [{"name": "allow-agw", "ipAddressRange": "10.20.1.0/24", "action": "Allow"}]


def web_app(name: str = "app-voice", default_action: str | None = "Deny") -> dict:
    site_config: dict = {"numberOfWorkers": 1, "http20Enabled": True}
    if default_action:
        site_config["ipSecurityRestrictionsDefaultAction"] = default_action
    return {
        "name": name,
        "id": arm_id("Microsoft.Web/sites", name),
        "type": "Microsoft.Web/sites",
        "kind": "app",
        "location": "East US",
        "properties": {
            "state": "Running",
            "hostNames": [f"{name}.azurewebsites.net"],
            "enabledHostNames": [f"{name}.azurewebsites.net", f"{name}.scm.azurewebsites.net"],
            "defaultHostName": f"{name}.azurewebsites.net",
            "httpsOnly": True,
            "siteConfig": site_config,
        },
    }


def front_door_to(host: str) -> list[dict]:
    """The Front Door of test_frontdoor.py (Premium, WAF in Prevention on every domain), with a route
    from its endpoint to an origin group holding one origin at `host`."""
    profile, link, waf, *domains = front_door_example()
    profile_id = profile["id"]
    route = {
        "name": "route-voice",
        "id": f"{profile_id}/afdendpoints/voice-edge/routes/route-voice",
        "type": "Microsoft.Cdn/profiles/afdendpoints/routes",
        "properties": {
            "customDomains": [{"id": f"{profile_id}/customDomains/voice-contoso"}],
            "originGroup": {
                "id": f"{profile_id.replace('/resourcegroups/', '/resourceGroups/')}/originGroups/og-voice"
            },
            "originPath": None,
            "ruleSets": [],
            "supportedProtocols": ["Https"],
            "patternsToMatch": ["/*"],
            "forwardingProtocol": "HttpsOnly",
            "linkToDefaultDomain": "Enabled",
            "httpsRedirect": "Enabled",
            "enabledState": "Enabled",
            "provisioningState": "Succeeded",
            "deploymentStatus": "NotStarted",
        },
    }
    group = {
        "id": f"{profile_id}/origingroups/og-voice",
        "type": "Microsoft.Cdn/profiles/origingroups",
        "name": "og-voice",
        "properties": {
            "loadBalancingSettings": {"sampleSize": 3, "successfulSamplesRequired": 3},
            "healthProbeSettings": {
                "probePath": "/health",
                "probeRequestType": "HEAD",
                "probeProtocol": "Https",
                "probeIntervalInSeconds": 10,
            },
            "provisioningState": "Succeeded",
            "deploymentStatus": "NotStarted",
        },
    }
    origin = {
        "id": f"{profile_id}/origingroups/og-voice/origins/app",
        "type": "Microsoft.Cdn/profiles/origingroups/origins",
        "name": "app",
        "properties": {
            "hostName": host,
            "httpPort": 80,
            "httpsPort": 443,
            "originHostHeader": host,
            "priority": 1,
            "weight": 1000,
            "enabledState": "Enabled",
            "provisioningState": "Succeeded",
            "deploymentStatus": "NotStarted",
            "originGroupName": "og-voice",
            "sharedPrivateLinkResource": None,
            "enforceCertificateNameCheck": True,
        },
    }
    return [profile, link, waf, *domains, route, group, origin]


def apim(internal: bool) -> list[dict]:
    service_id = arm_id("Microsoft.ApiManagement/service", "apim-voice")
    service = {
        "id": service_id,
        "name": "apim-voice",
        "type": "Microsoft.ApiManagement/service",
        "location": "East US",
        "sku": {"name": "Premium", "capacity": 1},
        "properties": {
            "publisherEmail": "platform@contoso.com",
            "publisherName": "Contoso",
            "provisioningState": "Succeeded",
            "gatewayUrl": "https://apim-voice.azure-api.net",
            "hostnameConfigurations": [
                {"type": "Proxy", "hostName": "apim-voice.azure-api.net", "defaultSslBinding": True}
            ],
            "privateIPAddresses": ["10.20.5.4"] if internal else None,
            "publicIPAddresses": ["20.40.1.2"],
            "virtualNetworkType": "Internal" if internal else "None",
            "publicNetworkAccess": "Enabled",
            "disableGateway": False,
        },
    }
    if internal:
        service["properties"]["virtualNetworkConfiguration"] = {
            "subnetResourceId": arm_id("Microsoft.Network/virtualNetworks/subnets", "vnet-voice", "snet-apim")
        }
    api = {
        "id": f"{service_id}/apis/openai",
        "type": "Microsoft.ApiManagement/service/apis",
        "name": "openai",
        "properties": {
            "displayName": "Azure OpenAI",
            "apiRevision": "1",
            "serviceUrl": "https://aoai-voice.openai.azure.com/openai",
            "path": "openai",
            "protocols": ["https"],
            "isCurrent": True,
        },
    }
    backend = {
        "id": f"{service_id}/backends/aoai",
        "type": "Microsoft.ApiManagement/service/backends",
        "name": "aoai",
        "properties": {"url": "https://aoai-voice.openai.azure.com/openai", "protocol": "http"},
    }
    return [service, api, backend]


def openai(public: bool = False) -> dict:
    return {
        "id": arm_id("Microsoft.CognitiveServices/accounts", "aoai-voice"),
        "name": "aoai-voice",
        "type": "Microsoft.CognitiveServices/accounts",
        "location": "eastus2",
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "properties": {
            "endpoint": "https://aoai-voice.openai.azure.com/",
            "customSubDomainName": "aoai-voice",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled" if public else "Disabled",
            "networkAcls": {"defaultAction": "Allow" if public else "Deny", "ipRules": [], "virtualNetworkRules": []},
        },
    }


def redis(public_network_access: str | None) -> dict:
    props: dict = {
        "provisioningState": "Succeeded",
        "hostName": "redis-voice.redis.cache.windows.net",
        "port": 6379,
        "sslPort": 6380,
        "sku": {"name": "Premium", "family": "P", "capacity": 1},
        "enableNonSslPort": False,
        "minimumTlsVersion": "1.2",
    }
    if public_network_access is not None:
        props["publicNetworkAccess"] = public_network_access
    return {
        "id": arm_id("Microsoft.Cache/Redis", "redis-voice"),
        "name": "redis-voice",
        "type": "Microsoft.Cache/Redis",
        "location": "East US",
        "properties": props,
    }


def graph_of(resources: list[dict], **kwargs):
    return build(Inventory(snapshot(resources, **kwargs)))


def gateway_world(mode: str = "Prevention", *apps: dict) -> list[dict]:
    """A gateway whose pool names the container app's FQDN, the app in an internal environment."""
    apps = apps or (container_app("ca-voice", restrictions=GATEWAY_ONLY),)
    pools = [(f"pool-{a['name']}", {"fqdn": a["properties"]["configuration"]["ingress"]["fqdn"]}) for a in apps]
    return [gateway(*pools), waf_policy(mode), public_ip(), vnet(), environment(), *apps]


# --- a gateway whose backend pool names the container app's FQDN ----------------------------------
def test_gateway_pool_fqdn_reaches_the_container_app_through_the_waf():
    graph = graph_of(gateway_world())
    reach = graph.reach(arm_id("Microsoft.App/containerApps", "ca-voice"))
    assert reach.cls == "waf"
    assert [graph.nodes[e.target].name for e in reach.path.edges] == ["agw-voice", "ca-voice"]
    assert "pool pool-ca-voice" in reach.path.edges[1].how
    assert verdicts("network.waf-fronts-http", gateway_world()) == {"ca-voice": "pass"}


def test_gateway_in_detection_mode_is_a_weak_path():
    graph = graph_of(gateway_world("Detection"))
    assert graph.reach(arm_id("Microsoft.App/containerApps", "ca-voice")).cls == "weak"
    (finding,) = run_check("network.waf-fronts-http", gateway_world("Detection"))
    assert finding.status.value == "fail" and "Detection" in finding.evidence["message"]


def test_gateway_whose_waf_policy_was_not_collected_is_not_assessed():
    world = [r for r in gateway_world() if "WebApplicationFirewallPolicies" not in r["type"]]
    (finding,) = run_check("network.waf-fronts-http", world)
    assert finding.status.value == "not_assessed"
    assert "wafp-voice" in finding.evidence["message"]


# --- a second public app that no gateway fronts (it must fail) --------------------------------------
def test_second_public_app_outside_the_gateway_fails():
    fronted = container_app("ca-voice", restrictions=GATEWAY_ONLY)
    stray = container_app("ca-stray", env="cae-public")
    world = [*gateway_world("Prevention", fronted), environment("cae-public", internal=False), stray]
    assert verdicts("network.waf-fronts-http", world) == {"ca-voice": "pass", "ca-stray": "fail"}
    (finding,) = [f for f in run_check("network.waf-fronts-http", world) if f.resource_name == "ca-stray"]
    assert "Internet → ca-stray" in finding.evidence["message"]


def test_a_waf_gateway_elsewhere_no_longer_passes_an_app_it_does_not_front():
    """The old check passed every app once any WAF gateway existed; the graph reads the pools."""
    stray = container_app("ca-stray", env="cae-public")
    world = [
        gateway(("pool-x", {"fqdn": "ca-voice." + ENV_DOMAIN})),
        waf_policy(),
        public_ip(),
        vnet(),
        environment("cae-public", internal=False),
        stray,
    ]
    assert verdicts("network.waf-fronts-http", world)["ca-stray"] == "fail"


# --- a Front Door origin to an App Service ----------------------------------------------------------
def test_front_door_origin_reaches_the_app_service_through_its_waf():
    site = web_app()
    world = [*front_door_to("app-voice.azurewebsites.net"), site]
    graph = graph_of(world)
    reach = graph.reach(site["id"])
    assert reach.cls == "waf"
    assert [graph.nodes[e.target].name for e in reach.path.edges] == ["afd-voice", "app-voice"]
    assert "origin group og-voice" in reach.path.edges[1].how
    assert verdicts("network.waf-fronts-http", world) == {"app-voice": "pass"}


def web_app_open_to_all() -> tuple[dict, dict]:
    """A site and its config/web that admits everyone (WebApps_GetConfiguration shape)."""
    site = web_app(default_action=None)
    config = {
        "name": "web",
        "id": f"{site['id']}/config/web",
        "type": "Microsoft.Web/sites/config",
        "location": "East US",
        "properties": {
            "ipSecurityRestrictions": [
                {"ipAddress": "Any", "action": "Allow", "priority": 2147483647, "name": "Allow all"}
            ]
        },
    }
    return site, config


def test_app_service_open_to_all_beside_its_front_door_fails():
    # No ipSecurityRestrictionsDefaultAction: ARM's default is Allow, so the app answers anyone.
    # The site GET returns siteConfig values null, so the value is read from the site's config/web
    # (WebApps_GetConfiguration), which leaves the default action out here.
    site, config = web_app_open_to_all()
    world = [*front_door_to("app-voice.azurewebsites.net"), site, config]
    assert graph_of(world).reach(site["id"]).cls == "around"
    assert verdicts("network.waf-fronts-http", world) == {"app-voice": "fail"}


def test_front_door_in_detection_mode_is_weak():
    world = [*front_door_to("app-voice.azurewebsites.net"), web_app()]
    world[2]["properties"]["policySettings"]["mode"] = "Detection"
    assert graph_of(world).reach(world[-1]["id"]).cls == "weak"


# --- APIM in front of OpenAI, and APIM internal behind the gateway ---------------------------------
def test_external_apim_in_front_of_openai_is_a_path_around_the_waf():
    world = [*apim(internal=False), openai()]
    graph = graph_of(world)
    reach = graph.reach(openai()["id"])
    assert reach.cls == "around"
    assert [graph.nodes[e.target].name for e in reach.path.edges] == ["apim-voice", "aoai-voice"]
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "fail"
    assert "Internet → apim-voice → aoai-voice" in finding.evidence["message"]
    hops = next(o for o in finding.evidence["observations"] if o["path"] == "path")["observed"]
    assert hops[0].startswith("Internet → apim-voice (public endpoint")
    assert "serviceUrl aoai-voice.openai.azure.com" in hops[1]


def test_internal_apim_behind_the_gateway_keeps_openai_behind_the_waf():
    service, *rest = apim(internal=True)
    world = [
        gateway(("pool-apim", {"fqdn": "apim-voice.azure-api.net"})),
        waf_policy(),
        public_ip(),
        vnet(),
        service,
        *rest,
        openai(),
    ]
    graph = graph_of(world)
    reach = graph.reach(openai()["id"])
    assert reach.cls == "waf"
    assert [graph.nodes[e.target].name for e in reach.path.edges] == ["agw-voice", "apim-voice", "aoai-voice"]
    assert verdicts("exposure.path-around-waf", world) == {"aoai-voice": "pass"}
    assert verdicts("network.waf-fronts-http", world) == {"apim-voice": "pass"}


def test_internal_apim_reached_by_its_private_address_from_the_gateway():
    service, *rest = apim(internal=True)
    world = [
        gateway(("pool-apim", {"ipAddress": "10.20.5.4"})),
        waf_policy(),
        public_ip(),
        vnet(),
        service,
        *rest,
        openai(),
    ]
    assert graph_of(world).reach(openai()["id"]).cls == "waf"


def test_internal_apim_that_nothing_fronts_is_private():
    world = [*apim(internal=True), openai()]
    assert verdicts("network.waf-fronts-http", world) == {"apim-voice": "not_applicable"}
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "pass" and "private only" in finding.evidence["message"]


# --- an internal environment with external ingress ---------------------------------------------------
@pytest.mark.parametrize(
    ("restrictions", "expected"),
    [
        (None, "fail"),
        (GATEWAY_ONLY, "pass"),
        ([{"name": "vnet", "ipAddressRange": "10.0.0.0/8", "action": "Allow"}], "fail"),
        ([{"name": "deny-one", "ipAddressRange": "10.20.9.0/24", "action": "Deny"}], "fail"),
    ],
    ids=["no-allow-list", "gateway-subnet", "whole-private-range", "deny-rule"],
)
def test_external_ingress_in_an_internal_environment(restrictions, expected):
    world = gateway_world("Prevention", container_app("ca-voice", restrictions=restrictions))
    assert verdicts("exposure.vnet-ingress-around-gateway", world) == {"ca-voice": expected}
    # Not on the internet either way: the internet reaches the app only through the gateway.
    assert verdicts("network.waf-fronts-http", world) == {"ca-voice": "pass"}


def test_vnet_ingress_check_does_not_apply_to_public_environments_or_internal_ingress():
    app = container_app("ca-public", env="cae-public")
    internal = copy.deepcopy(container_app("ca-internal"))
    internal["properties"]["configuration"]["ingress"]["external"] = False
    world = [environment("cae-public", internal=False), environment(), app, internal]
    assert verdicts("exposure.vnet-ingress-around-gateway", world) == {
        "ca-public": "not_applicable",
        "ca-internal": "not_applicable",
    }


def test_vnet_ingress_check_without_the_gateway_subnet_is_not_assessed():
    world = [r for r in gateway_world() if r["type"] != "Microsoft.Network/virtualNetworks"]
    (finding,) = run_check("exposure.vnet-ingress-around-gateway", world)
    assert finding.status.value == "not_assessed" and "vnet-voice" in finding.evidence["message"]


# --- a data service with public access and no private endpoint -------------------------------------
@pytest.mark.parametrize("pna", ["Enabled", None], ids=["enabled", "absent-defaults-to-enabled"])
def test_public_redis_without_private_endpoint_is_reachable_around_the_waf(pna):
    world = [redis(pna)]
    graph = graph_of(world)
    reach = graph.reach(redis(pna)["id"])
    assert reach.cls == "around" and [e.source for e in reach.path.edges] == ["internet"]
    # One hole, one finding (docs/severity.md "report it once"): the public endpoint is the service's
    # own public-access finding (or the compound one when keys work too), not a second critical here.
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "not_applicable"
    assert "reported once, by exposure.redis.public-with-keys" in finding.evidence["message"]
    # This cache accepts access keys too, so the hole is the one critical compound finding.
    (compound,) = run_check("exposure.redis.public-with-keys", world)
    assert compound.status.value == "fail" and compound.severity.value == "critical"
    keyless = redis(pna)
    keyless["properties"]["disableAccessKeyAuthentication"] = True
    assert verdicts("network.redis.public-access", [keyless]) == {"redis-voice": "fail"}
    (finding,) = run_check("exposure.path-around-waf", [keyless])
    assert finding.status.value == "not_applicable"
    assert "reported once, by network.redis.public-access" in finding.evidence["message"]


def test_public_redis_that_a_public_app_also_names_fails_for_the_other_way_in():
    app = container_app(
        "ca-stray", env="cae-public", env_vars=[("REDIS_HOST", "redis-voice.redis.cache.windows.net:6380")]
    )
    world = [environment("cae-public", internal=False), app, redis("Enabled")]
    assert graph_of(world).reach(redis("Enabled")["id"]).path.edges[0].target == redis("Enabled")["id"].lower()
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "fail" and finding.severity.value == "critical"
    assert "Internet → ca-stray → redis-voice" in finding.evidence["message"]


def test_a_way_in_through_the_node_itself_is_not_counted_when_its_endpoint_is_closed():
    """The walk without the node's own edge: a loop back through the node cannot reach it."""
    from auditor.exposure import INTERNET, Edge, Graph, Node

    graph = Graph()
    for key, tier in (("internet", "internet"), ("svc", "data"), ("app", "compute")):
        graph.add_node(Node(key, key, "t", tier))
    graph.add_edge(Edge(INTERNET, "svc", "public endpoint"))
    graph.add_edge(Edge("svc", "app", "names"))
    graph.add_edge(Edge("app", "svc", "setting"))
    assert graph.reach("svc").cls == "around"
    assert graph.reach("svc", besides_own_endpoint=True).cls == "private"
    graph.add_edge(Edge(INTERNET, "app", "public ingress"))
    other = graph.reach("svc", besides_own_endpoint=True)
    assert other.cls == "around" and [e.source for e in other.path.edges] == ["internet", "app"]


def test_private_redis_reached_by_an_app_behind_the_gateway_is_through_the_waf():
    app = container_app(
        "ca-voice", restrictions=GATEWAY_ONLY, env_vars=[("REDIS_HOST", "redis-voice.redis.cache.windows.net")]
    )
    world = [*gateway_world("Prevention", app), redis("Disabled")]
    graph = graph_of(world)
    reach = graph.reach(redis("Disabled")["id"])
    assert reach.cls == "waf"
    assert reach.path.edges[-1].how == "setting REDIS_HOST names redis-voice.redis.cache.windows.net"
    assert verdicts("exposure.path-around-waf", world) == {"redis-voice": "pass"}


def test_private_redis_reached_by_a_public_app_is_around_the_waf():
    app = container_app(
        "ca-stray", env="cae-public", env_vars=[("REDIS_HOST", "redis-voice.redis.cache.windows.net:6380")]
    )
    world = [environment("cae-public", internal=False), app, redis("Disabled")]
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "fail"
    assert "Internet → ca-stray → redis-voice" in finding.evidence["message"]


def test_a_setting_value_never_reaches_the_evidence():
    secret = "https://redis-voice.redis.cache.windows.net?password=Zm9vYmFyYmF6cXV4"
    app = container_app("ca-stray", env="cae-public", env_vars=[("REDIS_URL", secret)])
    world = [environment("cae-public", internal=False), app, redis("Disabled")]
    (finding,) = run_check("exposure.path-around-waf", world)
    assert "Zm9vYmFy" not in repr(finding.evidence)
    assert "setting REDIS_URL names redis-voice.redis.cache.windows.net" in repr(finding.evidence)


# --- a backend FQDN that resolves to nothing (not_assessed) -----------------------------------------
def test_backend_fqdn_matching_nothing_makes_the_path_not_assessed():
    world = [gateway(("pool-legacy", {"fqdn": "legacy.contoso.com"})), waf_policy(), public_ip(), vnet()]
    graph = graph_of(world)
    (path,) = [p for p in graph.paths() if p.target == "unknown:legacy.contoso.com"]
    assert path.cls == "not_assessed"
    assert "legacy.contoso.com, which matches no resource in the snapshot" in path.reason
    reach = graph.reach("unknown:legacy.contoso.com")
    assert reach.cls == "not_assessed" and reach.cls != "private"
    document = graph.to_document()
    edge = next(e for e in document["edges"] if e["target"] == "unknown:legacy.contoso.com")
    assert edge["known"] is False


def test_a_type_that_was_not_collected_leaves_a_private_app_not_assessed():
    """An unseen gateway could front the app: 'not reachable' cannot be proved."""
    app = container_app("ca-voice", restrictions=GATEWAY_ONLY)
    collected = [
        "Microsoft.App/containerApps",
        "Microsoft.App/managedEnvironments",
        "Microsoft.Web/sites",
        "Microsoft.ApiManagement/service",
    ]
    (finding,) = run_check("network.waf-fronts-http", [environment(), app], collected=collected)
    assert finding.status.value == "not_assessed"
    assert "applicationGateways" in finding.evidence["message"]


def test_odd_shaped_environment_is_an_unknown_edge_not_a_private_one():
    app = container_app("ca-voice", env="cae-missing")
    graph = graph_of([app])
    reach = graph.reach(app["id"])
    assert reach.cls == "not_assessed" and "cae-missing" in reach.reason


def test_no_http_workload_is_not_applicable():
    assert verdicts("network.waf-fronts-http", []) == {"test": "not_applicable"}


# --- names that several resources answer, and other ways a name resolves ------------------------------
def test_gateway_naming_the_environment_address_reaches_each_external_app_through_one_name_node():
    apps = [container_app(f"ca-{n}", restrictions=GATEWAY_ONLY) for n in range(3)]
    world = [
        gateway(("pool-env", {"ipAddress": "10.20.2.250"})),
        waf_policy(),
        public_ip(),
        vnet(),
        environment(),
        *apps,
    ]
    graph = graph_of(world)
    assert {graph.reach(a["id"]).cls for a in apps} == {"waf"}
    reach = graph.reach(apps[0]["id"])
    assert [graph.nodes[e.target].name for e in reach.path.edges] == ["agw-voice", "10.20.2.250", "ca-0"]
    # One edge from the gateway to the name, one from the name to each app: not gateway x apps.
    assert len([e for e in graph.edges if e.source == "name:10.20.2.250"]) == 3
    assert "name:10.20.2.250" not in {p.target for p in graph.paths()}


def test_many_callers_of_many_copies_cost_callers_plus_copies_edges():
    copies = []
    for n in range(30):
        copy_ = redis("Disabled")
        copy_["name"] = f"redis-{n}"
        copy_["id"] = arm_id("Microsoft.Cache/Redis", f"redis-{n}")
        copies.append(copy_)
    callers = [
        container_app(f"ca-{n}", env="cae-public", env_vars=[("REDIS_HOST", "redis-voice.redis.cache.windows.net")])
        for n in range(30)
    ]
    graph = graph_of([environment("cae-public", internal=False), *callers, *copies])
    assert len(graph.edges) < 30 + 30 + 30 + 1
    assert {graph.reach(c["id"]).cls for c in copies} == {"around"}


def test_a_gateway_reaches_an_app_by_its_custom_domain():
    app = container_app("ca-voice", restrictions=GATEWAY_ONLY)
    app["properties"]["configuration"]["ingress"]["customDomains"] = [
        {"name": "api.contoso.com", "bindingType": "SniEnabled"}
    ]
    world = [
        gateway(("pool-custom", {"fqdn": "api.contoso.com"})),
        waf_policy(),
        public_ip(),
        vnet(),
        environment(),
        app,
    ]
    assert graph_of(world).reach(app["id"]).cls == "waf"


def test_allowed_ranges_given_as_one_string_are_one_range():
    app = container_app(
        "ca-office",
        env="cae-public",
        restrictions=[{"name": "office", "ipAddressRange": "203.0.113.0/24", "action": "Allow"}],
    )
    world = [environment("cae-public", internal=False), app]
    assert verdicts("network.waf-fronts-http", world) == {"ca-office": "fail"}
    params = {"allowed_ranges": "203.0.113.0/24"}
    assert verdicts("network.waf-fronts-http", world, params=params) == {"ca-office": "not_applicable"}


# --- public IPs on load balancers -------------------------------------------------------------------
def load_balancer(public: bool) -> dict:
    """In the shape of .../Microsoft.Network/stable/2024-05-01/examples/LoadBalancerGet.json: frontends,
    a backend pool of network-interface IP configurations, a load-balancing rule."""
    lb_id = arm_id("Microsoft.Network/loadBalancers", "lb-legacy")
    frontend = (
        {"publicIPAddress": {"id": arm_id("Microsoft.Network/publicIPAddresses", "pip-agw")}}
        if public
        else {"privateIPAddress": "10.20.9.4", "privateIPAllocationMethod": "Static", "subnet": {"id": GATEWAY_SUBNET}}
    )
    nic_config = arm_id("Microsoft.Network/networkInterfaces", "vm-legacy-nic") + "/ipConfigurations/ipconfig1"
    return {
        "name": "lb-legacy",
        "id": lb_id,
        "type": "Microsoft.Network/loadBalancers",
        "location": "eastus2",
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "provisioningState": "Succeeded",
            "frontendIPConfigurations": [
                {"name": "fe", "id": f"{lb_id}/frontendIPConfigurations/fe", "properties": frontend}
            ],
            "backendAddressPools": [
                {
                    "name": "be",
                    "id": f"{lb_id}/backendAddressPools/be",
                    "properties": {"backendIPConfigurations": [{"id": nic_config}]},
                }
            ],
            "loadBalancingRules": [
                {
                    "name": "https",
                    "id": f"{lb_id}/loadBalancingRules/https",
                    "properties": {
                        "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/fe"},
                        "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/be"},
                        "protocol": "Tcp",
                        "frontendPort": 443,
                        "backendPort": 443,
                    },
                }
            ],
            "inboundNatRules": [],
        },
    }


def test_public_load_balancer_is_an_entry_without_waf_whose_machines_stay_unknown():
    graph = graph_of([load_balancer(public=True), public_ip()])
    balancer = graph.nodes[load_balancer(True)["id"].lower()]
    assert balancer.waf == "none"
    entry = next(e for e in graph.edges if e.target == balancer.key)
    assert entry.source == "internet" and entry.how == "public frontend 20.119.44.10"
    reach = graph.reach("unknown:vm-legacy-nic")
    assert reach.cls == "not_assessed" and "vm-legacy-nic" in reach.reason


def test_internal_load_balancer_is_not_an_internet_entry():
    graph = graph_of([load_balancer(public=False)])
    assert not [e for e in graph.edges if e.source == "internet"]


def test_vnet_ingress_may_admit_the_subnet_of_api_management_in_the_vnet():
    """APIM injected into the VNet calls the apps too; its subnet is a gateway's subnet."""
    service, *_ = apim(internal=True)
    apim_subnet = service["properties"]["virtualNetworkConfiguration"]["subnetResourceId"]
    network = vnet()
    network["properties"]["subnets"].append(
        {"name": "snet-apim", "id": apim_subnet, "properties": {"addressPrefix": "10.20.5.0/24"}}
    )
    both = [*GATEWAY_ONLY, {"name": "allow-apim", "ipAddressRange": "10.20.5.0/24", "action": "Allow"}]
    world = [
        r
        for r in gateway_world("Prevention", container_app("ca-voice", restrictions=both))
        if r["type"] != network["type"]
    ]
    assert verdicts("exposure.vnet-ingress-around-gateway", [*world, network, service]) == {"ca-voice": "pass"}
    # Without API Management in the VNet, the same range admits more than a gateway.
    assert verdicts("exposure.vnet-ingress-around-gateway", [*world, network]) == {"ca-voice": "fail"}


# --- API Management policies route too ----------------------------------------------------------------
def api_policy(xml: str, fmt: str = "rawxml") -> dict:
    """In the shape of .../Microsoft.ApiManagement/stable/2024-05-01/examples/ApiManagementGetApiPolicy.json."""
    service_id = arm_id("Microsoft.ApiManagement/service", "apim-voice")
    return {
        "id": f"{service_id}/apis/openai/policies/policy",
        "type": "Microsoft.ApiManagement/service/apis/policies",
        "name": "policy",
        "properties": {"format": fmt, "value": xml},
    }


def apim_routed_by_policy(xml: str, fmt: str = "rawxml") -> list[dict]:
    service, api, _backend = apim(internal=False)
    del api["properties"]["serviceUrl"]
    return [service, api, api_policy(xml, fmt), openai()]


def test_external_apim_routing_to_openai_by_policy_base_url_is_around_the_waf():
    xml = (
        '<policies><inbound><base /><set-backend-service base-url="https://aoai-voice.openai.azure.com/openai" />'
        "</inbound><backend><base /></backend><outbound><base /></outbound></policies>"
    )
    graph = graph_of(apim_routed_by_policy(xml))
    reach = graph.reach(openai()["id"])
    assert reach.cls == "around"
    assert "base-url aoai-voice.openai.azure.com" in reach.path.edges[-1].how


def test_policy_base_url_from_a_named_value_is_unknown():
    xml = '<policies><inbound><set-backend-service base-url="{{aoai-url}}" /></inbound></policies>'
    graph = graph_of(apim_routed_by_policy(xml))
    unknown = [p for p in graph.paths() if p.target.startswith("unknown:")]
    assert unknown and unknown[0].cls == "not_assessed" and "{{aoai-url}}" in unknown[0].reason


def test_policy_stored_as_a_link_leaves_the_map_not_assessed():
    graph = graph_of(apim_routed_by_policy("https://contoso.blob.core.windows.net/policies/openai.xml", "rawxml-link"))
    assert graph.reach(openai()["id"]).cls == "not_assessed"
    assert "stored as a link" in graph.reach(openai()["id"]).reason


@pytest.mark.parametrize(
    "odd",
    [
        lambda app: app["properties"]["template"].update(containers=True),
        lambda app: app["properties"]["template"].update(containers=["image"]),
        lambda app: app["properties"]["template"]["containers"][0].update(env=7),
        lambda app: app["properties"]["template"]["containers"][0].update(env=[["REDIS_HOST", "x"]]),
    ],
    ids=["containers-bool", "container-string", "env-int", "env-entry-list"],
)
def test_settings_of_an_odd_shape_leave_the_services_not_assessed(odd):
    """An app whose settings cannot be read may name any service: never a silent private verdict."""
    app = container_app(
        "ca-stray", env="cae-public", env_vars=[("REDIS_HOST", "redis-voice.redis.cache.windows.net:6380")]
    )
    odd(app)
    world = [environment("cae-public", internal=False), app, redis("Disabled")]
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "not_assessed"
    assert "the settings of ca-stray cannot be read" in finding.evidence["message"]


@pytest.mark.parametrize(
    "odd",
    [
        lambda world: world[0]["properties"]["backendAddressPools"][0]["properties"].update(backendAddresses=True),
        lambda world: world[0]["properties"]["requestRoutingRules"][0]["properties"].update(httpListener="x"),
    ],
    ids=["backend-addresses-bool", "listener-reference-string"],
)
def test_a_gateway_of_an_odd_shape_is_a_gap_not_an_error(odd):
    """The sweep's retyping found the graph builder raising on these: the ways in through the gateway
    are unknown, so the app it fronts is not assessed, never an error and never a pass."""
    world = gateway_world()
    odd(world)
    (finding,) = run_check("network.waf-fronts-http", world)
    assert finding.status.value == "not_assessed"
    assert "agw-voice cannot be read" in finding.evidence["message"]


@pytest.mark.parametrize("properties", [True, "10.20.1.0/24", {"addressPrefixes": False}])
def test_a_gateway_subnet_of_an_odd_shape_leaves_vnet_ingress_not_assessed(properties):
    world = gateway_world("Prevention", container_app("ca-voice", restrictions=GATEWAY_ONLY))
    next(r for r in world if r["type"] == "Microsoft.Network/virtualNetworks")["properties"]["subnets"][0][
        "properties"
    ] = properties
    (finding,) = run_check("exposure.vnet-ingress-around-gateway", world)
    assert finding.status.value == "not_assessed" and "snet-agw" in finding.evidence["message"]


def _public_app_with_secret_env(restrictions=None, env="cae-public") -> dict:
    app = container_app("ca-stray", env=env, restrictions=restrictions)
    app["properties"]["template"]["containers"][0]["env"] = [
        {"name": "REDIS_CONNECTION", "secretRef": "redis-connection"}  # ContainerApps_Get.json shape
    ]
    return app


def test_a_public_app_that_hides_where_it_connects_leaves_a_private_service_not_assessed():
    """Unknown edges stay unknown: the host behind a secretRef is not in the snapshot, so an app open
    to the internet around the WAF may reach the private cache, and the cache does not pass."""
    world = [environment("cae-public", internal=False), _public_app_with_secret_env(), redis("Disabled")]
    (finding,) = run_check("exposure.path-around-waf", world)
    assert finding.status.value == "not_assessed"
    assert "ca-stray (environment variables taken from secrets: REDIS_CONNECTION)" in finding.evidence["message"]
    assert "redis-connection" not in repr(finding.evidence)


def test_an_app_behind_the_waf_may_hide_where_it_connects():
    app = _public_app_with_secret_env(restrictions=GATEWAY_ONLY, env="cae-voice")
    world = [*gateway_world("Prevention", app), redis("Disabled")]
    assert verdicts("exposure.path-around-waf", world) == {"redis-voice": "pass"}


def test_a_public_app_service_hides_where_it_connects():
    """The site GET returns appSettings null and golive keeps no setting values: an App Service open
    to the internet may reach any service."""
    site, config = web_app_open_to_all()
    (finding,) = run_check("exposure.path-around-waf", [site, config, redis("Disabled")])
    assert finding.status.value == "not_assessed"
    assert "app-voice (app settings and connection strings, whose values the snapshot does not hold)" in (
        finding.evidence["message"]
    )
