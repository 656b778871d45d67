from datetime import date

import pytest

from auditor import engine
from auditor.api import Area, Remediation, Severity, check, passed
from auditor.checklist import Attestation, evaluate
from auditor.inventory import Context, Inventory, NotCollected, parent_of, type_of_id
from auditor.registry import Catalogue, checks_in_module
from tests.checks.helpers import SUB, arm_id, resource, snapshot

KV = arm_id("Microsoft.KeyVault/vaults", "kv")


def test_type_and_parent_of_ids():
    assert type_of_id(arm_id("Microsoft.Web/sites/slots", "a", "b")) == "Microsoft.Web/sites/slots"
    diag = f"{KV}/providers/Microsoft.Insights/diagnosticSettings/d"
    assert type_of_id(diag) == "Microsoft.Insights/diagnosticSettings"
    assert parent_of(diag) == KV
    assert parent_of(arm_id("Microsoft.ApiManagement/service/apis", "s", "a")) == arm_id(
        "Microsoft.ApiManagement/service", "s"
    )
    assert parent_of(KV) is None
    assert type_of_id(f"/subscriptions/{SUB}") == "Microsoft.Resources/subscriptions"


def world():
    vault = resource("Microsoft.KeyVault/vaults", "kv")
    pe = resource(
        "Microsoft.Network/privateEndpoints",
        "pe",
        properties={"privateLinkServiceConnections": [{"properties": {"privateLinkServiceId": KV.upper()}}]},
    )
    alert = resource("Microsoft.Insights/metricAlerts", "a", properties={"scopes": [KV]})
    diag = {
        "id": f"{KV}/providers/Microsoft.Insights/diagnosticSettings/d",
        "name": "d",
        "type": "Microsoft.Insights/diagnosticSettings",
        "properties": {},
    }
    return [vault, pe, alert, diag]


def test_lookups_are_case_insensitive_and_references_resolve():
    inv = Inventory(snapshot(world()))
    assert [r["name"] for r in inv.of_type("microsoft.keyvault/VAULTS", SUB.upper())] == ["kv"]
    assert inv.by_id(KV.lower())["name"] == "kv"
    assert [r["name"] for r in inv.referencing(KV, "Microsoft.Network/privateEndpoints")] == ["pe"]
    assert [r["name"] for r in inv.referencing(KV.lower(), "microsoft.insights/metricalerts")] == ["a"]
    assert [r["name"] for r in inv.children(KV, "Microsoft.Insights/diagnosticSettings")] == ["d"]


def test_context_refuses_uncollected_types_with_the_reason():
    failure = {
        "type": "Microsoft.Insights/diagnosticSettings",
        "scope": KV,
        "errorCode": "AuthorizationFailed",
        "message": "denied",
        "permission": "Microsoft.Insights/diagnosticSettings/read",
    }
    inv = Inventory(snapshot(world(), collected=["Microsoft.KeyVault/vaults"], failures=[failure]))
    ctx = Context(inv, SUB, {})
    vault = ctx.get(KV)
    with pytest.raises(NotCollected, match=r"Microsoft\.Insights/diagnosticSettings/read"):
        ctx.extensions(vault, "Microsoft.Insights/diagnosticSettings")
    with pytest.raises(NotCollected, match="not in the snapshot's coverage"):
        ctx.resources("Microsoft.Insights/metricAlerts")
    assert inv.is_collected("Microsoft.KeyVault/vaults", SUB)


def _catalogue_of(*functions):
    import types

    module = types.ModuleType("engine_test_checks")
    for fn in functions:
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    catalogue = Catalogue()
    checks_in_module(module, "test", catalogue)
    assert not catalogue.problems, catalogue.problems
    return catalogue.checks


def _meta(check_id, **extra):
    return dict(
        id=check_id,
        title="t",
        severity=Severity.LOW,
        area=Area.COST,
        checklist="cost-optimization",
        types=["Microsoft.KeyVault/vaults"],
        rationale="r",
        remediation=Remediation(text="x"),
        **extra,
    )


def test_engine_rules_raise_wrong_return_and_absence():
    @check(**_meta("t.raises"))
    def raises(res, ctx):
        raise ZeroDivisionError("nope")

    @check(**_meta("t.wrong-return"))
    def wrong_return(res, ctx):
        return "pass"

    @check(**_meta("t.fine"))
    def fine(res, ctx):
        return passed("ok")

    @check(**{**_meta("t.absent"), "types": ["Microsoft.Web/sites"], "when_absent": "fail"})
    def absent(res, ctx):
        return passed("never called")

    checks = _catalogue_of(raises, wrong_return, fine, absent)
    findings = engine.run(checks, Inventory(snapshot(world())))
    by_id = {f.check_id: f for f in findings}
    assert by_id["t.raises"].status.value == "error" and "ZeroDivisionError" in by_id["t.raises"].evidence["message"]
    assert by_id["t.wrong-return"].status.value == "error"
    assert by_id["t.fine"].status.value == "pass"
    assert by_id["t.absent"].status.value == "fail"
    assert by_id["t.absent"].resource_id == f"/subscriptions/{SUB}"


def test_uncollected_primary_type_is_not_assessed_at_subscription_scope():
    @check(**_meta("t.fine2"))
    def fine2(res, ctx):
        return passed("ok")

    findings = engine.run(_catalogue_of(fine2), Inventory(snapshot([], collected=[])))
    assert [f.status.value for f in findings] == ["not_assessed"]


def test_checklist_attestations_and_staleness():
    fresh = Attestation("security-assessment", "me", date(2026, 11, 1), "https://x")
    stale = Attestation("disaster-recovery", "me", date(2025, 1, 1), "https://x")
    items = {i["id"]: i for i in evaluate({"c": ["pass"]}, {"c": "waf"}, [fresh, stale], date(2026, 11, 28), 180)}
    assert items["security-assessment"]["status"] == "attested"
    assert items["disaster-recovery"]["status"] == "stale" and items["disaster-recovery"]["attestation"]["stale"]
    assert items["rollback-tested"]["status"] == "manual"
    assert items["waf"]["status"] == "pass"
    assert items["private-endpoints"]["status"] == "not_assessed"  # no check ran for it
    assert items["load-testing"]["mode"] == "both"
