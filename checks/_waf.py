"""WAF policies of Application Gateway and Front Door, read into one shape so that both are held to
the same bar: enabled, Prevention mode, a current managed rule set, nothing switched off.

The two services spell the same ideas differently: `state` vs `enabledState`, and a Front Door rule
set carries its own action and exclusions at every level. Each reader below knows one spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.api import DataError, Resource, Verdict, failed, passed
from auditor.inventory import Context

FD_SECURITY_POLICY = "Microsoft.Cdn/profiles/securityPolicies"
FD_WAF_POLICY = "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies"
FD_ENDPOINT = "Microsoft.Cdn/profiles/afdEndpoints"
FD_CUSTOM_DOMAIN = "Microsoft.Cdn/profiles/customDomains"
#: What a Front Door check reads besides the profile.
FD_READS = (FD_SECURITY_POLICY, FD_WAF_POLICY, FD_ENDPOINT, FD_CUSTOM_DOMAIN)
PREMIUM_FRONT_DOOR = "premium_azurefrontdoor"
FRONT_DOOR_SKUS = {"standard_azurefrontdoor", PREMIUM_FRONT_DOOR}

#: The oldest managed rule set versions the guide's threat model accepts.
MINIMUM_RULE_SETS = {"owasp": (3, 2), "microsoft_defaultruleset": (2, 1)}
CURRENT_RULE_SETS = "OWASP >= 3.2 or Microsoft_DefaultRuleSet >= 2.1"
#: Managed-rule actions that let a match through.
NON_BLOCKING_ACTIONS = {"log", "allow"}
#: A policy with no managed rules (Front Door Standard) has no managedRules object at all.
MANAGED_RULE_SETS = "properties.managedRules.managedRuleSets"


@dataclass(frozen=True)
class WafConfig:
    source: str  # the policy's name, or "inline" for the legacy webApplicationFirewallConfiguration
    enabled: bool
    mode: str
    rule_sets: tuple[tuple[str, str], ...]
    weakened: tuple[str, ...]  # disabled rules and groups, log-only overrides, exclusions

    @property
    def blocking(self) -> bool:
        return self.enabled and self.mode.lower() == "prevention"

    def describe(self) -> str:
        if not self.enabled:
            return f"{self.source}: disabled (filters nothing)"
        if self.mode.lower() == "detection":
            return f"{self.source}: Detection mode (logs attacks, does not stop them)"
        return f"{self.source}: mode {self.mode}"


def objects(value: object, where: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DataError(f"{where} is not an array of objects")
    return value


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        raise DataError(f"rule set version {text!r} is not a version number") from None


def is_current(rule_set: tuple[str, str]) -> bool:
    kind, version = rule_set
    minimum = MINIMUM_RULE_SETS.get(kind.lower())
    return minimum is not None and _version(version) >= minimum


def _exclusions(count: int, where: str) -> list[str]:
    return [f"{count} exclusion(s) {where}"] if count else []


def _text(item: Resource, name: str, default: str | None = None) -> str:
    """A string property of a rule set, group or rule; `default` where ARM documents one. Read
    without recording: the WafConfig sums them up."""
    if default is None:
        return item.get(name, expect=str, record=False)
    return item.get(name, default=default, expect=str, record=False)


def gateway_policy_config(policy: Resource) -> WafConfig:
    """An ApplicationGatewayWebApplicationFirewallPolicies resource."""
    # GET always returns state and mode; without them the policy cannot be judged.
    state = policy.get("properties.policySettings.state", expect=str)
    mode = policy.get("properties.policySettings.mode", expect=str)
    rule_sets, weakened = [], []
    for entry in policy.item_views(MANAGED_RULE_SETS, parent_optional="properties.managedRules"):
        rule_sets.append((_text(entry, "ruleSetType"), _text(entry, "ruleSetVersion")))
        for group in entry.item_views("ruleGroupOverrides"):
            name = _text(group, "ruleGroupName")
            rules = group.item_views("rules")
            if not rules:  # an override that lists no rule disables the whole group
                weakened.append(f"group {name} disabled")
            for rule in rules:
                rule_id = _text(rule, "ruleId")
                # ARM: an override's state defaults to Disabled when not given.
                if _text(rule, "state", "Disabled").lower() == "disabled":
                    weakened.append(f"rule {rule_id} disabled")
                elif _text(rule, "action", "").lower() == "log":
                    weakened.append(f"rule {rule_id} log-only")
                elif _text(rule, "action", "").lower() == "allow":
                    # An Allow override lets every match through: the rule is off in effect.
                    weakened.append(f"rule {rule_id} action Allow (disabled in effect)")
    exclusions = policy.get("properties.managedRules.exclusions", default=[], expect=list)
    weakened += _exclusions(len(exclusions), "on the policy")
    return WafConfig(policy.name, state.lower() == "enabled", mode, tuple(rule_sets), tuple(weakened))


def gateway_inline_config(gateway: Resource) -> WafConfig:
    """The legacy webApplicationFirewallConfiguration inside an applicationGateways resource."""
    prefix = "properties.webApplicationFirewallConfiguration"
    enabled = gateway.get(f"{prefix}.enabled", expect=bool)
    mode = gateway.get(f"{prefix}.firewallMode", default="Detection", expect=str)
    rule_set = (
        gateway.get(f"{prefix}.ruleSetType", default="OWASP", expect=str),
        gateway.get(f"{prefix}.ruleSetVersion", expect=str),
    )
    weakened = []
    for group in gateway.item_views(f"{prefix}.disabledRuleGroups"):
        rules = group.get("rules", default=[], expect=list, record=False)  # none listed: the whole group
        name = _text(group, "ruleGroupName")
        weakened.append(f"group {name} disabled" if not rules else f"{len(rules)} rule(s) of {name} disabled")
    exclusions = gateway.get(f"{prefix}.exclusions", default=[], expect=list)
    weakened += _exclusions(len(exclusions), "on the gateway")
    return WafConfig("inline", enabled, mode, (rule_set,), tuple(weakened))


def front_door_policy_config(policy: Resource) -> WafConfig:
    """A FrontDoorWebApplicationFirewallPolicies resource."""
    # enabledState defaults to Enabled (documented); mode has no documented default, so it must be read.
    state = policy.get("properties.policySettings.enabledState", default="Enabled", expect=str)
    mode = policy.get("properties.policySettings.mode", expect=str)
    rule_sets, weakened = [], []
    for entry in policy.item_views(MANAGED_RULE_SETS, parent_optional="properties.managedRules"):
        kind, version = _text(entry, "ruleSetType"), _text(entry, "ruleSetVersion")
        rule_sets.append((kind, version))
        action = _text(entry, "ruleSetAction", "")
        if action.lower() in NON_BLOCKING_ACTIONS:
            weakened.append(f"{kind} {version} action {action}")
        weakened += _exclusions(len(entry.item_views("exclusions")), f"on {kind}")
        for group in entry.item_views("ruleGroupOverrides"):
            name = _text(group, "ruleGroupName")
            rules = group.item_views("rules")
            group_exclusions = group.item_views("exclusions")
            weakened += _exclusions(len(group_exclusions), f"on group {name}")
            if not rules and not group_exclusions:  # an override that lists no rule disables the group
                weakened.append(f"group {name} disabled")
            for rule in rules:
                rule_id = _text(rule, "ruleId")
                # ARM: an override's enabledState defaults to Disabled when not given.
                if _text(rule, "enabledState", "Disabled").lower() == "disabled":
                    weakened.append(f"rule {rule_id} disabled")
                elif (rule_action := _text(rule, "action", "")).lower() in NON_BLOCKING_ACTIONS:
                    weakened.append(f"rule {rule_id} action {rule_action}")
                weakened += _exclusions(len(rule.item_views("exclusions")), f"on rule {rule_id}")
    exceptions = policy.item_views(
        "properties.managedRules.exceptionsList.exceptions",
        parent_optional="properties.managedRules",  # absent: no exceptions
    )
    weakened += [f"{len(exceptions)} exception(s) on the policy"] if exceptions else []
    return WafConfig(policy.name, state.lower() == "enabled", mode, tuple(rule_sets), tuple(weakened))


def is_front_door(profile: Resource) -> bool:
    """Microsoft.Cdn/profiles holds classic CDN profiles too; only the Front Door SKUs have a WAF."""
    return profile.get("sku.name", default="", expect=str).lower() in FRONT_DOOR_SKUS


def is_premium_front_door(profile: Resource) -> bool:
    """Only the Premium tier runs managed rule sets, and only it stands in for the gateway."""
    return profile.get("sku.name", default="", expect=str).lower() == PREMIUM_FRONT_DOOR


@dataclass(frozen=True)
class FrontDoorWaf:
    configs: list[WafConfig]
    unprotected: list[str]  # endpoints and custom domains that no WAF covers on every path

    def blocks_everything(self) -> bool:
        return bool(self.configs) and all(c.blocking for c in self.configs) and not self.unprotected


def _covered_domains(link: Resource) -> set[str]:
    """Domain ids a security policy's associations cover on every path ("/*")."""
    covered = set()
    for association in objects(link.get("properties.parameters.associations", default=[], expect=list), "associations"):
        patterns = association.get("patternsToMatch")
        if not isinstance(patterns, list):
            raise DataError("associations.patternsToMatch is not an array")
        if "/*" not in patterns:
            continue
        for domain in objects(association.get("domains"), "associations.domains"):
            if isinstance(domain.get("id"), str):
                covered.add(domain["id"].lower().rstrip("/"))
    return covered


def front_door_waf(profile: Resource, ctx: Context) -> FrontDoorWaf:
    """The WAF policies a Front Door profile's security policies attach, and the profile's enabled
    endpoints and custom domains that none of them covers."""
    configs, covered = [], set()
    for link in ctx.children(profile, FD_SECURITY_POLICY):
        if link.get("properties.parameters.type", default="", expect=str).lower() != "webapplicationfirewall":
            continue
        waf_id = link.get("properties.parameters.wafPolicy.id", expect=str)
        waf = ctx.get(waf_id)
        if waf is None:
            raise DataError(f"the WAF policy {waf_id} of security policy {link.name} is not in the snapshot")
        configs.append(front_door_policy_config(waf))
        covered |= _covered_domains(link)
    domains = [
        e for e in ctx.children(profile, FD_ENDPOINT)
        if e.get("properties.enabledState", default="Enabled", expect=str).lower() != "disabled"
    ] + ctx.children(profile, FD_CUSTOM_DOMAIN)
    unprotected = [d.name for d in domains if d.id.lower().rstrip("/") not in covered]
    profile.note("wafPolicies", [c.source for c in configs])
    profile.note("domainsWithoutWaf", unprotected)
    return FrontDoorWaf(configs, unprotected)


def judge_blocking(configs: list[WafConfig], owner: str) -> Verdict:
    """Given at least one WAF config: pass only when every one blocks."""
    weak = [c.describe() for c in configs if not c.blocking]
    if weak:
        return failed(f"a WAF that does not block: {'; '.join(weak)}", expected="Enabled, Prevention")
    names = ", ".join(c.source for c in configs)
    return passed(f"every WAF on the {owner} ({names}) is enabled in Prevention mode", expected="Enabled, Prevention")


def judge_rule_sets(owner: Resource, configs: list[WafConfig], allow_exclusions: bool) -> Verdict:
    stale, weakened = [], []
    for config in configs:
        owner.note(f"{config.source}.managedRuleSets", [f"{t} {v}" for t, v in config.rule_sets])
        if not any(is_current(r) for r in config.rule_sets):
            found = ", ".join(f"{t} {v}" for t, v in config.rule_sets) or "none"
            stale.append(f"{config.source} ({found})")
        weakened += [f"{config.source}: {w}" for w in config.weakened]
    if stale:
        return failed(f"no current managed rule set in {'; '.join(stale)}", expected=CURRENT_RULE_SETS)
    if weakened and not allow_exclusions:
        shown = "; ".join(weakened[:10]) + (f"; and {len(weakened) - 10} more" if len(weakened) > 10 else "")
        return failed(f"the managed rules are weakened: {shown}", expected="no disabled rules or exclusions")
    accepted = f" ({len(weakened)} override(s) accepted by allow_exclusions)" if weakened else ""
    return passed(f"current managed rule sets on every WAF{accepted}", expected=CURRENT_RULE_SETS)
