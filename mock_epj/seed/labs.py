"""Blood tests: the analyte table, per-patient value courses and lab panels as FHIR resources.

``new_lab_results`` makes one fresh panel for a patient; the server's lab simulation uses it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from mock_epj import terminology as t
from mock_epj.seed.clock import iso
from mock_epj.seed.elements import (
    Resource,
    coding,
    concept,
    interpretation,
    quantity,
    ref,
)
from mock_epj.seed.facility import LAB_ID

Range = tuple[float | None, float | None]


@dataclass(frozen=True)
class Analyte:
    key: str
    system: str
    code: str
    display: str  # Norwegian short name with specimen prefix
    unit: str
    ucum: str
    decimals: int
    normal: float  # a typical healthy adult value
    spread: float  # spread of healthy values between people
    noise: float  # spread between two samples of one person
    low: float | None
    high: float | None
    critical_low: float | None = None  # values below are critical (LL)
    critical_high: float | None = None  # values above are critical (HH)


ANALYTES: dict[str, Analyte] = {a.key: a for a in (
    Analyte("hb", t.NLK, "NOR05172", "B-Hemoglobin", "g/dL", "g/dL", 1, 14.0, 0.8, 0.25,
            11.7, 17.0, critical_low=7.0, critical_high=20.0),
    Analyte("crp", t.NLK, "NPU19748", "P-CRP", "mg/L", "mg/L", 0, 2.0, 1.0, 0.8, None, 5.0),
    Analyte("leuk", t.NLK, "NPU02593", "B-Leukocytter", "10^9/L", "10*9/L", 1, 6.5, 1.2, 0.4,
            3.5, 10.0, critical_low=1.0, critical_high=30.0),
    Analyte("na", t.NLK, "NPU03429", "P-Natrium", "mmol/L", "mmol/L", 0, 140.5, 1.2, 0.8,
            137, 145, critical_low=126, critical_high=155),
    Analyte("k", t.NLK, "NPU03230", "P-Kalium", "mmol/L", "mmol/L", 1, 4.1, 0.25, 0.12,
            3.5, 5.0, critical_low=2.8, critical_high=6.0),
    Analyte("crea", t.NLK, "NPU18016", "P-Kreatinin", "µmol/L", "umol/L", 0, 75, 10, 3,
            45, 105),
    Analyte("tnt", t.LOCAL_LAB, "TNTHS", "P-Troponin T (hs)", "ng/L", "ng/L", 0, 6, 2, 1,
            None, 14),
    Analyte("ntprobnp", t.LOCAL_LAB, "NTPROBNP", "P-NT-proBNP", "ng/L", "ng/L", 0, 90, 40, 20,
            None, 300),
    Analyte("laktat", t.LOCAL_LAB, "LAKTAT", "P-Laktat", "mmol/L", "mmol/L", 1, 1.2, 0.3, 0.15,
            0.5, 2.2, critical_high=4.0),
    Analyte("glukose", t.LOCAL_LAB, "GLUKOSE", "P-Glukose", "mmol/L", "mmol/L", 1, 5.4, 0.5, 0.3,
            4.0, 7.8, critical_low=2.5, critical_high=25.0),
)}
DAILY_PANEL = ("hb", "crp", "leuk", "na", "k", "crea")
PANEL_CODE = concept(t.LAB_PANEL, "blodprover", "Blodprøver", "Blodprøver")
LAB_CATEGORY = [concept(t.OBSERVATION_CATEGORY, "laboratory", "Laboratory")]
REPORT_CATEGORY = [concept(t.REPORT_CATEGORY, "LAB", "Laboratory")]


def reference_range(analyte: Analyte, male: bool, age: float) -> Range:
    """The reference interval for a person: sex-specific for Hb and creatinine, other for children."""
    if analyte.key == "hb":
        if age < 12:
            return (10.5, 14.0)
        return (13.4, 17.0) if male and age >= 16 else (11.7, 15.3)
    if analyte.key == "crea":
        if age < 1:
            return (14.0, 34.0)
        if age < 12:
            return (20.0, 60.0)
        return (60.0, 105.0) if male and age >= 16 else (45.0, 90.0)
    if analyte.key == "leuk" and age < 12:
        return (4.5, 14.0)
    return (analyte.low, analyte.high)


def interpret(analyte: Analyte, value: float, limits: Range) -> str:
    if analyte.critical_low is not None and value < analyte.critical_low:
        return "LL"
    if analyte.critical_high is not None and value > analyte.critical_high:
        return "HH"
    low, high = limits
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return "N"


def healthy_value(analyte: Analyte, male: bool, age: float, rng: random.Random) -> float:
    """A person's own normal level of an analyte."""
    low, high = reference_range(analyte, male, age)
    if analyte.key in ("hb", "crea") or (analyte.key == "leuk" and age < 12):
        assert low is not None and high is not None
        centre, spread = (low + high) / 2, (high - low) / 6
    else:
        centre, spread = analyte.normal, analyte.spread
        if analyte.key == "tnt" and age > 70:
            centre += 5
        if analyte.key == "ntprobnp" and age > 70:
            centre += 80
    if analyte.key == "crp":
        return rng.uniform(0.6, 4.0)
    return rng.gauss(centre, spread)


@dataclass
class LabCourse:
    """How one patient's values move: own baseline plus the disease's effect times its activity."""

    male: bool
    age: float
    baseline: dict[str, float]
    effects: dict[str, float] = field(default_factory=dict)
    extra: tuple[str, ...] = ()

    @classmethod
    def for_patient(
        cls, rng: random.Random, male: bool, age: float, effects: dict[str, float],
        extra: tuple[str, ...] = (),
    ) -> LabCourse:
        keys = DAILY_PANEL + extra
        baseline = {k: healthy_value(ANALYTES[k], male, age, rng) for k in keys}
        if age > 65 and rng.random() < 0.2:  # chronic kidney disease
            baseline["crea"] += rng.uniform(20, 70)
        if age > 60 and rng.random() < 0.15:  # chronic anaemia
            baseline["hb"] -= rng.uniform(1.0, 2.5)
        return cls(male, age, baseline, effects, extra)

    def value(self, key: str, activity: float, rng: random.Random) -> float:
        analyte = ANALYTES[key]
        value = self.baseline[key] + self.effects.get(key, 0.0) * activity
        if key in ("crp", "tnt", "ntprobnp"):
            value *= rng.uniform(0.9, 1.1)  # these vary in proportion to their level
        value += rng.gauss(0, analyte.noise)
        floor = {"hb": 4.0, "crp": 1.0, "leuk": 0.5, "k": 2.2, "crea": 8.0}.get(key, 0.1)
        return max(value, floor)


def observation(
    obs_id: str, analyte: Analyte, patient_id: str, encounter_id: str | None,
    sampled: datetime, issued: datetime | None, value: float | None, limits: Range,
) -> Resource:
    """One lab Observation; without a value it is still pending (status registered)."""
    resource: Resource = {
        "resourceType": "Observation", "id": obs_id,
        "status": "final" if value is not None else "registered",
        "category": LAB_CATEGORY,
        "code": {"coding": [coding(analyte.system, analyte.code, analyte.display)],
                 "text": analyte.display},
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": iso(sampled),
        "performer": [ref("Organization", LAB_ID)],
    }
    if encounter_id:
        resource["encounter"] = ref("Encounter", encounter_id)
    low, high = limits
    reference: Resource = {}
    if low is not None:
        reference["low"] = quantity(low, analyte.unit, analyte.ucum)
    if high is not None:
        reference["high"] = quantity(high, analyte.unit, analyte.ucum)
    resource["referenceRange"] = [reference]
    if value is not None and issued is not None:
        shown: float = round(value, analyte.decimals) if analyte.decimals else round(value)
        resource["issued"] = iso(issued)
        resource["valueQuantity"] = quantity(shown, analyte.unit, analyte.ucum)
        resource["interpretation"] = [interpretation(interpret(analyte, shown, limits))]
    return resource


def panel(
    course: LabCourse, rng: random.Random, keys: tuple[str, ...], *, report_id: str,
    obs_id: Callable[[str], str], patient_id: str, encounter_id: str | None,
    sampled: datetime, issued: datetime, activity: float, pending: tuple[str, ...] = (),
) -> list[Resource]:
    """The Observations of one blood sample and the DiagnosticReport grouping them (last)."""
    resources = []
    for key in keys:
        analyte = ANALYTES[key]
        limits = reference_range(analyte, course.male, course.age)
        value = None if key in pending else course.value(key, activity, rng)
        resources.append(observation(
            obs_id(key), analyte, patient_id, encounter_id, sampled, issued, value, limits
        ))
    report: Resource = {
        "resourceType": "DiagnosticReport", "id": report_id,
        "status": "partial" if pending else "final",
        "category": REPORT_CATEGORY, "code": PANEL_CODE,
        "subject": ref("Patient", patient_id),
        "effectiveDateTime": iso(sampled), "issued": iso(issued),
        "performer": [ref("Organization", LAB_ID, "Avdeling for medisinsk biokjemi")],
        "result": [ref("Observation", r["id"]) for r in resources],
    }
    if encounter_id:
        report["encounter"] = ref("Encounter", encounter_id)
    return [*resources, report]


def _age(birth: str, on: date) -> float:
    born = date.fromisoformat(birth)
    return (on - born).days / 365.25


def new_lab_results(
    rng: random.Random, patient: Resource, encounter_id: str, now: datetime
) -> list[Resource]:
    """A fresh blood panel for a patient, sampled within the last hour and issued ``now``.

    Values start from healthy levels for the patient's sex and age; some panels show an
    infection or a deranged electrolyte. Ids are new uuids drawn from ``rng``.
    """
    male = patient.get("gender") == "male"
    age = _age(patient.get("birthDate", "1960-01-01"), now.date())
    effects: dict[str, float] = {}
    roll = rng.random()
    if roll < 0.35:
        effects = {"crp": rng.uniform(20, 200), "leuk": rng.uniform(2, 9)}
    elif roll < 0.45:
        effects = {"k": rng.choice((-1.0, 1.2, 2.0)), "crea": rng.uniform(20, 150)}
    elif roll < 0.55:
        effects = {"hb": -rng.uniform(2, 5.5)}
    course = LabCourse.for_patient(rng, male, age, effects)

    def new_id(prefix: str) -> str:
        return f"{prefix}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"

    keys = ("hb", "crp", "leuk", "na", "k", "crea")
    return panel(
        course, rng, keys, report_id=new_id("dr"), obs_id=lambda _key: new_id("obs"),
        patient_id=patient["id"], encounter_id=encounter_id,
        sampled=now - timedelta(minutes=rng.randint(35, 70)), issued=now, activity=1.0,
    )
