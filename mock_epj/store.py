"""SQLite storage of versioned FHIR resources and their search index (WAL mode, thread-safe).

The store knows resources, versions and index rows; it knows nothing about HTTP, tokens or
access rules. Every write runs inside one lock and one SQLite transaction, and a write that
returned has been committed in WAL mode, so it survives the process being killed right after.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from mock_epj import dates
from mock_epj.queries import ACCESS_COUNTER, STORED_COLUMNS, Queries
from mock_epj.searchparams import RESOURCES, IndexRows, index_rows, patient_of
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
-- patient: the row's patient (resources.patient), so a date range can be read for some patients
CREATE TABLE IF NOT EXISTS idx_date (rid INTEGER, type TEXT, param TEXT, lo TEXT, hi TEXT, patient TEXT);
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
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, practitioner_id TEXT NOT NULL,
    role TEXT NOT NULL, name TEXT NOT NULL, expires REAL NOT NULL,
    scope TEXT, patient TEXT, client_id TEXT, family TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oauth_requests (
    id_hash TEXT PRIMARY KEY, request TEXT NOT NULL, expires REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY, grant_json TEXT NOT NULL, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oauth_refresh (
    token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, grant_json TEXT NOT NULL, expires REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS address_failures (
    address TEXT PRIMARY KEY, count INTEGER NOT NULL, since REAL NOT NULL, locked_until REAL NOT NULL
) WITHOUT ROWID;
"""

SESSION_COLUMNS = ("scope", "patient", "client_id", "family")  # added to sessions by issue 14

# Change counters, kept by triggers in the same transaction as the write, whichever process or
# code path made it (one write, a transaction Bundle, a bulk import), so that every process over
# the file sees them and no writer has to remember to. A cache of derived facts is valid while
# its counter has not moved. ``access`` counts writes of what the access rules are computed from:
# stays, staff roles on wards, appointments and break-the-glass grants (not audit events, notes
# or results).
ACCESS_TYPES = ("Encounter", "PractitionerRole", "Appointment")


def _counter_triggers() -> str:
    def types(row: str) -> str:
        return f"{row}.type IN ({', '.join(repr(t) for t in ACCESS_TYPES)})"

    bump = f"UPDATE change_counters SET value = value + 1 WHERE name = '{ACCESS_COUNTER}';"
    return f"""
CREATE TABLE IF NOT EXISTS change_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO change_counters (name, value) VALUES ('{ACCESS_COUNTER}', 0);
CREATE TRIGGER IF NOT EXISTS access_changed_insert AFTER INSERT ON resources
    WHEN {types("NEW")} BEGIN {bump} END;
CREATE TRIGGER IF NOT EXISTS access_changed_update AFTER UPDATE ON resources
    WHEN {types("NEW")} OR {types("OLD")} BEGIN {bump} END;
CREATE TRIGGER IF NOT EXISTS access_changed_delete AFTER DELETE ON resources
    WHEN {types("OLD")} BEGIN {bump} END;
CREATE TRIGGER IF NOT EXISTS access_changed_break_glass AFTER INSERT ON break_glass
    BEGIN {bump} END;
"""

# The ``*_row`` indexes hold every column of their table, by row id: a search's per-row lookups
# (does this row have category laboratory, a date after x; its sort key; is it the user's own)
# are answered from the index alone, without reading the table row (they replaced indexes on
# (rid, param) only, which needed a table read per lookup: a third of the ward's lab search).
INDEXES = """
CREATE INDEX IF NOT EXISTS idx_string_search ON idx_string (type, param, value, rid);
DROP INDEX IF EXISTS idx_string_rid;
CREATE INDEX IF NOT EXISTS idx_string_row ON idx_string (rid, param, value, type);
CREATE INDEX IF NOT EXISTS idx_token_search ON idx_token (type, param, code, system, rid);
DROP INDEX IF EXISTS idx_token_rid;
CREATE INDEX IF NOT EXISTS idx_token_row ON idx_token (rid, param, code, system, type);
CREATE INDEX IF NOT EXISTS idx_date_search ON idx_date (type, param, lo, hi, rid);
DROP INDEX IF EXISTS idx_date_rid;
CREATE INDEX IF NOT EXISTS idx_date_row ON idx_date (rid, param, lo, hi, type);
CREATE INDEX IF NOT EXISTS idx_date_hi ON idx_date (type, param, hi, lo, rid);
CREATE INDEX IF NOT EXISTS idx_date_patient ON idx_date (type, param, patient, hi, lo, rid)
    WHERE patient IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_ref_search ON idx_ref (type, param, ref, rid);
DROP INDEX IF EXISTS idx_ref_rid;
CREATE INDEX IF NOT EXISTS idx_ref_row ON idx_ref (rid, param, ref, type);
DROP INDEX IF EXISTS resources_patient;
CREATE INDEX IF NOT EXISTS resources_patient_live ON resources (patient, type, deleted);
CREATE INDEX IF NOT EXISTS break_glass_who ON break_glass (practitioner_id, patient_id);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
CREATE INDEX IF NOT EXISTS sessions_family ON sessions (family);
CREATE INDEX IF NOT EXISTS oauth_refresh_family ON oauth_refresh (family);
"""


class Stored(NamedTuple):
    """One stored version of a resource, its JSON text ready to send (a tuple: a page makes up to
    a thousand of them, and a tuple is made several times faster than a frozen dataclass)."""

    rid: int
    type: str
    id: str
    version: int
    last_updated: str
    deleted: bool
    patient: str | None
    body: str
    private: bool = False  # readable by its owners only

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


def version_of(current: Stored, body: str) -> Stored:
    """An older version (``body``, from the history) of ``current`` as a row of its own: its
    patient and confidentiality are what that version said, not what the current one says."""
    if body == current.body:
        return current
    resource = json.loads(body)
    meta = resource.get("meta") or {}
    return Stored(current.rid, current.type, current.id, int(meta.get("versionId") or 0),
                  str(meta.get("lastUpdated") or ""), False, patient_of(resource, index_rows(resource)),
                  body, _is_private(resource))


@dataclass(frozen=True, slots=True)
class NewRow:
    """A new resource's first version made ready to insert (outside any lock)."""

    resource: dict[str, Any]  # with its meta
    row: tuple[str, str, str, str | None, int, str]  # type, id, last updated, patient, private, body
    index: IndexRows


IndexRowsOf = Callable[[dict[str, Any]], IndexRows]


def new_row(resource: dict[str, Any], last_updated: str, rows_of: IndexRowsOf = index_rows) -> NewRow:
    """Version 1 of ``resource``: its meta set, JSON text and index rows made (by ``rows_of``,
    given the resource with its meta: a faster equivalent of index_rows for a known shape)."""
    meta = {**resource.get("meta", {}), "versionId": "1", "lastUpdated": last_updated}
    resource = {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta,
                **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}}
    idx = rows_of(resource)
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return NewRow(resource, (resource["resourceType"], resource["id"], last_updated,
                             patient_of(resource, idx), int(_is_private(resource)), body), idx)


class Store:
    """Thread-safe access to one SQLite database file.

    Each thread gets its own connection; writes are serialised by one lock. Derived facts are
    cached against the change counters (``queries.access_changes``), which every process sees.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.queries = Queries(self)  # every other module's SQL, by name
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            self.conn().executescript(SCHEMA)  # executescript commits by itself
            self._add_session_columns()
            self._add_date_patients()
            self.conn().executescript(INDEXES + _counter_triggers())
            self._analyze_new_indexes()

    def _add_session_columns(self) -> None:
        """The columns of the SMART login (issue 14) in a database made before them: what a
        token may do (scope), the one patient it is limited to, its client, and the login it
        belongs to (family)."""
        conn = self.conn()
        have = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
        for column in SESSION_COLUMNS:
            if column not in have:
                conn.execute(f"ALTER TABLE sessions ADD COLUMN {column} TEXT")

    def _add_date_patients(self) -> None:
        """The patient column of the date index in a database made before it (issue 11), filled
        from the resources (about half a minute for 100,000 patients, once)."""
        conn = self.conn()
        if "patient" in {row[1] for row in conn.execute("PRAGMA table_info(idx_date)")}:
            return
        with conn:
            conn.execute("ALTER TABLE idx_date ADD COLUMN patient TEXT")
            conn.execute("UPDATE idx_date SET patient = (SELECT r.patient FROM resources r WHERE r.rid = idx_date.rid)")

    def _analyze_new_indexes(self) -> None:
        """Statistics for indexes added to a database analysed before they existed: without them
        the planner may take a new index for the most selective one (a birth-date search then
        read every patient born before the date, through the index on the upper bound)."""
        conn = self.conn()
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is None:
            return  # never analysed: the planner has no statistics to be misled by
        missing = [name for (name,) in conn.execute(
            "SELECT i.name FROM sqlite_master i WHERE i.type = 'index' AND i.sql IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM sqlite_stat1 t WHERE t.tbl = i.tbl_name)"
            " AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 t WHERE t.idx = i.name)")]
        for name in missing:
            conn.execute(f'ANALYZE "{name}"')

    # ------------------------------------------------------------ connections

    def conn(self) -> sqlite3.Connection:
        """This thread's connection: a leased one (``leases``) or else its own, opened at first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._local.depth = 0
        return conn

    def _connect(self, shared: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=not shared)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA mmap_size=268435456")
        conn.execute("PRAGMA temp_store=MEMORY")
        # Every request commits its audit events; at SQLite's default (1,000 pages, 4 MB) a commit
        # every few dozen requests also copied the WAL back into the database, the same hot pages
        # (index leaves, the tables' last pages) each time. Every 10,000 pages (40 MB) copies each
        # of those once per ten times as many commits.
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        return conn

    def leases(self, size: int) -> Callable[[], AbstractContextManager[None]]:
        """A pool of ``size`` connections, lent to one thread at a time: ``with lease(): ...``
        runs on one of them, and waits while all are lent. The HTTP server carries out each
        request on its connection's own thread this way: many connection threads, few SQLite
        connections (each with a warm page cache), and no hand-over to another thread."""
        pool: queue.SimpleQueue[sqlite3.Connection | None] = queue.SimpleQueue()
        for _ in range(max(1, size)):
            pool.put(None)  # opened when first lent

        @contextmanager
        def lease() -> Iterator[None]:
            if getattr(self._local, "conn", None) is not None:  # the thread has a connection
                yield
                return
            conn = pool.get() or self._connect(shared=True)
            self._local.conn, self._local.depth = conn, 0
            try:
                yield
            finally:
                self._local.conn = None
                pool.put(conn)

        return lease

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

    def in_write(self) -> bool:
        """Whether this thread is inside a write transaction (whose changes may yet be rolled back)."""
        return bool(getattr(self._local, "depth", 0))

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

    _COLUMNS = ", ".join(STORED_COLUMNS)

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
        body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
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
        self._insert_index(conn, [(rid, type_, patient, rows)])
        return Stored(rid, type_, id_, version, last_updated, False, patient, body, bool(private))

    @staticmethod
    def _clear_index(conn: sqlite3.Connection, rid: int) -> None:
        for table in ("idx_string", "idx_token", "idx_date", "idx_ref"):
            conn.execute(f"DELETE FROM {table} WHERE rid=?", (rid,))

    @staticmethod
    def _insert_index(conn: sqlite3.Connection, items: list[tuple[int, str, str | None, IndexRows]]) -> None:
        strings: list[tuple[Any, ...]] = []
        tokens: list[tuple[Any, ...]] = []
        date_rows: list[tuple[Any, ...]] = []
        refs: list[tuple[Any, ...]] = []
        for rid, type_, patient, (s, t, d, r) in items:
            strings.extend((rid, type_, p, v) for p, v in s)
            tokens.extend((rid, type_, p, sy, c) for p, sy, c in t)
            date_rows.extend((rid, type_, p, lo, hi, patient) for p, lo, hi in d)
            refs.extend((rid, type_, p, ref) for p, ref in r)
        conn.executemany("INSERT INTO idx_string VALUES (?, ?, ?, ?)", strings)
        conn.executemany("INSERT INTO idx_token VALUES (?, ?, ?, ?, ?)", tokens)
        conn.executemany("INSERT INTO idx_date VALUES (?, ?, ?, ?, ?, ?)", date_rows)
        conn.executemany("INSERT INTO idx_ref VALUES (?, ?, ?, ?)", refs)

    def bulk_load(self, resources: Iterable[dict[str, Any]], batch: int = 5000) -> int:
        """Insert many new resources fast (seeding, import); existing ids are updated instead."""
        loaded = 0
        pending: list[dict[str, Any]] = []

        def flush(conn: sqlite3.Connection) -> None:
            nonlocal loaded
            last_updated = dates.now_instant()
            fresh: list[NewRow] = []
            for resource in pending:
                current = self.read(resource["resourceType"], resource["id"])
                if current is None:
                    fresh.append(new_row(resource, last_updated))
                else:
                    self._write(conn, resource, current.version + 1, current)
            self._insert_new(conn, fresh)
            loaded += len(pending)
            pending.clear()

        with self.write() as conn:
            for resource in resources:
                pending.append(resource)
                if len(pending) >= batch:
                    flush(conn)
            flush(conn)
        return loaded

    def append(self, resources: list[dict[str, Any]], rows_of: IndexRowsOf = index_rows) -> None:
        """Add new resources (the audit events of a request); committed when this returns.
        A SharedStore commits those of concurrent callers together (and uses ``rows_of``)."""
        self.bulk_load(resources)

    def _insert_new(self, conn: sqlite3.Connection, items: list[NewRow]) -> None:
        """Insert prepared first versions (in the caller's write transaction) with fresh rids."""
        if not items:
            return
        next_rid = int(conn.execute("SELECT COALESCE(MAX(rid), 0) FROM resources").fetchone()[0])
        rows, index_items = [], []
        for item in items:
            next_rid += 1
            rows.append((next_rid, *item.row))
            index_items.append((next_rid, item.row[0], item.row[3], item.index))
        conn.executemany(
            "INSERT INTO resources (rid, type, id, version, last_updated, deleted, patient,"
            " private, body) VALUES (?, ?, ?, 1, ?, 0, ?, ?, ?)",
            rows,
        )
        self._insert_index(conn, index_items)

    def analyze(self) -> None:
        """Refresh the query planner's statistics (after loading much data)."""
        with self.write() as conn:
            conn.execute("ANALYZE")
