import json
from datetime import date

import pytest

from auditor.model import InputError
from auditor.waivers import load
from tests.conftest import FIXTURES, golive
from tests.reports.conftest import audit

TODAY = date(2026, 11, 28)


def write(tmp_path, text):
    path = tmp_path / "waivers.toml"
    path.write_text(text)
    return path


def test_waivers_applied_expired_and_unused(tmp_path):
    path = write(
        tmp_path,
        '[[waiver]]\ncheck = "network.*.public-access"\nresource = "*/Microsoft.ContainerRegistry/registries/*"\n'
        'justification = "ACR pulls from build agents"\nowner = "platform"\nexpires = 2027-01-31\n\n'
        '[[waiver]]\ncheck = "aca.min-replicas"\ntag = "workload=voice-agent"\n'
        'justification = "cost, pilot phase"\nowner = "pm"\nexpires = 2026-01-01\n\n'
        '[[waiver]]\ncheck = "apim.*"\nresource = "/subscriptions/none/*"\njustification = "never matches"\n'
        "expires = 2027-01-01\n\n"
        '[[waiver]]\ncheck = "identity.acr.local-auth-disabled"\ntag = "workload=voice-agent"\n'
        'justification = "admin user for the legacy pipeline"\nowner = "ci"\nexpires = 2027-06-30\n',
    )
    report = audit("demo", waivers=path, today=TODAY)
    waived = {(f["checkId"], f["resourceName"]) for f in report["findings"] if f["status"] == "waived"}
    assert waived == {("network.acr.public-access", "crvoiceprod"), ("identity.acr.local-auth-disabled", "crvoiceprod")}
    section = report["waivers"]
    assert section["applied"] == 2
    assert [w["check"] for w in section["expired"]] == ["aca.min-replicas"]
    assert [w["check"] for w in section["unused"]] == ["apim.*"]
    finding = next(f for f in report["findings"] if f["status"] == "waived")
    assert finding["waiver"]["justification"] and finding["waiver"]["expires"]
    assert report["summary"]["byStatus"]["waived"] == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[waiver]]\ncheck = "x"\nresource = "*"\nexpires = 2027-01-01\n', "justification: is required"),
        ('[[waiver]]\ncheck = "x"\nresource = "*"\njustification = "j"\n', "expires: is required"),
        ('[[waiver]]\ncheck = "x"\nresource = "*"\njustification = "j"\nexpires = "soon"\n', "TOML date"),
        ('[[waiver]]\ncheck = "x"\njustification = "j"\nexpires = 2027-01-01\n', "resource id glob or a tag"),
        ('[[waiver]]\ncheck = "x"\ntag = "novalue"\njustification = "j"\nexpires = 2027-01-01\n', "name=value"),
        (
            '\n\n[[waiver]]\ncheck = "x"\nresource = "*"\njustification = "j"\nexpires = 2027-01-01\nowner = 3\n',
            "owner: must be a non-empty string",
        ),
    ],
)
def test_invalid_waivers_name_the_line_and_field(tmp_path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load(str(path))
    assert problem in str(caught.value) and "line " in str(caught.value)
    run = golive("audit", "--demo", "--waivers", str(path), "-o", str(tmp_path / "o"))
    assert run.code == 2 and "waivers.toml" in run.err and problem in run.err


def test_waived_failures_do_not_gate(tmp_path):
    path = write(
        tmp_path,
        '[[waiver]]\ncheck = "*"\nresource = "*"\njustification = "accept everything for this test"\n'
        "expires = 2099-01-01\nallow-wildcard = true\n",
    )
    run = golive("audit", "--demo", "--waivers", str(path), "-o", str(tmp_path / "o"))
    assert run.code == 0, run.out
    assert "waived" in run.out


def test_baseline_new_unchanged_fixed(tmp_path):
    out_demo, out_hard = tmp_path / "demo", tmp_path / "hard"
    golive("audit", "--demo", "-o", str(out_demo), "-q")
    # hardened against the demo baseline: everything that failed is fixed, nothing is new
    run = golive(
        "audit",
        "--snapshot",
        str(FIXTURES / "hardened.json"),
        "--baseline",
        str(out_demo / "golive-report.json"),
        "-o",
        str(out_hard),
        "--format",
        "json,sarif",
    )
    report = json.loads((out_hard / "golive-report.json").read_text())
    counts = report["baseline"]["counts"]
    assert counts["new"] == 0 and counts["unchanged"] == 0 and counts["fixed"] > 30
    assert "fixed" in run.out
    # demo against the hardened baseline: every failure is new, and --fail-on-new gates on it
    again = tmp_path / "again"
    run = golive(
        "audit",
        "--demo",
        "--baseline",
        str(out_hard / "golive-report.json"),
        "-o",
        str(again),
        "--format",
        "json,sarif",
        "--fail-on-new",
    )
    report = json.loads((again / "golive-report.json").read_text())
    assert run.code == 1 and report["baseline"]["counts"]["new"] == report["summary"]["byStatus"]["fail"]
    sarif = json.loads((again / "golive-report.sarif").read_text())
    assert {r["baselineState"] for run_ in sarif["runs"] for r in run_["results"]} == {"new"}
    # demo against itself: all unchanged, so --fail-on-new passes while plain gating fails
    same = tmp_path / "same"
    run = golive(
        "audit", "--demo", "--baseline", str(out_demo / "golive-report.json"), "-o", str(same), "--fail-on-new"
    )
    report = json.loads((same / "golive-report.json").read_text())
    assert run.code == 0 and report["baseline"]["counts"]["new"] == 0 and report["baseline"]["counts"]["unchanged"] > 0
    assert golive("audit", "--demo", "--fail-on-new", "-o", str(same)).code == 2  # needs --baseline


def test_report_command_rerenders_a_saved_audit(tmp_path):
    golive("audit", "--demo", "-o", str(tmp_path / "a"), "-q")
    saved = tmp_path / "a" / "golive-report.json"
    run = golive("report", str(saved), "--format", "html,sarif,md,junit,csv", "-o", str(tmp_path / "b"))
    assert run.code == 0, run.err
    names = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == [
        "golive-report.csv",
        "golive-report.html",
        "golive-report.junit.xml",
        "golive-report.md",
        "golive-report.sarif",
    ]
    bad = tmp_path / "bad.json"
    bad.write_text('{"reportVersion": "1"}')
    run = golive("report", str(bad), "-o", str(tmp_path / "c"))
    assert run.code == 2 and "bad.json" in run.err and len(run.err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()
