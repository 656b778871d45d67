"""The inventory API that checks query: ids, types, children, extensions, references, coverage."""

from __future__ import annotations

import pytest

from auditor.api import Resource
from auditor.inventory import Context, Inventory, NotCollected, is_extension_id, parent_of, type_of_id
from auditor.snapshot import COVERAGE_TOP_LEVEL, COVERAGE_UNKNOWN, Snapshot
from tests.checks.helpers import SUB, arm_id, resource, snapshot

OTHER = "00000000-0000-0000-0000-000000000002"
KV = arm_id("Microsoft.KeyVault/vaults", "kv")
APIM = arm_id("Microsoft.ApiManagement/service", "apim")
LAW = arm_id("Microsoft.OperationalInsights/workspaces", "law")
AGW = arm_id("Microsoft.Network/applicationGateways", "agw")
WAF = arm_id("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", "waf")
DIAG = f"{KV}/providers/Microsoft.Insights/diagnosticSettings/to-law"


def world() -> list[dict]:
    """A vault with a private endpoint, a metric alert and a diagnostic setting; an APIM service
    with an API and an operation; a gateway and its WAF policy."""
    return [
        resource("Microsoft.KeyVault/vaults", "kv"),
        resource(
            "Microsoft.Network/privateEndpoints",
            "pe-kv",
            properties={"privateLinkServiceConnections": [{"properties": {"privateLinkServiceId": KV.upper()}}]},
        ),
        resource(
            "Microsoft.Network/privateEndpoints",
            "pe-manual",
            properties={"manualPrivateLinkServiceConnections": [{"properties": {"privateLinkServiceId": APIM}}]},
        ),
        resource("Microsoft.Insights/metricAlerts", "alert-kv", properties={"scopes": [KV, APIM]}),
        {
            "id": DIAG,
            "name": "to-law",
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {"workspaceId": LAW, "logs": [{"categoryGroup": "audit", "enabled": True}]},
        },
        resource("Microsoft.OperationalInsights/workspaces", "law"),
        resource("Microsoft.ApiManagement/service", "apim"),
        resource("Microsoft.ApiManagement/service/apis", "apim", "voice"),
        resource("Microsoft.ApiManagement/service/apis/operations", "apim", "voice", "post"),
        resource("Microsoft.ApiManagement/service/policies", "apim", "policy"),
        resource("Microsoft.Network/applicationGateways", "agw", properties={"firewallPolicy": {"id": WAF}}),
        resource(
            "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
            "waf",
            properties={"applicationGateways": [{"id": AGW}], "policySettings": {"mode": "Prevention"}},
        ),
    ]


@pytest.fixture
def inventory() -> Inventory:
    return Inventory(snapshot(world()))


@pytest.mark.parametrize(
    ("resource_id", "rtype", "parent"),
    [
        (KV, "Microsoft.KeyVault/vaults", None),
        (
            arm_id("Microsoft.Web/sites/slots", "a", "b"),
            "Microsoft.Web/sites/slots",
            arm_id("Microsoft.Web/sites", "a"),
        ),
        (
            arm_id("Microsoft.ApiManagement/service/apis/operations", "s", "a", "o"),
            "Microsoft.ApiManagement/service/apis/operations",
            arm_id("Microsoft.ApiManagement/service/apis", "s", "a"),
        ),
        (DIAG, "Microsoft.Insights/diagnosticSettings", KV),
        (
            DIAG.replace("/providers/", "/PROVIDERS/"),
            "Microsoft.Insights/diagnosticSettings",
            KV.replace("/providers/", "/PROVIDERS/"),
        ),
        (f"/subscriptions/{SUB}", "Microsoft.Resources/subscriptions", None),
        (f"/subscriptions/{SUB}/resourceGroups/rg", "Microsoft.Resources/resourceGroups", None),
        (f"/subscriptions/{SUB}/providers/Microsoft.Consumption/budgets/b", "Microsoft.Consumption/budgets", None),
    ],
)
def test_type_and_parent_of_ids(resource_id, rtype, parent):
    assert type_of_id(resource_id) == rtype
    assert parent_of(resource_id) == parent


def test_extension_ids_are_told_from_child_ids():
    assert is_extension_id(DIAG)
    assert not is_extension_id(arm_id("Microsoft.ApiManagement/service/apis", "s", "a"))
    assert not is_extension_id(KV)


def test_lookups_by_type_and_id_are_case_insensitive(inventory):
    assert [r["name"] for r in inventory.of_type("microsoft.keyvault/VAULTS", SUB.upper())] == ["kv"]
    assert inventory.of_type("Microsoft.KeyVault/vaults", OTHER) == []
    assert inventory.by_id(KV.lower())["name"] == "kv"
    assert inventory.by_id(KV.upper())["name"] == "kv"
    assert inventory.by_id(KV + "x") is None
    assert "Microsoft.KeyVault/vaults" in inventory.types()


def test_children_are_direct_children_of_the_type_asked(inventory):
    assert [r["name"] for r in inventory.children(APIM.lower(), "microsoft.apimanagement/service/APIS")] == ["voice"]
    assert [r["name"] for r in inventory.children(APIM, "Microsoft.ApiManagement/service/policies")] == ["policy"]
    # grandchildren are children of their own parent, not of the service
    assert inventory.children(APIM, "Microsoft.ApiManagement/service/apis/operations") == []
    api = arm_id("Microsoft.ApiManagement/service/apis", "apim", "voice")
    assert [r["name"] for r in inventory.children(api, "Microsoft.ApiManagement/service/apis/operations")] == ["post"]


def test_extensions_of_a_resource(inventory):
    ctx = Context(inventory, SUB, {})
    vault = ctx.get(KV)
    assert [r.name for r in ctx.extensions(vault, "Microsoft.Insights/diagnosticSettings")] == ["to-law"]
    apim = ctx.get(APIM)
    assert ctx.extensions(apim, "Microsoft.Insights/diagnosticSettings") == []


@pytest.mark.parametrize(
    ("target", "rtype", "expected"),
    [
        (KV, "Microsoft.Network/privateEndpoints", ["pe-kv"]),  # private endpoint -> target service
        (APIM, "Microsoft.Network/privateEndpoints", ["pe-manual"]),  # manual approval connections too
        (KV.lower(), "microsoft.insights/metricalerts", ["alert-kv"]),  # metric alert -> scopes
        (APIM, "Microsoft.Insights/metricAlerts", ["alert-kv"]),
        (LAW, "Microsoft.Insights/diagnosticSettings", ["to-law"]),  # diagnostic setting -> its destination
        (AGW, "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", ["waf"]),  # WAF policy -> gateway
        (WAF, "Microsoft.Network/applicationGateways", ["agw"]),  # and the gateway names its policy
        (LAW, "Microsoft.Network/privateEndpoints", []),
    ],
)
def test_referencing(inventory, target, rtype, expected):
    assert sorted(r["name"] for r in inventory.referencing(target, rtype)) == expected
    ctx = Context(inventory, SUB, {})
    assert sorted(r.name for r in ctx.referencing(Resource({"id": target, "type": "x/y"}), rtype)) == expected


def test_references_cross_subscriptions():
    """A hub subscription's private endpoint still protects a spoke's vault."""
    pe = resource(
        "Microsoft.Network/privateEndpoints",
        "pe-hub",
        properties={"privateLinkServiceConnections": [{"properties": {"privateLinkServiceId": KV}}]},
    )
    pe["id"] = pe["id"].replace(SUB, OTHER)
    inventory = Inventory(snapshot([resource("Microsoft.KeyVault/vaults", "kv"), pe]))
    assert [r["name"] for r in inventory.referencing(KV, "Microsoft.Network/privateEndpoints")] == ["pe-hub"]
    assert inventory.subscriptions() == sorted([SUB, OTHER])


def test_subscriptions_and_names(inventory):
    assert inventory.subscriptions() == [SUB]
    assert inventory.subscription_name(SUB.upper()) == "test"
    assert inventory.subscription_name(OTHER) == OTHER
    assert len(inventory) == len(world())


def test_complete_coverage_answers_only_for_collected_types():
    inventory = Inventory(snapshot(world(), collected=["Microsoft.KeyVault/vaults"]))
    assert inventory.is_collected("microsoft.keyvault/vaults", SUB.upper())
    assert not inventory.is_collected("Microsoft.KeyVault/vaults", OTHER)
    # present in the file but absent from coverage: its completeness is unknown
    assert not inventory.is_collected("Microsoft.Network/privateEndpoints", SUB)
    assert "not in the snapshot's coverage" in inventory.gap("Microsoft.Network/privateEndpoints", SUB)


def test_failure_entries_name_scope_error_and_permission():
    rg_scope = f"/subscriptions/{SUB}/resourceGroups/rg-test"
    failure = {
        "type": "Microsoft.Insights/diagnosticSettings",
        "scope": rg_scope,
        "errorCode": "AuthorizationFailed",
        "message": "denied",
        "permission": "Microsoft.Insights/diagnosticSettings/read",
    }
    inventory = Inventory(snapshot(world(), failures=[failure]))
    reason = inventory.gap("Microsoft.Insights/diagnosticSettings", SUB, within=KV)
    assert reason is not None
    for part in (
        rg_scope,
        "AuthorizationFailed",
        "denied",
        "missing permission Microsoft.Insights/diagnosticSettings/read",
    ):
        assert part in reason
    # the whole subscription is not known either, since part of it failed
    assert inventory.gap("Microsoft.Insights/diagnosticSettings", SUB) is not None
    # a resource in another group, even one whose name starts alike, is unaffected
    elsewhere = arm_id("Microsoft.KeyVault/vaults", "kv2", rg="rg-test2")
    assert inventory.gap("Microsoft.Insights/diagnosticSettings", SUB, within=elsewhere) is None
    ctx = Context(inventory, SUB, {})
    with pytest.raises(NotCollected, match="AuthorizationFailed"):
        ctx.extensions(ctx.get(KV), "Microsoft.Insights/diagnosticSettings")


def test_failure_without_scope_covers_the_subscription():
    failure = {"type": "Microsoft.KeyVault/vaults", "errorCode": "Timeout"}
    inventory = Inventory(snapshot(world(), failures=[failure]))
    assert "Timeout" in inventory.gap("Microsoft.KeyVault/vaults", SUB, within=KV)


def _listed(mode: str) -> Inventory:
    return Inventory(
        Snapshot(scope={"subscriptions": []}, resources=world(), coverage=[], coverage_mode=mode, source="x")
    )


def test_top_level_coverage_of_resource_graph_output():
    inventory = _listed(COVERAGE_TOP_LEVEL)
    assert inventory.is_collected("Microsoft.Cache/Redis", SUB)  # top-level: absence is real
    assert inventory.is_collected("Microsoft.ApiManagement/service/apis", SUB)  # present
    assert not inventory.is_collected("Microsoft.ApiManagement/service/products", SUB)  # child types are not listed
    assert not inventory.is_collected("Microsoft.Insights/diagnosticSettings", OTHER)  # extension
    assert not inventory.is_collected("Microsoft.Consumption/budgets", SUB)  # not in the resources table
    assert "Resource Graph" in inventory.gap("Microsoft.ApiManagement/service/products", SUB)


def test_unknown_coverage_of_a_plain_array():
    inventory = _listed(COVERAGE_UNKNOWN)
    assert inventory.is_collected("Microsoft.KeyVault/vaults", SUB)
    assert not inventory.is_collected("Microsoft.Cache/Redis", SUB)
    assert "cannot be confirmed" in inventory.gap("Microsoft.Cache/Redis", SUB)


def test_context_refuses_uncollected_types_with_the_reason():
    inventory = Inventory(snapshot(world(), collected=["Microsoft.KeyVault/vaults"]))
    ctx = Context(inventory, SUB, {"limit": 3})
    assert ctx.params == {"limit": 3}
    assert [r.name for r in ctx.resources("Microsoft.KeyVault/vaults")] == ["kv"]
    with pytest.raises(NotCollected, match="not in the snapshot's coverage"):
        ctx.resources("Microsoft.Insights/metricAlerts")
    with pytest.raises(NotCollected):
        ctx.referencing(ctx.get(KV), "Microsoft.Network/privateEndpoints")
    with pytest.raises(NotCollected):
        ctx.children(ctx.get(APIM), "Microsoft.ApiManagement/service/apis")
    # an id of an uncollected type cannot be looked up either; a collected one that is absent is None
    with pytest.raises(NotCollected):
        ctx.get(arm_id("Microsoft.Cache/Redis", "nope"))
    assert ctx.get(arm_id("Microsoft.KeyVault/vaults", "nope")) is None


def test_listed_type_follows_the_id_only_where_the_type_field_spells_it_differently():
    from auditor.inventory import listed_type

    base = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/ns"
    singular = {"id": f"{base}/networkrulesets/default", "type": "Microsoft.ServiceBus/Namespaces/NetworkRuleSet"}
    assert listed_type(singular) == "Microsoft.ServiceBus/namespaces/networkrulesets"
    assert listed_type({"id": base, "type": "Microsoft.ServiceBus/Namespaces"}) == "Microsoft.ServiceBus/Namespaces"
    # A name holding "/" (attacker-controlled) must not turn into a type.
    odd = {"id": f"{base}/queues/a/b", "type": "Microsoft.ServiceBus/namespaces/queues"}
    assert listed_type(odd) == "Microsoft.ServiceBus/namespaces/queues"


def test_tag_linked_finds_hidden_links_case_insensitively_and_ignores_odd_tags():
    """applicationinsights 2022-06-15 WebTestGet.json links a web test to its component with a
    `hidden-link:{component id}` tag; Application Insights answers `"tags": ""` at times."""
    from auditor.inventory import Inventory
    from tests.checks.helpers import arm_id, snapshot

    component = arm_id("Microsoft.Insights/components", "appi")
    test = {
        "id": arm_id("Microsoft.Insights/webtests", "health"),
        "name": "health",
        "type": "Microsoft.Insights/webtests",
        "tags": {f"hidden-link:{component.upper()}": "Resource", "hidden-link:": "Resource"},
        "properties": {},
    }
    odd = {**test, "id": arm_id("Microsoft.Insights/webtests", "odd"), "name": "odd", "tags": ""}
    inventory = Inventory(snapshot([test, odd], collected=["Microsoft.Insights/webtests"]))
    assert [r["name"] for r in inventory.tag_linked(component, "microsoft.insights/WEBTESTS")] == ["health"]
    assert inventory.tag_linked(arm_id("Microsoft.Insights/components", "other"), "Microsoft.Insights/webtests") == []
