"""Missing or odd data never passes (issue 11 §1). Each case starts from the demo's failing
container app (ARM wire shape, as in the ContainerApps_Get example of azure-rest-api-specs
Microsoft.App/stable/2024-03-01/examples/ContainerApps_Get.json) and takes a piece away or gives a
value the wrong type: the verdict must be not_assessed, naming the path, never pass or error."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from auditor import engine, snapshot
from auditor.inventory import Inventory
from auditor.registry import discover
from tests.checks.helpers import only, resource
from tests.conftest import FIXTURES

ACA_SECRET_CHECKS = ("secrets.aca-env-plaintext", "secrets.aca-registry-password", "secrets.aca-secrets-in-keyvault")


def _demo(rtype: str, name: str) -> dict[str, Any]:
    document = json.loads((FIXTURES / "demo.json").read_text())
    return next(r for r in document["resources"] if r["type"] == rtype and r["name"] == name)


def backend() -> dict[str, Any]:
    app = copy.deepcopy(_demo("Microsoft.App/containerApps", "ca-voice-backend"))
    app["id"] = app["id"].replace(app["id"].split("/")[2], "00000000-0000-0000-0000-000000000001")
    app["properties"].pop("managedEnvironmentId")
    app["properties"].pop("environmentId")
    return app


def _without(app: dict[str, Any], *path: str) -> dict[str, Any]:
    node = app
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return app


def test_the_untouched_demo_app_fails_all_three():
    for check_id in ACA_SECRET_CHECKS:
        assert only(check_id, [backend()]).status.value == "fail", check_id


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda a: _without(a, "properties"), id="no-properties"),
        pytest.param(lambda a: a.__setitem__("properties", None), id="properties-null"),
        pytest.param(lambda a: a.__setitem__("properties", {}), id="properties-empty"),
        pytest.param(lambda a: _without(a, "properties", "configuration"), id="no-configuration"),
        pytest.param(lambda a: _without(a, "properties", "template"), id="no-template"),
        pytest.param(lambda a: _without(a, "properties", "template", "containers"), id="no-containers"),
        pytest.param(lambda a: a["properties"]["template"].__setitem__("containers", []), id="containers-empty"),
    ],
)
def test_a_container_app_without_its_parts_is_not_assessed(mutate):
    app = backend()
    mutate(app)
    props = app.get("properties") or {}
    for check_id in ACA_SECRET_CHECKS:
        part = "template" if check_id == "secrets.aca-env-plaintext" else "configuration"
        finding = only(check_id, [app])
        if part in props and (part == "configuration" or props["template"].get("containers")):
            assert finding.status.value == "fail", (check_id, finding.evidence)  # its part is intact
            continue
        assert finding.status.value == "not_assessed", (check_id, finding.evidence)
        assert "is not in the snapshot" in finding.evidence["message"] or "is empty" in finding.evidence["message"]


def test_resource_graph_output_projected_to_id_name_type_is_not_assessed():
    """`az graph query -q "resources | project id, name, type"` prints rows with nothing else."""
    app = backend()
    row = {"id": app["id"], "name": app["name"], "type": app["type"]}
    snap = snapshot.from_document({"count": 1, "data": [row], "skip_token": None, "total_records": 1}, "graph.json")
    catalogue = discover(entry_points=False).by_id()
    findings = engine.run([catalogue[c] for c in ACA_SECRET_CHECKS], Inventory(snap))
    assert {f.check_id: f.status.value for f in findings} == dict.fromkeys(ACA_SECRET_CHECKS, "not_assessed")


def _env(app: dict[str, Any]) -> list[Any]:
    return app["properties"]["template"]["containers"][0]["env"]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda a: a["properties"]["template"]["containers"][0].__setitem__("env", 0), "containers[0].env is integer"),
        (lambda a: a["properties"]["template"]["containers"][0].__setitem__("env", {}), "containers[0].env is object"),
        (lambda a: _env(a)[2].__setitem__("value", 7), "env[2].value is integer"),
        (lambda a: _env(a)[2].__setitem__("name", ["x"]), "env[2].name is array"),
        (lambda a: _env(a).__setitem__(2, "AZURE_OPENAI_KEY"), "env[2] is string"),
    ],
)
def test_env_of_the_wrong_type_is_not_assessed_with_the_path(mutate, path):
    app = backend()
    mutate(app)
    finding = only("secrets.aca-env-plaintext", [app])
    assert finding.status.value == "not_assessed" and path in finding.evidence["message"], finding.evidence


@pytest.mark.parametrize("ref", [0, [], {}, True, "absent"])
def test_a_registry_password_ref_of_the_wrong_type_or_absent_is_not_assessed(ref):
    app = backend()
    registry = app["properties"]["configuration"]["registries"][0]
    if ref == "absent":
        del registry["passwordSecretRef"]
    else:
        registry["passwordSecretRef"] = ref
    finding = only("secrets.aca-registry-password", [app])
    assert finding.status.value == "not_assessed", finding.evidence
    assert "registries[0].passwordSecretRef" in finding.evidence["message"]


@pytest.mark.parametrize("url", [True, 1, {}, ["https://kv.vault.azure.net/secrets/x"]])
def test_a_key_vault_url_of_the_wrong_type_is_not_assessed(url):
    app = backend()
    for secret in app["properties"]["configuration"]["secrets"]:
        secret["keyVaultUrl"] = url
    finding = only("secrets.aca-secrets-in-keyvault", [app])
    assert finding.status.value == "not_assessed" and "secrets[0].keyVaultUrl" in finding.evidence["message"]


@pytest.mark.parametrize("name", [["registry-password"], {"n": 1}, 3])
def test_an_unhashable_or_odd_secret_name_is_not_assessed_not_an_error(name):
    app = backend()
    app["properties"]["configuration"]["secrets"][3]["name"] = name
    for check_id in ("secrets.aca-registry-password", "secrets.aca-secrets-in-keyvault"):
        finding = only(check_id, [app])
        assert finding.status.value == "not_assessed", (check_id, finding.evidence)
        assert "configuration.secrets[3].name" in finding.evidence["message"]


def test_an_acr_with_no_properties_is_not_assessed():
    """The registry's adminUserEnabled defaults to false, but only inside a properties object."""
    registry = copy.deepcopy(_demo("Microsoft.ContainerRegistry/registries", "crvoiceprod"))
    registry["id"] = registry["id"].replace(registry["id"].split("/")[2], "00000000-0000-0000-0000-000000000001")
    for odd in ({}, {"properties": None}):
        shaped = {k: v for k, v in registry.items() if k != "properties"} | odd
        finding = only("identity.acr.local-auth-disabled", [shaped])
        assert finding.status.value == "not_assessed", finding.evidence
    registry["properties"].pop("adminUserEnabled")
    assert only("identity.acr.local-auth-disabled", [registry]).status.value == "pass"  # ARM's default: false


def _hardened(rtype: str, name: str | None = None) -> list[dict[str, Any]]:
    document = json.loads((FIXTURES / "hardened.json").read_text())
    return [r for r in document["resources"] if r["type"] == rtype and (name is None or r["name"] == name)]


@pytest.mark.parametrize("odd", ["on", True, 0])
def test_a_gateway_listener_with_odd_properties_is_not_assessed_not_an_error(odd):
    gateway = copy.deepcopy(_hardened("Microsoft.Network/applicationGateways")[0])
    gateway["properties"]["httpListeners"][0]["properties"] = odd
    snap = snapshot.load(FIXTURES / "hardened.json")
    snap.resources = [gateway if r["id"] == gateway["id"] else r for r in snap.resources]
    catalogue = discover(entry_points=False).by_id()
    for check_id in ("appgw.waf-prevention", "appgw.waf-rule-set", "network.waf-fronts-http"):
        statuses = {f.status.value: f for f in engine.run([catalogue[check_id]], Inventory(snap))}
        assert "error" not in statuses and "pass" not in statuses, (check_id, list(statuses))
        assert "httpListeners[0].properties is" in statuses["not_assessed"].evidence["message"]


def test_a_front_door_association_with_odd_patterns_is_not_assessed_not_an_error():
    snap = snapshot.load(FIXTURES / "hardened.json")
    policy = next(r for r in snap.resources if r["type"].lower() == "microsoft.cdn/profiles/securitypolicies")
    odd = copy.deepcopy(policy)
    odd["properties"]["parameters"]["associations"][0]["patternsToMatch"] = True
    snap.resources = [odd if r is policy else r for r in snap.resources]
    catalogue = discover(entry_points=False).by_id()
    for check_id in ("frontdoor.waf-prevention", "frontdoor.waf-rule-set"):
        statuses = {f.status.value: f for f in engine.run([catalogue[check_id]], Inventory(snap))}
        assert set(statuses) == {"not_assessed"}, (check_id, list(statuses))
        assert "patternsToMatch" in statuses["not_assessed"].evidence["message"]


def test_container_env_of_the_wrong_type_is_not_an_error_in_the_telemetry_check():
    app = resource(
        "Microsoft.App/containerApps",
        "ca",
        properties={"configuration": {}, "template": {"containers": [{"name": "c", "image": "i", "env": True}]}},
    )
    finding = only("monitor.workload-telemetry", [app])
    assert finding.status.value == "not_assessed" and "containers[0].env is boolean" in finding.evidence["message"]


def _audit_with(resource_type: str, change, check_ids: tuple[str, ...]) -> dict[str, set[str]]:
    snap = snapshot.load(FIXTURES / "hardened.json")
    target = next(r for r in snap.resources if r["type"].lower() == resource_type.lower())
    changed = copy.deepcopy(target)
    change(changed["properties"]["managedRules"]["managedRuleSets"][0])
    snap.resources = [changed if r is target else r for r in snap.resources]
    catalogue = discover(entry_points=False).by_id()
    return {c: {f.status.value for f in engine.run([catalogue[c]], Inventory(snap))} for c in check_ids}


@pytest.mark.parametrize("odd", [0, {}, ["Disabled"], True])
def test_a_gateway_waf_override_state_of_the_wrong_type_never_passes(odd):
    """An override rule whose `state` is not a string was read as str(state) != "disabled": a rule
    switched off in an unexpected shape counted as on (azure-rest-api-specs network
    webapplicationfirewall.json: ManagedRuleOverride.state is a string enum)."""

    def override(rule_set):
        rule = {"ruleId": "942100", "state": odd}
        rule_set["ruleGroupOverrides"] = [{"ruleGroupName": "REQUEST-942-APPLICATION-ATTACK-SQLI", "rules": [rule]}]

    policy = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
    statuses = _audit_with(policy, override, ("appgw.waf-rule-set",))
    assert statuses["appgw.waf-rule-set"] == {"not_assessed"}, statuses


@pytest.mark.parametrize(("field", "odd"), [("enabledState", {}), ("enabledState", 0), ("ruleId", ["942100"])])
def test_a_front_door_waf_override_of_the_wrong_type_never_passes(field, odd):
    def override(rule_set):
        rule = {"ruleId": "942100", "enabledState": "Disabled", "action": "Block"} | {field: odd}
        rule_set["ruleGroupOverrides"] = [{"ruleGroupName": "SQLI", "rules": [rule]}]

    policy = "Microsoft.Network/FrontDoorWebApplicationFirewallPolicies"
    statuses = _audit_with(policy, override, ("frontdoor.waf-rule-set",))
    assert statuses["frontdoor.waf-rule-set"] == {"not_assessed"}, statuses
