"""Who may read which patient's record: the need-to-know rules of a Norwegian hospital.

A practitioner has a care relation to a patient when the patient's current stay is on one of the
practitioner's wards, when the practitioner takes part in that stay, when they have an appointment
together from yesterday to a week ahead, or when the practitioner has used break-the-glass for
that patient within the last four hours.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mock_epj import dates
from mock_epj.auth import Session
from mock_epj.errors import FhirError, forbidden
from mock_epj.store import Store

BREAK_GLASS_HOURS = 4
MIN_REASON_LENGTH = 10
_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Grant:
    patients: frozenset[str]
    wards: tuple[str, ...]
    emergency: frozenset[str]  # patients reached by break-the-glass only


class AccessControl:
    """Computes a practitioner's patients, cached until the next write or for 30 seconds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, float, Grant]] = {}
        self._lock = threading.Lock()

    def grant(self, session: Session) -> Grant:
        key = session.practitioner_id
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] == self.store.generation and now - cached[1] < _CACHE_SECONDS:
            return cached[2]
        generation = self.store.generation
        grant = self._compute(session.practitioner_ref, session.practitioner_id)
        with self._lock:
            self._cache[key] = (generation, now, grant)
        return grant

    def _compute(self, practitioner_ref: str, practitioner_id: str) -> Grant:
        conn = self.store.conn()
        wards = tuple(
            row[0] for row in conn.execute(
                "SELECT DISTINCT l.ref FROM idx_ref p JOIN idx_ref l ON l.rid = p.rid"
                " AND l.param = 'location' WHERE p.type = 'PractitionerRole'"
                " AND p.param = 'practitioner' AND p.ref = ?",
                (practitioner_ref,),
            )
        )
        in_progress = (
            "EXISTS (SELECT 1 FROM idx_token s WHERE s.rid = r.rid AND s.param = 'status'"
            " AND s.code = 'in-progress')"
        )
        patients: set[str] = set()
        for (patient,) in conn.execute(
            "SELECT r.patient FROM idx_ref l JOIN resources r ON r.rid = l.rid"
            " WHERE l.type = 'Encounter' AND l.param = 'location'"
            f" AND l.ref IN (SELECT value FROM json_each(?)) AND r.deleted = 0 AND {in_progress}",
            (json.dumps(list(wards)),),
        ):
            patients.add(patient)
        for (patient,) in conn.execute(
            "SELECT r.patient FROM idx_ref l JOIN resources r ON r.rid = l.rid"
            " WHERE l.type = 'Encounter' AND l.param = 'participant' AND l.ref = ?"
            f" AND r.deleted = 0 AND {in_progress}",
            (practitioner_ref,),
        ):
            patients.add(patient)
        now = datetime.now(UTC)
        for (patient,) in conn.execute(
            "SELECT r.patient FROM idx_ref a JOIN resources r ON r.rid = a.rid"
            " JOIN idx_date d ON d.rid = r.rid AND d.param = 'date'"
            " WHERE a.type = 'Appointment' AND a.param = 'practitioner' AND a.ref = ?"
            " AND r.deleted = 0 AND d.lo >= ? AND d.lo <= ?"
            " AND NOT EXISTS (SELECT 1 FROM idx_token s WHERE s.rid = r.rid"
            " AND s.param = 'status' AND s.code IN ('cancelled', 'noshow', 'entered-in-error'))",
            (practitioner_ref, dates.as_key(now - timedelta(days=1)),
             dates.as_key(now + timedelta(days=7))),
        ):
            patients.add(patient)
        emergency = {
            row[0] for row in conn.execute(
                "SELECT patient_id FROM break_glass WHERE practitioner_id = ? AND expires > ?",
                (practitioner_id, dates.now_instant()),
            )
        } - patients
        return Grant(frozenset(patients | emergency), wards, frozenset(emergency))

    def break_glass_expiry(self, session: Session, patient_id: str) -> str | None:
        row = self.store.conn().execute(
            "SELECT MAX(expires) FROM break_glass WHERE practitioner_id = ? AND patient_id = ?"
            " AND expires > ?",
            (session.practitioner_id, patient_id, dates.now_instant()),
        ).fetchone()
        return row[0] if row and row[0] else None

    def break_glass(self, session: Session, patient_id: str, reason: str) -> str:
        """Grant emergency access for four hours; returns when it expires."""
        reason = reason.strip()
        if len(reason) < MIN_REASON_LENGTH:
            raise FhirError(
                400, "invalid",
                f"A break-the-glass reason needs at least {MIN_REASON_LENGTH} characters",
            )
        now = datetime.now(UTC)
        expires = dates.format_instant(now + timedelta(hours=BREAK_GLASS_HOURS))
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO break_glass (practitioner_id, patient_id, reason, granted, expires)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.practitioner_id, patient_id, reason, dates.format_instant(now), expires),
            )
        return expires

    def require(self, session: Session, patient_id: str) -> None:
        if patient_id not in self.grant(session).patients:
            raise no_relation(patient_id)


def no_relation(patient_id: str) -> FhirError:
    return forbidden(
        f"You have no care relation to Patient/{patient_id}: the patient is not on your ward, not in"
        " a stay you take part in and has no appointment with you. In an emergency, repeat the"
        " request with the header X-Break-Glass-Reason giving your reason (at least"
        f" {MIN_REASON_LENGTH} characters); the access is logged and followed up."
    )
