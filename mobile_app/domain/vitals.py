"""Vital signs as a clinician reads them: every value judged by its NEWS2 points, and the score
with the clinical response it calls for (Royal College of Physicians, NEWS2 2017).

A value scoring 1 point or more is abnormal, low or high by the side of the 0-point band it falls
on (consciousness other than alert is abnormal; oxygen given scores 2). An oxygen flow of 0 L/min
means room air. Values are read from the newest measurement of each code (``news2.vital_signs``);
a value that cannot be read (no number) is shown as it is and not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from mobile_app.domain import news2
from mobile_app.domain.models import Measurement, Model
from mobile_app.domain.news2 import Band, News2Score, Parameter


class Deviation(StrEnum):
    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    ABNORMAL = "abnormal"  # no direction: consciousness other than alert
    ON_OXYGEN = "on_oxygen"  # oxygen is given (NEWS2 scores it)


class Response(StrEnum):
    """What the score asks of the ward (NEWS2 clinical response, in rising order)."""

    # A partial score of 0: too little is measured to call it low and nothing calls for more yet.
    # Measure the missing parameters (never shown as routine, green and "low").
    INCOMPLETE = "incomplete"
    ROUTINE = "routine"  # 0: routine monitoring, at least 12-hourly
    WARD = "ward"  # 1-4: assessment by a registered nurse; 4-6-hourly
    URGENT_WARD = "urgent_ward"  # a single parameter scores 3: the nurse informs the doctor; hourly
    URGENT = "urgent"  # 5-6: urgent review by a doctor; at least hourly
    EMERGENCY = "emergency"  # 7 or more: emergency assessment, critical-care skills; continuous monitoring


# The NEWS2 parameter of each LOINC code the overview shows.
_PARAMETERS = {
    news2.RESPIRATION: Parameter.RESPIRATION, news2.SPO2: Parameter.SPO2, news2.SPO2_ALT: Parameter.SPO2,
    news2.OXYGEN_FLOW: Parameter.AIR_OR_OXYGEN, news2.BLOOD_PRESSURE: Parameter.SYSTOLIC,
    news2.SYSTOLIC: Parameter.SYSTOLIC, news2.PULSE: Parameter.PULSE, news2.TEMPERATURE: Parameter.TEMPERATURE,
    news2.CONSCIOUSNESS: Parameter.CONSCIOUSNESS,
}
# The lowest value of each parameter's 0-point band: a scoring value below it is low, above it high.
_NORMAL_FROM = {Parameter.RESPIRATION: 12.0, Parameter.SYSTOLIC: 111.0, Parameter.PULSE: 51.0,
                Parameter.TEMPERATURE: 36.1}


class VitalReading(Model):
    """One vital sign on the overview with what it means."""

    measurement: Measurement
    parameter: Parameter | None = None  # its NEWS2 parameter (None: not part of NEWS2)
    points: int | None = None  # its NEWS2 points (None: not scored)
    deviation: Deviation = Deviation.NORMAL
    room_air: bool = False  # an oxygen flow of 0: the patient breathes room air

    @property
    def abnormal(self) -> bool:
        return self.deviation is not Deviation.NORMAL


class VitalsAssessment(Model):
    readings: tuple[VitalReading, ...] = ()
    news2: News2Score | None = None  # None when no parameter could be scored
    measured_at: datetime | None = None  # the newest measurement

    @property
    def response(self) -> Response | None:
        return response(self.news2) if self.news2 is not None else None


def response(score: News2Score) -> Response:
    return response_of(score.band, score.total, score.complete)


def response_of(band: Band, total: int, complete: bool) -> Response:
    """The response a score calls for. A partial score is a lower bound: it can call for more
    (a single 3, a total of 5), but it can never call the patient low risk."""
    if band is Band.HIGH:
        return Response.EMERGENCY
    if band is Band.MEDIUM:
        return Response.URGENT
    if band is Band.LOW_MEDIUM:
        return Response.URGENT_WARD
    if total:
        return Response.WARD
    return Response.ROUTINE if complete else Response.INCOMPLETE


def _deviation(parameter: Parameter, points: int, value: float | None, scale2: bool) -> Deviation:
    if points == 0:
        return Deviation.NORMAL
    if parameter is Parameter.CONSCIOUSNESS:
        return Deviation.ABNORMAL
    if parameter is Parameter.AIR_OR_OXYGEN:
        return Deviation.ON_OXYGEN
    if parameter is Parameter.SPO2:  # scale 1 scores only low values; scale 2 also high ones on oxygen
        return Deviation.HIGH if scale2 and value is not None and value >= 93 else Deviation.LOW
    if value is None:
        return Deviation.ABNORMAL
    return Deviation.LOW if value < _NORMAL_FROM[parameter] else Deviation.HIGH


def _value_of(measurement: Measurement, parameter: Parameter) -> float | None:
    if parameter is Parameter.SYSTOLIC and measurement.code == news2.BLOOD_PRESSURE:
        return next((v for code, v, _ in measurement.components if code == news2.SYSTOLIC), None)
    return measurement.value


def assess(measurements: Iterable[Measurement], *, scale2: bool = False) -> VitalsAssessment:
    """Each measurement judged by its NEWS2 points, and the NEWS2 score of the newest set.
    ``scale2``: SpO2 scale 2 (hypercapnic respiratory failure)."""
    shown = list(measurements)
    score = news2.news2(news2.vital_signs(shown), scale2=scale2)
    readings: list[VitalReading] = []
    for m in shown:
        parameter = _PARAMETERS.get(m.code) if m.system in (None, news2.LOINC) else None
        points = score.scores.get(parameter) if parameter is not None else None
        if parameter is None or points is None:
            readings.append(VitalReading(measurement=m, parameter=parameter))
            continue
        value = _value_of(m, parameter)
        readings.append(VitalReading(
            measurement=m, parameter=parameter, points=points,
            deviation=_deviation(parameter, points, value, scale2),
            room_air=parameter is Parameter.AIR_OR_OXYGEN and value == 0))
    measured = [m.time for m in shown if m.time is not None]
    return VitalsAssessment(readings=tuple(readings), news2=score if score.scores else None,
                            measured_at=max(measured, default=None))
