"""The import contracts in pyproject.toml (layers, the app apart from the mock EPJ, Flet only in the
UI, a pure domain) hold: a violation fails the README's test command, not only CI's lint step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parents[1]


def test_every_import_contract_is_kept() -> None:
    contracts = read_configuration(str(ROOT / "pyproject.toml"))["contracts_options"]
    assert {c["id"] for c in contracts} >= {"app-layers", "app-and-mock-apart"}
    run = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(contracts)} kept, 0 broken." in run.stdout, run.stdout
