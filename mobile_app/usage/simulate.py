"""A realistic usage log for trying the report: clinicians on shifts over weeks, the same record
format as the app writes, the same for the same seed.

The hospital: six wards, three shared role phones each (mostly Android). About 40 % of users are
doctors (day shifts on weekdays, some weekend and night on-call), the rest nurses (day, evening and
night shifts, fewer at weekends). Public holidays look like Sundays. Some users start using the app
weeks into the period, and use grows as people get used to it. A shift has one or more sessions
(log in, lock when idle, switch user, log out); in a session patients are opened from the ward
list, my patients, search, a wristband scan or a notification, and then lab results, trends,
signing and notes follow. Latencies are log-normal around realistic medians; scans sometimes fail,
notes sometimes wait in the outbox, the network sometimes drops, errors happen. About 60 % of
users answer the SUS questionnaire once, some twice.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mobile_app.services.private_files import private_directory, write_private
from mobile_app.services.usage.files import log_file_name
from mobile_app.services.usage.records import Origin, Pseudonymizer, SessionFields, make_record, to_line
from mobile_app.services.usage.sus import sus_score

WARDS = ("ward-med", "ward-kir", "ward-hjerte", "ward-orto", "ward-nevro", "ward-barn")
WARD_WEIGHTS = (5, 4, 3, 3, 2, 2)
SIMULATION_KEY = b"visitt-usage-simulation-key"
# Hours (local time) a shift starts and lasts.
SHIFTS = {"day": (7.5, 8.0), "evening": (15.0, 8.0), "night": (22.75, 9.0)}


def local_zone() -> tzinfo:
    """Europe/Oslo; without a tz database, Norwegian winter time is close enough."""
    try:
        return ZoneInfo("Europe/Oslo")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=1))


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (h + m - 7 * ((a + 11 * h + 19 * m) // 433) + 90) // 25
    p = (h + m - 7 * ((a + 11 * h + 19 * m) // 433) + 33 * n + 19) % 32
    return date(year, n, p)


def norwegian_holidays(year: int) -> set[date]:
    e = easter(year)
    moving = {e - timedelta(days=3), e - timedelta(days=2), e, e + timedelta(days=1), e + timedelta(days=39),
              e + timedelta(days=49), e + timedelta(days=50)}
    return moving | {date(year, 1, 1), date(year, 5, 1), date(year, 5, 17), date(year, 12, 25), date(year, 12, 26)}


@dataclass
class _User:
    practitioner_id: str
    role: str
    ward: str
    starts_on: int  # the day (0-based) this user first uses the app
    keenness: float  # scales how much they do
    satisfaction: float  # latent SUS level
    sus_answers_left: int
    sessions: int = 0


@dataclass
class _Device:
    origin: Origin
    started: bool = False


@dataclass
class _Trail:
    """One session's records as they are made, and the simulated time."""

    sim: Simulator
    origin: Origin
    at: float
    session: SessionFields | None = None
    out: list[tuple[str, str]] = field(default_factory=list)

    def wait(self, seconds: float) -> None:
        self.at += seconds

    def emit(self, event: str, duration: float | None = None, outcome: str | None = None,
             patient: str | None = None, **attrs: Any) -> None:
        record = make_record(self.origin, self.at, event, session=self.session,
                             patient_pseudonym=self.sim.pseudonyms("patient", patient) if patient else None,
                             duration_ms=duration, outcome=outcome, attributes=attrs or None,
                             record_id=f"{self.sim.rng.getrandbits(64):016x}")
        self.out.append((record["ts"], to_line(record)))


@dataclass(frozen=True)
class SimulationConfig:
    users: int = 50
    days: int = 30
    seed: int = 1
    start: date = date(2025, 9, 1)
    app_version: str = "0.1.0"


@dataclass
class SimulationResult:
    records: int = 0
    files: list[Path] = field(default_factory=list)


class Simulator:
    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.pseudonyms = Pseudonymizer(SIMULATION_KEY)
        self.zone = local_zone()
        rng = self.rng
        self.devices = {ward: [_Device(Origin(config.app_version, "ios" if rng.random() < 0.15 else "android",
                                              f"{rng.getrandbits(128):032x}")) for _ in range(3)] for ward in WARDS}
        self.patients = {ward: [f"sim-patient-{ward}-{n}" for n in range(28)] for ward in WARDS}
        self.users = [self._user(n) for n in range(config.users)]

    def _user(self, n: int) -> _User:
        rng = self.rng
        late = rng.random() < 0.3
        return _User(f"sim-practitioner-{n}", "doctor" if rng.random() < 0.4 else "nurse",
                     rng.choices(WARDS, WARD_WEIGHTS)[0],
                     int(rng.uniform(0, self.config.days * 0.4)) if late else 0,
                     rng.lognormvariate(0, 0.35), min(97.0, max(25.0, rng.gauss(71, 13))),
                     (2 if rng.random() < 0.25 else 1) if rng.random() < 0.6 else 0)

    def run(self) -> Iterator[tuple[str, str]]:
        """(ts, JSON line) for every record, day by day (each day's records in any order)."""
        for day_index in range(self.config.days):
            today = self.config.start + timedelta(days=day_index)
            off_day = today.weekday() >= 5 or today in norwegian_holidays(today.year)
            ramp = 0.6 + 0.35 * day_index / max(1, self.config.days - 1)
            for user in self.users:
                if day_index < user.starts_on:
                    continue
                shift = self._shift(user, off_day)
                if shift is not None and self.rng.random() < ramp:
                    yield from self._shift_records(user, today, shift)

    def _shift(self, user: _User, off_day: bool) -> str | None:
        r = self.rng.random()
        if user.role == "doctor":
            if off_day:
                return ("day" if r < 0.6 else "night") if self.rng.random() < 0.18 else None
            return ("day" if r < 0.93 else "night") if self.rng.random() < 0.85 else None
        if self.rng.random() >= (0.45 if off_day else 0.7):
            return None
        return "day" if r < 0.5 else "evening" if r < 0.8 else "night"

    def _shift_records(self, user: _User, today: date, shift: str) -> Iterator[tuple[str, str]]:
        begins, hours = SHIFTS[shift]
        local = datetime(today.year, today.month, today.day, tzinfo=self.zone) + timedelta(hours=begins)
        at = local.timestamp() + self.rng.uniform(0, 1800)
        end_of_shift = local.timestamp() + hours * 3600
        sessions = 1 + min(3, int(self.rng.expovariate(1 / (0.8 * user.keenness))))
        for _ in range(sessions):
            if at >= end_of_shift:
                break
            records, at = self._session(user, at)
            yield from records
            at += self.rng.expovariate(1 / 5400)

    def _session(self, user: _User, at: float) -> tuple[list[tuple[str, str]], float]:
        rng = self.rng
        device = rng.choice(self.devices[user.ward])
        trail = _Trail(self, device.origin, at)
        if not device.started or rng.random() < 0.2:
            trail.emit("app_start", self._ms(900, 0.4), cold=not device.started)
            device.started = True
            trail.wait(rng.uniform(2, 20))
        while rng.random() < 0.05:  # a mistyped PIN
            trail.emit("login", self._ms(420, 0.3), "failure", reason="wrong_credentials")
            trail.wait(rng.uniform(4, 15))
        trail.session = SessionFields(f"{rng.getrandbits(128):032x}", user.role, user.ward,
                                      self.pseudonyms("user", user.practitioner_id), started=trail.at)
        trail.emit("login", self._ms(420, 0.3), "success")
        user.sessions += 1
        started = trail.at
        length = min(5 * 3600.0, rng.lognormvariate(math.log(22 * 60), 0.8) * user.keenness)
        actions = max(1, int(rng.expovariate(1 / (10 * user.keenness))) + 1)
        offline_at = started + rng.uniform(0, length) if rng.random() < 0.04 else math.inf
        for _ in range(actions):
            gap = rng.expovariate(actions / length)
            if gap > 300:
                trail.emit("lock", trigger="idle")
                trail.wait(gap)
                if rng.random() < 0.03:
                    trail.emit("unlock", None, "failure", reason="wrong_pin")
                    trail.wait(rng.uniform(3, 10))
                trail.emit("unlock", gap * 1000, "success")
            else:
                trail.wait(gap)
            if trail.at >= offline_at:
                offline_at = math.inf
                trail.emit("offline")
                trail.emit("error", type="offline", screen=rng.choice(("ward_list", "patient_overview", "search")))
                away = rng.lognormvariate(math.log(90), 1.0)
                trail.wait(away)
                trail.emit("online", away * 1000)
            self._open_patient(user, trail)
        if user.sus_answers_left and user.sessions >= 5 and rng.random() < 0.12:
            trail.emit("sus_offered")
            if rng.random() < 0.75:
                answers = self._sus_answers(user.satisfaction)
                items: dict[str, Any] = {f"q{i}": a for i, a in enumerate(answers, 1)}
                trail.emit("sus_submitted", self._ms(70_000, 0.4), score=sus_score(answers), **items)
                user.sus_answers_left -= 1
                user.satisfaction = min(97.0, user.satisfaction + rng.gauss(3, 4))
            else:
                trail.emit("sus_dismissed")
        trail.wait(rng.uniform(5, 60))
        reason = rng.choices(("logout", "switch_user", "expired", "app_exit"), (55, 25, 15, 5))[0]
        trail.emit("session_end", (trail.at - started) * 1000, reason=reason)
        return trail.out, trail.at

    def _open_patient(self, user: _User, trail: _Trail) -> None:
        rng, emit = self.rng, trail.emit
        nurse = user.role == "nurse"
        via = rng.choices(("ward_list", "my_patients", "search", "scan", "notification"),
                          (33, 24, 18, 20, 5) if nurse else (38, 26, 20, 8, 8))[0]
        if via == "search":
            kind = rng.choices(("name", "identifier", "birth_date"), (6, 3, 1))[0]
            emit("search", self._ms(260, 0.5), "success", kind=kind,
                 result_count=rng.randint(0 if kind == "name" else 1, 12))
            trail.wait(rng.uniform(2, 10))
        elif via == "scan":
            source = rng.choices(("scanner", "camera", "manual", "file"), (70, 25, 4, 1))[0]
            median, success = {"scanner": (180, 0.96), "camera": (2400, 0.84), "manual": (9000, 0.9),
                               "file": (1500, 0.8)}[source]
            while rng.random() > success:
                outcome = rng.choices(("no_code", "invalid", "not_found", "cancelled"), (5, 2, 1, 2))[0]
                emit("scan", self._ms(median * 1.5, 0.6), outcome, source=source)
                trail.wait(rng.uniform(2, 8))
                if outcome == "cancelled" or rng.random() < 0.2:
                    return
            emit("scan", self._ms(median, 0.5), "success", source=source,
                 code="datamatrix" if source != "manual" else "other", identifier="gsrn")
        else:
            screen = "ward_list" if via in ("ward_list", "notification") else "my_patients"
            emit("screen_shown", self._ms(340, 0.45), "success", screen=screen)
            trail.wait(rng.uniform(3, 25))
        patient = rng.choice(self.patients[user.ward])
        if rng.random() < 0.003:
            emit("break_glass_used", patient=patient)
        if rng.random() < 0.01:
            emit("error", type=rng.choices(("timeout", "server_error", "access_denied", "bad_response",
                                            "not_found"), (4, 2, 2, 1, 1))[0], screen="patient_overview")
            trail.wait(rng.uniform(5, 20))
            return
        emit("patient_opened", self._ms(410, 0.45), "success", patient, via=via)
        trail.wait(rng.uniform(10, 60))
        if rng.random() < (0.3 if nurse else 0.6):
            emit("lab_view", self._ms(520, 0.5), "success", patient, result_count=rng.randint(5, 120),
                 new_count=rng.randint(0, 8))
            trail.wait(rng.uniform(10, 60))
            if rng.random() < 0.25:
                emit("trend_view", self._ms(150, 0.5), None, patient,
                     group=rng.choice(("haematology", "chemistry", "cardiac", "blood_gas")),
                     points=rng.randint(3, 200))
            if not nurse and rng.random() < 0.3:
                emit("result_signed", self._ms(650, 0.4), "success" if rng.random() < 0.97 else "conflict",
                     patient, count=rng.randint(1, 12))
        if rng.random() < (0.25 if nurse else 0.1):
            trail.wait(rng.uniform(30, 240))
            delivery = rng.choices(("direct", "queued", "failed"), (90, 8, 2))[0]
            note_type = rng.choice(("ward_note", "own_note", "message") if nurse else ("journal_note", "message"))
            emit("note_created", self._ms(380 if delivery == "direct" else 1200, 0.5), None, patient,
                 delivery=delivery, note_type=note_type)
            if delivery == "queued":
                emit("note_delivered", self._ms(45_000, 1.0), None, patient, note_type=note_type,
                     attempts=rng.randint(1, 4))

    def _ms(self, median: float, sigma: float) -> float:
        return round(self.rng.lognormvariate(math.log(median), sigma), 1)

    def _sus_answers(self, satisfaction: float) -> list[int]:
        level = 1 + 4 * satisfaction / 100  # 1..5, where a positive item would land
        answers = []
        for item in range(1, 11):
            wanted = level if item % 2 else 6 - level
            answers.append(min(5, max(1, round(self.rng.gauss(wanted, 0.7)))))
        return answers


def simulate(config: SimulationConfig, out: Path) -> SimulationResult:
    """Write the simulated log as day files ``usage-YYYY-MM-DD.jsonl`` in ``out``."""
    private_directory(out)
    result = SimulationResult()
    pending: dict[str, list[tuple[str, str]]] = {}
    for ts, line in Simulator(config).run():
        pending.setdefault(ts[:10], []).append((ts, line))
        if len(pending) > 2:  # a UTC day is complete once records two days later appear
            _write_day(out, min(pending), pending.pop(min(pending)), result)
    for day in sorted(pending):
        _write_day(out, day, pending[day], result)
    return result


def _write_day(out: Path, day: str, lines: list[tuple[str, str]], result: SimulationResult) -> None:
    lines.sort()
    path = out / log_file_name(day)
    write_private(path, "".join(line for _, line in lines).encode("utf-8"))
    result.records += len(lines)
    result.files.append(path)


