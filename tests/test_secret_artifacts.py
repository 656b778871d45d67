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
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
