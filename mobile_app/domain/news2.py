"""NEWS2 (National Early Warning Score 2) from the latest vital signs, as in DOMAIN.md.

Scale 2 for SpO2 is used only for patients with hypercapnic respiratory failure (ICD-10 J96.1);
the caller says so with ``scale2``. Values are rounded to whole numbers (temperature to one
decimal) before they are scored, as the chart is read. A parameter with no measurement scores
nothing and is listed in ``missing``: a score with missing parameters is a partial score.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import Field

from mobile_app.domain.models import Measurement, Model

LOINC = "http://loinc.org"
RESPIRATION = "9279-1"
SPO2 = "59408-5"
SPO2_ALT = "2708-6"  # oxygen saturation in arterial blood
OXYGEN_FLOW = "3151-8"
BLOOD_PRESSURE = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
PULSE = "8867-4"
TEMPERATURE = "8310-5"
CONSCIOUSNESS = "67775-7"
PANEL = "85353-1"  # vital signs panel: groups one set (hasMember)
OXYGEN_DEVICE = "oxygen-device"  # a component of the oxygen flow naming how oxygen is given
HYPERCAPNIC_FAILURE = "J96.1"  # ICD-10: chronic respiratory failure; the marker for scale 2


class Consciousness(StrEnum):
    """ACVPU: alert, new confusion, responds to voice, to pain, unresponsive."""

    ALERT = "A"
    CONFUSION = "C"
    VOICE = "V"
    PAIN = "P"
    UNRESPONSIVE = "U"


class Parameter(StrEnum):
    RESPIRATION = "respiration"
    SPO2 = "spo2"
    AIR_OR_OXYGEN = "air_or_oxygen"
    SYSTOLIC = "systolic"
    PULSE = "pulse"
    CONSCIOUSNESS = "consciousness"
    TEMPERATURE = "temperature"


class Band(StrEnum):
    """The clinical response the score calls for."""

    LOW = "low"  # total 0-4: ward-based response
    LOW_MEDIUM = "low_medium"  # a single parameter scoring 3: urgent ward-based response
    MEDIUM = "medium"  # total 5-6: urgent review (key threshold)
    HIGH = "high"  # total 7 or more: emergency response


class VitalSigns(Model):
    """The latest value of each NEWS2 parameter (None when not measured)."""

    respiration: float | None = None
    spo2: float | None = None
    on_oxygen: bool | None = None
    systolic: float | None = None
    pulse: float | None = None
    consciousness: Consciousness | None = None
    temperature: float | None = None


class News2Score(Model):
    total: int
    scores: dict[Parameter, int] = Field(default_factory=dict)  # only the parameters measured
    band: Band
    scale: int = 1  # SpO2 scale 1 or 2
    missing: tuple[Parameter, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def known_band(self) -> Band | None:
        """The band to name: a partial score is a lower bound, so it can say "at least medium" but
        never "low" (None: not enough is measured to name one)."""
        return None if not self.complete and self.band is Band.LOW else self.band

    @property
    def single_three(self) -> bool:
        return any(score == 3 for score in self.scores.values())


def whole(value: float) -> int:
    """A value as the chart reads it: rounded half away from zero to a whole number."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def respiration_score(rate: float) -> int:
    r = whole(rate)
    return 3 if r <= 8 else 1 if r <= 11 else 0 if r <= 20 else 2 if r <= 24 else 3


def spo2_scale1_score(spo2: float) -> int:
    s = whole(spo2)
    return 3 if s <= 91 else 2 if s <= 93 else 1 if s <= 95 else 0


def spo2_scale2_score(spo2: float, on_oxygen: bool) -> int:
    s = whole(spo2)
    if s <= 83:
        return 3
    if s <= 85:
        return 2
    if s <= 87:
        return 1
    if s <= 92 or not on_oxygen:
        return 0
    return 1 if s <= 94 else 2 if s <= 96 else 3


def oxygen_score(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_score(systolic: float) -> int:
    s = whole(systolic)
    return 3 if s <= 90 else 2 if s <= 100 else 1 if s <= 110 else 0 if s <= 219 else 3


def pulse_score(pulse: float) -> int:
    p = whole(pulse)
    return 3 if p <= 40 else 1 if p <= 50 else 0 if p <= 90 else 1 if p <= 110 else 2 if p <= 130 else 3


def consciousness_score(level: Consciousness) -> int:
    return 0 if level is Consciousness.ALERT else 3


def temperature_score(celsius: float) -> int:
    t = round(celsius, 1)
    return 3 if t <= 35.0 else 1 if t <= 36.0 else 0 if t <= 38.0 else 1 if t <= 39.0 else 2


def band(total: int, single_three: bool) -> Band:
    if total >= 7:
        return Band.HIGH
    if total >= 5:
        return Band.MEDIUM
    return Band.LOW_MEDIUM if single_three else Band.LOW


def news2(vitals: VitalSigns, *, scale2: bool = False) -> News2Score:
    """The NEWS2 score of one set of vital signs. With unknown oxygen, air is assumed for SpO2
    scale 2 and the air-or-oxygen parameter is listed as missing."""
    scores: dict[Parameter, int] = {}
    if vitals.respiration is not None:
        scores[Parameter.RESPIRATION] = respiration_score(vitals.respiration)
    if vitals.spo2 is not None:
        scores[Parameter.SPO2] = (spo2_scale2_score(vitals.spo2, bool(vitals.on_oxygen)) if scale2
                                  else spo2_scale1_score(vitals.spo2))
    if vitals.on_oxygen is not None:
        scores[Parameter.AIR_OR_OXYGEN] = oxygen_score(vitals.on_oxygen)
    if vitals.systolic is not None:
        scores[Parameter.SYSTOLIC] = systolic_score(vitals.systolic)
    if vitals.pulse is not None:
        scores[Parameter.PULSE] = pulse_score(vitals.pulse)
    if vitals.consciousness is not None:
        scores[Parameter.CONSCIOUSNESS] = consciousness_score(vitals.consciousness)
    if vitals.temperature is not None:
        scores[Parameter.TEMPERATURE] = temperature_score(vitals.temperature)
    total = sum(scores.values())
    return News2Score(total=total, scores=scores, band=band(total, 3 in scores.values()),
                      scale=2 if scale2 else 1, missing=tuple(p for p in Parameter if p not in scores))


# ------------------------------------------------------------------ from measurements


def consciousness_of(measurement: Measurement) -> Consciousness | None:
    """ACVPU from a coded or written value: "A", "Våken (A)", "Alert", "Reagerer på smerte"."""
    text = (measurement.value_text or "").strip()
    letters = {c.value for c in Consciousness}
    if text.upper() in letters:
        return Consciousness(text.upper())
    if text.endswith(")") and "(" in text:
        inside = text[text.rindex("(") + 1:-1].strip().upper()
        if inside in letters:
            return Consciousness(inside)
    lowered = text.casefold()
    for words, level in _CONSCIOUSNESS_WORDS:
        if any(word in lowered for word in words):
            return level
    return None


_CONSCIOUSNESS_WORDS = (
    (("unresponsive", "reagerer ikke"), Consciousness.UNRESPONSIVE),
    (("pain", "smerte"), Consciousness.PAIN),
    (("voice", "tiltale"), Consciousness.VOICE),
    (("confus", "forvirr"), Consciousness.CONFUSION),
    (("alert", "våken"), Consciousness.ALERT),
)


def vital_signs(measurements: Iterable[Measurement]) -> VitalSigns:
    """The NEWS2 inputs from vital-sign measurements (LOINC coded); the newest of each code wins.
    An oxygen flow above 0 L/min, or a delivery device named on it, means the patient is on oxygen."""
    newest: dict[str, Measurement] = {}
    for m in measurements:
        if m.status in ("entered-in-error", "cancelled") or (m.system not in (None, LOINC)):
            continue
        known = newest.get(m.code)
        if known is None or (m.time is not None and (known.time is None or m.time > known.time)):
            newest[m.code] = m

    def number(code: str) -> float | None:
        found = newest.get(code)
        return found.value if found is not None else None

    systolic = next((v for code, v, _ in newest[BLOOD_PRESSURE].components if code == SYSTOLIC),
                    None) if BLOOD_PRESSURE in newest else None
    flow = number(OXYGEN_FLOW)
    device = OXYGEN_FLOW in newest and any(code == OXYGEN_DEVICE for code, _, _ in newest[OXYGEN_FLOW].components)
    level = consciousness_of(newest[CONSCIOUSNESS]) if CONSCIOUSNESS in newest else None
    return VitalSigns(
        respiration=number(RESPIRATION),
        spo2=number(SPO2) if number(SPO2) is not None else number(SPO2_ALT),
        on_oxygen=True if device else None if flow is None else flow > 0,
        systolic=systolic if systolic is not None else number(SYSTOLIC),
        pulse=number(PULSE),
        consciousness=level,
        temperature=number(TEMPERATURE),
    )


def uses_scale2(condition_codes: Iterable[str]) -> bool:
    """Whether a patient's (active) condition codes include hypercapnic respiratory failure."""
    return any(code.strip().upper().startswith(HYPERCAPNIC_FAILURE) for code in condition_codes)
