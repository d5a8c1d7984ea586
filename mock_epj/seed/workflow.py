"""The ward's working day: tasks, today's appointments, internal and PLO messages, care plans."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import at_local, iso, local_day
from mock_epj.seed.elements import Resource, concept, ref, text_concept
from mock_epj.seed.facility import HOSPITAL_ID, MUNICIPALITIES, WARDS_BY_ID, Staff
from mock_epj.seed.plan import Stay
from mock_epj.seed.worklists import clinic_ref

_INTERNAL = [concept(t.COMMUNICATION_CATEGORY, t.CATEGORY_INTERNAL_MESSAGE, "Intern melding")]
_PLO = [concept(t.COMMUNICATION_CATEGORY, t.CATEGORY_PLO, "PLO-melding")]
_HOSPITAL = ref("Organization", HOSPITAL_ID, "Fjordvik universitetssykehus HF")

DOCTOR_TASKS = (
    "Vurder seponering av antibiotika", "Vurder utskrivning", "Skriv epikrise",
    "Ring pårørende og informer om videre plan", "Følg opp svar på CT",
    "Vurder dagens blodprøvesvar", "Henvis til fysioterapeut", "Gjennomgå legemiddellisten",
)
NURSE_TASKS = (
    "Ta nye blodprøver i morgen", "Mål blodsukker før måltider", "Vektkontroll i morgen tidlig",
    "Bestill transport hjem", "Sårstell og dokumentasjon", "Mål vitale parametre hver 2. time",
    "Fjern perifert venekateter", "Send melding om utskrivningsklar pasient til kommunen",
)


def task(
    rng: random.Random, task_id: str, stay: Stay, owner: Staff, requester: Staff, now: datetime
) -> Resource:
    status = rng.choices(("requested", "in-progress", "completed"), (5, 3, 2))[0]
    authored = max(now - timedelta(hours=rng.uniform(0.5, 30)), stay.start)
    due = at_local(local_day(now) + timedelta(days=rng.choice((0, 0, 1))), rng.choice((12, 15, 20)))
    texts = DOCTOR_TASKS if owner.role == "doctor" else NURSE_TASKS
    resource: Resource = {
        "resourceType": "Task", "id": task_id, "status": status, "intent": "order",
        "priority": "urgent" if rng.random() < 0.2 else "routine",
        "description": rng.choice(texts),
        "for": ref("Patient", stay.patient_id), "encounter": ref("Encounter", stay.encounter_id),
        "authoredOn": iso(authored), "lastModified": iso(authored),
        "requester": ref("Practitioner", requester.id, requester.name),
        "owner": ref("Practitioner", owner.id, owner.name),
        "restriction": {"period": {"end": iso(due)}},
    }
    if status != "requested":
        resource["lastModified"] = iso(min(authored + timedelta(hours=rng.uniform(0.2, 3)), now))
    return resource


_APPOINTMENT_TYPES = {
    "ward-med": ("Medisinsk poliklinikk", ("Kontroll etter pneumoni", "Oppfølging av KOLS",
                                           "Utredning av anemi", "Kontroll av nyrefunksjon")),
    "ward-kir": ("Kirurgisk poliklinikk", ("Kontroll etter galleoperasjon", "Vurdering av brokk",
                                           "Sårkontroll", "Samtale før operasjon")),
    "ward-hjerte": ("Hjertepoliklinikk", ("Kontroll etter hjerteinfarkt", "Pacemakerkontroll",
                                          "Oppfølging av atrieflimmer", "Belastnings-EKG")),
    "ward-orto": ("Ortopedisk poliklinikk", ("Gipskontroll", "Kontroll etter hofteprotese",
                                             "Røntgenkontroll etter brudd", "Vurdering av kne")),
    "ward-nevro": ("Nevrologisk poliklinikk", ("Kontroll etter hjerneinfarkt", "Epilepsikontroll",
                                               "MS-kontroll", "Utredning av hodepine")),
    "ward-barn": ("Barnepoliklinikk", ("Astmakontroll", "Diabeteskontroll", "Vekstkontroll",
                                       "Kontroll etter pyelonefritt")),
}


def appointment(
    rng: random.Random, appointment_id: str, doctor: Staff, patient_id: str, slot: datetime,
    now: datetime, *, inpatient: bool,
) -> Resource:
    """An appointment today; past ones are mostly registered as arrived."""
    service, reasons = _APPOINTMENT_TYPES[doctor.wards[0]]
    minutes = rng.choice((20, 30, 30, 45))
    kind = "Tilsyn på sengepost" if inpatient else rng.choice(
        ("Poliklinisk kontroll", "Poliklinisk kontroll", "Ny henvisning", "Telefonkonsultasjon"))
    status = "arrived" if slot < now and rng.random() < 0.7 else "booked"
    return {
        "resourceType": "Appointment", "id": appointment_id, "status": status,
        "serviceType": [text_concept(service)], "appointmentType": text_concept(kind),
        "description": rng.choice(reasons) if not inpatient else "Tilsyn etter henvisning",
        "start": iso(slot), "end": iso(slot + timedelta(minutes=minutes)),
        "minutesDuration": minutes,
        "created": iso(slot - timedelta(days=rng.randint(3, 60))),
        "participant": [
            {"actor": ref("Patient", patient_id), "required": "required", "status": "accepted"},
            {"actor": ref("Practitioner", doctor.id, doctor.name), "required": "required",
             "status": "accepted"},
            {"actor": ref("Location", doctor.wards[0], WARDS_BY_ID[doctor.wards[0]].name) if inpatient
             else clinic_ref(doctor.wards[0]), "required": "required", "status": "accepted"},
        ],
    }


def _pronoun(stay: Stay) -> str:
    return "ham" if stay.male else "henne"


def message_text(rng: random.Random, sender: Staff, stay: Stay | None) -> str:
    if stay is None:
        return rng.choice((
            "Husk internundervisning i morgen kl. 08.15 om NEWS2 og tidlig varsling.",
            "Vaktlisten for neste måned er klar. Si fra om bytter innen fredag.",
            "Kan du ta over calling fra kl. 15? Jeg må gå tidlig i dag.",
            "Møtet om pasientflyt er flyttet til torsdag kl. 13.",
        ))
    bed = stay.bed.name.lower()
    if sender.role == "nurse" and stay.is_sick_at(stay.now):
        return rng.choice((
            f"Pasienten på {bed} har fått feber og er mer slapp. Kan du se på {_pronoun(stay)} "
            "før visitt?",
            f"Pasienten på {bed} har stigende NEWS2. Kan du komme?",
        ))
    if sender.role == "nurse":
        return rng.choice((
            f"Pårørende til pasienten på {bed} ønsker en samtale i dag, de kommer kl. 15.",
            f"Blodprøvesvarene til pasienten på {bed} er klare. Ønsker du kontroll i ettermiddag?",
            f"Pasienten på {bed} lurer på når {'han' if stay.male else 'hun'} kan reise hjem.",
        ))
    return rng.choice((
        f"Kan dere ta ny CRP og kreatinin på pasienten på {bed} i morgen tidlig?",
        f"Pasienten på {bed} kan mobiliseres fritt fra i dag.",
        f"Husk vekt før frokost på pasienten på {bed}.",
        f"Pasienten på {bed} kan få drikke og spise fra nå.",
        f"Jeg har seponert antibiotika i.v. for pasienten på {bed}, over til tabletter.",
    ))


def message(
    message_id: str, sender: Staff, recipient: Staff, text: str, sent: datetime,
    stay: Stay | None,
) -> Resource:
    resource: Resource = {
        "resourceType": "Communication", "id": message_id, "status": "completed",
        "category": _INTERNAL, "sent": iso(sent),
        "sender": ref("Practitioner", sender.id, sender.name),
        "recipient": [ref("Practitioner", recipient.id, recipient.name)],
        "payload": [{"contentString": text}],
    }
    if stay is not None:
        resource["subject"] = ref("Patient", stay.patient_id)
        resource["encounter"] = ref("Encounter", stay.encounter_id)
    return resource


_PLO_TYPES = {
    "innleggelsesrapport": "Innleggelsesrapport",
    "melding-om-innlagt-pasient": "Melding om innlagt pasient",
    "helseopplysninger": "Helseopplysninger ved innleggelse",
    "foresporsel": "Forespørsel",
    "svar-pa-foresporsel": "Svar på forespørsel",
    "utskrivningsklar": "Melding om utskrivningsklar pasient",
    "avviksmelding": "Avviksmelding",
}


def plo_messages(
    rng: random.Random, stay: Stay, municipality: str, home_care: bool, now: datetime
) -> list[Resource]:
    """The PLO exchange with the patient's municipality so far in this stay."""
    org_id, org_name, _orgnr, _her = MUNICIPALITIES[municipality]
    kommune = ref("Organization", org_id, org_name)
    diagnosis = stay.diagnosis.text.lower()
    admitted = f"{local_day(stay.start):%d.%m.%Y}"
    plan: list[tuple[str, bool, float, str]] = []  # (type, from municipality, hours in, text)
    if home_care:
        plan.append(("innleggelsesrapport", True, 0.7,
                     f"Innleggelsesrapport fra hjemmetjenesten i {org_name}. Pasienten får "
                     "hjemmesykepleie morgen og kveld for medisiner og personlig stell. Går med "
                     "rullator. Legemidler fra multidose."))
    plan.append(("melding-om-innlagt-pasient", False, 2.5,
                 f"Pasienten er innlagt {stay.ward.name.lower()} {admitted} med {diagnosis}. "
                 f"Kontakt sengeposten på telefon {stay.ward.phone}."))
    plan.append(("helseopplysninger", False, 20,
                 f"Innlagt med {diagnosis}. {stay.diagnosis.assessment} Forventet liggetid "
                 f"{rng.randint(3, 8)} dager. Trolig behov for "
                 + rng.choice(("økt hjemmesykepleie", "korttidsplass", "uendret hjelp"))
                 + " etter utskrivning."))
    if rng.random() < 0.4:
        plan.append(("foresporsel", False, 26, "Vi ber om opplysninger om pasientens "
                     "funksjonsnivå og hjelpetilbud før innleggelsen."))
        plan.append(("svar-pa-foresporsel", True, 30, "Pasienten har hatt hjemmesykepleie "
                     "morgen og kveld og klarte seg ellers selv med rullator innendørs."))
    if not stay.deteriorating and stay.acuity_now < 0.25 and rng.random() < 0.6:
        hours = (now - stay.start).total_seconds() / 3600 - rng.uniform(1, 6)
        plan.append(("utskrivningsklar", False, hours,
                     f"Pasienten vurderes utskrivningsklar fra {local_day(now):%d.%m.%Y}. "
                     "Ber om tilbakemelding på om kommunen kan ta imot i dag."))
    if rng.random() < 0.05:
        plan.append(("avviksmelding", True, 40, "Avviksmelding: Manglende oppdatert "
                     "legemiddelliste ved forrige utskrivning."))
    number = stay.number
    resources: list[Resource] = []
    for k, (code, incoming, hours, text) in enumerate(plan, start=1):
        sent = stay.start + timedelta(hours=hours)
        if sent > now - timedelta(minutes=10):
            continue
        message: Resource = {
            "resourceType": "Communication", "id": f"plo-{number}-{k}", "status": "completed",
            "category": _PLO, "topic": concept(t.PLO_MESSAGE, code, _PLO_TYPES[code],
                                               _PLO_TYPES[code]),
            "subject": ref("Patient", stay.patient_id),
            "encounter": ref("Encounter", stay.encounter_id),
            "sent": iso(sent), "received": iso(sent + timedelta(minutes=rng.randint(1, 15))),
            "sender": kommune if incoming else _HOSPITAL,
            "recipient": [_HOSPITAL if incoming else kommune],
            "payload": [{"contentString": text}],
        }
        if code == "svar-pa-foresporsel" and resources:
            message["inResponseTo"] = [ref("Communication", resources[-1]["id"])]
        resources.append(message)
    return resources


def care_plan(rng: random.Random, stay: Stay, now: datetime) -> Resource:
    created = min(stay.start + timedelta(hours=3), now - timedelta(minutes=5))
    days = (now - stay.start).days
    activities = []
    for n, item in enumerate(stay.diagnosis.plan):
        status = "in-progress" if n < 2 else "completed" if days > 3 and rng.random() < 0.4 \
            else rng.choice(("not-started", "scheduled", "in-progress"))
        activities.append({"detail": {"status": status, "description": item}})
    return {
        "resourceType": "CarePlan", "id": f"cp-{stay.number}", "status": "active",
        "intent": "plan", "title": "Behandlingsplan",
        "description": f"Behandlingsplan ved {stay.diagnosis.text.lower()}.",
        "subject": ref("Patient", stay.patient_id),
        "encounter": ref("Encounter", stay.encounter_id),
        "period": {"start": iso(stay.start)}, "created": iso(created),
        "author": ref("Practitioner", stay.doctor.id, stay.doctor.name),
        "activity": activities,
    }
