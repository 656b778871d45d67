"""One reader for the IP rules of every service firewall: do the allowed ranges, together, admit
every address? A rule of 0.0.0.0/0, or ranges whose union is all of IPv4 (0.0.0.0/1 and
128.0.0.0/1, say), restrict nothing, whatever the firewall's default action says."""

from __future__ import annotations

import ipaddress

from auditor.api import DataError

IPV4_LAST = 2**32 - 1


def _interval(text: str) -> tuple[int, int] | None:
    """A rule as an inclusive IPv4 interval, or None for an IPv6 rule that is not ::/0 (which
    cannot cover IPv4). Accepts an address, a CIDR range, or a start-end pair."""
    value = text.strip()
    if "-" in value:
        start_text, _, end_text = value.partition("-")
        try:
            start, end = ipaddress.ip_address(start_text.strip()), ipaddress.ip_address(end_text.strip())
        except ValueError:
            raise DataError(f"IP rule {text!r} is not an address range") from None
        if start.version != 4 or end.version != 4:
            return None
        return int(start), int(end)
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise DataError(f"IP rule {text!r} is not an address or CIDR range") from None
    if network.version == 6:
        return (0, IPV4_LAST) if network.prefixlen == 0 else None
    return int(network.network_address), int(network.broadcast_address)


def admits_everyone(rules: list[str]) -> bool:
    """Whether the union of the allowed ranges covers every IPv4 address."""
    intervals = sorted(i for i in (_interval(r) for r in rules) if i is not None)
    reached = -1  # highest address covered so far, contiguously from 0.0.0.0
    for start, end in intervals:
        if start > reached + 1:
            return False
        reached = max(reached, end)
        if reached >= IPV4_LAST:
            return True
    return False


def rule_values(rules: object, key: str, where: str) -> list[str]:
    """The `key` string of each rule object in a list (for example ipRules[].value)."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise DataError(f"{where} is not an array")
    values = [rule.get(key) if isinstance(rule, dict) else None for rule in rules]
    if not all(isinstance(v, str) for v in values):
        raise DataError(f"{where}: an entry has no {key} string")
    return values  # type: ignore[return-value]
