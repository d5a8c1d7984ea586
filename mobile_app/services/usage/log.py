"""UsageLog: the event logger the app calls. It never slows the UI and never logs an identity.

``event()`` checks the event against the registry and appends it to an in-memory queue; that is
all that happens on the caller's thread (a few microseconds). A writer thread turns queued events
into records, appends them to the day's JSON Lines file, and every ``batch_interval_s`` (or
``batch_max_records``) spools a batch for the collector; a sender thread delivers the spool (see
sender.py). ``flush(timeout)`` waits for both, for shutdown and tests.

Typical use by the app:

    usage = UsageLog(UsageConfig.load())
    usage.event("app_start", duration_ms=830)
    usage.start_session(practitioner_id, role, ward)        # after a successful login
    usage.event("login", outcome="success", duration_ms=412)
    with usage.timed("search", kind="name") as timing:
        hits = await client.search_patients(text)
        timing.attributes["result_count"] = len(hits)
        timing.outcome = "success"
    usage.event("patient_opened", via="scan", patient_id=patient.id, duration_ms=388)
    usage.end_session("logout")
    usage.close()                                          # at exit: flush, then stop
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from mobile_app.services.usage.config import UsageConfig
from mobile_app.services.usage.files import LogFiles, Spool, enforce_cap
from mobile_app.services.usage.otlp import encode_batch_bytes
from mobile_app.services.usage.records import (
    Origin,
    Pseudonymizer,
    SessionFields,
    load_install_id,
    make_record,
    to_line,
    utc_day,
)
from mobile_app.services.usage.registry import (
    EVENTS,
    ROLES,
    WARD,
    AttributeValue,
    EventRejected,
    check_event,
)
from mobile_app.services.usage.sender import CollectorSender
from mobile_app.services.usage.sus import sus_score

log = logging.getLogger(__name__)

# (time, event, duration_ms, outcome, patient pseudonym, attributes, session)
_Queued = tuple[float, str, float | None, str | None, str | None, dict[str, AttributeValue], SessionFields | None]


@dataclass(frozen=True)
class UsageStats:
    """Counters for the app's diagnostics and for tests."""

    enabled: bool
    queued: int
    records_written: int
    batches_spooled: int
    batches_pending: int
    batches_sent: int
    refused: dict[str, int]  # events refused by the registry, by reason (production mode)
    dropped: dict[str, int]  # queue_full, write_failed, day_files_over_cap, batches_over_cap, ...


@dataclass
class Timing:
    """What ``UsageLog.timed`` logs when its block ends; set the outcome and attributes inside."""

    outcome: str | None = None
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    patient_id: str | None = None


class UsageLog:
    """The app's usage events: validated, pseudonymised, written and sent off the caller's thread."""

    def __init__(self, config: UsageConfig, *, clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._clock = clock
        self._enabled = config.enabled
        self._pseudonyms = Pseudonymizer(config.key) if config.key else None
        self._queue: deque[_Queued | threading.Event] = deque()
        self._wake = threading.Event()
        self._wake_at = config.batch_max_records
        self._session: SessionFields | None = None
        self._refused: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._logs = LogFiles(config.directory)
        self._spool = Spool(config.directory)
        self._origin: Origin | None = None
        self._opened = False
        self._stopping = False
        self._records_written = 0
        self._batches_spooled = 0
        self._sender = CollectorSender(
            config.collector_url, self._spool, enabled=lambda: self._enabled,
            backoff_base_s=config.backoff_base_s, backoff_max_s=config.backoff_max_s,
            timeout_s=config.request_timeout_s, transport=transport) if config.collector_url else None
        self._writer = threading.Thread(target=self._write_loop, name="usage-writer", daemon=True)
        self._writer.start()

    # ------------------------------------------------------------ the caller's side

    @property
    def enabled(self) -> bool:
        return self._enabled

    def event(self, name: str, *, duration_ms: float | None = None, outcome: str | None = None,
              patient_id: str | None = None, **attributes: AttributeValue) -> None:
        """Log one event from the registry (see registry.EVENTS). Returns at once."""
        self._log(name, duration_ms, outcome, patient_id, attributes)

    def _log(self, name: str, duration_ms: float | None, outcome: str | None, patient_id: str | None,
             attributes: dict[str, AttributeValue]) -> None:
        if not self._enabled:
            return
        problem = check_event(name, duration_ms, outcome, patient_id, attributes)
        if problem is not None:
            self._refuse(problem)
            return
        if len(self._queue) >= self.config.max_queue:
            self._count(self._dropped, "queue_full")
            return
        patient = None
        if patient_id is not None and self._pseudonyms is not None:
            patient = self._pseudonyms("patient", patient_id)
        self._queue.append((self._clock(), name, duration_ms, outcome, patient, attributes, self._session))
        if len(self._queue) >= self._wake_at:
            self._wake.set()
        if name == "online" and self._sender is not None:
            self._sender.retry_now()

    @contextlib.contextmanager
    def timed(self, name: str, *, patient_id: str | None = None,
              **attributes: AttributeValue) -> Iterator[Timing]:
        """Log ``name`` with the block's duration; an exception in it gives outcome ``failure``."""
        timing = Timing(attributes=dict(attributes), patient_id=patient_id)
        started = time.perf_counter()
        try:
            yield timing
        except Exception:
            spec = EVENTS.get(name)
            if timing.outcome is None and spec is not None and "failure" in spec.outcomes:
                timing.outcome = "failure"
            self._log_timing(name, timing, started)
            raise
        self._log_timing(name, timing, started)

    def _log_timing(self, name: str, timing: Timing, started: float) -> None:
        self._log(name, (time.perf_counter() - started) * 1000, timing.outcome, timing.patient_id,
                  dict(timing.attributes))

    def record_sus(self, answers: Sequence[int], *, duration_ms: float | None = None) -> float:
        """Score a System Usability Scale questionnaire and log it (``sus_submitted``)."""
        score = sus_score(answers)
        items: dict[str, AttributeValue] = {f"q{number}": answer for number, answer in enumerate(answers, 1)}
        self._log("sus_submitted", duration_ms, None, None, {"score": score, **items})
        return score

    def start_session(self, user_id: str, role: str, ward: str | None = None) -> None:
        """A user logged in: a new session id; the role, ward and user pseudonym go on every record."""
        role = str(role)
        if not ROLES.accepts(role):
            self._refuse(EventRejected(f"role must be {ROLES.describe()}", "bad_role"))
            role = "other"
        if ward is not None and not WARD.accepts(ward):
            self._refuse(EventRejected(f"ward must be {WARD.describe()}", "bad_ward"))
            ward = None
        pseudonym = self._pseudonyms("user", user_id) if self._pseudonyms is not None else None
        self._session = SessionFields(uuid.uuid4().hex, role, ward, pseudonym, started=self._clock())

    def end_session(self, reason: str = "logout") -> None:
        """Log ``session_end`` (reason: logout, switch_user, expired, app_exit or locked_out) and forget the user."""
        session = self._session
        if session is None:
            return
        self.event("session_end", duration_ms=max(0.0, (self._clock() - session.started) * 1000), reason=reason)
        self._session = None

    def set_enabled(self, enabled: bool) -> None:
        """Switch logging on or off. Off: events are ignored, nothing queued is kept, nothing is
        written or sent (files already on the device stay until logging is on again)."""
        self._enabled = enabled
        if not enabled:
            for marker in self._take()[1]:  # release flush() waiters
                marker.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.notify()

    def retry_now(self) -> None:
        """Try the collector at once (the network came back)."""
        if self._sender is not None:
            self._sender.retry_now()

    def flush(self, timeout: float = 5.0) -> bool:
        """Write everything logged so far and deliver it to the collector; False on timeout.
        (A write the disk refused does not make it False: it is counted in ``stats().dropped``.)"""
        if not self._enabled:
            return True
        deadline = time.monotonic() + timeout
        marker = threading.Event()
        self._queue.append(marker)
        self._wake.set()
        if not marker.wait(timeout):
            return False
        if self._sender is None:
            return True
        self._sender.retry_now()
        return self._sender.wait_idle(max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float = 5.0) -> bool:
        """Flush (up to ``timeout``), then stop the threads. True when everything was delivered."""
        done = self.flush(timeout)
        self._enabled = False  # a closed log takes no more events
        self._stopping = True
        self._wake.set()
        self._writer.join(timeout=2.0)
        if self._sender is not None:
            self._sender.stop(timeout=1.0)
        return done

    def stats(self) -> UsageStats:
        sender = self._sender
        with self._count_lock:
            refused, dropped = dict(self._refused), dict(self._dropped)
        if sender is not None:
            dropped.update(batches_refused=sender.batches_refused, records_refused=sender.records_refused)
        return UsageStats(self._enabled, len(self._queue), self._records_written, self._batches_spooled,
                          len(self._spool), sender.batches_sent if sender else 0, refused, dropped)

    def _refuse(self, problem: EventRejected) -> None:
        if self.config.strict:
            raise problem
        self._count(self._refused, problem.reason)

    def _count(self, counter: Counter[str], key: str, amount: int = 1) -> None:
        with self._count_lock:
            counter[key] += amount

    def _take(self) -> tuple[list[_Queued], list[threading.Event]]:
        """Everything queued: the events, and the flush markers among them."""
        items: list[_Queued] = []
        markers: list[threading.Event] = []
        while True:
            try:
                item = self._queue.popleft()
            except IndexError:
                return items, markers
            if isinstance(item, threading.Event):
                markers.append(item)
            else:
                items.append(item)

    # ------------------------------------------------------------ the writer thread

    def _write_loop(self) -> None:
        batch: list[dict[str, Any]] = []
        batch_started = time.monotonic()
        failing = False
        while True:
            self._wake.wait(self.config.write_interval_s)
            self._wake.clear()
            stopping = self._stopping
            items, markers = self._take()
            try:
                if not self._enabled:
                    batch.clear()
                elif items or batch or not self._opened:
                    self._open()
                    if not batch:
                        batch_started = time.monotonic()
                    records = self._write(items)
                    if self._sender is not None:  # without a collector the day files are all there is
                        batch.extend(records)
                    due = time.monotonic() - batch_started >= self.config.batch_interval_s
                    if batch and (markers or stopping or due or len(batch) >= self.config.batch_max_records):
                        self._spool_batches(batch)
                        batch = []
                    failing = False
            except OSError as error:
                if not failing:  # say it once, not every second
                    log.warning("usage log: the files could not be written (%s)", error)
                failing = True
                self._count(self._dropped, "write_failed", len(items))
                batch = []
            except Exception:  # a bug must not stop the logging for good
                log.exception("usage log: writing failed")
                batch = []
            for marker in markers:
                marker.set()
            if stopping:
                self._logs.close()
                return

    def _open(self) -> None:
        if self._opened:
            return
        self._logs.open()
        self._spool.open()
        self._origin = Origin(self.config.app_version, self.config.platform,
                              load_install_id(self.config.directory))
        self._opened = True
        self._enforce_cap()
        if self._sender is not None:
            self._sender.start()

    def _write(self, items: list[_Queued]) -> list[dict[str, Any]]:
        assert self._origin is not None
        records: list[dict[str, Any]] = []
        by_day: dict[str, list[str]] = {}
        for at, name, duration_ms, outcome, patient, attributes, session in items:
            record = make_record(self._origin, at, name, session=session, patient_pseudonym=patient,
                                 duration_ms=duration_ms, outcome=outcome, attributes=attributes)
            records.append(record)
            by_day.setdefault(utc_day(at), []).append(to_line(record))
        for day, lines in by_day.items():
            self._logs.append(day, "".join(lines).encode())
        self._records_written += len(records)
        if records:
            self._enforce_cap()
        return records

    def _spool_batches(self, records: list[dict[str, Any]]) -> None:
        size = self.config.batch_max_records
        for start in range(0, len(records), size):
            batch_id = uuid.uuid4().hex
            self._spool.add(batch_id, encode_batch_bytes(records[start:start + size], batch_id))
            self._batches_spooled += 1
        self._enforce_cap()
        if self._sender is not None:
            self._sender.notify()

    def _enforce_cap(self) -> None:
        days, batches = enforce_cap(self._logs, self._spool, self.config.max_bytes)
        if days:
            self._count(self._dropped, "day_files_over_cap", days)
        if batches:
            self._count(self._dropped, "batches_over_cap", batches)
            if self._sender is not None:
                self._sender.notify()
