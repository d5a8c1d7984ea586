"""Vital signs on the overview are judged: each abnormal value says so in words and icon with its
NEWS2 points, NEWS2 shows its band and clinical response, and an oxygen flow of 0 is room air."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mobile_app.domain.models import Measurement, PatientOverview
from mobile_app.domain.news2 import Band, Parameter
from mobile_app.domain.vitals import Deviation, Response, assess
from mobile_app.epj import clinical
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.viewmodels.app_state import AppState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient, patient
from tests.support.screens import controls, render, texts

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LOINC = "http://loinc.org"


def _vital(code: str, name: str, value: float | None = None, unit: str | None = None, *,
           text: str | None = None, components: tuple[tuple[str, float | None, str | None], ...] = ()
           ) -> Measurement:
    return Measurement(id=code, code=code, system=LOINC, name=name, value=value, unit=unit, value_text=text,
                       components=components, time=NOW - timedelta(minutes=20))


def vitals(respiration: float = 27, spo2: float = 93, flow: float = 0, temperature: float | None = 37.0
           ) -> tuple[Measurement, ...]:
    found = [
        _vital("9279-1", "Respirasjonsfrekvens", respiration, "/min"),
        _vital("59408-5", "Oksygenmetning (SpO2)", spo2, "%"),
        _vital("3151-8", "Oksygentilførsel", flow, "L/min"),
        _vital("85354-9", "Blodtrykk", text="121/78", unit="mmHg",
               components=(("8480-6", 121.0, "mmHg"), ("8462-4", 78.0, "mmHg"))),
        _vital("8867-4", "Puls", 95, "/min"),
        _vital("67775-7", "Bevissthet (ACVPU)", text="Våken (A)"),
    ]
    if temperature is not None:
        found.append(_vital("8310-5", "Temperatur", temperature, "°C"))
    return tuple(found)


def test_each_value_is_judged_by_its_points() -> None:
    judged = {r.parameter: r for r in assess(vitals()).readings}
    assert (judged[Parameter.RESPIRATION].points, judged[Parameter.RESPIRATION].deviation) == (3, Deviation.HIGH)
    assert (judged[Parameter.SPO2].points, judged[Parameter.SPO2].deviation) == (2, Deviation.LOW)
    assert (judged[Parameter.PULSE].points, judged[Parameter.PULSE].deviation) == (1, Deviation.HIGH)
    assert judged[Parameter.AIR_OR_OXYGEN].room_air and not judged[Parameter.AIR_OR_OXYGEN].abnormal
    assert (judged[Parameter.SYSTOLIC].points, judged[Parameter.SYSTOLIC].deviation) == (0, Deviation.NORMAL)
    assert judged[Parameter.CONSCIOUSNESS].points == 0


def test_the_score_calls_for_its_clinical_response() -> None:
    assessment = assess(vitals())
    assert assessment.news2 is not None and assessment.news2.total == 6 and assessment.news2.complete
    assert assessment.news2.band is Band.MEDIUM and assessment.response is Response.URGENT
    calm = assess(vitals(respiration=16, spo2=97))
    assert calm.news2 is not None and calm.news2.total == 1 and calm.response is Response.WARD
    one_three = assess(vitals(respiration=8, spo2=97))  # a single 3 (total 4): urgent ward response
    assert one_three.response is Response.URGENT_WARD
    on_oxygen = {r.parameter: r for r in assess(vitals(respiration=16, spo2=97, flow=2)).readings}
    assert on_oxygen[Parameter.AIR_OR_OXYGEN].deviation is Deviation.ON_OXYGEN


def test_scale_2_comes_from_a_hypercapnic_failure_condition() -> None:
    failure = {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]},
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J96.1"}]}}
    assert clinical.spo2_scale2([failure])
    assert not clinical.spo2_scale2([{**failure, "clinicalStatus": {"coding": [{"code": "resolved"}]}}])
    judged = {r.parameter: r for r in assess(vitals(spo2=89), scale2=True).readings}
    assert judged[Parameter.SPO2].points == 0 and not judged[Parameter.SPO2].abnormal


async def _overview(app: AppState, client: FakeClient, measured: tuple[Measurement, ...], lang: str = "nb") -> Any:
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), vitals=measured, fetched_at=NOW)
    await sign_in(app, "lege1")
    screen = await app.open_patient("p1")
    return render(PatientScreen, app, screen, Messages(lang))


async def _overview_screen(app: AppState, client: FakeClient, measured: tuple[Measurement, ...],
                           lang: str = "nb") -> str:
    return " | ".join(texts(await _overview(app, client, measured, lang)))


async def test_the_overview_marks_abnormal_values_in_words_and_shows_news2(app: AppState,
                                                                          client: FakeClient) -> None:
    t = Messages("nb")
    shown = await _overview_screen(app, client, vitals())
    assert "27 /min | Høy · 3 p" in shown  # respiration: the value, then its marker in words
    assert "93 % | Lav · 2 p" in shown
    assert "95 /min | Høy · 1 p" in shown
    assert "121/78 mmHg | 0 p" in shown  # every parameter's points, normal ones too
    assert t("vital.room_air") in shown and "0 L/min" not in shown
    assert "NEWS2 6" in shown and t("news2.band.medium") in shown and t("news2.response.urgent") in shown


async def test_a_partial_set_on_the_overview_is_not_called_low(app: AppState, client: FakeClient) -> None:
    t = Messages("nb")
    only_pulse = (_vital("8867-4", "Puls", 70, "/min"),)
    assert assess(only_pulse).response is Response.INCOMPLETE
    shown = await _overview_screen(app, client, only_pulse)
    assert "NEWS2 minst 0" in shown and t("news2.band.incomplete") in shown
    assert t("news2.response.incomplete") in shown
    assert t("news2.band.low") not in shown and t("news2.response.routine") not in shown


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_tiles_show_names_that_fit_a_half_width_tile_and_speak_the_epjs_full_name(
        app: AppState, client: FakeClient, lang: str) -> None:
    t = Messages(lang)
    tree = await _overview(app, client, vitals(), lang)
    shown = " | ".join(texts(tree))
    assert f"{t('vital.short.respiration')} | 27 /min" in shown and f"{t('vital.short.spo2')} | 93 %" in shown
    assert "Respirasjonsfrekvens | " not in shown and "Oksygenmetning (SpO2) | " not in shown
    assert "Oksygentilførsel | " in shown and "Puls | 95 /min" in shown  # names that fit stay the EPJ's
    spoken = {getattr(c, "semantics_label", None) for c in controls(tree)}
    assert any(s and s.startswith("Respirasjonsfrekvens, 27 /min") for s in spoken)
    assert any(s and s.startswith("Oksygenmetning (SpO2), 93 %") for s in spoken)


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_a_partial_score_says_what_is_missing(app: AppState, client: FakeClient, lang: str) -> None:
    t = Messages(lang)
    shown = await _overview_screen(app, client, vitals(temperature=None), lang)
    assert t("news2.partial", total=6) in shown
    assert t("news2.missing", parameters=t("news2.param.temperature")) in shown
