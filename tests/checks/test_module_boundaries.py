"""Check modules share helpers through underscore modules (checks/_*.py), never by importing
another check module's private names: a private helper can change without notice."""

import ast
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "checks"
#: Known debt, outside issue 14: the exposure check reuses the ingress check's network helpers.
KNOWN = {"exposure.py: ingress._network", "exposure.py: ingress._within"}


def _private_imports_from_check_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("auditor.checks."):
            module = node.module.rsplit(".", 1)[-1]
            if module.startswith("_"):
                continue  # a shared helper module: its names are meant to be imported
            found += [f"{path.name}: {module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
    return found


def test_no_check_module_imports_private_names_of_another():
    offenders = [hit for path in sorted(CHECKS.glob("*.py")) for hit in _private_imports_from_check_modules(path)]
    assert set(offenders) - KNOWN == set()


def test_the_rule_sees_a_private_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from auditor.checks.apim import _effective, SERVICE\nfrom auditor.checks._apim_api import API\n")
    assert _private_imports_from_check_modules(sample) == ["sample.py: apim._effective"]
