"""NEWS2: every parameter over its whole range against the chart in DOMAIN.md, bands, and inputs
read from vital-sign measurements as the EPJ sends them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.domain.models import Measurement
from mobile_app.domain.news2 import (
    Band,
    Consciousness,
    Parameter,
    VitalSigns,
    band,
    consciousness_of,
    consciousness_score,
    news2,
    oxygen_score,
    pulse_score,
    respiration_score,
    spo2_scale1_score,
    spo2_scale2_score,
    systolic_score,
    temperature_score,
    uses_scale2,
    vital_signs,
)

# The chart of DOMAIN.md written as (lowest, highest, score) rows, inclusive.
RESPIRATION = [(0, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, 80, 3)]
SPO2_1 = [(50, 91, 3), (92, 93, 2), (94, 95, 1), (96, 100, 0)]
SPO2_2_AIR = [(50, 83, 3), (84, 85, 2), (86, 87, 1), (88, 100, 0)]
SPO2_2_O2 = [(50, 83, 3), (84, 85, 2), (86, 87, 1), (88, 92, 0), (93, 94, 1), (95, 96, 2), (97, 100, 3)]
SYSTOLIC = [(40, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, 300, 3)]
PULSE = [(10, 40, 3), (41, 50, 1), (51, 90, 0), (91, 110, 1), (111, 130, 2), (131, 250, 3)]
TEMPERATURE = [(30.0, 35.0, 3), (35.1, 36.0, 1), (36.1, 38.0, 0), (38.1, 39.0, 1), (39.1, 43.0, 2)]


def chart(rows: Sequence[tuple[float, float, int]], value: float) -> int:
    return next(score for low, high, score in rows if low <= value <= high)


@pytest.mark.parametrize("rate", range(0, 81))
def test_respiration(rate: int) -> None:
    assert respiration_score(rate) == chart(RESPIRATION, rate)


@pytest.mark.parametrize("spo2", range(50, 101))
def test_spo2_scale_1(spo2: int) -> None:
    assert spo2_scale1_score(spo2) == chart(SPO2_1, spo2)


@pytest.mark.parametrize("spo2", range(50, 101))
def test_spo2_scale_2_on_air(spo2: int) -> None:
    assert spo2_scale2_score(spo2, on_oxygen=False) == chart(SPO2_2_AIR, spo2)


@pytest.mark.parametrize("spo2", range(50, 101))
def test_spo2_scale_2_on_oxygen(spo2: int) -> None:
    assert spo2_scale2_score(spo2, on_oxygen=True) == chart(SPO2_2_O2, spo2)


@pytest.mark.parametrize("systolic", range(40, 301))
def test_systolic_pressure(systolic: int) -> None:
    assert systolic_score(systolic) == chart(SYSTOLIC, systolic)


@pytest.mark.parametrize("pulse", range(10, 251))
def test_pulse(pulse: int) -> None:
    assert pulse_score(pulse) == chart(PULSE, pulse)


@pytest.mark.parametrize("tenths", range(300, 431))
def test_temperature(tenths: int) -> None:
    celsius = tenths / 10
    assert temperature_score(celsius) == chart(TEMPERATURE, celsius)


@pytest.mark.parametrize(("level", "score"), [
    (Consciousness.ALERT, 0), (Consciousness.CONFUSION, 3), (Consciousness.VOICE, 3),
    (Consciousness.PAIN, 3), (Consciousness.UNRESPONSIVE, 3),
])
def test_consciousness(level: Consciousness, score: int) -> None:
    assert consciousness_score(level) == score


def test_oxygen_scores_two_and_air_nothing() -> None:
    assert (oxygen_score(True), oxygen_score(False)) == (2, 0)


@pytest.mark.parametrize(("scorer", "value", "score"), [
    (respiration_score, 20.4, 0), (respiration_score, 20.5, 2), (respiration_score, 11.5, 0),
    (pulse_score, 90.5, 1), (pulse_score, 90.4, 0), (temperature_score, 35.04, 3), (temperature_score, 35.06, 1),
])
def test_values_between_chart_rows_are_rounded_as_the_chart_is_read(
        scorer: Callable[[float], int], value: float, score: int) -> None:
    assert scorer(value) == score


@pytest.mark.parametrize(("total", "single_three", "expected"), [
    (0, False, Band.LOW), (4, False, Band.LOW), (3, True, Band.LOW_MEDIUM), (4, True, Band.LOW_MEDIUM),
    (5, False, Band.MEDIUM), (6, True, Band.MEDIUM), (7, False, Band.HIGH), (20, True, Band.HIGH),
])
def test_the_response_band(total: int, single_three: bool, expected: Band) -> None:
    assert band(total, single_three) is expected


HEALTHY = VitalSigns(respiration=16, spo2=97, on_oxygen=False, systolic=125, pulse=72,
                     consciousness=Consciousness.ALERT, temperature=36.8)


def test_a_healthy_adult_scores_nothing() -> None:
    score = news2(HEALTHY)
    assert (score.total, score.band, score.complete, score.scale) == (0, Band.LOW, True, 1)
    assert set(score.scores) == set(Parameter)


def test_a_septic_patient_scores_high_with_every_parameter_scored() -> None:
    score = news2(VitalSigns(respiration=26, spo2=91, on_oxygen=True, systolic=88, pulse=132,
                             consciousness=Consciousness.CONFUSION, temperature=39.4))
    assert score.scores == {Parameter.RESPIRATION: 3, Parameter.SPO2: 3, Parameter.AIR_OR_OXYGEN: 2,
                            Parameter.SYSTOLIC: 3, Parameter.PULSE: 3, Parameter.CONSCIOUSNESS: 3,
                            Parameter.TEMPERATURE: 2}
    assert (score.total, score.band) == (19, Band.HIGH)


def test_one_parameter_scoring_three_is_low_medium() -> None:
    score = news2(HEALTHY.model_copy(update={"consciousness": Consciousness.VOICE}))
    assert (score.total, score.band, score.single_three) == (3, Band.LOW_MEDIUM, True)


def test_five_points_without_a_three_is_medium() -> None:
    score = news2(HEALTHY.model_copy(update={"respiration": 22, "pulse": 115, "temperature": 38.5}))
    assert (score.total, score.band) == (5, Band.MEDIUM)


def test_scale_2_scores_a_hypercapnic_patient_on_target_as_nothing() -> None:
    on_target = HEALTHY.model_copy(update={"spo2": 89, "on_oxygen": True})
    assert news2(on_target, scale2=True).scores[Parameter.SPO2] == 0
    assert news2(on_target).scores[Parameter.SPO2] == 3
    assert news2(on_target, scale2=True).scale == 2


def test_scale_2_scores_too_much_oxygen() -> None:
    assert news2(HEALTHY.model_copy(update={"spo2": 98, "on_oxygen": True}), scale2=True).scores[Parameter.SPO2] == 3
    assert news2(HEALTHY.model_copy(update={"spo2": 98}), scale2=True).scores[Parameter.SPO2] == 0


def test_missing_parameters_are_listed_and_score_nothing() -> None:
    score = news2(VitalSigns(pulse=135))
    assert score.total == 3
    assert not score.complete
    assert Parameter.PULSE not in score.missing and Parameter.RESPIRATION in score.missing


# ------------------------------------------------------------------ from measurements

LOINC = "http://loinc.org"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def measured(code: str, value: float | None = None, *, text: str | None = None, hours_ago: float = 1,
             components: tuple[tuple[str, float | None, str | None], ...] = ()) -> Measurement:
    return Measurement(id=f"{code}-{hours_ago}", code=code, system=LOINC, name=code, value=value,
                       value_text=text, time=NOW - timedelta(hours=hours_ago), components=components)


def test_vital_signs_take_the_newest_of_each_code() -> None:
    signs = vital_signs([
        measured("9279-1", 30, hours_ago=8), measured("9279-1", 18, hours_ago=1),
        measured("59408-5", 94), measured("3151-8", 2.0), measured("8867-4", 95), measured("8310-5", 38.4),
        measured("85354-9", components=(("8480-6", 105, "mmHg"), ("8462-4", 60, "mmHg"))),
        measured("67775-7", text="Nyoppstått forvirring (C)"),
    ])
    assert signs == VitalSigns(respiration=18, spo2=94, on_oxygen=True, systolic=105, pulse=95,
                               consciousness=Consciousness.CONFUSION, temperature=38.4)
    assert news2(signs).total == 0 + 1 + 2 + 1 + 1 + 3 + 1


def test_no_oxygen_flow_means_air_and_no_measurement_means_unknown() -> None:
    assert vital_signs([measured("3151-8", 0)]).on_oxygen is False
    assert vital_signs([]).on_oxygen is None


@pytest.mark.parametrize(("text", "level"), [
    ("A", Consciousness.ALERT), ("Våken (A)", Consciousness.ALERT), ("Alert", Consciousness.ALERT),
    ("Reagerer på tiltale (V)", Consciousness.VOICE), ("Reagerer på smerte", Consciousness.PAIN),
    ("Unresponsive", Consciousness.UNRESPONSIVE), ("u", Consciousness.UNRESPONSIVE),
    ("New confusion", Consciousness.CONFUSION), ("?", None), ("", None),
])
def test_consciousness_is_read_from_the_coded_or_written_value(text: str, level: Consciousness | None) -> None:
    assert consciousness_of(measured("67775-7", text=text)) is level


def test_the_seeded_vital_signs_are_read() -> None:
    import random

    from mobile_app.epj.clinical import measurement
    from mock_epj.seed.vitals import measure, observations

    vitals = measure(random.Random(3), NOW, 0.9, 70, frozenset({"sepsis", "resp"}))
    found = [m for r in observations(vitals, "v", "p", "e", None) if (m := measurement(r)) is not None]
    signs = vital_signs(found)
    assert signs.respiration == vitals.resp and signs.spo2 == vitals.spo2 and signs.pulse == vitals.pulse
    assert signs.systolic == vitals.systolic and signs.temperature == vitals.temp
    assert signs.on_oxygen is (vitals.o2_flow > 0)
    assert signs.consciousness == Consciousness(vitals.acvpu)


@pytest.mark.parametrize(("codes", "expected"), [
    (["J96.1"], True), (["I10", "j96.10"], True), (["J96.0"], False), ([], False),
])
def test_scale_2_is_for_hypercapnic_respiratory_failure(codes: list[str], expected: bool) -> None:
    assert uses_scale2(codes) is expected
