"""Trend charts of one analyte: its numeric points, and downsampling that never hides an extreme.

``downsample`` is a min/max bucket algorithm (as in M4): the time axis is cut into equal buckets,
roughly one per pair of chart pixels, and each bucket keeps its lowest and its highest point, plus
the first and the last point of the series. Therefore:

- the global minimum and maximum are always kept (each is its bucket's extreme);
- every bucket that holds an abnormal or critical point keeps a point at least as far out in the
  same direction (its own min or max), so a spike never disappears from the drawing;
- the result is time-sorted and holds at most ``target`` points (``target`` >= 4; below that only
  the global min and max are kept);
- a series no longer than ``target`` is returned unchanged.

It is O(n) in one pass over the points after sorting (sorting is skipped for sorted input).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol, TypeVar

from mobile_app.domain.models import LabFlag, LabResult

DEFAULT_TARGET = 300  # points a phone-width chart can show


class TimedValue(Protocol):
    @property
    def time(self) -> datetime: ...

    @property
    def value(self) -> float: ...


P = TypeVar("P", bound=TimedValue)


class TrendPoint(NamedTuple):
    """One point of a trend chart; ``result_id`` leads back to the result for the table."""

    time: datetime
    value: float
    flag: LabFlag
    result_id: str
    comparator: str | None = None


def trend_points(results: Iterable[LabResult]) -> list[TrendPoint]:
    """The numeric results with a sampling time, oldest first (text results have no place on a
    chart and stay in the table)."""
    points = [TrendPoint(r.time, r.value, r.flag, r.id, r.comparator) for r in results
              if r.value is not None and r.time is not None]
    points.sort(key=lambda p: p.time)
    return points


def _sorted(points: Sequence[P]) -> Sequence[P]:
    if all(points[i].time <= points[i + 1].time for i in range(len(points) - 1)):
        return points
    return sorted(points, key=lambda p: p.time)


def downsample(points: Sequence[P], target: int = DEFAULT_TARGET) -> list[P]:
    """At most ``target`` points of a series for drawing, keeping every bucket's extremes."""
    if target < 2:
        raise ValueError("downsampling needs a target of at least 2 points")
    ordered = _sorted(points)
    n = len(ordered)
    if n <= target:
        return list(ordered)
    values = [p.value for p in ordered]
    if target < 4:
        low = min(range(n), key=values.__getitem__)
        high = max(range(n), key=values.__getitem__)
        return [ordered[i] for i in sorted({low, high})]
    buckets = (target - 2) // 2
    start = ordered[0].time.timestamp()
    span = ordered[-1].time.timestamp() - start
    lows: dict[int, int] = {}
    highs: dict[int, int] = {}
    for i, point in enumerate(ordered):
        if span > 0:
            bucket = min(int((point.time.timestamp() - start) / span * buckets), buckets - 1)
        else:  # every point at one instant: cut by position instead
            bucket = i * buckets // n
        value = values[i]
        if bucket not in lows or value < values[lows[bucket]]:
            lows[bucket] = i
        if bucket not in highs or value > values[highs[bucket]]:
            highs[bucket] = i
    keep = {0, n - 1, *lows.values(), *highs.values()}
    return [ordered[i] for i in sorted(keep)]
