"""Section 1 of issue 9 beyond the transport module: AI account identity, Mongo vCore native auth,
container probes, API Management backends and named values, and the one IP-rule reader.

Shapes follow the azure-rest-api-specs example responses named in each test."""

from __future__ import annotations

import pytest
from auditor.checks._compound import COMPOUND_KEYS
from auditor.checks._iprules import admits_everyone

from tests.checks.helpers import only, resource, verdicts

APIM = "Microsoft.ApiManagement/service"


def test_ai_services_account_needs_a_managed_identity():
    # cognitiveservices/.../stable/2024-10-01/examples/GetAccount.json: identity absent on keyed accounts.
    def account(name, **fields):
        props = {"endpoint": f"https://{name}.openai.azure.com/", "provisioningState": "Succeeded"}
        return resource("Microsoft.CognitiveServices/accounts", name, properties=props, kind="OpenAI", **fields)

    result = verdicts(
        "identity.cognitive.managed-identity",
        [account("keyed"), account("mi", identity={"type": "SystemAssigned", "principalId": "p", "tenantId": "t"})],
    )
    assert result == {"keyed": "fail", "mi": "pass"}
    assert only("identity.cognitive.managed-identity", []).status.value == "not_applicable"


def mongo(name, **props):
    # mongocluster/.../stable/2025-09-01/examples/MongoClusters_Get.json
    base = {
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Disabled",
        "administrator": {"userName": "mongoAdmin"},
        "serverVersion": "5.0",
        "compute": {"tier": "M30"},
    }
    return resource("Microsoft.DocumentDB/mongoClusters", name, properties=base | props)


def test_mongo_vcore_native_auth():
    result = verdicts(
        "identity.cosmos-mongo-vcore.native-auth-disabled",
        [
            mongo("native", authConfig={"allowedModes": ["NativeAuth"]}),
            mongo("both", authConfig={"allowedModes": ["NativeAuth", "MicrosoftEntraID"]}),
            mongo("entra", authConfig={"allowedModes": ["MicrosoftEntraID"]}),
            mongo("older"),  # 2024-07-01 shape: no authConfig, passwords only
            mongo("odd", authConfig={"allowedModes": "MicrosoftEntraID"}),
        ],
    )
    assert result == {"native": "fail", "both": "fail", "entra": "pass", "older": "fail", "odd": "not_assessed"}


def test_the_collector_reads_mongo_clusters_at_an_api_version_with_auth_config():
    # mongocluster/.../stable/2025-09-01/MongoClusters.json adds properties.authConfig.allowedModes; read older,
    # every cluster would look password-only.
    from auditor.collect.plan import api_version

    assert api_version("Microsoft.DocumentDB/mongoClusters") >= "2025-09-01"


def test_mongo_vcore_diagnostic_logs_are_checked():
    assert verdicts("monitor.cosmos-mongo-vcore.diagnostic-logs", [mongo("m")]) == {"m": "fail"}


def container_app(name, containers):
    # app/.../stable/2024-03-01/examples/ContainerApps_Get.json: template.containers[].probes
    props = {"configuration": {"activeRevisionsMode": "Single"}, "template": {"containers": containers}}
    return resource("Microsoft.App/containerApps", name, properties=props)


def test_container_app_probes():
    live = {"type": "Liveness", "httpGet": {"path": "/health", "port": 8080}, "initialDelaySeconds": 3}
    ready = {"type": "Readiness", "tcpSocket": {"port": 8080}}
    result = verdicts(
        "aca.health-probes",
        [
            container_app("both", [{"name": "c", "image": "repo/c:v1", "probes": [live, ready]}]),
            container_app("live-only", [{"name": "c", "image": "repo/c:v1", "probes": [live]}]),
            container_app("none", [{"name": "c", "image": "repo/c:v1"}]),
            container_app("odd", [{"name": "c", "image": "repo/c:v1", "probes": {"type": "Liveness"}}]),
        ],
    )
    assert result == {"both": "pass", "live-only": "fail", "none": "fail", "odd": "not_assessed"}


def backend(name, **props):
    # apimanagement/.../stable/2024-05-01/examples/ApiManagementGetBackend.json
    return resource(f"{APIM}/backends", "apim", name, properties={"protocol": "http"} | props)


def test_apim_backend_https():
    pool = backend("pool", type="Pool", pool={"services": [{"id": "/backends/a"}]})
    result = verdicts(
        "apim.backend-https",
        [
            resource(APIM, "apim"),
            backend("tls", url="https://aoai.openai.azure.com/openai"),
            backend("plain", url="http://10.0.0.4/api"),
            pool,
            backend("odd"),
        ],
    )
    assert result == {"tls": "pass", "plain": "fail", "pool": "not_applicable", "odd": "not_assessed"}


def named_value(name, **props):
    # apimanagement/.../stable/2024-05-01/examples/ApiManagementGetNamedValue.json (and ...WithKeyVault.json)
    return resource(f"{APIM}/namedValues", "apim", name, properties={"displayName": name, "tags": []} | props)


KEY = "q0Xk2lV7Zr9mB4cT1uW8yN3eH6jA5sD0fG2hJ4kL7pQ="  # shaped like a key, not one


def test_apim_named_values_in_plain_text():
    values = [
        named_value("calls", value="100", secret=False),
        named_value("aoai-key", value=KEY, secret=False),
        named_value("vaulted", secret=True, keyVault={"secretIdentifier": "https://kv.vault.azure.net/secrets/k"}),
    ]
    assert verdicts("apim.named-value-plaintext", values) == {
        "calls": "pass",
        "aoai-key": "fail",
        "vaulted": "not_applicable",
    }
    finding = only("apim.named-value-plaintext", [values[1]])
    assert KEY not in str(finding.to_dict())


def test_apim_secret_named_values_in_key_vault():
    values = [
        named_value("kept", secret=True),
        named_value("vaulted", secret=True, keyVault={"secretIdentifier": "https://kv.vault.azure.net/secrets/k"}),
        named_value("plain", value="100", secret=False),
    ]
    assert verdicts("apim.named-value-keyvault", values) == {
        "kept": "fail",
        "vaulted": "pass",
        "plain": "not_applicable",
    }


@pytest.mark.parametrize(
    ("rules", "everyone"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["0.0.0.0-255.255.255.255"], True),
        (["::/0"], True),
        (["0.0.0.0/1", "128.0.0.0/2"], False),
        (["203.0.113.0/24", "10.0.0.0/8"], False),
        ([], False),
    ],
)
def test_one_ip_rule_reader(rules, everyone):
    assert admits_everyone(rules) is everyone


@pytest.mark.parametrize(
    ("rtype", "acl"),
    [
        # keyvault.json VaultProperties.networkAcls; GetVault.json
        ("Microsoft.KeyVault/vaults", {"networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "0.0.0.0/0"}]}}),
        # storage.json NetworkRuleSet; StorageAccountGetProperties.json
        ("Microsoft.Storage/storageAccounts", {"networkAcls": {"defaultAction": "Deny", "ipRules": [
            {"value": "0.0.0.0/1", "action": "Allow"}, {"value": "128.0.0.0/1", "action": "Allow"}]}}),
        # cognitiveservices NetworkRuleSet
        ("Microsoft.CognitiveServices/accounts", {"networkAcls": {"defaultAction": "Deny", "ipRules": [
            {"value": "0.0.0.0/0"}]}}),
        # containerregistry NetworkRuleSet
        ("Microsoft.ContainerRegistry/registries", {"networkRuleSet": {"defaultAction": "Deny", "ipRules": [
            {"value": "0.0.0.0/0", "action": "Allow"}]}}),
        # cosmos-db.json ipRules
        ("Microsoft.DocumentDB/databaseAccounts", {"ipRules": [{"ipAddressOrRange": "0.0.0.0/0"}]}),
    ],
)
def test_a_firewall_that_admits_all_of_ipv4_is_open(rtype, acl):
    key = {
        "Microsoft.KeyVault/vaults": "keyvault",
        "Microsoft.Storage/storageAccounts": "storage",
        "Microsoft.CognitiveServices/accounts": "cognitive",
        "Microsoft.ContainerRegistry/registries": "acr",
        "Microsoft.DocumentDB/databaseAccounts": "cosmos",
    }[rtype]
    open_one = resource(rtype, "open", properties={"publicNetworkAccess": "Enabled", **acl})
    # (keys are on too where the service has them, so the finding is the compound one)
    check_id = f"exposure.{key}.public-with-keys" if key in COMPOUND_KEYS else f"network.{key}.public-access"
    assert verdicts(check_id, [open_one]) == {"open": "fail"}


def test_messaging_rule_set_covering_all_of_ipv4_is_open():
    ns = resource("Microsoft.ServiceBus/namespaces", "sb", properties={"publicNetworkAccess": "Enabled"})
    # servicebus/.../2022-10-01-preview/examples/NameSpaces/VirtualNetworkRule/SBNetworkRuleSetGet.json
    rule_set = resource(
        "Microsoft.ServiceBus/namespaces/networkRuleSets",
        "sb",
        "default",
        properties={
            "defaultAction": "Deny",
            "publicNetworkAccess": "Enabled",
            "ipRules": [{"ipMask": "0.0.0.0/1", "action": "Allow"}, {"ipMask": "128.0.0.0/1", "action": "Allow"}],
            "virtualNetworkRules": [],
        },
    )
    assert verdicts("exposure.servicebus.public-with-keys", [ns, rule_set])["sb"] == "fail"


def test_app_service_restrictions_from_config_web():
    def site(name):
        return resource("Microsoft.Web/sites", name, properties={"siteConfig": {"ipSecurityRestrictions": None}})

    def web(site_name, action, rules):
        # web/.../stable/2023-12-01/examples/GetSiteConfig.json
        return resource("Microsoft.Web/sites/config", site_name, "web", properties={
            "ipSecurityRestrictionsDefaultAction": action, "ipSecurityRestrictions": rules})

    gateway_only = [{"ipAddress": "10.20.1.0/24", "action": "Allow", "priority": 100, "name": "appgw"}]
    everyone = [{"ipAddress": "0.0.0.0/0", "action": "Allow", "priority": 100, "name": "all"}]
    result = verdicts(
        "network.appservice.public-access",
        [site("locked"), web("locked", "Deny", gateway_only), site("wide"), web("wide", "Deny", everyone),
         site("unread")],
    )
    assert result == {"locked": "pass", "wide": "fail", "unread": "not_assessed"}
