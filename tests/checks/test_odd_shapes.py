"""A property of an unexpected type never passes. Every value a check read to reach a pass or a
fail in the bundled fixtures is swapped, one at a time, for a value of another type (an object
becomes an array, anything else an object); the check must then answer not_assessed or fail,
never pass, and never raise."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from auditor import engine, snapshot
from auditor.inventory import Inventory
from auditor.model import Finding
from auditor.registry import discover
from tests.conftest import FIXTURES

CATALOGUE = discover(entry_points=False).by_id()
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _PART.findall(path)]


def _container(resource: dict[str, Any], parts: list[str | int]) -> tuple[Any, Any] | None:
    """The object or array holding the value at `parts`, and the key in it (names match
    case-insensitively, as checks read them); None when the path is not raw data."""
    node: Any = resource
    for depth, part in enumerate(parts):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            key: Any = part
        else:
            if not isinstance(node, dict):
                return None
            key = next((k for k in node if k.lower() == part.lower()), None)
            if key is None:
                return None
        if depth == len(parts) - 1:
            return node, key
        node = node[key]
    return None


def _judged(name: str) -> tuple[snapshot.Snapshot, list[Finding]]:
    snap = snapshot.load(FIXTURES / f"{name}.json")
    findings = engine.run(list(CATALOGUE.values()), Inventory(snap), engine.RunOptions())
    return snap, [f for f in findings if f.status.value in ("pass", "fail") and "/providers/" in f.resource_id]


@pytest.mark.parametrize("fixture", ["hardened", "demo"])
def test_a_value_of_another_type_never_passes(fixture):
    snap, judged = _judged(fixture)
    swapped, wrong = 0, []
    for finding in judged:
        for observation in finding.evidence["observations"]:
            if observation.get("defaultApplied"):
                continue
            resources = copy.deepcopy(snap.resources)
            target = next(r for r in resources if r["id"] == finding.resource_id)
            located = _container(target, _parts(observation["path"]))
            if located is None:
                continue  # a derived observation (a count, a note), not a property
            node, key = located
            node[key] = ["odd"] if isinstance(node[key], dict) else {"odd": ["shape"]}
            swapped += 1
            mutated = snapshot.Snapshot(scope=snap.scope, resources=resources, coverage=snap.coverage)
            again = engine.run([CATALOGUE[finding.check_id]], Inventory(mutated), engine.RunOptions())
            statuses = {f.status.value for f in again if f.resource_id == finding.resource_id}
            if statuses & {"pass", "error"}:
                wrong.append((finding.check_id, finding.resource_name, observation["path"], sorted(statuses)))
    assert swapped > 40, "too few values swapped for the test to mean anything"
    assert wrong == []
