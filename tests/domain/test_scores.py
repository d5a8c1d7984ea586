"""NEWS2, qSOFA and the Padua score at every boundary of every parameter, and the properties that
hold for any set of vital signs (Hypothesis). The chart's rows are tested value by value in
tests/labs/test_news2.py; here each boundary is written out as (last value of one band, first of
the next) so that a shifted boundary names itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile_app.domain.news2 import (
    Band,
    Consciousness,
    Parameter,
    VitalSigns,
    band,
    news2,
    pulse_score,
    respiration_score,
    spo2_scale1_score,
    spo2_scale2_score,
    systolic_score,
    temperature_score,
)
from mobile_app.domain.padua import (
    HIGH_RISK_FROM,
    POINTS,
    PaduaItem,
    age_item,
    needs_assessment,
    padua,
)
from mobile_app.domain.qsofa import Criterion, qsofa
from mobile_app.domain.vitals import Response, response, response_of

# (function, last value scoring a, first value scoring b, a, b)
NEWS2_BOUNDARIES = [
    (respiration_score, 8, 9, 3, 1), (respiration_score, 11, 12, 1, 0), (respiration_score, 20, 21, 0, 2),
    (respiration_score, 24, 25, 2, 3),
    (spo2_scale1_score, 91, 92, 3, 2), (spo2_scale1_score, 93, 94, 2, 1), (spo2_scale1_score, 95, 96, 1, 0),
    (systolic_score, 90, 91, 3, 2), (systolic_score, 100, 101, 2, 1), (systolic_score, 110, 111, 1, 0),
    (systolic_score, 219, 220, 0, 3),
    (pulse_score, 40, 41, 3, 1), (pulse_score, 50, 51, 1, 0), (pulse_score, 90, 91, 0, 1),
    (pulse_score, 110, 111, 1, 2), (pulse_score, 130, 131, 2, 3),
    (temperature_score, 35.0, 35.1, 3, 1), (temperature_score, 36.0, 36.1, 1, 0),
    (temperature_score, 38.0, 38.1, 0, 1), (temperature_score, 39.0, 39.1, 1, 2),
]
SCALE2_BOUNDARIES = [  # (last, first, on oxygen, a, b)
    (83, 84, True, 3, 2), (85, 86, True, 2, 1), (87, 88, True, 1, 0), (92, 93, True, 0, 1),
    (94, 95, True, 1, 2), (96, 97, True, 2, 3), (92, 93, False, 0, 0), (96, 97, False, 0, 0),
]


@pytest.mark.parametrize(("score", "last", "first", "a", "b"), NEWS2_BOUNDARIES)
def test_every_news2_boundary(score: object, last: float, first: float, a: int, b: int) -> None:
    assert callable(score)
    assert (score(last), score(first)) == (a, b)


@pytest.mark.parametrize(("last", "first", "on_oxygen", "a", "b"), SCALE2_BOUNDARIES)
def test_every_scale_2_boundary(last: int, first: int, on_oxygen: bool, a: int, b: int) -> None:
    assert (spo2_scale2_score(last, on_oxygen), spo2_scale2_score(first, on_oxygen)) == (a, b)


@pytest.mark.parametrize(("total", "single_three", "expected"), [
    (0, False, Band.LOW), (4, False, Band.LOW), (3, True, Band.LOW_MEDIUM), (4, True, Band.LOW_MEDIUM),
    (5, False, Band.MEDIUM), (6, True, Band.MEDIUM), (7, False, Band.HIGH), (20, True, Band.HIGH)])
def test_band_boundaries(total: int, single_three: bool, expected: Band) -> None:
    assert band(total, single_three) is expected


rates = st.floats(min_value=1, max_value=80, allow_nan=False)
vital_sets = st.builds(
    VitalSigns,
    respiration=st.none() | rates,
    spo2=st.none() | st.floats(min_value=50, max_value=100, allow_nan=False),
    on_oxygen=st.none() | st.booleans(),
    systolic=st.none() | st.floats(min_value=40, max_value=300, allow_nan=False),
    pulse=st.none() | st.floats(min_value=20, max_value=300, allow_nan=False),
    consciousness=st.none() | st.sampled_from(list(Consciousness)),
    temperature=st.none() | st.floats(min_value=25, max_value=45, allow_nan=False),
)


@given(vital_sets, st.booleans())
def test_the_total_is_the_sum_of_the_points_and_the_band_follows_the_rules(signs: VitalSigns, scale2: bool) -> None:
    score = news2(signs, scale2=scale2)
    assert score.total == sum(score.scores.values())
    assert set(score.scores) | set(score.missing) == set(Parameter)
    assert not set(score.scores) & set(score.missing)
    assert all(0 <= points <= 3 for points in score.scores.values())
    if score.total >= 7:
        assert score.band is Band.HIGH
    elif score.total >= 5:
        assert score.band is Band.MEDIUM
    else:
        assert score.band is (Band.LOW_MEDIUM if 3 in score.scores.values() else Band.LOW)


@given(vital_sets)
def test_scale_2_never_scores_a_set_on_air_higher_than_scale_1(signs: VitalSigns) -> None:
    if signs.on_oxygen:
        return
    assert news2(signs, scale2=True).total <= news2(signs, scale2=False).total


@given(vital_sets, st.sampled_from(list(Parameter)))
def test_leaving_out_a_parameter_never_raises_the_score(signs: VitalSigns, left_out: Parameter) -> None:
    field = {Parameter.AIR_OR_OXYGEN: "on_oxygen"}.get(left_out, left_out.value)
    fewer = signs.model_copy(update={field: None})
    if left_out is Parameter.AIR_OR_OXYGEN:
        return  # with unknown oxygen scale 2 assumes air: tested on its own in tests/labs/test_news2.py
    assert news2(fewer).total <= news2(signs).total
    assert left_out in news2(fewer).missing


@given(vital_sets, st.booleans())
def test_a_partial_score_never_calls_the_patient_low_risk(signs: VitalSigns, scale2: bool) -> None:
    score = news2(signs, scale2=scale2)
    said = response(score)
    if score.complete:
        assert score.known_band is score.band and said is not Response.INCOMPLETE
        return
    assert said is not Response.ROUTINE and score.known_band is not Band.LOW
    # a lower bound still calls for what it already reaches: a single 3, a total of 5 or 7
    if score.band is not Band.LOW:
        assert score.known_band is score.band and said is response_of(score.band, score.total, True)
    else:
        assert said is (Response.WARD if score.total else Response.INCOMPLETE)


@pytest.mark.parametrize(("total", "band_", "complete", "expected"), [
    (0, Band.LOW, True, Response.ROUTINE), (0, Band.LOW, False, Response.INCOMPLETE),
    (2, Band.LOW, True, Response.WARD), (2, Band.LOW, False, Response.WARD),
    (3, Band.LOW_MEDIUM, False, Response.URGENT_WARD), (5, Band.MEDIUM, False, Response.URGENT),
    (7, Band.HIGH, False, Response.EMERGENCY), (7, Band.HIGH, True, Response.EMERGENCY)])
def test_the_response_of_each_band(total: int, band_: Band, complete: bool, expected: Response) -> None:
    assert response_of(band_, total, complete) is expected


# ------------------------------------------------------------------ qSOFA


@pytest.mark.parametrize(("respiration", "points"), [(21, 0), (21.4, 0), (21.5, 1), (22, 1), (40, 1), (8, 0)])
def test_qsofa_respiration_boundary(respiration: float, points: int) -> None:
    assert qsofa(respiration, None, None).points[Criterion.RESPIRATION] == points


@pytest.mark.parametrize(("systolic", "points"), [(100, 1), (100.4, 1), (100.5, 0), (101, 0), (60, 1), (180, 0)])
def test_qsofa_systolic_boundary(systolic: float, points: int) -> None:
    assert qsofa(None, systolic, None).points[Criterion.SYSTOLIC] == points


@pytest.mark.parametrize(("level", "points"), [(Consciousness.ALERT, 0), (Consciousness.CONFUSION, 1),
                                               (Consciousness.VOICE, 1), (Consciousness.PAIN, 1),
                                               (Consciousness.UNRESPONSIVE, 1)])
def test_altered_mentation_is_anything_but_alert(level: Consciousness, points: int) -> None:
    assert qsofa(None, None, level).points[Criterion.MENTATION] == points


@pytest.mark.parametrize(("respiration", "systolic", "level", "total", "high"), [
    (16, 120, Consciousness.ALERT, 0, False), (22, 120, Consciousness.ALERT, 1, False),
    (22, 100, Consciousness.ALERT, 2, True), (22, 100, Consciousness.CONFUSION, 3, True),
    (16, 95, Consciousness.VOICE, 2, True)])
def test_qsofa_total_and_its_cut_off(respiration: float, systolic: float, level: Consciousness, total: int,
                                     high: bool) -> None:
    score = qsofa(respiration, systolic, level)
    assert (score.total, score.high_risk, score.complete) == (total, high, True)


def test_a_partial_qsofa_lists_what_is_missing_and_two_points_are_already_high_risk() -> None:
    score = qsofa(30, 90, None)
    assert score.missing == (Criterion.MENTATION,) and score.high_risk
    assert qsofa(None, None, None).missing == tuple(Criterion)


# ------------------------------------------------------------------ Padua


def test_the_padua_items_and_their_points_are_the_published_ones() -> None:
    assert [POINTS[item] for item in PaduaItem] == [3, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1]
    assert sum(POINTS.values()) == 20


@pytest.mark.parametrize("item", list(PaduaItem))
def test_each_item_alone_scores_its_points(item: PaduaItem) -> None:
    score = padua({item: True})
    assert score.total == POINTS[item] and score.present == (item,)
    assert score.high_risk is False  # no single item reaches the cut-off


@pytest.mark.parametrize(("items", "total", "high"), [
    ((), 0, False),
    ((PaduaItem.ACTIVE_CANCER,), 3, False),
    ((PaduaItem.ACTIVE_CANCER, PaduaItem.AGE_70), 4, True),  # the cut-off: 4 is high risk
    ((PaduaItem.RECENT_TRAUMA_SURGERY, PaduaItem.AGE_70), 3, False),
    ((PaduaItem.RECENT_TRAUMA_SURGERY, PaduaItem.AGE_70, PaduaItem.OBESITY), 4, True),
    ((PaduaItem.AGE_70, PaduaItem.OBESITY, PaduaItem.HORMONAL_TREATMENT), 3, False),
    (tuple(PaduaItem), 20, True)])
def test_padua_cut_off(items: tuple[PaduaItem, ...], total: int, high: bool) -> None:
    score = padua({item: True for item in items})
    assert (score.total, score.high_risk) == (total, high)
    assert HIGH_RISK_FROM == 4


@given(st.dictionaries(st.sampled_from(list(PaduaItem)), st.booleans()))
def test_padua_is_the_sum_of_the_items_answered_yes(answers: dict[PaduaItem, bool]) -> None:
    score = padua(answers)
    assert score.total == sum(POINTS[item] for item, yes in answers.items() if yes)
    assert score.high_risk == (score.total >= 4)


def test_the_age_item_comes_from_the_birth_date() -> None:
    from datetime import date
    today = date(2026, 11, 24)
    assert age_item(date(1956, 11, 24), today) is True  # 70 today
    assert age_item(date(1956, 11, 25), today) is False  # 70 tomorrow
    assert age_item(None, today) is None


def test_a_patient_in_for_24_hours_without_an_assessment_this_stay_needs_one() -> None:
    from datetime import UTC, datetime, timedelta

    from mobile_app.domain.models import ThrombosisRisk
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    admitted = now - timedelta(hours=24)
    assert needs_assessment(None, admitted, now)
    assert not needs_assessment(None, admitted + timedelta(minutes=1), now)  # 23 h 59 min
    before = ThrombosisRisk(id="r", high_risk=False, assessed_at=admitted - timedelta(days=30))
    during = ThrombosisRisk(id="r", high_risk=True, assessed_at=admitted + timedelta(hours=2))
    assert needs_assessment(before, admitted, now)  # an earlier stay's assessment is not current
    assert not needs_assessment(during, admitted, now)
    assert not needs_assessment(None, None, now)  # no known admission time: nothing to say
