"""The event registry: every usage event the app may log, with the attributes each one allows.

Nothing else gets into a usage record. An attribute is a short code from a fixed set, a number in
a range, or a yes/no flag; there is no free-text attribute, so a name, a person number or a typed
search can never be logged. ``check_event`` returns why an event is refused (or None), and the
UsageLog raises that as ValueError in strict mode (tests) or drops and counts it (production).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

AttributeValue = str | int | float | bool

# Longer runs of digits look like a person number (11), a GSRN (18) or a phone number.
_DIGIT_RUN = re.compile(r"\d{10,}")


@dataclass(frozen=True)
class Codes:
    """A string from a fixed set of codes."""

    values: frozenset[str]

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(sorted(self.values))


@dataclass(frozen=True)
class Number:
    """A finite number from ``low`` to ``high`` (a whole number when ``whole``); never a bool."""

    low: float
    high: float
    whole: bool = False

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.whole and not isinstance(value, int):
            return False
        return math.isfinite(value) and self.low <= value <= self.high

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class Flag:
    """True or false."""

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Pattern:
    """A short identifier-like code matching ``regex`` (never a long run of digits)."""

    regex: re.Pattern[str]

    def accepts(self, value: object) -> bool:
        return (isinstance(value, str) and self.regex.fullmatch(value) is not None
                and _DIGIT_RUN.search(value) is None)

    def describe(self) -> str:
        return f"a code matching {self.regex.pattern}"


AttributeKind = Codes | Number | Flag | Pattern


def codes(*values: str) -> Codes:
    return Codes(frozenset(values))


COUNT = Number(0, 100_000, whole=True)
MAX_DURATION_MS = 30 * 24 * 3600 * 1000.0  # a session that lasts a month is a bug, not a value
DURATION = Number(0, MAX_DURATION_MS)

ROLES = codes("doctor", "nurse", "health_worker", "auditor", "other")
# A ward is a Location code such as ward-med, or a RESH number (6 to 9 digits): never anything that
# could be a patient's or person's id. A real EPJ's Location ids are mapped to one of these.
WARD = Pattern(re.compile(r"ward-[a-z0-9][a-z0-9-]{0,31}|\d{6,9}"))
PLATFORMS = codes("android", "ios", "linux", "macos", "windows", "web", "other")
APP_VERSION = Pattern(re.compile(r"\d{1,4}(\.\d{1,4}){0,3}([.+-][A-Za-z0-9.]{1,16})?"))

SCREENS = codes(
    "login", "lock", "my_patients", "ward_list", "search", "scan", "notifications", "messages",
    "patient_overview", "critical_info", "labs", "trend", "microbiology", "documents", "document",
    "stays", "patient_info", "treatment_plan", "plo_messages", "notes", "note_editor", "outbox",
    "break_glass", "settings", "sus_questionnaire", "task", "vital_signs", "news2_trend",
    "thrombosis_risk", "dictation", "photo", "my_tasks", "appointment_book", "attendances",
)
ERROR_TYPES = codes(
    "offline", "timeout", "server_error", "bad_response", "not_logged_in", "session_expired",
    "wrong_credentials", "account_locked", "access_denied", "not_found", "conflict", "invalid",
    "input_rejected", "decoder_unavailable", "unreadable_image", "camera_unavailable",
    "storage_failed", "outbox_unreadable", "no_secure_store", "internal",
)
LAB_GROUPS = codes("haematology", "chemistry", "cardiac", "blood_gas", "vital_signs", "other")
NOTE_TYPES = codes("journal_note", "own_note", "ward_note", "message", "vital_signs", "thrombosis_risk",
                   "spo2_scale", "task_status", "arrival")
SUCCESS_FAILURE = codes("success", "failure")
SUS_ANSWER = Number(1, 5, whole=True)


@dataclass(frozen=True)
class EventSpec:
    """One event: what it means, what ``duration_ms`` measures, its outcomes and attributes."""

    name: str
    meaning: str
    attributes: Mapping[str, AttributeKind] = field(default_factory=dict)
    outcomes: frozenset[str] = frozenset()  # empty: the event takes no outcome
    patient: bool = False  # may carry a (pseudonymised) patient id
    duration: str = ""  # what duration_ms measures; empty: the event takes no duration


def _spec(name: str, meaning: str, *, attributes: Mapping[str, AttributeKind] | None = None,
          outcomes: Codes | None = None, patient: bool = False, duration: str = "") -> EventSpec:
    return EventSpec(name, meaning, dict(attributes or {}), outcomes.values if outcomes else frozenset(),
                     patient, duration)


_SUS_ITEMS: dict[str, AttributeKind] = {f"q{i}": SUS_ANSWER for i in range(1, 11)}

EVENTS: Mapping[str, EventSpec] = {spec.name: spec for spec in (
    _spec("app_start", "the app was started", attributes={"cold": Flag()},
          duration="ms from process start until the first screen was shown"),
    _spec("login", "a login attempt ended", outcomes=SUCCESS_FAILURE,
          attributes={"reason": codes("wrong_credentials", "account_locked", "offline", "timeout",
                                      "server_error", "no_secure_store", "cancelled", "refused",
                                      "internal")},
          duration="ms from pressing log in until the session began (or the failure)"),
    _spec("lock", "the app locked", attributes={"trigger": codes("idle", "manual", "background")}),
    _spec("unlock", "an unlock attempt ended", outcomes=SUCCESS_FAILURE,
          attributes={"reason": codes("wrong_pin", "too_many_attempts", "internal")},
          duration="ms the app was locked"),
    _spec("session_end", "a login session ended (written by UsageLog.end_session)",
          attributes={"reason": codes("logout", "switch_user", "expired", "app_exit", "locked_out")},
          duration="ms since the session started"),
    _spec("screen_shown", "a screen was shown", outcomes=codes("success", "empty", "failure"),
          attributes={"screen": SCREENS, "cached": Flag()},
          duration="ms from navigating until its data was on screen"),
    _spec("search", "a patient search answered", outcomes=SUCCESS_FAILURE,
          attributes={"kind": codes("name", "identifier", "birth_date"), "result_count": COUNT},
          duration="ms from the last keystroke until the results were shown"),
    _spec("scan", "a wristband scan ended",
          outcomes=codes("success", "no_code", "invalid", "conflict", "not_found", "mismatch",
                         "cancelled", "failure"),
          attributes={"source": codes("scanner", "camera", "file", "manual"),
                      "code": codes("code128", "datamatrix", "qr", "other"),
                      "identifier": codes("person_identifier", "gsrn", "unknown")},
          duration="ms from starting the scan until the patient was found (or it failed)"),
    _spec("patient_opened", "a patient's record was opened", patient=True,
          outcomes=codes("success", "denied", "failure"),
          attributes={"via": codes("search", "scan", "ward_list", "my_patients", "notification", "outbox",
                                   "message", "task", "appointment"),
                      "break_glass": Flag()},
          duration="ms from the tap until the overview was on screen"),
    _spec("lab_view", "the lab results tab was shown", patient=True, outcomes=SUCCESS_FAILURE,
          attributes={"result_count": COUNT, "new_count": COUNT},
          duration="ms until the results were on screen"),
    _spec("trend_view", "a trend chart was shown", patient=True,
          attributes={"group": LAB_GROUPS, "points": COUNT}, duration="ms until the chart was drawn"),
    _spec("result_signed", "lab results were signed", patient=True,
          outcomes=codes("success", "conflict", "failure"), attributes={"count": COUNT},
          duration="ms from pressing sign until the EPJ confirmed"),
    _spec("note_created", "a note or message was saved", patient=True,
          attributes={"delivery": codes("direct", "queued", "failed"), "note_type": NOTE_TYPES},
          duration="ms from pressing save until it was confirmed (direct) or queued"),
    _spec("note_delivered", "a queued note or message reached the EPJ later", patient=True,
          attributes={"note_type": NOTE_TYPES, "attempts": COUNT},
          duration="ms from saving until the EPJ confirmed"),
    _spec("break_glass_used", "emergency access was granted (never the reason)", patient=True),
    _spec("error", "an error was shown to the user",
          attributes={"type": ERROR_TYPES, "screen": SCREENS}),
    _spec("offline", "the connection to the EPJ was lost"),
    _spec("online", "the connection to the EPJ came back", duration="ms the app was offline"),
    _spec("sus_offered", "the usability questionnaire was offered"),
    _spec("sus_dismissed", "the usability questionnaire was dismissed"),
    _spec("sus_submitted", "the usability questionnaire was answered",
          attributes={"score": Number(0, 100), **_SUS_ITEMS},
          duration="ms spent answering"),
)}

OUTCOMES: frozenset[str] = frozenset().union(*(spec.outcomes for spec in EVENTS.values()))


class EventRejected(ValueError):
    """An event, attribute or value that is not in the registry (``reason`` is a short code)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_event(name: str, duration_ms: object, outcome: object, patient_id: object,
                attributes: Mapping[str, object]) -> EventRejected | None:
    """Why this event may not be logged, or None when it may. Values are named, never echoed."""
    spec = EVENTS.get(name)
    if spec is None:
        return EventRejected("unknown usage event (not in the registry)", "unknown_event")
    if duration_ms is not None and not (spec.duration and DURATION.accepts(duration_ms)):
        return EventRejected(f"{name}: duration_ms must be {DURATION.describe()}"
                             if spec.duration else f"{name} takes no duration", "bad_duration")
    if outcome is not None and not (isinstance(outcome, str) and outcome in spec.outcomes):
        allowed = ", ".join(sorted(spec.outcomes)) or "none"
        return EventRejected(f"{name}: outcome must be one of: {allowed}", "bad_outcome")
    if patient_id is not None and not (spec.patient and isinstance(patient_id, str) and patient_id):
        return EventRejected(f"{name} takes no patient" if not spec.patient
                             else f"{name}: patient_id must be a non-empty string", "bad_patient")
    for key, value in attributes.items():
        kind = spec.attributes.get(key)
        if kind is None:
            allowed = ", ".join(sorted(spec.attributes)) or "none"
            return EventRejected(f"{name}: attribute {key!r} is not allowed (allowed: {allowed})",
                                 "unknown_attribute")
        if not kind.accepts(value):
            return EventRejected(f"{name}: {key} must be {kind.describe()}", "bad_value")
    return None


# Exception class names (anywhere in the MRO) to error codes; see error_type().
_ERROR_CLASSES = {
    "WrongCredentials": "wrong_credentials", "AccountLocked": "account_locked",
    "SessionExpired": "session_expired", "NotLoggedIn": "not_logged_in", "AuthError": "not_logged_in",
    "AccessDenied": "access_denied", "NotFound": "not_found", "Conflict": "conflict",
    "InputRejected": "input_rejected", "InvalidRequest": "invalid", "Offline": "offline",
    "TimedOut": "timeout", "ServerError": "server_error", "Unavailable": "server_error",
    "BadResponse": "bad_response", "DecoderUnavailable": "decoder_unavailable",
    "UnreadableImage": "unreadable_image", "StorageFailed": "storage_failed",
    "OutboxUnreadable": "outbox_unreadable", "TimeoutError": "timeout", "ConnectionError": "offline",
}


def error_type(error: BaseException) -> str:
    """The ``error`` event's type code for an exception: its nearest known class, else internal."""
    for cls in type(error).__mro__:
        code = _ERROR_CLASSES.get(cls.__name__)
        if code is not None:
            return code
    return "internal"
