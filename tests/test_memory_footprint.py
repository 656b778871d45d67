"""What keeps a large audit's peak memory within 5x its snapshot (issue 11 §4), as behaviour:
benchmarks/bench_memory.py prints the figures; these tests hold the mechanisms to what the
output must stay, whatever they save.

- the engine keeps each finding's evidence as its scrubbed parts (model.Evidence), read as the
  same mapping the dict scrubber gives;
- an observed object or array with nothing to scrub stays the snapshot's own, never a copy;
- equal strings of a loaded snapshot are one object;
- the CLI lets the parsed snapshot go before the report is built, and the report is the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from auditor import engine, snapshot
from auditor.api import check, failed, passed
from auditor.audit import AuditRequest, run_audit
from auditor.inventory import Inventory
from auditor.model import Observation, Status, Verdict
from auditor.secrets import TOO_DEEP, scrub_evidence, scrub_verdict
from tests.checks.helpers import SUB
from tests.checks.helpers import snapshot as snapshot_of
from tests.test_engine import catalogue_of, meta, vaults

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Qx7vT2mK9pL4sR8wZ1nB5cDf"  # 24 random characters: withheld as a variable's value


def _nested(depth: int, leaf: object) -> object:
    value = leaf
    for level in range(depth):
        value = {"v": value} if level % 2 else [value]
    return value


VERDICTS = [
    Verdict(Status.PASS, "ok"),
    Verdict(Status.FAIL, f"password={SECRET} in a message", expected="no secret"),
    Verdict(
        Status.FAIL,
        "env",
        (
            Observation("properties.template.containers[0].env", [{"name": "DB_PASSWORD", "value": SECRET}]),
            Observation("properties.x", "Enabled", default_applied=True),
            Observation("properties.password", {"password": SECRET, "n": 1, "ok": True, "none": None}),
        ),
        expected={"connectionString": f"Server=x;Password={SECRET}"},
    ),
    # Depth limits: the evidence dict's own levels count (observed three down, expected one).
    *(
        Verdict(Status.FAIL, "deep", (Observation("properties.deep", _nested(depth, "leaf")),), _nested(depth, 1))
        for depth in (59, 60, 61, 62, 63, 64, 65, 200)
    ),
]


@pytest.mark.parametrize("verdict", VERDICTS)
def test_scrubbed_parts_read_as_the_evidence_dict_the_one_scrubber_gives(verdict):
    evidence = scrub_verdict(verdict, SUB)
    assert dict(evidence) == scrub_evidence(verdict.to_evidence(), SUB)
    assert json.dumps(dict(evidence)) == json.dumps(scrub_evidence(verdict.to_evidence(), SUB))
    assert SECRET not in json.dumps(dict(evidence))


def test_the_depth_limit_still_applies_part_by_part():
    deep = Verdict(Status.FAIL, "deep", (Observation("properties.deep", _nested(100, "leaf")),))
    assert TOO_DEEP in json.dumps(dict(scrub_verdict(deep, SUB)))


def test_an_observed_object_with_nothing_to_scrub_is_the_snapshots_own():
    seen: dict[str, object] = {}

    @check(**meta("t.observe"))
    def observe(res, ctx):
        rules = res.get("properties.networkAcls")
        seen[res.name] = rules
        return passed("read", observations=[Observation("properties.networkAcls", rules)])

    plain = {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}
    secret = {"defaultAction": "Deny", "sharedKey": SECRET}
    inventory = Inventory(snapshot_of(vaults({"networkAcls": plain}, {"networkAcls": secret})))
    findings = {f.resource_name: f for f in engine.run(catalogue_of(observe), inventory)}
    kept, scrubbed = (findings[name].evidence_parts.observations[0].observed for name in ("kv0", "kv1"))
    assert kept is seen["kv0"] and kept == plain  # shared, not copied once per finding
    assert scrubbed is not seen["kv1"] and SECRET not in json.dumps(scrubbed)
    assert json.dumps(findings["kv0"].to_dict()["evidence"]["observations"][0]["observed"]) == json.dumps(plain)
    assert secret["sharedKey"] == SECRET  # the snapshot itself is not rewritten


def test_findings_come_sorted_by_check_then_resource_id_whatever_the_order_checks_run(tmp_path):
    @check(**meta("t.b"))
    def second(res, ctx):
        return failed("b")

    @check(**meta("t.a"))
    def first(res, ctx):
        return passed("a")

    inventory = Inventory(snapshot_of(vaults({}, {}, {})))
    findings = engine.run([*catalogue_of(second), *catalogue_of(first)], inventory)
    keys = [(f.check_id, f.resource_id.lower()) for f in findings]
    assert keys == sorted(keys) and {k[0] for k in keys} == {"t.a", "t.b"} and len(keys) == 6


def test_equal_strings_of_a_loaded_snapshot_are_one_object(tmp_path):
    source = ROOT / "fixtures" / "demo.json"
    loaded = snapshot.load(source)
    assert {"resources": loaded.resources} == {"resources": json.loads(source.read_text())["resources"]}
    locations = [r["location"] for r in loaded.resources if r.get("location") == "eastus2"]
    assert len(locations) > 2 and all(text is locations[0] for text in locations)
    # Strings deep inside lists of objects too, and the parse alone would not share them.
    states = [
        r["properties"].get("provisioningState") for r in loaded.resources if isinstance(r.get("properties"), dict)
    ]
    assert len(states) > 2 and len({id(s) for s in states if s == "Succeeded"}) == 1
    parsed = json.loads(source.read_text())["resources"]
    assert len({id(r["location"]) for r in parsed if r.get("location") == "eastus2"}) > 1


def test_a_released_snapshot_gives_the_same_report_and_is_let_go(tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "*"\ntag = "workload=voice-agent"\njustification = "accepted for the pilot"\n'
        'owner = "team"\nexpires = 2099-01-01\nallow-wildcard = true\n'
    )
    reports = []
    for release in (False, True):
        snap = snapshot.load(ROOT / "fixtures" / "demo.json")
        report = run_audit(AuditRequest(snapshot=snap, waivers=waivers, release_snapshot=release))
        assert (snap.resources == []) is release
        report.pop("run")
        reports.append(report)
    kept, released = reports
    assert released == kept
    assert kept["summary"]["byStatus"]["waived"] > 0  # the tags the waiver names were still read
    assert kept["snapshot"]["resourceCount"] > 0


def test_the_audit_command_lets_the_snapshot_go(tmp_path, monkeypatch):
    """The CLI asks for the release: the parsed snapshot and the report are never in memory together."""
    from auditor import audit as audit_module
    from auditor.cli import cli

    asked: list[bool] = []
    real = audit_module.run_audit

    def spy(request):
        asked.append(request.release_snapshot)
        return real(request)

    monkeypatch.setattr(audit_module, "run_audit", spy)
    with pytest.raises(SystemExit):
        cli(["audit", "--demo", "-o", str(tmp_path / "out"), "-q"], prog_name="golive", standalone_mode=True)
    assert asked == [True]
    assert json.loads((tmp_path / "out" / "golive-report.json").read_text())["findings"]


def test_finding_parts_carry_no_per_instance_dict():
    """Hundreds of thousands of findings are held until the report is built: slots, no __dict__."""
    from auditor.model import Evidence, Finding

    for kind in (Finding, Observation, Evidence):
        assert not hasattr(kind, "__dict__") or "__dict__" not in kind.__dict__.get("__slots__", ())
        assert "__slots__" in vars(kind)
    assert sys.getsizeof(Evidence("m")) < sys.getsizeof({"message": "m", "observations": []})


def test_sharing_strings_indexes_no_more_than_its_cap(monkeypatch):
    """A snapshot of mostly unique strings would make the index of distinct strings outgrow the
    text it was parsed from: past the cap, strings are still shared with those indexed, no more
    are added, and the document is unchanged."""
    monkeypatch.setattr(snapshot, "SHARED_STRINGS_KEPT", 4)
    document = [{"unique": f"u{i}", "repeated": ["eastus2"], "n": i} for i in range(200)]
    expected = json.loads(json.dumps(document))
    snapshot.share_repeated_strings(document)
    assert document == expected
    assert len({id(d["unique"]) for d in document}) == 200
    assert len({id(d["repeated"][0]) for d in document}) == 1  # indexed before the cap, shared after it
