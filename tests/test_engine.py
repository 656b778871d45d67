"""The verdict rules the engine enforces for every check, built-in or plugin."""

from __future__ import annotations

import types
from typing import Any

from auditor import engine
from auditor.api import Area, DataError, Param, Remediation, Severity, check, failed, passed
from auditor.inventory import Inventory
from auditor.model import Observation, Status
from auditor.registry import Catalogue, checks_in_module
from auditor.snapshot import Snapshot
from tests.checks.helpers import SUB, arm_id, resource, snapshot

OTHER = "00000000-0000-0000-0000-000000000002"
VAULT = "Microsoft.KeyVault/vaults"


def catalogue_of(*functions: Any) -> list:
    module = types.ModuleType("engine_test_checks")
    for fn in functions:
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    catalogue = Catalogue()
    checks_in_module(module, "test", catalogue)
    assert not catalogue.problems, catalogue.problems
    return catalogue.checks


def meta(check_id: str, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        id=check_id,
        title="t",
        severity=Severity.LOW,
        area=Area.COST,
        checklist="cost-optimization",
        types=[VAULT],
        rationale="r",
        remediation=Remediation(text="x"),
    )
    fields.update(extra)
    return fields


def vaults(*properties: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource(VAULT, f"kv{i}", properties=p) for i, p in enumerate(properties)]


def by_check(findings) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.check_id, []).append(f.status.value)
    return out


def test_a_raising_check_is_an_error_and_the_others_still_run():
    @check(**meta("t.raises"))
    def raises(res, ctx):
        raise ZeroDivisionError("nope")

    @check(**meta("t.wrong-return"))
    def wrong_return(res, ctx):
        return "pass"

    @check(**meta("t.returns-none"))
    def returns_none(res, ctx):
        return None

    @check(**meta("t.fine"))
    def fine(res, ctx):
        return passed("ok")

    findings = engine.run(catalogue_of(raises, wrong_return, returns_none, fine), Inventory(snapshot(vaults({}, {}))))
    assert by_check(findings) == {
        "t.fine": ["pass", "pass"],
        "t.raises": ["error", "error"],
        "t.returns-none": ["error", "error"],
        "t.wrong-return": ["error", "error"],
    }
    error = next(f for f in findings if f.check_id == "t.raises")
    assert "ZeroDivisionError: nope" in error.evidence["message"] and "test_engine.py:" in error.evidence["message"]
    wrong = next(f for f in findings if f.check_id == "t.wrong-return")
    assert "returned str, not a Verdict" in wrong.evidence["message"]


def test_missing_data_never_passes():
    @check(**meta("t.needs-flag"))
    def needs_flag(res, ctx):
        return passed("on") if res.get("properties.enableRbacAuthorization", expect=bool) else failed("off")

    findings = engine.run(
        catalogue_of(needs_flag),
        Inventory(snapshot(vaults({}, {"enableRbacAuthorization": "true"}, {"enableRbacAuthorization": 1}))),
    )
    verdicts = {f.resource_name: f for f in findings}
    assert {n: f.status.value for n, f in verdicts.items()} == {
        "kv0": "not_assessed",
        "kv1": "not_assessed",
        "kv2": "not_assessed",
    }
    assert "is not in the snapshot" in verdicts["kv0"].evidence["message"]
    assert "is string, expected boolean" in verdicts["kv1"].evidence["message"]
    assert "is integer, expected boolean" in verdicts["kv2"].evidence["message"]


def test_data_error_and_odd_containers_are_not_assessed_with_what_was_read():
    @check(**meta("t.walks"))
    def walks(res, ctx):
        res.get("properties.sku", default="standard")
        rules = res.get("properties.networkAcls.ipRules[0].value", default=None)
        if rules is None:
            raise DataError("no rule to judge")
        return passed("walked")

    findings = engine.run(
        catalogue_of(walks),
        Inventory(
            snapshot(
                vaults({}, {"networkAcls": {"ipRules": "all"}}, {"networkAcls": {"ipRules": [{"value": "1.2.3.4"}]}})
            )
        ),
    )
    verdicts = {f.resource_name: f for f in findings}
    # A default stands in for a property left out of an object that exists, never for a missing parent.
    assert verdicts["kv0"].status is Status.NOT_ASSESSED
    assert verdicts["kv0"].evidence["message"] == (
        "properties.networkAcls is not in the snapshot (needed for properties.networkAcls.ipRules[0].value)"
    )
    assert verdicts["kv0"].evidence["observations"][0] == {
        "path": "properties.sku",
        "observed": "standard",
        "defaultApplied": True,
    }
    assert verdicts["kv1"].status is Status.NOT_ASSESSED
    assert "properties.networkAcls.ipRules is string, expected array" in verdicts["kv1"].evidence["message"]
    assert verdicts["kv2"].status is Status.PASS
    observed = verdicts["kv2"].evidence["observations"]
    assert {"path": "properties.networkAcls.ipRules[0].value", "observed": "1.2.3.4"} in observed


def test_querying_an_uncollected_type_is_not_assessed_with_the_reason():
    @check(**meta("t.needs-pe", reads=["Microsoft.Network/privateEndpoints"]))
    def needs_pe(res, ctx):
        return passed("x") if ctx.referencing(res, "Microsoft.Network/privateEndpoints") else failed("none")

    failure = {
        "type": "Microsoft.Network/privateEndpoints",
        "errorCode": "AuthorizationFailed",
        "permission": "Microsoft.Network/privateEndpoints/read",
    }
    inv = Inventory(snapshot(vaults({}), collected=[VAULT], failures=[failure]))
    (finding,) = engine.run(catalogue_of(needs_pe), inv)
    assert finding.status is Status.NOT_ASSESSED
    assert "Microsoft.Network/privateEndpoints/read" in finding.evidence["message"]


def test_uncollected_primary_type_is_not_assessed_at_subscription_scope():
    @check(**meta("t.any"))
    def anything(res, ctx):
        return passed("ok")

    @check(**meta("t.absent-fails", when_absent="fail"))
    def absent_fails(res, ctx):
        return passed("ok")

    findings = engine.run(catalogue_of(anything, absent_fails), Inventory(snapshot([], collected=[])))
    assert [(f.check_id, f.status.value, f.resource_id) for f in findings] == [
        ("t.absent-fails", "not_assessed", f"/subscriptions/{SUB}"),
        ("t.any", "not_assessed", f"/subscriptions/{SUB}"),
    ]


def test_absence_is_not_applicable_or_fail_as_declared():
    @check(**meta("t.absent-na", types=["Microsoft.Web/sites"]))
    def absent_na(res, ctx):
        return passed("never called")

    @check(**meta("t.absent-fails", types=["Microsoft.Web/sites", "Microsoft.App/containerApps"], when_absent="fail"))
    def absent_fails(res, ctx):
        return passed("never called")

    findings = engine.run(catalogue_of(absent_na, absent_fails), Inventory(snapshot(vaults({}))))
    verdicts = {f.check_id: f for f in findings}
    assert len(findings) == 2
    assert verdicts["t.absent-na"].status is Status.NOT_APPLICABLE
    assert verdicts["t.absent-fails"].status is Status.FAIL
    assert verdicts["t.absent-fails"].resource_id == f"/subscriptions/{SUB}"
    assert verdicts["t.absent-fails"].resource_type == "Microsoft.Resources/subscriptions"
    assert "Microsoft.Web/sites, Microsoft.App/containerApps" in verdicts["t.absent-fails"].evidence["message"]


def test_a_partly_failed_listing_never_lets_the_scope_pass():
    """Vaults of one resource group were read, another group's listing failed: the readable
    vaults are judged, and the scope is not_assessed since vaults may be missing."""

    @check(**meta("t.vault"))
    def vault_ok(res, ctx):
        return passed("ok")

    failure = {
        "type": VAULT,
        "scope": f"/subscriptions/{SUB}/resourceGroups/rg-locked/providers/{VAULT}",
        "errorCode": "AuthorizationFailed",
    }
    findings = engine.run(catalogue_of(vault_ok), Inventory(snapshot(vaults({}), failures=[failure])))
    assert sorted((f.resource_name, f.status.value) for f in findings) == [("kv0", "pass"), ("test", "not_assessed")]
    gap = next(f for f in findings if f.status is Status.NOT_ASSESSED)
    assert "rg-locked" in gap.evidence["message"] and gap.resource_id == f"/subscriptions/{SUB}"


def test_one_scope_finding_for_several_uncollected_types():
    @check(**meta("t.two-types", types=["Microsoft.Web/sites", "Microsoft.App/containerApps"]))
    def two_types(res, ctx):
        return passed("ok")

    findings = engine.run(catalogue_of(two_types), Inventory(snapshot([], collected=[])))
    assert len(findings) == 1 and findings[0].status is Status.NOT_ASSESSED
    assert "Microsoft.Web/sites" in findings[0].evidence["message"]
    assert "Microsoft.App/containerApps" in findings[0].evidence["message"]


def test_subscription_scope_checks_run_once_per_subscription():
    seen: list[str] = []

    @check(**meta("t.per-sub", scope="subscription", reads=[VAULT]))
    def per_sub(res, ctx):
        seen.append(res.id)
        return passed(f"{len(ctx.resources(VAULT))} vaults") if ctx.resources(VAULT) else failed("no vault")

    other_vault = resource(VAULT, "kv-other")
    other_vault["id"] = other_vault["id"].replace(SUB, OTHER)
    snap = snapshot([*vaults({}, {}), other_vault])
    snap.coverage += [{"subscriptionId": OTHER, "type": VAULT, "collected": True}]
    snap.scope["subscriptions"].append({"subscriptionId": OTHER, "displayName": "other"})
    findings = engine.run(catalogue_of(per_sub), Inventory(snap))
    assert sorted(seen) == sorted([f"/subscriptions/{SUB}", f"/subscriptions/{OTHER}"])
    assert {f.resource_name: f.evidence["message"] for f in findings} == {"test": "2 vaults", "other": "1 vaults"}
    assert {f.subscription_id for f in findings} == {SUB, OTHER}


def test_params_and_severity_overrides():
    @check(**meta("t.param", params={"minimum": Param(2, "at least")}))
    def with_param(res, ctx):
        return passed("enough") if ctx.params["minimum"] <= 2 else failed("too few")

    checks = catalogue_of(with_param)
    inv = Inventory(snapshot(vaults({})))
    (default,) = engine.run(checks, inv)
    assert default.status is Status.PASS and default.severity is Severity.LOW
    options = engine.RunOptions(params={"t.param": {"minimum": 3}}, severities={"t.param": Severity.CRITICAL})
    (overridden,) = engine.run(checks, inv, options)
    assert overridden.status is Status.FAIL and overridden.severity is Severity.CRITICAL
    assert engine.effective_params(checks[0], {"minimum": 5}) == {"minimum": 5}


def test_secret_values_never_reach_evidence():
    key = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0;EndpointSuffix=x"

    @check(**meta("t.leaky"))
    def leaky(res, ctx):
        env = res.get("properties.env", expect=list)
        return failed("has env", observations=[Observation("properties.env", env)])

    (finding,) = engine.run(
        catalogue_of(leaky),
        Inventory(
            snapshot(vaults({"env": [{"name": "STORAGE", "value": key}, {"name": "API_KEY", "value": "hunter22"}]}))
        ),
    )
    text = repr(finding.evidence)
    assert "c2VjcmV0c2VjcmV0c2VjcmV0" not in text and "hunter22" not in text
    assert "STORAGE" in text and "API_KEY" in text and "redacted" in text


def test_findings_are_sorted_and_fingerprints_stable_and_unique():
    @check(**meta("t.b"))
    def b(res, ctx):
        return passed("ok")

    @check(**meta("t.a"))
    def a(res, ctx):
        return passed("ok")

    findings = engine.run(catalogue_of(b, a), Inventory(snapshot(vaults({}, {}, {}))))
    keys = [(f.check_id, f.resource_id.lower()) for f in findings]
    assert keys == sorted(keys)
    assert len({f.fingerprint for f in findings}) == len(findings) == 6
    kv = arm_id(VAULT, "kv0")
    assert engine.fingerprint("t.a", kv) == engine.fingerprint("t.a", kv.upper() + "/")
    assert engine.fingerprint("t.a", kv) != engine.fingerprint("t.b", kv)


def test_an_empty_snapshot_judges_nothing_and_crashes_nothing():
    @check(**meta("t.x"))
    def x(res, ctx):
        return passed("ok")

    empty = Snapshot(scope={"subscriptions": []}, resources=[], coverage=[])
    assert engine.run(catalogue_of(x), Inventory(empty)) == []
