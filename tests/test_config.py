import json

from tests.conftest import golive


def audit_in(tmp_path, *args):
    run = golive("audit", "--demo", "-o", str(tmp_path / "out"), "-q", *args, cwd=tmp_path)
    report = json.loads((tmp_path / "out" / "golive-report.json").read_text()) if run.code in (0, 1) else None
    return run, report


def statuses(report, check_id):
    return {f["resourceName"]: f["status"] for f in report["findings"] if f["checkId"] == check_id}


def test_golive_toml_threshold_severity_and_disable(tmp_path):
    (tmp_path / "golive.toml").write_text('only = ["scalability"]\n[checks."aca.max-replicas"]\nmax_nothing = 1\n')
    run, _ = audit_in(tmp_path)
    assert run.code == 2 and "max_nothing" in run.err and "golive.toml" in run.err
    (tmp_path / "golive.toml").write_text(
        'only = ["scalability"]\n'
        '[checks."aca.min-replicas"]\nmin_replicas = 1\nseverity = "critical"\n'
        '[checks."aca.max-replicas"]\nenabled = false\n'
    )
    run, report = audit_in(tmp_path)
    assert statuses(report, "aca.min-replicas") == {"ca-voice-backend": "pass", "ca-voice-frontend": "pass"}
    check = next(c for c in report["checks"] if c["id"] == "aca.min-replicas")
    assert check["severity"] == "critical" and check["effectiveParams"] == {"min_replicas": 1}
    assert all(c["id"] != "aca.max-replicas" for c in report["checks"])
    assert all(c["area"] == "scalability" for c in report["checks"])


def test_pyproject_section_and_explicit_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.golive]\nfail-on = "critical"\nonly = ["cost"]\n'
    )
    run, report = audit_in(tmp_path)
    assert {c["area"] for c in report["checks"]} == {"cost"}
    assert run.code == 0  # cost failures are medium and low: below critical
    other = tmp_path / "elsewhere.toml"
    other.write_text('only = ["gateway"]\n')
    run, report = audit_in(tmp_path, "--config", str(other))
    assert {c["area"] for c in report["checks"]} == {"gateway"}


def test_config_errors_name_key_and_file(tmp_path):
    cases = {
        'colour = "red"\n': "unknown key 'colour'",
        "fail-on = 3\n": "'fail-on' must be a string",
        'fail-on = "urgent"\n': "unknown severity",
        '[checks."no.such"]\nenabled = true\n': "unknown check id 'no.such'",
        '[checks."aca.min-replicas"]\nmin_replicas = "two"\n': "must be an integer",
        '[checks."aca.min-replicas"]\nenabled = "yes"\n': "must be true or false",
        "fail-on = \n": "is not valid TOML",
    }
    for text, problem in cases.items():
        (tmp_path / "golive.toml").write_text(text)
        run, _ = audit_in(tmp_path)
        assert run.code == 2, text
        assert problem in run.err and "golive.toml" in run.err and len(run.err.strip().splitlines()) == 1, run.err
