"""qSOFA (quick Sequential Organ Failure Assessment), as in DOMAIN.md: one point each for a
respiratory rate of 22/min or more, a systolic blood pressure of 100 mmHg or less, and altered
mentation. A score of 2 or more flags a high risk of a poor outcome in suspected infection.

Altered mentation is read from ACVPU: anything but alert (new confusion, voice, pain,
unresponsive) counts, as a GCS below 15 would. Rates and pressures are rounded to whole numbers
first, as NEWS2 reads them. A criterion with no measurement scores nothing and is listed in
``missing``; a partial score of 2 is already high risk (more can only add).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from mobile_app.domain.models import Model
from mobile_app.domain.news2 import Consciousness, whole

RESPIRATION_FROM = 22  # /min: this or more scores
SYSTOLIC_UP_TO = 100  # mmHg: this or less scores
HIGH_RISK_FROM = 2


class Criterion(StrEnum):
    RESPIRATION = "respiration"
    SYSTOLIC = "systolic"
    MENTATION = "mentation"


class QsofaScore(Model):
    total: int
    points: dict[Criterion, int] = Field(default_factory=dict)  # only the criteria measured
    missing: tuple[Criterion, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def high_risk(self) -> bool:
        return self.total >= HIGH_RISK_FROM


def qsofa(respiration: float | None, systolic: float | None, consciousness: Consciousness | None) -> QsofaScore:
    points: dict[Criterion, int] = {}
    if respiration is not None:
        points[Criterion.RESPIRATION] = int(whole(respiration) >= RESPIRATION_FROM)
    if systolic is not None:
        points[Criterion.SYSTOLIC] = int(whole(systolic) <= SYSTOLIC_UP_TO)
    if consciousness is not None:
        points[Criterion.MENTATION] = int(consciousness is not Consciousness.ALERT)
    return QsofaScore(total=sum(points.values()), points=points,
                      missing=tuple(c for c in Criterion if c not in points))
