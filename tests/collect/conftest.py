"""Shared set-up for collection tests: the real catalogue's plan, the fixtures, a collect() helper."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.audit import load_catalogue
from auditor.collect.auth import Target
from auditor.collect.collector import Options, Stats, collect
from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
from auditor.inventory import listed_type
from auditor.snapshot import Snapshot
from auditor.testing.fake_arm import FakeArm
from tests.conftest import FIXTURES

CHECKS = load_catalogue([]).checks
NEEDED = {t for c in CHECKS for t in c.meta.needs}
DIAG_TARGETS = {t for c in CHECKS if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A static token instead of the credential chain: the fake ARM accepts any bearer token."""
    monkeypatch.setenv("GOLIVE_ACCESS_TOKEN", "test-token")


def document(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture, read now: other engineers extend the fixtures."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def subscriptions_of(doc: dict[str, Any]) -> list[str]:
    return [s["subscriptionId"] for s in doc["scope"]["subscriptions"]]


def live_target(doc: dict[str, Any], arm: FakeArm) -> list[str]:
    """The options that point `golive audit` or `golive collect` at every subscription of the fake ARM."""
    subscriptions = [arg for sub in subscriptions_of(doc) for arg in ("--subscription", sub)]
    return [*subscriptions, "--arm-endpoint", arm.url, "--ca-bundle", arm.ca_bundle]


def run(arm: FakeArm, doc: dict[str, Any], needed: set[str] | None = None, **overrides: Any) -> tuple[Snapshot, Stats]:
    """Collect from the fake with fast retries, as the CLI would for every subscription of doc;
    through ARM lists unless `source="resourcegraph"` is given, so that faults injected on ARM
    list paths meet the reads they are meant for."""
    settings: dict[str, Any] = {
        "subscriptions": subscriptions_of(doc),
        "backoff": 0.01,
        "retry_after_cap": 0.2,
        "source": "arm",
    }
    settings.update(overrides)
    options = Options(target=Target(arm_endpoint=arm.url, ca_bundle=arm.ca_bundle), **settings)
    return collect(make_plan(needed or NEEDED, options.inspect_app_settings), DIAG_TARGETS, options)


def needed_ids(doc: dict[str, Any], needed: set[str] | None = None) -> set[str]:
    wanted = {t.lower() for t in needed or NEEDED}
    return {r["id"].lower() for r in doc["resources"] if listed_type(r).lower() in wanted}
