"""Secrets in plain configuration: keys and connection strings where managed identity or Key Vault
belong. Evidence names the variable, the pattern and a salted hash; never the value.
"""

from __future__ import annotations

from typing import Any

from auditor.api import Area, DataError, Remediation, Resource, Severity, Verdict, check, failed, passed
from auditor.inventory import Context
from auditor.secrets import detect

APP = "Microsoft.App/containerApps"
SITE = "Microsoft.Web/sites"
SITE_CONFIG = "Microsoft.Web/sites/config"
ACA_SECRETS_DOC = "https://learn.microsoft.com/azure/container-apps/manage-secrets"


def _containers(app: Resource) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for kind in ("containers", "initContainers"):
        items = app.get(f"properties.template.{kind}", default=[], expect=list)
        for index, container in enumerate(items):
            if not isinstance(container, dict):
                raise DataError(f"properties.template.{kind}[{index}] is not an object")
            out.append((f"properties.template.{kind}[{index}]", container))
    return out


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
    for path, container in _containers(app):
        env = container.get("env") or []
        if not isinstance(env, list):
            raise DataError(f"{path}.env is not an array")
        for index, variable in enumerate(env):
            if not isinstance(variable, dict) or not isinstance(variable.get("name"), str):
                raise DataError(f"{path}.env[{index}] has no name")
            value = variable.get("value")
            if not isinstance(value, str):
                continue  # secretRef or empty: judged by secrets.aca-secrets-in-keyvault
            match = detect(variable["name"], value, app.subscription_id)
            if match:
                app.note(f"{path}.env[{index}]", match.to_evidence())
                matches.append(match)
    if matches:
        names = ", ".join(f"{m.name} ({m.pattern})" for m in matches)
        return failed(
            f"{len(matches)} plain-text secret(s) in environment variables: {names}", expected="no secret values in env"
        )
    app.note("properties.template.containers[].env", "no secret-like values")
    return passed("no secret-like values in environment variables", expected="no secret values in env")


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
    secrets = app.get("properties.configuration.secrets", default=[], expect=list)
    inline = []
    for index, secret in enumerate(secrets):
        if not isinstance(secret, dict) or not isinstance(secret.get("name"), str):
            raise DataError(f"properties.configuration.secrets[{index}] has no name")
        if not secret.get("keyVaultUrl"):
            inline.append(secret["name"])
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
    registries = app.get("properties.configuration.registries", default=[], expect=list)
    secrets = app.get("properties.configuration.secrets", default=[], expect=list)
    in_vault = {s.get("name"): bool(s.get("keyVaultUrl")) for s in secrets if isinstance(s, dict)}
    inline, vaulted, with_identity = [], [], []
    for index, registry in enumerate(registries):
        if not isinstance(registry, dict) or not isinstance(registry.get("server"), str):
            raise DataError(f"properties.configuration.registries[{index}] has no server")
        # ARM returns "" rather than omitting identity or passwordSecretRef when unset.
        ref = registry.get("passwordSecretRef") or ""
        if not isinstance(ref, str):
            raise DataError(f"properties.configuration.registries[{index}].passwordSecretRef is not a string")
        if registry.get("identity"):
            with_identity.append(registry["server"])
        elif not ref:
            continue  # anonymous pull from a public registry: no credential to judge
        elif ref not in in_vault:
            raise DataError(f"registries[{index}] refers to secret {ref!r}, which the app does not define")
        elif in_vault[ref]:
            vaulted.append(registry["server"])
        else:
            inline.append(f"{registry['server']} (secret {ref})")
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
