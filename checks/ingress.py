"""Container Apps ingress: the guide's "direct container access" gap.

In production, callers reach the apps through the Application Gateway; the Container Apps
environment lives in the VNet with an internal load balancer. An app whose ingress is external in a
public environment passes only when every IP security restriction is an Allow rule for a private
range (the gateway subnet), the public address of an Application Gateway in the subscription (the
source address a gateway outside the environment's network presents), or a range the team lists in
the `allowed_ranges` param; a Deny rule, or no rule at all, admits the internet.
"""

from __future__ import annotations

import ipaddress

from auditor.checks.network import PRIVATE_ENDPOINT, approved_private_endpoint

from auditor.api import Area, DataError, Param, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context

APP = "Microsoft.App/containerApps"
ENVIRONMENT = "Microsoft.App/managedEnvironments"
GATEWAY = "Microsoft.Network/applicationGateways"
PUBLIC_IP = "Microsoft.Network/publicIPAddresses"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: RFC 1918: traffic from these reaches a public environment only through the VNet (the gateway subnet).
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
ACA_NETWORKING = "https://learn.microsoft.com/azure/container-apps/networking"


@check(
    id="aca.environment-internal",
    title="Container Apps environment is VNet-integrated with an internal load balancer",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[ENVIRONMENT],
    reads=[PRIVATE_ENDPOINT],
    rationale=(
        "An environment without a VNet gets a public static IP, so every app with external ingress is on the "
        "internet. The guide places Container Apps in the private VNet behind the Application Gateway."
    ),
    remediation=Remediation(
        text="Recreate the environment in a delegated subnet of the VNet with internal load balancing "
        "(the VNet cannot be added to an existing environment).",
        az="az containerapp env create --name {name} --resource-group {resourceGroup} "
        "--infrastructure-subnet-resource-id <subnet-id> --internal-only true",
        bicep="properties: {\n  vnetConfiguration: {\n"
        "    infrastructureSubnetId: acaSubnetId\n    internal: true\n  }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/vnet-custom", ACA_NETWORKING],
)
def environment_internal(env: Resource, ctx: Context) -> Verdict:
    # publicNetworkAccess is returned from api-version 2024-10-02-preview on (the collector reads 2025-07-01).
    access = env.get("properties.publicNetworkAccess", default="Enabled", expect=str)
    if access.lower() == "disabled":
        approved = approved_private_endpoint(env, ctx)
        if approved:
            return passed(f"publicNetworkAccess is Disabled and {approved}", expected="no public endpoint")
    # An environment created outside any VNet has no vnetConfiguration at all.
    subnet = env.get(
        "properties.vnetConfiguration.infrastructureSubnetId",
        default="",
        expect=str,
        parent_optional="properties.vnetConfiguration",
    )
    if not subnet:
        return failed("the environment is not integrated with a VNet", expected="a VNet with internal: true")
    internal = env.get("properties.vnetConfiguration.internal", default=False, expect=bool)
    if not internal:
        return failed("the environment is in a VNet but has a public load balancer", expected="internal: true")
    return passed("the environment is VNet-integrated and internal", expected="a VNet with internal: true")


def environment_id(app: Resource) -> str:
    """The app's environment: managedEnvironmentId, environmentId, or the older kubeEnvironmentId."""
    for path in ("properties.managedEnvironmentId", "properties.environmentId", "properties.kubeEnvironmentId"):
        value = app.get(path, default="", expect=str) if app.has(path) else ""
        if value:
            return value
    return ""


def _environment_private(app: Resource, ctx: Context) -> str | None:
    """Why the app's environment keeps external ingress off the internet, or None when it does not."""
    env_id = environment_id(app)
    if not env_id:
        raise DataError("the app names no managedEnvironmentId, so its environment cannot be judged")
    env = ctx.get(env_id)
    if env is None:
        raise DataError(f"the environment {env_id} is not in the snapshot")
    internal = env.get(
        "properties.vnetConfiguration.internal",
        default=False,
        expect=bool,
        parent_optional="properties.vnetConfiguration",
    )
    # Newer api-versions let an environment switch its public endpoint off and take private endpoints.
    access = env.get("properties.publicNetworkAccess", default="Enabled", expect=str)
    app.note("environment.properties.vnetConfiguration.internal", internal)
    if internal:
        return "the environment has an internal load balancer"
    if access.lower() == "disabled":
        return "the environment's publicNetworkAccess is Disabled"
    return None


def _gateway_egress(ctx: Context) -> list[tuple[str, Network]]:
    """The public addresses of the subscription's Application Gateways: the source address the
    backend sees when a gateway reaches an app in a public environment."""
    out: list[tuple[str, Network]] = []
    for gateway in ctx.resources(GATEWAY):
        for frontend in gateway.get("properties.frontendIPConfigurations", default=[], expect=list):
            props = frontend.get("properties") if isinstance(frontend, dict) else None
            ref = props.get("publicIPAddress") if isinstance(props, dict) else None
            pip_id = ref.get("id") if isinstance(ref, dict) else None
            if not isinstance(pip_id, str):
                continue
            pip = ctx.get(pip_id)
            address = pip.get("properties.ipAddress", default="", expect=str) if pip is not None else ""
            if address:
                out.append((gateway.name, _network(address)))
    return out


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise DataError(f"ipAddressRange {text!r} is not an IP address or CIDR range") from None


def _restrictions(app: Resource, ctx: Context) -> tuple[list[str], list[str]]:
    """Split the allow-list into accepted and unaccepted ranges. A Deny rule (rules are all Allow or
    all Deny) means everything else is admitted, so it never restricts."""
    rules = app.get("properties.configuration.ingress.ipSecurityRestrictions", default=[], expect=list)
    accepted: list[str] = []
    rejected: list[str] = []
    configured = ctx.params["allowed_ranges"]
    extra = [_network(str(r)) for r in ([configured] if isinstance(configured, str) else configured)]
    egress: list[tuple[str, Network]] | None = None
    for rule in rules:
        action = rule.get("action") if isinstance(rule, dict) else None
        text = rule.get("ipAddressRange") if isinstance(rule, dict) else None
        if not isinstance(action, str) or not isinstance(text, str):
            raise DataError("an ipSecurityRestrictions entry lacks an action or ipAddressRange string")
        if action.lower() != "allow":
            rejected.append(f"{action} {text}")
            continue
        network = _network(text)
        if any(_within(network, r) for r in (*PRIVATE_RANGES, *extra)):
            accepted.append(text)
            continue
        if egress is None:
            egress = _gateway_egress(ctx)
        gateway = next((name for name, address in egress if _within(network, address)), None)
        if gateway:
            accepted.append(f"{text} (Application Gateway {gateway})")
        else:
            rejected.append(text)
    return accepted, rejected


def _within(inner: Network, outer: Network) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _has_ingress(app: Resource) -> bool:
    """ARM always returns `configuration`; without it the snapshot is incomplete, not ingress-free."""
    app.get("properties.configuration", expect=dict)
    present = app.has("properties.configuration.ingress")
    if not present:
        app.note("properties.configuration.ingress", None)
    return present


@check(
    id="aca.ingress-not-public",
    title="Container apps are not reachable directly from the internet",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP],
    reads=[ENVIRONMENT, GATEWAY, PUBLIC_IP],
    params={
        "allowed_ranges": Param(
            [],
            "CIDR ranges, besides private ranges and the Application Gateways' public addresses, that an "
            "external ingress may admit (for example a front door's egress ranges).",
        )
    },
    rationale=(
        "An app with external ingress in a public environment bypasses the WAF, the rate limits and the TLS "
        "policy of the gateway: the guide's 'direct container access'. External ingress is acceptable in an "
        "internal environment, or when its IP security restrictions are Allow rules that admit only private "
        "ranges (the gateway subnet), the public address of an Application Gateway in the subscription, or "
        "ranges listed in allowed_ranges."
    ),
    remediation=Remediation(
        text="Move the app to an internal environment behind the Application Gateway, or allow only the "
        "gateway in its ingress IP restrictions.",
        az="az containerapp ingress access-restriction set --name {name} --resource-group {resourceGroup} "
        "--rule-name allow-appgw --ip-address <gateway-subnet-or-address> --action Allow",
        bicep="ingress: {\n  external: true\n  ipSecurityRestrictions: [\n    { name: 'allow-appgw', "
        "ipAddressRange: appGwSubnetPrefix, action: 'Allow' }\n  ]\n}",
    ),
    refs=[ACA_NETWORKING, "https://learn.microsoft.com/azure/container-apps/ip-restrictions"],
)
def ingress_not_public(app: Resource, ctx: Context) -> Verdict:
    if not _has_ingress(app):
        return passed("the app has no ingress", expected="no public ingress")
    external = app.get("properties.configuration.ingress.external", default=False, expect=bool)
    if not external:
        return passed("ingress is internal to the environment", expected="no public ingress")
    private = _environment_private(app, ctx)
    if private:
        return passed(f"external ingress, but {private}", expected="no public ingress")
    accepted, rejected = _restrictions(app, ctx)
    app.note("ipSecurityRestrictions.accepted", accepted)
    app.note("ipSecurityRestrictions.rejected", rejected)
    if accepted and not rejected:
        return passed(
            f"external ingress admits only {', '.join(accepted)}",
            expected="internal environment, or an allow-list limited to the gateway",
        )
    reason = f"rules that admit more: {', '.join(rejected)}" if rejected else "no IP allow-list"
    return failed(
        f"external ingress in a public environment with {reason}: callers reach the app directly",
        expected="internal environment, or an allow-list limited to the gateway",
    )


@check(
    id="aca.ingress-https-only",
    title="Container app ingress refuses plain HTTP",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP],
    rationale="With allowInsecure, HTTP requests are served instead of redirected to HTTPS, exposing tokens "
    "and call metadata in clear text.",
    remediation=Remediation(
        text="Set allowInsecure to false.",
        az="az containerapp ingress update --name {name} --resource-group {resourceGroup} --allow-insecure false",
        bicep="ingress: {\n  allowInsecure: false\n}",
    ),
    refs=[ACA_NETWORKING],
)
def ingress_https_only(app: Resource, ctx: Context) -> Verdict:
    if not _has_ingress(app):
        return passed("the app has no ingress", expected="allowInsecure false")
    insecure = app.get("properties.configuration.ingress.allowInsecure", default=False, expect=bool)
    if insecure:
        return failed("allowInsecure is true: plain HTTP is served", expected=False)
    return passed("plain HTTP is redirected to HTTPS", expected=False)
