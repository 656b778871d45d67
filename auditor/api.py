"""What a check author imports: the `@check` decorator, the resource view and the verdict helpers.

A check is a plain function with metadata attached; nothing is registered at import time.
Discovery (auditor.registry) finds decorated functions in the modules it loads.
"""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=4096)
def _split_path(path: str) -> tuple[str | int, ...]:
    """'properties.rules[0].name' -> ('properties', 'rules', 0, 'name'); checks read a few hundred
    distinct paths, each of them hundreds of thousands of times in a large audit."""
    parts: list[str | int] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return tuple(parts)


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__
    )


class Resource:
    """A read-only view of one ARM resource that remembers every path a check reads.

    `item_views` gives views of the objects in an array (a container, a listener); a view reads
    with the same rules and records its paths in full (`properties.template.containers[0].env`)."""

    __slots__ = ("prefix", "raw", "reads")

    def __init__(self, raw: Mapping[str, Any], reads: list[Observation] | None = None, prefix: str = "") -> None:
        self.raw = raw
        self.reads: list[Observation] = [] if reads is None else reads
        self.prefix = prefix

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

    def _full(self, path: str) -> str:
        if not self.prefix or not path:
            return path or self.prefix
        return f"{self.prefix}{path}" if path.startswith("[") else f"{self.prefix}.{path}"

    def _resolve(self, path: str) -> tuple[Any, str | None]:
        """(the value at path or _MISSING, the nearest absent ancestor of path or None).

        The ancestor is None when the value's parent exists as an object (or array): only then
        does an absent value mean what ARM means by leaving a property out. Raises DataError when
        the path crosses a value that is neither."""
        node: Any = self.raw
        parts = _split_path(path)
        last = len(parts) - 1
        for depth, part in enumerate(parts):
            if node is None:
                return _MISSING, self._full(_join_parts(parts, depth))
            if type(part) is int:
                if not isinstance(node, list):
                    where = self._full(_join_parts(parts, depth)) or "resource"
                    raise DataError(f"{where} is {_type_name(node)}, expected array")
                if part >= len(node):
                    return _MISSING, None if depth == last else self._full(_join_parts(parts, depth + 1))
                node = node[part]
                continue
            # dict first: the ABC check of Mapping costs more than every other step of a read
            if type(node) is not dict and not isinstance(node, Mapping):
                where = self._full(_join_parts(parts, depth)) or "resource"
                raise DataError(f"{where} is {_type_name(node)}, expected object")
            if part in node:
                node = node[part]
                continue
            # ARM property names are case-insensitive; producers differ (DisableLocalAuth vs disableLocalAuth)
            wanted = part.lower()
            for key in node:
                if type(key) is str and key.lower() == wanted:
                    node = node[key]
                    break
            else:
                return _MISSING, None if depth == last else self._full(_join_parts(parts, depth + 1))
        return (_MISSING, None) if node is None else (node, None)

    def lookup(self, path: str) -> Any:
        """The value at path, or _MISSING; raises DataError when the path crosses a non-container."""
        return self._resolve(path)[0]

    def get(
        self,
        path: str,
        default: Any = _MISSING,
        *,
        expect: type | tuple[type, ...] | None = None,
        sensitive: bool = False,
        parent_optional: str | None = None,
        record: bool = True,
    ) -> Any:
        """Read a value. Absent (or null): ARM's `default` when given and the value's parent object
        exists, else DataError: a default stands for a property ARM left out of an object it
        returned, never for an object that is not there. `parent_optional` names the ancestor from
        which on ARM documents leaving objects out as a whole (the vnetConfiguration of an environment
        outside any VNet): their absence also means the default, as long as its own parent exists.
        Present with a type other than `expect`: DataError, so that odd shapes never pass.
        `record=False` keeps the read out of the evidence (one of many items a check sums up in a note)."""
        value, absent_parent = self._resolve(path)
        full = self._full(path)
        if value is _MISSING:
            if parent_optional is not None and _within(absent_parent, self._full(parent_optional)):
                absent_parent = None
            if absent_parent is not None:
                raise DataError(f"{absent_parent} is not in the snapshot (needed for {full})")
            if default is _MISSING:
                raise DataError(f"{full} is not in the snapshot")
            if record:
                self.reads.append(Observation(full, default, default_applied=True))
            return default
        if expect is not None and not _is_instance(value, expect):
            raise DataError(f"{full} is {_type_name(value)}, expected {_expected_names(expect)}")
        if record:
            self.reads.append(Observation(full, "<redacted>" if sensitive else value))
        return value

    def item_views(self, path: str, *, required: bool = False, parent_optional: str | None = None) -> list[Resource]:
        """Views of the objects in the array at path. Absent: ARM's empty array when the parent
        exists, unless `required` (then absent or empty is a DataError). Any item that is not an
        object is a DataError. The items are not recorded as evidence, since they may hold
        values; read what matters through the views. `parent_optional` as for `get`."""
        value, absent_parent = self._resolve(path)
        full = self._full(path)
        if value is _MISSING:
            if parent_optional is not None and _within(absent_parent, self._full(parent_optional)):
                absent_parent = None
            if absent_parent is not None:
                raise DataError(f"{absent_parent} is not in the snapshot (needed for {full})")
            if required:
                raise DataError(f"{full} is not in the snapshot")
            value = []
        if required and value == []:
            raise DataError(f"{full} is empty")
        if not isinstance(value, list):
            raise DataError(f"{full} is {_type_name(value)}, expected array")
        views = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise DataError(f"{full}[{index}] is {_type_name(item)}, expected object")
            views.append(Resource(item, self.reads, f"{full}[{index}]"))
        return views

    def has(self, path: str) -> bool:
        return self.lookup(path) is not _MISSING

    def note(self, path: str, observed: Any) -> None:
        """Record an observation that was not a plain read (a count, a derived value)."""
        self.reads.append(Observation(self._full(path), observed))


def _within(path: str | None, ancestor: str) -> bool:
    return path is not None and (path == ancestor or path.startswith((f"{ancestor}.", f"{ancestor}[")))


def _join_parts(parts: tuple[str | int, ...], count: int) -> str:
    """The path of the first `count` parts: ('properties', 'rules', 0) -> 'properties.rules[0]'."""
    return ".".join(f"[{p}]" if type(p) is int else p for p in parts[:count]).replace(".[", "[")


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
