"""The odd-data sweep over both fixtures (see tests/sweep.py): delete each property path, retype each
path, and fail on any new pass or any `error`. The default run audits a bounded, seeded sample;
`pytest -m slow` runs every mutation (about 13,000 audits, minutes on one core)."""

from __future__ import annotations

import os
import random

import pytest

from tests.sweep import ALLOWED_DEFAULTS, FIXTURE_NAMES, Sweep

SAMPLE = int(os.environ.get("GOLIVE_SWEEP_SAMPLE", "250"))
SEED = int(os.environ.get("GOLIVE_SWEEP_SEED", "11"))


@pytest.fixture(scope="module", params=FIXTURE_NAMES)
def sweep(request):
    return Sweep(request.param)


def _run(sweep: Sweep, mutations) -> list[str]:
    return [
        f"{h.mutation}: {h.check_id} {h.before} -> {h.after} ({h.message})" for m in mutations for h in sweep.holes(m)
    ]


def test_a_seeded_sample_of_mutations_opens_no_hole(sweep):
    mutations = list(sweep.mutations())
    assert len(mutations) > 1000, "the sweep must reach deep into the fixture"
    chosen = random.Random(SEED).sample(mutations, min(SAMPLE, len(mutations)))
    assert _run(sweep, chosen) == []


@pytest.mark.slow
def test_every_mutation_opens_no_hole(sweep):
    assert _run(sweep, sweep.mutations()) == []


def test_every_allowed_default_names_its_source():
    for check_id, pattern, source in ALLOWED_DEFAULTS:
        assert check_id and pattern and ("azure-rest-api-specs" in source or "learn.microsoft.com" in source)


def test_the_sweep_finds_a_hole_when_there_is_one():
    """The harness itself: a check that passes when a property is gone is caught by its deletion,
    one that raises is caught as an error, and one that passes whatever type it read is caught by
    the retyping of what it read."""
    from auditor.api import check, passed
    from tests.test_engine import catalogue_of, meta

    registry = "Microsoft.ContainerRegistry/registries"

    @check(**meta("t.absent-passes", types=[registry]))
    def absent_passes(res, ctx):
        return passed("fine") if not res.has("properties.adminUserEnabled") else res.get("x.y")

    @check(**meta("t.raises", types=[registry]))
    def raises(res, ctx):
        return 1 / 0 if not res.has("properties.adminUserEnabled") else res.get("x.y")

    @check(**meta("t.any-type-passes", types=[registry]))
    def any_type_passes(res, ctx):
        res.get("properties.adminUserEnabled")  # no expect=: any type is taken
        return passed("fine")

    sweep = Sweep("demo", catalogue_of(absent_passes, raises, any_type_passes))
    mutations = [m for m in sweep.mutations() if sweep.snap.resources[m.index]["type"] == registry]
    holes = _run(sweep, mutations)
    assert any("t.absent-passes not_assessed -> pass" in h for h in holes), holes
    assert any("t.raises not_assessed -> error" in h for h in holes), holes
    retyped = [h for h in holes if "t.any-type-passes pass -> pass" in h]
    assert retyped and all("retype:" in h and "properties.adminUserEnabled" in h for h in retyped), holes
