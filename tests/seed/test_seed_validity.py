"""Every generated resource is valid FHIR R4, references resolve and nothing lies in the future."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fhirclient.models.fhirelementfactory import FHIRElementFactory

from mock_epj.seed.clock import local_day
from tests.support.hospital import Hospital

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_PAST_FIELDS = (
    "effectiveDateTime", "issued", "sent", "received", "authoredOn", "recordedDate",
    "onsetDateTime", "receivedTime", "collectedDateTime", "creation", "lastModified",
)


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)


def test_every_resource_passes_strict_fhirclient_validation(any_hospital: Hospital) -> None:
    failures = []
    for resource in any_hospital.resources:
        try:
            FHIRElementFactory.instantiate(resource["resourceType"], resource).as_json()
        except Exception as error:  # collect them all for one readable failure
            failures.append(f"{resource['resourceType']}/{resource['id']}: {error}")
    assert failures == []


def test_every_reference_points_to_a_generated_resource(any_hospital: Hospital) -> None:
    dangling = {
        value for resource in any_hospital.resources
        for key, value in _walk(resource) if key == "reference"
        and value not in any_hospital.by_ref
    }
    assert dangling == set()


def test_ids_are_unique_readable_fhir_ids(any_hospital: Hospital) -> None:
    refs = [f"{r['resourceType']}/{r['id']}" for r in any_hospital.resources]
    assert len(refs) == len(set(refs))
    assert all(_ID.match(r["id"]) for r in any_hospital.resources)
    assert all("meta" not in r for r in any_hospital.resources)


def test_patient_ids_follow_the_register_numbering(hospital: Hospital) -> None:
    ids = [p["id"] for p in hospital.of("Patient")]
    assert ids == [f"pat-{n:06d}" for n in range(1, 301)]


def test_date_times_carry_a_time_zone(any_hospital: Hospital) -> None:
    for resource in any_hospital.resources:
        for key, value in _walk(resource):
            if key in (*_PAST_FIELDS, "start", "end", "date") and isinstance(value, str) \
                    and "T" in value:
                assert datetime.fromisoformat(value).tzinfo is not None, (resource["id"], key)


def test_nothing_is_recorded_after_now(any_hospital: Hospital) -> None:
    now = any_hospital.now
    for resource in any_hospital.resources:
        if resource["resourceType"] in ("Appointment", "Task", "Schedule"):
            continue  # appointments and books ahead, and task deadlines lie ahead
        for key, value in _walk(resource):
            if key in (*_PAST_FIELDS, "start", "end", "date") and isinstance(value, str) \
                    and "T" in value:
                assert datetime.fromisoformat(value) <= now, (resource["id"], key, value)


def test_the_working_days_appointments_are_today_in_norwegian_time(any_hospital: Hospital) -> None:
    today = local_day(any_hospital.now)
    appointments = [a for a in any_hospital.of("Appointment") if not a["id"].startswith("appt-w")]
    assert appointments
    for appointment in appointments:
        start = datetime.fromisoformat(appointment["start"])
        assert local_day(start) == today
        assert datetime.fromisoformat(appointment["end"]) > start
