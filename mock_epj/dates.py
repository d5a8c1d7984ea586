"""FHIR date, dateTime and instant values as sortable UTC ranges, and server timestamps."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

MIN = "0001-01-01T00:00:00.000000"
MAX = "9999-12-31T23:59:59.999999"
_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def parse_range(text: str) -> tuple[str, str] | None:
    """The UTC range a FHIR date/dateTime covers: ``2024-05`` covers the whole of May 2024.

    Returns None when the text is not a valid FHIR date, dateTime or instant.
    """
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    g = match.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            lo = datetime(year, 1, 1)
            hi = datetime(year, 12, 31, 23, 59, 59, 999999)
        elif g["d"] is None:
            month = int(g["m"])
            last = calendar.monthrange(year, month)[1]
            lo = datetime(year, month, 1)
            hi = datetime(year, month, last, 23, 59, 59, 999999)
        elif g["H"] is None:
            lo = datetime(year, int(g["m"]), int(g["d"]))
            hi = lo + timedelta(days=1, microseconds=-1)
        else:
            if g["tz"] is None and g["S"] is not None:
                return None  # a dateTime with seconds must carry a zone
            second = int(g["S"] or 0)
            micro = int((g["f"] or "0")[:6].ljust(6, "0"))
            lo = datetime(year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), second, micro)
            if g["tz"] and g["tz"] != "Z":
                sign = 1 if g["tz"][0] == "+" else -1
                hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
                lo -= sign * timedelta(hours=hours, minutes=minutes)
            if g["S"] is None:
                hi = lo + timedelta(minutes=1, microseconds=-1)
            elif g["f"] is None:
                hi = lo + timedelta(seconds=1, microseconds=-1)
            else:
                hi = lo
    except ValueError:
        return None
    return lo.strftime(_FORMAT).rjust(26, "0"), hi.strftime(_FORMAT).rjust(26, "0")


def now_instant() -> str:
    """The current time as a FHIR instant with milliseconds, in UTC."""
    return format_instant(datetime.now(UTC))


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_key(moment: datetime) -> str:
    """A datetime in the same sortable form the index uses."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime(_FORMAT).rjust(26, "0")
