"""Tasks, appointments, internal and PLO messages, and fresh lab results for the server."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fhirclient.models.fhirelementfactory import FHIRElementFactory

from mock_epj import terminology as t
from mock_epj.seed.clock import local_day
from mock_epj.seed.labs import ANALYTES, new_lab_results
from tests.support.hospital import NOW, Hospital


def _category(resource: dict[str, Any]) -> str:
    return str(resource["category"][0]["coding"][0]["code"])


def _today(hospital: Hospital) -> list[dict[str, Any]]:
    day = local_day(hospital.now)
    return [a for a in hospital.of("Appointment") if local_day(datetime.fromisoformat(a["start"])) == day]


def test_lege1_and_lege2_have_appointments_today(hospital: Hospital) -> None:
    doctors = Counter(p["actor"]["reference"] for a in _today(hospital)
                      for p in a["participant"] if p["actor"]["reference"].startswith("Pract"))
    for username in ("lege1", "lege2"):
        assert 1 <= doctors[f"Practitioner/{hospital.login(username).practitioner_id}"] <= 3


def test_some_appointments_are_for_patients_not_admitted(hospital: Hospital) -> None:
    admitted = {s["subject"]["reference"] for s in hospital.stays}
    patients = {p["actor"]["reference"] for a in hospital.of("Appointment")
                for p in a["participant"] if p["actor"]["reference"].startswith("Patient/")}
    assert patients - admitted
    assert {a["status"] for a in _today(hospital)} <= {"booked", "arrived"}


def test_every_doctor_has_weeks_of_appointments_at_a_clinic(hospital: Hospital) -> None:
    """A week back to three weeks ahead, weekdays; those past took place (with their visit), or not."""
    today = local_day(hospital.now)
    doctors = [f"Practitioner/{login.practitioner_id}" for login in hospital.logins if login.role == "doctor"]
    days: dict[str, set[Any]] = {doctor: set() for doctor in doctors}
    visits = {e["appointment"][0]["reference"] for e in hospital.of("Encounter") if "appointment" in e}
    for appointment in hospital.of("Appointment"):
        start = datetime.fromisoformat(appointment["start"])
        actors = [p["actor"]["reference"] for p in appointment["participant"]]
        assert any(a.startswith("Location/") for a in actors), appointment["id"]
        doctor = next(a for a in actors if a.startswith("Practitioner/"))
        days[doctor].add(local_day(start))
        if start < hospital.now - timedelta(days=1):
            assert appointment["status"] in ("fulfilled", "noshow", "cancelled")
            assert (f"Appointment/{appointment['id']}" in visits) == (appointment["status"] == "fulfilled")
        elif start > hospital.now + timedelta(days=1):
            assert appointment["status"] in ("booked", "cancelled")
    for doctor in doctors:
        assert min(days[doctor]) < today - timedelta(days=3) and max(days[doctor]) > today + timedelta(days=14)
        assert all(day.weekday() < 5 for day in days[doctor] if day != today)
    clinics = {s["actor"][0]["reference"] for s in hospital.of("Schedule")}
    assert len([c for c in clinics if c.startswith("Location/clinic-")]) == 6


def test_tasks_go_to_staff_on_the_patients_ward(hospital: Hospital) -> None:
    wards = {f"Practitioner/{login.practitioner_id}": login.ward_ids for login in hospital.logins}
    stays = {s["id"]: s for s in hospital.stays}
    owners = set()
    for task in hospital.of("Task"):
        stay = stays[task["encounter"]["reference"].removeprefix("Encounter/")]
        ward = stay["location"][0]["location"]["reference"].removeprefix("Location/")
        assert ward in wards[task["owner"]["reference"]]
        owners.add(task["owner"]["reference"])
    for username in ("lege1", "spl1"):
        assert f"Practitioner/{hospital.login(username).practitioner_id}" in owners


def test_lege1_and_spl1_have_several_internal_messages(hospital: Hospital) -> None:
    messages = [c for c in hospital.of("Communication")
                if _category(c) == t.CATEGORY_INTERNAL_MESSAGE]
    recipients = Counter(c["recipient"][0]["reference"] for c in messages)
    for username in ("lege1", "spl1"):
        assert recipients[f"Practitioner/{hospital.login(username).practitioner_id}"] >= 3


def test_plo_messages_go_to_and_from_municipalities(hospital: Hospital) -> None:
    plo = [c for c in hospital.of("Communication") if _category(c) == t.CATEGORY_PLO]
    patients = {c["subject"]["reference"] for c in plo}
    assert 0.15 <= len(patients) / len(hospital.stays) <= 0.45
    for message in plo:
        ends = [message["sender"]["reference"], message["recipient"][0]["reference"]]
        assert any(e.startswith("Organization/org-kommune-") for e in ends)
        assert message["topic"]["coding"][0]["system"] == t.PLO_MESSAGE


def test_new_lab_results_are_a_valid_fresh_panel() -> None:
    patient = {"resourceType": "Patient", "id": "pat-000001", "gender": "female",
               "birthDate": "1948-03-12"}
    resources = new_lab_results(random.Random(1), patient, "enc-000001-1", NOW)
    assert [r["resourceType"] for r in resources][-1] == "DiagnosticReport"
    for resource in resources:
        FHIRElementFactory.instantiate(resource["resourceType"], resource)
    observations = resources[:-1]
    assert {o["code"]["coding"][0]["code"] for o in observations} >= {
        ANALYTES["hb"].code, ANALYTES["crp"].code, ANALYTES["k"].code}
    assert all(o["subject"]["reference"] == "Patient/pat-000001" for o in observations)
    assert resources[-1]["issued"] and resources[-1]["status"] == "final"
    again = new_lab_results(random.Random(1), patient, "enc-000001-1", NOW)
    assert again == resources
    other = new_lab_results(random.Random(2), patient, "enc-000001-1", NOW)
    assert not {r["id"] for r in other} & {r["id"] for r in resources}
