"""The hospital's structure: organisations, wards, beds, staff, logins and who lies where."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from mock_epj import terminology as t
from tests.support.hospital import Hospital

WARDS = ("ward-med", "ward-kir", "ward-hjerte", "ward-orto", "ward-nevro", "ward-barn")


def physical_type(location: dict[str, Any]) -> str:
    return str(location["physicalType"]["coding"][0]["code"])


def test_the_hospital_lab_and_municipalities_exist(hospital: Hospital) -> None:
    names = {o["name"] for o in hospital.of("Organization")}
    assert "Fjordvik universitetssykehus HF" in names
    assert "Avdeling for medisinsk biokjemi" in names
    assert sum(name.endswith("kommune") for name in names) >= 3


@pytest.mark.parametrize("ward_id", WARDS)
def test_each_ward_has_ten_rooms_and_about_twenty_beds(hospital: Hospital, ward_id: str) -> None:
    ward = hospital.by_ref[f"Location/{ward_id}"]
    assert physical_type(ward) == "wa"
    assert ward["identifier"][0]["system"] == t.RESH
    rooms = [loc for loc in hospital.of("Location")
             if loc.get("partOf", {}).get("reference") == f"Location/{ward_id}"]
    assert [r["name"] for r in rooms] == [f"Rom {n}" for n in range(1, 11)]
    beds = [loc for loc in hospital.of("Location") if physical_type(loc) == "bd"
            and hospital.by_ref[loc["partOf"]["reference"]] in rooms]
    assert 20 <= len(beds) <= 24
    for room in rooms:
        in_room = [b for b in beds if b["partOf"]["reference"] == f"Location/{room['id']}"]
        assert 1 <= len(in_room) <= 4


def test_occupancy_is_about_seventy_percent(hospital: Hospital) -> None:
    beds = [loc for loc in hospital.of("Location") if physical_type(loc) == "bd"]
    assert 0.6 <= len(hospital.stays) / len(beds) <= 0.8


def test_every_stay_lists_its_ward_and_a_bed_on_that_ward(hospital: Hospital) -> None:
    used_beds = []
    for stay in hospital.stays:
        assert stay["class"]["code"] == "IMP" and stay["class"]["system"] == t.ACT_CODE
        places = [hospital.by_ref[entry["location"]["reference"]] for entry in stay["location"]]
        assert all(entry["status"] == "active" for entry in stay["location"])
        assert sorted(physical_type(p) for p in places) == ["bd", "wa"]
        ward = next(p for p in places if physical_type(p) == "wa")
        bed = next(p for p in places if physical_type(p) == "bd")
        room = hospital.by_ref[bed["partOf"]["reference"]]
        assert room["partOf"]["reference"] == f"Location/{ward['id']}"
        used_beds.append(bed["id"])
        attenders = [p for p in stay["participant"] if p["type"][0]["coding"][0]["code"] == "ATND"]
        assert len(attenders) == 1
    assert len(used_beds) == len(set(used_beds)), "two patients in one bed"


def test_each_patient_has_at_most_one_current_stay(hospital: Hospital) -> None:
    subjects = [s["subject"]["reference"] for s in hospital.stays]
    assert len(subjects) == len(set(subjects))


def _age(hospital: Hospital, patient_ref: str) -> float:
    born = date.fromisoformat(hospital.by_ref[patient_ref]["birthDate"])
    return float((hospital.now.date() - born).days / 365.25)


def test_children_lie_on_the_childrens_ward_and_adults_elsewhere(hospital: Hospital) -> None:
    for stay in hospital.stays:
        age = _age(hospital, stay["subject"]["reference"])
        if stay["location"][0]["location"]["reference"] == "Location/ward-barn":
            assert age < 18
        else:
            assert age >= 18


def test_inpatients_are_older_than_the_register(hospital: Hospital) -> None:
    adults = [_age(hospital, s["subject"]["reference"]) for s in hospital.stays
              if s["location"][0]["location"]["reference"] != "Location/ward-barn"]
    everyone = [_age(hospital, f"Patient/{p['id']}") for p in hospital.of("Patient")]
    assert sum(adults) / len(adults) > sum(everyone) / len(everyone) + 10


def test_stays_started_within_twenty_days_mostly_within_a_week(hospital: Hospital) -> None:
    days = [(hospital.now - datetime.fromisoformat(s["period"]["start"])).total_seconds() / 86400
            for s in hospital.stays]
    assert all(0 < d <= 21 for d in days)
    assert sum(d <= 7 for d in days) / len(days) > 0.7


def test_logins_all_use_pin_1234_and_are_unique(hospital: Hospital) -> None:
    usernames = [login.username for login in hospital.logins]
    assert len(usernames) == len(set(usernames)) >= 40
    assert {login.pin for login in hospital.logins} == {"1234"}
    assert all(f"Practitioner/{login.practitioner_id}" in hospital.by_ref
               for login in hospital.logins)


def test_named_logins_have_their_wards(hospital: Hospital) -> None:
    assert hospital.login("lege1").role == "doctor"
    assert hospital.login("spl1").role == "nurse"
    assert hospital.login("lege1").ward_ids == hospital.login("spl1").ward_ids == ("ward-med",)
    assert hospital.login("lege2").ward_ids == ("ward-kir",)
    revisor = hospital.login("revisor")
    assert revisor.role == "auditor" and revisor.ward_ids == ()
    assert hospital.login("hfa1").role == "health_worker" and hospital.login("hfa1").ward_ids == ("ward-med",)


def test_practitioner_roles_match_the_logins(hospital: Hospital) -> None:
    roles = {r["practitioner"]["reference"]: r for r in hospital.of("PractitionerRole")}
    for login in hospital.logins:
        role = roles[f"Practitioner/{login.practitioner_id}"]
        wards = tuple(loc["reference"].removeprefix("Location/") for loc in role.get("location", []))
        assert wards == login.ward_ids
        codings = {(c["system"], c["code"]) for concept in role["code"] for c in concept["coding"]}
        expected = {"doctor": {(t.PRACTITIONER_ROLE, "doctor"), (t.HPR_CATEGORY, "LE")},
                    "nurse": {(t.PRACTITIONER_ROLE, "nurse"), (t.HPR_CATEGORY, "SP")},
                    "health_worker": {(t.HPR_CATEGORY, "HF")},
                    "auditor": {(t.STAFF_ROLE, "auditor")}}[login.role]
        assert codings == expected


@pytest.mark.parametrize("ward_id", WARDS)
def test_every_ward_has_several_doctors_and_nurses(hospital: Hospital, ward_id: str) -> None:
    on_ward = [login for login in hospital.logins if ward_id in login.ward_ids]
    assert sum(login.role == "doctor" for login in on_ward) >= 2
    assert sum(login.role == "nurse" for login in on_ward) >= 3


def test_attending_doctors_work_on_the_ward(hospital: Hospital) -> None:
    wards = {f"Practitioner/{login.practitioner_id}": login.ward_ids for login in hospital.logins}
    for stay in hospital.stays:
        ward_id = stay["location"][0]["location"]["reference"].removeprefix("Location/")
        for participant in stay["participant"]:
            assert ward_id in wards[participant["individual"]["reference"]]


def test_some_patients_have_earlier_finished_encounters(hospital: Hospital) -> None:
    finished = [e for e in hospital.of("Encounter") if e["status"] == "finished"]
    assert {e["class"]["code"] for e in finished} == {"IMP", "AMB"}
    assert all("end" in e["period"] for e in finished)


def test_most_admitted_patients_have_next_of_kin(hospital: Hospital) -> None:
    admitted = {s["subject"]["reference"] for s in hospital.stays}
    with_kin = {r["patient"]["reference"] for r in hospital.of("RelatedPerson")}
    assert len(admitted & with_kin) / len(admitted) > 0.75
    for relative in hospital.of("RelatedPerson"):
        systems = {c["coding"][0]["system"] for c in relative["relationship"]}
        assert systems == {t.ROLE_CODE, t.CONTACT_ROLE}


def test_children_have_parents_as_next_of_kin(hospital: Hospital) -> None:
    for relative in hospital.of("RelatedPerson"):
        if _age(hospital, relative["patient"]["reference"]) < 18:
            assert relative["relationship"][0]["coding"][0]["code"] in ("MTH", "FTH")
