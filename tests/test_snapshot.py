"""Bad input: one line naming the file and the problem, exit 2, nothing written."""

import gzip
import json

import pytest

from tests.conftest import golive

GOOD = {
    "snapshotVersion": "1",
    "scope": {
        "subscriptions": [{"subscriptionId": "s1"}],
        "collectedAt": "2026-11-01T00:00:00Z",
        "tool": {"name": "golive", "version": "0"},
    },
    "resources": [],
    "coverage": [],
}


def with_resources(resources):
    return {**GOOD, "resources": resources}


CASES = {
    "missing": (None, "no such file"),
    "not-json": (b"{not json", "is not valid JSON"),
    "empty": (b"", "is empty"),
    "truncated-gzip": (gzip.compress(json.dumps(GOOD).encode())[:30], "is not a valid gzip file"),
    "wrong-version": (json.dumps({**GOOD, "snapshotVersion": "9"}).encode(), "snapshotVersion '9'"),
    "no-version": (
        json.dumps({k: v for k, v in GOOD.items() if k != "snapshotVersion"}).encode(),
        "has no snapshotVersion",
    ),
    "no-id": (json.dumps(with_resources([{"type": "Microsoft.Web/sites"}])).encode(), "resources[0]"),
    "no-type": (json.dumps(with_resources([{"id": "/subscriptions/s1/x"}])).encode(), "resources[0]"),
    "properties-string": (
        json.dumps(
            with_resources(
                [
                    {
                        "id": "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/a",
                        "type": "Microsoft.Web/sites",
                        "properties": "oops",
                    }
                ]
            )
        ).encode(),
        "resources[0].properties",
    ),
    "tags-list": (
        json.dumps(
            with_resources(
                [
                    {
                        "id": "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/a",
                        "type": "Microsoft.Web/sites",
                        "tags": ["a"],
                    }
                ]
            )
        ).encode(),
        "resources[0].tags",
    ),
    "not-utf8": (b"\xff\xfe\x00garbage", "is not"),
    "a-number": (b"42", "neither a golive snapshot"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gives_one_line_and_exit_2(tmp_path, case):
    content, problem = CASES[case]
    path = tmp_path / f"{case}.json"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    for args in (("audit", "--snapshot", str(path), "-o", str(out)), ("validate", str(path))):
        run = golive(*args)
        assert run.code == 2, (case, run.out, run.err)
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.err, run.err
        assert str(path) in lines[0] and problem in lines[0], lines[0]
    assert not out.exists()


def test_directory_instead_of_file(tmp_path):
    run = golive("audit", "--snapshot", str(tmp_path), "-o", str(tmp_path / "out"))
    assert run.code == 2 and "is a directory" in run.err and len(run.err.strip().splitlines()) == 1


def test_gzipped_snapshot_is_read(tmp_path, demo):
    path = tmp_path / "demo.json.gz"
    path.write_bytes(gzip.compress(demo.read_bytes()))
    run = golive("audit", "--snapshot", str(path), "-o", str(tmp_path / "out"), "-q")
    assert run.code == 1 and (tmp_path / "out" / "golive-report.json").exists()


def test_odd_resource_inside_a_readable_snapshot_is_not_assessed(tmp_path):
    app = {
        "id": "/subscriptions/s1/resourceGroups/g/providers/Microsoft.App/containerApps/odd",
        "name": "odd",
        "type": "Microsoft.App/containerApps",
        "properties": {"template": {"scale": {"minReplicas": "two"}, "containers": "nope"}, "configuration": 5},
    }
    document = {
        **GOOD,
        "resources": [app],
        "coverage": [{"subscriptionId": "s1", "type": "Microsoft.App/containerApps", "collected": True}],
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(document))
    run = golive("audit", "--snapshot", str(path), "-o", str(tmp_path / "out"), "--only", "aca.*")
    report = json.loads((tmp_path / "out" / "golive-report.json").read_text())
    statuses = {f["checkId"]: f["status"] for f in report["findings"] if f["resourceName"] == "odd"}
    assert statuses["aca.min-replicas"] == "not_assessed"
    assert "pass" not in statuses.values() and "error" not in statuses.values(), statuses
    assert run.code in (0, 1)


def graph_output():
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


def test_resource_graph_output(tmp_path):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(graph_output()))
    run = golive("audit", "--snapshot", str(path), "-o", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "golive-report.json").read_text())
    assert report["coverage"]["mode"] == "top-level" and report["snapshot"]["format"] == "resource-graph"
    assert "Resource Graph" in run.out
    verdicts = {(f["checkId"], f["resourceName"]): f["status"] for f in report["findings"]}
    assert verdicts[("network.keyvault.public-access", "kv")] == "pass"
    assert verdicts[("keyvault.audit-logs", "kv")] == "not_assessed"  # diagnostic settings are not in the graph
    assert verdicts[("aca.min-replicas", "app")] == "pass"
    gaps = {g["type"] for g in report["coverage"]["gaps"]}
    assert "Microsoft.Insights/diagnosticSettings" in gaps


def test_plain_array_never_passes_on_absence(tmp_path):
    path = tmp_path / "array.json"
    path.write_text(json.dumps(graph_output()["data"][:1]))
    golive("audit", "--snapshot", str(path), "-o", str(tmp_path / "out"), "-q")
    report = json.loads((tmp_path / "out" / "golive-report.json").read_text())
    assert report["coverage"]["mode"] == "unknown"
    by_check = {f["checkId"]: f["status"] for f in report["findings"]}
    assert by_check["cost.budget"] == "not_assessed"
    assert by_check["alerts.service-health"] == "not_assessed"
    assert by_check["network.keyvault.private-endpoint"] == "not_assessed"


def test_validate_accepts_the_fixtures(demo, hardened):
    for path in (demo, hardened):
        run = golive("validate", str(path))
        assert run.code == 0 and "valid snapshot" in run.out
