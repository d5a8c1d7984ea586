"""Registrations against the mock EPJ: what is stored is valid R4 and shows in the ward list's
batch, the overview (still one round trip), My patients and the NEWS2 history; a second try makes
no second copy; roles and the SpO2 scale rules hold on the server too, and every write is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import respx
from fhirclient.models.bundle import Bundle

from mobile_app.domain.news2 import Consciousness
from mobile_app.domain.padua import PaduaItem
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.vital_entry import OxygenDevice, VitalField
from mobile_app.epj import recording_mapping as rm
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import AccessDenied, Conflict
from tests.support.epj_logins import Login, Session
from tests.support.mock_server import Server, entries, login
from tests.support.mocked_http import BASE, PATIENT, batch_response, fhir, outcome, searchset

EMERGENCY = dict(respiration=26, spo2=91, on_oxygen=True, oxygen_flow=2, oxygen_device=OxygenDevice.NASAL_CANNULA,
                 systolic=95, diastolic=60, pulse=35, consciousness=Consciousness.CONFUSION, temperature=38.5,
                 confirmed=(VitalField.PULSE,))
HYPERCAPNIC = "pat-000041"  # the seed's ward-med patient with an active J96.1 condition


def vitals(session: Session, patient: str, **values: Any) -> VitalSignsDraft:
    return VitalSignsDraft(patient_id=patient, author_id=session.practitioner_id, author_name=session.login.name,
                           **(values or EMERGENCY))


def stored(server: Server, resource_type: str, **params: str) -> dict[str, Any]:
    with login(server.url, "revisor" if resource_type == "AuditEvent" else "lege1") as client:
        response = client.get(resource_type, params={**params, "_count": "100"})
        response.raise_for_status()
        return dict(response.json())


async def test_a_saved_set_is_valid_r4_and_shows_in_the_ward_list_overview_and_history(
        fresh_login: Login, fresh_server: Server, inpatients: list[str]) -> None:
    nurse = await fresh_login("spl1")
    patient = next(p for p in inpatients if p != HYPERCAPNIC)
    draft = vitals(nurse, patient)
    recorded = await nurse.client.save_vital_signs(draft)
    panel = stored(fresh_server, "Observation", identifier=f"urn:ietf:rfc:3986|urn:uuid:{draft.client_id}",
                   _include="Observation:has-member")
    Bundle(panel)  # the stored panel and its members, as the server serves them, are valid R4
    found = entries(panel)
    assert len(found) == 1 + 7 and found[0]["id"] == recorded.panel_id
    assert {m["reference"] for m in found[0]["hasMember"]} == {f"Observation/{r['id']}" for r in found[1:]}
    score = entries(stored(fresh_server, "Observation", code=f"{rm.SNOMED}|{rm.NEWS2_TOTAL}", patient=patient))
    assert [s["valueQuantity"]["value"] for s in score] == [17]
    assert all(ref["reference"].startswith("Observation/") for ref in score[0]["derivedFrom"])

    doctor = await fresh_login("lege1")
    if not fresh_server.strict:  # the markers' batch asks signed-by:missing (the signing work replaces it)
        markers = await doctor.client.ward_markers("ward-med")
        assert markers.news2[patient] == 17  # in the ward list's batch at once
    before = doctor.client.round_trips
    overview = await doctor.client.patient_overview(patient)
    assert doctor.client.round_trips - before == 1  # still one round trip
    shown = {m.code: m for m in overview.vitals}
    assert shown["8867-4"].value == 35 and shown["3151-8"].details == ("Nesekateter",)
    assert "85353-1" not in shown  # the panel groups; it is no value of its own
    assert await doctor.client.news2_for([patient]) == {patient: 17}
    history = await doctor.client.vital_history(patient)
    assert any(m.value == 35 and m.code == "8867-4" for m in history.measurements)
    assert 1 in history.recorded_scales.values()


async def test_a_second_try_finds_the_set_instead_of_making_another(fresh_login: Login, fresh_server: Server,
                                                                    inpatients: list[str]) -> None:
    nurse = await fresh_login("spl1")
    draft = vitals(nurse, inpatients[0])
    first = await nurse.client.save_vital_signs(draft)
    again = await nurse.client.save_vital_signs(draft)  # as after a lost answer
    assert again.panel_id == first.panel_id and again.news2_id == first.news2_id
    identifier = f"urn:ietf:rfc:3986|urn:uuid:{draft.client_id}"
    assert stored(fresh_server, "Observation", identifier=identifier)["total"] == 1
    assert len(entries(stored(fresh_server, "Observation", code=f"{rm.SNOMED}|{rm.NEWS2_TOTAL}",
                              patient=inpatients[0]))) == 1
    changed = draft.model_copy(update={"pulse": 80.0, "confirmed": ()})
    with pytest.raises(Conflict):  # the same set with other values is never passed off as saved
        await nurse.client.save_vital_signs(changed)


async def test_a_partial_set_is_saved_as_such(fresh_login: Login, fresh_server: Server,
                                              inpatients: list[str]) -> None:
    nurse = await fresh_login("spl1")
    await nurse.client.save_vital_signs(vitals(nurse, inpatients[1], respiration=28, pulse=120))
    (score,) = entries(stored(fresh_server, "Observation", code=f"{rm.SNOMED}|{rm.NEWS2_TOTAL}",
                              patient=inpatients[1]))
    assert "valueQuantity" not in score and "temperatur" in score["dataAbsentReason"]["text"]


async def test_a_health_worker_records_vital_signs_but_not_thrombosis_risk(fresh_login: Login,
                                                                           inpatients: list[str]) -> None:
    worker = await fresh_login("hfa1")
    recorded = await worker.client.save_vital_signs(vitals(worker, inpatients[0], pulse=72, respiration=16))
    assert recorded.panel_id
    with pytest.raises(AccessDenied):
        await worker.client.save_thrombosis_risk(ThrombosisRiskDraft(
            patient_id=inpatients[0], author_id=worker.practitioner_id, present=(PaduaItem.AGE_70,)))


async def test_no_set_for_a_patient_without_a_care_relation(fresh_login: Login, fresh_server: Server) -> None:
    surgeon = await fresh_login("lege2")  # Kirurgisk sengepost
    with login(fresh_server.url, "lege1") as client:
        patient = entries(client.get("Encounter", params={"location": "Location/ward-med",
                                                          "status": "in-progress"}).json())[0]["subject"]
    with pytest.raises(AccessDenied):
        await surgeon.client.save_vital_signs(vitals(surgeon, patient["reference"].split("/")[1]))


async def test_every_registration_is_audited(fresh_login: Login, fresh_server: Server, inpatients: list[str]) -> None:
    nurse = await fresh_login("spl1")
    patient = inpatients[2]
    await nurse.client.save_vital_signs(vitals(nurse, patient))
    await nurse.client.save_thrombosis_risk(ThrombosisRiskDraft(patient_id=patient, author_id=nurse.practitioner_id,
                                                                present=(PaduaItem.OBESITY,)))
    events = entries(stored(fresh_server, "AuditEvent", patient=f"Patient/{patient}", action="C"))
    what = [e["entity"][-1]["what"]["reference"].split("/")[0] for e in events
            if e["agent"][0]["who"]["reference"] == f"Practitioner/{nurse.practitioner_id}"]
    assert what.count("Observation") == 9 and what.count("QuestionnaireResponse") == 1
    assert what.count("RiskAssessment") == 1


async def test_a_thrombosis_assessment_shows_on_the_overview_and_clears_the_ward_mark(
        fresh_login: Login, inpatients: list[str]) -> None:
    doctor = await fresh_login("lege1")
    due = (await doctor.client.ward_markers("ward-med")).thrombosis_due
    assert due, "the seed leaves some patients unassessed after 24 hours"
    patient = sorted(due)[0]
    assert (await doctor.client.patient_overview(patient)).thrombosis_risk is None or patient in due
    risk = await doctor.client.save_thrombosis_risk(ThrombosisRiskDraft(
        patient_id=patient, author_id=doctor.practitioner_id, author_name=doctor.login.name,
        present=(PaduaItem.ACTIVE_CANCER, PaduaItem.REDUCED_MOBILITY)))
    assert (risk.total, risk.high_risk) == (6, True)
    overview = await doctor.client.patient_overview(patient)
    assert overview.thrombosis_risk is not None and overview.thrombosis_risk.total == 6
    assert overview.thrombosis_risk.assessed_at is not None
    assert abs(overview.thrombosis_risk.assessed_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert patient not in (await doctor.client.ward_markers("ward-med")).thrombosis_due


async def test_the_seeded_assessments_are_read(fresh_login: Login, inpatients: list[str]) -> None:
    doctor = await fresh_login("lege1")
    markers = await doctor.client.ward_markers("ward-med")
    assessed = [p for p in inpatients if p not in markers.thrombosis_due]
    overview = await doctor.client.patient_overview(assessed[0])
    assert overview.thrombosis_risk is not None and overview.thrombosis_risk.total is not None


async def test_a_doctor_chooses_the_scale_and_it_is_remembered_on_the_server(fresh_login: Login) -> None:
    doctor = await fresh_login("lege1")
    assert (await doctor.client.patient_overview(HYPERCAPNIC)).spo2_scale2  # J96.1: scale 2 by default
    chosen = await doctor.client.save_spo2_scale(Spo2ScaleDraft(patient_id=HYPERCAPNIC,
                                                                author_id=doctor.practitioner_id, scale=1))
    overview = await doctor.client.patient_overview(HYPERCAPNIC)
    assert overview.hypercapnic and not overview.spo2_scale2
    assert overview.spo2_scale_choice is not None and overview.spo2_scale_choice.version == chosen.version
    draft = vitals(doctor, HYPERCAPNIC, spo2=90, on_oxygen=True, oxygen_flow=1, respiration=16, systolic=130,
                   diastolic=80, pulse=80, consciousness=Consciousness.ALERT, temperature=37.0)
    await doctor.client.save_vital_signs(draft.model_copy(update={"scale": 1}))
    assert (await doctor.client.ward_markers("ward-med")).news2[HYPERCAPNIC] == 3 + 2  # scale 1: 90 % scores 3
    again = await doctor.client.save_spo2_scale(Spo2ScaleDraft(
        patient_id=HYPERCAPNIC, author_id=doctor.practitioner_id, scale=2, version=chosen.version,
        flag_id=chosen.flag_id))
    assert again.scale == 2 and again.flag_id == chosen.flag_id
    assert (await doctor.client.ward_markers("ward-med")).news2[HYPERCAPNIC] == 2  # scale 2: only the oxygen


async def test_a_scale_choice_made_meanwhile_by_another_doctor_is_a_conflict(fresh_login: Login) -> None:
    first, second = await fresh_login("lege1"), await fresh_login("lege1")
    seen = await first.client.save_spo2_scale(Spo2ScaleDraft(patient_id=HYPERCAPNIC,
                                                             author_id=first.practitioner_id, scale=1))
    await second.client.save_spo2_scale(Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=second.practitioner_id,
                                                       scale=2, version=seen.version, flag_id=seen.flag_id))
    with pytest.raises(Conflict) as raised:
        await first.client.save_spo2_scale(Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=first.practitioner_id,
                                                          scale=1, version=seen.version, flag_id=seen.flag_id))
    assert raised.value.changed_by


async def test_a_nurse_may_not_choose_the_scale(fresh_login: Login) -> None:
    nurse = await fresh_login("spl1")
    with pytest.raises(AccessDenied):
        await nurse.client.save_spo2_scale(Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=nurse.practitioner_id,
                                                          scale=1))


async def test_an_epj_without_risk_assessments_still_gives_the_overview(api: respx.MockRouter,
                                                                        client: EpjClient) -> None:
    """A conformant server need not hold RiskAssessment: the overview comes without the risk."""
    unsupported = (404, outcome("not-supported", "Unknown or unsupported resource type 'RiskAssessment'"))
    answers = [(200, PATIENT), *[(200, searchset())] * 11, unsupported, unsupported]
    api.post(BASE).mock(return_value=fhir(200, batch_response(*answers)))
    overview = await client.patient_overview("p1")
    assert overview.patient.family == "Strand" and overview.thrombosis_risk is None
