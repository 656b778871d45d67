"""golive.toml and [tool.golive]: thresholds, severities, enabled checks, only/skip, fail-on, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, audit_report, statuses_of

HARDENED = str(FIXTURES / "hardened.json")


def audit_in(tmp_path: Path, *args: str):
    return audit_report(tmp_path / "out", *args, "-q", cwd=tmp_path)


def check_doc(report: dict, check_id: str) -> dict:
    return next(c for c in report["checks"] if c["id"] == check_id)


def test_threshold_changes_verdicts(tmp_path):
    run, report = audit_in(tmp_path, "--snapshot", HARDENED, "--only", "aca.min-replicas")
    assert run.code == 0 and set(statuses_of(report, "aca.min-replicas").values()) == {"pass"}
    (tmp_path / "golive.toml").write_text('[checks."aca.min-replicas"]\nmin_replicas = 3\n')
    run, report = audit_in(tmp_path, "--snapshot", HARDENED, "--only", "aca.min-replicas", "--fail-on", "medium")
    verdicts = statuses_of(report, "aca.min-replicas")
    assert verdicts and set(verdicts.values()) == {"fail"}, verdicts
    assert check_doc(report, "aca.min-replicas")["effectiveParams"] == {"min_replicas": 3}
    assert run.code == 1  # aca.min-replicas is medium (a resilience gap, docs/severity.md)
    assert report["run"]["config"]["file"] == str(tmp_path / "golive.toml")


def test_severity_override_and_disabled_check(tmp_path):
    (tmp_path / "golive.toml").write_text('only = ["cost"]\nfail-on = "critical"\n')
    run, report = audit_in(tmp_path, "--demo")
    assert {c["area"] for c in report["checks"]} == {"cost"} and run.code == 0  # below critical
    failing = sorted({f["checkId"] for f in report["findings"] if f["status"] == "fail"})
    assert failing, "the demo has cost failures"
    (tmp_path / "golive.toml").write_text(
        f'only = ["cost"]\nfail-on = "critical"\n[checks."{failing[0]}"]\nseverity = "Critical"\n'
    )
    run, report = audit_in(tmp_path, "--demo")
    assert run.code == 1
    assert check_doc(report, failing[0])["severity"] == "critical"
    assert {f["severity"] for f in report["findings"] if f["checkId"] == failing[0]} == {"critical"}
    (tmp_path / "golive.toml").write_text(
        'fail-on = "info"\n' + "".join(f'[checks."{c}"]\nenabled = false\n' for c in failing)
    )
    run, report = audit_in(tmp_path, "--demo", "--only", "cost")
    assert run.code in (0, 1), run.err
    assert not {c["id"] for c in report["checks"]} & set(failing)


def test_only_skip_and_fail_on_combine_with_the_command_line(tmp_path):
    (tmp_path / "golive.toml").write_text('only = ["gateway"]\nskip = ["apim.rate-limit"]\nfail-on = "critical"\n')
    _, report = audit_in(tmp_path, "--demo")
    ids = {c["id"] for c in report["checks"]}
    assert ids and {c["area"] for c in report["checks"]} == {"gateway"} and "apim.rate-limit" not in ids
    # --only replaces the file's list; --skip adds to it
    _, report = audit_in(tmp_path, "--demo", "--only", "apim.*", "--skip", "apim.token-limit")
    ids = {c["id"] for c in report["checks"]}
    assert ids and all(i.startswith("apim.") for i in ids)
    assert "apim.rate-limit" not in ids and "apim.token-limit" not in ids
    assert audit_in(tmp_path, "--demo", "--only", "gateway")[0].code == 0  # the file's fail-on: critical
    assert audit_in(tmp_path, "--demo", "--only", "gateway", "--fail-on", "info")[0].code == 1


def test_pyproject_section_found_in_the_working_directory(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.golive]\nonly = ["cost"]\n')
    _, report = audit_in(tmp_path, "--demo")
    assert {c["area"] for c in report["checks"]} == {"cost"}
    assert report["run"]["config"]["file"] == f"{tmp_path / 'pyproject.toml'} [tool.golive]"
    # golive.toml wins over pyproject.toml
    (tmp_path / "golive.toml").write_text('only = ["gateway"]\n')
    _, report = audit_in(tmp_path, "--demo")
    assert {c["area"] for c in report["checks"]} == {"gateway"}


def test_pyproject_without_a_golive_section_is_no_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    run, report = audit_in(tmp_path, "--demo")
    assert run.code == 1 and report["run"]["config"]["file"] is None


def test_explicit_config_file_in_another_directory(tmp_path):
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    (elsewhere / "local_checks").mkdir()
    (elsewhere / "local_checks" / "mine.py").write_text(
        "from auditor.api import Area, Remediation, Severity, check, passed\n\n\n"
        '@check(id="mine.ok", title="t", severity=Severity.LOW, area=Area.COST, checklist="cost-optimization",\n'
        '       types=["Microsoft.App/containerApps"], rationale="r", remediation=Remediation(text="x"))\n'
        "def ok(app, ctx):\n    return passed('ok')\n"
    )
    (elsewhere / "audit.toml").write_text('only = ["mine.*"]\nchecks-dirs = ["local_checks"]\n')
    (tmp_path / "golive.toml").write_text('colour = "ignored because --config is given"\n')
    run, report = audit_in(tmp_path, "--demo", "--config", str(elsewhere / "audit.toml"))
    assert run.code == 0, run.err
    assert {c["id"] for c in report["checks"]} == {"mine.ok"}  # checks-dirs resolve beside the file
    pyproject = elsewhere / "pyproject.toml"
    pyproject.write_text('[tool.golive]\nonly = ["cost"]\n')
    _, report = audit_in(tmp_path, "--demo", "--config", str(pyproject))
    assert {c["area"] for c in report["checks"]} == {"cost"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('colour = "red"\n', "unknown key 'colour'"),
        ("fail-on = 3\n", "'fail-on' must be a string"),
        ('fail-on = "urgent"\n', "'fail-on': unknown severity 'urgent'"),
        ('only = "cost"\n', "'only' must be an array"),
        ("skip = [1]\n", "'skip' must be an array of strings"),
        ("attestation-max-age-days = 0\n", "'attestation-max-age-days' must be between 1 and 36500"),
        ('attestation-max-age-days = "90"\n', "'attestation-max-age-days' must be an integer"),
        ('checks = "all"\n', "'checks' must be a table"),
        ('[checks]\n"aca.min-replicas" = 3\n', "checks.'aca.min-replicas' must be a table"),
        ('[checks."no.such"]\nenabled = true\n', "(checks.no.such): unknown check id 'no.such'"),
        ('[checks."aca.min-replicas"]\nmin_replica = 3\n', "(checks.aca.min-replicas.min_replica): unknown key"),
        (
            '[checks."aca.min-replicas"]\nmin_replicas = "two"\n',
            "(checks.aca.min-replicas.min_replicas): must be an integer",
        ),
        ('[checks."aca.min-replicas"]\nmin_replicas = true\n', "must be an integer"),
        ('[checks."aca.min-replicas"]\nmin_replicas = 2.5\n', "must be an integer"),
        ('[checks."aca.min-replicas"]\nenabled = "yes"\n', "(checks.aca.min-replicas.enabled): must be true or false"),
        ('[checks."aca.min-replicas"]\nseverity = "huge"\n', "unknown severity 'huge'"),
        ("fail-on = \n", "is not valid TOML"),
    ],
)
def test_config_errors_name_the_key_and_the_file(tmp_path, text, problem):
    (tmp_path / "golive.toml").write_text(text)
    run, report = audit_in(tmp_path, "--demo")
    assert run.code == 2 and report is None, run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.err
    assert str(tmp_path / "golive.toml") in lines[0] and problem in lines[0], lines[0]


def test_pyproject_errors_name_the_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.golive]\nfail_on = 'high'\n")
    run, _ = audit_in(tmp_path, "--demo")
    assert run.code == 2 and "pyproject.toml [tool.golive]" in run.err and "unknown key 'fail_on'" in run.err
    (tmp_path / "pyproject.toml").write_text("[tool]\ngolive = 3\n")
    run, _ = audit_in(tmp_path, "--demo")
    assert run.code == 2 and "[tool.golive] must be a table" in run.err


def test_missing_config_file(tmp_path):
    run, _ = audit_in(tmp_path, "--demo", "--config", str(tmp_path / "nope.toml"))
    assert run.code == 2 and "nope.toml: no such file" in run.err
