"""When the SUS questionnaire is offered: after N sessions, then not again for a month; a bad file
never stops the app."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mobile_app.services.usage import SusSchedule

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def complete(schedule: SusSchedule, sessions: int) -> None:
    for _ in range(sessions):
        schedule.session_completed()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "usage" / "sus-schedule.json"


def test_it_is_due_only_after_the_given_number_of_sessions(path: Path) -> None:
    schedule = SusSchedule(path, every_sessions=3)
    assert not schedule.due(NOW)
    complete(schedule, 2)
    assert not schedule.due(NOW)
    schedule.session_completed()
    assert schedule.due(NOW)


def test_the_count_survives_a_restart_and_holds_no_identity(path: Path) -> None:
    complete(SusSchedule(path, every_sessions=3), 3)
    assert SusSchedule(path, every_sessions=3).due(NOW)
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"sessions", "last_offered", "last_closed"}


def test_an_offer_restarts_the_session_count(path: Path) -> None:
    schedule = SusSchedule(path, every_sessions=2)
    complete(schedule, 2)
    schedule.offered(NOW)
    assert not schedule.due(NOW)
    complete(schedule, 2)
    assert schedule.due(NOW)  # offered but neither answered nor dismissed: no waiting days


def test_after_an_answer_it_waits_the_minimum_days_whatever_the_sessions(path: Path) -> None:
    schedule = SusSchedule(path, every_sessions=2, min_days_between=30)
    complete(schedule, 2)
    schedule.offered(NOW)
    schedule.answered(NOW + timedelta(minutes=2))
    complete(schedule, 10)
    assert not schedule.due(NOW + timedelta(days=29))
    reopened = SusSchedule(path, every_sessions=2, min_days_between=30)
    assert not reopened.due(NOW + timedelta(days=29))
    assert reopened.due(NOW + timedelta(days=30, minutes=2))


def test_a_dismissal_waits_the_minimum_days_and_restarts_the_count(path: Path) -> None:
    schedule = SusSchedule(path, every_sessions=2, min_days_between=30)
    complete(schedule, 5)
    schedule.dismissed(NOW)
    assert schedule.sessions == 0
    later = NOW + timedelta(days=31)
    assert not schedule.due(later)  # enough days, but no sessions since the dismissal
    complete(schedule, 2)
    assert schedule.due(later)
    assert not schedule.due(NOW + timedelta(days=10))


def test_times_in_other_zones_compare_correctly(path: Path) -> None:
    schedule = SusSchedule(path, every_sessions=1, min_days_between=1)
    oslo = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Oslo"))
    schedule.answered(oslo)
    schedule.session_completed()
    assert not schedule.due(datetime(2026, 3, 3, 8, 59, tzinfo=UTC))
    assert schedule.due(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize("content", [
    "not json", "", "[]", "42", '{"sessions": "many"}', '{"sessions": -1}', '{"sessions": true}', "{}",
    '{"sessions": 9, "last_closed": "yesterday"}', '{"sessions": 9, "last_closed": 5}',
    '{"sessions": 9, "last_closed": "2026-03-01T08:00:00"}',
])
def test_a_corrupt_file_starts_afresh_and_is_replaced(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    schedule = SusSchedule(path, every_sessions=1)
    assert schedule.sessions == 0 and not schedule.due(NOW)
    schedule.session_completed()
    assert schedule.due(NOW)
    assert json.loads(path.read_text(encoding="utf-8"))["sessions"] == 1


def test_binary_garbage_starts_afresh(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert SusSchedule(path).sessions == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only directory")
def test_a_read_only_directory_keeps_the_count_in_memory(tmp_path: Path) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        schedule = SusSchedule(directory / "sus-schedule.json", every_sessions=2)
        complete(schedule, 2)
        assert schedule.due(NOW)
        schedule.dismissed(NOW)
        assert not schedule.due(NOW)
        assert list(directory.iterdir()) == []
    finally:
        directory.chmod(0o700)


def test_an_unwritable_place_keeps_the_count_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the usage directory should be", encoding="utf-8")
    schedule = SusSchedule(blocker / "usage" / "sus-schedule.json", every_sessions=2)  # mkdir fails
    complete(schedule, 2)
    assert schedule.due(NOW)
    schedule.offered(NOW)
    schedule.answered(NOW)
    assert not schedule.due(NOW + timedelta(days=1))


def test_a_directory_in_place_of_the_file_is_survived(path: Path) -> None:
    path.mkdir(parents=True)  # unreadable as a file, and os.replace onto it fails
    schedule = SusSchedule(path, every_sessions=1)
    schedule.session_completed()
    assert schedule.due(NOW)
    assert not path.with_name(path.name + ".tmp").exists()


def test_a_write_replaces_the_file_whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = SusSchedule(path, every_sessions=1)
    schedule.session_completed()

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    schedule.dismissed(NOW)  # does not raise
    monkeypatch.undo()
    assert json.loads(path.read_text(encoding="utf-8")) == {"sessions": 1, "last_offered": None, "last_closed": None}
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize(("every", "days"), [(0, 30), (5, -1)])
def test_nonsense_settings_are_refused(path: Path, every: int, days: int) -> None:
    with pytest.raises(ValueError):
        SusSchedule(path, every_sessions=every, min_days_between=days)
