"""Vital signs as FHIR Observations, each set drawn from how ill the patient is at that moment."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from mock_epj import terminology as t
from mock_epj.seed.clock import iso
from mock_epj.seed.elements import Resource, coding, concept, quantity, ref

VITAL_CATEGORY = [concept(t.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]
ACVPU_DISPLAY = {
    "A": ("Alert", "Våken"),
    "C": ("New confusion", "Nyoppstått forvirring"),
    "V": ("Responds to voice", "Reagerer på tiltale"),
    "P": ("Responds to pain", "Reagerer på smerte"),
    "U": ("Unresponsive", "Reagerer ikke"),
}


@dataclass(frozen=True)
class VitalSet:
    """One round of measurements; ``o2_flow`` 0 means breathing room air."""

    when: datetime
    resp: int
    spo2: int
    o2_flow: float
    systolic: int
    diastolic: int
    pulse: int
    temp: float
    acvpu: str


def _baselines(age: float) -> tuple[float, float, float]:
    """Normal respiration, pulse and systolic pressure for an age."""
    if age < 1:
        return 38, 130, 85
    if age < 6:
        return 26, 105, 95
    if age < 13:
        return 20, 88, 105
    return 15, 74, 124 + min(max(age - 40, 0), 40) * 0.3


def measure(
    rng: random.Random, when: datetime, acuity: float, age: float, signs: frozenset[str]
) -> VitalSet:
    """Vital signs of a patient whose illness is ``acuity`` (0 well .. 1 gravely ill)."""
    a = min(max(acuity, 0.0), 1.0)
    rr0, hr0, sys0 = _baselines(age)
    resp = rr0 + rr0 * 0.9 * a * (1.3 if "resp" in signs else 1.0) + rng.gauss(0, 1.3)
    pulse_rise = 55 if signs & {"tachy", "sepsis"} else 42
    pulse = hr0 + pulse_rise * a * hr0 / 74 + rng.gauss(0, 5)
    if "brady" in signs:
        pulse = 68 - 34 * min(a * 2, 1.0) + rng.gauss(0, 3)
    systolic = sys0 - (60 if "sepsis" in signs else 32) * a + rng.gauss(0, 8)
    if "hypertension" in signs:
        systolic += 50 * min(a * 2, 1.0)
    diastolic = systolic * 0.58 + rng.gauss(0, 5)
    fever = 2.4 * min(a * 1.4, 1.0) if "fever" in signs else 0.6 * a
    temp = 36.8 + fever + rng.gauss(0, 0.25)
    if "sepsis" in signs and a > 0.8 and rng.random() < 0.3:
        temp = rng.uniform(34.8, 35.8)  # septic patients may be cold
    hypercapnic = "hypercapnic" in signs
    target_low = 88 if hypercapnic else 92
    spo2_air = (93.5 if hypercapnic else 97.5) - 10 * a * (1.2 if "resp" in signs else 0.6)
    spo2_air += rng.gauss(0, 1.0)
    o2_flow = 0.0
    spo2 = spo2_air
    if spo2_air < target_low:
        o2_flow = 1.0 if a < 0.35 else 2.0 if a < 0.55 else 4.0 if a < 0.75 else 8.0
        # hypercapnic patients are titrated to 88-92 %, sometimes a little above
        hypercapnic_spo2 = rng.choice((88, 89, 90, 91, 92, 93, 94))
        spo2 = hypercapnic_spo2 if hypercapnic else 97 - 5 * a + rng.gauss(0, 1)
    acvpu = "A"
    if "neuro" in signs or "sepsis" in signs or age > 80:
        if a > 0.8 and rng.random() < 0.5:
            acvpu = "V"
        elif a > 0.55 and rng.random() < 0.6:
            acvpu = "C"
    return VitalSet(
        when=when, resp=max(round(resp), 6), spo2=min(max(round(spo2), 70), 100),
        o2_flow=o2_flow, systolic=max(round(systolic), 60), diastolic=max(round(diastolic), 30),
        pulse=max(round(pulse), 30), temp=round(temp, 1), acvpu=acvpu,
    )


def observations(
    vitals: VitalSet, prefix: str, patient_id: str, encounter_id: str, nurse_id: str | None
) -> list[Resource]:
    """The FHIR Observations of one set of vital signs (LOINC coded, UCUM units)."""
    base: Resource = {
        "resourceType": "Observation", "status": "final", "category": VITAL_CATEGORY,
        "subject": ref("Patient", patient_id), "encounter": ref("Encounter", encounter_id),
        "effectiveDateTime": iso(vitals.when),
    }
    if nurse_id:
        base["performer"] = [ref("Practitioner", nurse_id)]

    def obs(key: str, loinc: str, display: str, text: str, **value: object) -> Resource:
        code = {"coding": [coding(t.LOINC, loinc, display)], "text": text}
        return {**base, "id": f"{prefix}-{key}", "code": code, **value}

    display, text = ACVPU_DISPLAY[vitals.acvpu]
    return [
        obs("rr", "9279-1", "Respiratory rate", "Respirasjonsfrekvens",
            valueQuantity=quantity(vitals.resp, "/min", "/min")),
        obs("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry",
            "Oksygenmetning (SpO2)", valueQuantity=quantity(vitals.spo2, "%", "%")),
        obs("o2", "3151-8", "Inhaled oxygen flow rate", "Oksygentilførsel",
            valueQuantity=quantity(vitals.o2_flow, "L/min", "L/min")),
        obs("bp", "85354-9", "Blood pressure panel with all children optional", "Blodtrykk",
            component=[
                {"code": concept(t.LOINC, "8480-6", "Systolic blood pressure"),
                 "valueQuantity": quantity(vitals.systolic, "mmHg", "mm[Hg]")},
                {"code": concept(t.LOINC, "8462-4", "Diastolic blood pressure"),
                 "valueQuantity": quantity(vitals.diastolic, "mmHg", "mm[Hg]")},
            ]),
        obs("hr", "8867-4", "Heart rate", "Puls", valueQuantity=quantity(vitals.pulse, "/min", "/min")),
        obs("temp", "8310-5", "Body temperature", "Temperatur",
            valueQuantity=quantity(vitals.temp, "°C", "Cel")),
        obs("acvpu", "67775-7", "Level of responsiveness", "Bevissthet (ACVPU)",
            valueCodeableConcept=concept(t.ACVPU, vitals.acvpu, display, f"{text} ({vitals.acvpu})")),
    ]
