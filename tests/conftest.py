"""Shared test helpers: fixture paths, the real CLI in a subprocess, report schema validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
_SCRIPT = Path(sys.executable).with_name("golive")
#: The console script the venv installed, as a user runs it; the module as a fallback.
GOLIVE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "auditor.cli"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def golive(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run the real CLI in a subprocess, as a user would (NO_COLOR unless env overrides it)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([*GOLIVE, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def audit_report(out_dir: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    """`golive audit ... -o out_dir`, returning the run and the JSON report (None when none was written)."""
    path = out_dir / "golive-report.json"
    path.unlink(missing_ok=True)  # a report left by an earlier run must not pass for this one's
    run = golive("audit", *args, "-o", str(out_dir), cwd=cwd, env=env)
    return run, (json.loads(path.read_text()) if path.exists() else None)


def snapshot_document(resources: list[dict[str, Any]], coverage: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A minimal valid golive snapshot around hand-made resources."""
    subs = sorted({r["id"].split("/")[2] for r in resources}) or ["s1"]
    return {
        "snapshotVersion": "1",
        "scope": {
            "subscriptions": [{"subscriptionId": s, "displayName": f"sub {s}"} for s in subs],
            "collectedAt": "2026-11-01T00:00:00Z",
            "tool": {"name": "golive", "version": "0"},
        },
        "resources": resources,
        "coverage": coverage or [],
    }


def statuses_of(report: dict[str, Any], check_id: str) -> dict[str, str]:
    """resource name -> status of one check's findings."""
    return {f["resourceName"]: f["status"] for f in report["findings"] if f["checkId"] == check_id}


@pytest.fixture
def demo() -> Path:
    return FIXTURES / "demo.json"


@pytest.fixture
def hardened() -> Path:
    return FIXTURES / "hardened.json"


@pytest.fixture
def attestations() -> Path:
    return FIXTURES / "hardened-attestations.toml"


@pytest.fixture(scope="session")
def report_schema() -> dict[str, Any]:
    return json.loads((ROOT / "auditor" / "schemas" / "report.schema.json").read_text())


def validate_report(document: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
