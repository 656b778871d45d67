"""The exposure map in the outputs: the JSON report (and its schema), the Markdown risky-path list and
`golive exposure SNAPSHOT`, on the bundled fixtures, as a user runs them."""

from __future__ import annotations

import pytest

from auditor import snapshot
from auditor.audit import AuditRequest, run_audit
from auditor.reports import render
from tests.conftest import FIXTURES, golive, validate_report


@pytest.fixture(scope="module")
def demo_report():
    return run_audit(AuditRequest(snapshot=snapshot.load(FIXTURES / "demo.json")))


@pytest.fixture(scope="module")
def hardened_report():
    return run_audit(AuditRequest(snapshot=snapshot.load(FIXTURES / "hardened.json")))


def by_name(report):
    return {n["name"]: n for n in report["exposure"]["nodes"]}


def test_demo_map_shows_its_open_paths(demo_report, report_schema):
    validate_report(demo_report, report_schema)
    nodes = by_name(demo_report)
    # The guide's flat demo: public container apps, and every data and AI service on its public endpoint.
    for name in (
        "ca-voice-backend",
        "ca-voice-frontend",
        "redis-voice-prod",
        "cosmos-voice-prod",
        "aoai-voice-prod",
        "speech-voice-prod",
        "kv-voice-prod",
    ):
        assert nodes[name]["class"] == "around", name
    targets = {(p["target"].rsplit("/", 1)[-1], p["class"]) for p in demo_report["exposure"]["paths"]}
    assert ("redis-voice-prod", "around") in targets
    edges = {(e["source"].rsplit("/", 1)[-1], e["target"].rsplit("/", 1)[-1]) for e in demo_report["exposure"]["edges"]}
    assert ("ca-voice-backend", "redis-voice-prod") in edges and ("internet", "ca-voice-frontend") in edges


def test_hardened_map_has_every_internet_path_through_the_waf_in_prevention(hardened_report, report_schema):
    validate_report(hardened_report, report_schema)
    exposure = hardened_report["exposure"]
    assert exposure["gaps"] == []
    assert exposure["paths"] and {p["class"] for p in exposure["paths"]} == {"waf"}
    nodes = by_name(hardened_report)
    assert nodes["agw-voice-prod"]["waf"] == "waf"
    for name in ("ca-voice-backend", "redis-voice-prod", "cosmos-voice-prod", "aoai-voice-prod", "apim-voice-prod"):
        assert nodes[name]["class"] == "waf", name
    aoai = next(p for p in exposure["paths"] if p["target"].endswith("/aoai-voice-prod"))
    assert [h.rsplit("/", 1)[-1] for h in aoai["hops"]] == [
        "internet",
        "agw-voice-prod",
        "ca-voice-backend",
        "apim-voice-prod",
        "aoai-voice-prod",
    ]


def test_markdown_lists_the_risky_paths(demo_report, hardened_report):
    demo_md = render("md", demo_report).decode()
    assert "### Exposure: risky paths from the internet" in demo_md
    assert "- **around the waf**: Internet → redis-voice-prod" in demo_md
    hardened_md = render("md", hardened_report).decode()
    assert "Every path from the internet crosses a WAF in Prevention mode." in hardened_md


def test_exposure_command_prints_the_tree(hardened):
    run = golive("exposure", str(hardened))
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "Internet"
    assert any(line.startswith("└── agw-voice-prod (edge) · through WAF (Prevention)") for line in lines)
    assert any("│   ├── redis-voice-prod (data) · through WAF (Prevention)" in line for line in lines)
    assert "AROUND" not in run.out


def test_exposure_command_on_the_demo_and_the_hostile_fixture():
    demo = golive("exposure", str(FIXTURES / "demo.json"))
    assert demo.code == 0 and "├── ca-voice-backend (compute) · AROUND THE WAF · via external ingress" in demo.out
    hostile = golive("exposure", str(FIXTURES / "hostile.json"))
    assert hostile.code == 0
    assert "\u202e" not in hostile.out and "invoice<U+202E>gpj.exe" in hostile.out
    # An app whose environment is not in the snapshot is not assessed, never private.
    assert "NOT ASSESSED" in hostile.out


def test_exposure_command_on_a_bad_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    run = golive("exposure", str(bad))
    assert run.code == 2 and run.out == ""
    assert len(run.err.strip().splitlines()) == 1 and "bad.json" in run.err


@pytest.mark.parametrize("name", ["demo", "hardened", "hostile"])
def test_the_report_classes_agree_with_the_checks_judgement(name):
    """The JSON section uses a shortcut for each node's class; it must say what reach() says."""
    from auditor.exposure import build
    from auditor.inventory import Inventory

    graph = build(Inventory(snapshot.load(FIXTURES / f"{name}.json")))
    keys = [k for k in graph.nodes if k != "internet"]
    assert keys and all(graph.cls(k) == graph.reach(k).cls for k in keys)


def test_markdown_paths_show_hidden_characters_and_escape_markup():
    report = run_audit(AuditRequest(snapshot=snapshot.load(FIXTURES / "hostile.json")))
    text = render("md", report).decode()
    start = text.index("### Exposure")
    section = text[start : text.find("\n### ", start + 1)]
    assert "\u202e" not in section
    # Markdown specials are backslash-escaped like the rest of the report, never HTML entities.
    assert "invoice\\<U+202E\\>gpj.exe" in section
    assert "<script>" not in section and "x" * 300 not in section
