"""Reading usage logs: device files, folders of them, and the collector's export, as one stream.

A path is a JSON Lines file or a folder (every ``*.jsonl`` below it, in name order, so a device's
day files come oldest first). A line is either a usage record (records.py) or a line of the
collector's ``GET /v1/logs/export`` (turned back into a usage record). Records seen before (the
same record id, e.g. from a phone's files and the collector's export) are skipped, and lines that
are neither are counted, not fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mobile_app.services.usage.otlp import record_from_export


@dataclass
class ReadCounts:
    files: int = 0
    lines: int = 0
    records: int = 0
    duplicates: int = 0
    unreadable: int = 0  # not JSON, or not a usage record


def log_files(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files.extend(sorted(p for p in entry.rglob("*.jsonl") if p.is_file()))
        elif entry.is_file():
            files.append(entry)
        else:
            raise FileNotFoundError(f"No such log file or folder: {entry}")
    return files


def _as_record(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("event"), str) and isinstance(value.get("ts"), str):
        return value
    if "timeUnixNano" in value and "attributes" in value:
        return record_from_export(value)
    return None


def read_records(paths: Iterable[Path | str], counts: ReadCounts | None = None) -> Iterator[dict[str, Any]]:
    """Every usage record in ``paths``, each once."""
    counts = counts if counts is not None else ReadCounts()
    seen: set[int] = set()
    for path in log_files(paths):
        counts.files += 1
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                counts.lines += 1
                try:
                    record = _as_record(json.loads(line))
                except ValueError:
                    record = None
                if record is None:
                    counts.unreadable += 1
                    continue
                record_id = record.get("id")
                if isinstance(record_id, str):
                    try:
                        key = int(record_id[:16], 16)
                    except ValueError:
                        key = hash(record_id)
                    if key in seen:
                        counts.duplicates += 1
                        continue
                    seen.add(key)
                counts.records += 1
                yield record
