import pytest
from auditor.checks.monitoring import LOGGED

from tests.checks.helpers import arm_id, only, resource, verdicts

DIAG = "Microsoft.Insights/diagnosticSettings"
WORKSPACE = arm_id("Microsoft.OperationalInsights/workspaces", "log")
APPI = "Microsoft.Insights/components"


def test_appinsights_workspace_based():
    modern = resource(
        APPI, "modern", kind="web", properties={"WorkspaceResourceId": WORKSPACE, "IngestionMode": "LogAnalytics"}
    )
    classic = resource(APPI, "classic", kind="web", properties={"IngestionMode": "ApplicationInsights"})
    odd = resource(APPI, "odd", kind="web", properties={"WorkspaceResourceId": ["x"]})
    assert verdicts("monitor.appinsights-workspace", [modern, classic, odd]) == {
        "modern": "pass",
        "classic": "fail",
        "odd": "not_assessed",
    }
    assert only("monitor.appinsights-workspace", []).status.value == "fail"  # absence is the problem


def environment(name, **props):
    return resource("Microsoft.App/managedEnvironments", name, properties=props)


def app(name, env, variables=()):
    return resource(
        "Microsoft.App/containerApps",
        name,
        properties={
            "managedEnvironmentId": env["id"],
            "template": {"containers": [{"name": "c", "env": list(variables)}]},
        },
    )


def test_workload_telemetry():
    quiet_env = environment("quiet")
    logging_env = environment("logging", appLogsConfiguration={"destination": "log-analytics"})
    items = [
        quiet_env,
        logging_env,
        app("wired", quiet_env, [{"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "secretRef": "appi"}]),
        app("env-logs", logging_env),
        app("dark", quiet_env),
    ]
    assert verdicts("monitor.workload-telemetry", items) == {"wired": "pass", "env-logs": "pass", "dark": "fail"}


def test_site_telemetry_needs_collected_settings():
    site = resource("Microsoft.Web/sites", "web", kind="app", properties={})
    assert verdicts("monitor.workload-telemetry", [site]) == {"web": "not_assessed"}
    settings = resource(
        "Microsoft.Web/sites/config",
        "web",
        "appsettings",
        properties={"APPLICATIONINSIGHTS_CONNECTION_STRING": {"redacted": True, "secret": False}},
    )
    assert verdicts("monitor.workload-telemetry", [site, settings]) == {"web": "pass"}


@pytest.mark.parametrize("service", LOGGED, ids=lambda s: s.key)
def test_diagnostic_logs(service):
    check_id = f"monitor.{service.key}.diagnostic-logs"
    logged = resource(service.rtype, "logged", properties={})
    silent = resource(service.rtype, "silent", properties={})
    odd = resource(service.rtype, "odd", properties={})
    setting = {
        "id": f"{logged['id']}/providers/{DIAG}/ws",
        "name": "ws",
        "type": DIAG,
        "properties": {"workspaceId": WORKSPACE, "logs": [{"categoryGroup": "allLogs", "enabled": True}]},
    }
    broken = {"id": f"{odd['id']}/providers/{DIAG}/ws", "name": "ws", "type": DIAG, "properties": {"logs": "all"}}
    result = verdicts(check_id, [logged, silent, odd, setting, broken])
    assert result == {"logged": "pass", "silent": "fail", "odd": "not_assessed"}
    assert only(check_id, []).status.value == "not_applicable"
    assert verdicts(check_id, [silent], collected=[service.rtype]) == {"silent": "not_assessed"}


def test_azure_monitor_destination_counts_only_with_a_diagnostic_setting_to_a_workspace():
    # appLogsConfiguration.destination "azure-monitor" hands the logs to the environment's diagnostic settings.
    env = environment("monitored", appLogsConfiguration={"destination": "azure-monitor"})
    setting = {
        "id": f"{env['id']}/providers/{DIAG}/to-workspace",
        "name": "to-workspace",
        "type": DIAG,
        "properties": {"workspaceId": WORKSPACE, "logs": [{"category": "ContainerAppConsoleLogs", "enabled": True}]},
    }
    items = [env, app("a", env)]
    assert verdicts("monitor.workload-telemetry", items) == {"a": "fail"}
    assert verdicts("monitor.workload-telemetry", [*items, setting]) == {"a": "pass"}
    setting["properties"]["logs"][0]["enabled"] = False
    assert verdicts("monitor.workload-telemetry", [*items, setting]) == {"a": "fail"}
    collected = ["Microsoft.App/containerApps", "Microsoft.App/managedEnvironments", "Microsoft.Web/sites"]
    assert verdicts("monitor.workload-telemetry", items, collected=collected) == {"a": "not_assessed"}


def test_environment_application_insights_integration():
    # api-version 2024-02-02-preview and later: properties.appInsightsConfiguration and openTelemetryConfiguration.
    insights = environment("insights", appInsightsConfiguration={"connectionString": "<redacted>"})
    otel = environment(
        "otel",
        openTelemetryConfiguration={"tracesConfiguration": {"destinations": ["appInsights"]}},
    )
    items = [insights, otel, app("a", insights), app("b", otel)]
    assert verdicts("monitor.workload-telemetry", items) == {"a": "pass", "b": "pass"}
