"""SQLite storage of versioned FHIR resources and their search index (WAL mode, thread-safe).

The store knows resources, versions and index rows; it knows nothing about HTTP, tokens or
access rules. Every write runs inside one lock and one SQLite transaction, and a write that
returned has been committed in WAL mode, so it survives the process being killed right after.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_epj import dates
from mock_epj.searchparams import RESOURCES, index_rows, patient_of
from mock_epj.terminology import V3_CONFIDENTIALITY

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    rid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    patient TEXT,
    private INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    UNIQUE (type, id)
);
CREATE TABLE IF NOT EXISTS history (
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (type, id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx_string (rid INTEGER, type TEXT, param TEXT, value TEXT);
CREATE TABLE IF NOT EXISTS idx_token (rid INTEGER, type TEXT, param TEXT, system TEXT, code TEXT);
CREATE TABLE IF NOT EXISTS idx_date (rid INTEGER, type TEXT, param TEXT, lo TEXT, hi TEXT);
CREATE TABLE IF NOT EXISTS idx_ref (rid INTEGER, type TEXT, param TEXT, ref TEXT);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logins (
    username TEXT PRIMARY KEY, pin_hash TEXT NOT NULL, salt TEXT NOT NULL,
    practitioner_id TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS break_glass (
    practitioner_id TEXT NOT NULL, patient_id TEXT NOT NULL, reason TEXT NOT NULL,
    granted TEXT NOT NULL, expires TEXT NOT NULL
);
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS idx_string_search ON idx_string (type, param, value, rid);
CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid, param);
CREATE INDEX IF NOT EXISTS idx_token_search ON idx_token (type, param, code, system, rid);
CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid, param);
CREATE INDEX IF NOT EXISTS idx_date_search ON idx_date (type, param, lo, hi, rid);
CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid, param);
CREATE INDEX IF NOT EXISTS idx_ref_search ON idx_ref (type, param, ref, rid);
CREATE INDEX IF NOT EXISTS idx_ref_rid ON idx_ref (rid, param);
CREATE INDEX IF NOT EXISTS resources_patient ON resources (patient, type);
CREATE INDEX IF NOT EXISTS break_glass_who ON break_glass (practitioner_id, patient_id);
"""


@dataclass(frozen=True)
class Stored:
    """One stored version of a resource, its JSON text ready to send."""

    rid: int
    type: str
    id: str
    version: int
    last_updated: str
    deleted: bool
    patient: str | None
    body: str

    def resource(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.body)
        return result

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class VersionConflict(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"current version is {current}")
        self.current = current


def new_id() -> str:
    return str(uuid.uuid4())


def _is_private(resource: dict[str, Any]) -> bool:
    definition = RESOURCES[resource["resourceType"]]
    if definition.private:
        return True
    if definition.patient_param is None:
        return False  # the confidentiality label is honoured on clinical resources only
    labels = resource.get("meta", {}).get("security", [])
    return any(lab.get("system") == V3_CONFIDENTIALITY and lab.get("code") == "R" for lab in labels)


class Store:
    """Thread-safe access to one SQLite database file.

    Each thread gets its own connection; writes are serialised by one lock. ``generation``
    counts committed writes so that callers can cache derived facts cheaply.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.generation = 0
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            self.conn().executescript(SCHEMA + INDEXES)  # executescript commits by itself

    # ------------------------------------------------------------ connections

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA mmap_size=268435456")
            conn.execute("PRAGMA temp_store=MEMORY")
            self._local.conn = conn
            self._local.depth = 0
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (re-entrant on the same thread: nested blocks join the outer)."""
        conn = self.conn()
        with self._write_lock:
            depth: int = self._local.depth
            if depth == 0:
                conn.execute("BEGIN IMMEDIATE")
            self._local.depth = depth + 1
            try:
                yield conn
            except BaseException:
                self._local.depth = depth
                if depth == 0:
                    conn.execute("ROLLBACK")
                raise
            self._local.depth = depth
            if depth == 0:
                conn.execute("COMMIT")
                self.generation += 1

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that must see the same state (a search's count and its page)."""
        conn = self.conn()
        if self._local.depth:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # ------------------------------------------------------------ settings

    def get_setting(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------ reads

    _COLUMNS = "rid, type, id, version, last_updated, deleted, patient, body"

    def read(self, type_: str, id_: str) -> Stored | None:
        row = self.conn().execute(
            f"SELECT {self._COLUMNS} FROM resources WHERE type=? AND id=?", (type_, id_)
        ).fetchone()
        return Stored(*row) if row else None

    def read_many(self, refs: Iterable[str]) -> list[Stored]:
        """Current, not deleted resources for ``Type/id`` references (unknown ones are skipped)."""
        out = []
        for ref in refs:
            type_, _, id_ = ref.partition("/")
            stored = self.read(type_, id_)
            if stored and not stored.deleted:
                out.append(stored)
        return out

    def read_rids(self, rids: list[int]) -> list[Stored]:
        if not rids:
            return []
        rows = self.conn().execute(
            f"SELECT {self._COLUMNS} FROM resources WHERE rid IN (SELECT value FROM json_each(?))",
            (json.dumps(rids),),
        ).fetchall()
        by_rid = {row[0]: Stored(*row) for row in rows}
        return [by_rid[rid] for rid in rids if rid in by_rid]

    def vread(self, type_: str, id_: str, version: int) -> str | None:
        current = self.read(type_, id_)
        if current is None:
            return None
        if current.version == version:
            return current.body
        row = self.conn().execute(
            "SELECT body FROM history WHERE type=? AND id=? AND version=?", (type_, id_, version)
        ).fetchone()
        return row[0] if row else None

    def count(self, type_: str | None = None) -> int:
        if type_ is None:
            row = self.conn().execute("SELECT COUNT(*) FROM resources WHERE deleted=0").fetchone()
        else:
            row = self.conn().execute(
                "SELECT COUNT(*) FROM resources WHERE type=? AND deleted=0", (type_,)
            ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------ writes

    def put(
        self,
        resource: dict[str, Any],
        *,
        expected_version: int | None = None,
        must_exist: bool = False,
    ) -> tuple[Stored, bool]:
        """Create or update ``resource`` (which carries its id); returns (stored, created).

        ``expected_version`` makes it an If-Match update: a different current version raises
        VersionConflict.
        """
        type_, id_ = resource["resourceType"], resource["id"]
        with self.write() as conn:
            current = self.read(type_, id_)
            if expected_version is not None:
                if current is None or current.deleted:
                    raise VersionConflict(0)
                if current.version != expected_version:
                    raise VersionConflict(current.version)
            if must_exist and (current is None or current.deleted):
                raise KeyError(f"{type_}/{id_}")
            version = current.version + 1 if current else 1
            stored = self._write(conn, resource, version, current)
            return stored, current is None or current.deleted

    def delete(self, type_: str, id_: str) -> Stored | None:
        with self.write() as conn:
            current = self.read(type_, id_)
            if current is None or current.deleted:
                return current
            conn.execute(
                "INSERT OR REPLACE INTO history (type, id, version, body) VALUES (?, ?, ?, ?)",
                (type_, id_, current.version, current.body),
            )
            self._clear_index(conn, current.rid)
            last_updated = dates.now_instant()
            conn.execute(
                "UPDATE resources SET deleted=1, version=?, last_updated=? WHERE rid=?",
                (current.version + 1, last_updated, current.rid),
            )
            return self.read(type_, id_)

    def _write(
        self,
        conn: sqlite3.Connection,
        resource: dict[str, Any],
        version: int,
        current: Stored | None,
    ) -> Stored:
        last_updated = dates.now_instant()
        meta = dict(resource.get("meta") or {})
        meta["versionId"] = str(version)
        meta["lastUpdated"] = last_updated
        resource = {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta,
                    **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}}
        body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        rows = index_rows(resource)
        patient = patient_of(resource, rows)
        private = int(_is_private(resource))
        type_, id_ = resource["resourceType"], resource["id"]
        if current is None:
            cursor = conn.execute(
                "INSERT INTO resources (type, id, version, last_updated, deleted, patient, private,"
                " body) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                (type_, id_, version, last_updated, patient, private, body),
            )
            rid = int(cursor.lastrowid or 0)
        else:
            rid = current.rid
            conn.execute(
                "INSERT OR REPLACE INTO history (type, id, version, body) VALUES (?, ?, ?, ?)",
                (type_, id_, current.version, current.body),
            )
            self._clear_index(conn, rid)
            conn.execute(
                "UPDATE resources SET version=?, last_updated=?, deleted=0, patient=?, private=?,"
                " body=? WHERE rid=?",
                (version, last_updated, patient, private, body, rid),
            )
        self._insert_index(conn, [(rid, type_, rows)])
        return Stored(rid, type_, id_, version, last_updated, False, patient, body)

    @staticmethod
    def _clear_index(conn: sqlite3.Connection, rid: int) -> None:
        for table in ("idx_string", "idx_token", "idx_date", "idx_ref"):
            conn.execute(f"DELETE FROM {table} WHERE rid=?", (rid,))

    @staticmethod
    def _insert_index(conn: sqlite3.Connection, items: list[tuple[int, str, Any]]) -> None:
        strings: list[tuple[Any, ...]] = []
        tokens: list[tuple[Any, ...]] = []
        date_rows: list[tuple[Any, ...]] = []
        refs: list[tuple[Any, ...]] = []
        for rid, type_, (s, t, d, r) in items:
            strings.extend((rid, type_, p, v) for p, v in s)
            tokens.extend((rid, type_, p, sy, c) for p, sy, c in t)
            date_rows.extend((rid, type_, p, lo, hi) for p, lo, hi in d)
            refs.extend((rid, type_, p, ref) for p, ref in r)
        conn.executemany("INSERT INTO idx_string VALUES (?, ?, ?, ?)", strings)
        conn.executemany("INSERT INTO idx_token VALUES (?, ?, ?, ?, ?)", tokens)
        conn.executemany("INSERT INTO idx_date VALUES (?, ?, ?, ?, ?)", date_rows)
        conn.executemany("INSERT INTO idx_ref VALUES (?, ?, ?, ?)", refs)

    def bulk_load(self, resources: Iterable[dict[str, Any]], batch: int = 5000) -> int:
        """Insert many new resources fast (seeding, import); existing ids are updated instead."""
        loaded = 0
        pending: list[dict[str, Any]] = []

        def flush(conn: sqlite3.Connection) -> None:
            nonlocal loaded
            last_updated = dates.now_instant()
            fresh: list[dict[str, Any]] = []
            for resource in pending:
                current = self.read(resource["resourceType"], resource["id"])
                if current is None:
                    fresh.append(resource)
                else:
                    self._write(conn, resource, current.version + 1, current)
            next_rid = int(conn.execute("SELECT COALESCE(MAX(rid), 0) FROM resources").fetchone()[0])
            rows, index_items = [], []
            for resource in fresh:
                next_rid += 1
                meta = {**resource.get("meta", {}), "versionId": "1", "lastUpdated": last_updated}
                resource = {"resourceType": resource["resourceType"], "id": resource["id"],
                            "meta": meta, **{k: v for k, v in resource.items()
                                             if k not in ("resourceType", "id", "meta")}}
                idx = index_rows(resource)
                rows.append((next_rid, resource["resourceType"], resource["id"], 1, last_updated,
                             patient_of(resource, idx), int(_is_private(resource)),
                             json.dumps(resource, ensure_ascii=False, separators=(",", ":"))))
                index_items.append((next_rid, resource["resourceType"], idx))
            conn.executemany(
                "INSERT INTO resources (rid, type, id, version, last_updated, deleted, patient,"
                " private, body) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                rows,
            )
            self._insert_index(conn, index_items)
            loaded += len(pending)
            pending.clear()

        with self.write() as conn:
            for resource in resources:
                pending.append(resource)
                if len(pending) >= batch:
                    flush(conn)
            flush(conn)
        return loaded

    def analyze(self) -> None:
        """Refresh the query planner's statistics (after loading much data)."""
        with self.write() as conn:
            conn.execute("ANALYZE")
