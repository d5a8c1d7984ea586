"""Mapping one patient's record to domain models: results, critical information, documents,
next of kin, care plans, PLO messages and the overview, with odd but valid FHIR."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.epj import clinical, fhir
from mobile_app.epj.terminology import terms
from tests.support.fhir_samples import (
    CRITICAL,
    JSON,
    LOINC,
    NLK,
    NOW,
    PARTICIPATION,
    encounter,
    observation,
    place,
)

# ------------------------------------------------------------------ measurements


def test_a_lab_result_with_range_and_interpretation() -> None:
    result = clinical.measurement(observation(
        effectiveDateTime="2026-11-24T14:03:38+01:00", valueQuantity={"value": 46, "unit": "mg/L"},
        referenceRange=[{"high": {"value": 5.0, "unit": "mg/L"}}],
        interpretation=[{"coding": [{"code": "H"}]}]))
    assert result is not None
    assert (result.code, result.system, result.name) == ("NPU19748", NLK, "P-CRP")
    assert (result.value, result.unit, result.low, result.high) == (46, "mg/L", None, 5.0)
    assert result.interpretation == "H"
    assert result.display_value == "46"
    assert result.time == datetime(2026, 11, 24, 13, 3, 38, tzinfo=UTC)


def test_comparators_and_missing_units() -> None:
    result = clinical.measurement(observation(valueQuantity={"value": 3, "comparator": "<"}))
    assert result is not None and result.display_value == "<3" and result.unit is None
    coded_unit = clinical.measurement(observation(valueQuantity={"value": 71, "code": "umol/L"}))
    assert coded_unit is not None and coded_unit.unit == "umol/L"


@pytest.mark.parametrize(("value", "text"), [
    ({"valueString": "Ingen vekst"}, "Ingen vekst"),
    ({"valueCodeableConcept": {"coding": [{"code": "A", "display": "Alert"}], "text": "Våken (A)"}},
     "Våken (A)"),
    ({"valueCodeableConcept": {"coding": [{"code": "S"}]}}, "S"),
    ({"valueBoolean": True}, "Ja"),
    ({"valueRange": {"low": {"value": 2}, "high": {"value": 4.5}}}, "2-4.5"),
    ({"dataAbsentReason": {"text": "Hemolytisk prøve"}}, "Hemolytisk prøve"),
])
def test_values_that_are_not_numbers_are_text(value: JSON, text: str) -> None:
    result = clinical.measurement(observation(**value))
    assert result is not None and result.value is None and result.value_text == text
    assert result.display_value == text


def test_an_integer_value_is_a_number() -> None:
    result = clinical.measurement(observation(valueInteger=7))
    assert result is not None and result.value == 7.0


def test_a_pending_result_has_no_value_but_the_unit_of_its_range() -> None:
    pending = clinical.measurement(observation(
        status="registered",
        referenceRange=[{"low": {"value": 45.0, "unit": "µmol/L"}, "high": {"value": 90.0}}]))
    assert pending is not None
    assert pending.status == "registered" and pending.value is None and pending.value_text is None
    assert pending.display_value == "" and pending.unit == "µmol/L"
    assert (pending.low, pending.high) == (45, 90)


def test_blood_pressure_components_read_as_systolic_over_diastolic() -> None:
    def component(code: str, value: float) -> JSON:
        return {"code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": {"value": value, "unit": "mmHg"}}

    result = clinical.measurement(observation(
        code="85354-9", system=LOINC, effectivePeriod={"start": "2026-11-24T13:50:38+01:00"},
        component=[component("8480-6", 126), component("8462-4", 82)]))
    assert result is not None
    assert result.components == (("8480-6", 126.0, "mmHg"), ("8462-4", 82.0, "mmHg"))
    assert result.display_value == "126/82" and result.unit == "mmHg"
    assert result.time == datetime(2026, 11, 24, 12, 50, 38, tzinfo=UTC)
    half = clinical.measurement(observation(code="85354-9", system=LOINC,
                                            component=[component("8480-6", 126)]))
    assert half is not None and half.display_value == "" and half.components == (("8480-6", 126.0, "mmHg"),)


def test_an_observation_with_only_a_code_text() -> None:
    result = clinical.measurement({"resourceType": "Observation", "id": "o", "code": {"text": "Vurdering"},
                                   "issued": "2026-11-24T10:00:00Z"})
    assert result is not None
    assert (result.code, result.name, result.status) == ("Vurdering", "Vurdering", "final")
    assert result.time == datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_withdrawn_results_are_left_out(status: str) -> None:
    assert clinical.measurement(observation(status=status, valueQuantity={"value": 1})) is None


def test_the_newest_result_of_each_code_is_kept() -> None:
    newest = clinical.newest_per_code([
        observation("crp-old", effectiveDateTime="2026-11-20T10:00:00Z", valueQuantity={"value": 10}),
        observation("hb", code="NOR05172", effectiveDateTime="2026-11-21T10:00:00Z",
                    valueQuantity={"value": 13}),
        observation("crp-new", effectiveDateTime="2026-11-22T10:00:00Z", valueQuantity={"value": 40}),
        observation("crp-undated", valueQuantity={"value": 99}),
        observation("crp-local", system="https://visitt.example.no/fhir/CodeSystem/local-lab",
                    effectiveDateTime="2026-11-19T10:00:00Z", valueQuantity={"value": 1}),
        observation("wrong", status="entered-in-error", effectiveDateTime="2026-11-28T10:00:00Z")])
    assert [m.id for m in newest] == ["crp-new", "hb", "crp-local"]


# ------------------------------------------------------------------ critical information


def test_allergies_list_critical_ones_first_and_leave_out_withdrawn() -> None:
    def allergy(substance: str, criticality: str | None, **extra: Any) -> JSON:
        resource: JSON = {"resourceType": "AllergyIntolerance", "code": {"text": substance}, **extra}
        if criticality:
            resource["criticality"] = criticality
        return resource

    found = clinical.allergies([
        allergy("Kodein", "low", recordedDate="2023-12-15T14:23:57+01:00", category=["medication"],
                reaction=[{"manifestation": [{"text": "Kvalme"}], "severity": "mild"}]),
        allergy("Lateks", "high", reaction=[
            {"manifestation": [{"text": "Urtikaria"}], "severity": "moderate"},
            {"manifestation": [{"text": "Anafylaksi"}], "severity": "severe"}]),
        allergy("Penicillin", None),
        allergy("Feil", "high", verificationStatus={"coding": [{"code": "entered-in-error"}]}),
        allergy("Over", "high", clinicalStatus={"coding": [{"code": "resolved"}]}),
        {"resourceType": "AllergyIntolerance", "reaction": [{"substance": {"text": "Jod"}}]},
    ])
    assert [a.substance for a in found] == ["Lateks", "Kodein", "Penicillin", "Jod"]
    assert found[0].is_critical and found[0].severity == "severe"
    assert found[0].reactions == ("Urtikaria", "Anafylaksi")
    assert found[1].categories == ("medication",) and found[1].recorded is not None


def test_critical_conditions_are_those_in_the_critical_category() -> None:
    category = [{"coding": [{"system": CRITICAL, "code": "critical-condition"}]}]
    found = clinical.critical_info([], [
        {"resourceType": "Condition", "category": category, "code": {
            "text": "Dialysebehandling", "coding": [{"code": "Z99.2"}]}, "recordedDate": "2025-09-23",
         "note": [{"text": "Ikke stikk venstre arm."}, {"text": "Dialyse man/ons/fre."}]},
        {"resourceType": "Condition", "code": {"text": "Lårhalsbrudd"}},
        {"resourceType": "Condition", "category": category, "code": {"text": "Gammel"},
         "clinicalStatus": {"coding": [{"code": "inactive"}]}},
    ], [], [], "p1")
    assert [(c.text, c.code) for c in found.conditions] == [("Dialysebehandling", "Z99.2")]
    assert found.conditions[0].note == "Ikke stikk venstre arm.\nDialyse man/ons/fre."
    assert found.conditions[0].onset == datetime(2025, 9, 23, tzinfo=UTC)
    assert found.has_critical and not found.flagged


def test_implants_are_named_by_device_name_or_type() -> None:
    found = clinical.critical_info([], [], [
        {"resourceType": "Device", "deviceName": [{"name": "MODEL-X123", "type": "model-name"},
                                                  {"name": "Pacemaker", "type": "user-friendly-name"}]},
        {"resourceType": "Device", "type": {"text": "CNS-shunt"}, "note": [{"text": "MR-betinget"}]},
        {"resourceType": "Device", "status": "inactive", "type": {"text": "Fjernet"}},
        {"resourceType": "Device"},
    ], [], "p1")
    assert [(i.text, i.note) for i in found.implants] == [("Pacemaker", None), ("CNS-shunt", "MR-betinget")]


# ------------------------------------------------------------------ documents


def _document(**extra: Any) -> JSON:
    return {"resourceType": "DocumentReference", "id": "d1", "status": "current", **extra}


def _data(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode()


@pytest.mark.parametrize(("attachment", "text"), [
    ({"contentType": "text/plain; charset=utf-8", "data": _data("Lårhalsbrudd, høyre side")},
     "Lårhalsbrudd, høyre side"),
    ({"contentType": "text/plain; charset=ISO-8859-1", "data": _data("Blødning", "latin-1")}, "Blødning"),
    ({"contentType": "text/plain", "data": _data("Uten tegnsett: æøå")}, "Uten tegnsett: æøå"),
    ({"data": _data("Ingen type")}, "Ingen type"),
    ({"contentType": "application/pdf", "data": _data("%PDF")}, None),
    ({"contentType": "text/plain", "url": "Binary/1"}, None),
    ({"contentType": "text/plain", "data": "not base64!"}, None),
    ({"contentType": "text/plain; charset=no-such-charset", "data": _data("x")}, None),
])
def test_plain_text_attachments_are_decoded(attachment: JSON, text: str | None) -> None:
    found = clinical.document(_document(content=[{"attachment": attachment}]))
    assert found is not None and found.text == text


def test_a_document_without_content_or_description() -> None:
    found = clinical.document(_document(type={"coding": [{"system": terms().document_type.system, "code": "epikrise",
                                                          "display": "Epikrise"}]},
                                        author=[{"reference": "Practitioner/1"}, {"display": "Kari Lege"}],
                                        docStatus="preliminary"))
    assert found is not None
    assert (found.title, found.type_code, found.type_name) == ("Epikrise", "epikrise", "Epikrise")
    assert (found.author, found.status, found.text, found.date) == ("Kari Lege", "preliminary", None, None)


def test_documents_are_newest_first_and_dated_by_creation_when_undated() -> None:
    found = clinical.documents([
        _document(id="a", date="2026-11-20T10:00:00Z", description="A"),
        _document(id="b", content=[{"attachment": {"title": "B", "creation": "2026-11-25T10:00:00Z"}}]),
        _document(id="c", description="C"),
        _document(id="d", status="entered-in-error", date="2026-11-27T10:00:00Z"),
    ])
    assert [(d.id, d.title) for d in found] == [("b", "B"), ("a", "A"), ("c", "C")]


# ------------------------------------------------------------------ people, plans and messages


def test_next_of_kin_and_their_relationship() -> None:
    kin = clinical.next_of_kin({
        "resourceType": "RelatedPerson", "name": [{"given": ["Trygve"], "family": "Strand"}],
        "relationship": [
            {"coding": [{"system": fhir.CONTACT_ROLE, "code": "N"}], "text": "Nærmeste pårørende"},
            {"text": "Ektefelle"}],
        "telecom": [{"system": "email", "value": "t@example.no"}, {"system": "phone", "value": "41080213"}]})
    assert kin is not None
    assert (kin.name, kin.relationship, kin.phone, kin.is_next_of_kin) == (
        "Trygve Strand", "Ektefelle", "41080213", True)
    other = clinical.next_of_kin({"resourceType": "RelatedPerson", "relationship": [{"text": "Nabo"}]})
    assert other is not None and (other.name, other.relationship, other.is_next_of_kin) == ("", "Nabo", False)
    assert clinical.next_of_kin({"resourceType": "RelatedPerson", "active": False}) is None


def test_contact_details_from_the_patient() -> None:
    contact = clinical.contact_details({
        "resourceType": "Patient",
        "address": [{"use": "old", "line": ["Gamleveien 1"]},
                    {"line": ["Elvegata 87", "Leil. 2"], "postalCode": "6836", "city": "Nesvåg"}],
        "telecom": [{"system": "phone", "value": "67000000", "use": "home"},
                    {"system": "phone", "value": "92168297", "use": "mobile"}],
        "maritalStatus": {"coding": [{"code": "M", "display": "Married"}], "text": "Gift"},
        "communication": [
            {"language": {"text": "Engelsk"}},
            {"language": {"coding": [{"code": "nb", "display": "Norsk bokmål"}]}, "preferred": True}]})
    assert contact.address == "Elvegata 87, Leil. 2, 6836 Nesvåg"
    assert (contact.phone, contact.marital_status, contact.language) == ("92168297", "Gift", "Norsk bokmål")
    assert clinical.contact_details({"resourceType": "Patient"}).address is None


def test_a_care_plan_with_activities() -> None:
    plan = clinical.care_plan({
        "resourceType": "CarePlan", "status": "active", "description": "Behandlingsplan ved lårhalsbrudd.",
        "period": {"start": "2026-11-24T13:39:38+01:00"}, "author": {"display": "Line Sæther"},
        "activity": [{"detail": {"status": "in-progress", "description": "Mobilisering"}},
                     {"detail": {"code": {"text": "Hb-kontroll"}}},
                     {"reference": {"reference": "ServiceRequest/1", "display": "Røntgen"}},
                     {"detail": {}}]})
    assert plan is not None
    assert (plan.title, plan.author) == ("Behandlingsplan ved lårhalsbrudd.", "Line Sæther")
    assert [(a.status, a.description) for a in plan.activities] == [
        ("in-progress", "Mobilisering"), ("unknown", "Hb-kontroll"), ("unknown", "Røntgen")]
    assert clinical.care_plan({"resourceType": "CarePlan", "status": "entered-in-error"}) is None


def _plo(id_: str, topic: str, sender: str, recipient: str, sent: str | None = None) -> JSON:
    message: JSON = {"resourceType": "Communication", "id": id_, "status": "completed",
                     "topic": {"coding": [{"code": topic}]},
                     "sender": {"reference": sender, "display": sender.split("/")[-1]},
                     "recipient": [{"reference": recipient, "display": recipient.split("/")[-1]}],
                     "payload": [{"contentString": "Del 1"}, {"contentAttachment": {}},
                                 {"contentString": "Del 2"}]}
    if sent:
        message["sent"] = sent
    return message


def test_plo_messages_know_their_direction_from_the_hospital() -> None:
    hospital = frozenset({"Organization/hf"})
    out = clinical.plo_message(_plo("1", "helseopplysninger", "Organization/hf", "Organization/kommune"),
                               hospital)
    assert out.outgoing and (out.sender, out.recipient) == ("hf", "kommune") and out.text == "Del 1\n\nDel 2"
    incoming = clinical.plo_message(_plo("2", "svar", "Organization/kommune", "Organization/hf"), hospital)
    assert not incoming.outgoing
    unknown = frozenset[str]()
    assert not clinical.plo_message(_plo("3", "innleggelsesrapport", "Organization/a", "Organization/b"),
                                    unknown).outgoing
    assert clinical.plo_message(_plo("4", "foresporsel", "Organization/a", "Organization/b"),
                                unknown).outgoing


# ------------------------------------------------------------------ the overview


def test_an_overview_puts_the_parts_together() -> None:
    atnd = {"coding": [{"system": PARTICIPATION, "code": "ATND"}]}
    current = encounter("now", "p1", period={"start": "2026-11-24T10:00:00Z"},
                        reasonCode=[{"text": "Sepsis"}],
                        serviceProvider={"reference": "Organization/hf"},
                        participant=[{"type": [atnd], "individual": {"reference": "Practitioner/d1"}}],
                        location=[place("Location/ward-med", "Medisinsk sengepost", "wa"),
                                  place("Location/b", "Rom 3 seng 2", "bd")])
    earlier = encounter("then", "p1", status="finished", period={"start": "2025-01-01T10:00:00Z"})
    sources = clinical.OverviewSources(
        patient={"resourceType": "Patient", "id": "p1", "name": [{"text": "Gerd Strand"}]},
        encounters=[earlier, current],
        practitioners=[{"resourceType": "Practitioner", "id": "d1", "name": [{"text": "Dr. Dag Andersen"}]}],
        flags=[{"resourceType": "Flag", "status": "active", "subject": {"reference": "Patient/p1"},
                "category": [{"coding": [{"system": CRITICAL, "code": "critical-information"}]}]}],
        care_plans=[{"resourceType": "CarePlan", "status": "completed", "title": "Gammel"},
                    {"resourceType": "CarePlan", "status": "active", "title": "Ny"}],
        communications=[_plo("a", "x", "Organization/hf", "Organization/k", "2026-11-24T10:00:00Z"),
                        _plo("b", "y", "Organization/k", "Organization/hf", "2026-11-25T10:00:00Z"),
                        _plo("c", "z", "Organization/k", "Organization/hf")],
    )
    until = datetime(2026, 11, 28, 13, tzinfo=UTC)
    overview = clinical.patient_overview(sources, NOW, until)
    assert (overview.patient.family, overview.patient.given) == ("Strand", "Gerd")
    assert overview.patient.stay is not None and overview.patient.stay.bed_label == "3-2"
    assert overview.stay is not None and overview.stay.id == "now" and overview.stay.reason == "Sepsis"
    assert overview.responsible_doctor == "Dr. Dag Andersen"
    assert [s.id for s in overview.stays] == ["now", "then"]
    assert overview.critical.flagged and overview.critical.has_critical
    assert [p.title for p in overview.care_plans] == ["Ny", "Gammel"]
    assert [(m.id, m.outgoing) for m in overview.plo_messages] == [("b", False), ("a", True), ("c", False)]
    assert (overview.emergency_access_until, overview.fetched_at) == (until, NOW)


def test_an_overview_of_a_patient_who_is_not_admitted() -> None:
    sources = clinical.OverviewSources(patient={"resourceType": "Patient", "id": "p1"})
    overview = clinical.patient_overview(sources, NOW)
    assert overview.stay is None and overview.responsible_doctor is None and overview.stays == ()
    assert overview.patient.stay is None and not overview.critical.has_critical
