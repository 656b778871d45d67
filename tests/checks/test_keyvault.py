from tests.checks.helpers import arm_id, only, resource, verdicts

VAULT = "Microsoft.KeyVault/vaults"
DIAG = "Microsoft.Insights/diagnosticSettings"
WORKSPACE = arm_id("Microsoft.OperationalInsights/workspaces", "log")


def vault(name, **props):
    base = {"tenantId": "t", "sku": {"family": "A", "name": "standard"}, "accessPolicies": [], "vaultUri": "https://x/"}
    base.update(props)
    return resource(VAULT, name, properties=base)


def diagnostic(target, name, logs, workspace=WORKSPACE):
    return {
        "id": f"{target['id']}/providers/{DIAG}/{name}",
        "name": name,
        "type": DIAG,
        "properties": {"workspaceId": workspace, "logs": logs, "metrics": []},
    }


def test_soft_delete_and_purge_protection_and_rbac():
    good = vault("good", enableSoftDelete=True, enablePurgeProtection=True, enableRbacAuthorization=True)
    legacy = vault("legacy", enableSoftDelete=False, enableRbacAuthorization=False)
    silent = vault("silent")
    odd = vault("odd", enableSoftDelete="yes", enablePurgeProtection="yes", enableRbacAuthorization=1)
    assert verdicts("keyvault.soft-delete", [good, legacy, silent, odd]) == {
        "good": "pass",
        "legacy": "fail",
        "silent": "pass",
        "odd": "not_assessed",
    }
    assert verdicts("keyvault.purge-protection", [good, legacy, silent, odd]) == {
        "good": "pass",
        "legacy": "fail",
        "silent": "fail",
        "odd": "not_assessed",
    }
    assert verdicts("keyvault.rbac", [good, legacy, silent, odd]) == {
        "good": "pass",
        "legacy": "fail",
        "silent": "fail",
        "odd": "not_assessed",
    }
    for check_id in ("keyvault.soft-delete", "keyvault.purge-protection", "keyvault.rbac", "keyvault.audit-logs"):
        assert only(check_id, []).status.value == "not_applicable"


def test_audit_logs():
    audited = vault("audited")
    grouped = vault("grouped")
    metrics_only = vault("metrics")
    storage_only = vault("storage")
    none = vault("none")
    items = [
        audited,
        grouped,
        metrics_only,
        storage_only,
        none,
        diagnostic(audited, "ws", [{"category": "AuditEvent", "enabled": True}]),
        diagnostic(grouped, "ws", [{"categoryGroup": "audit", "enabled": True}]),
        diagnostic(metrics_only, "ws", [{"category": "AuditEvent", "enabled": False}]),
        diagnostic(storage_only, "st", [{"category": "AuditEvent", "enabled": True}], workspace=""),
    ]
    assert verdicts("keyvault.audit-logs", items) == {
        "audited": "pass",
        "grouped": "pass",
        "metrics": "fail",
        "storage": "fail",
        "none": "fail",
    }


def test_audit_logs_without_diagnostic_settings_collection_is_not_assessed():
    finding = only("keyvault.audit-logs", [vault("kv")], collected=[VAULT])
    assert finding.status.value == "not_assessed"


def test_get_vault_example_shape():
    # keyvault/.../Microsoft.KeyVault/stable/2023-07-01/examples/getVault.json: access policies, and no
    # enableSoftDelete / enablePurgeProtection / enableRbacAuthorization at all.
    example = vault(
        "sample-vault",
        accessPolicies=[{"tenantId": "t", "objectId": "o", "permissions": {"secrets": ["get", "list", "set"]}}],
        enabledForDeployment=True,
        enabledForDiskEncryption=True,
        enabledForTemplateDeployment=True,
        vaultUri="https://sample-vault.vault.azure.net",
        provisioningState="Succeeded",
        publicNetworkAccess="Enabled",
    )
    assert verdicts("keyvault.soft-delete", [example]) == {"sample-vault": "pass"}
    assert verdicts("keyvault.purge-protection", [example]) == {"sample-vault": "fail"}
    assert verdicts("keyvault.rbac", [example]) == {"sample-vault": "fail"}


def test_diagnostic_setting_example_shapes():
    # monitor/.../2021-05-01-preview/examples/getDiagnosticSettingCategory.json sends to storage with
    # "workspaceId": ""; getDiagnosticSetting.json uses categoryGroup with "category": null.
    to_storage = vault("storage")
    grouped = vault("grouped")
    items = [
        to_storage,
        grouped,
        diagnostic(to_storage, "service", [{"category": "AuditEvent", "enabled": True}], workspace=""),
        diagnostic(grouped, "ws", [{"category": None, "categoryGroup": "allLogs", "enabled": True}]),
    ]
    assert verdicts("keyvault.audit-logs", items) == {"storage": "fail", "grouped": "pass"}
