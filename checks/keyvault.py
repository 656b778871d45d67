"""Key Vault: recoverable, governed by RBAC, and audited."""

from __future__ import annotations

from auditor.api import Area, Remediation, Resource, Severity, Verdict, check, flag
from auditor.diagnostics import DIAGNOSTIC_SETTINGS, logs_to_workspace
from auditor.inventory import Context

VAULT = "Microsoft.KeyVault/vaults"
KV_DOC = "https://learn.microsoft.com/azure/key-vault/general/"


@check(
    id="keyvault.soft-delete",
    title="Key Vault has soft delete enabled",
    severity=Severity.LOW,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[VAULT],
    rationale="Without soft delete a deleted secret or vault is gone at once: one mistaken command takes the "
    "voice agent's credentials with it. Soft delete is on by default and cannot be turned off on new vaults.",
    remediation=Remediation(
        text="Enable soft delete.",
        az="az keyvault update --name {name} --resource-group {resourceGroup} --enable-soft-delete true",
        bicep="properties: {\n  enableSoftDelete: true\n  softDeleteRetentionInDays: 90\n}",
    ),
    refs=[KV_DOC + "soft-delete-overview"],
)
def soft_delete(vault: Resource, ctx: Context) -> Verdict:
    # ARM returns enableSoftDelete true when absent on every current api-version.
    return flag(vault, "properties.enableSoftDelete", default=True, what="soft delete")


@check(
    id="keyvault.purge-protection",
    title="Key Vault has purge protection enabled",
    severity=Severity.MEDIUM,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[VAULT],
    rationale="Purge protection stops a compromised admin from permanently deleting soft-deleted secrets "
    "during the retention period.",
    remediation=Remediation(
        text="Enable purge protection (it cannot be turned off again).",
        az="az keyvault update --name {name} --resource-group {resourceGroup} --enable-purge-protection true",
        bicep="properties: {\n  enablePurgeProtection: true\n}",
    ),
    refs=[KV_DOC + "soft-delete-overview#purge-protection"],
)
def purge_protection(vault: Resource, ctx: Context) -> Verdict:
    # Absent means not enabled: ARM omits the property until it is set to true.
    return flag(vault, "properties.enablePurgeProtection", default=False, what="purge protection")


@check(
    id="keyvault.rbac",
    title="Key Vault uses Azure RBAC, not access policies",
    severity=Severity.LOW,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[VAULT],
    rationale="Access policies grant vault-wide permissions outside Azure RBAC: they escape PIM, conditional "
    "access and the role assignments reviewers look at. RBAC scopes each managed identity to what it reads.",
    remediation=Remediation(
        text="Switch the vault to the RBAC permission model after granting Key Vault Secrets User to each identity.",
        az="az keyvault update --name {name} --resource-group {resourceGroup} --enable-rbac-authorization true",
        bicep="properties: {\n  enableRbacAuthorization: true\n}",
    ),
    refs=[KV_DOC + "rbac-guide"],
)
def rbac(vault: Resource, ctx: Context) -> Verdict:
    # Absent means access policies, the model vaults were created with before RBAC.
    return flag(vault, "properties.enableRbacAuthorization", default=False, what="RBAC authorization")


@check(
    id="keyvault.audit-logs",
    title="Key Vault audit logs go to a Log Analytics workspace",
    severity=Severity.MEDIUM,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[VAULT],
    reads=[DIAGNOSTIC_SETTINGS],
    rationale="AuditEvent logs record who read which secret. Without them a leaked identity's reads cannot be "
    "traced, and no alert can fire on unusual access.",
    remediation=Remediation(
        text="Add a diagnostic setting sending the audit category group (or AuditEvent) to the workspace.",
        az="az monitor diagnostic-settings create --name audit --resource {id} --workspace <workspace-id> "
        '--logs \'[{"categoryGroup":"audit","enabled":true}]\'',
        bicep="resource diag 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {\n  scope: vault\n"
        "  properties: {\n    workspaceId: workspace.id\n"
        "    logs: [ { categoryGroup: 'audit', enabled: true } ]\n  }\n}",
    ),
    refs=[KV_DOC + "logging"],
)
def audit_logs(vault: Resource, ctx: Context) -> Verdict:
    return logs_to_workspace(vault, ctx, categories={"auditevent"}, groups={"audit", "alllogs"})
