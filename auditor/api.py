"""What a check author imports: the `@check` decorator, the resource view and the verdict helpers.

A check is a plain function with metadata attached; nothing is registered at import time.
Discovery (auditor.registry) finds decorated functions in the modules it loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from auditor.model import (
    Area,
    Observation,
    Param,
    Remediation,
    Severity,
    Status,
    Verdict,
)

__all__ = [
    "Area",
    "DataError",
    "Param",
    "Remediation",
    "Resource",
    "Severity",
    "Status",
    "Verdict",
    "check",
    "failed",
    "not_applicable",
    "not_assessed",
    "passed",
]

CHECK_ATTRIBUTE = "__golive_check__"
_MISSING: Any = object()
F = TypeVar("F", bound=Callable[..., Any])


class DataError(Exception):
    """The data a check needs is absent or of an unexpected shape. The engine records `not_assessed`."""


def check(
    *,
    id: str,
    title: str,
    severity: Severity | str,
    area: Area | str,
    checklist: str,
    types: Iterable[str],
    rationale: str,
    remediation: Remediation,
    refs: Iterable[str] = (),
    params: Mapping[str, Param] | None = None,
    reads: Iterable[str] = (),
    scope: str = "resource",
    when_absent: Status | str = Status.NOT_APPLICABLE,
) -> Callable[[F], F]:
    """Attach check metadata to a function. Validation happens at discovery, so that one bad
    plugin is reported by name instead of breaking the import of every other check."""

    def attach(fn: F) -> F:
        setattr(
            fn,
            CHECK_ATTRIBUTE,
            dict(
                id=id,
                title=title,
                severity=severity,
                area=area,
                checklist=checklist,
                types=types,
                rationale=rationale,
                remediation=remediation,
                refs=refs,
                params=params or {},
                reads=reads,
                scope=scope,
                when_absent=when_absent,
            ),
        )
        return fn

    return attach


def _split_path(path: str) -> list[str | int]:
    """'properties.rules[0].name' -> ['properties', 'rules', 0, 'name']."""
    parts: list[str | int] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return parts


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__
    )


class Resource:
    """A read-only view of one ARM resource that remembers every path a check reads."""

    __slots__ = ("raw", "reads")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.reads: list[Observation] = []

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def name(self) -> str:
        name = self.raw.get("name")
        return name if isinstance(name, str) else self.id.rsplit("/", 1)[-1]

    @property
    def type(self) -> str:
        return str(self.raw["type"])

    @property
    def subscription_id(self) -> str:
        return subscription_of(self.id)

    @property
    def resource_group(self) -> str:
        return resource_group_of(self.id)

    def lookup(self, path: str) -> Any:
        """The value at path, or _MISSING; raises DataError when the path crosses a non-container."""
        node: Any = self.raw
        walked: list[str] = []
        for part in _split_path(path):
            if node is None:
                return _MISSING
            if isinstance(part, int):
                if not isinstance(node, list):
                    raise DataError(f"{'.'.join(walked) or 'resource'} is {_type_name(node)}, expected array")
                if part >= len(node):
                    return _MISSING
                node = node[part]
                walked.append(f"[{part}]")
                continue
            if not isinstance(node, Mapping):
                raise DataError(f"{'.'.join(walked) or 'resource'} is {_type_name(node)}, expected object")
            if part in node:
                node = node[part]
            else:
                # ARM property names are case-insensitive; producers differ (DisableLocalAuth vs disableLocalAuth)
                wanted = part.lower()
                key = next((k for k in node if isinstance(k, str) and k.lower() == wanted), None)
                if key is None:
                    return _MISSING
                node = node[key]
            walked.append(part)
        return _MISSING if node is None else node

    def get(
        self,
        path: str,
        default: Any = _MISSING,
        *,
        expect: type | tuple[type, ...] | None = None,
        sensitive: bool = False,
    ) -> Any:
        """Read a value. Absent (or null): ARM's `default` when given, else DataError.
        Present with a type other than `expect`: DataError, so that odd shapes never pass."""
        value = self.lookup(path)
        if value is _MISSING:
            if default is _MISSING:
                raise DataError(f"{path} is not in the snapshot")
            self.reads.append(Observation(path, default, default_applied=True))
            return default
        if expect is not None and not _is_instance(value, expect):
            raise DataError(f"{path} is {_type_name(value)}, expected {_expected_names(expect)}")
        self.reads.append(Observation(path, "<redacted>" if sensitive else value))
        return value

    def has(self, path: str) -> bool:
        return self.lookup(path) is not _MISSING

    def note(self, path: str, observed: Any) -> None:
        """Record an observation that was not a plain read (a count, a derived value)."""
        self.reads.append(Observation(path, observed))


def _is_instance(value: Any, expect: type | tuple[type, ...]) -> bool:
    expected = expect if isinstance(expect, tuple) else (expect,)
    if isinstance(value, bool) and bool not in expected:
        return False  # JSON true is not a number
    if float in expected and isinstance(value, int):
        return True
    return isinstance(value, expected)


def _expected_names(expect: type | tuple[type, ...]) -> str:
    expected = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(
        {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
            t, t.__name__
        )
        for t in expected
    )


def subscription_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[2].lower() if len(parts) > 2 and parts[1].lower() == "subscriptions" else ""


def resource_group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[4] if len(parts) > 4 and parts[3].lower() == "resourcegroups" else ""


def passed(message: str, *, expected: Any = None, observations: Iterable[Observation] = ()) -> Verdict:
    return Verdict(Status.PASS, message, tuple(observations), expected)


def failed(message: str, *, expected: Any = None, observations: Iterable[Observation] = ()) -> Verdict:
    return Verdict(Status.FAIL, message, tuple(observations), expected)


def not_applicable(message: str) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, message)


def not_assessed(message: str, *, observations: Iterable[Observation] = ()) -> Verdict:
    return Verdict(Status.NOT_ASSESSED, message, tuple(observations))


def flag(res: Resource, path: str, *, default: bool, want: bool = True, what: str) -> Verdict:
    """A boolean property that must equal `want`; `default` is ARM's value when it is absent."""
    value = res.get(path, default=default, expect=bool)
    state = f"{what} is {'on' if value else 'off'}"
    return passed(state, expected=want) if value == want else failed(state, expected=want)


def at_least(value: float, minimum: float, what: str) -> Verdict:
    if value >= minimum:
        return passed(f"{what} is {value}, at least {minimum}", expected=f">= {minimum}")
    return failed(f"{what} is {value}, below {minimum}", expected=f">= {minimum}")
