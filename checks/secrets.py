"""Secrets in plain configuration: keys and connection strings where managed identity or Key Vault
belong. Evidence names the variable, the pattern and a salted hash; never the value.
"""

from __future__ import annotations

from auditor.api import Area, DataError, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context
from auditor.secrets import detect

APP = "Microsoft.App/containerApps"
SITE = "Microsoft.Web/sites"
SITE_CONFIG = "Microsoft.Web/sites/config"
ACA_SECRETS_DOC = "https://learn.microsoft.com/azure/container-apps/manage-secrets"


def _containers(app: Resource) -> list[Resource]:
    """Views of every container and init container. An app runs at least one container; ARM
    omits initContainers when there are none."""
    containers = app.item_views("properties.template.containers", required=True)
    return containers + app.item_views("properties.template.initContainers")


@check(
    id="secrets.aca-env-plaintext",
    title="Container app environment variables hold no keys or connection strings",
    severity=Severity.CRITICAL,
    area=Area.IDENTITY,
    checklist="managed-identity",
    types=[APP],
    rationale=(
        "A key in a plain environment variable is readable by anyone with Reader-level access to the app's "
        "configuration, lands in deployment logs and templates, and never rotates. The guide asks for managed "
        "identity instead of connection strings, and Key Vault for whatever secret remains."
    ),
    remediation=Remediation(
        text="Use the managed identity (DefaultAzureCredential) instead of the key; where a secret is "
        "unavoidable, store it in Key Vault and reference it as a Key Vault secret (secretRef).",
        az="az containerapp secret set --name {name} --resource-group {resourceGroup} --secrets "
        "<secret-name>=keyvaultref:<key-vault-secret-uri>,identityref:system && az containerapp update "
        "--name {name} --resource-group {resourceGroup} --set-env-vars <VAR>=secretref:<secret-name>",
        bicep="env: [\n  { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }\n"
        "  { name: 'LEGACY_KEY', secretRef: 'legacy-key' } // secret with keyVaultUrl\n]",
    ),
    refs=[ACA_SECRETS_DOC, "https://learn.microsoft.com/azure/container-apps/managed-identity"],
)
def aca_env_plaintext(app: Resource, ctx: Context) -> Verdict:
    matches = []
    for container in _containers(app):
        for variable in container.item_views("env"):  # absent: no variables
            name = variable.get("name", expect=str, record=False)
            # Absent with a secretRef: judged by secrets.aca-secrets-in-keyvault.
            value = variable.get("value", default="", expect=str, sensitive=True, record=False)
            match = detect(name, value, app.subscription_id) if value else None
            if match:
                variable.note("", match.to_evidence())
                matches.append(match)
    if matches:
        names = ", ".join(f"{m.name} ({m.pattern})" for m in matches)
        return failed(
            f"{len(matches)} plain-text secret(s) in environment variables: {names}", expected="no secret values in env"
        )
    app.note("properties.template.containers[].env", "no secret-like values")
    return passed("no secret-like values in environment variables", expected="no secret values in env")


def _secrets_in_vault(app: Resource) -> dict[str, bool]:
    """Secret name -> whether it is a Key Vault reference. ARM omits `secrets` when there are none
    and `keyVaultUrl` on a secret stored inline."""
    out = {}
    for secret in app.item_views("properties.configuration.secrets"):
        name = secret.get("name", expect=str, record=False)
        out[name] = bool(secret.get("keyVaultUrl", default="", expect=str, record=False))
    return out


@check(
    id="secrets.aca-secrets-in-keyvault",
    title="Container app secrets are Key Vault references",
    severity=Severity.HIGH,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[APP],
    rationale=(
        "A container app secret without keyVaultUrl stores its value in the app's own configuration: it is "
        "copied into every revision, cannot be rotated centrally and is not audited. The guide puts all "
        "secrets in Key Vault."
    ),
    remediation=Remediation(
        text="Store the value in Key Vault and redefine the secret as a Key Vault reference read with the "
        "app's managed identity.",
        az="az containerapp secret set --name {name} --resource-group {resourceGroup} "
        "--secrets <secret-name>=keyvaultref:<key-vault-secret-uri>,identityref:system",
        bicep="secrets: [\n  {\n    name: 'acs-connection-string'\n"
        "    keyVaultUrl: 'https://<vault>.vault.azure.net/secrets/acs-connection-string'\n"
        "    identity: 'system'\n  }\n]",
    ),
    refs=[ACA_SECRETS_DOC],
)
def aca_secrets_in_keyvault(app: Resource, ctx: Context) -> Verdict:
    secrets = _secrets_in_vault(app)
    inline = [name for name, in_vault in secrets.items() if not in_vault]
    app.note("properties.configuration.secrets[].keyVaultUrl", {"secrets": len(secrets), "inline": inline})
    if inline:
        return failed(
            f"{len(inline)} secret(s) stored inline, not in Key Vault: {', '.join(inline)}",
            expected="keyVaultUrl on every secret",
        )
    return passed(f"{len(secrets)} secret(s), all Key Vault references", expected="keyVaultUrl on every secret")


@check(
    id="secrets.appservice-settings",
    title="App Service app settings and connection strings hold no plain secrets",
    severity=Severity.CRITICAL,
    area=Area.IDENTITY,
    checklist="key-vault-secrets",
    types=[SITE],
    reads=[SITE_CONFIG],
    rationale=(
        "App settings are readable by anyone who can list the app's configuration and appear in ARM "
        "exports. Secrets belong in Key Vault, referenced as @Microsoft.KeyVault(...), or are replaced by "
        "managed identity. golive reads settings only with --inspect-app-settings and keeps no values."
    ),
    remediation=Remediation(
        text="Replace each secret value with a Key Vault reference, or remove it in favour of managed identity.",
        az="az webapp config appsettings set --name {name} --resource-group {resourceGroup} --settings "
        "<NAME>=@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<secret>/)",
        bicep="appSettings: [\n  {\n    name: 'NAME'\n"
        "    value: '@Microsoft.KeyVault(SecretUri=${secret.properties.secretUri})'\n  }\n]",
    ),
    refs=["https://learn.microsoft.com/azure/app-service/app-service-key-vault-references"],
)
def appservice_settings(site: Resource, ctx: Context) -> Verdict:
    configs = {c.name.lower(): c for c in ctx.children(site, SITE_CONFIG)}
    wanted = ("appsettings", "connectionstrings")
    missing = [name for name in wanted if name not in configs]
    if missing:
        raise DataError(
            f"{' and '.join(missing)} of this app are not in the snapshot (collect with --inspect-app-settings)"
        )
    flagged = []
    for name in wanted:
        settings = configs[name].get("properties", expect=dict)
        for setting, verdict in settings.items():
            if not isinstance(verdict, dict) or "secret" not in verdict:
                raise DataError(f"{name}.{setting} is not a redacted setting")
            if verdict["secret"]:
                site.note(f"{name}.{setting}", {"pattern": verdict.get("pattern"), "hash": verdict.get("hash")})
                flagged.append(f"{setting} ({verdict.get('pattern')})")
    if flagged:
        return failed(
            f"{len(flagged)} plain secret(s) in settings: {', '.join(flagged)}",
            expected="Key Vault references or managed identity",
        )
    return passed("no plain secrets in app settings or connection strings", expected="no plain secrets")


@check(
    id="secrets.aca-registry-password",
    title="Container app registry credentials are not inline secrets",
    severity=Severity.HIGH,
    area=Area.IDENTITY,
    checklist="managed-identity",
    types=[APP],
    rationale=(
        "A registry entry with passwordSecretRef pulls images with a user name and password, usually the "
        "registry's admin user. When that secret is stored inline it sits in the app's configuration, is copied "
        "into every revision and never rotates; a managed identity with AcrPull needs no password at all."
    ),
    remediation=Remediation(
        text="Grant the app's managed identity AcrPull on the registry and pull with it; then remove the "
        "password secret and disable the registry's admin user.",
        az="az containerapp registry set --name {name} --resource-group {resourceGroup} "
        "--server <registry>.azurecr.io --identity system",
        bicep="registries: [\n  {\n    server: '<registry>.azurecr.io'\n    identity: 'system'\n  }\n]",
    ),
    refs=["https://learn.microsoft.com/azure/container-apps/managed-identity-image-pull"],
)
def aca_registry_password(app: Resource, ctx: Context) -> Verdict:
    registries = app.item_views("properties.configuration.registries")
    in_vault = _secrets_in_vault(app)
    inline, vaulted, with_identity = [], [], []
    for registry in registries:
        server = registry.get("server", expect=str)
        if registry.get("identity", default="", expect=str):
            with_identity.append(server)
            continue
        # ARM returns "" rather than omitting passwordSecretRef when unset: an entry with neither
        # an identity nor a passwordSecretRef string is not ARM's shape, and is not judged.
        ref = registry.get("passwordSecretRef", expect=str)
        if not ref:
            continue  # anonymous pull from a public registry: no credential to judge
        elif ref not in in_vault:
            raise DataError(f"{registry.prefix} refers to secret {ref!r}, which the app does not define")
        elif in_vault[ref]:
            vaulted.append(server)
        else:
            inline.append(f"{server} (secret {ref})")
    app.note(
        "properties.configuration.registries",
        {"managedIdentity": with_identity, "keyVaultPassword": vaulted, "inlinePassword": inline},
    )
    if inline:
        return failed(f"registry password stored inline for {', '.join(inline)}", expected="managed identity (AcrPull)")
    if vaulted:
        return passed(
            f"registry password read from Key Vault for {', '.join(vaulted)}; a managed identity would need none",
            expected="managed identity (AcrPull)",
        )
    return passed(f"{len(registries)} registry entries, none with an inline password", expected="managed identity")
