"""golive.toml, or [tool.golive] in pyproject.toml: thresholds, severity overrides, enabled checks.

Every unknown key and every wrong type is an error naming the key and the file: a typo in a
threshold must not silently leave the default in force.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.model import Check, InputError, Severity
from auditor.suggest import did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = "golive.toml"
_TOP_LEVEL: dict[str, type | tuple[type, ...]] = {
    "fail-on": str,
    "only": list,
    "skip": list,
    "checks-dirs": list,
    "attestations": str,
    "attestation-max-age-days": int,
    "waivers": str,
    "checks": dict,
}
_PER_CHECK = {"enabled": bool, "severity": str}
#: A century: an attestation older than that is stale whatever the team's policy (and a larger
#: number would overflow the date arithmetic).
MAX_ATTESTATION_AGE_DAYS = 36500


@dataclass
class Config:
    path: str | None = None
    fail_on: Severity | None = None
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    checks_dirs: list[Path] = field(default_factory=list)
    attestations: Path | None = None
    attestation_max_age_days: int | None = None
    waivers: Path | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "failOn": self.fail_on.value if self.fail_on else None,
            "only": self.only,
            "skip": self.skip,
            "checks": self.checks,
        }


def read_toml(path: str | Path) -> dict[str, Any]:
    from auditor.snapshot import read_input

    name = str(path)
    raw = read_input(path)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(name, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(name, f"is not valid TOML: {exc}") from None


def find_config(explicit: str | None, cwd: Path) -> tuple[dict[str, Any], str] | None:
    if explicit:
        document = read_toml(explicit)
        if Path(explicit).name == "pyproject.toml":
            return document.get("tool", {}).get("golive", {}), explicit
        return document, explicit
    candidate = cwd / CONFIG_FILE
    if candidate.is_file():
        return read_toml(candidate), str(candidate)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        section = read_toml(pyproject).get("tool", {}).get("golive")
        if section is not None:
            return section, f"{pyproject} [tool.golive]"
    return None


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "an array",
        dict: "a table",
    }
    options = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(t, t.__name__) for t in options)


def _matches(value: Any, expected: type | tuple[type, ...]) -> bool:
    options = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in options
    if isinstance(value, int) and float in options:
        return True
    return isinstance(value, options)


def load(explicit: str | None, cwd: Path) -> Config:
    found = find_config(explicit, cwd)
    if found is None:
        return Config()
    document, source = found
    base = Path(source.split(" [", 1)[0]).parent
    if not isinstance(document, dict):
        raise InputError(source, "[tool.golive] must be a table")
    for key, value in document.items():
        if key not in _TOP_LEVEL:
            raise InputError(source, f"unknown key {key!r} (expected one of {', '.join(sorted(_TOP_LEVEL))})")
        if not _matches(value, _TOP_LEVEL[key]):
            raise InputError(source, f"{key!r} must be {_type_name(_TOP_LEVEL[key])}")
    for key in ("only", "skip", "checks-dirs"):
        if not all(isinstance(v, str) for v in document.get(key, [])):
            raise InputError(source, f"{key!r} must be an array of strings")
    config = Config(path=source)
    if "fail-on" in document:
        try:
            config.fail_on = Severity.parse(document["fail-on"])
        except ValueError as exc:
            raise InputError(source, f"'fail-on': {exc}") from None
    config.only = list(document.get("only", []))
    config.skip = list(document.get("skip", []))
    config.checks_dirs = [base / d for d in document.get("checks-dirs", [])]
    if "attestations" in document:
        config.attestations = base / document["attestations"]
    if "waivers" in document:
        config.waivers = base / document["waivers"]
    if "attestation-max-age-days" in document:
        if not 1 <= document["attestation-max-age-days"] <= MAX_ATTESTATION_AGE_DAYS:
            raise InputError(source, f"'attestation-max-age-days' must be between 1 and {MAX_ATTESTATION_AGE_DAYS}")
        config.attestation_max_age_days = document["attestation-max-age-days"]
    for check_id, table in document.get("checks", {}).items():
        if not isinstance(table, dict):
            raise InputError(source, f"checks.{check_id!r} must be a table")
        config.checks[check_id] = dict(table)
    return config


def resolve_checks(
    config: Config, catalogue: Mapping[str, Check]
) -> tuple[dict[str, dict[str, Any]], dict[str, Severity], set[str]]:
    """Validate [checks."id"] tables against the loaded catalogue: (params, severities, disabled ids)."""
    source = config.path or CONFIG_FILE
    params: dict[str, dict[str, Any]] = {}
    severities: dict[str, Severity] = {}
    disabled: set[str] = set()
    for check_id, table in config.checks.items():
        chk = catalogue.get(check_id)
        if chk is None:
            hint = did_you_mean(check_id, catalogue)
            raise InputError(source, f"unknown check id {check_id!r}{hint}", f"checks.{check_id}")
        for key, value in table.items():
            where = f"checks.{check_id}.{key}"
            if key in _PER_CHECK:
                if not _matches(value, _PER_CHECK[key]):
                    raise InputError(source, f"must be {_type_name(_PER_CHECK[key])}", where)
                if key == "enabled" and not value:
                    disabled.add(check_id)
                elif key == "severity":
                    try:
                        severities[check_id] = Severity.parse(value)
                    except ValueError as exc:
                        raise InputError(source, str(exc), where) from None
                continue
            param = chk.meta.params.get(key)
            if param is None:
                known = ", ".join(sorted([*_PER_CHECK, *chk.meta.params])) or "enabled, severity"
                raise InputError(source, f"unknown key {key!r} (this check takes: {known})", where)
            expected = type(param.default)
            if expected is int and isinstance(param.default, int):
                expected_types: type | tuple[type, ...] = int
            elif expected is float:
                expected_types = float
            else:
                expected_types = expected
            if not _matches(value, expected_types):
                raise InputError(source, f"must be {_type_name(expected_types)}", where)
            floor = 0 if param.minimum is None else param.minimum
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < floor:
                raise InputError(source, f"must be at least {floor:g}, not {value}", where)
            params.setdefault(check_id, {})[key] = value
    return params, severities, disabled
