"""Stays, diagnoses, allergies and critical information (kritisk informasjon) as FHIR resources."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import iso
from mock_epj.seed.diagnoses import Diagnosis
from mock_epj.seed.elements import Resource, concept, ref, text_concept
from mock_epj.seed.facility import HOSPITAL_ID, WARDS_BY_ID, Bed, Staff
from mock_epj.seed.worklists import clinic_ref

IMP = {"system": t.ACT_CODE, "code": "IMP", "display": "inpatient encounter"}
AMB = {"system": t.ACT_CODE, "code": "AMB", "display": "ambulatory"}
_ATTENDER = [concept(t.PARTICIPATION_TYPE, "ATND", "attender", "Behandlende lege")]
_PRIMARY = [concept(t.PARTICIPATION_TYPE, "PPRF", "primary performer", "Primærsykepleier")]
_HOSPITAL = ref("Organization", HOSPITAL_ID, "Fjordvik universitetssykehus HF")
_ACTIVE = concept(t.CONDITION_CLINICAL, "active", "Active")
_RESOLVED = concept(t.CONDITION_CLINICAL, "resolved", "Resolved")
_CONFIRMED = concept(t.CONDITION_VERIFICATION, "confirmed", "Confirmed")
_ALLERGY_ACTIVE = concept(t.ALLERGY_CLINICAL, "active", "Active")
_ALLERGY_CONFIRMED = concept(t.ALLERGY_VERIFICATION, "confirmed", "Confirmed")
_CRITICAL_CATEGORY = concept(t.CRITICAL_INFO, t.CRITICAL_CONDITION, "Kritisk tilstand")
_CRITICAL_FLAG = concept(t.CRITICAL_INFO, t.CRITICAL_INFORMATION, "Kritisk informasjon")


def reason(diagnosis: Diagnosis) -> Resource:
    return concept(t.ICD10, diagnosis.icd, diagnosis.text, diagnosis.text)


def admission(
    encounter_id: str, patient_id: str, bed: Bed, start: datetime, diagnosis: Diagnosis,
    condition_id: str, doctor: Staff, nurse: Staff | None,
) -> Resource:
    """The current stay: in progress, on the ward and in the bed, with attending doctor."""
    ward = WARDS_BY_ID[bed.ward_id]
    period = {"start": iso(start)}
    participants: list[Resource] = [
        {"type": _ATTENDER, "individual": ref("Practitioner", doctor.id, doctor.name)},
    ]
    if nurse is not None:
        participants.append(
            {"type": _PRIMARY, "individual": ref("Practitioner", nurse.id, nurse.name)}
        )
    return {
        "resourceType": "Encounter", "id": encounter_id, "status": "in-progress", "class": IMP,
        "type": [text_concept("Døgnopphold")],
        "subject": ref("Patient", patient_id),
        "participant": participants,
        "period": period,
        "reasonCode": [reason(diagnosis)],
        "diagnosis": [{"condition": ref("Condition", condition_id), "rank": 1,
                       "use": concept(t.DIAGNOSIS_ROLE, "AD", "Admission diagnosis")}],
        "location": [
            {"location": ref("Location", ward.id, ward.name), "status": "active",
             "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "wa", "Ward"), "period": period},
            {"location": ref("Location", bed.id, bed.name), "status": "active",
             "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "bd", "Bed"), "period": period},
        ],
        "serviceProvider": _HOSPITAL,
    }


def earlier_encounter(
    encounter_id: str, patient_id: str, start: datetime, inpatient: bool, ward_id: str,
    diagnosis: Diagnosis, doctor: Staff, days: int,
) -> Resource:
    """A finished stay (IMP, on a ward) or outpatient visit (AMB) from earlier years."""
    end = start + (timedelta(days=days, hours=3) if inpatient else timedelta(minutes=45))
    period = {"start": iso(start), "end": iso(end)}
    encounter: Resource = {
        "resourceType": "Encounter", "id": encounter_id, "status": "finished",
        "class": IMP if inpatient else AMB,
        "type": [text_concept("Døgnopphold" if inpatient else "Poliklinisk konsultasjon")],
        "subject": ref("Patient", patient_id),
        "participant": [{"type": _ATTENDER, "individual": ref("Practitioner", doctor.id)}],
        "period": period,
        "reasonCode": [reason(diagnosis)],
        "serviceProvider": _HOSPITAL,
    }
    if inpatient:
        ward = WARDS_BY_ID[ward_id]
        encounter["location"] = [
            {"location": ref("Location", ward.id, ward.name), "status": "completed",
             "physicalType": concept(t.LOCATION_PHYSICAL_TYPE, "wa", "Ward"), "period": period},
        ]
    else:  # the clinic the visit was at (seed/worklists.py)
        clinic = clinic_ref(ward_id)
        encounter["serviceType"] = text_concept(clinic["display"])
        encounter["location"] = [{"location": clinic, "status": "completed", "period": period}]
    return encounter


def condition(
    condition_id: str, patient_id: str, encounter_id: str, diagnosis: Diagnosis,
    onset: datetime, recorder: Staff, *, active: bool = True,
) -> Resource:
    return {
        "resourceType": "Condition", "id": condition_id,
        "clinicalStatus": _ACTIVE if active else _RESOLVED,
        "verificationStatus": _CONFIRMED,
        "category": [concept(t.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": reason(diagnosis),
        "subject": ref("Patient", patient_id),
        "encounter": ref("Encounter", encounter_id),
        "onsetDateTime": iso(onset),
        "recordedDate": iso(onset + timedelta(hours=2)),
        "recorder": ref("Practitioner", recorder.id),
    }


def scale2_condition(condition_id: str, patient_id: str, recorded: datetime) -> Resource:
    """Hypercapnic respiratory failure: the reason to score SpO2 on NEWS2 scale 2."""
    return {
        "resourceType": "Condition", "id": condition_id,
        "clinicalStatus": _ACTIVE, "verificationStatus": _CONFIRMED,
        "category": [concept(t.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": concept(t.ICD10, "J96.1", "Kronisk respirasjonssvikt med hyperkapni",
                        "Kronisk hyperkapnisk respirasjonssvikt"),
        "subject": ref("Patient", patient_id),
        "recordedDate": iso(recorded),
        "note": [{"text": "SpO2-mål 88-92 %. Bruk NEWS2 skala 2."}],
    }


# (text, category, SNOMED code and display or None, manifestation, type)
_CRITICAL_ALLERGIES = (
    ("Penicillin", "medication", ("91936005", "Allergy to penicillin"), "Anafylaksi"),
    ("Jodholdig kontrastmiddel", "medication", None, "Anafylaktoid reaksjon"),
    ("Peanøtter", "food", None, "Anafylaksi"),
    ("Insektgift (veps)", "environment", None, "Anafylaksi"),
    ("Lateks", "environment", None, "Anafylaksi"),
    ("Cefalosporiner", "medication", None, "Angioødem"),
)
_MILD_ALLERGIES = (
    ("Penicillin", "medication", ("91936005", "Allergy to penicillin"), "Utslett", "allergy"),
    ("Pollen (bjørk og gress)", "environment", None, "Rennende nese og kløe i øynene", "allergy"),
    ("Nikkel", "environment", None, "Eksem", "allergy"),
    ("Kodein", "medication", None, "Kvalme og oppkast", "intolerance"),
    ("Sulfonamider", "medication", None, "Utslett", "allergy"),
    ("Plaster (klebemiddel)", "environment", None, "Hudirritasjon", "intolerance"),
    ("Katt", "environment", None, "Tett nese og kløe", "allergy"),
    ("Skalldyr", "food", None, "Kløe i munnen", "allergy"),
    ("Laktose", "food", None, "Magesmerter", "intolerance"),
)
# (ICD-10 code or None, text, note)
_CRITICAL_CONDITIONS = (
    ("E27.1", "Binyrebarksvikt (Addisons sykdom)",
     "Trenger økt dose hydrokortison ved akutt sykdom, skade og kirurgi."),
    ("D66", "Hemofili A", "Kontakt hemofilisenteret før invasive prosedyrer."),
    ("T88.3", "Malign hypertermi ved anestesi",
     "Unngå suxametonium og inhalasjonsanestetika."),
    ("Z99.2", "Dialysebehandling",
     "Hemodialyse mandag, onsdag og fredag. Ikke stikk eller mål blodtrykk på venstre arm."),
    (None, "Pågående cellegiftbehandling", "Feber skal behandles som nøytropen feber."),
    ("G70.0", "Myasthenia gravis", "Forsiktighet med muskelrelaksantia og enkelte antibiotika."),
)
_IMPLANTS = (
    ("Pacemaker", "MR kun etter avklaring med kardiolog."),
    ("CNS-shunt", "Ventrikuloperitoneal shunt. Hodepine og oppkast kan bety shuntsvikt."),
    ("Cochleaimplantat", "MR kun etter avklaring med ØNH-avdelingen."),
    ("Implantert defibrillator (ICD)", "Deaktiveres før kirurgi med diatermi."),
)


def allergy(
    allergy_id: str, patient_id: str, recorded: datetime, item: tuple[object, ...],
    *, critical: bool,
) -> Resource:
    text, category, snomed, manifestation = item[0], item[1], item[2], item[3]
    kind = item[4] if len(item) > 4 else "allergy"
    code: Resource = {"text": text}
    if isinstance(snomed, tuple):
        code["coding"] = [{"system": t.SNOMED, "code": snomed[0], "display": snomed[1]}]
    return {
        "resourceType": "AllergyIntolerance", "id": allergy_id,
        "clinicalStatus": _ALLERGY_ACTIVE, "verificationStatus": _ALLERGY_CONFIRMED,
        "type": kind, "category": [category],
        "criticality": "high" if critical else "low",
        "code": code, "patient": ref("Patient", patient_id),
        "recordedDate": iso(recorded),
        "reaction": [{"manifestation": [text_concept(str(manifestation))],
                      "severity": "severe" if critical else "mild"}],
    }


def mild_allergy(
    rng: random.Random, allergy_id: str, patient_id: str, recorded: datetime
) -> tuple[Resource, str]:
    item = rng.choice(_MILD_ALLERGIES)
    return allergy(allergy_id, patient_id, recorded, item, critical=False), str(item[0])


def critical_information(
    rng: random.Random, number: str, patient_id: str, recorded: datetime, child: bool
) -> tuple[list[Resource], list[str]]:
    """One or two critical entries and the Flag announcing them; also their short texts."""
    resources: list[Resource] = []
    texts: list[str] = []
    kinds = rng.sample(("allergy", "allergy", "condition", "implant"), rng.choice((1, 1, 2)))
    for k, kind in enumerate(kinds, start=1):
        if kind == "allergy":
            item = rng.choice(_CRITICAL_ALLERGIES)
            if any(r.get("code", {}).get("text") == item[0] for r in resources):
                continue
            resources.append(allergy(f"alg-{number}-c{k}", patient_id, recorded, item,
                                     critical=True))
            texts.append(f"{item[0]}: {str(item[3]).lower()}")
        elif kind == "condition":
            pool = _CRITICAL_CONDITIONS[:2] if child else _CRITICAL_CONDITIONS
            icd, text, note = rng.choice(pool)
            code: Resource = {"text": text}
            if icd:
                code["coding"] = [{"system": t.ICD10, "code": icd, "display": text}]
            resources.append({
                "resourceType": "Condition", "id": f"crit-{number}-{k}",
                "clinicalStatus": _ACTIVE, "verificationStatus": _CONFIRMED,
                "category": [_CRITICAL_CATEGORY], "code": code,
                "subject": ref("Patient", patient_id), "recordedDate": iso(recorded),
                "note": [{"text": note}],
            })
            texts.append(text)
        else:
            name, note = rng.choice(_IMPLANTS[1:3] if child else _IMPLANTS)
            resources.append({
                "resourceType": "Device", "id": f"dev-{number}-{k}", "status": "active",
                "deviceName": [{"name": name, "type": "user-friendly-name"}],
                "type": text_concept(name), "patient": ref("Patient", patient_id),
                "note": [{"text": note}],
            })
            texts.append(name)
    resources.append({
        "resourceType": "Flag", "id": f"flag-{number}", "status": "active",
        "category": [_CRITICAL_FLAG],
        "code": {**_CRITICAL_FLAG, "text": "Kritisk informasjon"},
        "subject": ref("Patient", patient_id),
        "period": {"start": iso(recorded)},
    })
    return resources, texts
