"""The odd-data sweep: delete or retype one property path of one resource, audit again, and compare.

Missing or odd data must never pass and never make a check raise. Each mutation of a fixture is
audited with every built-in check; a finding that passes where the untouched fixture did not pass,
a pass that survives the retyping of a value it recorded reading, or any `error`, is a hole. The
exceptions are properties whose absence means a documented ARM default that is the passing value
(ALLOWED_DEFAULTS, each with its source).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor import engine, snapshot
from auditor.inventory import Inventory
from auditor.model import Check, InputError
from auditor.registry import discover
from tests.conftest import FIXTURES

FIXTURE_NAMES = ("demo", "hardened")
#: One value of each JSON type; a retype swaps a value for each of those of another type.
RETYPES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 0,
    "string": "odd",
    "array": [],
    "object": {},
}

#: (check id, path pattern of the deleted property, source): a property whose absence (or null)
#: means Azure's documented default, and that default is the value that passes. Patterns are regular
#: expressions over the swept path (`properties.x[0].y`).
ACA_SPEC = (
    "azure-rest-api-specs specification/app/resource-manager/Microsoft.App/stable/2024-03-01/"
    "CommonDefinitions.json"
)
ALLOWED_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    (
        "aca.ingress-not-public",
        r"properties\.configuration\.ingress",
        f"{ACA_SPEC}: Configuration.ingress is optional; an app with ingress disabled has none "
        "(https://learn.microsoft.com/azure/container-apps/ingress-overview)",
    ),
    (
        "aca.ingress-not-public",
        r"properties\.configuration\.ingress\.external",
        f'{ACA_SPEC}: Ingress.external "default": false (visible inside the environment only)',
    ),
    (
        "aca.ingress-https-only",
        r"properties\.configuration\.ingress(\.allowInsecure)?",
        f'{ACA_SPEC}: Ingress.allowInsecure "default": false; no ingress, no HTTP endpoint',
    ),
    (
        "identity.acr.local-auth-disabled",
        r"properties\.adminUserEnabled",
        "azure-rest-api-specs Microsoft.ContainerRegistry RegistryProperties.adminUserEnabled "
        '"default": false ("This value is false by default")',
    ),
    (
        "secrets.aca-env-plaintext",
        r"properties\.template\.(init)?[cC]ontainers\[\d+\]\.env",
        f"{ACA_SPEC}: Container.env is optional; a container with no variables has none",
    ),
    (
        "secrets.aca-secrets-in-keyvault",
        r"properties\.configuration\.secrets",
        f"{ACA_SPEC}: Configuration.secrets is optional; an app with no secrets has none",
    ),
    (
        "secrets.aca-registry-password",
        r"properties\.configuration\.registries",
        f"{ACA_SPEC}: Configuration.registries is optional; an app pulling public images has none",
    ),
)


@dataclass(frozen=True)
class Mutation:
    fixture: str
    index: int  # which resource
    path: tuple[str | int, ...]
    kind: str  # "delete" or "retype:<json type>"

    @property
    def dotted(self) -> str:
        return dotted(self.path)

    def describe(self, resource_id: str) -> str:
        return f"{self.fixture}: {self.kind} {self.dotted} of {resource_id}"


@dataclass(frozen=True)
class Hole:
    mutation: str
    check_id: str
    resource_id: str
    before: str
    after: str
    message: str


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _at(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


class Sweep:
    """One fixture, loaded and audited once; `holes(mutation)` audits one mutation of it."""

    def __init__(self, fixture: str, checks: list[Check] | None = None) -> None:
        self.fixture = fixture
        self.checks = checks if checks is not None else discover(entry_points=False).checks
        self.snap = snapshot.load(FIXTURES / f"{fixture}.json")
        self.before = self._statuses(self.snap)

    def _statuses(self, snap: snapshot.Snapshot) -> dict[tuple[str, str], tuple[str, str]]:
        findings = engine.run(self.checks, Inventory(snap), engine.RunOptions())
        if not hasattr(self, "read_paths"):  # the untouched fixture: what each pass was judged on
            self.read_paths = {
                (f.check_id, f.resource_id.lower()): {
                    o["path"].lower() for o in f.evidence.get("observations", []) if not o.get("defaultApplied")
                }
                for f in findings
                if f.status.value == "pass"
            }
        return {(f.check_id, f.resource_id.lower()): (f.status.value, f.evidence.get("message", "")) for f in findings}

    def mutations(self) -> Iterator[Mutation]:
        for index, raw in enumerate(self.snap.resources):
            for path in _paths(raw):
                if path[0] in ("id", "type"):
                    continue  # the resource's identity: a different resource, not odd data in one
                if isinstance(path[-1], str):  # an array item is no property: without it, another deployment
                    yield Mutation(self.fixture, index, path, "delete")
                original = json_type(_at(raw, path))
                for name in RETYPES:
                    if name != original:
                        yield Mutation(self.fixture, index, path, f"retype:{name}")

    def mutate(self, mutation: Mutation) -> list[dict[str, Any]]:
        resources = list(self.snap.resources)
        raw = copy.deepcopy(resources[mutation.index])
        parent = _at(raw, mutation.path[:-1])
        last = mutation.path[-1]
        if mutation.kind == "delete":
            del parent[last]
        else:
            parent[last] = copy.deepcopy(RETYPES[mutation.kind.split(":", 1)[1]])
        resources[mutation.index] = raw
        return resources

    def holes(self, mutation: Mutation) -> list[Hole]:
        resources = self.mutate(mutation)
        resource_id = self.snap.resources[mutation.index]["id"]
        document = self.snap.to_document() | {"resources": resources}
        try:
            mutated = snapshot.from_document(document, f"{self.fixture} mutated")
        except InputError:
            return []  # rejected as bad input: a clear error, never a pass
        after = self._statuses(mutated)
        where = mutation.describe(resource_id)
        holes = []
        for key, (status, message) in after.items():
            before = self.before.get(key, ("absent", ""))[0]
            new_pass = status == "pass" and before != "pass"
            # The engine's safety net turns a raise after a read into not_assessed; a built-in
            # check must not need it, so that its reason names the path it could not read.
            raised = status == "not_assessed" and "the check raised" in message
            # A pass judged on a value that now has another type: it cannot have looked at it.
            kept_pass = status == "pass" and key[1] == resource_id.lower() and self._read_retyped(key, mutation)
            if status == "error" or raised or kept_pass or (new_pass and not allowed(key[0], mutation)):
                holes.append(Hole(where, key[0], key[1], before, status, message))
        return holes


    def _read_retyped(self, key: tuple[str, str], mutation: Mutation) -> bool:
        if not mutation.kind.startswith("retype:") or mutation.kind == "retype:null":
            return False  # null is ARM's absent: a documented default may stand in
        where = mutation.dotted.lower()
        return any(p == where or p.startswith((f"{where}.", f"{where}[")) for p in self.read_paths.get(key, ()))


def allowed(check_id: str, mutation: Mutation) -> bool:
    if mutation.kind not in ("delete", "retype:null"):  # ARM's null means absent
        return False
    return any(
        check == check_id and re.fullmatch(pattern, mutation.dotted) for check, pattern, _ in ALLOWED_DEFAULTS
    )
