"""Recording at the bedside, without a page: the vital-signs form scores as values are typed,
refuses impossible values and asks about unusual ones, saves through the outbox (a partial set as
such), and what is saved shows at once on the overview, the ward list, My patients and the NEWS2
trend, also while it waits; the thrombosis-risk form; the SpO2 scale; and who is offered what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.domain.models import Measurement, PatientOverview, Role
from mobile_app.domain.news2 import Band, Consciousness
from mobile_app.domain.padua import PaduaItem
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft
from mobile_app.domain.vital_entry import OxygenDevice, VitalField
from mobile_app.domain.vitals import Response
from mobile_app.epj.errors import Offline
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.outbox_store import MemoryOutboxStore
from mobile_app.services.session import Session
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import view_for
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.vitals_form import text_to_show
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.news2_trend import News2TrendState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.thrombosis import ThrombosisFormState
from mobile_app.ui.viewmodels.vitals_form import VitalsFormState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient, patient
from tests.support.screens import render, texts

T = Messages("nb")
EMERGENCY = {VitalField.RESPIRATION: "26", VitalField.SPO2: "91", VitalField.SYSTOLIC: "95",
             VitalField.DIASTOLIC: "60", VitalField.PULSE: "135", VitalField.TEMPERATURE: "38,5"}


async def app_as(role: Role, client: FakeClient, session: Session) -> AppState:
    client.role = role
    app = AppState(AppContext(client=client, session=session, outbox=Outbox.for_client(client, MemoryOutboxStore())))
    await sign_in(app, "bruker")
    return app


async def form_for(app: AppState, patient_id: str = "p1") -> tuple[PatientState, VitalsFormState]:
    screen = await app.open_patient(patient_id)
    form = app.open_vitals_form(screen)
    assert form is not None
    return screen, form


def enter(form: VitalsFormState, values: dict[VitalField, str]) -> None:
    for field, text in values.items():
        form.set_text(field, text)


def shown(app: AppState, screen: object) -> list[str]:
    return list(texts(render(view_for(type(screen)), app, screen, T)))  # type: ignore[arg-type]


async def test_the_score_follows_every_keystroke(writer: AppState) -> None:
    _, form = await form_for(writer)
    assert form.score.total == 0 and not form.score.scores
    form.set_text(VitalField.RESPIRATION, "2")
    assert form.points(VitalField.RESPIRATION) == 3  # "2" so far: a rate of 2 scores 3
    form.set_text(VitalField.RESPIRATION, "22")
    assert form.points(VitalField.RESPIRATION) == 2 and form.score.total == 2
    enter(form, EMERGENCY)
    form.set_oxygen(True)
    form.set_text(VitalField.OXYGEN_FLOW, "2")
    form.set_consciousness(Consciousness.CONFUSION)
    score = form.score
    assert score.complete and score.total == 3 + 3 + 2 + 2 + 3 + 3 + 1
    assert score.band is Band.HIGH and form.response is Response.EMERGENCY
    assert form.qsofa.total == 3 and form.qsofa.high_risk
    texts_now = shown(writer, form)
    assert "NEWS2 17 · Høy" in texts_now and "qSOFA 3" in texts_now
    assert T("news2.response.emergency") in texts_now  # the emergency band before anything is saved


async def test_an_empty_or_partial_form_is_never_shown_as_low_risk(writer: AppState) -> None:
    _, form = await form_for(writer)
    for typed in ({}, {VitalField.RESPIRATION: "16", VitalField.PULSE: "70"}):  # nothing, then two 0-point values
        enter(form, typed)
        assert form.response is Response.INCOMPLETE
        card = " ".join(t for t in shown(writer, form) if "NEWS2" in t or "mangler" in t or "lite" in t)
        assert "NEWS2 minst 0 · Ufullstendig" in card and T("news2.response.incomplete") in card
        assert T("news2.band.low") not in card and T("news2.response.routine") not in card
    assert "mangler: SpO2, oksygen eller romluft, systolisk blodtrykk, bevissthet, temperatur." in card
    enter(form, {VitalField.SPO2: "91"})  # a single 3: a partial score already calls for the doctor
    assert form.response is Response.URGENT_WARD
    assert any("NEWS2 minst 3 · Lav–middels" in text for text in shown(writer, form))
    enter(form, {VitalField.SPO2: "97", VitalField.SYSTOLIC: "120", VitalField.DIASTOLIC: "80",
                 VitalField.TEMPERATURE: "37"})
    form.set_oxygen(False)
    form.set_consciousness(Consciousness.ALERT)
    assert form.score.complete and form.response is Response.ROUTINE  # all seven measured: now it is low
    assert any("NEWS2 0 · Lav" in text for text in shown(writer, form))


async def test_an_impossible_value_is_refused_and_not_scored(writer: AppState, client: FakeClient) -> None:
    _, form = await form_for(writer)
    form.set_text(VitalField.PULSE, "400")
    assert form.points(VitalField.PULSE) is None and form.checked(VitalField.PULSE).refused
    assert any("Umulig verdi: 400 /min" in text for text in shown(writer, form))
    assert await form.save() is None
    assert form.problem is not None and form.problem.key == "vitals.refused_fields"
    form.set_text(VitalField.TEMPERATURE, "55")
    form.set_text(VitalField.SPO2, "120")
    assert form.checked(VitalField.TEMPERATURE).refused and form.checked(VitalField.SPO2).refused
    assert client.vital_sets == [] and writer.ctx.outbox is not None and writer.ctx.outbox.items == []


async def test_a_decimal_being_typed_is_not_scored_nor_called_wrong_until_lagre(writer: AppState,
                                                                                client: FakeClient) -> None:
    _, form = await form_for(writer)
    enter(form, {**EMERGENCY, VitalField.TEMPERATURE: "38,"})
    form.set_oxygen(False)
    form.set_consciousness(Consciousness.ALERT)
    assert form.points(VitalField.TEMPERATURE) is None and not form.score.complete
    example = T("vitals.verdict.not_a_number", example="37,5")
    assert example not in shown(writer, form)  # no error flashing while the decimal is typed
    assert await form.save() is None and form.problem is not None and form.problem.key == "vitals.refused_fields"
    assert example in shown(writer, form)  # after Lagre it says what is wrong
    assert client.vital_sets == []
    form.set_text(VitalField.TEMPERATURE, "38,5")
    assert form.points(VitalField.TEMPERATURE) == 1 and form.score.complete
    assert example not in shown(writer, form)


async def test_an_unusual_value_is_scored_at_once_and_saved_once_confirmed(writer: AppState,
                                                                           client: FakeClient) -> None:
    _, form = await form_for(writer)
    form.set_text(VitalField.PULSE, "35")
    form.set_text(VitalField.TEMPERATURE, "34")
    assert form.points(VitalField.PULSE) == 3 and form.points(VitalField.TEMPERATURE) == 3
    assert "Bekreft 35 /min" in shown(writer, form)
    assert await form.save() is None
    assert form.problem is not None and form.problem.key == "vitals.unconfirmed_fields"
    form.confirm(VitalField.PULSE)
    form.confirm(VitalField.TEMPERATURE)
    form.set_text(VitalField.PULSE, "36")  # a new value asks again
    assert form.needs_confirmation(VitalField.PULSE)
    form.confirm(VitalField.PULSE)
    item = await form.save()
    assert item is not None and item.state is ItemState.SENT
    (saved,) = client.vital_sets
    assert (saved.pulse, saved.temperature) == (36, 34) and set(saved.confirmed) == {"pulse", "temperature"}


async def test_a_partial_set_is_saved_as_such(writer: AppState, client: FakeClient) -> None:
    _, form = await form_for(writer)
    enter(form, {VitalField.RESPIRATION: "28", VitalField.PULSE: "120"})
    assert not form.score.complete
    assert any("mangler" in text for text in shown(writer, form))
    item = await form.save()
    assert item is not None and item.state is ItemState.SENT
    assert client.vital_sets[0].news2.missing and client.news2.get("p1") == 6  # the fake's canned marker stays


async def test_the_set_shows_at_once_also_while_it_waits_to_be_sent(writer: AppState, client: FakeClient) -> None:
    await writer.enter_home()
    screen, form = await form_for(writer)
    enter(form, EMERGENCY)
    form.set_oxygen(False)
    form.set_consciousness(Consciousness.ALERT)
    client.write_fail = Offline("down", request_sent=False)
    item = await form.save()
    assert item is not None and item.state is ItemState.WAITING
    writer.after_recorded(form)
    assert writer.nav.top(PatientState) is screen and screen.tab == "overview"
    assert screen.vitals.news2 is not None and screen.vitals.news2.total == 3 + 3 + 0 + 2 + 3 + 0 + 1
    assert screen.vitals_waiting
    overview = shown(writer, screen)
    assert "NEWS2 12" in overview and T("vitals.waiting") in overview
    assert writer.ward.beds[0].news2 == 12  # the ward list at once
    assert writer.my.news2["p1"] == 12  # and My patients
    assert "NEWS2 12" in list(texts(render(WardScreen, writer, writer.ward, T)))
    assert "NEWS2 12" in list(texts(render(MyPatientsScreen, writer, writer.my, T)))
    client.calls.clear()
    assert writer.ctx.outbox is not None
    writer.ctx.outbox.retry_now()
    await writer.ctx.outbox.run_due()  # the network is back: the EPJ confirms
    await writer.background_done()
    names = [name for name, _ in client.calls]
    # The lists (My patients by its markers) and the overview read the EPJ again.
    assert {"ward_list", "patient_markers", "overview"} <= set(names)
    assert not screen.vitals_waiting and client.news2["p1"] == 12


async def test_back_with_values_entered_asks_first(writer: AppState) -> None:
    _, form = await form_for(writer)
    assert not form.step_back()  # nothing entered: Back closes
    form.set_text(VitalField.PULSE, "80")
    assert form.step_back() and form.confirm_discard
    form.keep_entering()
    assert form.texts[VitalField.PULSE] == "80"
    form.discard()
    assert not form.step_back()


async def test_steppers_and_previous_values(writer: AppState, client: FakeClient) -> None:
    earlier = datetime.now(UTC) - timedelta(hours=4)
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), fetched_at=datetime.now(UTC), vitals=(
        Measurement(id="hr", code="8867-4", system="http://loinc.org", name="Puls", value=88, unit="/min",
                    time=earlier),
        Measurement(id="bp", code="85354-9", system="http://loinc.org", name="Blodtrykk", time=earlier,
                    components=(("8480-6", 128, "mmHg"), ("8462-4", 76, "mmHg"))),
        Measurement(id="o2", code="3151-8", system="http://loinc.org", name="O2", value=2, unit="L/min",
                    time=earlier, components=(("oxygen-device", None, None),), details=("Nesekateter",))))
    _, form = await form_for(writer)
    assert form.previous_of(VitalField.PULSE) == 88 and form.previous_of(VitalField.DIASTOLIC) == 76
    assert "Forrige: 88 /min" in shown(writer, form)
    assert "Forrige: 2,0 L/min · Nesekateter" in shown(writer, form)
    form.step(VitalField.PULSE, 1)
    assert form.text(VitalField.PULSE) == "88"  # the first tap starts from the previous value
    form.step(VitalField.PULSE, 1)
    form.step(VitalField.TEMPERATURE, -1)
    assert (form.text(VitalField.PULSE), form.text(VitalField.TEMPERATURE)) == ("89", "37,0")
    assert form.next_field(VitalField.SPO2) is VitalField.SYSTOLIC  # on air: no oxygen field
    form.set_device(OxygenDevice.VENTURI_MASK)
    assert form.on_oxygen and form.next_field(VitalField.SPO2) is VitalField.OXYGEN_FLOW
    assert form.next_field(VitalField.TEMPERATURE) is None


async def test_oxygen_needs_litres_or_a_device(writer: AppState) -> None:
    _, form = await form_for(writer)
    form.set_text(VitalField.PULSE, "80")
    form.set_oxygen(True)
    assert await form.save() is None
    assert form.problem is not None and form.problem.key == "vitals.set.oxygen_unsaid"
    form.set_device(OxygenDevice.SIMPLE_MASK)
    assert await form.save() is not None


@pytest.mark.parametrize(("role", "records", "assesses"), [
    (Role.DOCTOR, True, True), (Role.NURSE, True, True), (Role.HEALTH_WORKER, True, False),
    (Role.AUDITOR, False, False), (Role.OTHER, False, False)])
async def test_who_is_offered_what(client: FakeClient, session: Session, role: Role, records: bool,
                                   assesses: bool) -> None:
    app = await app_as(role, client, session)
    screen = await app.open_patient("p1")
    assert (app.open_vitals_form(screen) is not None) is records
    app.nav.back()
    assert (app.open_thrombosis_form(screen) is not None) is assesses
    if app.nav.top(ThrombosisFormState) is not None:
        app.nav.back()
    overview = list(texts(render(PatientScreen, app, screen, T)))
    assert (T("vitals.record") in overview) is records
    assert (T("padua.record") in overview) is assesses
    assert T("vitals.trend") in overview  # everyone may read the trend


async def test_the_scale_is_the_patients_and_only_a_doctor_changes_it(client: FakeClient, session: Session) -> None:
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), fetched_at=datetime.now(UTC),
                                             hypercapnic=True, spo2_scale2=True)
    nurse = await app_as(Role.NURSE, client, session)
    _, form = await form_for(nurse)
    assert form.scale == 2 and not form.may_choose_scale
    assert await form.choose_scale(1) is None and form.scale == 2
    form.set_text(VitalField.SPO2, "89")
    form.set_oxygen(False)
    assert form.points(VitalField.SPO2) == 0  # scale 2: on target
    await nurse.flow.logout()
    doctor = await app_as(Role.DOCTOR, client, session)
    screen, form = await form_for(doctor)
    assert form.may_choose_scale
    item = await form.choose_scale(1)
    assert item is not None and item.state is ItemState.SENT and form.scale == 1
    assert isinstance(item.payload, Spo2ScaleDraft) and client.scales["p1"].scale == 1
    form.set_text(VitalField.SPO2, "89")
    assert form.points(VitalField.SPO2) == 3  # scale 1
    assert not screen.scale2  # the overview follows at once


async def test_no_scale_2_without_documented_hypercapnic_failure(writer: AppState) -> None:
    _, form = await form_for(writer)
    assert form.scale == 1 and not form.may_choose_scale
    assert T("vitals.scale1_only") in shown(writer, form)


async def test_a_thrombosis_assessment_shows_on_the_overview_and_the_ward_list_at_once(
        writer: AppState, client: FakeClient) -> None:
    await writer.enter_home()
    assert writer.ward.beds[0].thrombosis_due
    assert T("ward.thrombosis_due") in list(texts(render(WardScreen, writer, writer.ward, T)))
    screen = await writer.open_patient("p1")
    assert T("padua.none") in shown(writer, screen)
    form = writer.open_thrombosis_form(screen)
    assert isinstance(form, ThrombosisFormState)
    assert form.present.get(PaduaItem.AGE_70) is True  # born 1950: ticked from the birth date
    form.toggle(PaduaItem.ACTIVE_CANCER, True)
    assert form.score.total == 4 and form.score.high_risk
    assert "Padua 4" in shown(writer, form)
    item = await form.save()
    assert item is not None and item.state is ItemState.SENT
    assert isinstance(item.payload, ThrombosisRiskDraft)
    writer.after_recorded(form)
    risk = screen.thrombosis_risk
    assert risk is not None and risk.total == 4 and risk.high_risk
    assert any("Padua 4" in text for text in shown(writer, screen))
    assert not writer.ward.beds[0].thrombosis_due


async def test_the_news2_trend_lists_every_set_and_the_ones_waiting(writer: AppState, client: FakeClient) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    client.history = [Measurement(id=f"{n}-{code}", code=code, system="http://loinc.org", name=code, value=value,
                                  time=start + timedelta(hours=6 * n))
                      for n in range(3) for code, value in (("9279-1", 16 + 4 * n), ("8867-4", 80 + 20 * n))]
    screen = await writer.open_patient("p1")
    _, form = await form_for(writer)
    enter(form, EMERGENCY)
    client.write_fail = Offline("down", request_sent=False)
    await form.save()
    writer.after_recorded(form)
    trend = writer.open_news2_trend(screen)
    assert isinstance(trend, News2TrendState)
    await writer.background_done()
    assert len(trend.points) == 4 and trend.points[-1].pending
    assert not any(p.complete for p in trend.points)  # partial sets are listed, never drawn as NEWS2
    assert trend.drawn == []
    table = shown(writer, trend)
    assert T("news2trend.pending") in " ".join(table)
    assert any("Ufullstendig" in text for text in table)


async def test_the_registrations_forget_everything_at_logout(writer: AppState) -> None:
    screen, form = await form_for(writer)
    enter(form, EMERGENCY)
    assessment = writer.open_thrombosis_form(screen)
    assert assessment is not None
    await writer.flow.logout()
    assert form.texts == {} and form.patient_name == "" and assessment.present == {}


async def test_the_form_keeps_the_short_banner_while_values_are_typed(writer: AppState) -> None:
    """The banner over the form is the short one (name, number, critical line) from the start, and
    the fields' scrolling is not wired to collapse it: a banner that changed height as Enter moved
    the focus down re-laid the form out and lost the focus and the digits typed then."""
    _, form = await form_for(writer)
    before = shown(writer, form)
    assert "Kari Nordmann" in before and "048350 12345" in before
    assert not any(text.startswith("f. ") or " · f. " in text for text in before), before  # no facts line
    enter(form, EMERGENCY)
    assert [text for text in shown(writer, form) if "Kari Nordmann" in text or "048350" in text] == \
        [text for text in before if "Kari Nordmann" in text or "048350" in text]


@pytest.mark.parametrize(("typed", "on_page", "app_changes", "sent", "expected"), [
    ("7", "70", 0, 0, "70"),  # a render that ran before the last keystroke's handler: the page's text stays
    ("70", "70", 0, 0, "70"),
    ("", None, 0, 0, ""),  # no control yet: the form's text
    ("71", "70", 1, 0, "71"),  # a stepper changed it: the form's text goes to the page
    ("71", "71", 1, 1, "71"),
])
def test_a_typed_text_is_never_sent_back_to_its_field(typed: str, on_page: str | None, app_changes: int, sent: int,
                                                       expected: str) -> None:
    assert text_to_show(typed, on_page, app_changes, sent) == expected


async def test_the_app_counts_its_own_changes_of_a_field(writer: AppState) -> None:
    _, form = await form_for(writer)
    form.set_text(VitalField.PULSE, "70")  # typed: not the app's
    assert form.app_changes.get(VitalField.PULSE, 0) == 0
    form.step(VitalField.PULSE, 1)
    assert form.text(VitalField.PULSE) == "71" and form.app_changes[VitalField.PULSE] == 1
    form.set_oxygen(True)
    form.set_text(VitalField.OXYGEN_FLOW, "2")
    form.set_oxygen(False)
    assert form.text(VitalField.OXYGEN_FLOW) == "" and form.app_changes[VitalField.OXYGEN_FLOW] == 1
    form.forget()
    assert form.app_changes[VitalField.PULSE] == 2
