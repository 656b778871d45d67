"""Scale rules and zone redundancy of Container Apps."""

import pytest

from tests.checks.helpers import arm_id, resource, verdicts

APP = "Microsoft.App/containerApps"
ENV = "Microsoft.App/managedEnvironments"


def app(name, rules):
    scale = {"minReplicas": 2, "maxReplicas": 10}
    if rules is not None:
        scale["rules"] = rules
    return resource(APP, name, properties={"template": {"containers": [], "scale": scale}})


def example_response_app():
    """The 200 body of app/.../Microsoft.App/stable/2024-03-01/examples/ContainerApps_CreateOrUpdate.json
    (trimmed to the template, our own names): one HTTP rule, 50 concurrent requests."""
    return {
        "id": arm_id(APP, "testcontainerapp0"),
        "name": "testcontainerapp0",
        "type": APP,
        "location": "East US",
        "properties": {
            "provisioningState": "Succeeded",
            "managedEnvironmentId": arm_id(ENV, "demokube"),
            "template": {
                "containers": [
                    {"image": "repo/testcontainerapp0:v4", "name": "c", "resources": {"cpu": 0.5, "memory": "1Gi"}}
                ],
                "scale": {
                    "minReplicas": 1,
                    "maxReplicas": 5,
                    "rules": [{"name": "httpscalingrule", "http": {"metadata": {"concurrentRequests": "50"}}}],
                },
            },
        },
    }


def test_example_response_has_a_scale_rule():
    assert verdicts("aca.scale-rules", [example_response_app()]) == {"testcontainerapp0": "pass"}


def test_scale_rule_kinds():
    result = verdicts(
        "aca.scale-rules",
        [
            app("http", [{"name": "h", "http": {"metadata": {"concurrentRequests": "50"}}}]),
            app("http-default", [{"name": "h", "http": {}}]),  # concurrency defaults to 10
            # The request body of the same example: an HTTP rule written as a custom (KEDA) rule.
            app("custom-http", [{"name": "r", "custom": {"type": "http", "metadata": {"concurrentRequests": "50"}}}]),
            app("cpu", [{"name": "c", "custom": {"type": "cpu", "metadata": {"type": "Utilization", "value": "70"}}}]),
            app("tcp", [{"name": "t", "tcp": {"metadata": {"concurrentConnections": "100"}}}]),
            app("queue", [{"name": "q", "azureQueue": {"queueName": "calls", "queueLength": 20}}]),
            app("none", None),
            app("empty", []),
            app("nameless-trigger", [{"name": "n"}]),
        ],
    )
    assert result == {
        "http": "pass",
        "http-default": "pass",
        "custom-http": "pass",
        "cpu": "pass",
        "tcp": "pass",
        "queue": "pass",
        "none": "fail",
        "empty": "fail",
        "nameless-trigger": "fail",
    }


@pytest.mark.parametrize(
    "rules", [["http"], [{"name": "c", "custom": "cpu"}], {"name": "h"}], ids=["string", "trigger", "not-list"]
)
def test_odd_scale_rules_are_not_assessed(rules):
    items = [resource(APP, "odd", properties={"template": {"scale": {"rules": rules}}})]
    assert verdicts("aca.scale-rules", items) == {"odd": "not_assessed"}


def test_scale_rules_not_applicable_without_apps():
    assert verdicts("aca.scale-rules", []) == {"test": "not_applicable"}


def test_environment_zone_redundancy():
    result = verdicts(
        "aca.environment-zone-redundant",
        [
            resource(ENV, "zonal", properties={"zoneRedundant": True}),
            resource(ENV, "single", properties={"zoneRedundant": False}),
            resource(ENV, "silent", properties={}),  # ARM default: not zone redundant
            resource(ENV, "odd", properties={"zoneRedundant": "true"}),
        ],
    )
    assert result == {"zonal": "pass", "single": "fail", "silent": "fail", "odd": "not_assessed"}


def test_example_environment_is_zone_redundant():
    # app/.../stable/2024-03-01/examples/ManagedEnvironments_Get.json returns "zoneRedundant": true.
    env = resource(
        ENV,
        "jlaw-demo1",
        properties={
            "provisioningState": "Succeeded",
            "defaultDomain": "jlaw-demo1.k4apps.io",
            "staticIp": "20.42.33.145",
            "appLogsConfiguration": {"logAnalyticsConfiguration": {"customerId": "string"}},
            "zoneRedundant": True,
        },
    )
    assert verdicts("aca.environment-zone-redundant", [env]) == {"jlaw-demo1": "pass"}
    assert verdicts("aca.environment-zone-redundant", [], collected=[]) == {"test": "not_assessed"}
