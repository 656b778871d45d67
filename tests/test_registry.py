"""Discovery: built-in checks, a real entry point, --checks-dir, and what happens to bad plugins."""

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT, golive

GOOD_CHECK = """
from auditor.api import Area, Remediation, Severity, check, passed


@check(
    id="{check_id}",
    title="A plugin check",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=["Microsoft.App/containerApps"],
    rationale="Plugins work.",
    remediation=Remediation(text="Nothing to do."),
)
def plugin_check(app, ctx):
    return passed("plugin saw " + app.name)
"""

BAD_METADATA = """
from auditor.api import Area, Remediation, Severity, check, passed


@check(id="Bad Id", title="x", severity="urgent", area=Area.COST, checklist="cost-optimization",
       types=["Microsoft.App/containerApps"], rationale="x", remediation=Remediation(text="x"))
def broken(app, ctx):
    return passed("never")
"""

RAISES = """
from auditor.api import Area, Remediation, Severity, check


@check(id="local.raises", title="Raises", severity=Severity.LOW, area=Area.COST, checklist="cost-optimization",
       types=["Microsoft.App/containerApps"], rationale="x", remediation=Remediation(text="x"))
def raises(app, ctx):
    raise RuntimeError("boom")
"""


def test_checks_dir_good_bad_and_raising(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "good.py").write_text(GOOD_CHECK.format(check_id="local.good"))
    (checks / "bad_metadata.py").write_text(BAD_METADATA)
    (checks / "import_error.py").write_text("import not_a_module_anywhere\n")
    (checks / "raises.py").write_text(RAISES)
    out = tmp_path / "out"
    run = golive("audit", "--demo", "--checks-dir", str(checks), "-o", str(out), "--only", "local.*")
    report = json.loads((out / "golive-report.json").read_text())
    by_check = {}
    for f in report["findings"]:
        by_check.setdefault(f["checkId"], set()).add(f["status"])
    assert by_check == {"local.good": {"pass"}, "local.raises": {"error"}}
    error = next(f for f in report["findings"] if f["checkId"] == "local.raises")
    assert "RuntimeError: boom" in error["evidence"]["message"]
    problems = " ".join(p["source"] + " " + p["problem"] for p in report["problems"])
    assert "bad_metadata.py" in problems and "import_error.py" in problems and "not_a_module_anywhere" in problems
    assert "Plugin problem" in run.out
    strict = golive("audit", "--demo", "--checks-dir", str(checks), "-o", str(out), "--only", "local.*", "--strict")
    assert strict.code == 3


def test_duplicate_ids_stop_the_run_naming_both(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "dup.py").write_text(GOOD_CHECK.format(check_id="aca.min-replicas"))
    run = golive("audit", "--demo", "--checks-dir", str(checks), "-o", str(tmp_path / "out"))
    assert run.code == 2
    assert "duplicate check id 'aca.min-replicas'" in run.err and "builtin:containerapps" in run.err
    assert "dup.py" in run.err


def test_entry_point_plugin_is_discovered(tmp_path):
    """A real entry point: a distribution's metadata on sys.path, found by importlib.metadata."""
    site = tmp_path / "site"
    package = site / "golive_example_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(GOOD_CHECK.format(check_id="example.plugin-check"))
    dist_info = site / "golive_example_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: golive-example-plugin\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[golive.checks]\nexample = golive_example_plugin\n")
    out = tmp_path / "out"
    run = golive("audit", "--demo", "-o", str(out), "--only", "example.*", env={"PYTHONPATH": str(site)})
    report = json.loads((out / "golive-report.json").read_text())
    check = next(c for c in report["checks"] if c["id"] == "example.plugin-check")
    assert check["source"].startswith("entry-point:example")
    assert {f["status"] for f in report["findings"]} == {"pass"}, run.err
    listing = subprocess.run(
        [sys.executable, "-m", "auditor.cli", "checks", "list"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": ""},
        cwd=ROOT,
    )
    assert "example.plugin-check" in listing.stdout


def test_writing_checks_doc_example_runs(tmp_path):
    """The worked example of the README loads and judges the demo."""
    readme = (ROOT / "README.md").read_text()
    code = readme.split("# my_checks/replicas.py", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    checks = tmp_path / "my_checks"
    checks.mkdir()
    (checks / "replicas.py").write_text(textwrap.dedent(code))
    out = tmp_path / "out"
    golive("audit", "--demo", "--checks-dir", str(checks), "-o", str(out), "--only", "contoso.*", "-q")
    report = json.loads((out / "golive-report.json").read_text())
    assert {f["resourceName"]: f["status"] for f in report["findings"]} == {
        "ca-voice-backend": "fail",
        "ca-voice-frontend": "fail",
    }
