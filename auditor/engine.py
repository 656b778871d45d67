"""Runs checks over an inventory and turns what they return into findings.

The rules that keep a green report honest live here, once, instead of in every check:
- a type that was not collected for a scope gives `not_assessed` with the reason;
- data that is absent or of an unexpected shape (DataError) gives `not_assessed`;
- a check that raises gives `error`, and the run goes on;
- anything else a check returns that is not a Verdict is the check's bug: `error`.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.api import DataError, Resource, resource_group_of, subscription_of
from auditor.inventory import Context, Inventory
from auditor.model import ODD_DATA_ERRORS, Check, Finding, Severity, Status, Verdict
from auditor.secrets import scrub_verdict

SUBSCRIPTION_TYPE = "Microsoft.Resources/subscriptions"


@dataclass
class RunOptions:
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # check id -> overrides
    severities: Mapping[str, Severity] = field(default_factory=dict)  # check id -> override


def fingerprint(check_id: str, resource_id: str) -> str:
    """Stable across runs and case changes in ARM ids: used by SARIF, baselines and waivers."""
    return hashlib.sha256(f"{check_id}|{resource_id.lower().rstrip('/')}".encode()).hexdigest()[:32]


def effective_params(check: Check, overrides: Mapping[str, Any]) -> dict[str, Any]:
    params = {name: p.default for name, p in check.meta.params.items()}
    params.update(overrides)
    return params


def run(checks: Iterable[Check], inventory: Inventory, options: RunOptions | None = None) -> list[Finding]:
    options = options or RunOptions()
    findings: list[Finding] = []
    subscriptions = inventory.subscriptions()
    # Sorted by check id, then resource id (case-insensitive), one check id at a time: sorting all
    # findings at once would hold a lower-cased id per finding of a large audit together.
    for _, same_id in itertools.groupby(sorted(checks, key=lambda c: c.meta.id), key=lambda c: c.meta.id):
        judged: list[Finding] = []
        for chk in same_id:
            params = effective_params(chk, options.params.get(chk.meta.id, {}))
            severity = options.severities.get(chk.meta.id, chk.meta.severity)
            for sub in subscriptions:
                ctx = Context(inventory, sub, params)
                for resource_id, raw_type, name, verdict in _judge_scope(chk, inventory, sub, ctx):
                    judged.append(_finding(chk, severity, resource_id, raw_type, name, verdict))
        judged.sort(key=lambda f: f.resource_id.lower())
        findings.extend(judged)
    return findings


def _judge_scope(chk: Check, inventory: Inventory, sub: str, ctx: Context) -> Iterable[tuple[str, str, str, Verdict]]:
    sub_id = f"/subscriptions/{sub}"
    sub_name = inventory.subscription_name(sub)
    if chk.meta.scope == "subscription":
        target = Resource({"id": sub_id, "type": SUBSCRIPTION_TYPE, "name": sub_name})
        yield sub_id, SUBSCRIPTION_TYPE, sub_name, _call(chk, target, ctx)
        return
    judged_any = False
    gaps: list[str] = []
    for rtype in chk.meta.types:
        reason = inventory.gap(rtype, sub)
        if reason is not None:
            gaps.append(reason)
        for raw in inventory.of_type(rtype, sub):
            judged_any = True
            target = Resource(raw)
            yield target.id, target.type, target.name, _call(chk, target, ctx)
    if gaps:
        # Even when some resources were read, others (a failed resource group, a page that
        # errored) may be missing: judging only the visible ones would let the scope pass.
        # One finding per scope, so that its fingerprint stays unique.
        yield sub_id, SUBSCRIPTION_TYPE, sub_name, Verdict(Status.NOT_ASSESSED, "; ".join(gaps))
    elif not judged_any:
        names = ", ".join(chk.meta.types)
        status = chk.meta.when_absent
        message = f"no {names} in this subscription" if status is Status.NOT_APPLICABLE else f"no {names} exists"
        yield sub_id, SUBSCRIPTION_TYPE, sub_name, Verdict(status, message)


def _call(chk: Check, target: Resource, ctx: Context) -> Verdict:
    try:
        verdict = chk.fn(target, ctx)
    except DataError as exc:
        verdict = Verdict(Status.NOT_ASSESSED, str(exc), tuple(target.reads))
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        raised = f"the check raised {type(exc).__name__}: {exc} at {where}"
        odd = _odd_data(exc, target)
        if odd is not None:
            return Verdict(Status.NOT_ASSESSED, f"{odd}; {raised}", tuple(target.reads))
        return Verdict(Status.ERROR, raised)
    else:
        if not isinstance(verdict, Verdict):
            return Verdict(Status.ERROR, f"the check returned {type(verdict).__name__}, not a Verdict")
    observations = verdict.observations or tuple(target.reads)
    return Verdict(verdict.status, verdict.message, observations, verdict.expected)


def _odd_data(exc: Exception, target: Resource) -> str | None:
    """A not_assessed reason naming the last path the check read, when the exception looks like
    odd data met after reading; None for anything else, which stays an `error` (a check's bug)."""
    if not isinstance(exc, ODD_DATA_ERRORS) or not target.reads:
        return None
    return f"unexpected data shape at or after {target.reads[-1].path}"


def _finding(chk: Check, severity: Severity, resource_id: str, rtype: str, name: str, verdict: Verdict) -> Finding:
    # A large audit holds hundreds of thousands of findings until the report is built: the
    # strings that repeat across them (subscription, resource group) are shared, not copied into each.
    subscription = _shared(subscription_of(resource_id))
    # Every string a renderer will see (message, observations, expected) passes the one scrubber.
    evidence = scrub_verdict(verdict, subscription)
    return Finding(
        check_id=chk.meta.id,
        status=verdict.status,
        severity=severity,
        resource_id=resource_id,
        resource_name=name,
        resource_type=rtype,
        subscription_id=subscription,
        resource_group=_shared(resource_group_of(resource_id)),
        evidence_parts=evidence,
        fingerprint=fingerprint(chk.meta.id, resource_id),
    )


def _shared(text: str) -> str:
    return sys.intern(text) if type(text) is str else text
