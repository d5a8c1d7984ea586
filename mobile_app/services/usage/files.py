"""The usage log's files on the device: daily JSON Lines files and the spool of unsent batches.

    <directory>/install-id                      this installation's random id
    <directory>/usage-YYYY-MM-DD.jsonl          one file per UTC day, one record per line
    <directory>/spool/<order>-<batch id>.json   OTLP batches not yet accepted by the collector

Every file is the user's alone from its first byte (0600, directories 0700: private_files.py).
Spooled batches are written to a temporary file, fsynced and renamed, so a crash leaves a whole
batch or none. Their names sort in the order they were made, and the oldest is sent first. The
size cap counts both kinds of file; over it, the oldest day files go first (they are copies of
what was sent), then the oldest unsent batches.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mobile_app.services.private_files import open_private_append, private_directory, write_private

LOG_GLOB = "usage-*.jsonl"


def log_file_name(day: str) -> str:
    return f"usage-{day}.jsonl"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class LogFiles:
    """Appends lines to the day's file; only the writer thread uses it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.bytes = 0
        self._day: str | None = None
        self._handle: BinaryIO | None = None

    def open(self) -> None:
        private_directory(self.directory)
        self.bytes = sum(_size(path) for path in self.files())

    def files(self) -> list[Path]:
        """The day files, oldest first."""
        return sorted(self.directory.glob(LOG_GLOB))

    def append(self, day: str, data: bytes) -> None:
        if day != self._day or self._handle is None:
            self.close()
            self._handle = open_private_append(self.directory / log_file_name(day))
            self._day = day
        self._handle.write(data)
        self._handle.flush()
        self.bytes += len(data)

    def delete_oldest(self) -> bool:
        files = self.files()
        if not files:
            return False
        oldest = files[0]
        if oldest.name == log_file_name(self._day or ""):
            self.close()
        size = _size(oldest)
        with contextlib.suppress(FileNotFoundError):
            oldest.unlink()
        self.bytes = max(0, self.bytes - size)
        return True

    def close(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
        self._handle = None
        self._day = None


@dataclass(frozen=True)
class SpooledBatch:
    path: Path
    batch_id: str
    size: int


class Spool:
    """Unsent batches on disk, oldest first; shared by the writer (adds) and the sender (removes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "spool"
        self._lock = threading.Lock()
        self._pending: list[SpooledBatch] = []
        self._last_order = 0
        self.bytes = 0

    def open(self) -> None:
        private_directory(self.directory)
        for leftover in self.directory.glob("*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        pending = []
        for path in sorted(self.directory.glob("*.json")):
            order, _, batch_id = path.stem.partition("-")
            if order.isdigit() and batch_id:
                pending.append(SpooledBatch(path, batch_id, _size(path)))
                self._last_order = max(self._last_order, int(order))
        with self._lock:
            self._pending = pending
            self.bytes = sum(batch.size for batch in pending)

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, batch_id: str, body: bytes) -> SpooledBatch:
        self._last_order = max(time.time_ns(), self._last_order + 1)
        path = self.directory / f"{self._last_order:020d}-{batch_id}.json"
        write_private(path, body)
        batch = SpooledBatch(path, batch_id, len(body))
        with self._lock:
            self._pending.append(batch)
            self.bytes += batch.size
        return batch

    def oldest(self) -> SpooledBatch | None:
        with self._lock:
            return self._pending[0] if self._pending else None

    @staticmethod
    def read(batch: SpooledBatch) -> bytes | None:
        try:
            return batch.path.read_bytes()
        except OSError:
            return None

    def remove(self, batch: SpooledBatch) -> None:
        with self._lock:
            if batch not in self._pending:
                return
            self._pending.remove(batch)
            self.bytes = max(0, self.bytes - batch.size)
        with contextlib.suppress(FileNotFoundError):
            batch.path.unlink()

    def drop_oldest(self) -> bool:
        batch = self.oldest()
        if batch is None:
            return False
        self.remove(batch)
        return True


def enforce_cap(logs: LogFiles, spool: Spool, max_bytes: int) -> tuple[int, int]:
    """Delete the oldest files until both kinds fit in ``max_bytes``: (day files, batches) deleted."""
    days = batches = 0
    while logs.bytes + spool.bytes > max_bytes:
        if logs.delete_oldest():
            days += 1
        elif spool.drop_oldest():
            batches += 1
        else:
            break
    return days, batches
