"""Earlier stays and visits, and the small record most patients in the register have."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from mock_epj.seed import clinical, people
from mock_epj.seed.diagnoses import DIAGNOSES, Diagnosis
from mock_epj.seed.elements import Resource
from mock_epj.seed.facility import WARDS, Staff

_ADULT_WARDS = tuple(w.id for w in WARDS if w.id != "ward-barn")
_DIAGNOSES_BY_WARD = {w.id: [d for d in DIAGNOSES if w.id in d.wards] for w in WARDS}


def earlier_stays(
    rng: random.Random, person: people.Person, count: int, now: datetime,
    doctors_by_ward: dict[str, list[Staff]], before: datetime | None = None,
) -> Iterator[tuple[Resource, Diagnosis, Staff]]:
    """Finished stays and outpatient visits from the past years, oldest first."""
    latest = before or now
    max_days = min(8 * 365, (latest.date() - person.birth).days - 1)
    if max_days < 2:
        return
    starts = sorted(
        latest - timedelta(days=rng.uniform(min(14, max_days / 2), max_days))
        for _ in range(count)
    )
    for k, start in enumerate(starts, start=1):
        age_then = person.age - (now - start).days / 365.25
        ward_id = "ward-barn" if age_then < 18 else rng.choice(_ADULT_WARDS)
        fitting = [d for d in _DIAGNOSES_BY_WARD[ward_id] if d.age[0] <= age_then <= d.age[2]]
        diagnosis = rng.choice(fitting or _DIAGNOSES_BY_WARD[ward_id])
        doctor = rng.choice(doctors_by_ward[ward_id])
        inpatient = rng.random() < 0.45
        encounter = clinical.earlier_encounter(
            f"enc-{person.id.removeprefix('pat-')}-{k}", person.id, start, inpatient, ward_id,
            diagnosis, doctor, min(rng.randint(2, 9), (latest - start).days // 2),
        )
        yield encounter, diagnosis, doctor


def outpatient_history(
    rng: random.Random, person: people.Person, now: datetime,
    doctors_by_ward: dict[str, list[Staff]],
) -> Iterator[Resource]:
    """What an outpatient's record holds besides the Patient: a few visits, maybe allergies."""
    roll = rng.random()
    count = 0 if roll < 0.65 else 1 if roll < 0.88 else 2
    for encounter, _diagnosis, _doctor in earlier_stays(rng, person, count, now, doctors_by_ward):
        yield encounter
    number = person.id.removeprefix("pat-")
    if rng.random() < 0.12:
        recorded = now - timedelta(days=rng.uniform(30, 3000))
        yield clinical.mild_allergy(rng, f"alg-{number}-1", person.id, recorded)[0]
    if rng.random() < 0.015:
        recorded = now - timedelta(days=rng.uniform(30, 3000))
        yield from clinical.critical_information(
            rng, number, person.id, recorded, person.age < 18
        )[0]
