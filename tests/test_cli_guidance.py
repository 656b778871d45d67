"""The CLI says what to do: help with values and examples, "did you mean", one actionable line
when Azure login is missing, error lines that cannot rewrite the terminal, a re-render that
treats a saved report as untrusted."""

from __future__ import annotations

import json
import os
import re

import pytest

from auditor.model import Area
from auditor.reports import FORMATS
from tests.conftest import golive
from tests.reports.test_formats import github_html


def test_version_short_flag():
    run = golive("-V")
    assert run.code == 0 and re.fullmatch(r"golive, version \S+\n", run.out)


def test_top_level_help_does_not_cut_command_summaries():
    run = golive("--help")
    assert run.code == 0 and "..." not in run.out.split("Commands:")[1]
    text = " ".join(run.out.split())
    assert "without auditing again" in text and "or say why not (exit 2)" in text


@pytest.mark.parametrize(
    "command",
    [["audit"], ["report"], ["validate"], ["collect"], ["merge"], ["checks"], ["checks", "list"], ["checks", "show"]],
)
def test_each_command_gives_two_examples(command):
    run = golive(*command, "--help")
    assert run.code == 0
    examples = run.out.split("Examples:")[1].split("\n\n")[0].strip().splitlines()
    assert len(examples) == 2 and all(line.strip().startswith("golive ") for line in examples)


def test_audit_help_lists_formats_fail_on_values_and_areas():
    text = " ".join(golive("audit", "--help").out.split())
    assert all(name in text for name in FORMATS)
    assert "[critical|high|medium|low|info]" in text
    assert all(area.value in text for area in Area)


def test_report_help_lists_only_the_exit_codes_it_returns():
    text = golive("report", "--help").out
    codes = re.findall(r"^\s+(\d+)\s", text.split("Exit codes:")[1], flags=re.M)
    assert codes == ["0", "2", "130"]


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["checks", "show", "aca.min-replica"], "did you mean 'aca.min-replicas'?"),
        (["audit", "--demo", "--only", "aca.min-replica"], "did you mean 'aca.min-replicas'?"),
        (["audit", "--demo", "--skip", "netwrk"], "did you mean 'network'?"),
        (["audit", "--demo", "--format", "htm"], "did you mean 'html'?"),
    ],
)
def test_did_you_mean(tmp_path, args, suggestion):
    run = golive(*args, "-o", str(tmp_path)) if args[0] == "audit" else golive(*args)
    assert run.code == 2 and suggestion in run.err


def test_waiver_and_attestation_naming_unknown_ids_are_errors(tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "aca.min-replica"\nresource = "*"\njustification = "typo"\nexpires = 2099-01-01\n'
    )
    run = golive("audit", "--demo", "--waivers", str(waivers), "-o", str(tmp_path / "out"))
    assert run.code == 2
    assert "(line 1): check 'aca.min-replica' matches no check id (did you mean 'aca.min-replicas'?)" in run.err
    attestations = tmp_path / "attestations.toml"
    attestations.write_text('[[attestation]]\nitem = "load-test"\nby = "qa"\ndate = 2026-11-01\nevidence = "x"\n')
    run = golive("audit", "--demo", "--attestations", str(attestations), "-o", str(tmp_path / "out"))
    assert run.code == 2 and "did you mean 'load-testing'?" in run.err
    assert not (tmp_path / "out").exists()


def test_error_lines_do_not_echo_terminal_controls(tmp_path):
    name = tmp_path / "evil\x1b[2J\x07.json"
    name.write_text("{not json")
    run = golive("validate", str(name))
    assert run.code == 2 and len(run.err.strip().splitlines()) == 1
    assert "\x1b" not in run.err and "\x07" not in run.err
    assert "evil<U+001B>[2J<U+0007>.json" in run.err


def test_not_logged_in_is_one_actionable_line(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "GOLIVE_ACCESS_TOKEN", "IDENTITY_", "MSI_"))
    }
    env["HOME"] = str(tmp_path)  # no Azure CLI or token cache login to fall back on
    env["PATH"] = "/usr/bin:/bin"
    # Developer credentials only: no managed-identity probe of 169.254.169.254, which could answer on a cloud CI runner.
    env["AZURE_TOKEN_CREDENTIALS"] = "dev"
    sub = "3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13"
    args = ("collect", "--subscription", sub, "-o", str(tmp_path / "s.json"))
    run = golive(*args, env=env)
    assert run.code == 2
    assert run.err.strip().splitlines() == [run.err.strip()]
    assert (
        "cannot authenticate to Azure: run 'az login', or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET"
        in run.err
    )
    assert "docs/collecting.md" in run.err
    verbose = golive(*args, "-v", env=env)
    assert verbose.code == 2 and "AzureCliCredential" in verbose.err


def hostile_report(tmp_path) -> str:
    from tests.reports.conftest import audit

    report = json.loads(json.dumps(audit("demo")))
    check = report["checks"][0]
    check["refs"] = ["javascript:alert(1)", "https://example.com/ok"]
    check["rationale"] = "<script>alert(1)</script> [x](javascript:alert(2)) ```"
    check["remediation"]["az"] = "az x ```\n<img src=x onerror=alert(3)>"
    failing = next(f for f in report["findings"] if f["status"] == "fail")
    failing["resourceName"] = "[click](javascript:alert(4)) @octocat"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return str(path)


def test_report_rerenders_a_hostile_json_report_inertly(tmp_path):
    out = tmp_path / "out"
    run = golive("report", hostile_report(tmp_path), "--format", "sarif,md,html", "-o", str(out))
    assert run.code == 0, run.err
    sarif = json.loads((out / "golive-report.sarif").read_text(encoding="utf-8"))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(rule.get("helpUri", "https://").startswith("https://") for rule in rules)
    for rule in rules:  # the Markdown as GitHub renders it: text and code, no live HTML, no script link
        rendered = github_html(rule["help"]["markdown"])
        assert not re.search(r"<(script|img)\b", rendered) and 'href="javascript' not in rendered
    assert "javascript:" not in json.dumps([r.get("helpUri") for r in rules])
    messages = [r["message"]["text"] for run_ in sarif["runs"] for r in run_["results"]]
    assert any("javascript:alert(4)" in m for m in messages)
    assert not any("](javascript:" in m for m in messages)
    html = (out / "golive-report.html").read_text(encoding="utf-8")
    assert 'href="javascript' not in html and "<script>alert" not in html


def test_report_refuses_an_inconsistent_json_report(tmp_path):
    from tests.reports.conftest import audit

    report = json.loads(json.dumps(audit("demo")))
    report["findings"][0]["checkId"] = "no.such-check"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    run = golive("report", str(path), "-o", str(tmp_path / "out"))
    assert run.code == 2 and "no.such-check" in run.err and "Traceback" not in run.err


def test_shell_completion_and_readme_setup_steps():
    run = golive(env={"_GOLIVE_COMPLETE": "bash_source"})
    assert run.code == 0 and "_golive_completion" in run.out
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    using = readme[readme.index("## Using it") :]
    assert using.index("source .venv/bin/activate") < using.index("golive audit")
    assert "_GOLIVE_COMPLETE=bash_source golive" in readme and "golive -V" in readme


def test_report_refuses_lone_surrogates_in_one_line(tmp_path):
    from tests.reports.conftest import audit

    text = json.dumps(audit("demo")).replace('"ca-voice-backend"', '"ca-\\ud800"', 1)
    path = tmp_path / "r.json"
    path.write_text(text)
    run = golive("report", str(path), "--format", "json,sarif", "-o", str(tmp_path / "out"))
    assert run.code == 2 and "lone surrogate" in run.err and len(run.err.strip().splitlines()) == 1
