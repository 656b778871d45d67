"""No planted secret reaches any artifact (issue 11 §2).

Every format the detector knows is planted in every field golive reads that can carry a value:
container app env values (containers and init containers), container app secret values, tags,
APIM named values (one of them echoed by the rate-limit message), global policy and policy
fragment XML, APIM backend credentials and proxy password, action group webhook URLs, and App
Service settings and connection strings, and a Log Analytics sharedKey on the environment. Then the real CLI runs:

- `golive collect --inspect-app-settings` against the fake ARM (real SDK clients);
- `golive audit --snapshot` on that snapshot, every report format, `-vv`;
- `golive audit --subscription ... --save-snapshot` live, every format, `-vv`;
- `golive audit --snapshot` on the raw, unredacted document, every format, `-vv`.

Every file written and everything printed is searched for each secret and each 8-character
substring of it. The count must be 0.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import string
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from auditor.secrets import detect
from auditor.testing.fake_arm import FakeArm
from tests.collect.conftest import document, subscriptions_of
from tests.conftest import golive
from tests.test_secret_detector import PLANTED

FORMATS = "json,html,sarif,md,junit,csv"
APP = "Microsoft.App/containerApps"
NAMED_VALUE = "Microsoft.ApiManagement/service/namedValues"
SITE = "Microsoft.Web/sites"


def _values() -> list[str]:
    return [value for _, value, _ in PLANTED]


def _as_url(value: str) -> str:
    return value if value.startswith("https://") else f"https://hooks.example.com/notify/{value}"


def _plant(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plant every format in every field; returns the App Service settings the fake ARM serves."""
    values = _values()
    resources = doc["resources"]
    sub = subscriptions_of(doc)[0]
    first_of = {}
    for r in resources:
        first_of.setdefault(r["type"].lower(), r)
    app = first_of[APP.lower()]
    container = app["properties"]["template"]["containers"][0]
    container.setdefault("env", []).extend({"name": f"SETTING_{i}", "value": v} for i, v in enumerate(values))
    app["properties"]["template"]["initContainers"] = [
        {"name": "init", "image": "mcr.microsoft.com/k8se/quickstart:latest", "env": [{"name": "INIT", "value": v}]}
        for v in values[:1]
    ]
    app["properties"]["configuration"].setdefault("secrets", []).extend(
        {"name": f"plain-{i}", "value": v} for i, v in enumerate(values)
    )
    app["tags"] = {**app.get("tags", {}), **{f"note{i}": v for i, v in enumerate(values)}}

    environment = first_of["microsoft.app/managedenvironments"]["properties"]
    logs = environment.setdefault("appLogsConfiguration", {"destination": "log-analytics"})
    logs.setdefault("logAnalyticsConfiguration", {"customerId": "00000000-1111-2222-3333-444444444444"})
    logs["logAnalyticsConfiguration"]["sharedKey"] = values[4]
    service = first_of["microsoft.apimanagement/service"]
    for i, value in enumerate(values):
        resources.append(
            {
                "id": f"{service['id']}/namedValues/plain-{i}",
                "name": f"plain-{i}",
                "type": NAMED_VALUE,
                "properties": {"displayName": f"plain-{i}", "value": value, "secret": False},
            }
        )
    # The product policy's rate limit reads {{rate-limit-calls}}: its pass message used to echo the value.
    limit = next(r for r in resources if r["type"] == NAMED_VALUE and r["name"] == "rate-limit-calls")
    limit["properties"]["value"] = values[10]
    headers = "".join(
        f'<set-header name="x-h{i}" exists-action="override"><value>{escape(v)}</value></set-header>'
        for i, v in enumerate(values)
    )
    basic = '<authentication-basic username="svc" password="Lk8Jh7Gf6Ds5" />'
    for rtype in ("microsoft.apimanagement/service/policies", "microsoft.apimanagement/service/policyfragments"):
        policy = first_of[rtype]["properties"]
        root = "<inbound>" if "<inbound>" in policy["value"] else "<fragment>"
        policy["value"] = policy["value"].replace(root, root + headers + basic, 1)
    backend = first_of["microsoft.apimanagement/service/backends"]["properties"]
    backend["credentials"] = {
        "header": {"x-api-key": values},
        "query": {"code": values},
        "authorization": {"scheme": "Basic", "parameter": values[0]},
    }
    backend["proxy"] = {"url": "http://proxy.example.com", "username": "svc", "password": values[1]}
    group = first_of["microsoft.insights/actiongroups"]["properties"]
    group["webhookReceivers"] = [
        {"name": f"hook{i}", "serviceUri": _as_url(v), "useCommonAlertSchema": True} for i, v in enumerate(values)
    ]
    site_id = f"/subscriptions/{sub}/resourceGroups/rg-voice-prod/providers/{SITE}/web-voice"
    resources.append(
        {
            "id": site_id,
            "name": "web-voice",
            "type": SITE,
            "kind": "app",
            "location": "eastus2",
            "identity": {"type": "SystemAssigned"},
            "properties": {"state": "Running", "publicNetworkAccess": "Disabled", "httpsOnly": True},
        }
    )
    return {
        site_id: {
            "appsettings": {f"S{i}": v for i, v in enumerate(values)},
            "connectionstrings": {f"C{i}": {"value": v, "type": "Custom"} for i, v in enumerate(values)},
        }
    }


def _artifacts(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            out[str(path.relative_to(folder))] = data.decode("utf-8", "replace")
    return out


def _leaks(texts: dict[str, str]) -> list[str]:
    leaks = []
    for _, _, secret in PLANTED:
        pieces = {secret} | {secret[i : i + 8] for i in range(len(secret) - 7)}
        for where, text in texts.items():
            found = sorted(p for p in pieces if p in text)
            if found:
                leaks.append(f"{where}: {secret[:4]}… ({len(found)} pieces, e.g. {found[0]!r})")
    return leaks


def test_no_planted_secret_in_any_artifact(tmp_path):
    doc = document("hardened")
    settings = _plant(doc)
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(doc))
    env = {"GOLIVE_ACCESS_TOKEN": "test-token"}
    subs = [arg for sub in subscriptions_of(doc) for arg in ("--subscription", sub)]
    outputs: dict[str, str] = {}
    with FakeArm(doc, page_size=3, site_settings=settings) as arm:
        live = [*subs, "--arm-endpoint", arm.url, "--ca-bundle", arm.ca_bundle, "--inspect-app-settings"]
        runs = {
            "collect": golive("collect", *live, "-o", str(tmp_path / "art" / "collected.json"), env=env),
            "audit-live": golive(
                "audit",
                *live,
                "--save-snapshot",
                str(tmp_path / "art" / "live-snapshot.json.gz"),
                "--format",
                FORMATS,
                "-o",
                str(tmp_path / "art" / "live"),
                "-vv",
                env=env,
            ),
        }
    collected = tmp_path / "art" / "collected.json"
    assert runs["collect"].code == 0, runs["collect"].err
    snapshot = collected.read_text()
    assert "[redacted: " in snapshot
    runs["audit-collected"] = golive(
        "audit", "--snapshot", str(collected), "--format", FORMATS, "-o", str(tmp_path / "art" / "offline"), "-vv"
    )
    runs["audit-raw"] = golive(
        "audit", "--snapshot", str(raw), "--format", FORMATS, "-o", str(tmp_path / "art" / "raw"), "-vv"
    )
    for name, run in runs.items():
        assert run.code in (0, 1), f"{name}: {run.err}"
        outputs[f"{name} stdout"] = run.out
        outputs[f"{name} stderr"] = run.err
    artifacts = _artifacts(tmp_path / "art")
    assert len([a for a in artifacts if a.startswith(("live/", "offline/", "raw/"))]) == 18, artifacts.keys()
    assert _leaks({**artifacts, **outputs}) == []
    # The planted values are judged, not merely hidden: the checks read the markers.
    report = json.loads(artifacts["offline/golive-report.json"])
    status = {(f["checkId"], f["resourceName"]): f["status"] for f in report["findings"]}
    app_name = next(r["name"] for r in doc["resources"] if r["type"] == APP)
    assert status[("secrets.aca-env-plaintext", app_name)] == "fail"
    assert status[("secrets.appservice-settings", "web-voice")] == "fail"
    flagged = next(
        f for f in report["findings"] if f["checkId"] == "secrets.aca-env-plaintext" and f["resourceName"] == app_name
    )
    assert all(f"SETTING_{i}" in flagged["evidence"]["message"] for i in range(len(PLANTED)))
    # The named value the rate limit reads was echoed into the pass message before the scrubber ran.
    raw_report = json.loads(artifacts["raw/golive-report.json"])
    limits = [f["evidence"]["message"] for f in raw_report["findings"] if f["checkId"] == "apim.rate-limit"]
    assert any("= [redacted: OpenAI key, hash " in message for message in limits), limits


def test_collection_replaces_credential_properties_whatever_their_shape():
    """A Log Analytics sharedKey, a backend credential or a container app secret is replaced even
    when no pattern knows its format; identifiers and harmless shapes stay."""
    from auditor.redaction import redact_resource

    environment = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/cae",
        "name": "cae",
        "type": "Microsoft.App/managedEnvironments",
        "properties": {
            "appLogsConfiguration": {
                "destination": "log-analytics",
                "logAnalyticsConfiguration": {"customerId": "ws-id", "sharedKey": "correct-horse-battery"},
            },
            "appInsightsConfiguration": {
                "connectionString": "InstrumentationKey=00000000-1111-2222-3333-444444444444;"
                "IngestionEndpoint=https://eastus2-3.in.applicationinsights.azure.com/"
            },
        },
    }
    redacted = redact_resource(environment, "s")
    logs = redacted["properties"]["appLogsConfiguration"]["logAnalyticsConfiguration"]
    assert logs["sharedKey"].startswith("[redacted: sharedKey property, hash ") and logs["customerId"] == "ws-id"
    assert redacted["properties"]["appInsightsConfiguration"] == environment["properties"]["appInsightsConfiguration"]
    assert redacted["id"] == environment["id"]
    app = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/ca",
        "type": "Microsoft.App/containerApps",
        "properties": {"configuration": {"secrets": [{"name": "db", "value": "correct-horse-battery"}]}},
    }
    (secret,) = redact_resource(app, "s")["properties"]["configuration"]["secrets"]
    assert secret["name"] == "db" and secret["value"].startswith("[redacted: container app secret, hash ")


def _unknown_format(rng: random.Random) -> str:
    """20 random letters and digits: a credential in a format no pattern knows."""
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))


def test_evidence_never_holds_a_value_from_a_field_that_can_carry_secrets(tmp_path):
    """Issue 11 §2: evidence holds no raw value from a field that can carry secrets (env values, app
    settings, named values, policy XML attributes, connection strings, URLs with userinfo or query
    signatures), even when the value matches no pattern. A random value is planted in each, in a
    raw (never redacted) snapshot; every report format and everything printed with -vv is searched
    for it and for each 8-character piece of it."""
    rng = random.Random(11)
    planted: dict[str, str] = {}

    def plant(field: str) -> str:
        value = _unknown_format(rng)
        assert detect("", value, "salt") is None, value
        planted[field] = value
        return value

    doc = document("hardened")
    resources = doc["resources"]
    first_of: dict[str, dict[str, Any]] = {}
    for r in resources:
        first_of.setdefault(r["type"].lower(), r)
    app = first_of[APP.lower()]
    app["properties"]["template"]["containers"][0].setdefault("env", []).extend(
        [
            {"name": "SETTING_A", "value": plant("env value, neutral name")},
            {"name": "DB_PASSWORD", "value": plant("env value, secret name")},
            {"name": "DB", "value": f"Server=tcp:sql.example.com;User ID=u;Password={plant('env connection string')}"},
            {"name": "API", "value": f"https://svc:{plant('env URL userinfo')}@api.example.com/v1"},
            {"name": "BLOB", "value": f"https://st.blob.core.windows.net/c?sv=2022-11-02&sig={plant('env SAS sig')}"},
        ]
    )
    app["properties"]["configuration"].setdefault("secrets", []).append(
        {"name": "plain", "value": plant("container app secret")}
    )
    service = first_of["microsoft.apimanagement/service"]
    resources.append(
        {
            "id": f"{service['id']}/namedValues/plain-x",
            "name": "plain-x",
            "type": NAMED_VALUE,
            "properties": {"displayName": "plain-x", "value": plant("named value"), "secret": False},
        }
    )
    # Named values that policies read, whose messages used to echo them: the rate limit's calls
    # and the token limit's tokens-per-minute.
    limit = next(r for r in resources if r["type"] == NAMED_VALUE and r["name"] == "rate-limit-calls")
    limit["properties"]["value"] = plant("named value read as rate-limit calls")
    resources.append(
        {
            "id": f"{service['id']}/namedValues/tpm-x",
            "name": "tpm-x",
            "type": NAMED_VALUE,
            "properties": {"displayName": "tpm-x", "value": plant("named value read as tokens-per-minute")},
        }
    )
    token_limits = [r for r in resources if 'tokens-per-minute="' in str(r.get("properties", {}).get("value"))]
    assert token_limits
    for policy in token_limits:
        text = policy["properties"]["value"]
        policy["properties"]["value"] = re.sub(r'tokens-per-minute="[^"]*"', 'tokens-per-minute="{{tpm-x}}"', text)
    xml = (
        f'<set-header name="x-h" exists-action="override"><value>{plant("policy header value")}</value></set-header>'
        f'<authentication-basic username="svc" password="{plant("policy password attribute")}" />'
        f'<set-query-parameter name="code" exists-action="override"><value>{plant("policy query")}</value>'
        "</set-query-parameter>"
        f'<set-backend-service base-url="https://svc:{plant("policy base-url userinfo")}@api.example.com/" />'
    )
    for rtype in ("microsoft.apimanagement/service/policies", "microsoft.apimanagement/service/policyfragments"):
        policy = first_of[rtype]["properties"]
        root = "<inbound>" if "<inbound>" in policy["value"] else "<fragment>"
        policy["value"] = policy["value"].replace(root, root + xml, 1)
    backend = first_of["microsoft.apimanagement/service/backends"]["properties"]
    backend["credentials"] = {"header": {"x-api-key": [plant("backend credential header")]}}
    backend["url"] = f"https://svc:{plant('backend URL userinfo')}@backend.example.com/api"
    group = first_of["microsoft.insights/actiongroups"]["properties"]
    group["webhookReceivers"] = [
        {"name": "hook", "serviceUri": f"https://hooks.example.com/x?code={plant('webhook URL code')}"}
    ]
    site_id = f"{doc['resources'][0]['id'].split('/providers/')[0]}/providers/{SITE}/web-x"
    resources.append({"id": site_id, "name": "web-x", "type": SITE, "kind": "app", "properties": {"httpsOnly": True}})
    for config, properties in (
        ("appsettings", {"SETTING": plant("app setting")}),
        ("connectionstrings", {"DB": {"value": plant("app connection string"), "type": "Custom"}}),
    ):
        resources.append(
            {"id": f"{site_id}/config/{config}", "name": config, "type": f"{SITE}/config", "properties": properties}
        )
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(doc))
    run = golive("audit", "--snapshot", str(raw), "--format", FORMATS, "-o", str(tmp_path / "out"), "-vv")
    assert run.code in (0, 1), run.err
    texts = {**_artifacts(tmp_path / "out"), "stdout": run.out, "stderr": run.err}
    assert len(texts) == 8
    leaks = []
    for field, value in planted.items():
        pieces = {value[i : i + 8] for i in range(len(value) - 7)}
        leaks += [f"{field} in {where}" for where, text in texts.items() if any(p in text for p in pieces)]
    assert leaks == []
    # The values were read, not skipped: the findings that read them are there, judged.
    report = json.loads(texts["golive-report.json"])
    by_check = {(f["checkId"], f["resourceName"]): f for f in report["findings"]}
    assert by_check[("secrets.aca-env-plaintext", app["name"])]["status"] == "fail"
    limits = [f["evidence"]["message"] for f in report["findings"] if f["checkId"] == "apim.rate-limit"]
    assert any("{{rate-limit-calls}} = [value withheld, hash " in m for m in limits), limits
