"""The hospital's time zone: every time the app shows or compares by day is in it.

Servers write times with any offset (``+00:00``, ``+01:00``, ``+02:00``, ``Z``); clinicians read the
wall clock of the hospital (Europe/Oslo unless configured otherwise: CET in winter, CEST from the
last Sunday of March to the last Sunday of October). The phone's or server's own zone never matters.
The zone is set once per process (``set_zone``, from the app's configuration); the zone data comes
from the ``tzdata`` package, so it works where the system has none (phones, Windows).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Oslo"

_zone = ZoneInfo(DEFAULT_ZONE)


def set_zone(name: str) -> None:
    """Use this IANA zone (e.g. ``Europe/Oslo``) for every time shown; ValueError for an unknown one."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone {name!r}: use an IANA name such as {DEFAULT_ZONE}") from error


def zone() -> ZoneInfo:
    return _zone


def local(moment: datetime) -> datetime:
    """The moment on the hospital's wall clock (a time without an offset is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone)


def local_date(moment: datetime) -> date:
    """The hospital's calendar day of a moment."""
    return local(moment).date()
