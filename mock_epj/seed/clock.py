"""Norwegian local time for generated data: FHIR dateTimes with the Oslo offset, times of day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

_CET = timezone(timedelta(hours=1))
_CEST = timezone(timedelta(hours=2))


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@lru_cache(maxsize=256)
def _summer_time(year: int) -> tuple[datetime, datetime]:
    """The UTC instants summer time starts and ends (EU rule: last Sundays of March and October)."""
    start, end = _last_sunday(year, 3), _last_sunday(year, 10)
    return (
        datetime(start.year, start.month, start.day, 1, tzinfo=UTC),
        datetime(end.year, end.month, end.day, 1, tzinfo=UTC),
    )


def oslo_zone(moment: datetime) -> timezone:
    start, end = _summer_time(moment.year)
    return _CEST if start <= moment < end else _CET


def iso(moment: datetime) -> str:
    """A FHIR dateTime/instant in Norwegian local time, e.g. 2026-11-28T07:45:00+01:00."""
    return moment.astimezone(oslo_zone(moment)).isoformat(timespec="seconds")


def local_day(moment: datetime) -> date:
    return moment.astimezone(oslo_zone(moment)).date()


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in Oslo on ``day``."""
    naive = datetime(day.year, day.month, day.day, hour, minute)
    guess = naive.replace(tzinfo=_CET).astimezone(UTC)
    zone = oslo_zone(guess)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def days_between(first: date, last: date) -> list[date]:
    """Every calendar day from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
