"""FHIR Observations and DiagnosticReports to lab results and microbiology, odd but valid ones too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.domain.models import LabFlag, LabGroup
from mobile_app.epj.labs import (
    lab_panel,
    lab_result,
    micro_reports,
    signature,
    signatures_by_target,
    unsigned_patients,
)
from tests.support.lab_samples import (
    LOCAL,
    V2,
    interpretation,
    observation,
    provenance,
    quantity,
    reference_range,
    report,
    searchset,
)

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def test_a_plain_result_maps_with_its_flag_group_range_and_version() -> None:
    found = lab_result(observation(valueQuantity=quantity(5.6), referenceRange=reference_range(3.5, 5.0),
                                   interpretation=interpretation("H"), version="3"))
    assert found is not None
    assert (found.code, found.name, found.value, found.unit, found.low, found.high) == (
        "NPU03230", "P-Kalium", 5.6, "mmol/L", 3.5, 5.0)
    assert (found.flag, found.group, found.version, found.interpretation) == (LabFlag.HIGH, LabGroup.CHEMISTRY,
                                                                              "3", "H")
    assert found.time == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert found.issued == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert not found.signed and found.analyte.endswith("|NPU03230")


def test_no_reference_range_and_no_interpretation_is_unknown() -> None:
    found = lab_result(observation(code="X9", name="P-Ferritin", valueQuantity=quantity(80, "µg/L")))
    assert found is not None and (found.flag, found.low, found.high, found.group) == (
        LabFlag.UNKNOWN, None, None, LabGroup.OTHER)


def test_no_reference_range_but_a_critical_value_is_critical() -> None:
    found = lab_result(observation(valueQuantity=quantity(7.0)))
    assert found is not None and found.flag is LabFlag.CRITICAL_HIGH


@pytest.mark.parametrize(("ranges", "value", "low", "high", "flag"), [
    (reference_range(high=5.0, unit="mg/L"), 46, None, 5.0, LabFlag.HIGH),
    (reference_range(low=60.0, unit="mL/min"), 45, 60.0, None, LabFlag.LOW),
    (reference_range(text="3,5 - 5,0"), 5.4, 3.5, 5.0, LabFlag.HIGH),
    (reference_range(text="< 5"), 3, None, 5.0, LabFlag.NORMAL),
    (reference_range(text="Se kommentar"), 3, None, None, LabFlag.UNKNOWN),
    ([{"type": {"coding": [{"code": "treatment"}]}, "low": quantity(2.0), "high": quantity(3.0)},
      {"type": {"coding": [{"code": "normal"}]}, "low": quantity(3.5), "high": quantity(5.0)}],
     4.0, 3.5, 5.0, LabFlag.NORMAL),  # the normal range, not the treatment target
])
def test_reference_ranges_with_one_end_or_only_text(ranges: list[dict[str, object]], value: float,
                                                    low: float | None, high: float | None, flag: LabFlag) -> None:
    found = lab_result(observation(code="X", name="Test", valueQuantity=quantity(value, None), referenceRange=ranges))
    assert found is not None
    assert (found.low, found.high, found.flag) == (low, high, flag)


def test_range_text_is_kept_for_display() -> None:
    found = lab_result(observation(valueString="Negativ", referenceRange=reference_range(text="Negativ")))
    assert found is not None and (found.reference_text, found.value_text, found.flag) == (
        "Negativ", "Negativ", LabFlag.UNKNOWN)


@pytest.mark.parametrize(("element", "value", "comparator"), [
    ({"valueQuantity": quantity(5, "mg/L", comparator="<")}, 5.0, "<"),
    ({"valueString": "<5"}, 5.0, "<"),
    ({"valueString": "> 200"}, 200.0, ">"),
    ({"valueString": "4,2"}, 4.2, None),
])
def test_comparators_in_the_quantity_or_in_a_string(element: dict[str, Any], value: float,
                                                   comparator: str | None) -> None:
    found = lab_result(observation(code="NPU19748", name="P-CRP", referenceRange=reference_range(high=5, unit="mg/L"),
                                   **element))
    assert found is not None
    assert (found.value, found.comparator, found.unit) == (value, comparator, "mg/L")  # unit from the range
    assert found.flag is (LabFlag.NORMAL if comparator == "<" or value < 5 else LabFlag.HIGH)
    assert found.display_value.startswith(comparator or "")


def test_text_and_coded_values_are_text_judged_by_the_interpretation() -> None:
    coded = lab_result(observation(code="X", name="U-Nitritt", valueCodeableConcept={
        "coding": [{"system": "http://snomed.info/sct", "code": "10828004", "display": "Positiv"}]},
        interpretation=interpretation("POS")))
    written = lab_result(observation(code="X", name="Kommentar", valueString="Hemolysert prøve"))
    assert coded is not None and (coded.value, coded.value_text, coded.flag) == (None, "Positiv", LabFlag.ABNORMAL)
    assert written is not None and (written.value_text, written.flag) == ("Hemolysert prøve", LabFlag.UNKNOWN)


def test_missing_units_stay_missing() -> None:
    found = lab_result(observation(valueQuantity={"value": 4.1}))
    assert found is not None and found.unit is None and found.value == 4.1


@pytest.mark.parametrize(("codings", "flag"), [
    (interpretation("L", V2), LabFlag.LOW),
    (interpretation("HH", None), LabFlag.CRITICAL_HIGH),
    ([{"coding": [{"system": "urn:local", "code": "XX"}, {"system": V2, "code": "H"}]}], LabFlag.HIGH),
    ([{"coding": [{"system": "urn:local", "code": "H"}]}], LabFlag.HIGH),  # a standard code in a local system
    ([{"text": "Forhøyet"}], LabFlag.NORMAL),
])
def test_interpretation_codes_of_v2_and_v3_are_read(codings: list[dict[str, object]], flag: LabFlag) -> None:
    found = lab_result(observation(valueQuantity=quantity(4.0), referenceRange=reference_range(3.5, 5.0),
                                   interpretation=codings))
    assert found is not None and found.flag is flag


@pytest.mark.parametrize(("status", "flag"), [
    ("registered", LabFlag.PENDING), ("preliminary", LabFlag.NORMAL), ("final", LabFlag.NORMAL),
    ("amended", LabFlag.NORMAL), ("corrected", LabFlag.NORMAL), ("cancelled", LabFlag.UNKNOWN),
])
def test_statuses(status: str, flag: LabFlag) -> None:
    found = lab_result(observation(status=status, valueQuantity=quantity(4.0), referenceRange=reference_range(3.5, 5)))
    assert found is not None and (found.status, found.flag) == (status, flag)
    assert found.corrected is (status in ("amended", "corrected"))


def test_entered_in_error_is_left_out() -> None:
    assert lab_result(observation(status="entered-in-error", valueQuantity=quantity(4.0))) is None


def test_a_pending_result_without_a_value_keeps_the_unit_of_its_range() -> None:
    found = lab_result(observation(status="registered", issued=None, referenceRange=reference_range(3.5, 5.0)))
    assert found is not None and (found.flag, found.unit, found.time) == (
        LabFlag.PENDING, "mmol/L", datetime(2026, 11, 27, 7, 0, tzinfo=UTC))


def test_a_period_or_only_an_issued_time_gives_the_time() -> None:
    period = observation(valueQuantity=quantity(4))
    del period["effectiveDateTime"]
    period["effectivePeriod"] = {"start": "2026-11-20T10:00:00Z"}
    assert (found := lab_result(period)) is not None and found.time == datetime(2026, 11, 20, 10, tzinfo=UTC)
    del period["effectivePeriod"]
    assert (found := lab_result(period)) is not None and found.time == found.issued


def test_the_nlk_code_names_the_analyte_when_there_are_several_codings() -> None:
    resource = observation(valueQuantity=quantity(4))
    resource["code"]["coding"].insert(0, {"system": "urn:lab:local", "code": "K"})
    assert (found := lab_result(resource)) is not None and found.code == "NPU03230"


def test_a_signature_is_a_provenance_on_the_results_version() -> None:
    resource = observation(valueQuantity=quantity(4))
    signed = signatures_by_target([provenance("Observation/o1/_history/1")])
    found = signature(resource, signed)
    assert found is not None
    assert (found.practitioner_id, found.name, found.at) == (
        "prac-001", "Kari Nordmann", datetime(2026, 11, 28, 7, 15, tzinfo=UTC))
    assert signature(observation(), {}) is None
    assert (read := lab_result(resource, signatures=signed)) is not None and read.signed


def test_a_result_changed_after_signing_is_unsigned_again() -> None:
    changed = observation(valueQuantity=quantity(6.1), version="2")
    assert signature(changed, signatures_by_target([provenance("Observation/o1/_history/1")])) is None
    assert signature(changed, signatures_by_target([provenance("https://epj/fhir/Observation/o1/_history/2")]))


def test_a_provenance_that_is_no_signature_or_names_no_version_is_read_with_care() -> None:
    resource = observation(valueQuantity=quantity(4))
    resource["meta"]["lastUpdated"] = "2026-11-28T08:00:00+01:00"
    assert signature(resource, signatures_by_target([provenance("Observation/o1", activity="originate")])) is None
    verified_by_the_lab = provenance("Observation/o1/_history/1", "Practitioner/lab", activity="originate")
    verified_by_the_lab["agent"][0]["type"] = {"coding": [{"system": PARTICIPANT_TYPE, "code": "verifier"}]}
    assert signature(resource, signatures_by_target([verified_by_the_lab])) is None  # making it, not signing it
    del verified_by_the_lab["activity"]
    assert signature(resource, signatures_by_target([verified_by_the_lab])) is not None
    # No version named: it signs what was there when it was recorded.
    assert signature(resource, signatures_by_target([provenance("Observation/o1")])) is not None
    early = provenance("Observation/o1", recorded="2026-11-28T07:00:00+01:00")
    assert signature(resource, signatures_by_target([early])) is None
    # The first of several signatures is shown.
    first = provenance("Observation/o1/_history/1", "Practitioner/p2", name="Ola", recorded="2026-11-28T07:30:00+01:00")
    found = signature(resource, signatures_by_target([provenance("Observation/o1/_history/1"), first]))
    assert found is not None and found.name == "Ola"


# ------------------------------------------------------------------ the panel


def test_the_panel_has_the_newest_value_per_analyte_pending_results_and_time_sorted_histories() -> None:
    observations = [
        observation("k1", when="2026-11-25T08:00:00Z", valueQuantity=quantity(3.9)),
        observation("k3", when="2026-11-27T08:00:00Z", valueQuantity=quantity(5.3), interpretation=interpretation("H")),
        observation("k2", when="2026-11-26T08:00:00Z", valueQuantity=quantity(4.4)),
        observation("k4", when="2026-11-28T08:00:00Z", status="registered", issued=None),
        observation("hb1", "NOR05172", "B-Hemoglobin", when="2026-11-27T08:00:00Z",
                    valueQuantity=quantity(12.1, "g/dL")),
        observation("hb0", "NOR05172", "B-Hemoglobin", when="2026-11-27T09:00:00Z", status="cancelled",
                    valueString="Hemolysert"),
    ]
    panel = lab_panel("p1", observations, [report("r1", ["k3", "hb1"])], NOW)
    assert [(r.id, r.panel, r.performer) for r in panel.latest] == [
        ("hb1", "Blodprøver", "Medisinsk biokjemi"), ("k3", "Blodprøver", "Medisinsk biokjemi")]
    assert [r.id for r in panel.pending] == ["k4"]
    potassium = panel.latest[1].analyte
    assert [r.id for r in panel.history_of(potassium)] == ["k1", "k2", "k3", "k4"]
    assert [r.id for r in panel.history_of(panel.latest[0].analyte)] == ["hb1", "hb0"]
    assert [r.id for r in panel.unsigned()] == ["k3", "hb1", "k2", "k1"]  # newest first, none pending


def test_microbiology_results_and_groupers_stay_out_of_the_blood_tests() -> None:
    organism = observation("org", "oppvekst", "Oppvekst", system=f"{LOCAL}/micro-observation",
                           valueCodeableConcept={"text": "E. coli"}, hasMember=[{"reference": "Observation/amp"}])
    antibiotic = observation("amp", "ampicillin", "Ampicillin", system="urn:other", valueCodeableConcept={"text": "S"})
    grouper = observation("group", "PANEL", "Elektrolytter", hasMember=[{"reference": "Observation/k"}])
    potassium = observation("k", valueQuantity=quantity(4.0))
    panel = lab_panel("p1", [organism, antibiotic, grouper, potassium], [report("mb", ["org"], "MB")], NOW)
    assert [r.id for r in panel.latest] == ["k"]
    assert list(panel.history) == [panel.latest[0].analyte]


def test_the_same_result_on_two_pages_counts_once() -> None:
    twice = [observation("k", valueQuantity=quantity(4.0)), observation("k", valueQuantity=quantity(4.0))]
    assert len(lab_panel("p1", twice, [], NOW).history_of(lab_result(twice[0]).analyte)) == 1  # type: ignore[union-attr]


def test_unsigned_recent_results_mark_only_patients_on_the_ward() -> None:
    stays = [{"resourceType": "Encounter", "subject": {"reference": "Patient/p1"}},
             {"resourceType": "Encounter", "subject": {"reference": "Patient/p2"}}]

    def on(patient: str, obs_id: str, **extra: Any) -> dict[str, Any]:
        found = observation(obs_id, when="2026-11-28T06:00:00Z", valueQuantity=quantity(4.0), **extra)
        found["subject"] = {"reference": f"Patient/{patient}"}
        return found

    results = [on("p1", "a"), on("p2", "b"), on("p3", "c"), on("p2", "d", status="registered")]
    assert unsigned_patients(stays, results, NOW) == {"p1", "p2"}
    signed = [provenance("Observation/b/_history/1")]
    assert unsigned_patients(stays, results, NOW, provenances=signed) == {"p1"}
    old = [provenance("Observation/b/_history/1")]
    results[1]["meta"]["versionId"] = "2"  # the lab changed the value after it was signed
    assert unsigned_patients(stays, results, NOW, provenances=old) == {"p1", "p2"}


# ------------------------------------------------------------------ microbiology

SPECIMEN = {"resourceType": "Specimen", "id": "s1", "type": {"text": "Urin, midtstråle"},
            "receivedTime": "2026-11-22T05:23:46+01:00",
            "collection": {"collectedDateTime": "2026-11-22T04:59:46+01:00"}}


def sir(obs_id: str, antibiotic: str, code: str, text: str) -> dict[str, object]:
    return observation(obs_id, antibiotic.lower(), antibiotic, system=f"{LOCAL}/antibiotic",
                       valueCodeableConcept={"coding": [{"code": code}], "text": text},
                       interpretation=interpretation(code))


def test_a_final_culture_has_its_organism_and_susceptibility_table() -> None:
    organism = observation("org", "oppvekst", "Oppvekst", system=f"{LOCAL}/micro-observation",
                           valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "112283007"}],
                                                 "text": "Escherichia coli"},
                           hasMember=[{"reference": "Observation/amp"}, {"reference": "Observation/cip"}])
    culture = report("mb1", ["org"], "MB", code={"text": "Urindyrkning"}, specimen=[{"reference": "Specimen/s1"}],
                     effectiveDateTime="2026-11-22T04:59:46+01:00", conclusion="Oppvekst av E. coli.")
    bundle = searchset(culture, included=(organism, sir("amp", "Ampicillin", "R", "Resistent"),
                                          sir("cip", "Ciprofloxacin", "S", "Følsom"), SPECIMEN))
    [found] = micro_reports(bundle)
    assert (found.name, found.status, found.is_final, found.specimen, found.conclusion) == (
        "Urindyrkning", "final", True, "Urin, midtstråle", "Oppvekst av E. coli.")
    assert found.collected == datetime(2026, 11, 22, 3, 59, 46, tzinfo=UTC)
    assert found.received == datetime(2026, 11, 22, 4, 23, 46, tzinfo=UTC)
    [germ] = found.organisms
    assert (germ.name, germ.code) == ("Escherichia coli", "112283007")
    assert [(s.antibiotic, s.result, s.text) for s in germ.susceptibilities] == [
        ("Ampicillin", "R", "Resistent"), ("Ciprofloxacin", "S", "Følsom")]


def test_a_preliminary_culture_shows_its_finding_and_no_growth_is_said() -> None:
    gram = observation("g", "oppvekst", "Oppvekst", status="preliminary", valueCodeableConcept={
        "text": "Gram-negative staver"})
    nothing = observation("n", "oppvekst", "Oppvekst", valueCodeableConcept={"text": "Ingen vekst"})
    bundle = searchset(
        report("early", ["g"], "MB", status="preliminary", effectiveDateTime="2026-11-27T10:00:00Z"),
        report("clean", ["n"], "MB", effectiveDateTime="2026-11-20T10:00:00Z"),
        included=(gram, nothing))
    early, clean = micro_reports(bundle)
    assert (early.is_final, early.organisms, early.findings, early.no_growth) == (
        False, (), ("Gram-negative staver",), False)
    assert (clean.no_growth, clean.organisms, clean.specimen) == (True, (), None)


def test_susceptibility_given_as_components_of_the_organism_result() -> None:
    organism = observation("org", "x", "Oppvekst", valueCodeableConcept={"text": "Staphylococcus aureus"},
                           component=[{"code": {"text": "Kloksacillin"}, "interpretation": interpretation("S")},
                                      {"code": {"text": "Penicillin"}, "valueString": "R"}])
    [found] = micro_reports(searchset(report("mb", ["org"], "MB"), included=(organism,)))
    assert [(s.antibiotic, s.result) for s in found.organisms[0].susceptibilities] == [
        ("Kloksacillin", "S"), ("Penicillin", "R")]


def test_reports_come_newest_first_and_entered_in_error_ones_are_left_out() -> None:
    bundle = searchset(report("a", [], "MB", effectiveDateTime="2026-11-01T00:00:00Z"),
                       report("b", [], "MB", effectiveDateTime="2026-11-05T00:00:00Z"),
                       report("c", [], "MB", status="entered-in-error", effectiveDateTime="2026-11-09T00:00:00Z"))
    assert [r.id for r in micro_reports(bundle)] == ["b", "a"]
