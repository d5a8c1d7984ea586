"""The speech service is hospital-side: it never imports the app or the mock EPJ, and the app's
client reaches it over HTTP only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "speech_service").glob("*.py")), ids=lambda p: p.name)
def test_the_speech_service_imports_neither_the_app_nor_the_mock(path: Path) -> None:
    forbidden = {name for name in imported_modules(path) if name.split(".")[0] in ("mobile_app", "mock_epj", "visitt")}
    assert forbidden == set()


def test_the_apps_speech_client_does_not_import_the_service() -> None:
    names = imported_modules(ROOT / "mobile_app/services/speech_client.py")
    assert not {name for name in names if name.split(".")[0] == "speech_service"}
    assert "httpx" in names  # it talks HTTP
