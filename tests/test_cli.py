"""The CLI end to end, in a subprocess, on the bundled fixtures."""

import json

from tests.conftest import golive, validate_report


def test_demo_fails_in_every_area(tmp_path, report_schema):
    run = golive("audit", "--demo", "--output-dir", str(tmp_path))
    assert run.code == 1, run.err
    report = json.loads((tmp_path / "golive-report.json").read_text())
    validate_report(report, report_schema)
    areas = {a["id"]: a["status"] for a in report["summary"]["areas"]}
    assert len(areas) == 6 and set(areas.values()) == {"fail"}, areas
    assert "Result: NOT READY" in run.out and str(tmp_path / "golive-report.json") in run.out


def test_demo_report_holds_no_secret_value(tmp_path, demo):
    golive("audit", "--demo", "--output-dir", str(tmp_path), "--format", "json")
    text = (tmp_path / "golive-report.json").read_text()
    snapshot = json.loads(demo.read_text())
    checked = 0
    for res in snapshot["resources"]:
        for container in res.get("properties", {}).get("template", {}).get("containers", []):
            for variable in container.get("env", []):
                if variable["name"] in ("AZURE_OPENAI_KEY", "COSMOS_CONNECTION_STRING", "STORAGE_CONNECTION_STRING"):
                    assert variable["value"] not in text, variable["name"]
                    checked += 1
    assert checked == 3
    assert "AZURE_OPENAI_KEY" in text  # the variable is named, its value is not


def test_hardened_has_no_failure(tmp_path, hardened, attestations, report_schema):
    run = golive(
        "audit", "--snapshot", str(hardened), "--attestations", str(attestations), "-o", str(tmp_path), "--strict"
    )
    assert run.code == 0, run.out + run.err
    report = json.loads((tmp_path / "golive-report.json").read_text())
    validate_report(report, report_schema)
    counts = report["summary"]["byStatus"]
    assert counts["fail"] == 0 and counts["not_assessed"] == 0 and counts["error"] == 0 and counts["pass"] > 50
    statuses = {item["id"]: item["status"] for item in report["checklist"]}
    assert set(statuses.values()) <= {"pass", "attested"}, statuses
    assert "Result: READY" in run.out


def test_stdout_output_is_only_json(hardened):
    run = golive("audit", "--snapshot", str(hardened), "--output-dir", "-")
    report = json.loads(run.out)
    assert report["reportVersion"] == "1"
    assert "Readiness by area" in run.err


def test_fail_on_and_quiet(tmp_path, demo):
    assert golive("audit", "--demo", "-o", str(tmp_path), "--fail-on", "critical", "-q").code == 1
    run = golive("audit", "--demo", "-o", str(tmp_path), "--only", "cost", "--fail-on", "high", "-q")
    assert run.code == 0 and run.out == ""


def test_only_and_skip(tmp_path):
    golive("audit", "--demo", "-o", str(tmp_path), "--only", "apim.*", "--only", "cost", "-q")
    report = json.loads((tmp_path / "golive-report.json").read_text())
    ids = {c["id"] for c in report["checks"]}
    assert ids and all(i.startswith("apim.") or i.startswith("cost.") for i in ids)
    golive("audit", "--demo", "-o", str(tmp_path), "--skip", "network", "--skip", "alerts.*", "-q")
    report = json.loads((tmp_path / "golive-report.json").read_text())
    assert not any(c["area"] == "network" or c["id"].startswith("alerts.") for c in report["checks"])
    bad = golive("audit", "--demo", "-o", str(tmp_path), "--only", "nothing.matches")
    assert bad.code == 2 and "matches no check" in bad.err


def test_strict_exits_3_when_incomplete(tmp_path):
    array = [
        {
            "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.App/containerApps/app",
            "name": "app",
            "type": "Microsoft.App/containerApps",
            "properties": {
                "template": {"scale": {"minReplicas": 3, "maxReplicas": 5, "rules": [{"name": "h", "http": {}}]}},
                "configuration": {},
            },
            "identity": {"type": "SystemAssigned"},
        }
    ]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(array))
    run = golive("audit", "--snapshot", str(path), "-o", str(tmp_path), "--only", "aca.*", "--strict")
    assert run.code == 3, run.out + run.err
    assert "plain list of resources" in run.out


def test_two_runs_are_identical_apart_from_time(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    golive("audit", "--demo", "-o", str(a), "-q")
    golive("audit", "--demo", "-o", str(b), "-q")
    first, second = (json.loads((d / "golive-report.json").read_text()) for d in (a, b))
    for doc in (first, second):
        doc["run"].pop("startedAt")
        doc["run"].pop("finishedAt")
    assert first == second


def test_checks_list_and_show():
    listing = golive("checks", "list")
    assert listing.code == 0 and "aca.min-replicas" in listing.out and "checks" in listing.out.splitlines()[-1]
    as_json = json.loads(golive("checks", "list", "--format", "json").out)
    assert {c["id"] for c in as_json} >= {"aca.min-replicas", "apim.rate-limit", "appgw.waf-prevention"}
    show = golive("checks", "show", "apim.rate-limit")
    assert show.code == 0 and "Remediation" in show.out and "az apim" in show.out
    assert json.loads(golive("checks", "show", "apim.rate-limit", "--format", "json").out)["area"] == "gateway"
    assert "```bicep" in golive("checks", "show", "apim.rate-limit", "--format", "markdown").out
    missing = golive("checks", "show", "no.such-check")
    assert missing.code == 2 and "no check with id" in missing.err


def test_version_help_and_validate(demo):
    assert golive("--version").out.startswith("golive, version")
    for args in (("--help",), ("audit", "--help"), ("checks", "--help"), ("validate", "--help")):
        run = golive(*args)
        assert run.code == 0 and "Usage:" in run.out
    assert "Exit codes" in golive("audit", "--help").out
    valid = golive("validate", str(demo))
    assert valid.code == 0 and "valid snapshot" in valid.out


def test_no_color_and_plain_output(tmp_path):
    run = golive("audit", "--demo", "-o", str(tmp_path))
    assert "\x1b[" not in run.out


def test_usage_errors_exit_2(tmp_path):
    assert golive("audit").code == 2
    assert golive("audit", "--demo", "--snapshot", "x.json").code == 2
    run = golive("audit", "--demo", "--format", "pdf", "-o", str(tmp_path))
    assert run.code == 2 and "unknown format" in run.err
