from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
GOLIVE = [sys.executable, "-m", "auditor.cli"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def golive(*args: str, cwd: Path | None = None, env: dict | None = None) -> Run:
    """Run the real CLI in a subprocess, as a user would."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([*GOLIVE, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=120)
    return Run(proc.returncode, proc.stdout, proc.stderr)


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
def report_schema() -> dict:
    return json.loads((ROOT / "auditor" / "schemas" / "report.schema.json").read_text())


def validate_report(document: dict, schema: dict) -> None:
    import jsonschema

    jsonschema.Draft7Validator(schema).validate(document)
