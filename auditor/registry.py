"""Finding checks: the built-in modules, the `golive.checks` entry-point group and --checks-dir.

Every source is loaded in isolation: a plugin that fails to import or declares bad metadata is
reported by name, and every other check still runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from auditor.api import CHECK_ATTRIBUTE
from auditor.model import Area, Check, CheckMeta, Param, Remediation, Severity, Status

ENTRY_POINT_GROUP = "golive.checks"
CHECK_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
RESOURCE_TYPE = re.compile(r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(/[A-Za-z0-9]+)+$")
SCOPES = ("resource", "subscription")


@dataclass
class Catalogue:
    checks: list[Check] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, Check]:
        return {c.meta.id: c for c in self.checks}


def validate_meta_fields(raw: Mapping[str, Any], checklist_items: Mapping[str, Any]) -> None:
    def need_text(key: str) -> None:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"{key} must be a non-empty string")

    for key in ("id", "title", "checklist", "rationale"):
        need_text(key)
    if not CHECK_ID.match(raw["id"]):
        raise ValueError(f"id {raw['id']!r} must be dotted lower-case words, such as 'aca.min-replicas'")
    severity = raw["severity"]
    if not isinstance(severity, Severity):
        Severity.parse(str(severity))
    try:
        Area(raw["area"])
    except ValueError:
        raise ValueError(f"unknown area {raw['area']!r} (expected one of {', '.join(a.value for a in Area)})") from None
    if raw["checklist"] not in checklist_items:
        raise ValueError(f"unknown checklist item {raw['checklist']!r}")
    if raw["scope"] not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    types = raw["types"]
    if isinstance(types, str) or not list(types):
        raise ValueError("types must be a non-empty list of ARM resource types")
    for value in (*types, *raw["reads"]):
        if not isinstance(value, str) or not RESOURCE_TYPE.match(value):
            raise ValueError(f"{value!r} is not an ARM resource type such as 'Microsoft.App/containerApps'")
    if not isinstance(raw["remediation"], Remediation) or not raw["remediation"].text:
        raise ValueError("remediation must be a Remediation with text")
    for name, param in dict(raw["params"]).items():
        if not isinstance(param, Param):
            raise ValueError(f"param {name!r} must be a Param")
    for ref in raw["refs"]:
        if not isinstance(ref, str) or not ref.startswith("https://"):
            raise ValueError(f"reference {ref!r} must be an https:// URL")
    if Status(raw["when_absent"]) not in (Status.NOT_APPLICABLE, Status.FAIL):
        raise ValueError("when_absent must be not_applicable or fail")


def build_meta(raw: Mapping[str, Any], source: str) -> CheckMeta:
    from auditor.checklist import ITEMS_BY_ID

    validate_meta_fields(raw, ITEMS_BY_ID)
    severity = raw["severity"]
    return CheckMeta(
        id=raw["id"],
        title=raw["title"],
        severity=severity if isinstance(severity, Severity) else Severity.parse(severity),
        area=Area(raw["area"]),
        checklist=raw["checklist"],
        types=tuple(raw["types"]),
        rationale=raw["rationale"],
        remediation=raw["remediation"],
        refs=tuple(raw["refs"]),
        params=dict(raw["params"]),
        reads=tuple(raw["reads"]),
        scope=raw["scope"],
        when_absent=Status(raw["when_absent"]),
        source=source,
    )


def checks_in_module(module: ModuleType, source: str, catalogue: Catalogue) -> None:
    """Decorated functions defined in the module, plus those listed in its `CHECKS` (checks a
    module builds from a table, one per service)."""
    candidates = [
        (name, fn)
        for name, fn in inspect.getmembers(module, callable)
        if getattr(fn, "__module__", None) == module.__name__
    ]
    candidates += [(getattr(fn, "__name__", "?"), fn) for fn in getattr(module, "CHECKS", ())]
    seen: set[int] = set()
    for name, fn in candidates:
        raw = getattr(fn, CHECK_ATTRIBUTE, None)
        if raw is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        try:
            meta = build_meta(raw, source)
        except (ValueError, TypeError, KeyError) as exc:
            catalogue.problems.append({"source": source, "check": f"{module.__name__}.{name}", "problem": str(exc)})
            continue
        catalogue.checks.append(Check(meta, fn))


def _load_builtin(catalogue: Catalogue) -> None:
    package = importlib.import_module("auditor.checks")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        source = f"builtin:{info.name}"
        try:
            module = importlib.import_module(f"auditor.checks.{info.name}")
        except Exception as exc:  # a broken built-in module must not hide the others
            catalogue.problems.append({"source": source, "check": "", "problem": f"import failed: {exc!r}"})
            continue
        checks_in_module(module, source, catalogue)


def _load_entry_points(catalogue: Catalogue) -> None:
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        source = f"entry-point:{entry.name} ({entry.value})"
        try:
            loaded = entry.load()
        except Exception as exc:
            catalogue.problems.append({"source": source, "check": "", "problem": f"import failed: {exc!r}"})
            continue
        if isinstance(loaded, ModuleType):
            checks_in_module(loaded, source, catalogue)
        elif callable(loaded) and getattr(loaded, CHECK_ATTRIBUTE, None) is not None:
            _add_function(loaded, source, catalogue)
        else:
            catalogue.problems.append(
                {"source": source, "check": "", "problem": "entry point is neither a module nor a @check function"}
            )


def _add_function(fn: Any, source: str, catalogue: Catalogue) -> None:
    try:
        meta = build_meta(getattr(fn, CHECK_ATTRIBUTE), source)
    except (ValueError, TypeError, KeyError) as exc:
        catalogue.problems.append({"source": source, "check": getattr(fn, "__name__", "?"), "problem": str(exc)})
        return
    catalogue.checks.append(Check(meta, fn))


def _load_directory(directory: Path, catalogue: Catalogue) -> None:
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        source = f"file:{path}"
        module_name = f"golive_local_checks.{path.stem}_{abs(hash(str(path.resolve()))):x}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError("not a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            catalogue.problems.append({"source": source, "check": "", "problem": f"import failed: {exc!r}"})
            continue
        checks_in_module(module, source, catalogue)


def discover(checks_dirs: Iterable[Path] = (), *, entry_points: bool = True, builtin: bool = True) -> Catalogue:
    """Load every check. Duplicate ids are reported with both sources, and neither copy runs."""
    catalogue = Catalogue()
    if builtin:
        _load_builtin(catalogue)
    if entry_points:
        _load_entry_points(catalogue)
    for directory in checks_dirs:
        _load_directory(Path(directory), catalogue)
    seen: dict[str, list[Check]] = {}
    for chk in catalogue.checks:
        seen.setdefault(chk.meta.id, []).append(chk)
    unique: list[Check] = []
    for check_id, copies in seen.items():
        if len(copies) == 1:
            unique.append(copies[0])
            continue
        sources = " and ".join(c.meta.source for c in copies)
        catalogue.duplicates.append(f"duplicate check id {check_id!r} in {sources}")
    catalogue.checks = sorted(unique, key=lambda c: c.meta.id)
    return catalogue
