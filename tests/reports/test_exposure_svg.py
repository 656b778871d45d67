"""The exposure map's SVG as markup: legible at 200 nodes, every text escaped, edges coloured by class,
and well-formed XML (the browser tests in test_exposure_browser.py check it in Chromium)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.exposure import build
from auditor.inventory import Inventory
from auditor.reports.exposure_svg import CLASS_COLOURS, MAX_ROWS, render_svg
from tests.checks.helpers import snapshot
from tests.checks.test_exposure import container_app, environment, gateway_world, redis

SVG = "{http://www.w3.org/2000/svg}"


def report_for(resources: list[dict]) -> dict:
    return {"exposure": build(Inventory(snapshot(resources))).to_document(), "findings": []}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_two_hundred_public_apps_collapse_into_one_node_with_a_count():
    apps = [container_app(f"ca-{n:03d}", env="cae-public") for n in range(200)]
    report = report_for([environment("cae-public", internal=False), *apps, redis("Enabled")])
    root = parse(render_svg(report))
    nodes = root.findall(f".//{SVG}g[@class='node']")
    assert len(nodes) <= len(CLASS_COLOURS) * MAX_ROWS
    counts = [int(n.get("data-count")) for n in nodes if n.get("data-tier") == "compute"]
    assert counts == [200]
    label = "".join(nodes[[n.get("data-tier") for n in nodes].index("compute")].itertext())
    assert label.startswith("200 × containerApps")
    # The drawing does not grow with the estate.
    assert float(root.get("viewBox").split()[3]) < 200


def test_a_few_nodes_are_drawn_one_by_one():
    root = parse(render_svg(report_for(gateway_world())))
    names = ["".join(n.find(f".//{SVG}text").itertext()) for n in root.findall(f".//{SVG}g[@class='node']")]
    assert sorted(names) == ["Internet", "agw-voice", "ca-voice"]


def test_edges_are_coloured_by_class():
    waf = parse(render_svg(report_for(gateway_world())))
    assert {p.get("data-class") for p in waf.findall(f".//{SVG}path")} == {"waf"}
    assert {p.get("stroke") for p in waf.findall(f".//{SVG}path")} == {CLASS_COLOURS["waf"]}
    weak = parse(render_svg(report_for(gateway_world("Detection"))))
    assert {p.get("data-class") for p in weak.findall(f".//{SVG}path")} == {"weak"}
    around = parse(render_svg(report_for([redis("Enabled")])))
    assert [p.get("data-class") for p in around.findall(f".//{SVG}path")] == ["around"]


def test_names_are_escaped_and_invisible_characters_shown():
    app = container_app('<script>alert(1)</script>"&', env="cae-public")
    app["name"] = '<script>alert(1)</script>"&'
    bidi = container_app("invoice\u202egpj.exe", env="cae-public")
    markup = render_svg(report_for([environment("cae-public", internal=False), app, bidi]))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "\u202e" not in markup and "invoice&lt;U+202E&gt;gpj.exe" in markup
    root = parse(markup)  # well-formed: the escaping left no stray markup
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert any(t.startswith('<script>alert(1)</script>"&') for t in titles)


def test_no_exposure_section_draws_nothing():
    assert render_svg({"findings": []}) == ""
