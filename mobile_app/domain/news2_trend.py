"""NEWS2 over time: each recorded set of vital signs scored, for the trend chart and its table.

A set is the measurements taken at one moment (the same effective time, as a vital-signs panel
and every round of the EPJ's observations have). Each set is scored with the SpO2 scale recorded
with it (its NEWS2 observation says which), else with the patient's scale now. A set missing a
parameter is a partial score: drawn apart and never read as a NEWS2.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from mobile_app.domain import news2
from mobile_app.domain.models import Measurement, Model
from mobile_app.domain.news2 import Band, Parameter


class News2Point(Model):
    time: datetime
    total: int
    band: Band
    complete: bool
    missing: tuple[Parameter, ...] = ()
    threes: tuple[Parameter, ...] = ()  # parameters scoring 3
    scale: int = 1
    pending: bool = False  # recorded on this phone, not yet confirmed by the EPJ


def sets_of(measurements: Iterable[Measurement]) -> dict[datetime, list[Measurement]]:
    """Vital-sign measurements grouped by the moment they were taken (those without a time are left out)."""
    found: dict[datetime, list[Measurement]] = defaultdict(list)
    for m in measurements:
        if m.time is not None and m.status not in ("entered-in-error", "cancelled"):
            found[m.time].append(m)
    return dict(found)


def point(time: datetime, measured: list[Measurement], scale2: bool, pending: bool = False) -> News2Point | None:
    score = news2.news2(news2.vital_signs(measured), scale2=scale2)
    if not score.scores:
        return None
    return News2Point(time=time, total=score.total, band=score.band, complete=score.complete,
                      missing=score.missing, threes=tuple(p for p, s in score.scores.items() if s == 3),
                      scale=score.scale, pending=pending)


def history(measurements: Iterable[Measurement], *, scale2: bool,
            recorded_scales: Mapping[datetime, int] | None = None) -> list[News2Point]:
    """Every set scored, oldest first. ``recorded_scales``: the scale each set was scored on when
    it was recorded (by its time)."""
    scales = recorded_scales or {}
    points = [p for time, measured in sets_of(measurements).items()
              if (p := point(time, measured, scales.get(time, 2 if scale2 else 1) == 2)) is not None]
    return sorted(points, key=lambda p: p.time)
