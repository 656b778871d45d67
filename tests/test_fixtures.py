"""The bundled snapshots are built from fixtures/parts and are valid snapshots."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from types import ModuleType

import pytest

from auditor.snapshot import load_schema
from tests.conftest import FIXTURES

NAMES = sorted(p.name for p in (FIXTURES / "parts").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fixtures_build", FIXTURES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def needed(build: ModuleType) -> list[str]:
    return build.needed_types()


def test_demo_and_hardened_are_built():
    assert {"demo", "hardened"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_up_to_date_with_its_parts(build, needed, name):
    expected = build.build(name, needed)
    assert (FIXTURES / f"{name}.json").read_text(encoding="utf-8") == expected, (
        "run: .venv/bin/python fixtures/build.py"
    )


@pytest.mark.parametrize("name", NAMES)
def test_fixture_matches_the_snapshot_schema(name):
    import jsonschema

    document = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(load_schema("snapshot.schema.json")).validate(document)
    ids = [r["id"].lower() for r in document["resources"]]
    assert len(ids) == len(set(ids)), "duplicate resource ids"
    assert document["resources"] and document["coverage"]


def test_the_packaged_demo_is_the_fixture():
    """`golive audit --demo` reads the copy shipped as package data."""
    packaged = resources.files("auditor.fixtures").joinpath("demo.json").read_text(encoding="utf-8")
    assert packaged == (FIXTURES / "demo.json").read_text(encoding="utf-8")
