"""Thrombosis-risk assessments (Padua Prediction Score) of admitted patients: a QuestionnaireResponse
with the answers and a RiskAssessment based on it, as the app records them.

Most patients are assessed within hours of admission; about one in eight in hospital for more
than a day has not been (the ward list marks them). The answers follow the patient: age, how ill
they are, and their diagnosis.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import iso
from mock_epj.seed.elements import Resource, coding, ref
from mock_epj.seed.facility import Staff

HIGH_RISK_FROM = 4
# linkId, text, points (Barbar et al. 2010)
ITEMS = (
    ("active-cancer", "Aktiv kreftsykdom", 3),
    ("previous-vte", "Tidligere venøs tromboembolisme", 3),
    ("reduced-mobility", "Redusert mobilitet (sengeleie i minst 3 dager)", 3),
    ("thrombophilia", "Kjent trombofili", 3),
    ("recent-trauma-surgery", "Nylig traume og/eller kirurgi (siste måned)", 2),
    ("age-70", "Alder 70 år eller mer", 1),
    ("heart-respiratory-failure", "Hjerte- og/eller respirasjonssvikt", 1),
    ("mi-or-stroke", "Akutt hjerteinfarkt eller iskemisk hjerneslag", 1),
    ("infection-rheumatologic", "Akutt infeksjon og/eller revmatologisk sykdom", 1),
    ("obesity", "Fedme (KMI 30 eller mer)", 1),
    ("hormonal-treatment", "Pågående hormonbehandling", 1),
)


def answers(rng: random.Random, age: float, signs: frozenset[str], acuity: float) -> dict[str, bool]:
    """Which risk factors a patient has, drawn from who they are."""
    return {
        "active-cancer": rng.random() < 0.08,
        "previous-vte": rng.random() < 0.06,
        "reduced-mobility": acuity > 0.5 or (age >= 80 and rng.random() < 0.4),
        "thrombophilia": rng.random() < 0.02,
        "recent-trauma-surgery": rng.random() < 0.05,
        "age-70": age >= 70,
        "heart-respiratory-failure": "hypercapnic" in signs or ("resp" in signs and rng.random() < 0.4),
        "mi-or-stroke": "neuro" in signs and rng.random() < 0.5,
        "infection-rheumatologic": bool(signs & {"fever", "sepsis"}) or rng.random() < 0.1,
        "obesity": rng.random() < 0.2,
        "hormonal-treatment": rng.random() < 0.03,
    }


def assessment(number: str, patient_id: str, encounter_id: str, when: datetime, by: Staff,
               present: dict[str, bool]) -> Iterator[Resource]:
    total = sum(points for link, _, points in ITEMS if present[link])
    answers_id, risk_id = f"qr-{number}-padua", f"risk-{number}-padua"
    performer = ref("Practitioner", by.id, by.name)
    yield {
        "resourceType": "QuestionnaireResponse", "id": answers_id,
        "identifier": {"system": t.LOCAL + "/sid/seed", "value": answers_id},
        "questionnaire": t.PADUA_QUESTIONNAIRE, "status": "completed",
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "authored": iso(when), "author": performer,
        "item": [*({"linkId": link, "text": text, "answer": [{"valueBoolean": present[link]}]}
                   for link, text, _ in ITEMS),
                 {"linkId": "total", "text": "Padua-skår", "answer": [{"valueInteger": total}]}],
    }
    level = "high" if total >= HIGH_RISK_FROM else "low"
    yield {
        "resourceType": "RiskAssessment", "id": risk_id,
        "identifier": [{"system": t.LOCAL + "/sid/seed", "value": risk_id}],
        "status": "final",
        "method": {"coding": [coding(t.RISK_METHOD, "padua", "Padua Prediction Score")], "text": "Padua"},
        "code": {"text": "Risiko for venøs tromboembolisme"},
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "occurrenceDateTime": iso(when), "performer": performer,
        "basis": [ref("QuestionnaireResponse", answers_id)],
        "prediction": [{
            "outcome": {"text": "Venøs tromboembolisme"},
            "qualitativeRisk": {"coding": [coding(t.RISK_PROBABILITY, level, level.capitalize())],
                                "text": "Høy risiko" if level == "high" else "Lav risiko"},
            "rationale": f"Padua-skår {total} ({HIGH_RISK_FROM} eller mer gir høy risiko)",
        }],
    }


def admission_assessment(seed: str, number: str, patient_id: str, encounter_id: str, start: datetime,
                         now: datetime, age: float, signs: frozenset[str], acuity: float,
                         by: Staff | None) -> Iterator[Resource]:
    """The assessment made after admission, if it was made (a Random of its own, so the rest of the
    patient's record is drawn as before)."""
    rng = random.Random(f"{seed}-padua")
    if by is None or rng.random() < 0.12:
        return
    when = start + timedelta(hours=rng.uniform(1, 10))
    if when > now - timedelta(minutes=5):
        return
    yield from assessment(number, patient_id, encounter_id, when, by, answers(rng, age, signs, acuity))
