"""Every container-app check over a resource in the shape of the published example response
specification/app/resource-manager/Microsoft.App/stable/2024-03-01/examples/ContainerApps_Get.json
(our own values): external ingress with an allow-list, Dapr, init containers, an HTTP scale rule,
no identity and no secrets."""

from tests.checks.helpers import arm_id, run_check

ENV_ID = arm_id("Microsoft.App/managedEnvironments", "demokube")


def example_app(allow_range: str) -> dict:
    return {
        "id": arm_id("Microsoft.App/containerApps", "voiceapp0"),
        "name": "voiceapp0",
        "type": "Microsoft.App/containerApps",
        "location": "East US",
        "properties": {
            "provisioningState": "Succeeded",
            "managedEnvironmentId": ENV_ID,
            "workloadProfileName": "gp-01",
            "latestRevisionFqdn": "voiceapp0-abc.demokube.eastus.azurecontainerapps.io",
            "configuration": {
                "ingress": {
                    "fqdn": "voiceapp0.demokube.eastus.azurecontainerapps.io",
                    "external": True,
                    "targetPort": 3000,
                    "transport": "auto",
                    "traffic": [{"weight": 80, "revisionName": "voiceapp0-a"}, {"weight": 20, "revisionName": "b"}],
                    "ipSecurityRestrictions": [
                        {
                            "name": "gateway",
                            "description": "gateway subnet",
                            "ipAddressRange": allow_range,
                            "action": "Allow",
                        }
                    ],
                    "stickySessions": {"affinity": "sticky"},
                },
                "dapr": {"enabled": True, "appPort": 3000, "appProtocol": "http"},
                "maxInactiveRevisions": 10,
            },
            "template": {
                "containers": [
                    {"image": "repo/voiceapp0:v4", "name": "voiceapp0", "resources": {"cpu": 0.5, "memory": "1Gi"}}
                ],
                "initContainers": [
                    {"image": "repo/voiceapp0:v4", "name": "init", "resources": {"cpu": 0.5, "memory": "1Gi"}}
                ],
                "scale": {
                    "minReplicas": 1,
                    "maxReplicas": 5,
                    "rules": [{"name": "httpscalingrule", "http": {"metadata": {"concurrentRequests": "50"}}}],
                },
            },
        },
    }


def example_environment() -> dict:
    return {
        "id": ENV_ID,
        "name": "demokube",
        "type": "Microsoft.App/managedEnvironments",
        "location": "East US",
        "properties": {
            "provisioningState": "Succeeded",
            "defaultDomain": "demokube.eastus.azurecontainerapps.io",
            "staticIp": "20.42.33.145",
            "appLogsConfiguration": {
                "destination": "log-analytics",
                "logAnalyticsConfiguration": {"customerId": "string"},
            },
            "zoneRedundant": True,
            "workloadProfiles": [
                {"workloadProfileType": "GeneralPurpose", "name": "gp-01", "minimumCount": 3, "maximumCount": 12}
            ],
        },
    }


def verdicts_of(resources: list[dict]) -> dict[str, str]:
    checks = [
        "aca.min-replicas",
        "aca.max-replicas",
        "aca.scale-rules",
        "aca.ingress-not-public",
        "aca.ingress-https-only",
        "identity.aca.managed-identity",
        "secrets.aca-env-plaintext",
        "secrets.aca-secrets-in-keyvault",
        "monitor.workload-telemetry",
    ]
    out = {}
    for check_id in checks:
        (finding,) = [f for f in run_check(check_id, resources) if f.resource_name == "voiceapp0"]
        out[check_id] = finding.status.value
    return out


def test_every_container_app_check_on_the_example_shape():
    result = verdicts_of([example_app("10.20.1.0/24"), example_environment()])
    assert result == {
        "aca.min-replicas": "fail",
        "aca.max-replicas": "pass",
        "aca.scale-rules": "pass",
        "aca.ingress-not-public": "pass",  # allow-listed to a private range
        "aca.ingress-https-only": "pass",  # allowInsecure absent: ARM's default is false
        "identity.aca.managed-identity": "fail",
        "secrets.aca-env-plaintext": "pass",
        "secrets.aca-secrets-in-keyvault": "pass",
        "monitor.workload-telemetry": "pass",  # the environment writes to Log Analytics
    }


def test_the_example_allow_list_with_a_public_range_fails():
    # The published example allows 192.168.1.1/8, which is 192.0.0.0/8: mostly public addresses.
    result = verdicts_of([example_app("192.168.1.1/8"), example_environment()])
    assert result["aca.ingress-not-public"] == "fail"


def test_without_its_environment_the_ingress_is_not_assessed():
    result = verdicts_of([example_app("10.20.1.0/24")])
    assert result["aca.ingress-not-public"] == "not_assessed"


def test_minimal_ai_account_is_judged_by_arm_defaults():
    """The shape of .../Microsoft.CognitiveServices/stable/2024-10-01/examples/GetAccount.json: a
    properties bag with only endpoint and provisioningState. Every judgement rests on ARM's
    documented defaults, and the evidence says so."""
    account = {
        "id": arm_id("Microsoft.CognitiveServices/accounts", "speech-min"),
        "name": "speech-min",
        "type": "Microsoft.CognitiveServices/accounts",
        "location": "westus",
        "sku": {"name": "F0"},
        "kind": "SpeechServices",
        "tags": {"Owner": "voice-team"},
        "etag": "W/\"datetime'2026-04-10T04%3A42%3A19.7067387Z'\"",
        "properties": {"endpoint": "https://westus.api.cognitive.microsoft.com/", "provisioningState": "Succeeded"},
    }
    for check_id in ("network.cognitive.public-access", "identity.cognitive.local-auth-disabled"):
        (finding,) = run_check(check_id, [account])
        assert finding.status.value == "fail", check_id
        assert any(o.get("defaultApplied") for o in finding.evidence["observations"]), check_id
    (finding,) = run_check("network.cognitive.private-endpoint", [account])
    assert finding.status.value == "fail"
    (finding,) = run_check("apim.fronts-ai-services", [account])
    assert finding.status.value == "fail" and "no API Management" in finding.evidence["message"]
