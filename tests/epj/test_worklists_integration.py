"""The EPJ client's work lists against a real mock EPJ, checked against the seeded data: my tasks and
my ward's, a day of my book, a colleague's and a clinic's, finding a book by name, task transitions
(with a conflict), registering arrival, and a patient's outpatient visits apart from stays."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mobile_app.domain import hospital_time
from mobile_app.domain.worklists import OPEN_TASK_STATUSES, ArrivalDraft, BookOwner, TaskStatusDraft
from mobile_app.epj.errors import AccessDenied, Conflict
from tests.support.database import SeedData
from tests.support.epj_logins import Login

pytestmark = pytest.mark.asyncio


def _local_day(value: str) -> date:
    return hospital_time.local_date(datetime.fromisoformat(value))


def _appointments_of(seed: SeedData, actor: str, day: date) -> list[dict[str, Any]]:
    return [a for a in seed.of("Appointment") if _local_day(a["start"]) == day
            and any(p["actor"]["reference"] == actor for p in a["participant"])]


def _busy_day(seed: SeedData, actor: str) -> date:
    """A day ahead with several of the actor's appointments."""
    days = Counter(_local_day(a["start"]) for a in seed.of("Appointment")
                   if any(p["actor"]["reference"] == actor for p in a["participant"])
                   and datetime.fromisoformat(a["start"]) > datetime.now(UTC))
    return max(days, key=lambda d: (days[d], d))


async def test_my_tasks_are_the_open_tasks_i_own_with_their_patients(login: Login, seed: SeedData) -> None:
    session = await login("spl1")
    tasks = await session.client.my_tasks(session.practitioner_id)
    expected = {t["id"] for t in seed.of("Task") if t["status"] in OPEN_TASK_STATUSES
                and t.get("owner", {}).get("reference") == f"Practitioner/{session.practitioner_id}"}
    assert {t.id for t in tasks} == expected and len(expected) >= 4
    assert all(t.patient_name and t.patient_identifier and t.version for t in tasks)
    now = datetime.now(UTC)
    assert any(t.overdue(now) for t in tasks) and any(not t.overdue(now) for t in tasks)
    assert session.client.round_trips == 2  # the login, then one search


async def test_my_wards_tasks_are_those_of_its_patients_whoever_owns_them(login: Login, seed: SeedData) -> None:
    session = await login("spl1")
    tasks = await session.client.ward_tasks("ward-med")
    on_ward = {s["subject"]["reference"].split("/")[1] for s in seed.stays_on("ward-med")}
    expected = {t["id"] for t in seed.of("Task") if t["status"] in OPEN_TASK_STATUSES
                and t["for"]["reference"].split("/")[1] in on_ward}
    assert {t.id for t in tasks} == expected
    assert len({t.owner_id for t in tasks}) > 2


async def test_a_day_of_my_book_in_hospital_time(login: Login, seed: SeedData) -> None:
    session = await login("lege1")
    me = f"Practitioner/{session.practitioner_id}"
    day = _busy_day(seed, me)
    before = session.client.round_trips
    book = await session.client.appointment_book(BookOwner(kind="Practitioner", id=session.practitioner_id,
                                                           name="Kari Nordmann"), day)
    assert session.client.round_trips == before + 1
    assert {a.id for a in book} == {a["id"] for a in _appointments_of(seed, me, day)}
    assert [a.start for a in book] == sorted(a.start for a in book if a.start)
    first = book[0]
    assert first.patient_name and first.location == "Medisinsk poliklinikk" and first.kind and first.reason
    assert not first.subsetted


async def test_a_colleagues_book_shows_when_and_whom_not_why(login: Login, seed: SeedData) -> None:
    session = await login("lege2")
    lege1 = "prac-001"
    day = _busy_day(seed, f"Practitioner/{lege1}")
    book = await session.client.appointment_book(BookOwner(kind="Practitioner", id=lege1, name="Kari Nordmann"), day)
    assert {a.id for a in book} == {a["id"] for a in _appointments_of(seed, f"Practitioner/{lege1}", day)}
    hidden = [a for a in book if a.subsetted]
    assert hidden, "lege2 has a care relation to every one of lege1's patients that day"
    assert all(a.reason is None and a.patient_name and a.start and a.kind for a in hidden)


async def test_a_clinics_book_and_finding_books_by_name(login: Login, seed: SeedData) -> None:
    session = await login("spl1")
    found = await session.client.find_books("medisinsk")
    clinic = next(b for b in found if b.kind == "Location")
    assert clinic.id == "clinic-med" and clinic.name == "Medisinsk poliklinikk"
    people = await session.client.find_books("Jonas")
    assert any(b.kind == "Practitioner" and b.name == "Jonas Berg" for b in people)
    day = _busy_day(seed, "Location/clinic-med")
    book = await session.client.appointment_book(clinic, day)
    assert {a.id for a in book} == {a["id"] for a in _appointments_of(seed, "Location/clinic-med", day)}
    assert len({a.practitioner_id for a in book}) >= 2  # several doctors work the clinic


async def test_task_transitions_and_a_conflict_saying_when(fresh_login: Login) -> None:
    lege1, spl1 = await fresh_login("lege1"), await fresh_login("spl1")
    task = next(t for t in await lege1.client.my_tasks(lege1.practitioner_id) if t.status == "requested")
    accepted = await lege1.client.change_task_status(TaskStatusDraft(
        task_id=task.id, version=task.version, status="accepted", patient_id=task.patient_id,
        author_id=lege1.practitioner_id))
    assert accepted.status == "accepted" and accepted.version != task.version
    started = await spl1.client.change_task_status(TaskStatusDraft(
        task_id=task.id, version=accepted.version, status="in-progress", patient_id=task.patient_id,
        author_id=spl1.practitioner_id))
    with pytest.raises(Conflict) as conflict:
        await lege1.client.change_task_status(TaskStatusDraft(
            task_id=task.id, version=accepted.version, status="completed", patient_id=task.patient_id,
            author_id=lege1.practitioner_id))
    assert conflict.value.changed_by is None and conflict.value.changed_at is not None  # standard data names no one
    done = await lege1.client.change_task_status(TaskStatusDraft(
        task_id=task.id, version=started.version, status="completed", patient_id=task.patient_id,
        author_id=lege1.practitioner_id))
    assert done.status == "completed"
    handed = next(t for t in await lege1.client.my_tasks(lege1.practitioner_id) if t.status != "in-progress")
    back = await lege1.client.change_task_status(TaskStatusDraft(
        task_id=handed.id, version=handed.version, status="rejected", reason="Ikke min pasient i dag",
        patient_id=handed.patient_id, author_id=lege1.practitioner_id))
    assert back.status == "rejected" and back.status_reason == "Ikke min pasient i dag"


async def test_registering_arrival_and_undoing_it(fresh_login: Login, seed: SeedData) -> None:
    session = await fresh_login("lege1")
    me = f"Practitioner/{session.practitioner_id}"
    now = datetime.now(UTC)
    day = min(_local_day(a["start"]) for a in seed.of("Appointment") if a["status"] == "booked"
              and any(p["actor"]["reference"] == me for p in a["participant"])
              and now < datetime.fromisoformat(a["start"]) < now + timedelta(days=6))  # in the care relation's days
    mine = BookOwner(kind="Practitioner", id=session.practitioner_id, name="")
    booked = next(a for a in await session.client.appointment_book(mine, day) if a.status == "booked")
    arrived = await session.client.register_arrival(ArrivalDraft(
        appointment_id=booked.id, version=booked.version, patient_id=booked.patient_id,
        author_id=session.practitioner_id))
    assert arrived.status == "arrived"
    undone = await session.client.register_arrival(ArrivalDraft(
        appointment_id=booked.id, version=arrived.version, arrived=False, patient_id=booked.patient_id,
        author_id=session.practitioner_id))
    assert undone.status == "booked"
    nurse = await fresh_login("hfa1")
    with pytest.raises(AccessDenied):
        await nurse.client.register_arrival(ArrivalDraft(
            appointment_id=booked.id, version=undone.version, patient_id=booked.patient_id,
            author_id=nurse.practitioner_id))


async def test_outpatient_visits_are_attendances_apart_from_stays(login: Login, seed: SeedData) -> None:
    session = await login("lege1")
    visited = Counter(e["subject"]["reference"].split("/")[1] for e in seed.of("Encounter")
                      if e["class"]["code"] == "AMB")
    mine = {a["participant"][0]["actor"]["reference"].split("/")[1] for a in seed.of("Appointment")
            if any(p["actor"]["reference"] == f"Practitioner/{session.practitioner_id}" for p in a["participant"])
            and timedelta(hours=-20) < datetime.fromisoformat(a["start"]) - datetime.now(UTC) < timedelta(days=6)}
    patient = next(p for p in sorted(mine) if visited[p])
    overview = await session.client.patient_overview(patient)
    assert len(overview.attendances) == visited[patient]
    assert all(a.clinic and a.clinic.endswith(("poliklinikk", "Barnepoliklinikk")) for a in overview.attendances)
    assert all(s.kind == "IMP" for s in overview.inpatient_stays)
