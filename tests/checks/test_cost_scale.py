from tests.checks.helpers import SUB, only, resource, verdicts


def budget(notifications):
    return {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Consumption/budgets/monthly",
        "name": "monthly",
        "type": "Microsoft.Consumption/budgets",
        "properties": {"category": "Cost", "amount": 100, "timeGrain": "Monthly", "notifications": notifications},
    }


def test_budget():
    good = {
        "Actual_GreaterThan_80_Percent": {
            "enabled": True,
            "operator": "GreaterThan",
            "threshold": 80,
            "contactEmails": ["a@contoso.com"],
        }
    }
    muted = {"n": {"enabled": False, "threshold": 80, "contactEmails": ["a@contoso.com"]}}
    nobody = {"n": {"enabled": True, "threshold": 80, "contactEmails": []}}
    assert only("cost.budget", [budget(good)]).status.value == "pass"
    assert only("cost.budget", [budget(muted)]).status.value == "fail"
    assert only("cost.budget", [budget(nobody)]).status.value == "fail"
    assert only("cost.budget", []).status.value == "fail"
    assert only("cost.budget", [budget({"n": "x"})]).status.value == "not_assessed"
    assert only("cost.budget", [], collected=[]).status.value == "not_assessed"


APP = "Microsoft.App/containerApps"


def app(name, rules):
    scale = {"minReplicas": 2, "maxReplicas": 10}
    if rules is not None:
        scale["rules"] = rules
    return resource(APP, name, properties={"template": {"containers": [], "scale": scale}})


def test_scale_rules():
    result = verdicts(
        "aca.scale-rules",
        [
            app("http", [{"name": "h", "http": {"metadata": {"concurrentRequests": "50"}}}]),
            app("cpu", [{"name": "c", "custom": {"type": "cpu", "metadata": {"type": "Utilization", "value": "70"}}}]),
            app("none", None),
            app("empty", []),
            app("odd", ["http"]),
        ],
    )
    assert result == {"http": "pass", "cpu": "pass", "none": "fail", "empty": "fail", "odd": "not_assessed"}


def test_environment_zone_redundancy():
    env = "Microsoft.App/managedEnvironments"
    result = verdicts(
        "aca.environment-zone-redundant",
        [
            resource(env, "zonal", properties={"zoneRedundant": True}),
            resource(env, "single", properties={"zoneRedundant": False}),
            resource(env, "silent", properties={}),
            resource(env, "odd", properties={"zoneRedundant": "true"}),
        ],
    )
    assert result == {"zonal": "pass", "single": "fail", "silent": "fail", "odd": "not_assessed"}


def test_managed_messaging():
    an_app = app("a", None)
    bus = resource("Microsoft.ServiceBus/namespaces", "sb", properties={}, sku={"name": "Premium"})
    assert only("scale.managed-messaging", [an_app]).status.value == "fail"
    assert only("scale.managed-messaging", [an_app, bus]).status.value == "pass"
    assert only("scale.managed-messaging", []).status.value == "not_applicable"
