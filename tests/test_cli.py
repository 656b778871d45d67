"""The CLI end to end, as a user runs it: the venv's `golive` in a subprocess, on both fixtures."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from importlib.metadata import version

import click
import pytest

from auditor.cli import SEVERITIES, cli
from tests.conftest import GOLIVE, ROOT, audit_report, golive, validate_report


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return audit_report(out, "--demo")


def test_demo_fails_in_every_area_that_has_checks(demo_run, report_schema):
    run, report = demo_run
    assert run.code == 1, run.err
    validate_report(report, report_schema)
    checked_areas = {c["area"] for c in report["checks"]}
    assert checked_areas, "no check ran at all"
    areas = {a["id"]: a["status"] for a in report["summary"]["areas"]}
    assert {a: areas[a] for a in checked_areas} == {a: "fail" for a in checked_areas}
    assert report["summary"]["ready"] is False and report["snapshot"]["source"] == "demo"
    assert "Result: NOT READY" in run.out and "Readiness by area" in run.out
    assert run.out.rstrip().splitlines()[-1].startswith("Result: NOT READY")


def test_demo_report_holds_no_secret_value(demo_run, demo):
    _, report = demo_run
    text = json.dumps(report)
    snapshot = json.loads(demo.read_text())
    checked = 0
    for res in snapshot["resources"]:
        for container in (res.get("properties") or {}).get("template", {}).get("containers", []):
            for variable in container.get("env", []):
                if variable["name"] in ("AZURE_OPENAI_KEY", "COSMOS_CONNECTION_STRING", "STORAGE_CONNECTION_STRING"):
                    assert variable["value"] not in text, variable["name"]
                    checked += 1
    assert checked == 3
    assert "AZURE_OPENAI_KEY" in text  # the variable is named, its value is not


def test_hardened_has_no_failure(tmp_path, hardened, attestations, report_schema):
    run, report = audit_report(tmp_path, "--snapshot", str(hardened), "--attestations", str(attestations), "--strict")
    validate_report(report, report_schema)
    counts = report["summary"]["byStatus"]
    assert counts["fail"] == 0, [f for f in report["findings"] if f["status"] == "fail"]
    assert counts["pass"] > 0
    incomplete = counts["not_assessed"] + counts["error"]
    assert run.code == (3 if incomplete else 0), run.out + run.err
    if not incomplete:
        assert "Result: READY" in run.out
        assert {i["status"] for i in report["checklist"]} <= {"pass", "attested", "not_applicable"}


def test_stdout_output_is_only_json(tmp_path, hardened, report_schema):
    run = golive("audit", "--snapshot", str(hardened), "--output-dir", "-", cwd=tmp_path)
    report = json.loads(run.out)  # the whole of stdout is one JSON document
    validate_report(report, report_schema)
    assert "Readiness by area" in run.err and list(tmp_path.iterdir()) == []
    quiet = golive("audit", "--snapshot", str(hardened), "-o", "-", "-q", cwd=tmp_path)
    assert json.loads(quiet.out)["findings"] == report["findings"] and quiet.err == ""
    mixed = golive("audit", "--demo", "-o", "-", "--format", "json,html", cwd=tmp_path)
    assert mixed.code == 2 and mixed.out == "" and "writes only the JSON report" in mixed.err


def test_fail_on_each_severity(demo_run, tmp_path):
    _, report = demo_run
    failed = {f["severity"] for f in report["findings"] if f["status"] == "fail"}
    assert failed
    for index, severity in enumerate(SEVERITIES):
        at_or_above = set(SEVERITIES[: index + 1])
        run, _ = audit_report(tmp_path, "--demo", "--fail-on", severity, "-q")
        assert run.code == (1 if failed & at_or_above else 0), severity
    assert golive("audit", "--demo", "--fail-on", "urgent", "-o", str(tmp_path)).code == 2


def test_only_and_skip_by_glob_and_area(tmp_path):
    _, report = audit_report(tmp_path, "--demo", "--only", "apim.*", "--only", "cost", "-q")
    ids = {c["id"] for c in report["checks"]}
    assert any(i.startswith("apim.") for i in ids) and any(c["area"] == "cost" for c in report["checks"])
    assert all(c["id"].startswith("apim.") or c["area"] == "cost" for c in report["checks"])
    assert {f["checkId"] for f in report["findings"]} <= ids
    _, report = audit_report(tmp_path, "--demo", "--skip", "network", "--skip", "alerts.*", "-q")
    assert report["checks"]
    assert not any(c["area"] == "network" or c["id"].startswith("alerts.") for c in report["checks"])
    _, report = audit_report(tmp_path, "--demo", "--only", "aca.min-replicas", "-q")
    assert [c["id"] for c in report["checks"]] == ["aca.min-replicas"]
    bad = golive("audit", "--demo", "-o", str(tmp_path), "--only", "nothing.matches")
    assert bad.code == 2 and "matches no check" in bad.err


def test_strict_exits_3_when_incomplete(tmp_path):
    array = [
        {
            "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.App/containerApps/app",
            "name": "app",
            "type": "Microsoft.App/containerApps",
            "properties": {
                "template": {
                    "scale": {
                        "minReplicas": 3,
                        "maxReplicas": 5,
                        "rules": [{"name": "http", "http": {"metadata": {"concurrentRequests": "50"}}}],
                    }
                }
            },
        }
    ]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(array))
    run, report = audit_report(tmp_path / "out", "--snapshot", str(path), "--only", "aca.*", "--strict")
    assert report["summary"]["byStatus"]["not_assessed"] > 0 and report["summary"]["byStatus"]["fail"] == 0
    assert run.code == 3, run.out + run.err
    assert "plain list of resources" in run.out
    lenient, _ = audit_report(tmp_path / "out", "--snapshot", str(path), "--only", "aca.*")
    assert lenient.code == 0


def test_an_audit_that_judged_nothing_is_not_ready(tmp_path, report_schema):
    path = tmp_path / "empty.json"
    path.write_text("[]")
    run, report = audit_report(tmp_path / "out", "--snapshot", str(path))
    validate_report(report, report_schema)
    assert report["findings"] == [] and report["summary"]["ready"] is False
    assert "Result: NOT READY — no check applied to anything in this snapshot" in run.out


def _blank_times(text: str) -> str:
    return re.sub(r'"(startedAt|finishedAt)": "[^"]*"', r'"\1": ""', text)


def test_two_runs_give_identical_json_apart_from_the_time(tmp_path, hardened):
    texts = []
    for name in ("a", "b"):
        run, _ = audit_report(tmp_path / name, "--snapshot", str(hardened), "-q")
        assert run.code == 0, run.err
        texts.append((tmp_path / name / "golive-report.json").read_text())
    assert _blank_times(texts[0]) == _blank_times(texts[1])
    assert texts[0].count('"startedAt"') == 1


def test_every_format_is_written_and_listed(tmp_path):
    run, report = audit_report(tmp_path, "--demo", "--format", "json,html", "--format", "sarif,md")
    assert run.code == 1 and report is not None
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["golive-report.html", "golive-report.json", "golive-report.md", "golive-report.sarif"]
    for name in written:
        assert str(tmp_path / name) in run.out
    bad = golive("audit", "--demo", "--format", "pdf", "-o", str(tmp_path / "pdf"))
    assert bad.code == 2 and "unknown format 'pdf'" in bad.err and not (tmp_path / "pdf").exists()


def test_checks_list_and_show():
    listing = golive("checks", "list")
    assert listing.code == 0 and "aca.min-replicas" in listing.out
    as_json = json.loads(golive("checks", "list", "--format", "json").out)
    assert re.fullmatch(rf"{len(as_json)} checks", listing.out.splitlines()[-1])
    assert {c["id"] for c in as_json} >= {"aca.min-replicas", "apim.rate-limit"}
    assert all({"id", "severity", "area", "checklist", "remediation", "refs", "params"} <= c.keys() for c in as_json)
    markdown = golive("checks", "list", "--format", "markdown").out
    assert markdown.startswith("# golive check catalogue") and "| `aca.min-replicas` |" in markdown
    show = golive("checks", "show", "aca.min-replicas")
    assert show.code == 0 and "Remediation" in show.out and "min_replicas = 2" in show.out
    shown = json.loads(golive("checks", "show", "aca.min-replicas", "--format", "json").out)
    assert shown["area"] == "scalability" and shown["params"]["min_replicas"]["default"] == 2
    assert "```bicep" in golive("checks", "show", "aca.min-replicas", "--format", "markdown").out
    missing = golive("checks", "show", "no.such-check")
    assert missing.code == 2 and "no check with id 'no.such-check'" in missing.err


def test_validate(demo, hardened, tmp_path):
    for path in (demo, hardened):
        run = golive("validate", str(path))
        assert run.code == 0 and "valid snapshot" in run.out and "coverage complete" in run.out
    quiet = golive("validate", str(demo), "-q")
    assert quiet.code == 0 and quiet.out == ""


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    yield prefix
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def test_version_and_help_everywhere():
    assert golive("--version").out.strip() == f"golive, version {version('golive')}"
    commands = list(_commands(cli))
    assert ("audit",) in commands and ("checks", "show") in commands and len(commands) >= 7
    for command in commands:
        run = golive(*command, "--help")
        assert run.code == 0 and run.out.startswith("Usage: golive"), command
    assert "Exit codes" in golive("audit", "--help").out and "Exit codes" in golive("--help").out


def test_quiet_prints_nothing_but_still_writes(tmp_path):
    run, report = audit_report(tmp_path, "--demo", "-q")
    assert run.code == 1 and run.out == "" and run.err == "" and report is not None


def test_verbose_lists_every_failure(demo_run, tmp_path):
    _, report = demo_run
    failures = sum(1 for f in report["findings"] if f["status"] == "fail")
    run, _ = audit_report(tmp_path, "--demo", "-v")
    assert f"Every failure ({failures})" in run.out
    failing_checks = len({f["checkId"] for f in report["findings"] if f["status"] == "fail"})
    assert f"What to fix first ({failing_checks} of {failing_checks} failing checks, {failures} failures)" in run.out


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout of golive run on a pseudo-terminal, where colour would be on."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=follower, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    args = [*GOLIVE, "audit", "--demo", "-o", str(tmp_path)]
    assert "\x1b[" in _on_a_terminal(args, env)
    plain = _on_a_terminal(args, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "Readiness by area" in plain
    piped = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT)
    assert "\x1b[" not in piped.stdout


def test_an_output_dir_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for out in (blocker, blocker / "reports"):
        run = golive("audit", "--demo", "-o", str(out))
        assert run.code == 2 and "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1
        assert f"cannot be written: {blocker} is not a directory" in run.err
    assert blocker.read_text() == "not a directory"


def test_usage_errors_exit_2(tmp_path):
    for args in (
        ("audit",),
        ("audit", "--demo", "--snapshot", "x.json"),
        ("audit", "--demo", "--no-such-option"),
        ("no-such-command",),
        ("checks", "list", "--format", "yaml"),
    ):
        run = golive(*args, cwd=tmp_path)
        assert run.code == 2 and "Traceback" not in run.err, args
    assert list(tmp_path.iterdir()) == []


def test_strict_exits_3_when_nothing_was_judged(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("[]")
    strict, report = audit_report(tmp_path / "out", "--snapshot", str(path), "--strict")
    assert report["summary"]["byStatus"]["pass"] == report["summary"]["byStatus"]["fail"] == 0
    assert strict.code == 3 and "nothing was judged" in strict.err
    lenient, _ = audit_report(tmp_path / "out", "--snapshot", str(path))
    assert lenient.code == 0
