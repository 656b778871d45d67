import pytest
from auditor.checks.identity import KEY_AUTH, WORKLOADS

from tests.checks.helpers import only, resource, verdicts


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.key)
def test_managed_identity(workload):
    check_id = f"identity.{workload.key}.managed-identity"
    items = [
        resource(workload.rtype, "system", identity={"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}),
        resource(
            workload.rtype, "both", identity={"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {}}
        ),
        resource(workload.rtype, "none", identity={"type": "None"}),
        resource(workload.rtype, "absent"),
        resource(workload.rtype, "odd", identity={"type": 7}),
    ]
    assert verdicts(check_id, items) == {
        "system": "pass",
        "both": "pass",
        "none": "fail",
        "absent": "fail",
        "odd": "not_assessed",
    }
    assert only(check_id, []).status.value == "not_applicable"


def _set(props: dict, path: str, value) -> dict:
    parts = path.split(".")[1:]
    node = props
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return props


def _hardened(rule) -> dict:
    props = _set({}, rule.path, rule.disabled_value)
    for path, required, _ in rule.also:
        _set(props, path, required)
    return props


@pytest.mark.parametrize("rule", KEY_AUTH, ids=lambda r: r.key)
def test_local_auth_disabled(rule):
    check_id = f"identity.{rule.key}.local-auth-disabled"
    enabled_value = (not rule.disabled_value) if isinstance(rule.disabled_value, bool) else "Enabled"
    odd_value = "sometimes" if isinstance(rule.disabled_value, bool) else 3
    items = [
        resource(rule.rtype, "off", properties=_hardened(rule)),
        resource(rule.rtype, "on", properties=_set({}, rule.path, enabled_value)),
        resource(rule.rtype, "odd", properties=_set({}, rule.path, odd_value)),
    ]
    result = verdicts(check_id, items)
    assert result == {"off": "pass", "on": "fail", "odd": "not_assessed"}
    assert only(check_id, []).status.value == "not_applicable"


@pytest.mark.parametrize("rule", KEY_AUTH, ids=lambda r: r.key)
def test_local_auth_absent_property_uses_the_arm_default(rule):
    check_id = f"identity.{rule.key}.local-auth-disabled"
    finding = only(check_id, [resource(rule.rtype, "silent")])
    expected = "pass" if rule.default == rule.disabled_value else "fail"
    assert finding.status.value == expected
    assert finding.evidence["observations"][0]["defaultApplied"] is True


def test_redis_needs_entra_auth_too():
    redis = resource(
        "Microsoft.Cache/Redis",
        "half",
        properties={"disableAccessKeyAuthentication": True, "redisConfiguration": {"aad-enabled": "false"}},
    )
    finding = only("identity.redis.local-auth-disabled", [redis])
    assert finding.status.value == "fail" and "aad-enabled" in finding.evidence["message"]


def test_app_insights_property_name_is_matched_case_insensitively():
    component = resource("Microsoft.Insights/components", "appi", properties={"disableLocalAuth": True}, kind="web")
    assert verdicts("identity.appinsights.local-auth-disabled", [component]) == {"appi": "pass"}
