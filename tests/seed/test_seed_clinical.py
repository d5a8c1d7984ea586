"""The clinical record of admitted patients: labs, microbiology, vital signs, notes, critical info."""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

from mock_epj import terminology as t
from tests.support.hospital import Hospital


def category(resource: dict[str, Any]) -> str:
    return str(resource["category"][0]["coding"][0]["code"])


def code_of(resource: dict[str, Any]) -> str:
    return str(resource["code"]["coding"][0]["code"])


def labs(hospital: Hospital) -> list[dict[str, Any]]:
    return [o for o in hospital.of("Observation") if category(o) == "laboratory"
            and o["code"]["coding"][0]["system"] in (t.NLK, t.LOCAL_LAB)]


def test_every_admitted_patient_has_daily_blood_tests(hospital: Hospital) -> None:
    tested = {o["subject"]["reference"] for o in labs(hospital)}
    admitted = {s["subject"]["reference"] for s in hospital.stays}
    assert len(admitted & tested) / len(admitted) > 0.9
    codes = {code_of(o) for o in labs(hospital)}
    assert {"NOR05172", "NPU19748", "NPU02593", "NPU03429", "NPU03230", "NPU18016"} <= codes
    assert "TNTHS" in codes


def test_lab_results_have_ucum_values_ranges_and_matching_interpretation(
    hospital: Hospital,
) -> None:
    for obs in labs(hospital):
        assert obs["performer"][0]["reference"] == "Organization/org-lab"
        if obs["status"] == "registered":
            assert "valueQuantity" not in obs
            continue
        value = obs["valueQuantity"]
        assert value["system"] == t.UCUM and value["code"]
        flag = obs["interpretation"][0]["coding"][0]["code"]
        limits = obs["referenceRange"][0]
        low = limits.get("low", {}).get("value")
        high = limits.get("high", {}).get("value")
        inside = (low is None or value["value"] >= low) and (high is None or value["value"] <= high)
        assert (flag == "N") == inside, obs["id"]
        if flag in ("L", "LL"):
            assert value["value"] < low
        if flag in ("H", "HH"):
            assert value["value"] > high


def test_haemoglobin_and_creatinine_ranges_depend_on_sex(hospital: Hospital) -> None:
    ranges: dict[str, set[tuple[float, float]]] = defaultdict(set)
    for obs in labs(hospital):
        if code_of(obs) == "NOR05172":
            patient = hospital.by_ref[obs["subject"]["reference"]]
            limits = obs["referenceRange"][0]
            ranges[patient["gender"]].add((limits["low"]["value"], limits["high"]["value"]))
    assert (13.4, 17.0) in ranges["male"] and (11.7, 15.3) in ranges["female"]
    assert (13.4, 17.0) not in ranges["female"]


def test_some_lab_values_are_critical(hospital: Hospital) -> None:
    flags = [o["interpretation"][0]["coding"][0]["code"] for o in labs(hospital)
             if o.get("interpretation")]
    assert flags.count("LL") + flags.count("HH") >= 3
    assert 0.05 < (len(flags) - flags.count("N")) / len(flags) < 0.5


def test_crp_falls_in_a_patient_recovering_from_infection(hospital: Hospital) -> None:
    series: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for obs in labs(hospital):
        if code_of(obs) == "NPU19748" and "valueQuantity" in obs:
            series[obs["subject"]["reference"]].append(
                (obs["effectiveDateTime"], obs["valueQuantity"]["value"]))
    falling = 0
    for values in series.values():
        values.sort()
        peak = max(v for _, v in values)
        if len(values) >= 4 and peak > 80 and values[-1][1] < peak * 0.6:
            falling += 1
    assert falling >= 2


def test_panels_are_grouped_in_reports_and_some_are_pending(hospital: Hospital) -> None:
    reports = [r for r in hospital.of("DiagnosticReport") if category(r) == "LAB"]
    assert reports
    partial = [r for r in reports if r["status"] == "partial"]
    assert partial
    for report in partial:
        results = [hospital.by_ref[ref["reference"]] for ref in report["result"]]
        assert 1 <= sum(o["status"] == "registered" for o in results) <= 2
    for report in reports:
        assert report["category"][0]["coding"][0]["system"] == t.REPORT_CATEGORY
        assert report["code"]["coding"][0]["system"] == t.LAB_PANEL


def test_about_a_quarter_of_admitted_patients_have_microbiology(hospital: Hospital) -> None:
    reports = [r for r in hospital.of("DiagnosticReport") if category(r) == "MB"]
    patients = {r["subject"]["reference"] for r in reports}
    assert 0.12 <= len(patients) / len(hospital.stays) <= 0.4
    assert {r["status"] for r in reports} <= {"preliminary", "final"}
    for report in reports:
        assert report["conclusion"]
        assert hospital.by_ref[report["specimen"][0]["reference"]]["resourceType"] == "Specimen"


def test_susceptibilities_hang_under_the_organism(hospital: Hospital) -> None:
    organisms = [o for o in hospital.of("Observation") if o["code"].get("text") == "Oppvekst"]
    with_members = [o for o in organisms if o.get("hasMember")]
    assert with_members
    found = {o["valueCodeableConcept"]["coding"][0]["code"] for o in with_members}
    assert found <= {"112283007", "3092008", "56415008", "9861002"}
    for organism in with_members:
        for member in organism["hasMember"]:
            test = hospital.by_ref[member["reference"]]
            assert test["code"]["coding"][0]["system"] == t.MICRO_ANTIBIOTIC
            assert test["interpretation"][0]["coding"][0]["code"] in ("S", "I", "R")


def _latest_vitals(hospital: Hospital) -> dict[str, dict[str, dict[str, Any]]]:
    latest: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for obs in hospital.of("Observation"):
        if category(obs) != "vital-signs":
            continue
        per_patient = latest[obs["subject"]["reference"]]
        code = code_of(obs)
        if code not in per_patient or per_patient[code]["effectiveDateTime"] < obs["effectiveDateTime"]:
            per_patient[code] = obs
    return latest


def news2(vitals: dict[str, dict[str, Any]], scale2: bool) -> int:
    def value(code: str) -> float:
        return float(vitals[code]["valueQuantity"]["value"])

    rr, spo2, hr, temp = value("9279-1"), value("59408-5"), value("8867-4"), value("8310-5")
    on_oxygen = value("3151-8") > 0
    systolic = vitals["85354-9"]["component"][0]["valueQuantity"]["value"]
    alert = vitals["67775-7"]["valueCodeableConcept"]["coding"][0]["code"] == "A"
    score = 3 if rr <= 8 else 1 if rr <= 11 else 0 if rr <= 20 else 2 if rr <= 24 else 3
    if scale2:
        score += (3 if spo2 <= 83 else 2 if spo2 <= 85 else 1 if spo2 <= 87 else
                  0 if spo2 <= 92 or not on_oxygen else 1 if spo2 <= 94 else
                  2 if spo2 <= 96 else 3)
    else:
        score += 3 if spo2 <= 91 else 2 if spo2 <= 93 else 1 if spo2 <= 95 else 0
    score += 2 if on_oxygen else 0
    score += (3 if systolic <= 90 else 2 if systolic <= 100 else 1 if systolic <= 110 else
              0 if systolic <= 219 else 3)
    score += (3 if hr <= 40 else 1 if hr <= 50 else 0 if hr <= 90 else 1 if hr <= 110 else
              2 if hr <= 130 else 3)
    score += 0 if alert else 3
    score += (3 if temp <= 35.0 else 1 if temp <= 36.0 else 0 if temp <= 38.0 else
              1 if temp <= 39.0 else 2)
    return score


def test_every_admitted_patient_has_complete_vital_signs(hospital: Hospital) -> None:
    latest = _latest_vitals(hospital)
    expected = {"9279-1", "59408-5", "3151-8", "85354-9", "8867-4", "8310-5", "67775-7"}
    for stay in hospital.stays:
        assert set(latest[stay["subject"]["reference"]]) == expected


def test_news2_varies_like_on_a_real_ward(hospital: Hospital) -> None:
    scale2 = {c["subject"]["reference"] for c in hospital.of("Condition")
              if code_of(c) == "J96.1"}
    scores = [
        news2(vitals, patient in scale2) for patient, vitals in _latest_vitals(hospital).items()
        if hospital.by_ref[patient]["birthDate"] < f"{hospital.now.year - 18}"
    ]
    low = sum(s <= 4 for s in scores)
    assert low / len(scores) > 0.75
    assert any(5 <= s <= 6 for s in scores)
    assert any(s >= 7 for s in scores)
    assert any(1 <= s <= 4 for s in scores)


def test_journal_documents_are_readable_norwegian_text(hospital: Hospital) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for document in hospital.of("DocumentReference"):
        kinds[document["type"]["coding"][0]["code"]] += 1
        attachment = document["content"][0]["attachment"]
        assert attachment["contentType"] == "text/plain; charset=utf-8"
        text = base64.b64decode(attachment["data"]).decode("utf-8")
        assert len(text) > 40 and "{" not in text
    assert set(kinds) == {"innkomstjournal", "daglig-notat", "sykepleienotat", "epikrise"}
    assert kinds["innkomstjournal"] == len(hospital.stays)


def test_admission_note_follows_the_journal_structure(hospital: Hospital) -> None:
    note = next(d for d in hospital.of("DocumentReference")
                if d["type"]["coding"][0]["code"] == "innkomstjournal")
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode("utf-8")
    for heading in ("Anamnese:", "Funn:", "Vurdering:", "Plan:"):
        assert heading in text


def test_critical_information_is_flagged(large_hospital: Hospital) -> None:
    flagged = {f["subject"]["reference"] for f in large_hospital.of("Flag")}
    admitted = {s["subject"]["reference"] for s in large_hospital.stays}
    others = len(large_hospital.of("Patient")) - len(admitted)
    assert 0.03 <= len(flagged & admitted) / len(admitted) <= 0.25
    assert 0.005 <= len(flagged - admitted) / others <= 0.03
    entries: dict[str, int] = defaultdict(int)
    for allergy in large_hospital.of("AllergyIntolerance"):
        if allergy["criticality"] == "high":
            entries[allergy["patient"]["reference"]] += 1
    for condition in large_hospital.of("Condition"):
        if any(c["coding"][0]["code"] == t.CRITICAL_CONDITION for c in condition["category"]):
            entries[condition["subject"]["reference"]] += 1
    for device in large_hospital.of("Device"):
        entries[device["patient"]["reference"]] += 1
    assert set(entries) == flagged


def test_mild_allergies_are_common(large_hospital: Hospital) -> None:
    mild = {a["patient"]["reference"] for a in large_hospital.of("AllergyIntolerance")
            if a["criticality"] == "low"}
    assert 0.08 <= len(mild) / len(large_hospital.of("Patient")) <= 0.2


def test_most_admitted_patients_have_a_treatment_plan_and_diagnosis(hospital: Hospital) -> None:
    planned = {c["subject"]["reference"] for c in hospital.of("CarePlan")}
    admitted = {s["subject"]["reference"] for s in hospital.stays}
    assert len(planned & admitted) / len(admitted) > 0.7
    for stay in hospital.stays:
        condition = hospital.by_ref[stay["diagnosis"][0]["condition"]["reference"]]
        assert condition["code"]["coding"][0] == {**stay["reasonCode"][0]["coding"][0]}
        assert condition["code"]["coding"][0]["system"] == t.ICD10
