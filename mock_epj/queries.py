"""Named SQL queries over the store's tables, so that modules ask for facts instead of writing SQL.

The Store owns one ``Queries`` (``store.queries``). Callers ask by name (whose wards, which
patients, who owns a row, one page of a search, the usage log) and get Python values back;
search.py translates FHIR search parameters into a ``Query`` that is run here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_epj.store import Store, Stored

# The columns of a Stored row, in its order.
STORED_COLUMNS = ("rid", "type", "id", "version", "last_updated", "deleted", "patient", "body", "private")
_STORED_COLUMNS = ", ".join(f"s.{column}" for column in STORED_COLUMNS)
ACCESS_COUNTER = "access"  # the change counter of what the access rules depend on (store.py)
ESTIMATE_SECONDS = 30.0  # how long count_upto's counts are used again
_MAX_ESTIMATES = 20_000  # counts kept at most (all forgotten at once past that)

# The patients of current stays, driven by the few in-progress stays (87 in a hospital of 100,000
# patients), not by every stay a ward ever had; ``l`` is the stay's reference named by the argument.
_CURRENT_STAYS = (
    "SELECT r.patient FROM idx_token s CROSS JOIN idx_ref l ON l.rid = s.rid AND l.param = ?"
    " CROSS JOIN resources r ON r.rid = s.rid WHERE s.type = 'Encounter' AND s.param = 'status'"
    " AND s.code = 'in-progress' AND r.deleted = 0")
_USAGE_LOG_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS usage_log_records (
        batch_id TEXT NOT NULL, idx INTEGER NOT NULL, received TEXT NOT NULL,
        time_unix_nano INTEGER NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (batch_id, idx)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS usage_log_records_time ON usage_log_records (time_unix_nano)",
)
_APPOINTMENT_OFF = ("NOT EXISTS (SELECT 1 FROM idx_token s WHERE s.rid = r.rid AND s.param = 'status'"
                    " AND s.code IN ('cancelled', 'noshow', 'entered-in-error'))")


@dataclass(frozen=True)
class Query:
    """A search as SQL (built by search.py): the FROM/WHERE part and the sort."""

    where: str  # "FROM ... WHERE ...", selecting rows aliased ``r`` with a ``rid`` column
    args: list[Any]
    order: tuple[tuple[str, str], ...]  # (expression over ``r``, "ASC"/"DESC ..."), the row id last
    order_args: list[Any]


class Queries:
    """The named queries; reads join the caller's transaction, writes open one when there is none."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._estimates: dict[tuple[Any, ...], tuple[float, int]] = {}  # count_upto's, until when

    def _rows(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        return self._store.conn().execute(sql, args).fetchall()

    # ------------------------------------------------------------ care relations (access.py)

    def wards_of(self, practitioner_ref: str) -> tuple[str, ...]:
        """The Location references of the wards a practitioner's roles name."""
        return tuple(row[0] for row in self._rows(
            "SELECT DISTINCT l.ref FROM idx_ref p JOIN idx_ref l ON l.rid = p.rid"
            " AND l.param = 'location' WHERE p.type = 'PractitionerRole'"
            " AND p.param = 'practitioner' AND p.ref = ?", (practitioner_ref,)))

    def patients_staying_on(self, wards: tuple[str, ...]) -> set[str]:
        """Patients whose current stay is on one of the wards."""
        return {row[0] for row in self._rows(
            f"{_CURRENT_STAYS} AND l.ref IN (SELECT value FROM json_each(?))",
            ("location", json.dumps(list(wards))))}

    def patients_in_stays_with(self, practitioner_ref: str) -> set[str]:
        """Patients whose current stay names the practitioner as a participant."""
        return {row[0] for row in self._rows(f"{_CURRENT_STAYS} AND l.ref = ?",
                                             ("participant", practitioner_ref))}

    def patients_with_appointments(self, practitioner_ref: str, start: str, end: str) -> set[str]:
        """Patients with a booked (not cancelled) appointment with the practitioner in [start, end]."""
        return {row[0] for row in self._rows(
            "SELECT r.patient FROM idx_ref a JOIN resources r ON r.rid = a.rid"
            " JOIN idx_date d ON d.rid = r.rid AND d.param = 'date'"
            " WHERE a.type = 'Appointment' AND a.param = 'practitioner' AND a.ref = ?"
            f" AND r.deleted = 0 AND d.lo >= ? AND d.lo <= ? AND {_APPOINTMENT_OFF}",
            (practitioner_ref, start, end))}

    def current_stays(self) -> list[Stored]:
        """Every current (in-progress) Encounter that names a patient, in the order stored."""
        rids = [row[0] for row in self._rows(
            "SELECT r.rid FROM idx_token s JOIN resources r ON r.rid = s.rid"
            " WHERE s.type = 'Encounter' AND s.param = 'status' AND s.code = 'in-progress'"
            " AND r.deleted = 0 AND r.patient IS NOT NULL ORDER BY r.rid")]
        return self._store.read_rids(rids)

    def access_changes(self) -> int:
        """The counter the triggers move on every write the access rules depend on (store.py)."""
        rows = self._rows("SELECT value FROM change_counters WHERE name = ?", (ACCESS_COUNTER,))
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------ break-the-glass

    def break_glass_patients(self, practitioner_id: str, now: str) -> set[str]:
        """Patients the practitioner has emergency access to at ``now``."""
        return {row[0] for row in self._rows(
            "SELECT patient_id FROM break_glass WHERE practitioner_id = ? AND expires > ?",
            (practitioner_id, now))}

    def break_glass_expiry(self, practitioner_id: str, patient_id: str, now: str) -> str | None:
        """When the practitioner's emergency access to the patient ends (None: it has ended)."""
        rows = self._rows(
            "SELECT MAX(expires) FROM break_glass WHERE practitioner_id = ? AND patient_id = ?"
            " AND expires > ?", (practitioner_id, patient_id, now))
        return rows[0][0] if rows and rows[0][0] else None

    def break_glass_reason(self, practitioner_id: str, patient_id: str) -> str | None:
        """The reason given for the practitioner's latest emergency access to the patient."""
        rows = self._rows(
            "SELECT reason FROM break_glass WHERE practitioner_id = ? AND patient_id = ?"
            " ORDER BY expires DESC LIMIT 1", (practitioner_id, patient_id))
        return rows[0][0] if rows else None

    def add_break_glass(self, practitioner_id: str, patient_id: str, reason: str, granted: str,
                        expires: str) -> None:
        """Record an emergency access (in the caller's write transaction, or in its own)."""
        with self._store.write() as conn:
            conn.execute(
                "INSERT INTO break_glass (practitioner_id, patient_id, reason, granted, expires)"
                " VALUES (?, ?, ?, ?, ?)", (practitioner_id, patient_id, reason, granted, expires))

    # ------------------------------------------------------------ rows and references

    def owns(self, rid: int, practitioner_ref: str) -> bool:
        """Whether the practitioner is among the row's owners (sender, author, subscriber, ...)."""
        return bool(self._rows("SELECT 1 FROM idx_ref WHERE rid = ? AND param = '_owner' AND ref = ?",
                               (rid, practitioner_ref)))

    def references_from(self, rids: list[int], param: str) -> list[str]:
        """The distinct references the rows hold in one reference parameter."""
        return [row[0] for row in self._rows(
            "SELECT DISTINCT ref FROM idx_ref WHERE rid IN (SELECT value FROM json_each(?))"
            " AND param = ?", (json.dumps(rids), param))]

    def rids_referring_to(self, source_type: str, param: str, refs: list[str]) -> list[int]:
        """Current rows of ``source_type`` whose parameter ``param`` points at one of ``refs``."""
        return [row[0] for row in self._rows(
            "SELECT DISTINCT rid FROM idx_ref WHERE type = ? AND param = ?"
            " AND ref IN (SELECT value FROM json_each(?))", (source_type, param, json.dumps(refs)))]

    # ------------------------------------------------------------ searches

    def count_upto(self, rids_sql: str, args: list[Any], limit: int) -> int:
        """How many rids a ``SELECT rid ...`` selects, counting no further than ``limit``
        (cheap: search.py picks the criterion matching fewest rows to drive a search).

        An estimate: it decides only which criterion drives a search, never what the search
        finds (any driver gives the same rows), so a count is kept for ESTIMATE_SECONDS and
        used again by the searches of that time (one patient's overview asks the same ones
        each time it is opened: 8 counts an action, a tenth of the SQL)."""
        key = (rids_sql, *args, limit)
        now = time.monotonic()
        kept = self._estimates.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        count = int(self._rows(f"SELECT COUNT(*) FROM (SELECT rid FROM ({rids_sql}) LIMIT ?)",
                               [*args, limit])[0][0])
        if len(self._estimates) >= _MAX_ESTIMATES:
            self._estimates.clear()
        self._estimates[key] = (now + ESTIMATE_SECONDS, count)
        return count

    def search_count(self, query: Query) -> int:
        """How many rows the search matches."""
        return int(self._rows(f"SELECT COUNT(*) {query.where}", query.args)[0][0])

    def search_page(self, query: Query, limit: int, offset: int) -> tuple[int, list[Stored]]:
        """(total, one page of rows) from one statement, so from one consistent state: the page's
        row ids are found with the total (a window) and their sort keys, then only those rows
        are read, and put in the same order again."""
        from mock_epj.store import Stored  # here: store.py imports this module

        terms = query.order
        keys = ", ".join(f"{expression} AS k{n}" for n, (expression, _) in enumerate(terms))
        inner_order = ", ".join(f"k{n} {direction}" for n, (_, direction) in enumerate(terms))
        outer_order = ", ".join(f"p.k{n} {direction}" for n, (_, direction) in enumerate(terms))
        rows = self._rows(
            f"SELECT p.total, {_STORED_COLUMNS} FROM (SELECT COUNT(*) OVER () AS total, {keys}"
            f" {query.where} ORDER BY {inner_order} LIMIT ? OFFSET ?) p"
            f" CROSS JOIN resources s ON s.rid = p.k{len(terms) - 1} ORDER BY {outer_order}",
            [*query.order_args, *query.args, limit, offset])
        if rows:
            total = int(rows[0][0])
        elif offset:
            total = self.search_count(query)
        else:
            total = 0
        return total, [Stored(*row[1:]) for row in rows]

    # ------------------------------------------------------------ logins and sessions (auth.py)

    def save_logins(self, rows: list[tuple[str, str, str, str, str, str]]) -> None:
        """Store (username, PIN hash, salt, practitioner id, role, name) rows."""
        with self._store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO logins (username, pin_hash, salt, practitioner_id, role, name)"
                " VALUES (?, ?, ?, ?, ?, ?)", rows)

    def login(self, username: str) -> tuple[str, str, str, str, str] | None:
        """(PIN hash, salt, practitioner id, role, name) of a username."""
        rows = self._rows("SELECT pin_hash, salt, practitioner_id, role, name FROM logins"
                          " WHERE username = ?", (username,))
        return tuple(rows[0]) if rows else None

    def locked_until(self, username: str) -> float:
        """Until when (clock seconds) the user is locked out; 0 when not."""
        rows = self._rows("SELECT locked_until FROM login_failures WHERE username = ?", (username,))
        return float(rows[0][0]) if rows else 0.0

    def count_failed_login(self, username: str, max_failures: int, lock_until: float) -> None:
        """Count a wrong PIN; the ``max_failures``-th locks the user until ``lock_until`` and
        starts the count again (one step in the caller's write transaction)."""
        with self._store.write() as conn:
            (count,) = conn.execute(
                "INSERT INTO login_failures (username, count, locked_until) VALUES (?, 1, 0)"
                " ON CONFLICT (username) DO UPDATE SET count = count + 1 RETURNING count",
                (username,)).fetchone()
            if count >= max_failures:
                conn.execute("UPDATE login_failures SET count = 0, locked_until = ? WHERE username = ?",
                             (lock_until, username))

    def address_locked_until(self, address: str) -> float:
        """Until when (clock seconds) logins from this client address are refused; 0 when not."""
        rows = self._rows("SELECT locked_until FROM address_failures WHERE address = ?", (address,))
        return float(rows[0][0]) if rows else 0.0

    def count_address_failure(self, address: str, now: float, window: float, max_failures: int,
                              lock_until: float) -> None:
        """Count a wrong PIN from a client address, whichever user it was for: the
        ``max_failures``-th within ``window`` seconds locks the address until ``lock_until``. A
        right PIN does not reset it (an attacker's own account would)."""
        with self._store.write() as conn:
            (count,) = conn.execute(
                "INSERT INTO address_failures (address, count, since, locked_until) VALUES (?, 1, ?, 0)"
                " ON CONFLICT (address) DO UPDATE SET"
                " count = CASE WHEN since < ? THEN 1 ELSE count + 1 END,"
                " since = CASE WHEN since < ? THEN excluded.since ELSE since END RETURNING count",
                (address, now, now - window, now - window)).fetchone()
            if count >= max_failures:
                conn.execute("UPDATE address_failures SET count = 0, since = ?, locked_until = ?"
                             " WHERE address = ?", (now, lock_until, address))

    def unlock(self, username: str | None = None, address: str | None = None) -> int:
        """Lift the lock-out of a user and/or a client address (and forget their wrong PINs);
        returns how many locks or counts were removed."""
        with self._store.write() as conn:
            removed = 0
            if username is not None:
                removed += conn.execute("DELETE FROM login_failures WHERE username = ?", (username,)).rowcount
            if address is not None:
                removed += conn.execute("DELETE FROM address_failures WHERE address = ?", (address,)).rowcount
            return removed

    def start_session(self, token_hash: str, username: str, practitioner_id: str, role: str,
                      name: str, expires: float, forget_before: float) -> None:
        """A right PIN: forget the user's wrong PINs and sessions that expired before
        ``forget_before``, and store the new session (by the hash of its token; its own family,
        so that a logout also ends the tokens exchanged for it)."""
        with self._store.write():
            self.forget_failures(username)
            self.add_token(token_hash, (username, practitioner_id, role, name), expires, forget_before,
                           family=token_hash)

    def forget_failures(self, username: str) -> None:
        """A right PIN: the user's wrong PINs are forgotten."""
        with self._store.write() as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))

    def add_token(self, token_hash: str, account: tuple[str, str, str, str], expires: float,
                  forget_before: float, *, scope: str | None = None, patient: str | None = None,
                  client_id: str | None = None, family: str | None = None) -> None:
        """Store an access token (by its hash) for ``account`` (username, practitioner id, role,
        name), forgetting tokens that expired before ``forget_before``."""
        with self._store.write() as conn:
            conn.execute("DELETE FROM sessions WHERE expires <= ?", (forget_before,))
            conn.execute(
                "INSERT INTO sessions (token_hash, username, practitioner_id, role, name, expires, scope,"
                " patient, client_id, family) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (token_hash, *account, expires, scope, patient, client_id, family))

    def session(self, token_hash: str) -> tuple[Any, ...] | None:
        """(username, practitioner id, role, name, expires, scope, patient, client id, family) of
        a session."""
        rows = self._rows("SELECT username, practitioner_id, role, name, expires, scope, patient, client_id,"
                          " family FROM sessions WHERE token_hash = ?", (token_hash,))
        return tuple(rows[0]) if rows else None

    def end_session(self, token_hash: str) -> bool:
        """Delete a session and every token of its login (its family: refreshed and exchanged
        tokens); False when there was none."""
        with self._store.write() as conn:
            row = conn.execute("SELECT family FROM sessions WHERE token_hash = ?", (token_hash,)).fetchone()
            if row is None:
                return False
            if row[0] is not None:
                self.end_family(row[0])
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
            return True

    def end_family(self, family: str) -> int:
        """Revoke every access and refresh token of one login; returns how many there were."""
        with self._store.write() as conn:
            ended = conn.execute("DELETE FROM sessions WHERE family = ?", (family,)).rowcount
            return int(ended + conn.execute("DELETE FROM oauth_refresh WHERE family = ?", (family,)).rowcount)

    def forget_logins_state(self) -> None:
        """Every session, pending login, code, refresh token and wrong-PIN count (a server
        starting logs everyone out)."""
        with self._store.write() as conn:
            for table in ("sessions", "login_failures", "address_failures", "oauth_requests", "oauth_codes",
                          "oauth_refresh"):
                conn.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------ the authorization server (oauth.py)

    def add_authorize_request(self, id_hash: str, request: str, expires: float, now: float) -> None:
        """A pending authorize request (its parameters as JSON), by the hash of its id."""
        with self._store.write() as conn:
            conn.execute("DELETE FROM oauth_requests WHERE expires <= ?", (now,))
            conn.execute("INSERT INTO oauth_requests (id_hash, request, expires) VALUES (?, ?, ?)",
                         (id_hash, request, expires))

    def authorize_request(self, id_hash: str, now: float) -> str | None:
        rows = self._rows("SELECT request FROM oauth_requests WHERE id_hash = ? AND expires > ?", (id_hash, now))
        return str(rows[0][0]) if rows else None

    def end_authorize_request(self, id_hash: str) -> bool:
        """Delete a pending request; False when it was gone already (used by a parallel answer)."""
        with self._store.write() as conn:
            return conn.execute("DELETE FROM oauth_requests WHERE id_hash = ?", (id_hash,)).rowcount > 0

    def add_code(self, code_hash: str, grant: str, expires: float, now: float) -> None:
        with self._store.write() as conn:
            conn.execute("DELETE FROM oauth_codes WHERE expires <= ?", (now - 3600,))
            conn.execute("INSERT INTO oauth_codes (code_hash, grant_json, expires) VALUES (?, ?, ?)",
                         (code_hash, grant, expires))

    def use_code(self, code_hash: str) -> tuple[str, float, bool] | None:
        """Mark a code used (in the caller's write transaction) and return (grant JSON, expires,
        whether it had been used before); None for a code never issued."""
        with self._store.write() as conn:
            row = conn.execute("SELECT grant_json, expires, used FROM oauth_codes WHERE code_hash = ?",
                               (code_hash,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE oauth_codes SET used = 1 WHERE code_hash = ?", (code_hash,))
            return str(row[0]), float(row[1]), bool(row[2])

    def add_refresh_token(self, token_hash: str, family: str, grant: str, expires: float, now: float) -> None:
        with self._store.write() as conn:
            conn.execute("DELETE FROM oauth_refresh WHERE expires <= ?", (now,))
            conn.execute("INSERT INTO oauth_refresh (token_hash, family, grant_json, expires) VALUES (?, ?, ?, ?)",
                         (token_hash, family, grant, expires))

    def use_refresh_token(self, token_hash: str) -> tuple[str, str, float, bool] | None:
        """Mark a refresh token used (rotation) and return (family, grant JSON, expires, whether it
        had been used before); None for one never issued or revoked."""
        with self._store.write() as conn:
            row = conn.execute("SELECT family, grant_json, expires, used FROM oauth_refresh WHERE token_hash = ?",
                               (token_hash,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE oauth_refresh SET used = 1 WHERE token_hash = ?", (token_hash,))
            return str(row[0]), str(row[1]), float(row[2]), bool(row[3])

    def refresh_token(self, token_hash: str) -> tuple[str, str] | None:
        """(family, grant JSON) of a refresh token, used or not."""
        rows = self._rows("SELECT family, grant_json FROM oauth_refresh WHERE token_hash = ?", (token_hash,))
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def setting_once(self, key: str, value: str) -> str:
        """The setting's value; ``value`` is stored first when there is none (the first of
        several processes to ask decides)."""
        with self._store.write() as conn:
            conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, value))
            return str(conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0])

    # ------------------------------------------------------------ usage log (collector.py)

    def create_usage_log(self) -> None:
        """The table of usage-log records the collector receives (kept apart from the record)."""
        with self._store.write() as conn:
            for statement in _USAGE_LOG_SCHEMA:
                conn.execute(statement)

    def add_usage_records(self, rows: list[tuple[str, int, str, int, str]]) -> int:
        """Store (batch id, index, received, time, record JSON) rows; returns how many were new
        (a row whose batch id and index are stored already is skipped)."""
        with self._store.write() as conn:
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO usage_log_records VALUES (?, ?, ?, ?, ?)", rows)
            return conn.total_changes - before

    def usage_records(self) -> list[str]:
        """Every record's JSON, oldest first."""
        return [row[0] for row in self._rows(
            "SELECT record FROM usage_log_records ORDER BY time_unix_nano, batch_id, idx")]

    def count_usage_records(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM usage_log_records")[0][0])


class FaultRow:
    """The one row of fault settings every worker process shares (faults.py), over a connection
    of its own: it is read on the HTTP connection threads, which have no store connection."""

    _NAMES = ("error_next", "drop_next")  # the countdowns

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None, timeout=30,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def create(self, default_settings: str) -> None:
        """The table, and its row with ``default_settings`` unless there is one."""
        conn = self._connection()
        conn.execute("CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY CHECK (id = 1),"
                     " settings TEXT NOT NULL, error_next INTEGER NOT NULL DEFAULT 0,"
                     " drop_next INTEGER NOT NULL DEFAULT 0)")
        conn.execute("INSERT OR IGNORE INTO faults (id, settings) VALUES (1, ?)", (default_settings,))

    def read(self) -> tuple[str, int, int] | None:
        """(settings JSON, error_next, drop_next)."""
        row = self._connection().execute(
            "SELECT settings, error_next, drop_next FROM faults WHERE id = 1").fetchone()
        return (row[0], int(row[1]), int(row[2])) if row else None

    def write(self, settings: str, error_next: int, drop_next: int) -> None:
        self._connection().execute(
            "INSERT OR REPLACE INTO faults (id, settings, error_next, drop_next) VALUES (1, ?, ?, ?)",
            (settings, error_next, drop_next))

    def take(self, name: str) -> bool:
        """Count one of the countdown ``name`` down, atomically; False when none was left."""
        assert name in self._NAMES
        return self._connection().execute(
            f"UPDATE faults SET {name} = {name} - 1 WHERE id = 1 AND {name} > 0 RETURNING {name}"
        ).fetchone() is not None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Reads and writes as one step across processes."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
