"""Issue 14's done-when on the fixtures: the demo fails the guide's AI, resilience, messaging and memory
checks for the guide's reasons, and the hardened fixture passes them with the evidence in place (a pass,
not a not-applicable for want of the resource)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.conftest import FIXTURES, audit_report

#: The demo's gaps against the guide, each one a failure of its own.
DEMO_FAILS = {
    "ai.content-filter": "hate/prompt not blocking",  # a filter that only annotates
    "dr.cosmos": "1 region",
    "dr.redis": "no persistence, geo-replication or zones",
    "dr.storage": "Standard_LRS",
    "dr.acr-geo-replication": "cannot geo-replicate",
    "security.defender-plans": "Defender plans not on Standard",
    "messaging.acs-call-events": "no Event Grid system topic",
    "memory.cosmos-session-ttl": "defaultTtl is not set",
    "memory.blob-lifecycle": "no lifecycle rule",
    "aca.scale-rules": "no scale rule",
    "cost.off-peak-schedule": "no cron scale rule",
}
#: Judged and passed on the hardened fixture (Mongo vCore is absent there; its check has tests of its own).
HARDENED_PASSES = sorted(
    {
        *DEMO_FAILS,
        "aca.scale-thresholds",
        "messaging.servicebus-premium",
        "messaging.queue-dead-lettering",
        "memory.redis-eviction",
        "ai.capacity-vs-gateway",
        "ai.slm-cascade",
        "ai.provisioned-throughput",
    }
)


def _by_check(report: dict) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for finding in report["findings"]:
        out[finding["checkId"]][finding["status"]].add(finding["evidence"].get("message", ""))
    return out


@pytest.fixture(scope="module")
def demo_findings(tmp_path_factory):
    _, report = audit_report(tmp_path_factory.mktemp("demo"), "--demo")
    return _by_check(report)


@pytest.fixture(scope="module")
def hardened_findings(tmp_path_factory):
    out = tmp_path_factory.mktemp("hardened")
    attestations = FIXTURES / "hardened-attestations.toml"
    _, report = audit_report(out, "--snapshot", str(FIXTURES / "hardened.json"), "--attestations", str(attestations))
    return _by_check(report)


@pytest.mark.parametrize("check_id", sorted(DEMO_FAILS))
def test_the_demo_fails_the_guide_check(demo_findings, check_id):
    messages = demo_findings[check_id]["fail"]
    assert messages, dict(demo_findings[check_id])
    assert any(DEMO_FAILS[check_id] in message for message in messages)


@pytest.mark.parametrize("check_id", HARDENED_PASSES)
def test_the_hardened_fixture_passes_with_the_evidence_in_place(hardened_findings, check_id):
    statuses = set(hardened_findings[check_id])
    assert statuses == {"pass"}, dict(hardened_findings[check_id])
