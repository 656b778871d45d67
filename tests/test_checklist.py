"""The guide's deployment checklist in the report, and the attestation file for its manual items."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from auditor.checklist import ITEMS, ITEMS_BY_ID, Attestation, evaluate, load_attestations
from auditor.model import InputError
from auditor.registry import discover
from tests.conftest import FIXTURES, ROOT, audit_report, validate_report

GUIDE = ROOT.parent / "shared" / "seed" / "production-deployment-guide.md"
TODAY = date(2026, 11, 28)


def test_every_guide_checklist_item_is_listed():
    if not GUIDE.exists():
        pytest.skip(f"the guide is not beside this checkout ({GUIDE})")
    listed = [line[6:].strip() for line in GUIDE.read_text().splitlines() if line.startswith("- [ ] ")]
    assert listed, "the guide's checklist was not found"
    titles = {i.title for i in ITEMS}
    assert [t for t in listed if t not in titles] == []


def test_every_automated_item_is_served_by_a_check():
    served = {c.meta.checklist for c in discover(entry_points=False).checks}
    automated = {i.id for i in ITEMS if i.automated and i.id != "environment-validated"}
    assert automated <= served, automated - served
    assert served <= set(ITEMS_BY_ID)


def test_checklist_in_the_demo_report(tmp_path, report_schema):
    _, report = audit_report(tmp_path, "--demo", "-q")
    validate_report(report, report_schema)
    items = {i["id"]: i for i in report["checklist"]}
    assert list(items) == [i.id for i in ITEMS]  # the guide's order
    check_items = {c["id"]: c["checklist"] for c in report["checks"]}
    for item in ITEMS:
        entry = items[item.id]
        assert entry["title"] == item.title and entry["phase"] == item.phase
        if item.attested:
            assert entry["attestation"] is None  # nothing attested in this run
        if item.automated and item.id != "environment-validated":
            assert set(entry["checks"]) == {c for c, i in check_items.items() if i == item.id}
    assert items["waf"]["status"] == "fail" and items["waf"]["mode"] == "automated"
    assert items["rollback-tested"]["status"] == "manual" and items["rollback-tested"]["mode"] == "manual"
    assert items["load-testing"]["mode"] == "both"
    assert items["environment-validated"]["status"] == "fail"  # the audit itself is the proof


def test_hardened_report_with_attestations(tmp_path):
    # a generous age limit: the fixture's attestation dates must not expire the test
    (tmp_path / "golive.toml").write_text("attestation-max-age-days = 36500\n")
    hardened, attestations = FIXTURES / "hardened.json", FIXTURES / "hardened-attestations.toml"
    run, report = audit_report(
        tmp_path / "o", "--snapshot", str(hardened), "--attestations", str(attestations), cwd=tmp_path
    )
    items = {i["id"]: i for i in report["checklist"]}
    for item in ITEMS:
        if item.attested:
            assert items[item.id]["attestation"]["by"] and items[item.id]["attestation"]["stale"] is False
    manual_only = [i.id for i in ITEMS if i.attested and not i.automated]
    assert {items[i]["status"] for i in manual_only} == {"attested"}
    assert report["run"]["attestations"] == str(attestations)
    assert "awaiting attestation" in run.out


def test_stale_attestations_with_a_configured_age(tmp_path):
    (tmp_path / "golive.toml").write_text(
        f'attestations = "{FIXTURES / "hardened-attestations.toml"}"\nattestation-max-age-days = 1\n'
    )
    run, report = audit_report(tmp_path / "o", "--snapshot", str(FIXTURES / "hardened.json"), "-q", cwd=tmp_path)
    assert run.code == 0, run.err
    stale = [i for i in report["checklist"] if i["status"] == "stale"]
    assert stale and all(i["attestation"]["stale"] for i in stale)
    assert report["run"]["attestationMaxAgeDays"] == 1


def test_evaluate_rules():
    fresh = Attestation("security-assessment", "me", date(2026, 11, 1), "https://x")
    older = Attestation("security-assessment", "me", date(2024, 1, 1), "https://old")
    stale = Attestation("disaster-recovery", "me", date(2025, 1, 1), "https://x")
    load = Attestation("load-testing", "me", date(2026, 11, 1), "https://x")
    statuses = {"c.waf": ["pass"], "c.scale": ["fail", "pass"], "c.cost": ["not_applicable"]}
    items = {
        i["id"]: i
        for i in evaluate(
            statuses,
            {"c.waf": "waf", "c.scale": "load-testing", "c.cost": "cost-optimization"},
            [older, fresh, stale, load],
            TODAY,
            180,
        )
    }
    assert items["security-assessment"]["status"] == "attested"
    assert items["security-assessment"]["attestation"]["evidence"] == "https://x"  # the latest wins
    assert items["disaster-recovery"]["status"] == "stale"
    assert items["rollback-tested"]["status"] == "manual"
    assert items["waf"]["status"] == "pass"
    assert items["private-endpoints"]["status"] == "not_assessed"  # no check ran for it: never a pass
    # both halves needed: an attested load test does not hide failing scale settings
    assert items["load-testing"]["status"] == "fail" and items["load-testing"]["automatedStatus"] == "fail"
    assert items["cost-optimization"]["status"] == "manual"
    assert items["environment-validated"]["status"] == "fail"
    exactly = evaluate({}, {}, [Attestation("rollback-tested", "me", date(2026, 6, 1), "x")], TODAY, 180)
    assert next(i for i in exactly if i["id"] == "rollback-tested")["status"] == "attested"


def test_the_fixture_attestations_load():
    attestations = load_attestations(str(FIXTURES / "hardened-attestations.toml"))
    assert {a.item for a in attestations} == {i.id for i in ITEMS if i.attested}
    assert all(a.by and a.evidence and isinstance(a.on, date) for a in attestations)


ENTRY = '[[attestation]]\nitem = "rollback-tested"\nby = "a"\ndate = 2026-01-01\nevidence = "x"\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ENTRY.replace("rollback-tested", "nope"), "(attestation[0].item): unknown checklist item 'nope'"),
        (ENTRY.replace("date = 2026-01-01\n", ""), "(attestation[0]): missing required key 'date'"),
        (ENTRY.replace('evidence = "x"\n', ""), "missing required key 'evidence'"),
        (ENTRY.replace("2026-01-01", '"yesterday"'), "(attestation[0].date): date must be a TOML date"),
        (ENTRY.replace("2026-01-01", "2026-13-01"), "is not valid TOML"),
        (ENTRY.replace("rollback-tested", "waf"), "'waf' is proven by checks, not attested"),
        (ENTRY.replace('by = "a"', 'by = ""'), "(attestation[0].by): by must be a non-empty string"),
        (ENTRY.replace('by = "a"', 'who = "a"'), "unknown key 'who'"),
        ('attestation = "all of them"\n', "'attestation' must be an array of tables"),
        ('[attest]\nitem = "x"\n', "unknown key 'attest'"),
        (ENTRY + ENTRY.replace("2026-01-01", "someday"), "is not valid TOML"),
    ],
)
def test_bad_attestation_files(tmp_path, text, problem):
    path = tmp_path / "att.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=None) as caught:
        load_attestations(str(path))
    assert problem in caught.value.one_line()
    run, report = audit_report(tmp_path / "o", "--demo", "--attestations", str(path))
    assert run.code == 2 and report is None
    assert len(run.err.strip().splitlines()) == 1 and str(path) in run.err and problem in run.err


def test_missing_attestation_file(tmp_path):
    run, _ = audit_report(tmp_path / "o", "--demo", "--attestations", str(tmp_path / "none.toml"))
    assert run.code == 2 and f"{Path(tmp_path / 'none.toml')}: no such file" in run.err
