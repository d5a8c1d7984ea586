"""The FHIR a registration becomes, checked without a server: valid R4 (fhirclient's models), the
R4 vital-signs profile's codes and UCUM units, the panel grouping the values, the NEWS2 score with
its components, a partial set saying what is missing, and identifiers that are the same on every try."""

from __future__ import annotations

from typing import Any

import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from mobile_app.domain.news2 import Consciousness
from mobile_app.domain.padua import PaduaItem
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.vital_entry import OxygenDevice, VitalField
from mobile_app.epj import recording_mapping as rm
from mobile_app.epj.terminology import terms

LOINC, UCUM, SNOMED = "http://loinc.org", "http://unitsofmeasure.org", "http://snomed.info/sct"
FULL = dict(respiration=26, spo2=91, on_oxygen=True, oxygen_flow=2, oxygen_device=OxygenDevice.NASAL_CANNULA,
            systolic=95, diastolic=60, pulse=35, consciousness=Consciousness.CONFUSION, temperature=38.5,
            confirmed=(VitalField.PULSE,))


def draft(**values: Any) -> VitalSignsDraft:
    return VitalSignsDraft(patient_id="pat-1", encounter_id="enc-1", author_id="prac-1", author_name="Siri Sykepleier",
                           **values)


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def by_code(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["code"]["coding"][0]["code"]: r for r in resources(bundle)}


def test_a_full_set_is_a_valid_r4_transaction_of_conditional_creates() -> None:
    bundle = rm.vital_signs_transaction(draft(**FULL))
    Bundle(bundle)  # raises on anything that is not valid R4
    for resource in resources(bundle):
        FHIRElementFactory.instantiate(resource["resourceType"], resource)
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        value = entry["resource"]["identifier"][0]["value"]
        assert entry["request"] == {"method": "POST", "url": "Observation",
                                    "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{value}"}
        assert entry["fullUrl"] == value


def test_each_value_has_its_loinc_code_and_ucum_unit() -> None:
    found = by_code(rm.vital_signs_transaction(draft(**FULL)))
    expected = {"9279-1": "/min", "59408-5": "%", "3151-8": "L/min", "8867-4": "/min", "8310-5": "Cel"}
    for code, unit in expected.items():
        quantity = found[code]["valueQuantity"]
        assert (quantity["system"], quantity["code"]) == (UCUM, unit), code
        assert found[code]["category"][0]["coding"][0]["code"] == "vital-signs"
        assert found[code]["subject"] == {"reference": "Patient/pat-1"}
        assert found[code]["effectiveDateTime"].endswith("Z")
    assert [c["code"] for c in found["59408-5"]["code"]["coding"]] == ["59408-5", "2708-6"]  # the R4 profile's too
    pressure = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in found["85354-9"]["component"]}
    assert pressure == {"8480-6": {"value": 95, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
                        "8462-4": {"value": 60, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}
    assert found["67775-7"]["valueCodeableConcept"]["coding"][0]["code"] == "C"
    assert found["3151-8"]["component"][0]["valueCodeableConcept"]["coding"][0]["code"] == "nasal-cannula"
    assert "bekreftet" in found["8867-4"]["note"][0]["text"]  # the unusual pulse was confirmed
    assert "note" not in found["9279-1"]


def test_the_panel_groups_the_values_and_the_score_is_derived_from_them() -> None:
    bundle = rm.vital_signs_transaction(draft(**FULL))
    found = by_code(bundle)
    members = [e["fullUrl"] for e in bundle["entry"][1:-1]]
    assert [m["reference"] for m in found["85353-1"]["hasMember"]] == members
    score = found[rm.NEWS2_TOTAL]
    assert score["code"]["coding"][0]["system"] == SNOMED
    assert score["valueQuantity"] == {"value": 17, "unit": "{score}", "system": UCUM, "code": "{score}"}
    assert [d["reference"] for d in score["derivedFrom"]] == members
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in score["component"]}
    assert components == {"1104301000000104": 3, "1104311000000102": 3, "1104331000000105": 2,
                          "1104341000000101": 2, "1104351000000103": 3, "1104361000000100": 3,
                          "1104371000000107": 1}
    assert score["interpretation"][0]["coding"][0]["code"] == "high"
    assert score["method"]["coding"][0]["code"] == "scale-1"


def test_scale_2_is_named_in_the_spo2_component_and_the_method() -> None:
    score = by_code(rm.vital_signs_transaction(draft(**FULL, scale=2)))[rm.NEWS2_TOTAL]
    codes = [c["code"]["coding"][0]["code"] for c in score["component"]]
    assert "1104321000000108" in codes and "1104311000000102" not in codes
    assert score["method"]["coding"][0]["code"] == "scale-2"


def test_a_partial_set_has_no_news2_value_and_names_what_is_missing() -> None:
    bundle = rm.vital_signs_transaction(draft(respiration=26, pulse=135))
    Bundle(bundle)
    found = by_code(bundle)
    assert set(found) == {"85353-1", "9279-1", "8867-4", rm.NEWS2_TOTAL}
    score = found[rm.NEWS2_TOTAL]
    assert "valueQuantity" not in score and score["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert "puls" not in score["dataAbsentReason"]["text"] and "temperatur" in score["dataAbsentReason"]["text"]
    absent = [c for c in score["component"] if "dataAbsentReason" in c]
    assert len(absent) == 5 and len(score["component"]) == 7
    assert "Ufullstendig" in found["85353-1"]["note"][0]["text"]


def test_room_air_is_an_oxygen_flow_of_zero_and_oxygen_without_litres_says_so() -> None:
    air = by_code(rm.vital_signs_transaction(draft(pulse=70, on_oxygen=False)))["3151-8"]
    assert air["valueQuantity"]["value"] == 0 and "component" not in air
    mask = by_code(rm.vital_signs_transaction(draft(pulse=70, on_oxygen=True,
                                                      oxygen_device=OxygenDevice.RESERVOIR_MASK)))["3151-8"]
    assert "valueQuantity" not in mask and mask["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    FHIRElementFactory.instantiate("Observation", mask)


def test_the_same_set_gets_the_same_identifiers_on_every_try_and_another_set_others() -> None:
    one = draft(**FULL)
    first, again = rm.vital_signs_transaction(one), rm.vital_signs_transaction(one)
    ids = [e["fullUrl"] for e in first["entry"]]
    assert ids == [e["fullUrl"] for e in again["entry"]] and len(set(ids)) == len(ids)
    other = rm.vital_signs_transaction(draft(**FULL))
    assert not set(ids) & {e["fullUrl"] for e in other["entry"]}


def test_a_padua_assessment_is_a_questionnaire_response_and_a_risk_assessment_based_on_it() -> None:
    assessment = ThrombosisRiskDraft(patient_id="pat-1", author_id="prac-1", author_name="Lars Lege",
                                     present=(PaduaItem.ACTIVE_CANCER, PaduaItem.AGE_70))
    bundle = rm.thrombosis_transaction(assessment)
    Bundle(bundle)
    answers, risk = resources(bundle)
    FHIRElementFactory.instantiate("QuestionnaireResponse", answers)
    FHIRElementFactory.instantiate("RiskAssessment", risk)
    assert answers["questionnaire"] == terms().questionnaires.padua and answers["status"] == "completed"
    yes = {i["linkId"] for i in answers["item"] if i["answer"][0].get("valueBoolean")}
    assert yes == {"active-cancer", "age-70"} and len(answers["item"]) == 12
    assert rm.padua_total(answers) == 4
    assert risk["basis"] == [{"reference": bundle["entry"][0]["fullUrl"]}]
    assert risk["method"]["coding"][0]["code"] == "padua"
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    read = rm.thrombosis_risk({**risk, "id": "r1", "basis": [{"reference": "QuestionnaireResponse/q1"}]},
                              [{**answers, "id": "q1"}])
    assert read is not None and (read.total, read.high_risk, read.assessed_by) == (4, True, "Lars Lege")


def test_the_scale_choice_is_a_flag_keyed_to_its_patient() -> None:
    flag = rm.spo2_scale_flag(Spo2ScaleDraft(patient_id="pat-1", author_id="prac-1", scale=2), "write-1")
    FHIRElementFactory.instantiate("Flag", flag)
    assert flag["identifier"][0] == {"system": terms().identifier_systems.spo2_scale, "value": "pat-1"}
    choice = rm.scale_choice({**flag, "id": "f1", "meta": {"versionId": "3"}})
    assert choice is not None and (choice.scale, choice.version) == (2, "3")
    assert rm.scale_choice({**flag, "status": "inactive"}) is None


@pytest.mark.parametrize("level", list(Consciousness))
def test_every_acvpu_level_is_read_back(level: Consciousness) -> None:
    from mobile_app.domain import news2
    from mobile_app.epj import clinical
    parts = dict(rm.vital_sign_parts(draft(consciousness=level)))
    measured = clinical.measurement({**parts["consciousness"], "id": "x"})
    assert measured is not None and news2.consciousness_of(measured) is level
