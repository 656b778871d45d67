"""Property-based fuzzing (hypothesis) of what a snapshot can hold. Any JSON value in place of any
property of any fixture resource, and any resource list the schema lets through, must give a
clean verdict: never an `error`, never a check raising on the data, and a value of another JSON
type than the fixture's never turns a non-pass into a pass. The default run is bounded for CI;
`pytest -m slow` runs many more examples."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import engine, snapshot
from auditor.inventory import Inventory
from auditor.model import InputError
from auditor.registry import discover
from tests.sweep import FIXTURE_NAMES, Mutation, Sweep, allowed, json_type

BOUNDED = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
EXHAUSTIVE = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))

SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@cache
def _sweep(fixture: str) -> Sweep:
    return Sweep(fixture)


@cache
def _paths(fixture: str) -> list[tuple[int, tuple[str | int, ...]]]:
    sweep = _sweep(fixture)
    return sorted({(m.index, m.path) for m in sweep.mutations()}, key=repr)


def _problems(fixture: str, index: int, path: tuple[str | int, ...], value: Any) -> list[str]:
    sweep = _sweep(fixture)
    resources = list(sweep.snap.resources)
    raw = copy.deepcopy(resources[index])
    node = raw
    for part in path[:-1]:
        node = node[part]
    retyped = json_type(node[path[-1]]) != json_type(value)
    node[path[-1]] = value
    resources[index] = raw
    try:
        mutated = snapshot.from_document(sweep.snap.to_document() | {"resources": resources}, "fuzzed")
    except InputError:
        return []
    # null is ARM's absent: where a documented default passes, the sweep's allowed list says so.
    mutation = Mutation(fixture, index, path, "retype:null" if value is None else f"retype:{json_type(value)}")
    problems = []
    for f in engine.run(sweep.checks, Inventory(mutated), engine.RunOptions()):
        message = f.evidence.get("message", "")
        before = sweep.before.get((f.check_id, f.resource_id.lower()), ("absent", ""))[0]
        if f.status.value == "error" or "the check raised" in message:
            problems.append(f"{f.check_id}: {f.status.value} {message}")
        elif retyped and f.status.value == "pass" and before != "pass" and not allowed(f.check_id, mutation):
            problems.append(f"{f.check_id}: {before} -> pass")
    return problems


def _value_anywhere(settings_: settings):
    @settings_
    @given(data=st.data(), fixture=st.sampled_from(FIXTURE_NAMES), value=JSON)
    def run(data, fixture, value):
        index, path = data.draw(st.sampled_from(_paths(fixture)))
        assert _problems(fixture, index, path, value) == [], (fixture, index, path, value)

    return run


def test_any_value_anywhere_is_judged_cleanly():
    _value_anywhere(BOUNDED)()


@pytest.mark.slow
def test_any_value_anywhere_is_judged_cleanly_exhaustive():
    _value_anywhere(EXHAUSTIVE)()


RESOURCE = st.fixed_dictionaries(
    {
        "id": st.sampled_from(
            [
                "/subscriptions/s1/resourceGroups/g/providers/Microsoft.App/containerApps/a",
                "/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/applicationGateways/g",
                "/subscriptions/s1/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v",
                "/subscriptions/s1/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r",
            ]
        ),
        "name": st.text(max_size=8),
        "type": st.sampled_from(
            [
                "Microsoft.App/containerApps",
                "Microsoft.Network/applicationGateways",
                "Microsoft.KeyVault/vaults",
                "Microsoft.ContainerRegistry/registries",
            ]
        ),
    },
    optional={"properties": JSON, "identity": JSON, "sku": JSON, "tags": JSON},
)


def _whole_list(settings_: settings):
    @settings_
    @given(resources=st.lists(RESOURCE, max_size=4, unique_by=lambda r: r["id"]))
    def run(resources):
        try:
            snap = snapshot.from_document(resources, "fuzzed.json")
        except InputError:
            return
        for f in engine.run(discover(entry_points=False).checks, Inventory(snap), engine.RunOptions()):
            message = f.evidence.get("message", "")
            assert f.status.value != "error" and "the check raised" not in message, (f.check_id, message)

    return run


def test_any_resource_list_is_judged_cleanly():
    _whole_list(BOUNDED)()


@pytest.mark.slow
def test_any_resource_list_is_judged_cleanly_exhaustive():
    _whole_list(EXHAUSTIVE)()
