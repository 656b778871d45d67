"""Prints how long each regex and parser that sees snapshot text takes on 50 KB of adversarial
input, against a 1 s budget (issue 11 §4).

    python benchmarks/bench_text_budgets.py [--size 50000] [--budget 1.0]

The inputs are tests/test_text_bounds.py's: the secret detector and scrubber on each pattern's
worst case, the APIM named-value reference (`calls="{{ ...`), policy XML with expressions,
the snapshot schema's id and type patterns, and policy fragments that include each other 20 and
30 times, five deep. The suite asserts the linear bound; this script gives the figures. Exit
status 1 when any input exceeds the budget.
(alerts.words() and the snapshot parser's memory are measured by their own benchmarks.)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.checks import _apim_policy  # noqa: E402
from auditor.checks.apim import NAMED_VALUE_REF  # noqa: E402

from auditor.api import DataError  # noqa: E402
from auditor.model import InputError  # noqa: E402
from auditor.secrets import detect, scrub, scrub_text, withhold_resolved_named_values  # noqa: E402
from auditor.snapshot import validate_document  # noqa: E402
from tests.test_text_bounds import RESOLVED_NAMED_VALUE_ATTACKS, SECRET_TEXT_ATTACKS, _fragments  # noqa: E402

SALT = "00000000-0000-0000-0000-000000000001"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    with contextlib.suppress(DataError):  # a clear not_assessed is an answer, reached in bounded time
        fn()
    return time.perf_counter() - start


def _validate(field: str, text: str) -> None:
    resource = {"id": "/subscriptions/s/resourceGroups/rg/providers/A.B/c/d", "name": "d", "type": "A.B/c", field: text}
    document = {
        "snapshotVersion": "1",
        "scope": {"subscriptions": [], "collectedAt": "", "tool": {"name": "t", "version": "0"}},
        "resources": [resource],
    }
    with contextlib.suppress(InputError):
        validate_document(document, "snapshot.schema.json", "bench")


def fan_out(breadth: int) -> Callable[[], object]:
    fragments = _fragments(breadth=breadth, depth=5)
    section = ET.fromstring('<inbound><include-fragment fragment-id="f0" /></inbound>')
    return lambda: _apim_policy.expand_fragments(section, fragments.get, "bench")


def cases(size: int) -> list[tuple[str, Callable[[], object]]]:
    out: list[tuple[str, Callable[[], object]]] = []
    for name, make in sorted(SECRET_TEXT_ATTACKS.items()):
        text = make(size)
        out.append((f"detect: {name}", lambda text=text: detect("APP_SECRET", text, SALT)))
        out.append((f"scrub_text: {name}", lambda text=text: scrub_text(text, SALT)))
    nested: object = {"name": "API_KEY", "value": "x"}
    for _ in range(size // 10):
        nested = [nested]
    out.append((f"scrub: {size // 10} levels of nesting", lambda: scrub(nested, SALT)))
    for name, make in sorted(RESOLVED_NAMED_VALUE_ATTACKS.items()):
        text = make(size)
        out.append((f"resolved named value: {name}", lambda text=text: withhold_resolved_named_values(text, SALT)))
    for name, text in [
        ("named value: {{ and spaces", "{{" + " " * size + "x"),
        ("named value: {{ and words", "{{ " + "a " * (size // 2)),
        ("named value: unclosed, spaced", "{{a" + " " * (size // 2) + "b" + " " * (size // 2)),
    ]:
        out.append((name, lambda text=text: NAMED_VALUE_REF.match(text)))
    for name, text in [
        ("policy: open parentheses", '<policies><inbound><value>@("' + "(" * size + '")</value></inbound></policies>'),
        ("policy: unclosed braces", "<policies><inbound>@{" + "{" * size + "</inbound></policies>"),
    ]:
        out.append((name, lambda text=text: _apim_policy.parse(text, "bench")))
    for name, field, text in [
        ("schema: type without a slash", "type", "a" * size + "!"),
        ("schema: type with a bad tail", "type", "Microsoft.Web/" + "a/" * (size // 2) + "!"),
        ("schema: id of slashes", "id", "/subscriptions/" + "/" * size),
    ]:
        out.append((name, lambda field=field, text=text: _validate(field, text)))
    out.append(("fragments: 5 deep, each included 20 times", fan_out(20)))
    out.append(("fragments: 5 deep, each included 30 times", fan_out(30)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000, help="characters of adversarial input")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed per input")
    args = parser.parse_args()
    over = 0
    print(f"{'input':62} {'seconds':>9}  budget {args.budget:g} s")
    for name, fn in cases(args.size):
        seconds = timed(fn)
        verdict = "ok" if seconds <= args.budget else "OVER"
        over += seconds > args.budget
        print(f"{name:62} {seconds:9.4f}  {verdict}")
    print(f"{over} input(s) over budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
