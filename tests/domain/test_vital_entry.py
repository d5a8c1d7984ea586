"""Plausibility of vital signs as typed: numbers read the Norwegian way, impossible values refused,
unusual ones asking for confirmation, at every limit; and what makes a registration unsendable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile_app.domain.news2 import Consciousness
from mobile_app.domain.recording import VitalSignsDraft, recording_problems
from mobile_app.domain.vital_entry import (
    LIMITS,
    OxygenDevice,
    SetProblem,
    Verdict,
    VitalField,
    check,
    judge,
    parse_number,
    set_problems,
    shown,
    stepped,
)
from mobile_app.domain.writing import Problem


@pytest.mark.parametrize(("field", "text", "verdict"), [
    (VitalField.PULSE, "0", Verdict.IMPOSSIBLE),  # the issue's examples
    (VitalField.PULSE, "400", Verdict.IMPOSSIBLE),
    (VitalField.TEMPERATURE, "55", Verdict.IMPOSSIBLE),
    (VitalField.SPO2, "120", Verdict.IMPOSSIBLE),
    (VitalField.PULSE, "35", Verdict.UNUSUAL),
    (VitalField.TEMPERATURE, "34", Verdict.UNUSUAL),
    (VitalField.PULSE, "72", Verdict.OK),
    (VitalField.TEMPERATURE, "37,2", Verdict.OK),
])
def test_the_issues_examples(field: VitalField, text: str, verdict: Verdict) -> None:
    assert check(field, text).verdict is verdict


def _limits() -> list[tuple[VitalField, float, Verdict]]:
    """Every limit of every field, with the values just inside and just outside it."""
    cases: list[tuple[VitalField, float, Verdict]] = []
    for field, limits in LIMITS.items():
        step = 10 ** -limits.decimals
        (p_low, p_high), (u_low, u_high) = limits.possible, limits.usual
        cases += [(field, p_low, Verdict.UNUSUAL if p_low < u_low else Verdict.OK),
                  (field, round(p_low - step, 1), Verdict.IMPOSSIBLE),
                  (field, p_high, Verdict.UNUSUAL if p_high > u_high else Verdict.OK),
                  (field, round(p_high + step, 1), Verdict.IMPOSSIBLE),
                  (field, u_low, Verdict.OK), (field, u_high, Verdict.OK)]
        if u_low > p_low:
            cases.append((field, round(u_low - step, 1), Verdict.UNUSUAL))
        if u_high < p_high:
            cases.append((field, round(u_high + step, 1), Verdict.UNUSUAL))
    return [c for c in cases if c[1] >= 0]


@pytest.mark.parametrize(("field", "value", "verdict"), _limits())
def test_every_limit(field: VitalField, value: float, verdict: Verdict) -> None:
    assert judge(field, value) is verdict
    assert check(field, shown(field, value)).verdict is verdict


def test_high_flow_oxygen_is_usual_up_to_70_litres() -> None:
    assert judge(VitalField.OXYGEN_FLOW, 40) is Verdict.UNUSUAL
    assert judge(VitalField.OXYGEN_FLOW, 40, OxygenDevice.HIGH_FLOW) is Verdict.OK
    assert judge(VitalField.OXYGEN_FLOW, 81, OxygenDevice.HIGH_FLOW) is Verdict.IMPOSSIBLE


@pytest.mark.parametrize(("text", "parsed"), [
    ("37,5", (37.5, 1)), ("37.5", (37.5, 1)), (" 120 ", (120.0, 0)), ("0,5", (0.5, 1)), ("1 20", (120.0, 0)),
    ("", None), ("abc", None), ("-5", None), ("37,5,1", None), ("12e3", None), ("1/2", None), ("٣", None)])
def test_numbers_are_read_as_norwegians_write_them(text: str, parsed: tuple[float, int] | None) -> None:
    assert parse_number(text) == parsed


@pytest.mark.parametrize(("field", "text", "verdict"), [
    (VitalField.PULSE, "72,5", Verdict.TOO_PRECISE), (VitalField.TEMPERATURE, "37,25", Verdict.TOO_PRECISE),
    (VitalField.RESPIRATION, "tjue", Verdict.NOT_A_NUMBER), (VitalField.SPO2, "  ", Verdict.EMPTY),
    (VitalField.TEMPERATURE, "38,", Verdict.UNFINISHED), (VitalField.TEMPERATURE, " 38. ", Verdict.UNFINISHED),
    (VitalField.PULSE, "80,", Verdict.UNFINISHED), (VitalField.TEMPERATURE, ",", Verdict.NOT_A_NUMBER),
    (VitalField.TEMPERATURE, "38,,", Verdict.NOT_A_NUMBER), (VitalField.TEMPERATURE, ",5", Verdict.NOT_A_NUMBER)])
def test_what_is_not_a_value_of_the_field(field: VitalField, text: str, verdict: Verdict) -> None:
    checked = check(field, text)
    assert checked.verdict is verdict and checked.value is None
    assert checked.refused is (verdict is not Verdict.EMPTY)


@given(st.sampled_from(list(VitalField)), st.floats(min_value=0, max_value=500, allow_nan=False))
def test_a_value_is_refused_exactly_when_it_is_outside_what_is_possible(field: VitalField, value: float) -> None:
    low, high = LIMITS[field].possible
    assert (judge(field, value) is Verdict.IMPOSSIBLE) is not (low <= value <= high)


def test_steppers_start_from_the_previous_value_and_stay_within_what_is_possible() -> None:
    assert stepped(VitalField.PULSE, "", 1, 88) == "88"
    assert stepped(VitalField.PULSE, "", 1, None) == "75"  # a typical value when nothing is known
    assert stepped(VitalField.PULSE, "88", 1, 70) == "89"
    assert stepped(VitalField.TEMPERATURE, "37,9", 1, None) == "38,0"
    assert stepped(VitalField.TEMPERATURE, "37,0", -1, None) == "36,9"
    assert stepped(VitalField.SPO2, "100", 1, None) == "100"
    assert stepped(VitalField.PULSE, "abc", 1, 70) == "abc"  # the author's text is left as typed


def test_the_set_as_a_whole() -> None:
    ok = {VitalField.SYSTOLIC: 120.0, VitalField.DIASTOLIC: 80.0}
    assert set_problems(ok, on_oxygen=False, device=None, consciousness_given=True) == []
    assert set_problems({}, on_oxygen=None, device=None, consciousness_given=False) == [SetProblem.NOTHING_MEASURED]
    assert set_problems({VitalField.SYSTOLIC: 120.0}, on_oxygen=None, device=None,
                        consciousness_given=False) == [SetProblem.PRESSURE_HALF]
    assert SetProblem.DIASTOLIC_NOT_BELOW in set_problems({VitalField.SYSTOLIC: 90.0, VitalField.DIASTOLIC: 90.0},
                                                          on_oxygen=None, device=None, consciousness_given=False)
    assert set_problems({}, on_oxygen=True, device=None, consciousness_given=False) == [SetProblem.OXYGEN_UNSAID]
    assert set_problems({}, on_oxygen=True, device=OxygenDevice.SIMPLE_MASK, consciousness_given=False) == []


def _draft(**values: object) -> VitalSignsDraft:
    return VitalSignsDraft(patient_id="p1", author_id="prac-1", **values)  # type: ignore[arg-type]


def test_a_registration_is_refused_before_sending_unless_it_is_sound() -> None:
    assert recording_problems(_draft(pulse=72, consciousness=Consciousness.ALERT)) == []
    [impossible] = recording_problems(_draft(pulse=400))
    assert (impossible.field, impossible.problem) == ("pulse", Problem.IMPOSSIBLE)
    [unconfirmed] = recording_problems(_draft(pulse=35))
    assert (unconfirmed.field, unconfirmed.problem) == ("pulse", Problem.UNCONFIRMED)
    assert recording_problems(_draft(pulse=35, confirmed=(VitalField.PULSE,))) == []
    assert [p.problem for p in recording_problems(_draft())] == [Problem.EMPTY]
    assert [p.field for p in recording_problems(_draft(on_oxygen=False, oxygen_flow=2))] == ["oxygen"]
    assert [p.field for p in recording_problems(_draft(systolic=120))] == ["pressure_half"]


def test_a_partial_set_is_a_valid_registration_and_says_what_is_missing() -> None:
    draft = _draft(respiration=26, pulse=135)
    assert recording_problems(draft) == []
    score = draft.news2
    assert not score.complete and score.total == 6
    assert {p.value for p in score.missing} == {"spo2", "air_or_oxygen", "systolic", "consciousness", "temperature"}
