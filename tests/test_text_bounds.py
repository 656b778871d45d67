"""Every regex and parser that sees snapshot text stays linear in its input (issue 11 §4).

No test here has a time budget: benchmarks/bench_text_budgets.py prints the times on 50 KB
against a 1 s budget. These tests assert the algorithmic bound instead: growing an adversarial
input eightfold grows the work about eightfold (linear), not 64-fold (quadratic) or 512-fold
(cubic), and fragment expansion is counted in lookups and elements.

The adversarial inputs are the ones the security review used (issue 11 §4) and, for each
pattern of auditor.secrets, the input that makes a backtracking engine retry its quantified run
from every position.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from auditor.checks import _apim_policy
from auditor.checks.apim import NAMED_VALUE_REF

from auditor.api import DataError
from auditor.model import InputError
from auditor.redaction import redact_resource
from auditor.secrets import detect, scrub_text
from auditor.snapshot import validate_document
from tests.checks.helpers import SUB

#: name -> a function of n giving an adversarial text of about n characters.
SECRET_TEXT_ATTACKS: dict[str, Callable[[int], str]] = {
    "spaces after an Application Insights key": lambda n: (
        "InstrumentationKey=00000000-1111-2222-3333-444444444444;A=" + " " * n + ";x"
    ),
    "Application Insights pairs": lambda n: (
        "InstrumentationKey=00000000-1111-2222-3333-444444444444" + ";A= " * (n // 4)
    ),
    "spaces": lambda n: " " * n,
    "repeated AccountKey=": lambda n: "AccountKey=" * (n // 11),
    "repeated AccountEndpoint=": lambda n: "AccountEndpoint=" * (n // 16),
    "password and spaces": lambda n: "password" + " " * n,
    "repeated password =": lambda n: "password =" * (n // 10),
    "scheme run without ://": lambda n: "a" * n + ":/",
    "userinfo without @": lambda n: "redis://" + "a:" * (n // 2),
    "repeated ://": lambda n: "a://" * (n // 4),
    "repeated eyJ": lambda n: "eyJ" * (n // 3),
    "JWT without the third part": lambda n: "eyJ" + "a" * n + ".eyJ" + "b" * n,
    "repeated -----BEGIN": lambda n: "-----BEGIN " * (n // 11),
    "PEM header run": lambda n: "-----BEGIN " + "A" * n,
    "repeated sk-": lambda n: "sk-" * (n // 3),
    "repeated ghp_": lambda n: "ghp_" * (n // 4),
    "base64 run": lambda n: "aB1" * (n // 3) + "!",
    "hex run": lambda n: "a1" * (n // 2) + "g",
    "repeated ?sig=": lambda n: "?sig=" * (n // 5),
    "repeated Slack hook": lambda n: "https://hooks.slack.com/services/" * (n // 33),
    "repeated marker opening": lambda n: "[redacted: " * (n // 11),
    "Key Vault reference run": lambda n: "@Microsoft.KeyVault(SecretUri=https://" + "a" * n,
    "repeated AKIA": lambda n: "AKIA" * (n // 4),
}


def _per_call(fn: Callable[[], object], window: float = 0.01) -> float:
    """Seconds per call over one window long enough to measure."""
    calls, started = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed > window:
            return elapsed / calls


def growth(make: Callable[[int], str], run: Callable[[str], object], small: int = 512, factor: int = 8) -> float:
    """How much the work grows when the input grows `factor`-fold: about `factor` when linear.
    Small and large runs alternate, and each keeps its best round, so that a busy machine slows
    both alike instead of skewing the ratio."""
    little, big = make(small), make(small * factor)
    best_little = best_big = float("inf")
    for _ in range(5):
        best_little = min(best_little, _per_call(lambda: run(little)))
        best_big = min(best_big, _per_call(lambda: run(big)))
    return best_big / best_little


#: Linear growth is 8; quadratic 64; cubic 512. The margin absorbs a busy machine.
LINEAR = 24


@pytest.mark.parametrize("attack", sorted(SECRET_TEXT_ATTACKS))
def test_detector_is_linear(attack):
    make = SECRET_TEXT_ATTACKS[attack]
    assert growth(make, lambda text: detect("APP_SECRET", text, SUB)) < LINEAR


@pytest.mark.parametrize("attack", sorted(SECRET_TEXT_ATTACKS))
def test_scrubber_is_linear(attack):
    make = SECRET_TEXT_ATTACKS[attack]
    assert growth(make, lambda text: scrub_text(text, SUB)) < LINEAR


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "{{" + " " * n + "x",  # the review's 4 KB calls="{{ ... that took 112 s
        lambda n: "{{ " + "a " * (n // 2),
        lambda n: "{{" + " " * n + "}",
        lambda n: "{{a" + " " * n + "b}}}",
        lambda n: "{{a" + " b" * (n // 2),
        lambda n: "{{a" + " " * (n // 2) + "b" + " " * (n // 2),
    ],
    ids=["spaces", "words", "one brace", "three braces", "unclosed words", "unclosed spaced"],
)
def test_named_value_reference_is_linear(make):
    # small inputs, so that the cubic pattern this replaced fails here in seconds instead of hanging
    assert growth(make, NAMED_VALUE_REF.match, small=64) < LINEAR


@pytest.mark.parametrize(
    "make",
    [
        lambda n: (
            '<policies><inbound><set-header name="x"><value>@("' + "(" * n + '")</value></set-header>'
            "</inbound></policies>"
        ),
        lambda n: (
            "<policies><inbound>" + '<set-variable name="v" value="@(1)" />' * (n // 40) + "</inbound></policies>"
        ),
        lambda n: "<policies><inbound>@{" + "{" * n + "</inbound></policies>",
    ],
    ids=["open parentheses in an expression", "many expressions", "unclosed braces"],
)
def test_policy_parsing_is_linear(make):
    def run(text: str) -> object:
        try:
            return _apim_policy.parse(text, "test")
        except DataError:
            return None

    assert growth(make, run) < LINEAR


def _fragments(breadth: int, depth: int) -> dict[str, str]:
    """Fragment f0 includes f1 `breadth` times, f1 includes f2, ...; the last holds one element."""
    out = {}
    for level in range(depth):
        body = f'<include-fragment fragment-id="f{level + 1}" />' * breadth if level < depth - 1 else "<rate-limit />"
        out[f"f{level}"] = f"<fragment>{body}</fragment>"
    return out


def test_fragment_fan_out_expands_each_fragment_once():
    fragments = _fragments(breadth=3, depth=5)
    lookups: list[str] = []

    def lookup(fragment_id: str) -> str | None:
        lookups.append(fragment_id)
        return fragments.get(fragment_id)

    section = ET.fromstring('<inbound><include-fragment fragment-id="f0" /></inbound>')
    elements = _apim_policy.expand_fragments(section, lookup, "test")
    assert len(elements) == 3**4 and {e.tag for e in elements} == {"rate-limit"}
    assert sorted(lookups) == ["f0", "f1", "f2", "f3", "f4"]  # not 1 + 3 + 9 + 27 + 81


def test_fragment_fan_out_beyond_the_cap_is_not_assessed_after_bounded_work():
    """The review's 5 fragments each including the next 20 times (114 s) and 30 times (> 300 s)."""
    for breadth in (20, 30):
        fragments = _fragments(breadth=breadth, depth=5)
        lookups: list[str] = []

        def lookup(fragment_id: str, fragments: dict[str, str] = fragments, lookups: list[str] = lookups) -> str | None:
            lookups.append(fragment_id)
            return fragments.get(fragment_id)

        section = ET.fromstring('<inbound><include-fragment fragment-id="f0" /></inbound>')
        with pytest.raises(DataError, match="expands to more than"):
            _apim_policy.expand_fragments(section, lookup, "test")
        assert len(lookups) <= 5


def test_a_fragment_that_includes_itself_is_still_stopped_by_depth():
    section = ET.fromstring('<inbound><include-fragment fragment-id="loop" /></inbound>')
    with pytest.raises(DataError, match="nest deeper"):
        _apim_policy.expand_fragments(
            section, lambda _: '<fragment><include-fragment fragment-id="loop" /></fragment>', "t"
        )


def _nested(depth: int) -> dict:
    value: object = {"name": "API_KEY", "value": "Vb5Nm6Qw7Er8Ty9Ui0Op"}
    for _ in range(depth):
        value = {"env": [value]}
    return {"id": "/subscriptions/s/x", "type": "Microsoft.App/containerApps", "properties": value}


def test_collection_redaction_is_linear_in_nesting_depth():
    """Issue 11 §5's 450-980 levels: the walk keeps a bounded path, so depth costs linear time."""
    assert growth(lambda n: _nested(n // 8), lambda doc: redact_resource(doc, SUB), small=800) < LINEAR  # type: ignore[arg-type]
    node = redact_resource(_nested(980), SUB)["properties"]
    for _ in range(980):
        node = node["env"][0]
    assert node == {"name": "API_KEY", "value": node["value"]} and node["value"].startswith("[redacted: name _KEY")


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("type", lambda n: "a" * n + "!"),
        ("type", lambda n: "Microsoft.Web/" + "a/" * (n // 2) + "!"),
        ("id", lambda n: "/subscriptions/" + "/" * n),
    ],
    ids=["type without a slash", "type with a bad tail", "id of slashes"],
)
def test_snapshot_schema_patterns_are_linear(field, make):
    """The snapshot schema's patterns see every id and type of a snapshot."""

    def run(text: str) -> object:
        resource = {"id": "/subscriptions/s/resourceGroups/rg/providers/A.B/c/d", "name": "d", "type": "A.B/c"}
        resource[field] = text
        document = {
            "snapshotVersion": "1",
            "scope": {"subscriptions": [], "collectedAt": "", "tool": {"name": "t", "version": "0"}},
            "resources": [resource],
        }
        try:
            validate_document(document, "snapshot.schema.json", "test")
        except InputError:
            return None
        return document

    assert growth(make, run) < LINEAR


def _hardened_apim() -> list[dict]:
    from tests.checks.test_apim import FIXTURE_SUB, PARTS

    return json.loads((PARTS / "apim.json").read_text().replace(FIXTURE_SUB, SUB))


def test_a_fragment_fan_out_in_a_service_is_not_assessed_with_the_reason():
    """End to end: the policy's own fragment includes four more, each including the next 30 times
    (five deep in all, as in the review)."""
    from tests.checks.helpers import run_check

    items = _hardened_apim()
    used = next(r for r in items if r["id"].endswith("policyFragments/ai-usage-metrics"))
    service_id = used["id"].rsplit("/policyFragments/", 1)[0]
    for fragment_id, xml in _fragments(breadth=30, depth=4).items():
        items.append(
            {
                "id": f"{service_id}/policyFragments/{fragment_id}",
                "name": fragment_id,
                "type": "Microsoft.ApiManagement/service/policyFragments",
                "properties": {"format": "rawxml", "value": xml},
            }
        )
    used["properties"]["value"] = '<fragment><include-fragment fragment-id="f0" /></fragment>'
    findings = {f.resource_name: f for f in run_check("apim.token-limit", items)}
    assert findings["openai"].status.value == "not_assessed"
    assert "expands to more than" in findings["openai"].evidence["message"]


def test_a_long_unclosed_named_value_reference_is_judged_as_written():
    """End to end: the review's 4 KB calls="{{ ... attribute (112 s before) is a literal limit."""
    from tests.checks.helpers import run_check

    items = _hardened_apim()
    policy = next(r for r in items if r["id"].endswith("products/voice-agent/policies/policy"))
    calls = "{{ " + " " * 4096 + "x"
    policy["properties"]["value"] = policy["properties"]["value"].replace('"{{rate-limit-calls}}"', f'"{calls}"')
    assert calls in policy["properties"]["value"]
    findings = {f.resource_name: f for f in run_check("apim.rate-limit", items)}
    assert findings["openai"].status.value == "pass"


#: Messages that show a resolved named value (`{{name}} = value`) pass one more regex in the scrubber.
RESOLVED_NAMED_VALUE_ATTACKS: dict[str, Callable[[int], str]] = {
    "unclosed names of the longest length": lambda n: ("{{" + "a" * 254) * (n // 256) + "}} = x",
    "repeated {{": lambda n: "{{" * (n // 2),
    "repeated }} = ": lambda n: "}} = " * (n // 5),
    "repeated shown values": lambda n: "{{a}} = b " * (n // 10),
    "one long value": lambda n: "{{a}} = " + "b" * n,
}


@pytest.mark.parametrize("attack", sorted(RESOLVED_NAMED_VALUE_ATTACKS))
def test_withholding_resolved_named_values_is_linear(attack):
    from auditor.secrets import withhold_resolved_named_values

    make = RESOLVED_NAMED_VALUE_ATTACKS[attack]
    assert growth(make, lambda text: withhold_resolved_named_values(text, SUB)) < LINEAR
