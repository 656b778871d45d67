"""Bad input (issue 2 §9) and the convenience inputs, through the real CLI.

Unreadable input: one line on stderr naming the file and the problem, exit 2, no traceback,
nothing written. Odd resources inside a readable snapshot: not_assessed, never pass, never a crash.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from auditor import engine
from auditor.inventory import Inventory
from auditor.registry import discover
from auditor.snapshot import from_document
from tests.conftest import FIXTURES, audit_report, golive, snapshot_document, validate_report

SITE = "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/a"
GOOD = snapshot_document([], [])


def site(**fields: Any) -> dict[str, Any]:
    return {"id": SITE, "name": "a", "type": "Microsoft.Web/sites", **fields}


def doc(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def without(key: str) -> bytes:
    return json.dumps({k: v for k, v in GOOD.items() if k != key}).encode()


#: name -> (file content or None for no file, problem text, JSON location or None)
CASES: dict[str, tuple[bytes | None, str, str | None]] = {
    "missing": (None, "no such file", None),
    "empty": (b"", "is empty", None),
    "blank": (b"  \n\t\n", "is empty", None),
    "not-json": (b"{not json", "is not valid JSON", "line 1, column 2"),
    "not-utf8": (b'{"name": "caf\xe9"}', "is not UTF-8 text", None),
    "truncated-gzip": (gzip.compress(json.dumps(GOOD).encode())[:30], "is not a valid gzip file", None),
    "gzipped-garbage": (gzip.compress(b"<html>"), "is not valid JSON", None),
    "nan": (b'{"snapshotVersion": "1", "x": NaN}', "is not valid JSON: NaN is not a JSON value", None),
    "a-number": (b"42", "neither a golive snapshot nor a list of ARM resources", None),
    "an-empty-object": (b"{}", "neither a golive snapshot nor a list of ARM resources", None),
    "wrong-version": (doc(snapshotVersion="9"), "snapshotVersion '9'", None),
    "version-as-number": (doc(snapshotVersion=1), "snapshotVersion must be the string '1', not 1", None),
    "no-version": (without("snapshotVersion"), "has no snapshotVersion", None),
    "no-scope": (without("scope"), "does not match the snapshot schema", "document"),
    "resources-not-array": (doc(resources={}), "must be array", "resources"),
    "resource-without-id": (doc(resources=[{"type": "Microsoft.Web/sites"}]), "['id']", "resources[0]"),
    "resource-without-type": (doc(resources=[{"id": SITE}]), "['type']", "resources[0]"),
    "id-not-arm": (doc(resources=[{"id": "site-a", "type": "Microsoft.Web/sites"}]), "pattern", "resources[0].id"),
    "id-a-number": (doc(resources=[{"id": 7, "type": "Microsoft.Web/sites"}]), "must be string", "resources[0].id"),
    "properties-string": (doc(resources=[site(properties="oops")]), "must be object", "resources[0].properties"),
    "properties-array": (doc(resources=[site(properties=[1])]), "must be object", "resources[0].properties"),
    "sku-list": (doc(resources=[site(sku=["a"])]), "must be object", "resources[0].sku"),
    "sku-string": (doc(resources=[site(sku="Standard")]), "must be object", "resources[0].sku"),
    "identity-list": (doc(resources=[site(identity=["SystemAssigned"])]), "must be object", "resources[0].identity"),
    "zones-string": (doc(resources=[site(zones="1")]), "must be array", "resources[0].zones"),
    "coverage-flag-string": (
        doc(coverage=[{"subscriptionId": "s1", "type": "Microsoft.Web/sites", "collected": "yes"}]),
        "must be boolean",
        "coverage[0].collected",
    ),
    "duplicate-id": (
        doc(resources=[site(), site(id=SITE.lower())]),
        "repeats the id of resources[0]",
        "resources[1].id",
    ),
    "graph-properties-array": (
        json.dumps({"count": 1, "data": [site(properties=[1])], "skip_token": None, "total_records": 1}).encode(),
        "must be object",
        "resources[0].properties",
    ),
    "array-without-type": (json.dumps([{"id": SITE}]).encode(), "['type']", "resources[0]"),
    "array-of-numbers": (b"[1, 2]", "must be object", "resources[0]"),
}


def assert_one_line_error(run: Any, path: Path, problem: str, where: str | None) -> None:
    assert run.code == 2, (run.out, run.err)
    assert "Traceback" not in run.err and run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("golive: error: ") and str(path) in lines[0] and problem in lines[0], lines[0]
    if where is not None:
        assert f"({where})" in lines[0], lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_input_is_one_line_exit_2_and_nothing_written(tmp_path, case):
    content, problem, where = CASES[case]
    path = tmp_path / f"{case}.json"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    run, report = audit_report(out, "--snapshot", str(path), "--format", "json,html")
    assert_one_line_error(run, path, problem, where)
    assert report is None and not out.exists()
    assert_one_line_error(golive("validate", str(path)), path, problem, where)


def test_a_directory_instead_of_a_file(tmp_path):
    out = tmp_path / "out"
    run, _ = audit_report(out, "--snapshot", str(tmp_path))
    assert_one_line_error(run, tmp_path, "is a directory, not a file", None)
    assert not out.exists()
    assert_one_line_error(golive("validate", str(tmp_path)), tmp_path, "is a directory", None)


def test_upper_case_subscriptions_segment_is_an_arm_id(tmp_path):
    """Some ARM APIs answer '/Subscriptions/...': ids are case-insensitive, so that is valid input."""
    path = tmp_path / "upper.json"
    path.write_text(json.dumps(snapshot_document([site(id=SITE.replace("/subscriptions/", "/Subscriptions/"))])))
    run = golive("validate", str(path))
    assert run.code == 0, run.err


def test_gzipped_snapshot_is_read_like_the_plain_one(tmp_path, demo):
    path = tmp_path / "demo.snapshot"  # gzip is recognised by its magic bytes, not by the name
    path.write_bytes(gzip.compress(demo.read_bytes()))
    gz_run, gz_report = audit_report(tmp_path / "gz", "--snapshot", str(path), "-q")
    plain_run, plain_report = audit_report(tmp_path / "plain", "--snapshot", str(demo), "-q")
    assert gz_run.code == plain_run.code == 1
    assert gz_report["findings"] == plain_report["findings"] and gz_report["findings"]
    valid = golive("validate", str(path))
    assert valid.code == 0 and "valid snapshot" in valid.out


def test_odd_values_in_a_readable_snapshot_are_not_assessed(tmp_path):
    app = {
        "id": "/subscriptions/s1/resourceGroups/g/providers/Microsoft.App/containerApps/odd",
        "name": "odd",
        "type": "Microsoft.App/containerApps",
        "properties": {"template": {"scale": {"minReplicas": "two"}, "containers": "nope"}, "configuration": 5},
    }
    coverage = [{"subscriptionId": "s1", "type": "Microsoft.App/containerApps", "collected": True}]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(snapshot_document([app], coverage)))
    run, report = audit_report(tmp_path / "out", "--snapshot", str(path), "--only", "aca.*")
    assert run.code in (0, 1) and "Traceback" not in run.err
    statuses = {f["checkId"]: f["status"] for f in report["findings"] if f["resourceName"] == "odd"}
    assert statuses["aca.min-replicas"] == "not_assessed"
    minimum = next(f for f in report["findings"] if f["checkId"] == "aca.min-replicas")
    assert "minReplicas is string, expected integer" in minimum["evidence"]["message"]
    assert "pass" not in statuses.values() and "error" not in statuses.values(), statuses


def _oddify(value: Any) -> Any:
    """Every leaf of the wrong JSON type: arrays become strings, numbers words, strings numbers."""
    if isinstance(value, dict):
        return {k: _oddify(v) for k, v in value.items()}
    if isinstance(value, list):
        return "??"
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "two"
    if isinstance(value, str):
        return 7
    return value


@pytest.mark.parametrize("name", ["demo", "hardened"])
def test_every_check_survives_odd_shapes_and_never_passes_on_them(name):
    document = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))
    for raw in document["resources"]:
        for key in ("properties", "sku", "identity"):
            if isinstance(raw.get(key), dict):
                raw[key] = _oddify(raw[key])
    catalogue = discover(entry_points=False)
    findings = engine.run(catalogue.checks, Inventory(from_document(document, name)))
    assert findings
    assert [f for f in findings if f.status.value == "error"] == []
    assert any(f.status.value == "not_assessed" for f in findings)
    for f in findings:
        if f.status.value == "pass":  # only on what was left intact: zones, names, presence
            paths = [o["path"] for o in f.evidence["observations"]]
            assert not any(p.split(".")[0].split("[")[0] in ("properties", "sku", "identity") for p in paths), f


def graph_output() -> dict[str, Any]:
    """What `az graph query -q "resources" -o json` prints: types in lower case, extra columns."""
    return {
        "count": 2,
        "data": [
            {
                "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                "name": "kv",
                "type": "microsoft.keyvault/vaults",
                "tenantId": "t1",
                "location": "eastus2",
                "resourceGroup": "rg",
                "subscriptionId": "s1",
                "properties": {"enableSoftDelete": True, "publicNetworkAccess": "Disabled"},
                "tags": {},
            },
            {
                "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.App/containerApps/app",
                "name": "app",
                "type": "microsoft.app/containerapps",
                "tenantId": "t1",
                "properties": {"template": {"scale": {"minReplicas": 2}}},
            },
        ],
        "skip_token": None,
        "total_records": 2,
    }


def test_resource_graph_output_is_top_level_coverage(tmp_path, report_schema):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph_output()))
    run, report = audit_report(tmp_path / "out", "--snapshot", str(path))
    validate_report(report, report_schema)
    assert report["coverage"]["mode"] == "top-level" and report["snapshot"]["format"] == "resource-graph"
    assert "Coverage: Resource Graph output" in run.out
    assert report["scope"]["tenantId"] == "t1"
    assert [s["subscriptionId"] for s in report["scope"]["subscriptions"]] == ["s1"]
    verdicts = {(f["checkId"], f["resourceName"]): f["status"] for f in report["findings"]}
    # lower-cased types still reach the checks, which read ARM's spelling
    assert verdicts[("network.keyvault.public-access", "kv")] == "pass"
    assert verdicts[("aca.min-replicas", "app")] == "pass"
    # diagnostic settings are extension resources: not in the graph, so never assumed absent
    assert verdicts[("keyvault.audit-logs", "kv")] == "not_assessed"
    gaps = {g["type"] for g in report["coverage"]["gaps"]}
    assert "Microsoft.Insights/diagnosticSettings" in gaps
    assert "Microsoft.ApiManagement/service/apis" in gaps and "Microsoft.KeyVault/vaults" not in gaps
    valid = golive("validate", str(path))
    assert valid.code == 0 and "resource-graph" in valid.out and "coverage top-level" in valid.out


def test_plain_array_has_unknown_coverage_and_absence_never_passes(tmp_path, report_schema):
    path = tmp_path / "array.json"
    path.write_text(json.dumps(graph_output()["data"][:1]))
    run, report = audit_report(tmp_path / "out", "--snapshot", str(path))
    validate_report(report, report_schema)
    assert report["coverage"]["mode"] == "unknown" and report["snapshot"]["format"] == "resource-array"
    assert "Coverage: a plain list of resources" in run.out
    scope_of = {c["id"]: c["scope"] for c in report["checks"]}
    by_check = {f["checkId"]: f["status"] for f in report["findings"]}
    assert by_check["cost.budget"] == "not_assessed"
    assert by_check["network.keyvault.private-endpoint"] == "not_assessed"
    absent = [
        f
        for f in report["findings"]
        if scope_of[f["checkId"]] == "resource" and f["resourceType"] == "Microsoft.Resources/subscriptions"
    ]
    assert absent, "some checks' types are absent from the array"
    assert {f["status"] for f in absent} == {"not_assessed"}, "absence in an array proves nothing"
    assert report["summary"]["ready"] is False


def test_tags_that_are_not_an_object_are_read_as_no_tags(tmp_path):
    # ComponentsGet.json (applicationinsights 2020-02-02) answers "tags": "". One such resource
    # must not make the whole snapshot unreadable, nor break a waiver that selects by tag.
    component = {
        "id": "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Insights/components/appi",
        "name": "appi",
        "type": "Microsoft.Insights/components",
        "location": "South Central US",
        "tags": "",
        "kind": "web",
        "properties": {"Application_Type": "web", "IngestionMode": "ApplicationInsights"},
    }
    coverage = [{"subscriptionId": "s1", "type": "Microsoft.Insights/components", "collected": True}]
    path = tmp_path / "appi.json"
    path.write_text(json.dumps(snapshot_document([component], coverage)))
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ncheck = "monitor.appinsights-workspace"\ntag = "env=dev"\n'
        'justification = "classic component until the migration"\nowner = "ops@contoso.com"\nexpires = 2099-01-01\n'
    )
    run, report = audit_report(
        tmp_path / "out", "--snapshot", str(path), "--only", "monitor.appinsights-workspace", "--waivers", str(waivers)
    )
    assert run.code != 2 and "Traceback" not in run.err, run.err
    (finding,) = [f for f in report["findings"] if f["resourceName"] == "appi"]
    assert finding["status"] == "fail"  # not waived: the resource has no tags


def test_compiling_the_schema_leaves_the_schema_as_written():
    from auditor.snapshot import _compiled_validator, load_schema

    before = json.dumps(load_schema("report.schema.json"), sort_keys=True)
    _compiled_validator("report.schema.json")
    assert json.dumps(load_schema("report.schema.json"), sort_keys=True) == before
    assert '"$ref": "#/definitions/' in before  # the refs a compile would rewrite are still relative
