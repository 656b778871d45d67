"""Inputs built to crash or exhaust golive (issue 11 §4 gzip, §5 lone surrogates): one clear line
and exit 2, never a traceback or a MemoryError."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from auditor.model import InputError
from auditor.snapshot import read_json_file
from tests.conftest import FIXTURES, golive


def _one_line_error(run, *needles: str) -> None:
    assert run.code == 2, (run.code, run.out, run.err)
    assert run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
    for needle in needles:
        assert needle in run.err, run.err


def _bomb(path, megabytes: int) -> None:
    """A valid gzip of a JSON array padded with spaces: a few KB on disk, `megabytes` inflated."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as handle:
        handle.write(squeezer.compress(b"["))
        block = b" " * 2**20
        for _ in range(megabytes):
            handle.write(squeezer.compress(block))
        handle.write(squeezer.compress(b"]") + squeezer.flush())


@pytest.mark.parametrize("command", ["validate", "audit"])
def test_a_gzip_bomb_is_refused_at_the_cap(tmp_path, command):
    path = tmp_path / "bomb.json.gz"
    _bomb(path, 40)
    assert path.stat().st_size < 200_000
    args = [str(path), "--max-snapshot-mb", "16"] if command == "validate" else [
        "--snapshot", str(path), "--max-snapshot-mb", "16", "-o", str(tmp_path / "out")
    ]
    run = golive(command, *args)
    _one_line_error(run, "bomb.json.gz", "holds more than 16 MB of JSON", "--max-snapshot-mb")


def test_the_cap_can_be_raised(tmp_path):
    path = tmp_path / "bomb.json.gz"
    _bomb(path, 20)
    run = golive("validate", str(path), "--max-snapshot-mb", "32")
    assert run.code == 0 and "valid resource-array with 0 resources" in run.out, run.err


def test_the_default_cap_applies_without_the_flag(tmp_path):
    path = tmp_path / "bomb.json.gz"
    _bomb(path, 4)
    with pytest.raises(InputError, match="holds more than 2 MB"):
        read_json_file(path, max_mb=2)
    assert read_json_file(path) == []  # 4 MB is well under the default


def test_a_plain_file_over_the_cap_is_refused_too(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * (3 * 2**20) + b"]")
    with pytest.raises(InputError, match="holds more than 2 MB of JSON"):
        read_json_file(path, max_mb=2)


def test_multi_member_and_truncated_gzip(tmp_path):
    path = tmp_path / "two.json.gz"
    path.write_bytes(gzip.compress(b"[1,") + gzip.compress(b"2]"))
    assert read_json_file(path) == [1, 2]
    path.write_bytes(gzip.compress(b"[1, 2, 3]")[:-12])
    with pytest.raises(InputError, match="is not a valid gzip file"):
        read_json_file(path)


@pytest.mark.parametrize("field", ["id", "name"])
@pytest.mark.parametrize("command", ["validate", "audit"])
def test_a_lone_surrogate_in_an_id_or_name_is_bad_input(tmp_path, field, command):
    document = json.loads((FIXTURES / "demo.json").read_text())
    document["resources"][2][field] += "\ud800"
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(document))  # ensure_ascii writes the escape \\ud800
    assert "\\ud800" in path.read_text()
    args = [str(path)] if command == "validate" else ["--snapshot", str(path), "-o", str(tmp_path / "out")]
    run = golive(command, *args)
    _one_line_error(run, "surrogate.json", f"(resources[2].{field})", "lone surrogate (\\ud800)")
    assert not (tmp_path / "out").exists()


def test_a_paired_surrogate_escape_is_text(tmp_path):
    document = json.loads((FIXTURES / "demo.json").read_text())
    document["resources"][2]["tags"] = {"mood": "\U0001f600"}  # written as \\ud83d\\ude00
    path = tmp_path / "emoji.json"
    path.write_text(json.dumps(document))
    assert golive("validate", str(path)).code == 0


def test_a_report_read_back_with_a_lone_surrogate_is_bad_input(tmp_path):
    out = tmp_path / "out"
    golive("audit", "--demo", "-o", str(out), "-q")
    report = json.loads((out / "golive-report.json").read_text())
    report["findings"][0]["resourceName"] = "x\udfff"
    (out / "golive-report.json").write_text(json.dumps(report))
    run = golive("report", str(out / "golive-report.json"), "--format", "html", "-o", str(tmp_path / "html"))
    _one_line_error(run, "lone surrogate (\\udfff)", "findings[0].resourceName")


def test_a_lone_surrogate_in_a_live_collection_is_bad_input(tmp_path):
    """The fake ARM serves the demo with a name holding an escaped lone surrogate, as ARM's JSON could."""
    from auditor.testing.fake_arm import FakeArm
    from tests.collect.conftest import document, live_target

    doc = document("demo")
    app = next(r for r in doc["resources"] if r["type"] == "Microsoft.App/containerApps")
    app["name"] += "\ud800"
    with FakeArm(doc, page_size=4) as arm:
        token = {"GOLIVE_ACCESS_TOKEN": "t"}
        run = golive("audit", *live_target(doc, arm), "-o", str(tmp_path / "out"), "-q", env=token)
    _one_line_error(run, "live: ", "lone surrogate (\\ud800)", "(resources[")
    assert not (tmp_path / "out").exists()
