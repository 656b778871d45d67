"""The compound exposure (see checks/_compound.py): a data or AI service that anyone on the
internet can reach and that accepts keys is one critical finding naming both facts."""

from __future__ import annotations

from collections.abc import Callable

from auditor.checks._compound import COMPOUND_KEYS, compound_id
from auditor.checks.identity import accepts_keys
from auditor.checks.network import PRIVATE_ENDPOINT, SERVICES_BY_KEY, Service, public_access_verdict

from auditor.api import Area, Remediation, Resource, Severity, Status, Verdict, check, failed, passed
from auditor.inventory import Context


def _compound_check(service: Service) -> Callable[[Resource, Context], Verdict]:
    @check(
        id=compound_id(service.key),
        title=f"{service.label} is not both reachable from the internet and open to keys",
        severity=Severity.CRITICAL,
        area=Area.NETWORK,
        checklist="private-endpoints",
        types=[service.rtype],
        reads=[t for t in (service.rule_set, service.firewall_rules) if t] + list(service.reads) + [PRIVATE_ENDPOINT],
        rationale=(
            f"A {service.label} that answers the internet and accepts keys or passwords lets anyone who holds one "
            "leaked key read or change its data from anywhere: no network boundary and no identity stand in the "
            "way. Either control alone would stop that; this finding names both facts."
        ),
        remediation=Remediation(
            text=f"Close the {service.label}'s public endpoint (private endpoint) and turn key authentication off; "
            "either one ends the critical exposure.",
            az=service.az_disable,
            bicep=service.bicep,
        ),
        refs=[service.ref, "https://learn.microsoft.com/azure/security/fundamentals/network-best-practices"],
    )
    def public_with_keys(res: Resource, ctx: Context) -> Verdict:
        public = public_access_verdict(res, service, ctx)
        keys = accepts_keys(res, service.key)
        keys_accepted = keys is None or keys.status is Status.FAIL
        if public.status is Status.FAIL and keys_accepted:
            why = keys.message if keys is not None else "its API accepts only keys"
            return failed(
                f"reachable from the internet ({public.message}) and accepting keys ({why})",
                expected="a closed public endpoint, or key authentication off",
            )
        closed = [] if public.status is Status.FAIL else [public.message]
        closed += [] if keys_accepted else [keys.message if keys is not None else ""]
        return passed(f"not both: {'; '.join(m for m in closed if m)}", expected="not both")

    public_with_keys.__name__ = f"public_with_keys_{service.key.replace('-', '_')}"
    return public_with_keys


CHECKS = [_compound_check(SERVICES_BY_KEY[key]) for key in COMPOUND_KEYS]
