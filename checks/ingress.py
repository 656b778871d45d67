"""Container Apps ingress: the guide's "direct container access" gap.

In production, callers reach the apps through the Application Gateway; the Container Apps
environment lives in the VNet with an internal load balancer, and an app whose ingress is
external must at least be limited to the gateway by IP security restrictions.
"""

from __future__ import annotations

import ipaddress

from auditor.api import Area, DataError, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context

APP = "Microsoft.App/containerApps"
ENVIRONMENT = "Microsoft.App/managedEnvironments"
ACA_NETWORKING = "https://learn.microsoft.com/azure/container-apps/networking"


@check(
    id="aca.environment-internal",
    title="Container Apps environment is VNet-integrated with an internal load balancer",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="private-endpoints",
    types=[ENVIRONMENT],
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
    subnet = env.get("properties.vnetConfiguration.infrastructureSubnetId", default="", expect=str)
    if not subnet:
        return failed("the environment is not integrated with a VNet", expected="a VNet with internal: true")
    internal = env.get("properties.vnetConfiguration.internal", default=False, expect=bool)
    if not internal:
        return failed("the environment is in a VNet but has a public load balancer", expected="internal: true")
    return passed("the environment is VNet-integrated and internal", expected="a VNet with internal: true")


def _environment_is_internal(app: Resource, ctx: Context) -> bool | None:
    env_id = app.get("properties.managedEnvironmentId", default="", expect=str) or app.get(
        "properties.environmentId", default="", expect=str
    )
    if not env_id:
        return None
    env = ctx.get(env_id)
    if env is None:
        raise DataError(f"the environment {env_id} is not in the snapshot")
    internal = env.get("properties.vnetConfiguration.internal", default=False, expect=bool)
    app.note("environment.properties.vnetConfiguration.internal", internal)
    return internal


@check(
    id="aca.ingress-not-public",
    title="Container apps are not reachable directly from the internet",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP],
    reads=[ENVIRONMENT],
    rationale=(
        "An app with external ingress in a public environment bypasses the WAF, the rate limits and the TLS "
        "policy of the gateway: the guide's 'direct container access'. External ingress is acceptable in an "
        "internal environment, or when IP security restrictions allow only listed ranges (the gateway subnet)."
    ),
    remediation=Remediation(
        text="Move the app to an internal environment behind the Application Gateway, or allow only the "
        "gateway subnet in its ingress IP restrictions.",
        az="az containerapp ingress access-restriction set --name {name} --resource-group {resourceGroup} "
        "--rule-name allow-appgw --ip-address 10.20.1.0/24 --action Allow",
        bicep="ingress: {\n  external: true\n  ipSecurityRestrictions: [\n    { name: 'allow-appgw', "
        "ipAddressRange: appGwSubnetPrefix, action: 'Allow' }\n  ]\n}",
    ),
    refs=[ACA_NETWORKING, "https://learn.microsoft.com/azure/container-apps/ip-restrictions"],
)
def ingress_not_public(app: Resource, ctx: Context) -> Verdict:
    if not app.has("properties.configuration.ingress"):
        app.note("properties.configuration.ingress", None)
        return passed("the app has no ingress", expected="no public ingress")
    external = app.get("properties.configuration.ingress.external", default=False, expect=bool)
    if not external:
        return passed("ingress is internal to the environment", expected="no public ingress")
    if _environment_is_internal(app, ctx):
        return passed("external ingress, but the environment is internal to the VNet", expected="no public ingress")
    rules = app.get("properties.configuration.ingress.ipSecurityRestrictions", default=[], expect=list)
    allowed = [_allowed_range(rule) for rule in rules]
    if rules and all(r is not None and r.is_private for r in allowed):
        return passed(
            f"external ingress limited to {len(rules)} private range(s) (the gateway's subnet)",
            expected="no public ingress",
        )
    if rules:
        public = [str(r) for r in allowed if r is not None and not r.is_private]
        detail = f"public range(s) {', '.join(public)}" if public else "deny rules, which leave everyone else in"
        return failed(
            f"external ingress in a public environment allows {detail}",
            expected="internal environment, or an allow-list of the gateway's private subnet",
        )
    return failed(
        "external ingress in a public environment with no allow-list: callers reach the app directly",
        expected="internal environment, or an allow-list limited to the gateway",
    )


def _allowed_range(rule: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network an Allow rule admits; None for a Deny rule. A malformed range is odd data."""
    if not isinstance(rule, dict):
        raise DataError("an ipSecurityRestrictions entry is not an object")
    if str(rule.get("action", "")).lower() != "allow":
        return None
    try:
        return ipaddress.ip_network(str(rule.get("ipAddressRange", "")), strict=False)
    except ValueError:
        raise DataError(f"ipAddressRange {rule.get('ipAddressRange')!r} is not an IP range") from None


@check(
    id="aca.ingress-https-only",
    title="Container app ingress refuses plain HTTP",
    severity=Severity.MEDIUM,
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
    if not app.has("properties.configuration.ingress"):
        app.note("properties.configuration.ingress", None)
        return passed("the app has no ingress", expected="allowInsecure false")
    insecure = app.get("properties.configuration.ingress.allowInsecure", default=False, expect=bool)
    if insecure:
        return failed("allowInsecure is true: plain HTTP is served", expected=False)
    return passed("plain HTTP is redirected to HTTPS", expected=False)
