"""Vital signs as they are typed at the bedside: reading the numbers, and the plausibility limits.

Each number is read as Norwegians write it (decimal comma or point) and judged against two ranges:

- outside what is **possible** (a pulse of 0 or 400, a temperature of 55, SpO2 120) the value is
  refused: it is a typing or device error, and it is neither scored nor saved;
- outside what is **usual** but possible (a pulse of 35, a temperature of 34) the value is scored
  at once, but it is saved only once the author has confirmed it.

A decimal still being typed ("38,") is neither scored nor saved, and is not called a typing error
until the author tries to save it.

Whole numbers are required where the chart reads whole numbers (rates, pressures, SpO2);
temperature and oxygen flow take one decimal. The limits are in ``LIMITS`` (docs/vital-signs.md
shows them), and the checks of a whole set (both pressures, diastolic below systolic, oxygen
given as litres or a device) in ``set_problems``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class VitalField(StrEnum):
    """The numbers of a set of vital signs, in the order they are entered."""

    RESPIRATION = "respiration"
    SPO2 = "spo2"
    OXYGEN_FLOW = "oxygen_flow"
    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    PULSE = "pulse"
    TEMPERATURE = "temperature"


class OxygenDevice(StrEnum):
    """How oxygen is given (the hospital's code system ``oxygen-device``)."""

    NASAL_CANNULA = "nasal-cannula"
    SIMPLE_MASK = "simple-mask"
    VENTURI_MASK = "venturi-mask"
    RESERVOIR_MASK = "reservoir-mask"
    HIGH_FLOW = "high-flow"


@dataclass(frozen=True)
class Limits:
    possible: tuple[float, float]  # inclusive; outside is refused
    usual: tuple[float, float]  # inclusive; outside (but possible) asks for confirmation
    decimals: int  # 0: a whole number
    step: float  # what a stepper adds or takes away
    unit: str  # as shown


LIMITS: dict[VitalField, Limits] = {
    VitalField.RESPIRATION: Limits((1, 80), (6, 45), 0, 1, "/min"),
    VitalField.SPO2: Limits((20, 100), (70, 100), 0, 1, "%"),
    VitalField.OXYGEN_FLOW: Limits((0.1, 80), (0.5, 15), 1, 1, "L/min"),
    VitalField.SYSTOLIC: Limits((30, 300), (60, 250), 0, 1, "mmHg"),
    VitalField.DIASTOLIC: Limits((10, 200), (30, 140), 0, 1, "mmHg"),
    VitalField.PULSE: Limits((20, 300), (40, 180), 0, 1, "/min"),
    VitalField.TEMPERATURE: Limits((25.0, 45.0), (35.0, 41.0), 1, 0.1, "°C"),
}
# Where a stepper starts in an empty field when there is no earlier measurement.
TYPICAL: dict[VitalField, float] = {
    VitalField.RESPIRATION: 16, VitalField.SPO2: 96, VitalField.OXYGEN_FLOW: 2, VitalField.SYSTOLIC: 120,
    VitalField.DIASTOLIC: 75, VitalField.PULSE: 75, VitalField.TEMPERATURE: 37.0,
}
HIGH_FLOW_USUAL = (0.5, 70.0)  # L/min: high-flow oxygen runs at 30-60 L/min


class Verdict(StrEnum):
    EMPTY = "empty"
    OK = "ok"
    UNUSUAL = "unusual"  # possible: scored, saved once confirmed
    NOT_A_NUMBER = "not_a_number"
    UNFINISHED = "unfinished"  # "38,": a decimal being typed; not scored or saved, not called wrong yet
    TOO_PRECISE = "too_precise"  # more decimals than the field takes
    IMPOSSIBLE = "impossible"  # refused


@dataclass(frozen=True)
class Checked:
    """One field as typed: its value (None unless it is a number of the right precision) and verdict."""

    field: VitalField
    text: str
    value: float | None
    verdict: Verdict

    @property
    def usable(self) -> bool:
        """Whether the value counts: it is scored (an unusual one too, before it is confirmed)."""
        return self.verdict in (Verdict.OK, Verdict.UNUSUAL)

    @property
    def refused(self) -> bool:
        return self.verdict in (Verdict.NOT_A_NUMBER, Verdict.UNFINISHED, Verdict.TOO_PRECISE, Verdict.IMPOSSIBLE)


_NUMBER = re.compile(r"^[0-9]{1,4}(?:[.,]([0-9]{1,3}))?$")  # ASCII digits only
_UNFINISHED = re.compile(r"^[0-9]{1,4}[.,]$")  # the decimal separator typed, its digits not yet


def _without_spaces(text: str) -> str:
    """A number as typed without its spaces (ordinary or no-break, as a phone keyboard or a paste may add them)."""
    return text.strip().replace(" ", "").replace("\u00a0", "")


def parse_number(text: str) -> tuple[float, int] | None:
    """(value, decimals) of a number as typed ("37,5", "37.5", " 120 "); None when it is not one."""
    cleaned = _without_spaces(text)
    match = _NUMBER.match(cleaned)
    if match is None:
        return None
    decimals = len(match.group(1) or "")
    return float(cleaned.replace(",", ".")), decimals


def usual_range(field: VitalField, device: OxygenDevice | None = None) -> tuple[float, float]:
    if field is VitalField.OXYGEN_FLOW and device is OxygenDevice.HIGH_FLOW:
        return HIGH_FLOW_USUAL
    return LIMITS[field].usual


def judge(field: VitalField, value: float, device: OxygenDevice | None = None) -> Verdict:
    """OK, unusual or impossible: where a number falls against the field's limits."""
    low, high = LIMITS[field].possible
    if not low <= value <= high:
        return Verdict.IMPOSSIBLE
    usual_low, usual_high = usual_range(field, device)
    return Verdict.OK if usual_low <= value <= usual_high else Verdict.UNUSUAL


def check(field: VitalField, text: str, device: OxygenDevice | None = None) -> Checked:
    """Read and judge one field as typed."""
    if not text.strip():
        return Checked(field, text, None, Verdict.EMPTY)
    parsed = parse_number(text)
    if parsed is None:
        unfinished = _UNFINISHED.match(_without_spaces(text))
        return Checked(field, text, None, Verdict.UNFINISHED if unfinished else Verdict.NOT_A_NUMBER)
    value, decimals = parsed
    if decimals > LIMITS[field].decimals:
        return Checked(field, text, None, Verdict.TOO_PRECISE)
    return Checked(field, text, value, judge(field, value, device))


def shown(field: VitalField, value: float) -> str:
    """A value as it is written back into its field: "37,5", "120"."""
    decimals = LIMITS[field].decimals
    text = f"{value:.{decimals}f}" if decimals else f"{round(value):d}"
    return text.replace(".", ",")


def stepped(field: VitalField, text: str, direction: int, start: float | None) -> str:
    """The field's text after a stepper tap (+1 or -1 steps): from the value typed, else from
    ``start`` (the previous measurement, or a typical value) unchanged, kept within what is possible."""
    limits = LIMITS[field]
    parsed = parse_number(text)
    if parsed is None:
        if text.strip():
            return text  # not a number: the author's text stays as typed
        value = start if start is not None else TYPICAL[field]
    else:
        value = round(parsed[0] + direction * limits.step, limits.decimals)
    low, high = limits.possible
    return shown(field, min(max(value, low), high))


class SetProblem(StrEnum):
    """What is wrong with a set as a whole (each field may be fine on its own)."""

    NOTHING_MEASURED = "nothing_measured"
    PRESSURE_HALF = "pressure_half"  # only one of systolic and diastolic
    DIASTOLIC_NOT_BELOW = "diastolic_not_below"  # diastolic at or above systolic
    OXYGEN_UNSAID = "oxygen_unsaid"  # on oxygen, but neither litres nor device given


def set_problems(values: dict[VitalField, float], *, on_oxygen: bool | None, device: OxygenDevice | None,
                 consciousness_given: bool) -> list[SetProblem]:
    """The problems of a set of usable values (``values`` holds only the fields filled in)."""
    found: list[SetProblem] = []
    if not values and on_oxygen is None and not consciousness_given:
        found.append(SetProblem.NOTHING_MEASURED)
    systolic, diastolic = values.get(VitalField.SYSTOLIC), values.get(VitalField.DIASTOLIC)
    if (systolic is None) != (diastolic is None):
        found.append(SetProblem.PRESSURE_HALF)
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        found.append(SetProblem.DIASTOLIC_NOT_BELOW)
    if on_oxygen and VitalField.OXYGEN_FLOW not in values and device is None:
        found.append(SetProblem.OXYGEN_UNSAID)
    return found
