"""When to offer the SUS questionnaire: a tiny JSON file on this install, never a user or patient.

The file (``sus-schedule.json`` in the usage directory) holds three things:

    {"sessions": 3, "last_offered": "2026-03-02T08:00:00+00:00", "last_closed": null}

``sessions`` counts completed sessions since the questionnaire was last offered (or dismissed);
``last_closed`` is when it was last answered or dismissed. The questionnaire is due when enough
sessions have passed *and* enough days since it was last closed, so an evaluator who answered or
said "not now" is not asked again for a month.

A missing, corrupt or unwritable file never stops the app: the schedule starts afresh and keeps its
count in memory. Writes go to a temporary file that replaces the old one, so a crash leaves the old
file or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mobile_app.services.private_files import write_private

log = logging.getLogger(__name__)

SCHEDULE_FILE = "sus-schedule.json"


@dataclass
class _Progress:
    sessions: int = 0
    last_offered: datetime | None = None
    last_closed: datetime | None = None  # answered or dismissed


class SusSchedule:
    """Counts completed sessions on this install and says when the SUS questionnaire is due."""

    def __init__(self, path: Path, every_sessions: int = 5, min_days_between: int = 30) -> None:
        if every_sessions < 1 or min_days_between < 0:
            raise ValueError("every_sessions must be at least 1 and min_days_between not negative")
        self.path = path
        self.every_sessions = every_sessions
        self.min_days_between = min_days_between
        self._progress = _read(path)

    @classmethod
    def in_directory(cls, directory: Path, every_sessions: int = 5, min_days_between: int = 30) -> SusSchedule:
        """The schedule kept beside the usage log's files (``UsageConfig.directory``)."""
        return cls(directory / SCHEDULE_FILE, every_sessions, min_days_between)

    @property
    def sessions(self) -> int:
        """Sessions completed since the questionnaire was last offered or dismissed."""
        return self._progress.sessions

    def session_completed(self) -> None:
        self._progress.sessions += 1
        self._save()

    def due(self, now: datetime) -> bool:
        """Enough sessions since the last offer, and enough days since the last answer or dismissal."""
        if self._progress.sessions < self.every_sessions:
            return False
        closed = self._progress.last_closed
        if closed is None:
            return True
        waited = _utc(now) - closed
        # A last answer "in the future" means the clock was wrong then or now; it does not block.
        return waited >= timedelta(days=self.min_days_between) or waited < timedelta(0)

    def offered(self, now: datetime) -> None:
        """The questionnaire was offered: count sessions afresh from here."""
        self._progress.sessions = 0
        self._progress.last_offered = _utc(now)
        self._save()

    def answered(self, now: datetime) -> None:
        self._close(now)

    def dismissed(self, now: datetime) -> None:
        """The evaluator said "not now": this also restarts the session count, so no new offer comes at once."""
        self._close(now)

    def _close(self, now: datetime) -> None:
        self._progress.sessions = 0
        self._progress.last_closed = _utc(now)
        self._save()

    def _save(self) -> None:
        progress = self._progress
        data = {"sessions": progress.sessions, "last_offered": _iso(progress.last_offered),
                "last_closed": _iso(progress.last_closed)}
        try:
            write_private(self.path, json.dumps(data).encode())
        except OSError as error:
            log.warning("The SUS schedule could not be saved (%s); it is kept in memory only", type(error).__name__)


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)  # a naive time is taken as local time


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _read(path: Path) -> _Progress:
    """The saved progress, or a fresh start when the file is missing, unreadable or not ours."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        sessions = data["sessions"]
        if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 0:
            raise ValueError("sessions must be a count")
        return _Progress(sessions, _time(data.get("last_offered")), _time(data.get("last_closed")))
    except FileNotFoundError:
        return _Progress()
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning("The SUS schedule file was unreadable (%s); starting afresh", type(error).__name__)
        return _Progress()


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("a time must be an ISO 8601 string")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError("a time must carry its UTC offset")
    return when.astimezone(UTC)
