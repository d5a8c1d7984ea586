"""Thrombosis risk of medical inpatients: the Padua Prediction Score (Barbar et al. 2010), as in
DOMAIN.md. Eleven risk factors, each present or not, with their points; a total of 4 or more is a
high risk of venous thromboembolism (consider prophylaxis). Surgical patients are usually scored
with Caprini instead: the form says so.

An assessment is current when it was made during the patient's current stay; a patient who has
been in hospital for 24 hours without one is marked on the ward list (``needs_assessment``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum

from mobile_app.domain.models import Model, ThrombosisRisk, age_on

HIGH_RISK_FROM = 4
ASSESS_WITHIN = timedelta(hours=24)  # after admission
AGE_FROM = 70  # years: the age item


class PaduaItem(StrEnum):
    """The risk factors, in the order of the published score."""

    ACTIVE_CANCER = "active-cancer"
    PREVIOUS_VTE = "previous-vte"
    REDUCED_MOBILITY = "reduced-mobility"
    THROMBOPHILIA = "thrombophilia"
    RECENT_TRAUMA_SURGERY = "recent-trauma-surgery"
    AGE_70 = "age-70"
    HEART_RESPIRATORY_FAILURE = "heart-respiratory-failure"
    MI_OR_STROKE = "mi-or-stroke"
    INFECTION_RHEUMATOLOGIC = "infection-rheumatologic"
    OBESITY = "obesity"
    HORMONAL_TREATMENT = "hormonal-treatment"


POINTS: dict[PaduaItem, int] = {
    PaduaItem.ACTIVE_CANCER: 3,
    PaduaItem.PREVIOUS_VTE: 3,
    PaduaItem.REDUCED_MOBILITY: 3,
    PaduaItem.THROMBOPHILIA: 3,
    PaduaItem.RECENT_TRAUMA_SURGERY: 2,
    PaduaItem.AGE_70: 1,
    PaduaItem.HEART_RESPIRATORY_FAILURE: 1,
    PaduaItem.MI_OR_STROKE: 1,
    PaduaItem.INFECTION_RHEUMATOLOGIC: 1,
    PaduaItem.OBESITY: 1,
    PaduaItem.HORMONAL_TREATMENT: 1,
}


class PaduaScore(Model):
    total: int
    present: tuple[PaduaItem, ...] = ()

    @property
    def high_risk(self) -> bool:
        return self.total >= HIGH_RISK_FROM


def padua(answers: Mapping[PaduaItem, bool]) -> PaduaScore:
    """The score of the items answered yes (an item not answered counts as absent)."""
    present = tuple(item for item in PaduaItem if answers.get(item, False))
    return PaduaScore(total=sum(POINTS[item] for item in present), present=present)


def age_item(birth_date: date | None, today: date) -> bool | None:
    """The age item from the birth date (None when it is not known)."""
    age = age_on(birth_date, today)
    return None if age is None else age >= AGE_FROM


def is_current(risk: ThrombosisRisk | None, admitted: datetime | None) -> bool:
    """Whether an assessment belongs to the current stay (any assessment counts when the start of
    the stay is not known)."""
    if risk is None:
        return False
    if admitted is None or risk.assessed_at is None:
        return True
    return risk.assessed_at >= admitted


def needs_assessment(risk: ThrombosisRisk | None, admitted: datetime | None, now: datetime) -> bool:
    """A patient in hospital for 24 hours or more with no assessment during the stay."""
    if admitted is None or now - admitted < ASSESS_WITHIN:
        return False
    return not is_current(risk, admitted)
