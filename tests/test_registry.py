"""Discovery: built-in checks, a real installed entry point, --checks-dir, and bad plugins."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from auditor.api import Area, Param, Remediation, Severity, check, passed
from auditor.registry import Catalogue, checks_in_module, discover
from tests.conftest import ROOT, audit_report, golive

PLUGIN_DIST = ROOT / "tests" / "data" / "plugin_dist"


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/plugin_dist built and pip-installed into a directory of its own: a real
    distribution with real entry points, kept off the shared venv so no other test sees it."""
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"
    shutil.copytree(PLUGIN_DIST, source)  # the build writes build/ and *.egg-info beside the sources
    site = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert any(site.glob("golive_example_plugin-*.dist-info/entry_points.txt"))
    return site


GOOD_CHECK = """
from auditor.api import Area, Remediation, Severity, check, passed


@check(
    id="{check_id}",
    title="A local check",
    severity=Severity.LOW,
    area=Area.COST,
    checklist="cost-optimization",
    types=["Microsoft.App/containerApps"],
    rationale="Local checks work.",
    remediation=Remediation(text="Nothing to do."),
)
def local_check(app, ctx):
    return passed("local check saw " + app.name)
"""

BAD_METADATA = """
from auditor.api import Area, Remediation, check, passed


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


def statuses_by_check(report: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["checkId"], set()).add(f["status"])
    return out


def test_builtin_checks_load_without_problems():
    catalogue = discover(entry_points=False)
    assert catalogue.problems == [] and catalogue.duplicates == []
    ids = [c.meta.id for c in catalogue.checks]
    assert len(ids) == len(set(ids)) and "aca.min-replicas" in ids
    assert all(c.meta.source.startswith("builtin:") for c in catalogue.checks)
    assert {c.meta.area for c in catalogue.checks} <= set(Area)


def test_installed_entry_points_are_discovered_and_bad_ones_reported(tmp_path, plugin_site):
    env = {"PYTHONPATH": str(plugin_site)}
    run, report = audit_report(tmp_path / "out", "--demo", env=env)
    assert run.code == 1, run.err
    sources = {c["id"]: c["source"] for c in report["checks"]}
    assert sources["example.app-tagged"].startswith("entry-point:example (golive_example_plugin.checks)")
    assert sources["example.single-function"].startswith("entry-point:single")
    assert sources["aca.min-replicas"] == "builtin:containerapps"  # the built-ins still run beside plugins
    found = statuses_by_check(report)
    assert found["example.app-tagged"] <= {"pass", "fail"} and found["example.app-tagged"]
    assert found["example.single-function"] == {"pass"}
    problems = {p["source"].split(" ")[0]: p for p in report["problems"]}
    assert "example plugin failed to import" in problems["entry-point:broken-import"]["problem"]
    assert "'Example Bad Id'" in problems["entry-point:bad-metadata"]["problem"]
    assert problems["entry-point:bad-metadata"]["check"] == "golive_example_plugin.malformed.malformed"
    assert "neither a module nor a @check function" in problems["entry-point:not-a-check"]["problem"]
    assert "Plugin problem: entry-point:broken-import" in run.out
    listing = golive("checks", "list", env=env)
    assert listing.code == 0 and "example.app-tagged" in listing.out and "example.single-function" in listing.out
    assert "plugin problem: entry-point:broken-import" in listing.err


def test_entry_points_found_in_process(plugin_site, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_site))
    catalogue = discover(builtin=False)
    assert sorted(c.meta.id for c in catalogue.checks) == ["example.app-tagged", "example.single-function"]
    assert len(catalogue.problems) == 3
    assert discover(builtin=False, entry_points=False).checks == []


def test_checks_dir_good_bad_and_raising(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "good.py").write_text(GOOD_CHECK.format(check_id="local.good"))
    (checks / "bad_metadata.py").write_text(BAD_METADATA)
    (checks / "import_error.py").write_text("import not_a_module_anywhere\n")
    (checks / "raises.py").write_text(RAISES)
    (checks / "_helpers.py").write_text("raise SystemExit('private modules are not loaded')\n")
    (checks / "notes.txt").write_text("not python")
    out = tmp_path / "out"
    run, report = audit_report(out, "--demo", "--checks-dir", str(checks), "--only", "local.*")
    assert statuses_by_check(report) == {"local.good": {"pass"}, "local.raises": {"error"}}
    error = next(f for f in report["findings"] if f["checkId"] == "local.raises")
    assert "RuntimeError: boom" in error["evidence"]["message"] and "raises.py:" in error["evidence"]["message"]
    problems = {Path(p["source"]).name: p["problem"] for p in report["problems"]}
    assert set(problems) == {"bad_metadata.py", "import_error.py"}
    assert "not_a_module_anywhere" in problems["import_error.py"]
    assert "'Bad Id'" in problems["bad_metadata.py"]
    assert "Plugin problem" in run.out
    strict, _ = audit_report(out, "--demo", "--checks-dir", str(checks), "--only", "local.good", "--strict")
    assert strict.code == 0
    strict, _ = audit_report(out, "--demo", "--checks-dir", str(checks), "--only", "local.*", "--strict")
    assert strict.code == 3
    shown = golive("checks", "show", "local.good", "--checks-dir", str(checks))
    assert shown.code == 0 and "Local checks work." in shown.out


def test_checks_dir_that_is_not_a_directory(tmp_path):
    run, report = audit_report(tmp_path / "out", "--demo", "--checks-dir", str(tmp_path / "nope"))
    assert run.code == 2 and report is None and "is not a directory of checks" in run.err


def test_duplicate_ids_stop_the_run_naming_both(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "dup.py").write_text(GOOD_CHECK.format(check_id="aca.min-replicas"))
    out = tmp_path / "out"
    run, report = audit_report(out, "--demo", "--checks-dir", str(checks))
    assert run.code == 2 and report is None and not out.exists()
    assert len(run.err.strip().splitlines()) == 1
    assert "duplicate check id 'aca.min-replicas'" in run.err and "builtin:containerapps" in run.err
    assert str(checks / "dup.py") in run.err


def test_duplicate_ids_between_two_plugins(tmp_path, plugin_site):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "mine.py").write_text(GOOD_CHECK.format(check_id="example.app-tagged"))
    run, _ = audit_report(tmp_path / "out", "--demo", "--checks-dir", str(checks), env={"PYTHONPATH": str(plugin_site)})
    assert run.code == 2
    assert "duplicate check id 'example.app-tagged'" in run.err
    assert "entry-point:example" in run.err and "mine.py" in run.err


def _meta(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        id="t.valid",
        title="t",
        severity=Severity.LOW,
        area=Area.COST,
        checklist="cost-optimization",
        types=["Microsoft.App/containerApps"],
        rationale="r",
        remediation=Remediation(text="x"),
    )
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": "NoDots"}, "must be dotted lower-case words"),
        ({"id": ""}, "id must be a non-empty string"),
        ({"title": " "}, "title must be a non-empty string"),
        ({"severity": "urgent"}, "unknown severity 'urgent'"),
        ({"area": "security"}, "unknown area 'security'"),
        ({"checklist": "nope"}, "unknown checklist item 'nope'"),
        ({"types": []}, "types must be a non-empty list"),
        ({"types": "Microsoft.App/containerApps"}, "types must be a non-empty list"),
        ({"types": ["containerApps"]}, "is not an ARM resource type"),
        ({"reads": ["Microsoft.App"]}, "is not an ARM resource type"),
        ({"remediation": "fix it"}, "remediation must be a Remediation"),
        ({"params": {"n": 3}}, "param 'n' must be a Param"),
        ({"refs": ["http://example.com"]}, "must be an https:// URL"),
        ({"scope": "tenant"}, "scope must be one of"),
        ({"when_absent": "pass"}, "when_absent must be not_applicable or fail"),
        ({"when_absent": "maybe"}, "'maybe' is not a valid Status"),
    ],
)
def test_malformed_metadata_is_reported_by_name_and_the_rest_load(changes, problem):
    @check(**_meta(**changes))
    def malformed(res, ctx):
        return passed("never")

    @check(**_meta(id="t.fine", params={"n": Param(3, "a number")}, refs=["https://learn.microsoft.com/"]))
    def fine(res, ctx):
        return passed("ok")

    module = types.ModuleType("plugin_under_test")
    for fn in (malformed, fine):
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    catalogue = Catalogue()
    checks_in_module(module, "test-source", catalogue)
    assert [c.meta.id for c in catalogue.checks] == ["t.fine"]
    (reported,) = catalogue.problems
    assert reported["source"] == "test-source" and reported["check"] == "plugin_under_test.malformed"
    assert problem in reported["problem"], reported


def test_readme_worked_example_runs(tmp_path):
    """The worked example of the README loads and judges the demo."""
    readme = (ROOT / "README.md").read_text()
    code = readme.split("# my_checks/replicas.py", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    checks = tmp_path / "my_checks"
    checks.mkdir()
    (checks / "replicas.py").write_text(textwrap.dedent(code))
    _, report = audit_report(tmp_path / "out", "--demo", "--checks-dir", str(checks), "--only", "contoso.*", "-q")
    assert report["problems"] == []
    assert {f["resourceName"]: f["status"] for f in report["findings"]} == {
        "ca-voice-backend": "fail",
        "ca-voice-frontend": "fail",
    }
