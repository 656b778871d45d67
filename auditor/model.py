"""The vocabulary shared by checks, the engine and the reports: plain frozen values."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe, so that `max()` and sorting read naturally."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity {text!r} (expected one of {', '.join(s.value for s in cls)})") from None


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Area(str, Enum):
    """The sections of the production guide that a check serves."""

    NETWORK = "network"
    IDENTITY = "identity"
    GATEWAY = "gateway"
    AI = "ai"
    SCALABILITY = "scalability"
    OBSERVABILITY = "observability"
    COST = "cost"

    @property
    def title(self) -> str:
        return _AREA_TITLES[self]


_AREA_TITLES = {
    Area.NETWORK: "Network perimeter",
    Area.IDENTITY: "Identity and secrets",
    Area.GATEWAY: "API gateway",
    Area.AI: "AI models and safety",
    Area.SCALABILITY: "Scalability and resilience",
    Area.OBSERVABILITY: "Observability",
    Area.COST: "Cost",
}


class Status(str, Enum):
    """The verdict of one check on one resource (or scope)."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"
    ERROR = "error"
    MANUAL = "manual"
    WAIVED = "waived"


@dataclass(frozen=True, slots=True)
class Observation:
    """One value a check read: where, what it was, and whether ARM's default stood in for it."""

    path: str
    observed: Any
    default_applied: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "observed": self.observed}
        if self.default_applied:
            out["defaultApplied"] = True
        return out


@dataclass(frozen=True)
class Verdict:
    """What a check function returns. The engine adds the check and resource around it."""

    status: Status
    message: str
    observations: tuple[Observation, ...] = ()
    expected: Any = None
    resource_id: str | None = None  # set only when a check judges a resource other than its input

    def to_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message": self.message,
            "observations": [o.to_dict() for o in self.observations],
        }
        if self.expected is not None:
            out["expected"] = self.expected
        return out


@dataclass(frozen=True)
class Remediation:
    text: str
    az: str = ""
    bicep: str = ""


@dataclass(frozen=True)
class Param:
    """A configurable threshold of a check, with the default the guide gives. A number set in the
    configuration must be at least `minimum` (0 unless given: counts and thresholds are never
    negative)."""

    default: Any
    description: str
    minimum: float | None = None


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    severity: Severity
    area: Area
    checklist: str
    types: tuple[str, ...]
    rationale: str
    remediation: Remediation
    refs: tuple[str, ...] = ()
    params: Mapping[str, Param] = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    scope: str = "resource"  # "resource": called per resource of `types`; "subscription": once per subscription
    when_absent: Status = Status.NOT_APPLICABLE
    source: str = "builtin"

    @property
    def needs(self) -> tuple[str, ...]:
        """Every resource type whose collection this check depends on."""
        return tuple(dict.fromkeys((*self.types, *self.reads)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "area": self.area.value,
            "checklist": self.checklist,
            "types": list(self.types),
            "reads": list(self.reads),
            "scope": self.scope,
            "whenAbsent": self.when_absent.value,
            "rationale": self.rationale,
            "remediation": {
                "text": self.remediation.text,
                "az": self.remediation.az,
                "bicep": self.remediation.bicep,
            },
            "refs": list(self.refs),
            "params": {name: {"default": p.default, "description": p.description} for name, p in self.params.items()},
            "source": self.source,
        }


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    fn: Callable[..., Any]


class Evidence(Mapping[str, Any]):
    """A finding's evidence as its (scrubbed) parts, read as the mapping the report holds:
    {"message", "observations": [observation dicts], "expected" when set}. A large audit keeps
    hundreds of thousands of these until the report is built; parts in slots take a third of the
    memory the same evidence takes as nested dicts."""

    __slots__ = ("expected", "message", "observations")

    def __init__(self, message: Any, observations: tuple[Observation, ...] = (), expected: Any = None) -> None:
        self.message = message
        self.observations = observations
        self.expected = expected

    def __getitem__(self, key: str) -> Any:
        if key == "message":
            return self.message
        if key == "observations":
            return [o.to_dict() for o in self.observations]
        if key == "expected" and self.expected is not None:
            return self.expected
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield "message"
        yield "observations"
        if self.expected is not None:
            yield "expected"

    def __len__(self) -> int:
        return 2 if self.expected is None else 3

    def __repr__(self) -> str:
        return f"Evidence({dict(self)!r})"


#: The `extra` of a finding that has none: one shared read-only mapping, not an empty dict each.
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def _no_extra() -> Mapping[str, Any]:
    return NO_EXTRA


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    status: Status
    severity: Severity
    resource_id: str
    resource_name: str
    resource_type: str
    subscription_id: str
    resource_group: str
    #: The scrubbed evidence, kept as parts (an Evidence) until it is read: see `evidence`.
    evidence_parts: Mapping[str, Any]
    fingerprint: str
    extra: Mapping[str, Any] = field(default_factory=_no_extra)

    @property
    def evidence(self) -> dict[str, Any]:
        """The evidence as the report holds it: {"message", "observations", "expected" when set}."""
        return dict(self.evidence_parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checkId": self.check_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "resourceId": self.resource_id,
            "resourceName": self.resource_name,
            "resourceType": self.resource_type,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "evidence": dict(self.evidence_parts),
            "fingerprint": self.fingerprint,
        }
        out.update(self.extra)
        return out


class InputError(Exception):
    """Unreadable input: a file that is missing, malformed or of the wrong shape. The CLI exits 2."""

    def __init__(self, source: str, problem: str, where: str | None = None) -> None:
        self.source = source
        self.problem = problem
        self.where = where
        super().__init__(self.one_line())

    def one_line(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"{self.source}{place}: {self.problem}"


#: What code raises when data has a shape it did not foresee (a string where it indexes an object,
#: an unhashable name): the data's fault as much as the code's, and never a pass.
ODD_DATA_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)
