"""Who may read which patient's record: the need-to-know rules of a Norwegian hospital.

A practitioner has a care relation to a patient when the patient's current stay is on one of the
practitioner's wards, when the practitioner takes part in that stay, when they have an appointment
together from yesterday to a week ahead, or when the practitioner has used break-the-glass for
that patient within the last four hours.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mock_epj import dates
from mock_epj.auth import Session
from mock_epj.errors import FhirError, forbidden
from mock_epj.store import Store

BREAK_GLASS_HOURS = 4
MIN_REASON_LENGTH = 10  # visible characters (see visible_length)
BREAK_GLASS_ROLES = frozenset({"doctor", "nurse", "health_worker"})  # clinical roles; not the auditor
# Unicode categories that show nothing by themselves: controls, format characters (zero-width
# spaces and joiners, the BOM, bidi marks), surrogates, private use, unassigned, separators
# (spaces) and combining marks (which only decorate the character before them).
_INVISIBLE_CATEGORIES = ("C", "Z", "M")
# Letters and symbols that are drawn as blanks (Hangul fillers, the blank Braille pattern).
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Grant:
    patients: frozenset[str]
    wards: tuple[str, ...]
    emergency: frozenset[str]  # patients reached by break-the-glass only


class AccessControl:
    """Computes a practitioner's patients, cached until a write the rules depend on (by any
    process: a change counter in the database, see store.py) or for 30 seconds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, float, Grant]] = {}
        self._lock = threading.Lock()

    def grant(self, session: Session) -> Grant:
        key = session.practitioner_id
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        # Read before computing: a write that lands meanwhile moves the counter past what is cached.
        generation = self.store.queries.access_changes()
        if cached and cached[0] == generation and now - cached[1] < _CACHE_SECONDS:
            return cached[2]
        grant = self._compute(session.practitioner_ref, session.practitioner_id)
        if not self.store.in_write():  # what a transaction wrote is not kept until it commits
            with self._lock:
                self._cache[key] = (generation, now, grant)
        return grant

    def _compute(self, practitioner_ref: str, practitioner_id: str) -> Grant:
        queries = self.store.queries
        wards = queries.wards_of(practitioner_ref)
        now = datetime.now(UTC)
        patients = (queries.patients_staying_on(wards)
                    | queries.patients_in_stays_with(practitioner_ref)
                    | queries.patients_with_appointments(
                        practitioner_ref, dates.as_key(now - timedelta(days=1)),
                        dates.as_key(now + timedelta(days=7))))
        emergency = queries.break_glass_patients(practitioner_id, dates.now_instant()) - patients
        return Grant(frozenset(patients | emergency), wards, frozenset(emergency))

    def break_glass_expiry(self, session: Session, patient_id: str) -> str | None:
        return self.store.queries.break_glass_expiry(session.practitioner_id, patient_id,
                                                     dates.now_instant())

    def break_glass_reason(self, session: Session, patient_id: str) -> str | None:
        """The reason given for the latest break-the-glass (for audit events of later reads)."""
        return self.store.queries.break_glass_reason(session.practitioner_id, patient_id)

    def break_glass(self, session: Session, patient_id: str, reason: str) -> str:
        """Grant emergency access for four hours; returns when it expires."""
        reason = reason.strip()
        check_reason(reason)
        now = datetime.now(UTC)
        expires = dates.format_instant(now + timedelta(hours=BREAK_GLASS_HOURS))
        self.store.queries.add_break_glass(session.practitioner_id, patient_id, reason,
                                           dates.format_instant(now), expires)
        return expires

    def require(self, session: Session, patient_id: str) -> None:
        if patient_id not in self.grant(session).patients:
            raise no_relation(patient_id)


def visible_length(text: str) -> int:
    """How many characters of ``text`` can be seen: not spaces, controls, zero-width or format
    characters, combining marks or blank-looking letters (the app's domain/break_glass.py has the
    same rule; the two never import each other)."""
    return sum(1 for char in text
               if not unicodedata.category(char).startswith(_INVISIBLE_CATEGORIES) and char not in _BLANKS)


def check_reason(reason: str) -> None:
    """400 unless a break-the-glass reason has enough visible characters."""
    visible = visible_length(reason)
    if visible < MIN_REASON_LENGTH:
        raise FhirError(
            400, "invalid",
            f"A break-the-glass reason needs at least {MIN_REASON_LENGTH} characters (visible"
            f" characters: spaces, control and invisible characters do not count); this one has {visible}",
            expression=["X-Break-Glass-Reason"],
        )


def no_relation(patient_id: str, header_hint: bool = True) -> FhirError:
    """403 for a patient without a care relation; ``header_hint``: say how the mock's custom
    break-the-glass header opens the record (a strict server honours no custom header)."""
    text = (f"You have no care relation to Patient/{patient_id}: the patient is not on your ward, not in"
            " a stay you take part in and has no appointment with you.")
    if header_hint:
        text += (" In an emergency, repeat the request with the header X-Break-Glass-Reason giving your"
                 f" reason (at least {MIN_REASON_LENGTH} characters); the access is logged and followed up.")
    return forbidden(text)
