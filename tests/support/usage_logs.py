"""Usage logs in tests: the factory type, a test key, and what a log or its collector holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from mobile_app.services.usage import UsageLog
from tests.support.mock_server import Server

KEY = b"evaluation-key-0123456789abcdef"
MakeLog = Callable[..., UsageLog]


def day_records(directory: Path) -> list[dict[str, Any]]:
    """Every record in the day files of ``directory``, in file order."""
    return [json.loads(line) for path in sorted(directory.glob("usage-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def collected(server: Server) -> list[dict[str, Any]]:
    """The collector's export, one dict per stored record."""
    response = httpx.get(f"{server.url}/v1/logs/export", timeout=10)
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines()]


def set_faults(server: Server, **faults: Any) -> None:
    httpx.post(f"{server.url}/_admin/faults", json=faults, timeout=5).raise_for_status()
