"""Exposure: judged on the reachability graph (auditor.exposure) instead of one resource at a time.

A workload passes only when every way in from the internet crosses a WAF in Prevention mode; a
data or AI service fails when the internet reaches it without one. The graph is built once per
audit and shared by these checks.
"""

from __future__ import annotations

import ipaddress

from auditor.checks._compound import accepts_keys_too, compound_id
from auditor.checks._waf import FD_READS
from auditor.checks.ingress import _network, _within
from auditor.checks.network import SERVICES

from auditor.api import (
    Area,
    DataError,
    Param,
    Remediation,
    Resource,
    Severity,
    Status,
    Verdict,
    check,
    failed,
    not_applicable,
    not_assessed,
    passed,
)
from auditor.exposure import (
    APIM,
    APIM_API,
    APIM_BACKEND,
    APIM_POLICY_TYPES,
    APP,
    ENVIRONMENT,
    FD_ORIGIN,
    FD_ORIGIN_GROUP,
    FD_ROUTE,
    FRONT_DOOR,
    GATEWAY,
    GATEWAY_WAF_POLICY,
    LOAD_BALANCER,
    PRIVATE_ENDPOINT,
    PUBLIC_IP,
    SITE,
    graph_of,
)
from auditor.inventory import Context
from auditor.model import Observation

VNET = "Microsoft.Network/virtualNetworks"
DATA_TYPES = [s.rtype for s in SERVICES if s.key not in ("apim", "appservice")]
#: Everything the graph reads: each way in, and each service's own public endpoint.
GRAPH_READS = list(
    dict.fromkeys(
        [GATEWAY, GATEWAY_WAF_POLICY, PUBLIC_IP, LOAD_BALANCER]
        + [FRONT_DOOR, *FD_READS, FD_ROUTE, FD_ORIGIN_GROUP, FD_ORIGIN]
        + [APIM, APIM_API, APIM_BACKEND, *APIM_POLICY_TYPES, APP, ENVIRONMENT, SITE, PRIVATE_ENDPOINT, *DATA_TYPES]
        + [s.rule_set for s in SERVICES if s.rule_set]
    )
)
ALLOWED_RANGES = Param(
    [],
    "CIDR ranges, besides private ranges and the Application Gateways' public addresses, that a container "
    "app's external ingress may admit (as aca.ingress-not-public).",
)
EXPOSURE_DOC = "https://learn.microsoft.com/azure/architecture/example-scenario/gateway/firewall-application-gateway"


def _path_text(hops: list[str]) -> str:
    """'Internet → agw → app'; a single hop keeps its how: 'Internet → redis (public endpoint)'."""
    if len(hops) == 1:
        return hops[0]
    return "Internet → " + " → ".join(h.split(" → ", 1)[1].split(" (", 1)[0] for h in hops) if hops else "Internet"


def _reach(res: Resource, ctx: Context, besides_own_endpoint: bool = False) -> tuple[str, list[str], str]:
    graph = graph_of(ctx.inventory, ctx.params["allowed_ranges"])
    reach = graph.reach(res.id, besides_own_endpoint=besides_own_endpoint)
    hops = graph.describe(reach.path) if reach.path else []
    if len(hops) > 1:  # one hop is all in the message
        res.note("path", hops)
    return reach.cls, hops, reach.reason


@check(
    id="network.waf-fronts-http",
    title="Internet-facing HTTP workloads are reached only through a WAF in Prevention mode",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP, SITE, APIM],
    reads=GRAPH_READS,
    params={"allowed_ranges": ALLOWED_RANGES},
    rationale=(
        "The guide makes Application Gateway with WAF the ingress point for all HTTP and WebSocket traffic. "
        "A WAF somewhere in the subscription protects nothing that the internet can reach around it: every "
        "way in to each workload (public ingress, a gateway's backend pool, a Front Door origin) must cross "
        "a WAF in Prevention mode."
    ),
    remediation=Remediation(
        text="Route the workload's public hostname through Application Gateway WAF_v2 (or Front Door Premium) in "
        "Prevention mode, and close its own public endpoint (internal environment, access restrictions, "
        "publicNetworkAccess Disabled).",
        az="az containerapp ingress access-restriction set --name {name} --resource-group {resourceGroup} "
        "--rule-name allow-appgw --ip-address <gateway-subnet> --action Allow",
        bicep="resource agw 'Microsoft.Network/applicationGateways@2024-05-01' = {\n  properties: {\n"
        "    sku: { name: 'WAF_v2', tier: 'WAF_v2' }\n    firewallPolicy: { id: wafPolicy.id }\n  }\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/application-gateway/overview",
        "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
        "https://learn.microsoft.com/azure/frontdoor/web-application-firewall",
    ],
)
def waf_fronts_http(res: Resource, ctx: Context) -> Verdict:
    cls, hops, reason = _reach(res, ctx)
    if cls == "private":
        return not_applicable("not reachable from the internet")
    return _judged(cls, hops, reason, "every internet path through a WAF in Prevention")


def _judged(cls: str, hops: list[str], reason: str, expected: str) -> Verdict:
    """The verdict for a node that the internet may reach: fail unless every way in crosses a WAF
    that blocks; not assessed while a hop is unknown."""
    path = _path_text(hops)
    if cls == "not_assessed":
        return not_assessed(f"the ways in from the internet cannot all be resolved: {reason}")
    if cls == "around":
        return failed(f"no WAF on the path from the internet: {path}", expected=expected)
    if cls == "weak":
        return failed(
            f"reachable from the internet only through a WAF that does not block (Detection mode or rules "
            f"switched off): {path}",
            expected=expected,
        )
    if cls == "waf":
        return passed(f"every path from the internet crosses a WAF in Prevention mode: {path}", expected=expected)
    return passed("no path from the internet reaches it (private only)", expected=expected)


@check(
    id="exposure.path-around-waf",
    title="No data or AI service is reachable from the internet without a WAF on the path",
    severity=Severity.CRITICAL,
    area=Area.NETWORK,
    checklist="waf",
    types=DATA_TYPES,
    reads=GRAPH_READS,
    params={"allowed_ranges": ALLOWED_RANGES},
    rationale=(
        "The guide keeps Redis, Cosmos DB, Azure OpenAI, Speech and Key Vault behind private endpoints, reached "
        "only by the apps behind the gateway. A path from the internet that crosses no WAF in Prevention mode "
        "(a public app that names it, an external API Management gateway in front of it) lets an attacker "
        "reach the data with nothing to stop an injection or a flood. The service's own public endpoint is the "
        "same hole as its public-access finding (network.*.public-access, or exposure.*.public-with-keys when "
        "keys work too), so it is reported there once and this check judges the other ways in."
    ),
    remediation=Remediation(
        text="Close the hop that is reachable from the internet: disable the service's public network access "
        "and use a private endpoint, put the app or API Management gateway that calls it behind the WAF, or "
        "switch the WAF on the path to Prevention mode.",
        az="az resource update --ids {id} --set properties.publicNetworkAccess=Disabled",
        bicep="properties: {\n  publicNetworkAccess: 'Disabled'\n}",
    ),
    refs=[EXPOSURE_DOC, "https://learn.microsoft.com/azure/private-link/private-endpoint-overview"],
)
def path_around_waf(res: Resource, ctx: Context) -> Verdict:
    expected = "no internet path, or each through a WAF in Prevention"
    graph = graph_of(ctx.inventory, ctx.params["allowed_ranges"])
    # Its own public endpoint is one hole, counted once by the service's public-access check (or the
    # compound finding when keys also work, docs/severity.md); here only the other ways in are judged.
    own_endpoint = graph.has_own_endpoint(res.id)
    cls, hops, reason = _reach(res, ctx, besides_own_endpoint=own_endpoint)
    if own_endpoint and cls in ("private", "waf"):
        own = _own_endpoint_check(res)
        return Verdict(
            Status.NOT_APPLICABLE,
            f"only its own public endpoint bypasses the WAF: reported once, by {own}",
            (Observation("reportedAs", own),),
        )
    verdict = _judged(cls, hops, reason, expected)
    opaque = graph.opaque_ways_around() if verdict.status is Status.PASS else []
    if opaque:
        # No path found, but a workload open to the internet hides where it connects.
        shown = "; ".join(f"{name} ({why})" for name, why in opaque[:3])
        more = f" and {len(opaque) - 3} more" if len(opaque) > 3 else ""
        return not_assessed(
            f"no known path from the internet, but workloads reachable around the WAF hide where they "
            f"connect: {shown}{more}"
        )
    return verdict


def _own_endpoint_check(res: Resource) -> str:
    """The finding that holds the service's public endpoint: the compound one when keys work too."""
    key = next(s.key for s in SERVICES if s.rtype.lower() == res.type.lower())
    if accepts_keys_too(res, key):
        return compound_id(key)
    return f"network.{key}.public-access"


def _gateway_subnets(ctx: Context) -> list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """The address prefixes of the subnets the subscription's gateways live in: Application Gateways,
    and API Management injected into the VNet (a gateway that calls the apps too)."""
    out = []
    for service in ctx.resources(APIM):
        subnet_id = service.get("properties.virtualNetworkConfiguration.subnetResourceId", default="", expect=str)
        if subnet_id and service.get("properties.virtualNetworkType", default="None", expect=str).lower() != "none":
            out += [(service.name, _network(p)) for p in _subnet_prefixes(subnet_id, ctx)]
    for gateway in ctx.resources(GATEWAY):
        for config in gateway.get("properties.gatewayIPConfigurations", default=[], expect=list):
            props = config.get("properties") if isinstance(config, dict) else None
            subnet = props.get("subnet") if isinstance(props, dict) else None
            subnet_id = subnet.get("id") if isinstance(subnet, dict) else None
            if not isinstance(subnet_id, str):
                raise DataError(f"{gateway.name}: a gatewayIPConfiguration names no subnet")
            out += [(gateway.name, _network(p)) for p in _subnet_prefixes(subnet_id, ctx)]
    return out


def _subnet_prefixes(subnet_id: str, ctx: Context) -> list[str]:
    vnet_id = subnet_id.rsplit("/subnets/", 1)[0]
    vnet = ctx.get(vnet_id)
    if vnet is None:
        raise DataError(f"the gateway's virtual network {vnet_id} is not in the snapshot")
    for subnet in vnet.get("properties.subnets", default=[], expect=list):
        if isinstance(subnet, dict) and str(subnet.get("id", "")).lower().rstrip("/") == subnet_id.lower().rstrip("/"):
            props = subnet.get("properties")
            listed = props.get("addressPrefixes") if isinstance(props, dict) else None
            if not isinstance(props, dict) or not isinstance(listed, list | None):
                raise DataError(f"the gateway subnet {subnet_id.rsplit('/', 1)[-1]} has properties of an odd shape")
            prefixes = ([props["addressPrefix"]] if isinstance(props.get("addressPrefix"), str) else []) + [
                p for p in listed or [] if isinstance(p, str)
            ]
            if prefixes:
                return prefixes
    raise DataError(f"the address prefix of the gateway subnet {subnet_id.rsplit('/', 1)[-1]} is not in the snapshot")


@check(
    id="exposure.vnet-ingress-around-gateway",
    title="Container apps with external ingress in an internal environment admit only the gateways' subnets",
    severity=Severity.MEDIUM,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP],
    reads=[ENVIRONMENT, GATEWAY, APIM, VNET],
    rationale=(
        "External ingress in an internal environment is not on the internet, but every address in the VNet and "
        "its peered networks (and on-premises over VPN or ExpressRoute) reaches the app directly, around the "
        "gateway's WAF and TLS policy. An IP allow-list limited to the subnets of the Application Gateway (and of "
        "an API Management instance injected into the VNet) closes it."
    ),
    remediation=Remediation(
        text="Allow only the Application Gateway subnet (and a VNet-injected API Management's subnet) in the app's "
        "ingress IP restrictions, or make the "
        "ingress internal if only apps in the environment call it.",
        az="az containerapp ingress access-restriction set --name {name} --resource-group {resourceGroup} "
        "--rule-name allow-appgw --ip-address <gateway-subnet-prefix> --action Allow",
        bicep="ingress: {\n  external: true\n  ipSecurityRestrictions: [\n    { name: 'allow-appgw', "
        "ipAddressRange: appGwSubnetPrefix, action: 'Allow' }\n  ]\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/container-apps/networking",
        "https://learn.microsoft.com/azure/container-apps/ip-restrictions",
    ],
)
def vnet_ingress_around_gateway(app: Resource, ctx: Context) -> Verdict:
    # ARM always returns configuration; without it the snapshot is incomplete, not ingress-free.
    # (has() reads without recording the whole object as evidence.)
    if not app.has("properties.configuration"):
        raise DataError("properties.configuration is not in the snapshot")
    if not app.has("properties.configuration.ingress"):
        return not_applicable("the app has no ingress")
    if not app.get("properties.configuration.ingress.external", default=False, expect=bool):
        return not_applicable("ingress is internal to the environment")
    env_id = app.get("properties.managedEnvironmentId", default="", expect=str) or app.get(
        "properties.environmentId", default="", expect=str
    )
    env = ctx.get(env_id) if env_id else None
    if env is None:
        raise DataError("the app's environment is not in the snapshot, so its load balancer cannot be judged")
    if not env.get(
        "properties.vnetConfiguration.internal",
        default=False,
        expect=bool,
        parent_optional="properties.vnetConfiguration",  # an environment outside any VNet has none
    ):
        # Short evidence for a verdict that judges nothing: the message says why.
        return Verdict(Status.NOT_APPLICABLE, "a public environment: aca.ingress-not-public judges it", (
            Observation("environment.properties.vnetConfiguration.internal", False),
        ))
    rules = app.get("properties.configuration.ingress.ipSecurityRestrictions", default=[], expect=list)
    expected = "an IP allow-list limited to the Application Gateway subnet"
    if not rules:
        return failed(
            "external ingress in an internal environment with no IP allow-list: the whole VNet and its peers reach "
            "the app around the gateway",
            expected=expected,
        )
    subnets = _gateway_subnets(ctx)
    accepted, rejected = [], []
    for rule in rules:
        action = rule.get("action") if isinstance(rule, dict) else None
        text = rule.get("ipAddressRange") if isinstance(rule, dict) else None
        if not isinstance(action, str) or not isinstance(text, str):
            raise DataError("an ipSecurityRestrictions entry lacks an action or ipAddressRange string")
        network = _network(text)
        gateway = next((name for name, prefix in subnets if _within(network, prefix)), None)
        if action.lower() == "allow" and gateway:
            accepted.append(f"{text} (subnet of {gateway})")
        else:
            rejected.append(f"{action} {text}")
    app.note("ipSecurityRestrictions.accepted", accepted)
    app.note("ipSecurityRestrictions.rejected", rejected)
    if rejected:
        return failed(
            f"the allow-list admits more than the gateway subnet: {', '.join(rejected)}; those callers reach the app "
            "around the gateway",
            expected=expected,
        )
    return passed(f"external ingress admits only {', '.join(accepted)}", expected=expected)
