"""What the report says, computed in one pass over the records (a million fit in memory easily).

Conventions: days and ISO weeks are UTC; a user is a user pseudonym (so without a key there are
sessions but no users); a session's length is its ``session_end`` duration, else its first to
last event; time to first patient counts from the session's successful login (else its first
event), and also from the device's last ``app_start``; percentiles interpolate linearly between
the closest ranks (numpy's default).
"""

from __future__ import annotations

import itertools
import math
import statistics
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from mobile_app.services.usage.sus import SUS_AVERAGE, sus_score

FEATURES = ("search", "scan", "patient_opened", "lab_view", "trend_view", "result_signed", "note_created",
            "break_glass_used")
ROUTES = ("search", "scan", "ward_list", "my_patients", "notification")
SCAN_SOURCES = ("scanner", "camera", "file", "manual")
DELIVERIES = ("direct", "queued", "failed")
LATENCY_EVENTS = ("app_start", "login", "screen_shown", "search", "scan", "patient_opened", "lab_view",
                  "trend_view", "result_signed", "note_created", "note_delivered")
SESSION_BUCKETS_MIN = (5, 15, 30, 60, 120, 240, 480)
TO_PATIENT_BUCKETS_S = (10, 30, 60, 120, 300, 600, 1800)
SUS_GRADES = (("F (below 51)", 0.0, 51.0), ("D/C (51 to 68)", 51.0, 68.0), ("B (68 to 80.3)", 68.0, 80.3),
              ("A (80.3 and above)", 80.3, 100.1))


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted values, interpolating linearly; NaN when empty."""
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Spread:
    """Count, mean and percentiles of some values."""

    n: int
    mean: float
    p50: float
    p90: float
    p95: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        ordered = sorted(values)
        mean = math.fsum(ordered) / len(ordered) if ordered else math.nan
        return cls(len(ordered), mean, percentile(ordered, 50), percentile(ordered, 90), percentile(ordered, 95))


def histogram(values: Iterable[float], edges: Sequence[float], unit: str) -> list[tuple[str, int]]:
    """Counts in the bins [0, e1), [e1, e2) ... [last, inf), labelled like '5-15 min'."""
    counts = [0] * (len(edges) + 1)
    for value in values:
        index = 0
        while index < len(edges) and value >= edges[index]:
            index += 1
        counts[index] += 1
    suffix = f" {unit}" if unit else ""
    labels = [f"<{edges[0]:g}{suffix}"]
    labels += [f"{a:g}-{b:g}{suffix}" for a, b in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]:g}+{suffix}")
    return list(zip(labels, counts, strict=True))


@dataclass
class _Session:
    start: float
    end: float
    role: str
    ward: str
    login_at: float | None = None
    first_patient_at: float | None = None
    ended_ms: float | None = None


@dataclass(frozen=True)
class DayRow:
    day: str
    users: int
    sessions: int
    events: int
    patient_opens: int


@dataclass(frozen=True)
class WeekRow:
    week: str
    days: int  # days of the week with any record
    users: int
    sessions: int
    patient_opens: int
    searches: int
    scans: int
    errors: int
    patient_open_p50_ms: float


@dataclass(frozen=True)
class SusSummary:
    n: int
    respondents: int
    mean: float
    median: float
    sd: float
    above_average: int  # scores at or above 68
    histogram: list[tuple[str, int]]
    grades: list[tuple[str, int]]
    recomputed: int  # submissions whose ten answers were re-scored (the score field is then ignored)


@dataclass
class UsageSummary:
    first_day: str = ""
    last_day: str = ""
    events: int = 0
    users: int = 0
    sessions: int = 0
    devices: int = 0
    event_counts: dict[str, int] = field(default_factory=dict)
    daily: list[DayRow] = field(default_factory=list)
    weeks: list[WeekRow] = field(default_factory=list)
    session_length_min: Spread = field(default_factory=lambda: Spread.of([]))
    session_length_hist: list[tuple[str, int]] = field(default_factory=list)
    sessions_by_role: dict[str, int] = field(default_factory=dict)
    feature_by_role: dict[str, dict[str, int]] = field(default_factory=dict)
    feature_by_ward: dict[str, dict[str, int]] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    to_patient_from_login_s: Spread = field(default_factory=lambda: Spread.of([]))
    to_patient_from_start_s: Spread = field(default_factory=lambda: Spread.of([]))
    to_patient_hist: list[tuple[str, int]] = field(default_factory=list)
    scans: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (scans, successful)
    latency_ms: dict[str, Spread] = field(default_factory=dict)
    screen_latency_ms: dict[str, Spread] = field(default_factory=dict)
    note_delivery: dict[str, int] = field(default_factory=dict)
    note_delivery_ms: dict[str, Spread] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    logins: dict[str, int] = field(default_factory=dict)  # success, and failure:<reason>
    offline_episodes: int = 0
    offline_total_min: float = 0.0
    sus: SusSummary | None = None

    def route_share(self, via: str) -> float:
        total = sum(self.routes.values())
        return self.routes.get(via, 0) / total if total else math.nan

    def scan_success_rate(self, source: str | None = None) -> float:
        pairs = [self.scans[source]] if source else list(self.scans.values())
        total = sum(p[0] for p in pairs if p)
        return sum(p[1] for p in pairs) / total if total else math.nan


class UsageAnalysis:
    """Feed records with ``add`` (in time order per device), then ask for ``summary()``."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self._day_start: dict[str, float] = {}
        self._days: dict[str, tuple[set[str], set[str], Counter[str]]] = {}
        self._weeks: dict[str, tuple[set[str], set[str], Counter[str], array[float]]] = {}
        self._week_of: dict[str, str] = {}
        self._users: set[str] = set()
        self._devices: set[str] = set()
        self._sessions: dict[str, _Session] = {}
        self._app_started: dict[str, float] = {}
        self._from_start: array[float] = array("d")
        self._by_role: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._by_ward: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._routes: Counter[str] = Counter()
        self._scans: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._latency: defaultdict[str, array[float]] = defaultdict(lambda: array("d"))
        self._screens: defaultdict[str, array[float]] = defaultdict(lambda: array("d"))
        self._notes: Counter[str] = Counter()
        self._note_ms: defaultdict[str, array[float]] = defaultdict(lambda: array("d"))
        self._errors: Counter[str] = Counter()
        self._logins: Counter[str] = Counter()
        self._offline: array[float] = array("d")
        self._sus: list[float] = []
        self._sus_users: set[str] = set()
        self._sus_recomputed = 0

    def _epoch(self, ts: str) -> float:
        day = ts[:10]
        start = self._day_start.get(day)
        if start is None:
            start = datetime.fromisoformat(day + "T00:00:00+00:00").timestamp()
            self._day_start[day] = start
        if len(ts) == 24 and ts[-1] == "Z":  # our own format: 2026-03-02T08:15:30.123Z
            return start + int(ts[11:13]) * 3600 + int(ts[14:16]) * 60 + float(ts[17:23])
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()

    def _week(self, day: str) -> str:
        week = self._week_of.get(day)
        if week is None:
            year, number, _ = date.fromisoformat(day).isocalendar()
            week = self._week_of[day] = f"{year}-W{number:02d}"
        return week

    def add_all(self, records: Iterable[dict[str, Any]]) -> UsageAnalysis:
        for record in records:
            self.add(record)
        return self

    def add(self, record: dict[str, Any]) -> None:
        event: str = record["event"]
        ts: str = record["ts"]
        at = self._epoch(ts)
        day = ts[:10]
        self.events[event] += 1
        user = record.get("user_pseudonym")
        session_id = record.get("session_id")
        role = record.get("role") or "unknown"
        ward = record.get("ward") or "unknown"
        attrs = record.get("attrs") or {}
        duration = record.get("duration_ms")
        outcome = record.get("outcome")
        install = record.get("install_id")
        day_users, day_sessions, day_counts = self._days.get(day) or self._days.setdefault(
            day, (set(), set(), Counter()))
        week = self._week(day)
        week_users, week_sessions, week_counts, week_opens = self._weeks.get(week) or self._weeks.setdefault(
            week, (set(), set(), Counter(), array("d")))
        day_counts[event] += 1
        week_counts[event] += 1
        if user:
            self._users.add(user)
            day_users.add(user)
            week_users.add(user)
        if install:
            self._devices.add(install)
        if session_id:
            day_sessions.add(session_id)
            week_sessions.add(session_id)
            session = self._sessions.get(session_id)
            if session is None:
                session = self._sessions[session_id] = _Session(at, at, role, ward)
            session.start = min(session.start, at)
            session.end = max(session.end, at)
            if event == "login" and outcome == "success":
                session.login_at = at if session.login_at is None else min(session.login_at, at)
            elif event == "patient_opened" and outcome in (None, "success"):
                if session.first_patient_at is None or at < session.first_patient_at:
                    session.first_patient_at = at
            elif event == "session_end" and isinstance(duration, int | float):
                session.ended_ms = float(duration)
        if event in FEATURES:
            self._by_role[role][event] += 1
            self._by_ward[ward][event] += 1
        if isinstance(duration, int | float) and event in LATENCY_EVENTS:
            self._latency[event].append(duration)
            if event == "screen_shown" and isinstance(attrs.get("screen"), str):
                self._screens[attrs["screen"]].append(duration)
        if event == "patient_opened":
            self._opened(record, attrs, at, duration, week_opens, install)
        elif event == "app_start" and install:
            self._app_started[install] = at
        elif event == "scan" and outcome != "cancelled":
            pair = self._scans[str(attrs.get("source", "unknown"))]
            pair[0] += 1
            pair[1] += outcome == "success"
        elif event == "note_created":
            delivery = str(attrs.get("delivery", "unknown"))
            self._notes[delivery] += 1
            if isinstance(duration, int | float):
                self._note_ms[delivery].append(duration)
        elif event == "error":
            self._errors[str(attrs.get("type", "unknown"))] += 1
        elif event == "login":
            self._logins["success" if outcome == "success" else f"failure:{attrs.get('reason', 'unknown')}"] += 1
        elif event == "online" and isinstance(duration, int | float):
            self._offline.append(duration)
        elif event == "sus_submitted":
            self._sus_submitted(attrs, user)

    def _opened(self, record: dict[str, Any], attrs: dict[str, Any], at: float, duration: Any,
                week_opens: array[float], install: str | None) -> None:
        if record.get("outcome") not in (None, "success"):
            return
        self._routes[str(attrs.get("via", "unknown"))] += 1
        if isinstance(duration, int | float):
            week_opens.append(duration)
        if install and install in self._app_started:
            self._from_start.append(at - self._app_started.pop(install))

    def _sus_submitted(self, attrs: dict[str, Any], user: str | None) -> None:
        answers = [attrs.get(f"q{i}") for i in range(1, 11)]
        score: Any = attrs.get("score")
        if all(isinstance(a, int) for a in answers):
            try:
                score = sus_score([int(a) for a in answers if a is not None])
                self._sus_recomputed += 1
            except ValueError:
                pass
        if isinstance(score, int | float) and 0 <= score <= 100:
            self._sus.append(float(score))
            if user:
                self._sus_users.add(user)

    def summary(self) -> UsageSummary:
        days = sorted(self._days)
        result = UsageSummary(
            first_day=days[0] if days else "", last_day=days[-1] if days else "",
            events=sum(self.events.values()), users=len(self._users), sessions=len(self._sessions),
            devices=len(self._devices), event_counts=dict(self.events.most_common()))
        result.daily = [DayRow(day, len(u), len(s), sum(c.values()), c["patient_opened"])
                        for day, (u, s, c) in sorted(self._days.items())]
        days_in = Counter(self._week(day) for day in days)
        result.weeks = [WeekRow(week, days_in[week], len(u), len(s), c["patient_opened"], c["search"], c["scan"],
                                c["error"], percentile(sorted(opens), 50))
                        for week, (u, s, c, opens) in sorted(self._weeks.items())]
        lengths = [(s.ended_ms / 60000 if s.ended_ms is not None else (s.end - s.start) / 60)
                   for s in self._sessions.values()]
        result.session_length_min = Spread.of(lengths)
        result.session_length_hist = histogram(lengths, SESSION_BUCKETS_MIN, "min")
        result.sessions_by_role = dict(Counter(s.role for s in self._sessions.values()).most_common())
        result.feature_by_role = {role: dict(c) for role, c in sorted(self._by_role.items())}
        result.feature_by_ward = {ward: dict(c) for ward, c in sorted(self._by_ward.items())}
        result.routes = {via: self._routes[via] for via in ROUTES if self._routes[via]}
        result.routes.update((k, v) for k, v in self._routes.items() if k not in ROUTES)
        to_patient = [s.first_patient_at - (s.login_at if s.login_at is not None else s.start)
                      for s in self._sessions.values() if s.first_patient_at is not None]
        to_patient = [max(0.0, value) for value in to_patient]
        result.to_patient_from_login_s = Spread.of(to_patient)
        result.to_patient_hist = histogram(to_patient, TO_PATIENT_BUCKETS_S, "s")
        result.to_patient_from_start_s = Spread.of(self._from_start)
        result.scans = {source: (pair[0], pair[1]) for source, pair in sorted(
            self._scans.items(), key=lambda kv: SCAN_SOURCES.index(kv[0]) if kv[0] in SCAN_SOURCES else 99)}
        result.latency_ms = {e: Spread.of(self._latency[e]) for e in LATENCY_EVENTS if self._latency.get(e)}
        result.screen_latency_ms = {s: Spread.of(v) for s, v in sorted(self._screens.items())}
        result.note_delivery = {d: self._notes[d] for d in (*DELIVERIES, *sorted(set(self._notes) - set(DELIVERIES)))
                                if self._notes[d]}
        result.note_delivery_ms = {d: Spread.of(v) for d, v in self._note_ms.items()}
        result.errors = dict(self._errors.most_common())
        result.logins = dict(self._logins.most_common())
        result.offline_episodes = len(self._offline)
        result.offline_total_min = math.fsum(self._offline) / 60000
        result.sus = self._sus_summary()
        return result

    def _sus_summary(self) -> SusSummary | None:
        scores = sorted(self._sus)
        if not scores:
            return None
        edges = [float(e) for e in range(10, 100, 10)]
        grades = [(label, sum(low <= s < high for s in scores)) for label, low, high in SUS_GRADES]
        return SusSummary(len(scores), len(self._sus_users), statistics.fmean(scores), percentile(scores, 50),
                          statistics.stdev(scores) if len(scores) > 1 else 0.0,
                          sum(s >= SUS_AVERAGE for s in scores), histogram(scores, edges, ""), grades,
                          self._sus_recomputed)
