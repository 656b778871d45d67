"""The severity policy of docs/severity.md, applied to every built-in check mechanically.

The page names checks (by id or by a pattern such as `alerts.*`) under each rank, and gives each
area a usual rank and a ceiling. A check ranks as its area usually does unless the page names it
under another rank; a check named by id follows that id, and every pattern must agree with the
checks it matches. The issue's explicit rules (purge protection above soft delete, the ingestion
key low, the HTTPS-only checks alike, alert gaps below exposed data, the compound finding) are
asserted on their own as well."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from auditor.api import Severity
from auditor.registry import Check, discover

POLICY = Path(__file__).resolve().parents[1] / "docs" / "severity.md"
RANK_HEADING = re.compile(r"^\*\*(Critical|High|Medium|Low|Info):", re.MULTILINE)
NAMED = re.compile(r"`([a-z0-9*][a-z0-9*.-]*\.[a-z0-9*.-]+)`")
AREA_ROW = re.compile(r"^\| (\w+) \| (\w+) \| (\w+) \|$", re.MULTILINE)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Check]:
    found = discover(entry_points=False)
    assert not found.problems and not found.duplicates
    return found.by_id()


@pytest.fixture(scope="module")
def policy() -> str:
    return POLICY.read_text(encoding="utf-8")


def ranked_names(text: str) -> dict[Severity, set[str]]:
    """Ids and patterns named in each rank's paragraph (from its bold heading to the next one or
    to the next section)."""
    body = text.split("\n## The four ranks", 1)[1].split("\n## ", 1)[0]
    marks = list(RANK_HEADING.finditer(body))
    assert [m.group(1) for m in marks] == ["Critical", "High", "Medium", "Low", "Info"]
    out: dict[Severity, set[str]] = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        paragraph = body[mark.start() : following.start() if following else len(body)]
        out[Severity(mark.group(1).lower())] = set(NAMED.findall(paragraph))
    return out


def area_table(text: str) -> dict[str, tuple[Severity, Severity]]:
    rows = {area: (Severity(usual), Severity(ceiling)) for area, usual, ceiling in AREA_ROW.findall(text)}
    assert rows, "docs/severity.md has no area table"
    return rows


def documented_rank(check_id: str, names: dict[Severity, set[str]]) -> tuple[Severity | None, list[str]]:
    """The rank the page gives a check, and the contradictions it finds: an id named under two ranks, or
    patterns that match it under two ranks without the id being named."""
    by_id = [rank for rank, found in names.items() if check_id in found]
    if len(by_id) > 1:
        return None, [f"{check_id} is named under {', '.join(r.value for r in by_id)}"]
    if by_id:
        return by_id[0], []
    by_pattern = {
        rank for rank, found in names.items() for name in found if "*" in name and fnmatchcase(check_id, name)
    }
    if len(by_pattern) > 1:
        return None, [f"{check_id} matches patterns under {', '.join(sorted(r.value for r in by_pattern))}"]
    return (by_pattern.pop() if by_pattern else None), []


def test_every_check_ranks_as_the_policy_says(catalogue, policy):
    names = ranked_names(policy)
    areas = area_table(policy)
    wrong = []
    for check_id, chk in sorted(catalogue.items()):
        meta = chk.meta
        usual, ceiling = areas[meta.area.value]
        documented, problems = documented_rank(check_id, names)
        wrong += problems
        expected = documented or usual
        if not problems and meta.severity != expected:
            where = "named under" if documented else "not named in docs/severity.md, so its area's usual rank,"
            wrong.append(f"{check_id} is {meta.severity.value}, but {where} {expected.value}")
        if meta.severity.rank > ceiling.rank:
            wrong.append(f"{check_id} is {meta.severity.value}, above the {meta.area.value} ceiling {ceiling.value}")
    assert not wrong, "\n".join(wrong)


def test_every_name_in_the_policy_is_a_check(catalogue, policy):
    stale = [
        name
        for found in ranked_names(policy).values()
        for name in found
        if not any(fnmatchcase(check_id, name) for check_id in catalogue)
    ]
    assert not stale, f"docs/severity.md names checks that do not exist: {stale}"


def test_the_area_table_covers_every_area(catalogue, policy):
    assert {chk.meta.area.value for chk in catalogue.values()} <= set(area_table(policy))


def rank(catalogue: dict[str, Check], check_id: str) -> Severity:
    return catalogue[check_id].meta.severity


def test_purge_protection_ranks_above_soft_delete(catalogue):
    # learn.microsoft.com/azure/key-vault/general/soft-delete-overview: soft delete cannot be disabled on
    # new vaults; purge protection is what stops a deleted vault from being purged.
    assert rank(catalogue, "keyvault.purge-protection").rank > rank(catalogue, "keyvault.soft-delete").rank


def test_the_ingestion_key_is_low(catalogue):
    # The Application Insights ingestion (instrumentation) key writes telemetry and reads nothing.
    assert rank(catalogue, "identity.appinsights.local-auth-disabled") == Severity.LOW
    data_keys = [i for i in catalogue if fnmatchcase(i, "identity.*.local-auth-disabled") and "appinsights" not in i]
    assert data_keys and {rank(catalogue, i) for i in data_keys} == {Severity.HIGH}


def test_https_only_checks_rank_alike(catalogue):
    https_only = [i for i in catalogue if i.endswith("https-only")]
    assert {"transport.storage.https-only", "transport.appservice.https-only", "apim.https-only"} <= set(https_only)
    assert len({rank(catalogue, i) for i in https_only}) == 1


def test_alert_gaps_rank_below_exposed_data(catalogue):
    alerts = [i for i in catalogue if i.startswith("alerts.")]
    exposed = [i for i in catalogue if fnmatchcase(i, "network.*.public-access")]
    assert alerts and exposed
    assert max(rank(catalogue, i).rank for i in alerts) < min(rank(catalogue, i).rank for i in exposed)


def test_a_missing_waf_in_front_of_an_entry_point_is_high(catalogue):
    # appgw.waf-prevention, appgw.waf-rule-set, frontdoor.waf-prevention, frontdoor.waf-rule-set, and the
    # cross-cutting network.waf-fronts-http.
    waf = [i for i in catalogue if fnmatchcase(i, "*.waf-*")]
    assert "network.waf-fronts-http" in waf and len(waf) >= 5 and {rank(catalogue, i) for i in waf} == {Severity.HIGH}


def test_the_compound_finding_is_critical_and_its_two_facts_high(catalogue):
    compounds = [i for i in catalogue if fnmatchcase(i, "exposure.*.public-with-keys")]
    assert compounds
    for compound in compounds:
        service = compound.split(".")[1]
        assert rank(catalogue, compound) == Severity.CRITICAL
        assert rank(catalogue, f"network.{service}.public-access") == Severity.HIGH
        keys = [i for i in catalogue if i.startswith(f"identity.{service}.") and i.endswith("-auth-disabled")]
        assert keys and {rank(catalogue, i) for i in keys} == {Severity.HIGH}, compound


def test_the_policy_reader_sees_a_contradiction():
    # The mechanism itself: a pattern under one rank and an id under none, matched under two ranks.
    names = {Severity.HIGH: {"alerts.*"}, Severity.MEDIUM: {"alerts.e2e-*"}, Severity.LOW: set()}
    assert documented_rank("alerts.e2e-latency", names)[0] is None
    assert documented_rank("alerts.availability", names) == (Severity.HIGH, [])
    names[Severity.LOW].add("alerts.e2e-latency")
    assert documented_rank("alerts.e2e-latency", names) == (Severity.LOW, [])
