"""Ingress and WAF: Application Gateway (or Front Door Premium) in front of every HTTP entry point,
its WAF in Prevention mode with a current rule set, TLS 1.2, HTTPS only, probes, capacity, zones.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.api import (
    Area,
    DataError,
    Param,
    Remediation,
    Resource,
    Severity,
    Verdict,
    at_least,
    check,
    failed,
    not_applicable,
    passed,
)
from auditor.inventory import Context

GATEWAY = "Microsoft.Network/applicationGateways"
WAF_POLICY = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
FRONT_DOOR = "Microsoft.Cdn/profiles"
FD_SECURITY_POLICY = "Microsoft.Cdn/profiles/securityPolicies"
FD_WAF_POLICY = "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies"
APP = "Microsoft.App/containerApps"
SITE = "Microsoft.Web/sites"
APIM = "Microsoft.ApiManagement/service"
WAF_DOC = "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview"
APPGW_DOC = "https://learn.microsoft.com/azure/application-gateway/overview"

#: The oldest managed rule set versions the guide's threat model accepts.
MINIMUM_RULE_SETS = {"owasp": (3, 2), "microsoft_defaultruleset": (2, 1)}
#: Predefined TLS policies and the lowest protocol each accepts.
PREDEFINED_TLS = {
    "appgwsslpolicy20150501": "TLSv1_0",
    "appgwsslpolicy20170401": "TLSv1_1",
    "appgwsslpolicy20170401s": "TLSv1_2",
    "appgwsslpolicy20220101": "TLSv1_2",
    "appgwsslpolicy20220101s": "TLSv1_2",
}


@dataclass(frozen=True)
class WafConfig:
    source: str
    enabled: bool
    mode: str
    rule_sets: tuple[tuple[str, str], ...]
    disabled_rules: int
    exclusions: int


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        raise DataError(f"rule set version {text!r} is not a version number") from None


def waf_config(gateway: Resource, ctx: Context) -> WafConfig | None:
    """The WAF that protects the gateway: its linked policy, else the legacy inline configuration."""
    policy_id = gateway.get("properties.firewallPolicy.id", default="", expect=str)
    if policy_id:
        policy = ctx.get(policy_id)
        if policy is None:
            raise DataError(f"the WAF policy {policy_id} is not in the snapshot")
        settings_state = policy.get("properties.policySettings.state", default="Disabled", expect=str)
        mode = policy.get("properties.policySettings.mode", default="Detection", expect=str)
        sets = policy.get("properties.managedRules.managedRuleSets", default=[], expect=list)
        rule_sets, disabled = [], 0
        for entry in sets:
            if not isinstance(entry, dict):
                raise DataError("a managed rule set is not an object")
            rule_sets.append((str(entry.get("ruleSetType", "")), str(entry.get("ruleSetVersion", ""))))
            for group in entry.get("ruleGroupOverrides") or []:
                for rule in group.get("rules") or []:
                    if str(rule.get("state", "")).lower() == "disabled":
                        disabled += 1
        exclusions = policy.get("properties.managedRules.exclusions", default=[], expect=list)
        gateway.note("firewallPolicy", policy.id)
        return WafConfig(
            "policy", settings_state.lower() == "enabled", mode, tuple(rule_sets), disabled, len(exclusions)
        )
    if gateway.has("properties.webApplicationFirewallConfiguration"):
        prefix = "properties.webApplicationFirewallConfiguration"
        enabled = gateway.get(f"{prefix}.enabled", default=False, expect=bool)
        mode = gateway.get(f"{prefix}.firewallMode", default="Detection", expect=str)
        rule_set = (
            gateway.get(f"{prefix}.ruleSetType", default="OWASP", expect=str),
            gateway.get(f"{prefix}.ruleSetVersion", default="", expect=str),
        )
        groups = gateway.get(f"{prefix}.disabledRuleGroups", default=[], expect=list)
        exclusions = gateway.get(f"{prefix}.exclusions", default=[], expect=list)
        return WafConfig("legacy", enabled, mode, (rule_set,), len(groups), len(exclusions))
    return None


def _is_waf_sku(gateway: Resource) -> bool:
    return gateway.get("properties.sku.tier", default="", expect=str).lower() == "waf_v2"


@check(
    id="appgw.waf-prevention",
    title="Application Gateway runs an enabled WAF in Prevention mode",
    severity=Severity.CRITICAL,
    area=Area.NETWORK,
    checklist="waf",
    types=[GATEWAY],
    reads=[WAF_POLICY],
    rationale=(
        "The gateway is the only door from the internet. A WAF in Detection mode logs an injection attempt "
        "and forwards it anyway; a Standard_v2 SKU has no WAF at all."
    ),
    remediation=Remediation(
        text="Use the WAF_v2 SKU with a WAF policy whose state is Enabled and mode Prevention.",
        az="az network application-gateway waf-policy policy-setting update --policy-name <policy> "
        "--resource-group {resourceGroup} --state Enabled --mode Prevention",
        bicep="resource waf 'Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01' = {\n"
        "  properties: {\n    policySettings: { state: 'Enabled', mode: 'Prevention' }\n  }\n}",
    ),
    refs=[WAF_DOC, "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview"],
)
def waf_prevention(gateway: Resource, ctx: Context) -> Verdict:
    if not _is_waf_sku(gateway):
        return failed("the gateway's SKU tier has no WAF", expected="WAF_v2 with an enabled WAF in Prevention")
    waf = waf_config(gateway, ctx)
    if waf is None:
        return failed("WAF_v2 SKU but no WAF policy is linked", expected="an enabled WAF policy in Prevention")
    if not waf.enabled:
        return failed("the WAF is disabled", expected="Enabled, Prevention")
    if waf.mode.lower() != "prevention":
        return failed(f"the WAF is in {waf.mode} mode: attacks are logged, not blocked", expected="Prevention")
    return passed("the WAF is enabled in Prevention mode", expected="Enabled, Prevention")


@check(
    id="appgw.waf-rule-set",
    title="Application Gateway WAF uses a current managed rule set, none of it switched off",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[GATEWAY],
    reads=[WAF_POLICY],
    params={
        "allow_exclusions": Param(False, "Accept rule exclusions and disabled rules (after a documented review)."),
    },
    rationale=(
        "Rule sets older than OWASP CRS 3.2 or the Microsoft Default Rule Set 2.1 miss current attack "
        "signatures and the anomaly-scoring engine; each disabled rule or exclusion is a hole someone must own."
    ),
    remediation=Remediation(
        text="Use OWASP 3.2 or Microsoft_DefaultRuleSet 2.1 or newer; remove rule overrides and exclusions, "
        "or accept them explicitly with allow_exclusions.",
        az="az network application-gateway waf-policy managed-rule rule-set update --policy-name <policy> "
        "--resource-group {resourceGroup} --type Microsoft_DefaultRuleSet --version 2.1",
        bicep="managedRules: {\n  managedRuleSets: [\n    { ruleSetType: 'Microsoft_DefaultRuleSet', "
        "ruleSetVersion: '2.1' }\n  ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules"],
)
def waf_rule_set(gateway: Resource, ctx: Context) -> Verdict:
    waf = waf_config(gateway, ctx) if _is_waf_sku(gateway) else None
    if waf is None:
        return not_applicable("the gateway has no WAF (reported by appgw.waf-prevention)")
    gateway.note("managedRuleSets", [f"{t} {v}" for t, v in waf.rule_sets])
    current = [
        (t, v)
        for t, v in waf.rule_sets
        if t.lower() in MINIMUM_RULE_SETS and _version(v) >= MINIMUM_RULE_SETS[t.lower()]
    ]
    if not current:
        found = ", ".join(f"{t} {v}" for t, v in waf.rule_sets) or "none"
        return failed(
            f"no current managed rule set ({found})", expected="OWASP >= 3.2 or Microsoft_DefaultRuleSet >= 2.1"
        )
    if (waf.disabled_rules or waf.exclusions) and not ctx.params["allow_exclusions"]:
        return failed(
            f"{waf.disabled_rules} disabled rule(s) or rule group(s) and {waf.exclusions} exclusion(s)",
            expected="no disabled rules or exclusions",
        )
    return passed(f"managed rule set {current[0][0]} {current[0][1]}", expected="OWASP >= 3.2 or DRS >= 2.1")


def _http_entry_points(ctx: Context) -> list[str]:
    """Names of internet-reachable HTTP workloads that a WAF should front."""
    names = []
    for app in ctx.resources(APP):
        if app.get("properties.configuration.ingress.external", default=False, expect=bool):
            names.append(app.name)
    for site in ctx.resources(SITE):
        if site.get("properties.publicNetworkAccess", default="Enabled", expect=str).lower() != "disabled":
            names.append(site.name)
    for service in ctx.resources(APIM):
        if service.get("properties.virtualNetworkType", default="None", expect=str).lower() != "internal":
            names.append(service.name)
    return names


def _front_door_waf(ctx: Context) -> str | None:
    for profile in ctx.resources(FRONT_DOOR):
        if profile.get("sku.name", default="", expect=str).lower() != "premium_azurefrontdoor":
            continue
        for policy_link in ctx.children(profile, FD_SECURITY_POLICY):
            waf_id = policy_link.get("properties.parameters.wafPolicy.id", default="", expect=str)
            waf = ctx.get(waf_id) if waf_id else None
            if waf is None:
                continue
            enabled = waf.get("properties.policySettings.enabledState", default="Disabled", expect=str)
            mode = waf.get("properties.policySettings.mode", default="Detection", expect=str)
            if enabled.lower() == "enabled" and mode.lower() == "prevention":
                return profile.name
    return None


@check(
    id="network.waf-fronts-http",
    title="Internet-facing HTTP traffic enters through a WAF",
    severity=Severity.CRITICAL,
    area=Area.NETWORK,
    checklist="waf",
    types=[APP, SITE, APIM],
    reads=[GATEWAY, WAF_POLICY, FRONT_DOOR, FD_SECURITY_POLICY, FD_WAF_POLICY],
    scope="subscription",
    rationale=(
        "The guide makes Application Gateway with WAF the ingress point for all HTTP and WebSocket traffic. "
        "A subscription that serves HTTP workloads with no WAF-enabled Application Gateway or Front Door "
        "Premium exposes them to the internet unfiltered."
    ),
    remediation=Remediation(
        text="Deploy Application Gateway WAF_v2 (or Front Door Premium with a WAF policy) in Prevention mode "
        "and route every public hostname through it.",
        az="az network application-gateway create --name agw-{resourceGroup} --resource-group {resourceGroup} "
        "--sku WAF_v2 --min-capacity 2 --zones 1 2 3 --waf-policy <policy-id> ...",
        bicep="resource agw 'Microsoft.Network/applicationGateways@2024-05-01' = {\n  properties: {\n"
        "    sku: { name: 'WAF_v2', tier: 'WAF_v2' }\n    firewallPolicy: { id: wafPolicy.id }\n  }\n}",
    ),
    refs=[APPGW_DOC, WAF_DOC, "https://learn.microsoft.com/azure/frontdoor/web-application-firewall"],
)
def waf_fronts_http(subscription: Resource, ctx: Context) -> Verdict:
    entry_points = _http_entry_points(ctx)
    subscription.note("internetFacingHttpWorkloads", entry_points)
    if not entry_points:
        return not_applicable("no internet-facing HTTP workload in this subscription")
    for gateway in ctx.resources(GATEWAY):
        if not _is_waf_sku(gateway):
            continue
        waf = waf_config(gateway, ctx)
        if waf is not None and waf.enabled and waf.mode.lower() == "prevention":
            subscription.note("wafGateway", gateway.id)
            return passed(f"Application Gateway {gateway.name} runs a WAF in Prevention mode", expected="a WAF gateway")
    front_door = _front_door_waf(ctx)
    if front_door:
        subscription.note("wafFrontDoor", front_door)
        return passed(f"Front Door Premium {front_door} runs a WAF in Prevention mode", expected="a WAF gateway")
    return failed(
        f"{len(entry_points)} internet-facing HTTP workload(s) and no WAF in Prevention mode in front of them",
        expected="Application Gateway WAF_v2 or Front Door Premium with a WAF policy in Prevention",
    )


def _min_tls(gateway: Resource) -> str:
    if not gateway.has("properties.sslPolicy"):
        raise DataError(
            "properties.sslPolicy is absent: the default TLS policy depends on the API version that created the "
            "gateway (AppGwSslPolicy20150501, TLS 1.0, before 2023-02-01)"
        )
    kind = gateway.get("properties.sslPolicy.policyType", default="Predefined", expect=str).lower()
    if kind == "predefined":
        name = gateway.get("properties.sslPolicy.policyName", expect=str)
        if name.lower() not in PREDEFINED_TLS:
            raise DataError(f"unknown predefined TLS policy {name}")
        return PREDEFINED_TLS[name.lower()]
    return gateway.get("properties.sslPolicy.minProtocolVersion", default="TLSv1_0", expect=str)


@check(
    id="appgw.tls-min-1-2",
    title="Application Gateway accepts TLS 1.2 or newer only",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[GATEWAY],
    rationale="TLS 1.0 and 1.1 are deprecated and broken; the gateway terminates TLS for every caller.",
    remediation=Remediation(
        text="Use the predefined policy AppGwSslPolicy20220101S (or a custom policy with minimum TLS 1.2).",
        az="az network application-gateway ssl-policy set --gateway-name {name} --resource-group {resourceGroup} "
        "--policy-type Predefined --name AppGwSslPolicy20220101S",
        bicep="sslPolicy: {\n  policyType: 'Predefined'\n  policyName: 'AppGwSslPolicy20220101S'\n}",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/application-gateway-ssl-policy-overview"],
)
def tls_min(gateway: Resource, ctx: Context) -> Verdict:
    minimum = _min_tls(gateway)
    gateway.note("minimumProtocol", minimum)
    if minimum.upper() in ("TLSV1_2", "TLSV1_3"):
        return passed(f"minimum protocol {minimum}", expected="TLSv1_2 or newer")
    return failed(f"minimum protocol {minimum}", expected="TLSv1_2 or newer")


def _id_tail(value: object) -> str:
    return value.get("id", "").rstrip("/").rsplit("/", 1)[-1].lower() if isinstance(value, dict) else ""


@check(
    id="appgw.https-redirect",
    title="Every HTTP listener of the Application Gateway redirects to HTTPS",
    severity=Severity.MEDIUM,
    area=Area.NETWORK,
    checklist="waf",
    types=[GATEWAY],
    rationale="A plain HTTP listener that routes to a backend serves traffic in clear text.",
    remediation=Remediation(
        text="Attach a redirect configuration (Permanent, to the HTTPS listener) to every HTTP listener's rule.",
        az="az network application-gateway redirect-config create --gateway-name {name} "
        "--resource-group {resourceGroup} --name http-to-https --type Permanent --target-listener https",
        bicep="redirectConfigurations: [{\n  name: 'http-to-https'\n  properties: {\n"
        "    redirectType: 'Permanent'\n    targetListener: { id: httpsListenerId }\n  }\n}]",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/redirect-http-to-https-portal"],
)
def https_redirect(gateway: Resource, ctx: Context) -> Verdict:
    listeners = gateway.get("properties.httpListeners", expect=list)
    rules = gateway.get("properties.requestRoutingRules", default=[], expect=list)
    redirects = {
        r.get("name", "").lower(): r.get("properties", {})
        for r in gateway.get("properties.redirectConfigurations", default=[], expect=list)
    }
    https_listeners = {
        str(listener.get("name", "")).lower()
        for listener in listeners
        if str((listener.get("properties") or {}).get("protocol", "")).lower() == "https"
    }
    plain = [
        str(listener.get("name", ""))
        for listener in listeners
        if str((listener.get("properties") or {}).get("protocol", "")).lower() == "http"
    ]
    unredirected = []
    for name in plain:
        rule = next(
            (r for r in rules if _id_tail((r.get("properties") or {}).get("httpListener")) == name.lower()), None
        )
        redirect_name = _id_tail((rule or {}).get("properties", {}).get("redirectConfiguration"))
        redirect = redirects.get(redirect_name)
        target = redirect and (
            _id_tail(redirect.get("targetListener")) in https_listeners
            or str(redirect.get("targetUrl", "")).lower().startswith("https://")
        )
        if not target:
            unredirected.append(name)
    gateway.note("httpListeners", plain)
    if unredirected:
        return failed(f"HTTP listener(s) not redirected to HTTPS: {', '.join(unredirected)}", expected="redirects")
    return passed(f"{len(plain)} HTTP listener(s), all redirected to HTTPS", expected="redirects")


@check(
    id="appgw.health-probes",
    title="Every backend setting of the Application Gateway has a custom health probe",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="waf",
    types=[GATEWAY],
    rationale="The default probe asks '/' on the backend port; a voice backend that is up but cannot reach "
    "Redis or Speech keeps receiving calls. A custom probe on a health endpoint takes it out of rotation.",
    remediation=Remediation(
        text="Create a probe on the backend's health endpoint and reference it from each backend HTTP setting.",
        az="az network application-gateway probe create --gateway-name {name} --resource-group {resourceGroup} "
        "--name health --protocol Https --path /health --host-name-from-http-settings true",
        bicep="backendHttpSettingsCollection: [{\n  properties: {\n    probe: { id: healthProbeId }\n  }\n}]",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/application-gateway-probe-overview"],
)
def health_probes(gateway: Resource, ctx: Context) -> Verdict:
    settings = gateway.get("properties.backendHttpSettingsCollection", expect=list)
    probes = {str(p.get("name", "")).lower() for p in gateway.get("properties.probes", default=[], expect=list)}
    missing = [
        str(s.get("name", ""))
        for s in settings
        if _id_tail((s.get("properties") or {}).get("probe")) not in probes or not probes
    ]
    if missing:
        return failed(f"backend setting(s) without a custom probe: {', '.join(missing)}", expected="a probe each")
    return passed(f"{len(settings)} backend setting(s), each with a custom probe", expected="a probe each")


@check(
    id="appgw.autoscale-min",
    title="Application Gateway keeps at least two instances",
    severity=Severity.HIGH,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[GATEWAY],
    params={"min_capacity": Param(2, "Lowest acceptable autoscale minimum (or fixed capacity).")},
    rationale="A single instance is a single point of failure for every call, and scaling out from one "
    "instance takes minutes during a spike.",
    remediation=Remediation(
        text="Set the autoscale minimum capacity to at least two.",
        az="az network application-gateway update --name {name} --resource-group {resourceGroup} --min-capacity 2",
        bicep="autoscaleConfiguration: {\n  minCapacity: 2\n  maxCapacity: 10\n}",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/application-gateway-autoscaling-zone-redundant"],
)
def autoscale_min(gateway: Resource, ctx: Context) -> Verdict:
    if gateway.has("properties.autoscaleConfiguration"):
        minimum = gateway.get("properties.autoscaleConfiguration.minCapacity", default=0, expect=int)
        return at_least(minimum, ctx.params["min_capacity"], "autoscale minCapacity")
    capacity = gateway.get("properties.sku.capacity", expect=int)
    return at_least(capacity, ctx.params["min_capacity"], "fixed capacity")


@check(
    id="appgw.zone-redundant",
    title="Application Gateway spans availability zones",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="environment-validated",
    types=[GATEWAY],
    rationale="A gateway pinned to one zone takes the whole service down with that zone.",
    remediation=Remediation(
        text="Deploy the gateway across zones 1, 2 and 3 (zones are set at creation).",
        az="az network application-gateway create ... --zones 1 2 3",
        bicep="zones: [ '1', '2', '3' ]",
    ),
    refs=["https://learn.microsoft.com/azure/reliability/reliability-application-gateway-v2"],
)
def zone_redundant(gateway: Resource, ctx: Context) -> Verdict:
    zones = gateway.get("zones", default=[], expect=list)
    if len(zones) >= 2:
        return passed(f"zones {', '.join(map(str, zones))}", expected="two or more zones")
    return failed(f"{len(zones)} zone(s)", expected="two or more zones")
