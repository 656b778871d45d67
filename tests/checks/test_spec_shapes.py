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
    # public and accepting keys, both by ARM default: one compound finding; the two checks point at it
    (finding,) = run_check("exposure.cognitive.public-with-keys", [account])
    assert finding.status.value == "fail"
    assert sum(bool(o.get("defaultApplied")) for o in finding.evidence["observations"]) >= 2
    for check_id in ("network.cognitive.public-access", "identity.cognitive.local-auth-disabled"):
        (finding,) = run_check(check_id, [account])
        assert finding.status.value == "not_applicable", check_id
        assert "exposure.cognitive.public-with-keys" in finding.evidence["message"]
    (finding,) = run_check("network.cognitive.private-endpoint", [account])
    assert finding.status.value == "fail"
    (finding,) = run_check("apim.fronts-ai-services", [account])
    assert finding.status.value == "fail" and "no API Management" in finding.evidence["message"]


def _status(check_id: str, resource: dict) -> str:
    (finding,) = run_check(check_id, [resource])
    return finding.status.value


def test_storage_account_in_the_published_get_properties_shape():
    """.../Microsoft.Storage/stable/2023-05-01/examples/StorageAccountGetProperties.json: no
    publicNetworkAccess, a default-allow ACL, no allowSharedKeyAccess (ARM's default: true)."""
    account = {
        "id": arm_id("Microsoft.Storage/storageAccounts", "stvoice01"),
        "name": "stvoice01",
        "type": "Microsoft.Storage/storageAccounts",
        "kind": "Storage",
        "location": "eastus2",
        "sku": {"name": "Standard_GRS", "tier": "Standard"},
        "tags": {"team": "voice"},
        "properties": {
            "keyCreationTime": {"key1": "2026-03-18T04:42:22Z", "key2": "2026-03-18T04:42:22Z"},
            "isHnsEnabled": True,
            "networkAcls": {
                "bypass": "AzureServices",
                "defaultAction": "Allow",
                "ipRules": [],
                "virtualNetworkRules": [],
                "resourceAccessRules": [],
            },
            "primaryEndpoints": {"blob": "https://stvoice01.blob.core.windows.net/"},
            "provisioningState": "Succeeded",
            "encryption": {
                "services": {"blob": {"keyType": "Account", "enabled": True}},
                "keySource": "Microsoft.Storage",
            },
            "supportsHttpsTrafficOnly": False,
        },
    }
    assert _status("exposure.storage.public-with-keys", account) == "fail"
    assert _status("network.storage.private-endpoint", account) == "fail"
    assert _status("identity.storage.local-auth-disabled", account) == "not_applicable"  # the compound above
    account["properties"]["networkAcls"]["defaultAction"] = "Deny"
    account["properties"]["allowSharedKeyAccess"] = False
    assert _status("network.storage.public-access", account) == "pass"
    assert _status("identity.storage.local-auth-disabled", account) == "pass"


def test_container_registry_in_the_published_get_shape():
    """.../Microsoft.ContainerRegistry/stable/2023-07-01/examples/RegistryGet.json."""
    registry = {
        "id": arm_id("Microsoft.ContainerRegistry/registries", "crvoice01"),
        "name": "crvoice01",
        "type": "Microsoft.ContainerRegistry/registries",
        "location": "westus",
        "tags": {"team": "voice"},
        "sku": {"name": "Standard", "tier": "Standard"},
        "properties": {
            "loginServer": "crvoice01.azurecr.io",
            "provisioningState": "Succeeded",
            "adminUserEnabled": False,
            "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
            "policies": {"quarantinePolicy": {"status": "disabled"}, "exportPolicy": {"status": "enabled"}},
            "encryption": {"status": "disabled"},
            "status": None,
            "dataEndpointEnabled": False,
            "dataEndpointHostNames": [],
            "privateEndpointConnections": [],
            "publicNetworkAccess": "Enabled",
            "networkRuleBypassOptions": "AzureServices",
            "zoneRedundancy": "Disabled",
        },
    }
    assert _status("network.acr.public-access", registry) == "fail"
    assert _status("network.acr.private-endpoint", registry) == "fail"
    assert _status("identity.acr.local-auth-disabled", registry) == "pass"  # the admin user is off


def test_service_bus_namespace_in_the_published_get_shape():
    """.../Microsoft.ServiceBus/preview/2022-10-01-preview/examples/NameSpaces/SBNameSpaceGet.json:
    type spelled "Microsoft.ServiceBus/Namespaces", an inline approved private endpoint connection,
    local auth on, no publicNetworkAccess."""
    namespace = {
        "sku": {"name": "Standard", "tier": "Standard"},
        "id": arm_id("Microsoft.ServiceBus/namespaces", "sb-voice-01"),
        "name": "sb-voice-01",
        "type": "Microsoft.ServiceBus/Namespaces",
        "location": "South Central US",
        "tags": {"team": "voice"},
        "properties": {
            "provisioningState": "Succeeded",
            "serviceBusEndpoint": "https://sb-voice-01.servicebus.windows.net:443/",
            "minimumTlsVersion": "1.2",
            "disableLocalAuth": False,
            "privateEndpointConnections": [
                {
                    "id": arm_id("Microsoft.ServiceBus/namespaces/privateEndpointConnections", "sb-voice-01", "pec"),
                    "name": "pec",
                    "type": "Microsoft.ServiceBus/Namespaces/PrivateEndpointConnections",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateEndpoint": {"id": arm_id("Microsoft.Network/privateEndpoints", "pe-sb")},
                        "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved"},
                    },
                }
            ],
        },
    }
    assert _status("network.servicebus.private-endpoint", namespace) == "pass"
    assert _status("exposure.servicebus.public-with-keys", namespace) == "fail"  # absent means Enabled
    assert _status("identity.servicebus.local-auth-disabled", namespace) == "not_applicable"  # compound above


def test_mongo_vcore_cluster_in_the_published_get_shape():
    """.../Microsoft.DocumentDB/stable/2024-07-01/examples/MongoClusters_Get.json (which spells
    the type with a stray leading slash; ARM itself does not)."""
    cluster = {
        "id": arm_id("Microsoft.DocumentDB/mongoClusters", "mongo-voice"),
        "name": "mongo-voice",
        "type": "Microsoft.DocumentDB/mongoClusters",
        "tags": {"team": "voice"},
        "systemData": {"createdBy": "user1", "createdByType": "User", "createdAt": "2026-01-01T17:18:19Z"},
        "properties": {
            "provisioningState": "Succeeded",
            "administrator": {"userName": "mongoAdmin"},
            "serverVersion": "5.0",
            "storage": {"sizeGb": 128},
            "compute": {"tier": "M30"},
            "sharding": {"shardCount": 4},
            "highAvailability": {"mode": "SameZone"},
            "previewFeatures": [],
            "infrastructureVersion": "2.0",
            "publicNetworkAccess": "Enabled",
            "connectionString": "mongodb+srv://<user>:<password>@mongo-voice.mongocluster.cosmos.azure.com",
        },
        "location": "westus2",
    }
    assert _status("exposure.cosmos-mongo-vcore.public-with-keys", cluster) == "fail"
    assert _status("network.cosmos-mongo-vcore.private-endpoint", cluster) == "fail"
    cluster["properties"]["publicNetworkAccess"] = "Disabled"
    assert _status("network.cosmos-mongo-vcore.public-access", cluster) == "pass"


def test_event_hubs_namespace_in_the_published_create_response_shape():
    """The 200 response of .../Microsoft.EventHub/stable/2024-01-01/examples/NameSpaces/EHNameSpaceCreate.json:
    type "Microsoft.EventHub/Namespaces", customer-managed keys, local auth on, no publicNetworkAccess."""
    namespace = {
        "sku": {"name": "Standard", "tier": "Standard", "capacity": 1},
        "id": arm_id("Microsoft.EventHub/namespaces", "eh-voice"),
        "name": "eh-voice",
        "type": "Microsoft.EventHub/Namespaces",
        "location": "East US",
        "tags": {},
        "identity": {
            "principalId": "p",
            "tenantId": "t",
            "type": "SystemAssigned, UserAssigned",
            "userAssignedIdentities": {
                arm_id("Microsoft.ManagedIdentity/userAssignedIdentities", "ud1"): {"clientId": "c", "principalId": "p"}
            },
        },
        "properties": {
            "zoneRedundant": False,
            "isAutoInflateEnabled": False,
            "disableLocalAuth": False,
            "maximumThroughputUnits": 0,
            "minimumTlsVersion": "1.2",
            "encryption": {
                "keySource": "Microsoft.KeyVault",
                "keyVaultProperties": [
                    {"keyName": "voice-key", "keyVaultUri": "https://kv-voice.vault.azure.net", "keyVersion": ""}
                ],
                "requireInfrastructureEncryption": False,
            },
            "kafkaEnabled": False,
            "provisioningState": "Succeeded",
            "serviceBusEndpoint": "https://eh-voice.servicebus.windows.net:443/",
        },
    }
    assert _status("exposure.eventhubs.public-with-keys", namespace) == "fail"
    assert _status("network.eventhubs.public-access", namespace) == "not_applicable"  # the compound finding
    assert _status("network.eventhubs.private-endpoint", namespace) == "fail"
    namespace["properties"].update(disableLocalAuth=True, publicNetworkAccess="Disabled")
    assert _status("identity.eventhubs.local-auth-disabled", namespace) == "pass"
    assert _status("network.eventhubs.public-access", namespace) == "pass"


def test_app_service_site_in_the_published_get_shape():
    """.../Microsoft.Web/stable/2023-12-01/examples/GetWebApp.json: no identity, no
    publicNetworkAccess, siteConfig without an access-restriction default action."""
    site = {
        "id": arm_id("Microsoft.Web/sites", "web-voice"),
        "name": "web-voice",
        "type": "Microsoft.Web/sites",
        "kind": "app",
        "location": "East US",
        "properties": {
            "state": "Running",
            "hostNames": ["web-voice.azurewebsites.net"],
            "enabled": True,
            "hostNameSslStates": [
                {"name": "web-voice.azurewebsites.net", "sslState": "Disabled", "hostType": "Standard"}
            ],
            "serverFarmId": arm_id("Microsoft.Web/serverfarms", "asp-voice"),
            "vnetRouteAllEnabled": False,
            "siteConfig": {
                "numberOfWorkers": 1,
                "minTlsVersion": "1.2",
                "scmMinTlsVersion": "1.2",
                "ftpsState": "AllAllowed",
                "http20Enabled": False,
                "alwaysOn": False,
            },
            "clientAffinityEnabled": True,
            "defaultHostName": "web-voice.azurewebsites.net",
            "httpsOnly": False,
            "keyVaultReferenceIdentity": "SystemAssigned",
        },
    }
    # The site GET does not hold the access restrictions (siteConfig values are null there): they
    # are in config/web (GetSiteConfig.json), and without it public access is not judged.
    assert _status("network.appservice.public-access", site) == "not_assessed"
    web = {
        "id": f"{site['id']}/config/web",
        "name": "web",
        "type": "Microsoft.Web/sites/config",
        "properties": {
            "ipSecurityRestrictions": [
                {"ipAddress": "Any", "action": "Allow", "priority": 2147483647, "name": "Allow all"}
            ],
            "ipSecurityRestrictionsDefaultAction": "Allow",
        },
    }
    public = [f for f in run_check("network.appservice.public-access", [site, web]) if f.resource_name == "web-voice"]
    assert [f.status.value for f in public] == ["fail"]
    assert _status("network.appservice.private-endpoint", site) == "fail"
    assert _status("identity.appservice.managed-identity", site) == "fail"
    # its settings were not collected (no --inspect-app-settings): never a pass
    assert _status("secrets.appservice-settings", site) == "not_assessed"
    site["identity"] = {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"}
    site["properties"]["publicNetworkAccess"] = "Disabled"
    assert _status("identity.appservice.managed-identity", site) == "pass"
    assert _status("network.appservice.public-access", site) == "pass"
