"""Ingress and WAF on Azure Front Door: the guide accepts Front Door Premium in place of Application
Gateway, so its WAF is held to the gateway's bar.
"""

from __future__ import annotations

from auditor.checks._waf import (
    FD_READS,
    front_door_waf,
    is_front_door,
    is_premium_front_door,
    judge_blocking,
    judge_rule_sets,
)

from auditor.api import (
    Area,
    Param,
    Remediation,
    Resource,
    Severity,
    Verdict,
    check,
    failed,
    not_applicable,
)
from auditor.inventory import Context

FRONT_DOOR = "Microsoft.Cdn/profiles"
FD_WAF_DOC = "https://learn.microsoft.com/azure/web-application-firewall/afds/afds-overview"


def _not_front_door(profile: Resource) -> Verdict:
    sku = profile.get("sku.name", default="none", expect=str)
    return not_applicable(f"a CDN profile (SKU {sku}), not Azure Front Door Standard or Premium")


@check(
    id="frontdoor.waf-prevention",
    title="Front Door attaches an enabled WAF policy in Prevention mode",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[FRONT_DOOR],
    reads=FD_READS,
    rationale=(
        "A Front Door profile is an internet entry point in its own right. Without a security policy that "
        "attaches a WAF to every endpoint and custom domain, or with a WAF in Detection mode, attacks reach the "
        "origins with Front Door's blessing."
    ),
    remediation=Remediation(
        text="Create a WAF policy in Prevention mode and attach it to every domain with a security policy.",
        az="az network front-door waf-policy update --name <policy> --resource-group {resourceGroup} "
        "--mode Prevention --disabled false && az afd security-policy create --profile-name {name} "
        "--resource-group {resourceGroup} --security-policy-name waf --domains <domain-ids> --waf-policy <policy-id>",
        bicep="resource waf 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies@2024-02-01' = {\n"
        "  sku: { name: 'Premium_AzureFrontDoor' }\n"
        "  properties: {\n    policySettings: { enabledState: 'Enabled', mode: 'Prevention' }\n  }\n}",
    ),
    refs=[FD_WAF_DOC, "https://learn.microsoft.com/azure/frontdoor/web-application-firewall"],
)
def waf_prevention(profile: Resource, ctx: Context) -> Verdict:
    if not is_front_door(profile):
        return _not_front_door(profile)
    waf = front_door_waf(profile, ctx)
    if not waf.configs:
        return failed("no security policy attaches a WAF policy to the profile", expected="an enabled WAF, Prevention")
    if waf.unprotected:
        return failed(
            f"no WAF covers every path of {', '.join(waf.unprotected)}",
            expected="a WAF security policy on every endpoint and custom domain, patterns /*",
        )
    return judge_blocking(waf.configs, "profile")


@check(
    id="frontdoor.waf-rule-set",
    title="Front Door WAF uses a current managed rule set, none of it switched off",
    severity=Severity.HIGH,
    area=Area.NETWORK,
    checklist="waf",
    types=[FRONT_DOOR],
    reads=FD_READS,
    params={
        "allow_exclusions": Param(False, "Accept rule exclusions and disabled rules (after a documented review)."),
    },
    rationale=(
        "Only the Premium tier runs managed rule sets; a Standard profile's WAF has custom rules alone. Rule "
        "sets older than the Microsoft Default Rule Set 2.1 miss current signatures and anomaly scoring, and "
        "each disabled rule, log-only action or exclusion is a hole someone must own."
    ),
    remediation=Remediation(
        text="Run the Premium tier with Microsoft_DefaultRuleSet 2.1 or newer, action Block; remove overrides "
        "and exclusions, or accept them explicitly with allow_exclusions.",
        az="az network front-door waf-policy managed-rules add --policy-name <policy> "
        "--resource-group {resourceGroup} --type Microsoft_DefaultRuleSet --version 2.1 --action Block",
        bicep="managedRules: {\n  managedRuleSets: [\n    { ruleSetType: 'Microsoft_DefaultRuleSet', "
        "ruleSetVersion: '2.1', ruleSetAction: 'Block' }\n  ]\n}",
    ),
    refs=["https://learn.microsoft.com/azure/web-application-firewall/afds/waf-front-door-drs"],
)
def waf_rule_set(profile: Resource, ctx: Context) -> Verdict:
    if not is_front_door(profile):
        return _not_front_door(profile)
    configs = front_door_waf(profile, ctx).configs
    if not configs:
        return not_applicable("the profile has no WAF (reported by frontdoor.waf-prevention)")
    if not is_premium_front_door(profile):
        return failed("the Standard tier runs no managed rule sets", expected="Premium_AzureFrontDoor with DRS >= 2.1")
    return judge_rule_sets(profile, configs, ctx.params["allow_exclusions"])
