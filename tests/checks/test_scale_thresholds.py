"""The guide's scale-rule numbers (50 concurrent requests, 70 % CPU) and the off-peak schedule.

Rule shapes from azure-rest-api-specs app/.../examples/ContainerApps_Get.json (a custom rule of type
"http" with metadata concurrentRequests "50") and the http/custom ScaleRule schema in ContainerApps.json;
the HTTP default of 10 concurrent requests is documented at learn.microsoft.com/azure/container-apps/scale-app.
"""

import pytest

from tests.checks.helpers import only, resource, verdicts

APP = "Microsoft.App/containerApps"
HTTP_50 = {"name": "http-requests", "http": {"metadata": {"concurrentRequests": "50"}}}
SPEC_HTTP_50 = {"name": "httpscalingrule", "custom": {"type": "http", "metadata": {"concurrentRequests": "50"}}}
CPU_70 = {"name": "cpu-utilization", "custom": {"type": "cpu", "metadata": {"type": "Utilization", "value": "70"}}}
CRON = {
    "name": "peak-hours",
    "custom": {
        "type": "cron",
        "metadata": {"timezone": "UTC", "start": "0 8 * * 1-5", "end": "0 20 * * 1-5", "desiredReplicas": "6"},
    },
}


def app(*rules, name="ca"):
    scale = {"minReplicas": 2, "maxReplicas": 20}
    if rules:
        scale["rules"] = list(rules)
    return resource(APP, name, properties={"template": {"containers": [], "scale": scale}})


@pytest.mark.parametrize("rules", [[HTTP_50, CPU_70], [SPEC_HTTP_50], [CPU_70]], ids=["guide", "spec-example", "cpu"])
def test_the_guides_numbers_pass(rules):
    assert verdicts("aca.scale-thresholds", [app(*rules)]) == {"ca": "pass"}


def test_a_lazy_http_rule_fails_with_the_number():
    lazy = {"name": "http-requests", "http": {"metadata": {"concurrentRequests": "200"}}}
    finding = only("aca.scale-thresholds", [app(lazy, CPU_70)])
    assert finding.status.value == "fail" and "200 requests, above 50" in finding.evidence["message"]


def test_a_late_cpu_rule_fails():
    late = {"name": "cpu", "custom": {"type": "cpu", "metadata": {"type": "Utilization", "value": "90"}}}
    assert verdicts("aca.scale-thresholds", [app(HTTP_50, late)]) == {"ca": "fail"}


def test_thresholds_are_parameters():
    assert verdicts("aca.scale-thresholds", [app(HTTP_50)], params={"max_concurrent_requests": 40}) == {"ca": "fail"}


def test_http_rule_without_concurrency_uses_the_default_of_ten():
    finding = only("aca.scale-thresholds", [app({"name": "h", "http": {"metadata": {}}})])
    assert finding.status.value == "pass" and "h http 10 requests" in finding.evidence["message"]


def test_no_http_or_cpu_rule_does_not_apply():
    queue = {"name": "q", "azureQueue": {"queueName": "calls", "queueLength": 5, "auth": []}}
    assert verdicts("aca.scale-thresholds", [app(queue)]) == {"ca": "not_applicable"}
    assert verdicts("aca.scale-thresholds", [app()]) == {"ca": "not_applicable"}


def test_a_cpu_value_that_is_not_a_number_is_not_assessed():
    odd = {"name": "cpu", "custom": {"type": "cpu", "metadata": {"value": "seventy"}}}
    assert verdicts("aca.scale-thresholds", [app(odd)]) == {"ca": "not_assessed"}


def test_off_peak_schedule():
    assert verdicts("cost.off-peak-schedule", [app(HTTP_50, CRON)]) == {"ca": "pass"}
    assert verdicts("cost.off-peak-schedule", [app(HTTP_50, CPU_70)]) == {"ca": "fail"}
    assert verdicts("cost.off-peak-schedule", []) == {"test": "not_applicable"}


def test_off_peak_schedule_is_advisory():
    from auditor.registry import discover

    assert discover(entry_points=False).by_id()["cost.off-peak-schedule"].meta.severity.value == "low"
