"""Waivers: failures a team has accepted, with a justification, an owner and an expiry date.

    [[waiver]]
    check = "network.*.public-access"          # a check id or glob
    resource = "/subscriptions/*/resourceGroups/rg-dev/*"   # an ARM id glob, or:
    tag = "env=dev"                            # a tag selector (name=value)
    justification = "Dev subscription, no customer data"
    owner = "platform@contoso.com"
    expires = 2027-01-31

A waived failure is reported as `waived` and does not count toward --fail-on. An expired waiver
stops applying and is listed as expired; a waiver that matches nothing is listed as unused.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from auditor.model import InputError

_KEYS = {"check", "resource", "tag", "justification", "owner", "expires", "allow-wildcard"}


def is_wildcard(check: str) -> bool:
    """A check pattern that waives every check ("*", "*.*"): allowed only with allow-wildcard."""
    return set(check) <= set("*?.")


@dataclass(frozen=True)
class Waiver:
    index: int
    line: int
    check: str
    resource: str | None
    tag: tuple[str, str] | None
    justification: str
    owner: str
    expires: date
    wildcard: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "wildcard": self.wildcard,
            "check": self.check,
            "resource": self.resource,
            "tag": f"{self.tag[0]}={self.tag[1]}" if self.tag else None,
            "justification": self.justification,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "line": self.line,
        }


def _table_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[waiver]]")]


def load(path: str) -> list[Waiver]:
    from auditor.config import read_toml

    document = read_toml(path)
    with open(path, encoding="utf-8") as handle:
        lines = _table_lines(handle.read())
    unknown = set(document) - {"waiver"}
    if unknown:
        raise InputError(path, f"unknown key {sorted(unknown)[0]!r} (expected [[waiver]] tables)")
    entries = document.get("waiver", [])
    if not isinstance(entries, list):
        raise InputError(path, "'waiver' must be an array of tables ([[waiver]])")
    out = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else 0
        where = f"line {line}, waiver {index + 1}"

        def fail(field: str, problem: str, where: str = where) -> InputError:
            return InputError(path, f"{field}: {problem}", where)

        if not isinstance(entry, dict):
            raise fail("waiver", "must be a table")
        extra = set(entry) - _KEYS
        if extra:
            raise fail(sorted(extra)[0], "unknown field")
        for field in ("check", "justification", "expires"):
            if field not in entry:
                raise fail(field, "is required")
        for field in ("check", "justification", "owner", "resource", "tag"):
            if field in entry and (not isinstance(entry[field], str) or not entry[field].strip()):
                raise fail(field, "must be a non-empty string")
        if not isinstance(entry["expires"], date) or isinstance(entry["expires"], datetime):
            raise fail("expires", "must be a TOML date such as 2027-01-31 (not a date-time)")
        allow_wildcard = entry.get("allow-wildcard", False)
        if not isinstance(allow_wildcard, bool):
            raise fail("allow-wildcard", "must be true or false")
        if is_wildcard(entry["check"]) and not allow_wildcard:
            raise fail("check", f"{entry['check']!r} waives every check; add allow-wildcard = true to mean it")
        if "resource" not in entry and "tag" not in entry:
            raise fail("resource", "give a resource id glob or a tag selector")
        tag = None
        if "tag" in entry:
            name, sep, value = entry["tag"].partition("=")
            if not sep or not name.strip():
                raise fail("tag", "must look like name=value")
            if not value.strip():  # "" would match every resource that lacks the tag
                raise fail("tag", "the value after '=' is empty")
            tag = (name.strip(), value.strip())
        out.append(
            Waiver(
                index,
                line,
                entry["check"],
                entry.get("resource"),
                tag,
                entry["justification"].strip(),
                entry.get("owner", ""),
                entry["expires"],
                is_wildcard(entry["check"]),
            )
        )
    return out


def _matches(waiver: Waiver, finding: Mapping[str, Any], tags_of: Callable[[str], Mapping[str, Any]]) -> bool:
    if not fnmatch.fnmatchcase(finding["checkId"], waiver.check):
        return False
    if waiver.resource and not fnmatch.fnmatchcase(finding["resourceId"].lower(), waiver.resource.lower()):
        return False
    if waiver.tag:
        tags = {str(k).lower(): v for k, v in (tags_of(finding["resourceId"]) or {}).items()}
        if str(tags.get(waiver.tag[0].lower(), "")) != waiver.tag[1]:
            return False
    return True


def apply(
    findings: list[dict[str, Any]],
    waivers: list[Waiver],
    today: date,
    tags_of: Callable[[str], Mapping[str, Any]],
    source: str,
) -> dict[str, Any]:
    """Mark waived failures in place; return the report's waivers section."""
    active = [w for w in waivers if w.expires >= today]
    expired = [w for w in waivers if w.expires < today]
    used: set[int] = set()
    applied = 0
    for finding in findings:
        if finding["status"] != "fail":
            continue
        waiver = next((w for w in active if _matches(w, finding, tags_of)), None)
        if waiver is None:
            continue
        used.add(waiver.index)
        finding["status"] = "waived"
        finding["waiver"] = waiver.describe()
        applied += 1
    return {
        "file": source,
        "applied": applied,
        "expired": [w.describe() for w in expired],
        "unused": [w.describe() for w in active if w.index not in used],
        "wildcard": [w.describe() for w in waivers if w.wildcard],
    }
