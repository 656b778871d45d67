import json

import pytest

from auditor.secrets import detect, redact_settings
from tests.checks.helpers import SUB, only, resource, run_check, verdicts
from tests.conftest import golive, snapshot_document

APP = "Microsoft.App/containerApps"
STORAGE_KEY = (
    "DefaultEndpointsProtocol=https;AccountName=st;"
    "AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0Cg==;EndpointSuffix=core.windows.net"
)
APPI = "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://eastus2-3.in.applicationinsights.azure.com/"


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("STORAGE", STORAGE_KEY, "storage connection string"),
        (
            "COSMOS",
            "AccountEndpoint=https://c.documents.azure.com:443/;AccountKey=abc123==;",
            "Cosmos DB connection string",
        ),
        (
            "BUS",
            "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=r;SharedAccessKey=abcd=",
            "SharedAccessKey",
        ),
        ("SQL", "Server=tcp:x;Database=d;User ID=u;Password=hunter2;", "password in connection string"),
        ("CERT", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "PEM private key"),
        ("OPAQUE", "3f9c1d7e2b8a4c6d9e0f1a2b3c4d5e6f", "32+ hex key"),
        ("BLOB", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "long base64 key"),
        ("REDIS_KEY", "short-but-named", "name _KEY"),
        ("DB_PASSWORD", "p@ss", "name PASSWORD"),
    ],
)
def test_detector_finds_secrets(name, value, pattern):
    match = detect(name, value, SUB)
    assert match is not None and match.pattern == pattern
    assert value not in json.dumps(match.to_evidence())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APPLICATIONINSIGHTS_CONNECTION_STRING", APPI),
        ("AZURE_OPENAI_KEY", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/k/)"),
        ("SERVICE_URL_KEY", "https://example.com/path"),
        ("AZURE_CLIENT_ID", "5e1c2f3a-7b8d-4e9f-a0b1-c2d3e4f5a6b7"),
        ("FEATURE_SECRET_SAUCE", "true"),
        ("REGION", "eastus2"),
        ("EMPTY_KEY", ""),
    ],
)
def test_detector_leaves_non_secrets(name, value):
    assert detect(name, value, SUB) is None


def test_hash_is_salted_and_stable():
    a = detect("K", STORAGE_KEY, "sub-a")
    b = detect("K", STORAGE_KEY, "sub-b")
    assert a.fingerprint == detect("K", STORAGE_KEY, "sub-a").fingerprint
    assert a.fingerprint != b.fingerprint and len(a.fingerprint) == 12


def app(name, env=(), secrets=None, init_env=()):
    template = {"containers": [{"name": "main", "image": "img", "env": list(env)}]}
    if init_env:
        template["initContainers"] = [{"name": "init", "image": "img", "env": list(init_env)}]
    config = {"activeRevisionsMode": "Single"}
    if secrets is not None:
        config["secrets"] = secrets
    return resource(APP, name, properties={"template": template, "configuration": config})


def test_env_plaintext_verdicts_and_no_value_in_the_report():
    leaky = app("leaky", env=[{"name": "STORAGE_CONNECTION_STRING", "value": STORAGE_KEY}])
    init_leak = app("init", init_env=[{"name": "SEED_PASSWORD", "value": "hunter2"}])
    clean = app(
        "clean",
        env=[
            {"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "value": APPI},
            {"name": "REDIS_KEY", "secretRef": "redis-key"},
            {"name": "AZURE_CLIENT_ID", "value": "5e1c2f3a-7b8d-4e9f-a0b1-c2d3e4f5a6b7"},
        ],
    )
    findings = run_check("secrets.aca-env-plaintext", [leaky, init_leak, clean])
    assert {f.resource_name: f.status.value for f in findings} == {"leaky": "fail", "init": "fail", "clean": "pass"}
    text = json.dumps([f.to_dict() for f in findings])
    assert "STORAGE_CONNECTION_STRING" in text and "storage connection string" in text
    assert "c2VjcmV0" not in text and "hunter2" not in text


def test_env_plaintext_odd_shape_and_absence():
    odd = app("odd", env=[{"value": "no name"}])
    assert verdicts("secrets.aca-env-plaintext", [odd]) == {"odd": "not_assessed"}
    assert only("secrets.aca-env-plaintext", []).status.value == "not_applicable"


def test_secrets_in_key_vault():
    kv = {"name": "acs", "keyVaultUrl": "https://kv.vault.azure.net/secrets/acs", "identity": "system"}
    result = verdicts(
        "secrets.aca-secrets-in-keyvault",
        [
            app("vault", secrets=[kv]),
            app("inline", secrets=[kv, {"name": "redis-key"}]),
            app("none"),
            app("odd", secrets=["redis-key"]),
        ],
    )
    assert result == {"vault": "pass", "inline": "fail", "none": "pass", "odd": "not_assessed"}


def site_with_settings(settings=None, connection_strings=None):
    site = resource("Microsoft.Web/sites", "web", properties={"state": "Running"}, kind="app")
    out = [site]
    for name, values in (("appsettings", settings), ("connectionstrings", connection_strings)):
        if values is not None:
            out.append(resource("Microsoft.Web/sites/config", "web", name, properties=redact_settings(values, SUB)))
    return out


def test_app_service_settings():
    clean = site_with_settings({"APPLICATIONINSIGHTS_CONNECTION_STRING": APPI}, {})
    assert verdicts("secrets.appservice-settings", clean) == {"web": "pass"}
    dirty = site_with_settings({"STORAGE": STORAGE_KEY}, {})
    finding = only("secrets.appservice-settings", dirty)
    assert finding.status.value == "fail" and "STORAGE" in finding.evidence["message"]
    assert "c2VjcmV0" not in json.dumps(finding.to_dict())


def test_app_service_settings_not_collected_is_not_assessed():
    finding = only("secrets.appservice-settings", site_with_settings())
    assert finding.status.value == "not_assessed" and "--inspect-app-settings" in finding.evidence["message"]


def test_redacted_settings_keep_no_values():
    redacted = redact_settings({"A": STORAGE_KEY, "B": "plain", "C": "@Microsoft.KeyVault(SecretUri=x)"}, SUB)
    assert "c2VjcmV0" not in json.dumps(redacted) and "plain" not in json.dumps(redacted)
    assert redacted["A"]["secret"] and not redacted["B"]["secret"] and redacted["C"]["keyVaultReference"]


def registry_app(name, registries, secrets):
    # Wire shape of a GET: unset identity / passwordSecretRef come back as "", and a secret's
    # value is never returned (only name, keyVaultUrl, identity).
    out = app(name, secrets=secrets)
    out["properties"]["configuration"]["registries"] = registries
    return out


def test_registry_credentials():
    kv_secret = {"name": "acr-pw", "keyVaultUrl": "https://kv.vault.azure.net/secrets/acr-pw", "identity": "system"}
    with_identity = registry_app(
        "mi",
        [{"server": "cr.azurecr.io", "username": "", "passwordSecretRef": "", "identity": "system"}],
        [],
    )
    inline = registry_app(
        "inline",
        [{"server": "cr.azurecr.io", "username": "cr", "passwordSecretRef": "acr-pw", "identity": ""}],
        [{"name": "acr-pw"}],
    )
    vaulted = registry_app(
        "vaulted", [{"server": "cr.azurecr.io", "username": "cr", "passwordSecretRef": "acr-pw"}], [kv_secret]
    )
    dangling = registry_app("dangling", [{"server": "cr.azurecr.io", "passwordSecretRef": "missing"}], [])
    no_server = registry_app("odd", [{"passwordSecretRef": "acr-pw"}], [{"name": "acr-pw"}])
    result = verdicts(
        "secrets.aca-registry-password", [with_identity, inline, vaulted, dangling, no_server, app("public")]
    )
    assert result == {
        "mi": "pass",
        "inline": "fail",
        "vaulted": "pass",
        "dangling": "not_assessed",
        "odd": "not_assessed",
        "public": "pass",
    }
    finding = only("secrets.aca-registry-password", [inline])
    assert "cr.azurecr.io" in finding.evidence["message"] and "acr-pw" in finding.evidence["message"]


def test_env_secret_ref_to_key_vault_is_fine_and_plain_password_is_not():
    kv = {"name": "redis-key", "keyVaultUrl": "https://kv.vault.azure.net/secrets/redis-key", "identity": "system"}
    referenced = app("ref", env=[{"name": "REDIS_KEY", "secretRef": "redis-key"}], secrets=[kv])
    assert verdicts("secrets.aca-env-plaintext", [referenced]) == {"ref": "pass"}
    assert verdicts("secrets.aca-secrets-in-keyvault", [referenced]) == {"ref": "pass"}


def test_no_report_format_holds_the_value(tmp_path):
    """The real CLI over a leaky app, every report format: names and patterns, never the key."""
    secret = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4"
    leaky = app(
        "leaky",
        env=[
            {"name": "COSMOS", "value": f"AccountEndpoint=https://c.documents.azure.com:443/;AccountKey={secret};"},
            {"name": "OPENAI_API_KEY", "value": secret},
        ],
    )
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot_document([leaky])))
    out = tmp_path / "out"
    run = golive("audit", "--snapshot", str(path), "-o", str(out), "--format", "json,html,sarif,md,junit,csv")
    assert run.code == 1, run.err
    written = {p.name: p.read_text() for p in out.iterdir()}
    assert len(written) == 6, written.keys()
    assert "OPENAI_API_KEY" in written["golive-report.json"]
    assert "Cosmos DB connection string" in written["golive-report.json"]
    for name, text in [*written.items(), ("stdout", run.out + run.err)]:
        assert secret not in text and secret[:16] not in text, name
