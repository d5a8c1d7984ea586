"""The clinics' and clinicians' days beyond today: outpatient clinics, their and the doctors'
Schedules, appointments from a week back to three weeks ahead, the outpatient visits (Encounters,
class AMB) of the past days, and open tasks in every state, some overdue.

Drawn from random numbers of their own (``<seed>:worklists``) and yielded after everything else,
so that the rest of the hospital stays as it was for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import at_local, iso, local_day
from mock_epj.seed.elements import Resource, concept, ref, text_concept
from mock_epj.seed.facility import HOSPITAL_ID, WARDS_BY_ID, Staff
from mock_epj.seed.plan import Stay

# Location.type of an outpatient clinic (HL7 v3 RoleCode "OF", outpatient facility).
CLINIC_TYPE = "OF"
DAYS_BACK, DAYS_AHEAD = 7, 21
# (clinic id, name, the ward whose doctors work there, visit reasons).
CLINICS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("clinic-med", "Medisinsk poliklinikk", "ward-med", ("Kontroll etter pneumoni", "Oppfølging av KOLS",
                                                          "Utredning av anemi", "Kontroll av nyrefunksjon")),
    ("clinic-kir", "Kirurgisk poliklinikk", "ward-kir", ("Kontroll etter galleoperasjon", "Vurdering av brokk",
                                                          "Sårkontroll", "Samtale før operasjon")),
    ("clinic-hjerte", "Hjertepoliklinikk", "ward-hjerte", ("Kontroll etter hjerteinfarkt", "Pacemakerkontroll",
                                                           "Oppfølging av atrieflimmer", "Belastnings-EKG")),
    ("clinic-orto", "Ortopedisk poliklinikk", "ward-orto", ("Gipskontroll", "Kontroll etter hofteprotese",
                                                             "Røntgenkontroll etter brudd", "Vurdering av kne")),
    ("clinic-nevro", "Nevrologisk poliklinikk", "ward-nevro", ("Kontroll etter hjerneinfarkt", "Epilepsikontroll",
                                                               "MS-kontroll", "Utredning av hodepine")),
    ("clinic-barn", "Barnepoliklinikk", "ward-barn", ("Astmakontroll", "Diabeteskontroll", "Vekstkontroll",
                                                      "Kontroll etter pyelonefritt")),
)
CLINIC_OF_WARD = {ward: (clinic_id, name) for clinic_id, name, ward, _ in CLINICS}
_REASONS = {ward: reasons for _, _, ward, reasons in CLINICS}
_KINDS = ("Poliklinisk kontroll", "Poliklinisk kontroll", "Ny henvisning", "Telefonkonsultasjon")
_AMB = {"system": t.ACT_CODE, "code": "AMB", "display": "ambulatory"}
_ATTENDER = [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender")]


def clinic_ref(ward_id: str) -> dict[str, str]:
    clinic_id, name = CLINIC_OF_WARD[ward_id]
    return ref("Location", clinic_id, name)


def clinics() -> Iterator[Resource]:
    for clinic_id, name, ward_id, _ in CLINICS:
        ward = WARDS_BY_ID[ward_id]
        yield {
            "resourceType": "Location", "id": clinic_id, "status": "active", "mode": "instance",
            "name": name, "alias": [name.replace("poliklinikk", "pol.")],
            "type": [concept(t.ROLE_CODE, CLINIC_TYPE, "Outpatient facility", "Poliklinikk")],
            "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "wi", "Wing"),
            "telecom": [{"system": "phone", "value": f"{ward.phone[:-2]}50", "use": "work"}],
            "managingOrganization": ref("Organization", HOSPITAL_ID),
        }


def schedules(doctors: Sequence[Staff], now: datetime) -> Iterator[Resource]:
    """Each clinic's book and each doctor's, planned from a week back to three weeks ahead."""
    horizon = {"start": iso(at_local(local_day(now) - timedelta(days=DAYS_BACK), 0)),
               "end": iso(at_local(local_day(now) + timedelta(days=DAYS_AHEAD + 1), 0))}
    for clinic_id, name, _, _ in CLINICS:
        yield {"resourceType": "Schedule", "id": f"schedule-{clinic_id}", "active": True,
               "serviceType": [text_concept(name)], "actor": [ref("Location", clinic_id, name)],
               "planningHorizon": horizon, "comment": f"Timebok for {name}"}
    for doctor in doctors:
        yield {"resourceType": "Schedule", "id": f"schedule-{doctor.id}", "active": True,
               "serviceType": [text_concept(CLINIC_OF_WARD[doctor.wards[0]][1])],
               "actor": [ref("Practitioner", doctor.id, doctor.name), clinic_ref(doctor.wards[0])],
               "planningHorizon": horizon, "comment": f"Timebok for {doctor.name}"}


def _status(rng: random.Random, start: datetime, now: datetime) -> str:
    if start >= now:
        return "cancelled" if rng.random() < 0.05 else "booked"
    return rng.choices(("fulfilled", "noshow", "cancelled"), (90, 5, 5))[0]


def appointments(rng: random.Random, doctors: Sequence[Staff], patients: Sequence[str], now: datetime
                 ) -> Iterator[Resource]:
    """Weekday appointments (not today's: those are the working day's) with their past visits."""
    today = local_day(now)
    number = 0
    for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        if offset == 0 or day.weekday() >= 5:
            continue
        for doctor in doctors:
            halves = sorted(rng.sample(range(14), rng.choice((1, 2, 2, 3))))
            for half in halves:
                number += 1
                start = at_local(day, 8 + half // 2, 30 * (half % 2))
                patient_id = rng.choice(patients)
                appointment = _appointment(rng, f"appt-w{number:04d}", doctor, patient_id, start, now)
                yield appointment
                if appointment["status"] == "fulfilled":
                    yield _visit(appointment, doctor, patient_id)


def _appointment(rng: random.Random, appointment_id: str, doctor: Staff, patient_id: str, start: datetime,
                 now: datetime) -> Resource:
    minutes = rng.choice((20, 30, 30, 45))
    clinic = clinic_ref(doctor.wards[0])
    return {
        "resourceType": "Appointment", "id": appointment_id, "status": _status(rng, start, now),
        "serviceType": [text_concept(clinic["display"])], "appointmentType": text_concept(rng.choice(_KINDS)),
        "description": rng.choice(_REASONS[doctor.wards[0]]),
        "start": iso(start), "end": iso(start + timedelta(minutes=minutes)), "minutesDuration": minutes,
        "created": iso(min(start, now) - timedelta(days=rng.randint(3, 60))),
        "participant": [
            {"actor": ref("Patient", patient_id), "required": "required", "status": "accepted"},
            {"actor": ref("Practitioner", doctor.id, doctor.name), "required": "required", "status": "accepted"},
            {"actor": clinic, "required": "required", "status": "accepted"},
        ],
    }


def _visit(appointment: Resource, doctor: Staff, patient_id: str) -> Resource:
    """The outpatient visit an appointment that took place became."""
    clinic = appointment["participant"][2]["actor"]
    period = {"start": appointment["start"], "end": appointment["end"]}
    return {
        "resourceType": "Encounter", "id": f"enc-{appointment['id']}", "status": "finished", "class": _AMB,
        "type": [appointment["appointmentType"]], "serviceType": text_concept(clinic["display"]),
        "subject": ref("Patient", patient_id),
        "participant": [{"type": _ATTENDER, "individual": ref("Practitioner", doctor.id, doctor.name)}],
        "appointment": [ref("Appointment", appointment["id"])],
        "period": period,
        "location": [{"location": clinic, "status": "completed", "period": period}],
        "serviceProvider": ref("Organization", HOSPITAL_ID),
    }


# ------------------------------------------------------------------ tasks

_OPEN = ("requested", "received", "accepted", "in-progress")
_WARD_TASKS = {
    "doctor": ("Vurder dagens blodprøvesvar", "Vurder utskrivning", "Skriv epikrise",
               "Ring pårørende og informer om videre plan", "Gjennomgå legemiddellisten"),
    "nurse": ("Mål blodsukker før måltider", "Sårstell og dokumentasjon", "Fjern perifert venekateter",
              "Bestill transport hjem", "Mål vitale parametre hver 2. time"),
    "health_worker": ("Vektkontroll i morgen tidlig", "Mål blodsukker før lunsj", "Hjelp til dusj og stell",
                      "Mobiliser pasienten til stol", "Registrer væskeinntak"),
}


def tasks(rng: random.Random, owners: Sequence[Staff], requesters: Sequence[Staff], stays: Sequence[Stay],
          now: datetime) -> Iterator[Resource]:
    """Open tasks for the medical ward's staff, in every open state; the first two of each owner's
    are overdue, and some are urgent."""
    if not stays or not requesters:
        return
    number = 0
    for owner in owners:
        for k in range(4):
            number += 1
            stay = rng.choice(stays)
            requester = rng.choice([r for r in requesters if r.id != owner.id] or list(requesters))
            authored = max(now - timedelta(hours=rng.uniform(2, 20)), stay.start)
            due = now - timedelta(minutes=rng.randint(20, 180)) if k < 2 \
                else now + timedelta(hours=rng.uniform(1, 26))
            status = _OPEN[k % len(_OPEN)]
            yield {
                "resourceType": "Task", "id": f"task-w{number:03d}", "status": status, "intent": "order",
                "priority": "urgent" if k == 1 or rng.random() < 0.15 else "routine",
                "description": rng.choice(_WARD_TASKS[owner.role]),
                "for": ref("Patient", stay.patient_id), "encounter": ref("Encounter", stay.encounter_id),
                "authoredOn": iso(authored), "lastModified": iso(authored),
                "requester": ref("Practitioner", requester.id, requester.name),
                "owner": ref("Practitioner", owner.id, owner.name),
                "restriction": {"period": {"end": iso(due)}},
            }
