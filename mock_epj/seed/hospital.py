"""The generator: plans the hospital for a seed, then yields its FHIR resources lazily."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mock_epj.seed import facility, people, workflow, worklists
from mock_epj.seed.admitted import admitted_patient
from mock_epj.seed.clock import at_local, local_day
from mock_epj.seed.elements import Resource
from mock_epj.seed.facility import WARDS, Staff
from mock_epj.seed.history import outpatient_history
from mock_epj.seed.plan import Stay, plan_stays


@dataclass(frozen=True)
class Login:
    username: str
    pin: str
    practitioner_id: str
    role: str  # "doctor" | "nurse" | "health_worker" | "auditor"
    name: str  # display name, e.g. "Kari Nordmann"
    ward_ids: tuple[str, ...]  # Location ids of the user's wards (empty for auditor)


@dataclass
class SeedData:
    """Logins (PIN in clear, for the auth store to hash) and the resources, made on demand.

    Resources share some constant nested values (codings, references) to stay fast; serialise a
    resource, or copy it deeply, before changing anything inside it.
    """

    logins: list[Login]
    resources: Iterator[dict[str, Any]]  # a generator; every item a complete FHIR R4 resource


@dataclass(frozen=True)
class _Context:
    seed: int
    patients: int
    now: datetime
    staff: list[Staff]
    stays: list[Stay]
    appointments: list[tuple[Staff, datetime, int | None]]  # None: a patient on the ward
    appointment_ages: dict[int, float]  # ages of the outpatients with an appointment today


def generate(seed: int = 42, patients: int = 300, now: datetime | None = None) -> SeedData:
    """A deterministic synthetic hospital for (seed, patients, now); resources come lazily."""
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    staff = facility.build_staff(random.Random(f"{seed}:staff"))
    plan_rng = random.Random(f"{seed}:plan")
    stays = plan_stays(plan_rng, seed, patients, now, staff)
    admitted = {stay.index for stay in stays}
    outpatients = [i for i in plan_rng.sample(range(patients), min(patients, 200))
                   if i not in admitted]
    today = local_day(now)
    slots = [at_local(today, 8 + half // 2, 30 * (half % 2)) for half in range(16)]
    appointments: list[tuple[Staff, datetime, int | None]] = []
    appointment_ages: dict[int, float] = {}
    for doctor in (s for s in staff if s.role == "doctor"):
        for slot in sorted(plan_rng.sample(slots, plan_rng.choice((1, 2, 2, 3)))):
            index = None
            if outpatients and plan_rng.random() < 0.7:
                index = outpatients.pop()
                child = doctor.wards[0] == "ward-barn"
                appointment_ages[index] = plan_rng.uniform(1, 17) if child \
                    else plan_rng.uniform(20, 88)
            appointments.append((doctor, slot, index))
    logins = [
        Login(s.username, facility.PIN, s.id, s.role, s.name, s.wards) for s in staff
    ]
    context = _Context(seed, patients, now, staff, stays, appointments, appointment_ages)
    return SeedData(logins, _resources(context))


def _resources(context: _Context) -> Iterator[Resource]:
    yield from facility.organizations()
    yield from facility.locations()
    yield from facility.practitioners(context.staff)
    doctors_by_ward = {
        ward.id: [s for s in context.staff if s.role == "doctor" and ward.id in s.wards]
        for ward in WARDS
    }
    nurses_by_ward = {
        ward.id: [s for s in context.staff if s.role == "nurse" and ward.id in s.wards]
        for ward in WARDS
    }
    stays = {stay.index: stay for stay in context.stays}
    used_numbers: set[str] = set()
    rng = random.Random(f"{context.seed}:patients")
    today = context.now.date()
    for index in range(context.patients):
        stay = stays.get(index)
        if stay is not None:
            yield from admitted_patient(stay, used_numbers, doctors_by_ward, nurses_by_ward)
            continue
        forced_age = context.appointment_ages.get(index)
        person = people.make_patient(rng, index, today, used_numbers, age=forced_age)
        yield person.resource
        yield from outpatient_history(rng, person, context.now, doctors_by_ward)
    yield from _working_day(context)


def _working_day(context: _Context) -> Iterator[Resource]:
    """Tasks, today's appointments and internal messages, across wards."""
    rng = random.Random(f"{context.seed}:workday")
    now = context.now
    staff_by_username = {s.username: s for s in context.staff}
    by_ward: dict[str, list[Stay]] = {}
    for stay in context.stays:
        by_ward.setdefault(stay.ward.id, []).append(stay)

    def ward_staff(ward_id: str, role: str) -> list[Staff]:
        return [s for s in context.staff if s.role == role and ward_id in s.wards]

    task_number = 0
    for ward in WARDS:
        stays = by_ward.get(ward.id, [])
        doctors, nurses = ward_staff(ward.id, "doctor"), ward_staff(ward.id, "nurse")
        if not stays:
            continue
        owners = [*doctors, *nurses]
        extra = [staff_by_username["lege1"], staff_by_username["spl1"]] * 2 \
            if ward.id == "ward-med" else []
        for owner in extra + rng.sample(owners, min(len(owners), rng.randint(3, 5))):
            task_number += 1
            yield workflow.task(rng, f"task-{task_number:03d}", rng.choice(stays), owner,
                                rng.choice(doctors), now)

    for number, (doctor, slot, index) in enumerate(context.appointments, start=1):
        if index is not None:
            patient, inpatient = people.patient_id(index), False
        elif by_ward.get(doctor.wards[0]):
            patient, inpatient = rng.choice(by_ward[doctor.wards[0]]).patient_id, True
        else:
            continue
        yield workflow.appointment(rng, f"appt-{number:03d}", doctor, patient, slot, now,
                                   inpatient=inpatient)

    yield from _internal_messages(rng, context, by_ward, staff_by_username)
    yield from _beyond_today(context, by_ward)


def _beyond_today(context: _Context, by_ward: dict[str, list[Stay]]) -> Iterator[Resource]:
    """Clinics, Schedules, the weeks' appointments and more open tasks (seed/worklists.py)."""
    rng = random.Random(f"{context.seed}:worklists")
    doctors = [s for s in context.staff if s.role == "doctor"]
    yield from worklists.clinics()
    yield from worklists.schedules(doctors, context.now)
    admitted = {stay.index for stay in context.stays}
    outpatients = [people.patient_id(i) for i in range(context.patients) if i not in admitted]
    if outpatients:
        yield from worklists.appointments(rng, doctors, outpatients, context.now)
    med = [s for s in context.staff if "ward-med" in s.wards]
    owners = [s for s in med if s.username in ("lege1", "spl1", "hfa1")]
    owners += rng.sample([s for s in med if s.role in ("doctor", "nurse") and s not in owners], 2)
    yield from worklists.tasks(rng, owners, [s for s in med if s.role == "doctor"], by_ward.get("ward-med", []),
                               context.now)


def _internal_messages(
    rng: random.Random, context: _Context, by_ward: dict[str, list[Stay]],
    staff_by_username: dict[str, Staff],
) -> Iterator[Resource]:
    now = context.now
    med_stays = by_ward.get("ward-med", [])
    med_doctors = [s for s in context.staff if s.role == "doctor" and "ward-med" in s.wards]
    med_nurses = [s for s in context.staff if s.role == "nurse" and "ward-med" in s.wards]
    lege1, spl1 = staff_by_username["lege1"], staff_by_username["spl1"]
    pairs: list[tuple[Staff, Staff, list[Stay]]] = []
    for _ in range(rng.randint(4, 6)):
        pairs.append((rng.choice(med_nurses), lege1, med_stays))
    for _ in range(rng.randint(4, 6)):
        pairs.append((rng.choice(med_doctors), spl1, med_stays))
    pairs.append((staff_by_username["lege2"], lege1, []))
    for ward in WARDS[1:]:
        doctors = [s for s in context.staff if s.role == "doctor" and ward.id in s.wards]
        nurses = [s for s in context.staff if s.role == "nurse" and ward.id in s.wards]
        for _ in range(rng.randint(1, 3)):
            nurse, doctor = rng.choice(nurses), rng.choice(doctors)
            pairs.append((nurse, doctor, by_ward.get(ward.id, [])) if rng.random() < 0.5
                         else (doctor, nurse, by_ward.get(ward.id, [])))
    for number, (sender, recipient, stays) in enumerate(pairs, start=1):
        stay = rng.choice(stays) if stays and rng.random() < 0.8 else None
        if sender.id == recipient.id:
            continue
        sent = now - timedelta(minutes=rng.uniform(5, 60 * 30))
        if stay is not None:
            sent = max(sent, stay.start + timedelta(minutes=30))
        text = workflow.message_text(rng, sender, stay)
        yield workflow.message(f"msg-{number:03d}", sender, recipient, text, sent, stay)
