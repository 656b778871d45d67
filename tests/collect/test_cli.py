"""`golive collect` and `golive audit --subscription`, run as a user runs them, against the fake ARM."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest

from auditor.collect.permissions import role_actions
from auditor.collect.plan import make_plan
from auditor.snapshot import load
from auditor.testing.fake_arm import FakeArm
from tests.collect.conftest import CHECKS, NEEDED, document, live_target, subscriptions_of
from tests.conftest import FIXTURES, GOLIVE, ROOT, golive

ENV = {"GOLIVE_ACCESS_TOKEN": "t"}
SITE_CONFIG = "Microsoft.Web/sites/config"
SETTINGS_CHECKS = {c.meta.id for c in CHECKS if SITE_CONFIG in c.meta.needs}


def comparable(report: dict) -> dict:
    """The report without what differs between two runs over the same data: when, from where, and
    App Service settings, which a collection reads only with --inspect-app-settings."""
    out = {k: v for k, v in report.items() if k not in ("run", "snapshot", "findings", "summary", "checklist")}
    out["scope"] = {k: v for k, v in report["scope"].items() if k != "collectedAt"}
    gaps = [g for g in report["coverage"]["gaps"] if SITE_CONFIG not in json.dumps(g)]
    out["coverage"] = {**report["coverage"], "gaps": gaps}
    # a collection lists resources sorted by id, a fixture in the order it was written: the
    # exposure edges are the same set, built in resource order
    exposure = report["exposure"]
    edges = sorted(exposure["edges"], key=lambda e: json.dumps(e, sort_keys=True))
    # Resource Graph lower-cases types; golive names them as its plan does. ARM compares types
    # without regard to case, and so do the checks and the exposure map.
    nodes = [{**n, "type": n["type"].lower()} for n in exposure["nodes"]]
    out["exposure"] = {**exposure, "nodes": nodes, "edges": edges}
    out["findings"] = [
        {**f, "resourceType": f["resourceType"].lower()}
        for f in report["findings"]
        if f["checkId"] not in SETTINGS_CHECKS
    ]
    return out


@pytest.mark.parametrize("name", ["demo", "hardened"])
def test_audit_subscription_end_to_end(tmp_path, name):
    doc = document(name)
    with FakeArm(doc, page_size=4) as arm:
        live = golive(
            "audit",
            *live_target(doc, arm),
            "-o",
            str(tmp_path / "live"),
            "--save-snapshot",
            str(tmp_path / "snap.json.gz"),
            env=ENV,
        )
        methods = {e.method for e in arm.log}
        posts = {e.path for e in arm.log if e.method != "GET"}
    offline = golive("audit", "--snapshot", str(FIXTURES / f"{name}.json"), "-o", str(tmp_path / "offline"), "-q")
    assert live.code == offline.code == (1 if name == "demo" else 0), live.err
    collected = json.loads((tmp_path / "live" / "golive-report.json").read_text())
    original = json.loads((tmp_path / "offline" / "golive-report.json").read_text())
    assert comparable(collected) == comparable(original)
    before = {(f["checkId"], f["resourceId"]): f for f in original["findings"] if f["checkId"] in SETTINGS_CHECKS}
    after = {(f["checkId"], f["resourceId"]): f for f in collected["findings"] if f["checkId"] in SETTINGS_CHECKS}
    assert before.keys() == after.keys()
    assert all(after[k] == before[k] or after[k]["status"] == "not_assessed" for k in before)
    if all(after[k] == before[k] for k in before):  # the settings are no gap for these fixtures
        assert collected["summary"] == original["summary"]
    assert methods == {"GET", "POST"} and posts == {"/providers/Microsoft.ResourceGraph/resources"}
    assert load(tmp_path / "snap.json.gz").resources
    assert "requests" in live.err and "\r" not in live.err  # a summary, and no progress bar off a terminal


def test_collect_command_writes_a_valid_snapshot(tmp_path):
    doc = document("demo")
    sub = subscriptions_of(doc)[0]
    target = ("--arm-endpoint",)
    with FakeArm(doc) as arm:
        target = ("--arm-endpoint", arm.url, "--ca-bundle", arm.ca_bundle)
        one = golive("collect", "--subscription", sub, *target, "-o", str(tmp_path / "s.json.gz"), "-q", env=ENV)
        every = golive("collect", "--all-subscriptions", *target, "-o", str(tmp_path / "all.json"), env=ENV)
        unknown = golive("collect", "--subscription", "nope", *target, "-o", str(tmp_path / "x.json"), env=ENV)
    assert one.code == 0 and one.err == "", one.err
    assert every.code == 0, every.err
    assert golive("validate", str(tmp_path / "s.json.gz")).code == 0
    assert load(tmp_path / "s.json.gz").resources == load(tmp_path / "all.json").resources
    assert unknown.code == 2 and "not visible" in unknown.err and "Traceback" not in unknown.err
    assert golive("collect", "-o", str(tmp_path / "x.json")).code == 2
    assert not (tmp_path / "x.json").exists()


def test_unreachable_endpoint_is_one_line_not_a_traceback(tmp_path):
    doc = document("demo")
    with FakeArm(doc) as arm:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(Path(arm.ca_bundle).read_bytes())
        url = arm.url
    result = golive(
        "collect", "--subscription", "x", "--arm-endpoint", url, "--ca-bundle", str(ca), "-o", "x.json", env=ENV
    )
    assert result.code == 2 and "cannot list subscriptions" in result.err and "Traceback" not in result.err


def test_no_secret_is_a_command_line_option():
    help_text = golive("collect", "--help").out + golive("audit", "--help").out
    for word in ("--client-secret", "--password", "--token", "--secret"):
        assert word not in help_text


def test_interrupt_leaves_no_snapshot(tmp_path):
    doc = document("hardened")
    out = tmp_path / "snap.json"
    with FakeArm(doc, page_size=1, latency=0.3) as arm:
        args = ["collect", "--subscription", subscriptions_of(doc)[0], "--concurrency", "2"]
        args += ["--arm-endpoint", arm.url, "--ca-bundle", arm.ca_bundle, "-o", str(out)]
        proc = subprocess.Popen([*GOLIVE, *args], env={**os.environ, **ENV}, stderr=subprocess.PIPE, cwd=ROOT)
        deadline = time.monotonic() + 30
        while len(arm.log) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        _, err = proc.communicate(timeout=30)
        stopped_in = time.monotonic() - start
    assert proc.returncode == 130 and b"interrupted" in err, err
    assert stopped_in < 5  # queued reads are dropped, not finished
    # No snapshot; only the partial file --resume goes on from, holding whole subscriptions.
    assert [p.name for p in tmp_path.iterdir()] in ([], ["snap.json.partial"])


def test_progress_bar_on_a_terminal_only(tmp_path):
    doc = document("demo")
    with FakeArm(doc) as arm:
        args = ["collect", "--subscription", subscriptions_of(doc)[0], "--arm-endpoint", arm.url]
        args += ["--ca-bundle", arm.ca_bundle, "-o", str(tmp_path / "s.json")]
        leader, follower = pty.openpty()
        proc = subprocess.run([*GOLIVE, *args], env={**os.environ, **ENV}, stderr=follower, timeout=120, cwd=ROOT)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(leader)
        quiet = golive(*args, "-q", env=ENV)
    assert proc.returncode == 0
    assert b"\rgolive: [" in shown and b"1/1 subscriptions" in shown
    assert quiet.err == ""


def test_reader_role_grants_exactly_what_the_catalogue_reads():
    role = json.loads((ROOT / "docs" / "golive-reader-role.json").read_text())
    expected = role_actions(make_plan(NEEDED).types)
    assert sorted(a.lower() for a in role["Actions"]) == sorted(a.lower() for a in expected)
    assert all(a.endswith("/read") for a in role["Actions"])
    assert role["DataActions"] == [] and not any("list" in a.lower() for a in role["Actions"])


@pytest.mark.parametrize(
    "config_text", ['[checks."cost.budget"]\nenabled = false\n', 'skip = ["cost"]\n'], ids=["disabled", "skipped"]
)
def test_a_live_audit_does_not_read_what_only_disabled_checks_need(tmp_path, config_text):
    doc = document("demo")
    config = tmp_path / "golive.toml"
    config.write_text(config_text)
    args = [arg for sub in subscriptions_of(doc) for arg in ("--subscription", sub)]
    with FakeArm(doc) as arm:
        run = golive(
            "audit",
            *args,
            "--arm-endpoint",
            arm.url,
            "--ca-bundle",
            arm.ca_bundle,
            "--config",
            str(config),
            "-o",
            str(tmp_path / "out"),
            "-q",
            env=ENV,
        )
        paths = [e.path.lower() for e in arm.log]
    assert run.code == 1, run.err  # the demo still fails, on everything else
    assert paths and not any("microsoft.consumption/budgets" in p for p in paths)
    report = json.loads((tmp_path / "out" / "golive-report.json").read_text())
    assert "cost.budget" not in {c["id"] for c in report["checks"]}
