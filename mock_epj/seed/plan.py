"""Who lies in which bed: the current admissions, planned before any resource is generated."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from mock_epj.seed import diagnoses
from mock_epj.seed.diagnoses import Diagnosis
from mock_epj.seed.facility import WARDS, Bed, Staff, Ward
from mock_epj.seed.people import patient_id, patient_number

# Illness now (acuity band) and how often it occurs: most patients are stable.
_ACUITY_BANDS = ((0.04, 0.26), (0.26, 0.45), (0.45, 0.62), (0.62, 0.95))
_ACUITY_WEIGHTS = (0.55, 0.27, 0.11, 0.07)
_ACUITY_WEIGHTS_MILD = (0.85, 0.13, 0.02, 0.0)  # for diagnoses that are rarely dangerous


@dataclass(frozen=True)
class Stay:
    """One current admission and the course the patient's illness takes."""

    index: int
    ward: Ward
    bed: Bed
    diagnosis: Diagnosis
    start: datetime
    now: datetime
    male: bool
    age: float
    doctor: Staff
    nurse: Staff | None
    severity: float  # how hard the disease hits this patient, scales lab effects
    acuity_start: float
    acuity_now: float
    earlier_encounters: int
    micro: bool
    pending_labs: bool
    critical_info: bool
    seed: str  # seeds this stay's own Random, so its details do not depend on the others

    @property
    def number(self) -> str:
        return patient_number(self.index)

    @property
    def patient_id(self) -> str:
        return patient_id(self.index)

    @property
    def encounter_id(self) -> str:
        return f"enc-{self.number}-{self.earlier_encounters + 1}"

    @property
    def condition_id(self) -> str:
        return f"cond-{self.number}-{self.earlier_encounters + 1}"

    @property
    def deteriorating(self) -> bool:
        return self.acuity_now > self.acuity_start + 0.05

    @property
    def hypercapnic(self) -> bool:
        return "hypercapnic" in self.diagnosis.signs

    def _fraction(self, when: datetime) -> float:
        total = (self.now - self.start).total_seconds()
        return min(max((when - self.start).total_seconds() / total, 0.0), 1.0)

    def acuity(self, when: datetime) -> float:
        """How ill the patient is at a moment, for vital signs (0 well .. 1 gravely ill)."""
        f = self._fraction(when)
        if self.deteriorating:
            return self.acuity_start + (self.acuity_now - self.acuity_start) * f**2
        return self.acuity_now + (self.acuity_start - self.acuity_now) * (1 - f) ** 2

    def activity(self, when: datetime) -> float:
        """How active the disease is, for lab values: peaks a day in, then settles or relapses."""
        hours = (when - self.start).total_seconds() / 3600
        if hours <= 24:
            level = 0.55 + 0.45 * max(hours, 0) / 24
        else:
            settle = 0.12 if self.acuity_now < 0.3 else 0.3
            level = settle + (1 - settle) * math.exp(-(hours - 24) / 60)
        if self.deteriorating:
            level += 0.7 * self._fraction(when) ** 2
        return level

    def is_sick_at(self, when: datetime) -> bool:
        return self.acuity(when) >= 0.45


def _days_in_hospital(rng: random.Random) -> float:
    days = rng.choices((0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19), (
        8, 14, 15, 14, 11, 9, 7, 6, 5, 3, 2, 1))[0]
    if days == 0:
        return rng.uniform(2, 20) / 24
    return days + rng.uniform(0, 0.9)


def plan_stays(
    rng: random.Random, seed: int, patients: int, now: datetime, staff: list[Staff]
) -> list[Stay]:
    """Fill about 70 % of the beds; the patients are spread over the whole register."""
    occupied: list[Bed] = []
    for ward in WARDS:
        share = rng.uniform(0.62, 0.8)
        occupied += [bed for bed in ward.beds if rng.random() < share]
    occupied = occupied[:patients]
    indices = rng.sample(range(patients), len(occupied))
    wards = {ward.id: ward for ward in WARDS}
    stays = []
    for bed, index in zip(occupied, indices, strict=True):
        ward = wards[bed.ward_id]
        choices, frequencies = diagnoses.for_ward(ward.id)
        diagnosis = rng.choices(choices, frequencies)[0]
        low, mode, high = diagnosis.age
        age = rng.triangular(low, high, mode)
        age = min(age, 17.9) if ward.id == "ward-barn" else max(age, 18.0)
        doctors = [s for s in staff if s.role == "doctor" and ward.id in s.wards]
        nurses = [s for s in staff if s.role == "nurse" and ward.id in s.wards]
        severity = rng.uniform(0.7, 1.4)
        acuity_start = min(max(diagnosis.acuity * severity + rng.gauss(0, 0.07), 0.0), 1.0)
        weights: tuple[float, ...] = _ACUITY_WEIGHTS_MILD if diagnosis.acuity < 0.2 else _ACUITY_WEIGHTS
        band = rng.choices(_ACUITY_BANDS, weights)[0]
        start = now - timedelta(days=_days_in_hospital(rng))
        stays.append(Stay(
            index=index, ward=ward, bed=bed, diagnosis=diagnosis, start=start, now=now,
            male=rng.random() < diagnosis.male_share, age=age,
            doctor=rng.choice(doctors), nurse=rng.choice(nurses) if rng.random() < 0.85 else None,
            severity=severity, acuity_start=acuity_start, acuity_now=rng.uniform(*band),
            earlier_encounters=rng.choices((0, 1, 2, 3), (50, 25, 15, 10))[0],
            micro=rng.random() < (0.85 if diagnosis.micro else 0.18),
            pending_labs=rng.random() < 0.15,
            critical_info=rng.random() < 0.12,
            seed=f"{seed}:stay:{index}",
        ))
    return stays
