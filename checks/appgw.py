"""Ingress and WAF: Application Gateway (or Front Door Premium) in front of every HTTP entry point,
its WAF in Prevention mode with a current rule set, TLS 1.2, HTTPS only, probes, capacity, zones.
"""

from __future__ import annotations

from auditor.checks._waf import (
    WafConfig,
    gateway_inline_config,
    gateway_policy_config,
    judge_blocking,
    judge_rule_sets,
    objects,
)

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
APP = "Microsoft.App/containerApps"
SITE = "Microsoft.Web/sites"
APIM = "Microsoft.ApiManagement/service"
WAF_DOC = "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview"
APPGW_DOC = "https://learn.microsoft.com/azure/application-gateway/overview"

#: Predefined TLS policies and the lowest protocol each accepts.
PREDEFINED_TLS = {
    "appgwsslpolicy20150501": "TLSv1_0",
    "appgwsslpolicy20170401": "TLSv1_1",
    "appgwsslpolicy20170401s": "TLSv1_2",
    "appgwsslpolicy20220101": "TLSv1_2",
    "appgwsslpolicy20220101s": "TLSv1_2",
}


def _linked_policy_ids(gateway: Resource) -> list[str]:
    """The gateway-wide policy plus per-listener and per-path policies, which override it."""
    link = "properties.firewallPolicy"  # absent where no policy is linked at that level
    ids = [gateway.get(f"{link}.id", default="", expect=str, parent_optional=link)]
    for listener in gateway.item_views("properties.httpListeners"):
        ids.append(listener.get(f"{link}.id", default="", expect=str, parent_optional=link))
    for path_map in gateway.item_views("properties.urlPathMaps"):
        for rule in path_map.item_views("properties.pathRules"):
            ids.append(rule.get(f"{link}.id", default="", expect=str, parent_optional=link))
    return [i for i in dict.fromkeys(ids) if i]


def waf_configs(gateway: Resource, ctx: Context) -> list[WafConfig]:
    """Every WAF that filters the gateway's traffic: its linked policies (by the gateway's own links
    or by a policy's applicationGateways list), else the legacy inline configuration."""
    policies: dict[str, Resource] = {}
    for policy_id in _linked_policy_ids(gateway):
        policy = ctx.get(policy_id)
        if policy is None:
            raise DataError(f"the WAF policy {policy_id} is not in the snapshot")
        policies[policy.id.lower()] = policy
    for policy in ctx.referencing(gateway, WAF_POLICY):
        policies.setdefault(policy.id.lower(), policy)
    if policies:
        gateway.note("wafPolicies", [p.id for p in policies.values()])
        return [gateway_policy_config(p) for p in policies.values()]
    if gateway.has("properties.webApplicationFirewallConfiguration"):
        return [gateway_inline_config(gateway)]
    return []


def _tier(gateway: Resource) -> str:
    tier = gateway.get("properties.sku.tier", default="", expect=str) or gateway.get("properties.sku.name", expect=str)
    return tier.lower()


def _is_waf_sku(gateway: Resource) -> bool:
    """WAF_v2, or the retired v1 tier WAF (SKU names WAF_Medium, WAF_Large), which is a WAF too."""
    return _tier(gateway) in ("waf_v2", "waf")


def _is_v2(gateway: Resource) -> bool:
    return _tier(gateway) in ("waf_v2", "standard_v2")


@check(
    id="appgw.waf-prevention",
    title="Application Gateway runs an enabled WAF in Prevention mode",
    severity=Severity.HIGH,
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
    refs=[
        WAF_DOC,
        "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview",
        "https://learn.microsoft.com/azure/application-gateway/v1-retirement",
    ],
)
def waf_prevention(gateway: Resource, ctx: Context) -> Verdict:
    if not _is_waf_sku(gateway):
        return failed("the gateway's SKU tier has no WAF", expected="WAF_v2 with an enabled WAF in Prevention")
    if _tier(gateway) == "waf":
        return failed(
            "a WAF (v1) gateway: Application Gateway v1 is retired (no new v1 gateways, support ends "
            "April 2026); its WAF gets no new rule sets",
            expected="WAF_v2 with an enabled WAF in Prevention",
        )
    configs = waf_configs(gateway, ctx)
    if not configs:
        return failed("WAF_v2 SKU but no WAF policy is linked", expected="an enabled WAF policy in Prevention")
    return judge_blocking(configs, "gateway")


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
    configs = waf_configs(gateway, ctx) if _is_waf_sku(gateway) else []
    if not configs:
        return not_applicable("the gateway has no WAF (reported by appgw.waf-prevention)")
    return judge_rule_sets(gateway, configs, ctx.params["allow_exclusions"])


PROTOCOLS = ("TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3")
#: From this api-version a gateway without sslPolicy gets AppGwSslPolicy20220101 (TLS 1.2).
TLS_DEFAULT_MODERN_FROM = "2023-02-01"


def _policy_minimum(policy: dict, where: str) -> str:
    """The lowest protocol a TLS policy object accepts, in any of its shapes: Predefined by name,
    Custom/CustomV2 by minProtocolVersion, or the oldest shape, a bare disabledSslProtocols list."""
    kind = policy.get("policyType")
    name = policy.get("policyName")
    if kind is None and name is None and "disabledSslProtocols" in policy:
        listed = policy["disabledSslProtocols"]
        if listed is not None and not isinstance(listed, list):
            raise DataError(f"{where}: disabledSslProtocols is not an array")
        disabled = {str(p).lower() for p in listed or []}
        return next((p for p in PROTOCOLS if p.lower() not in disabled), "TLSv1_3")
    if kind is None and name is None and "minProtocolVersion" in policy:
        kind = "Custom"  # a minimum protocol without a type is how a Custom policy is written
    kind = str(kind or "Predefined").lower()
    if kind == "predefined":
        if not isinstance(name, str) or name.lower() not in PREDEFINED_TLS:
            raise DataError(f"{where}: unknown predefined TLS policy {name!r}")
        return PREDEFINED_TLS[name.lower()]
    minimum = policy.get("minProtocolVersion")
    if minimum is None and kind == "customv2":
        return "TLSv1_2"  # CustomV2 offers only TLS 1.2 and 1.3
    if not isinstance(minimum, str) or minimum not in PROTOCOLS:
        raise DataError(f"{where}: minProtocolVersion is {minimum!r}")
    return minimum


def _tls_minimums(gateway: Resource) -> dict[str, str]:
    """Minimum protocol per place a TLS policy applies: the gateway and each SSL profile that
    overrides it for its listeners."""
    out: dict[str, str] = {}
    if gateway.has("properties.sslPolicy"):
        out["gateway"] = _policy_minimum(gateway.get("properties.sslPolicy", expect=dict), "sslPolicy")
    for profile in gateway.item_views("properties.sslProfiles"):
        # A profile without its own sslPolicy uses the gateway's.
        policy = profile.get("properties.sslPolicy", default=None, expect=dict)
        if policy:
            name = f"sslProfile {profile.raw.get('name', '?')}"
            out[name] = _policy_minimum(policy, name)
    return out


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
    minimums = _tls_minimums(gateway)
    if "gateway" not in minimums:
        # The default policy is AppGwSslPolicy20150501 (TLS 1.0) before api-version 2023-02-01 and
        # AppGwSslPolicy20220101 (TLS 1.2) from it; without an api-version, the older one is assumed.
        version = ctx.api_version(GATEWAY)
        modern = version is not None and version[:10] >= TLS_DEFAULT_MODERN_FROM
        minimums["gateway"] = "TLSv1_2" if modern else "TLSv1_0"
        default = "AppGwSslPolicy20220101" if modern else "AppGwSslPolicy20150501"
        read_with = version or "unknown: older default assumed"
        gateway.note("properties.sslPolicy", f"not set: the default {default} applies (api-version {read_with})")
    gateway.note("minimumProtocol", minimums)
    weak = [f"{where} {p}" for where, p in minimums.items() if PROTOCOLS.index(p) < PROTOCOLS.index("TLSv1_2")]
    if weak:
        return failed(f"minimum protocol below TLS 1.2: {', '.join(weak)}", expected="TLSv1_2 or newer")
    shown = ", ".join(f"{where} {p}" for where, p in minimums.items())
    return passed(f"minimum protocol {shown}", expected="TLSv1_2 or newer")


def _id_tail(value: object) -> str:
    """The name at the end of a sub-resource reference ({"id": ".../httpListeners/http"} -> "http")."""
    ref = value.get("id") if isinstance(value, dict) else None
    return ref.rstrip("/").rsplit("/", 1)[-1].lower() if isinstance(ref, str) else ""


def _properties(item: dict, where: str) -> dict:
    """The properties of a sub-resource, which ARM always returns as an object."""
    props = item.get("properties")
    if not isinstance(props, dict):
        raise DataError(f"{where}: properties of {item.get('name')!r} is not an object")
    return props


def _named(gateway: Resource, path: str) -> dict[str, dict]:
    """A sub-resource collection as name -> properties."""
    out = {}
    for item in objects(gateway.get(path, default=[], expect=list), path):
        props = _properties(item, path)
        out[str(item.get("name", "")).lower()] = props
    return out


@check(
    id="appgw.https-redirect",
    title="Every HTTP listener of the Application Gateway redirects to HTTPS",
    severity=Severity.HIGH,
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
    gateway.get("properties.httpListeners", expect=list)  # absent listeners: an odd shape, not a pass
    listeners = _named(gateway, "properties.httpListeners")
    rules = _named(gateway, "properties.requestRoutingRules")
    redirects = _named(gateway, "properties.redirectConfigurations")
    path_maps = _named(gateway, "properties.urlPathMaps")
    https = {name for name, props in listeners.items() if str(props.get("protocol", "")).lower() == "https"}
    plain = [name for name, props in listeners.items() if str(props.get("protocol", "")).lower() == "http"]

    def redirects_to_https(ref: object) -> bool:
        redirect = redirects.get(_id_tail(ref))
        if redirect is None:
            return False
        target_url = redirect.get("targetUrl")
        return _id_tail(redirect.get("targetListener")) in https or (
            isinstance(target_url, str) and target_url.lower().startswith("https://")
        )

    unredirected = []
    for name in plain:
        routed = [props for props in rules.values() if _id_tail(props.get("httpListener")) == name]
        ok = bool(routed)
        for props in routed:
            if props.get("redirectConfiguration"):
                ok = ok and redirects_to_https(props.get("redirectConfiguration"))
            else:  # a path-based rule must send every path, and the default, to HTTPS
                path_map = path_maps.get(_id_tail(props.get("urlPathMap")), {})
                targets = [path_map.get("defaultRedirectConfiguration")] + [
                    _properties(r, "pathRules").get("redirectConfiguration")
                    for r in objects(path_map.get("pathRules"), "pathRules")
                ]
                ok = ok and bool(path_map) and all(redirects_to_https(t) for t in targets)
        if not ok:
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
    gateway.get("properties.backendHttpSettingsCollection", expect=list)
    settings = _named(gateway, "properties.backendHttpSettingsCollection")
    probes = _named(gateway, "properties.probes")
    missing = [name for name, props in settings.items() if _id_tail(props.get("probe")) not in probes]
    gateway.note("probes", sorted(probes))
    if missing:
        return failed(f"backend setting(s) without a custom probe: {', '.join(missing)}", expected="a probe each")
    return passed(f"{len(settings)} backend setting(s), each with a custom probe", expected="a probe each")


@check(
    id="appgw.autoscale-min",
    title="Application Gateway keeps at least two instances",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[GATEWAY],
    params={"min_capacity": Param(2, "Lowest acceptable autoscale minimum (or fixed capacity).")},
    rationale="A v2 gateway below two instances is not a single point of failure (the platform replaces a "
    "failed instance), but scaling out from one instance takes minutes, so a spike queues calls meanwhile.",
    remediation=Remediation(
        text="Set the autoscale minimum capacity to at least two.",
        az="az network application-gateway update --name {name} --resource-group {resourceGroup} --min-capacity 2",
        bicep="autoscaleConfiguration: {\n  minCapacity: 2\n  maxCapacity: 10\n}",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/application-gateway-autoscaling-zone-redundant"],
)
def autoscale_min(gateway: Resource, ctx: Context) -> Verdict:
    if gateway.has("properties.autoscaleConfiguration"):
        minimum = gateway.get("properties.autoscaleConfiguration.minCapacity", expect=int)
        verdict = at_least(minimum, ctx.params["min_capacity"], "autoscale minCapacity")
        if verdict.status.value == "fail":
            return failed(
                f"{verdict.message}: a scale-out delay during a spike (minutes to add instances), "
                "not a single point of failure",
                expected=verdict.expected,
            )
        return verdict
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
    refs=[
        "https://learn.microsoft.com/azure/reliability/reliability-application-gateway-v2",
        "https://learn.microsoft.com/azure/application-gateway/application-gateway-autoscaling-zone-redundant",
    ],
)
def zone_redundant(gateway: Resource, ctx: Context) -> Verdict:
    zones = gateway.get("zones", default=[], expect=list)
    if len(zones) >= 2:
        return passed(f"zones {', '.join(map(str, zones))}", expected="two or more zones")
    if not zones and _is_v2(gateway):
        return passed(
            "no zones listed: a v2 gateway deployed without zones is zone redundant by default in a region "
            "with availability zones",
            expected="two or more zones",
        )
    return failed(f"{len(zones)} zone(s)", expected="two or more zones")


E2E_TLS_DOC = "https://learn.microsoft.com/azure/application-gateway/ssl-overview"


@check(
    id="appgw.backend-https",
    title="Application Gateway reaches its backends over HTTPS (end-to-end TLS)",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[GATEWAY],
    rationale="A backend setting with protocol Http decrypts every call at the gateway and forwards it in clear "
    "text across the virtual network; the guide links end-to-end TLS for the hop to the backends.",
    remediation=Remediation(
        text="Set each backend setting's protocol to Https (port 443) with the backend's host name.",
        az="az network application-gateway http-settings update --gateway-name {name} "
        "--resource-group {resourceGroup} --name <setting> --protocol Https --port 443 "
        "--host-name-from-backend-pool true",
        bicep="backendHttpSettingsCollection: [{\n  properties: {\n    protocol: 'Https'\n    port: 443\n"
        "    pickHostNameFromBackendAddress: true\n  }\n}]",
    ),
    refs=[E2E_TLS_DOC, "https://learn.microsoft.com/azure/application-gateway/end-to-end-ssl-portal"],
)
def backend_https(gateway: Resource, ctx: Context) -> Verdict:
    gateway.get("properties.backendHttpSettingsCollection", expect=list)
    settings = _named(gateway, "properties.backendHttpSettingsCollection")
    protocols = {name: props.get("protocol") for name, props in settings.items()}
    if not all(isinstance(p, str) for p in protocols.values()):
        raise DataError("a backend setting has no protocol string")
    gateway.note("backendProtocols", protocols)
    plain = sorted(name for name, protocol in protocols.items() if protocol.lower() != "https")
    if plain:
        return failed(f"backend setting(s) over plain HTTP: {', '.join(plain)}", expected="Https")
    return passed(f"{len(settings)} backend setting(s), all over HTTPS", expected="Https")


@check(
    id="appgw.certificates-in-keyvault",
    title="Application Gateway listener certificates come from Key Vault",
    severity=Severity.LOW,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[GATEWAY],
    rationale="A certificate uploaded as a PFX lives in the gateway's configuration: nobody rotates it, and it "
    "expires unnoticed. A keyVaultSecretId lets the gateway pick up each renewal from Key Vault.",
    remediation=Remediation(
        text="Store the certificate in Key Vault and reference it from the gateway with its managed identity.",
        az="az network application-gateway ssl-cert update --gateway-name {name} --resource-group {resourceGroup} "
        "--name <cert> --key-vault-secret-id <secret-id>",
        bicep="sslCertificates: [{\n  name: 'cert'\n  properties: { keyVaultSecretId: kvSecretId }\n}]",
    ),
    refs=["https://learn.microsoft.com/azure/application-gateway/key-vault-certs"],
)
def certificates_in_keyvault(gateway: Resource, ctx: Context) -> Verdict:
    certificates = _named(gateway, "properties.sslCertificates")
    if not certificates:
        return not_applicable("the gateway holds no listener certificate (no HTTPS listener)")
    uploaded = sorted(name for name, props in certificates.items() if not props.get("keyVaultSecretId"))
    gateway.note("certificatesWithoutKeyVault", uploaded)
    if uploaded:
        shown = ", ".join(uploaded)
        return failed(f"certificate(s) uploaded, not from Key Vault: {shown}", expected="keyVaultSecretId")
    return passed(f"{len(certificates)} certificate(s), all from Key Vault", expected="keyVaultSecretId")
