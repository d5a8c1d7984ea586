"""A store whose writers in several processes wait their turn in the kernel, not in SQLite.

SQLite lets one writer at a time in; a connection that finds the database locked by another
process sleeps and retries (1, 2, 5, 10 ... 100 ms), however soon the lock is free again. With a
write after every request (the audit events) and two worker processes, those sleeps were most of
the time a request took. Here each write transaction first takes an exclusive ``flock`` on a lock
file beside the database: a waiting writer is woken the moment the lock is released, and SQLite
never finds its own write lock taken by one of our processes. Reads take no lock (WAL).

``append`` adds new resources (the audit events every request writes) by group commit: the JSON
and index rows are made before the lock is taken, and the events of requests that arrive while
one commit runs are written together in the next, so a process takes the lock once per batch.
Every call still returns only once its own events are committed.

Where ``fcntl`` is missing (Windows), it is a plain Store.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_epj import dates
from mock_epj.searchparams import index_rows
from mock_epj.store import IndexRowsOf, NewRow, Store, new_row

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@dataclass
class _Pending:
    items: list[NewRow]
    done: queue.SimpleQueue[BaseException | None] = field(default_factory=queue.SimpleQueue)


class SharedStore(Store):
    def __init__(self, path: Path | str) -> None:
        self._turn = threading.Lock()  # flock is held per process: threads queue here first
        self._held = threading.local()
        self._pending: list[_Pending] = []
        self._pending_lock = threading.Lock()
        self._committing = False
        self._lock_fd: int | None = None
        if str(path) != ":memory:" and fcntl is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(f"{path}-writelock", os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._lock_fd)
        super().__init__(path)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        fd = getattr(self, "_lock_fd", None)  # None while Store.__init__ writes the schema
        depth: int = getattr(self._held, "depth", 0)
        if fd is None or depth:  # nested: the outer block holds the lock
            self._held.depth = depth + 1
            try:
                with super().write() as conn:
                    yield conn
            finally:
                self._held.depth -= 1
            return
        with self._turn:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held.depth = 1
            try:
                with super().write() as conn:
                    yield conn
            finally:
                self._held.depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)

    def append(self, resources: list[dict[str, Any]], rows_of: IndexRowsOf = index_rows) -> None:
        """Insert new resources (fresh ids; one that exists is updated, as by bulk_load),
        committed together with other threads' before this returns."""
        if not resources:
            return
        if getattr(self._held, "depth", 0):  # inside this thread's write: join it
            self.bulk_load(resources)
            return
        last_updated = dates.now_instant()
        mine = _Pending([new_row(resource, last_updated, rows_of) for resource in resources])
        with self._pending_lock:
            self._pending.append(mine)
            leader = not self._committing
            self._committing = True
        if leader:  # commit batches until none is waiting, this thread's own first
            while True:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                    if not batch:
                        self._committing = False
                        break
                error: BaseException | None = None
                try:
                    self._insert([item for pending in batch for item in pending.items])
                except BaseException as failure:  # each waiting caller gets it
                    error = failure
                for pending in batch:
                    pending.done.put(error)
        error = mine.done.get()
        if error is not None:
            raise error

    def _insert(self, items: list[NewRow]) -> None:
        try:
            with self.write() as conn:
                self._insert_new(conn, items)
        except sqlite3.IntegrityError:  # an id that exists already: the general path updates it
            self.bulk_load([item.resource for item in items])
