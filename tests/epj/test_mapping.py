"""Mapping FHIR JSON of people and places to domain models: patients, stays, wards and lists,
with hand-written resources that are odd but valid FHIR."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from mobile_app.domain.models import Gender, PatientSummary, Role
from mobile_app.epj import fhir, mapping
from mobile_app.epj.terminology import terms
from tests.support.fhir_samples import (
    CRITICAL,
    DNR,
    FNR,
    GSRN,
    JSON,
    NOW,
    PARTICIPATION,
    bundle,
    encounter,
    physical,
    place,
)

# ------------------------------------------------------------------ FHIR reading helpers


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-24T13:39:38+01:00", datetime(2026, 11, 24, 13, 39, 38, tzinfo=timezone(timedelta(hours=1)))),
    ("2026-11-24T12:39:38Z", datetime(2026, 11, 24, 12, 39, 38, tzinfo=UTC)),
    ("2026-11-24T12:39:38.123Z", datetime(2026, 11, 24, 12, 39, 38, 123000, tzinfo=UTC)),
    ("2026-11-24T12:39:38", datetime(2026, 11, 24, 12, 39, 38, tzinfo=UTC)),
    ("2026-11-24", datetime(2026, 11, 24, tzinfo=UTC)),
    ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
    ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
    ("not a date", None),
    (None, None),
    (20261124, None),
])
def test_instants_are_read_as_aware_datetimes(value: Any, expected: datetime | None) -> None:
    assert fhir.parse_instant(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("1960-09-04", date(1960, 9, 4)), ("1960-09", None), ("1960", None), ("", None), (None, None),
    ("1960-13-01", None),
])
def test_birth_dates_must_be_whole_dates(value: Any, expected: date | None) -> None:
    assert fhir.parse_date(value) == expected


@pytest.mark.parametrize(("reference", "type_", "expected"), [
    ({"reference": "Patient/p1"}, "Patient", "p1"),
    ({"reference": "http://epj.example/fhir/Patient/p1"}, "Patient", "p1"),
    ({"reference": "Patient/p1/_history/3"}, "Patient", "p1"),
    ({"reference": "Practitioner/p1"}, "Patient", None),
    ({"reference": "#contained"}, None, None),
    ({"reference": "urn:uuid:1234"}, None, None),
    ({"display": "Kari Nordmann"}, None, None),
    ({}, None, None),
    ("Patient/p1", None, None),
])
def test_references_name_an_id_only_when_literal(reference: Any, type_: str | None,
                                                 expected: str | None) -> None:
    assert fhir.reference_id(reference, type_) == expected


def test_concept_text_prefers_text_then_display_then_code() -> None:
    assert fhir.concept_text({"text": "Blodtrykk", "coding": [{"display": "BP"}]}) == "Blodtrykk"
    assert fhir.concept_text({"coding": [{"code": "X"}, {"display": "Shown"}]}) == "Shown"
    assert fhir.concept_text({"coding": [{"code": "X"}]}) == "X"
    assert fhir.concept_text({}) is None
    assert fhir.concept_text("text") is None


def test_malformed_list_elements_are_skipped() -> None:
    resource = {"name": ["Kari", {"family": "Nordmann"}], "identifier": {"system": FNR, "value": "1"}}
    assert fhir.objects(resource, "name") == [{"family": "Nordmann"}]
    assert fhir.identifier_value(resource, FNR) == "1"
    assert fhir.objects(resource, "missing") == []


# ------------------------------------------------------------------ patients


def test_a_complete_patient_maps_to_a_summary() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-09-04",
               "name": [{"use": "official", "family": "Strand", "given": ["Gerd", "Anne"]}],
               "identifier": [{"system": FNR, "value": "04896008620"},
                              {"system": GSRN, "value": "708000000000000012"}]}
    summary = mapping.patient_summary(patient)
    assert summary == PatientSummary(id="p1", family="Strand", given="Gerd Anne", birth_date=date(1960, 9, 4),
                                     gender=Gender.FEMALE, identifier="04896008620", identifier_system=FNR,
                                     gsrn="708000000000000012")
    assert summary.name == "Gerd Anne Strand"


@pytest.mark.parametrize(("names", "family", "given"), [
    ([], "", ""),
    ([{"family": "Strand"}], "Strand", ""),
    ([{"given": ["Gerd"]}], "", "Gerd"),
    ([{"text": "Gerd Anne Strand"}], "Strand", "Gerd Anne"),
    ([{"text": "Cher"}], "Cher", ""),
    ([{"use": "old", "family": "Hansen", "given": ["Gerd"]},
      {"use": "official", "family": "Strand", "given": ["Gerd"]}], "Strand", "Gerd"),
    ([{"use": "usual", "family": "Lund"}, {"use": "official", "family": "Jacobsen Lund"}],
     "Jacobsen Lund", ""),
    ([{"family": "Ny", "period": {"end": "2020-01-01"}}, {"family": "Navn"}], "Navn", ""),
])
def test_odd_names_still_give_family_and_given(names: list[JSON], family: str, given: str) -> None:
    summary = mapping.patient_summary({"resourceType": "Patient", "id": "p1", "name": names})
    assert (summary.family, summary.given) == (family, given)


def test_a_patient_without_birth_date_gender_or_known_identifiers() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "mann",
               "identifier": [{"system": "urn:oid:9.9.9", "value": "X1"}, {"value": "no system"}]}
    summary = mapping.patient_summary(patient)
    assert summary.birth_date is None and summary.age(date(2026, 1, 1)) is None
    assert summary.gender is Gender.UNKNOWN
    assert summary.identifier is None and summary.identifier_system is None and summary.gsrn is None


def test_a_d_number_is_the_identifier_when_there_is_no_fodselsnummer() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": DNR, "value": "41017012345"}]}
    summary = mapping.patient_summary(patient)
    assert (summary.identifier, summary.identifier_system) == ("41017012345", DNR)


@pytest.mark.parametrize(("value", "role"), [
    ("doctor", Role.DOCTOR), ("nurse", Role.NURSE), ("auditor", Role.AUDITOR), ("porter", Role.OTHER),
    (None, Role.OTHER),
])
def test_roles(value: Any, role: Role) -> None:
    assert mapping.role(value) is role


def test_norwegian_names_sort_with_ae_oe_aa_last() -> None:
    names = ["Åsen", "Østby", "Ærø", "Zahl", "aas", "Eide", "Ekström", "Élise"]
    assert sorted(names, key=mapping.collation_key) == ["aas", "Eide", "Ekström", "Élise", "Zahl", "Ærø",
                                                        "Østby", "Åsen"]


# ------------------------------------------------------------------ stays


@pytest.mark.parametrize(("name", "label"), [
    ("Rom 3 seng 2", "3-2"), ("rom 10 seng 1", "10-1"), ("Rom 03, seng 02", "3-2"),
    ("Korridor", None), ("", None), (None, None),
])
def test_bed_labels_come_from_bed_names(name: str | None, label: str | None) -> None:
    assert mapping.bed_label(name) == label


def test_the_current_stay_has_ward_bed_admission_and_reason() -> None:
    stay = mapping.current_stay(encounter(
        period={"start": "2026-11-24T13:39:38+01:00"},
        reasonCode=[{"coding": [{"code": "S72.0", "display": "Lårhalsbrudd"}]}],
        location=[place("Location/ward-orto", "Ortopedisk sengepost", "wa"),
                  place("Location/bed-9-4", "Rom 9 seng 4", "bd")]))
    assert (stay.ward_id, stay.ward_name) == ("ward-orto", "Ortopedisk sengepost")
    assert (stay.bed_id, stay.bed_name, stay.bed_label) == ("bed-9-4", "Rom 9 seng 4", "9-4")
    assert stay.admitted == datetime(2026, 11, 24, 12, 39, 38, tzinfo=UTC)
    assert stay.reason == "Lårhalsbrudd"


def test_places_without_physical_type_are_known_by_id_and_name() -> None:
    stay = mapping.current_stay(encounter(location=[
        place("Location/ward-med", "Medisinsk sengepost"), place("Location/x17", "Rom 3 seng 2")]))
    assert stay.ward_id == "ward-med" and stay.bed_id == "x17" and stay.bed_label == "3-2"


def test_an_explicit_ward_wins_over_a_guess_from_the_id() -> None:
    stay = mapping.current_stay(encounter(location=[
        place("Location/ward-med-r03-b2", "Vindusplassen"), place("Location/ward-med", "Medisinsk", "wa")]))
    assert (stay.ward_id, stay.bed_id) == ("ward-med", None)


def test_known_locations_give_names_and_aliases_missing_from_the_stay() -> None:
    locations = {"Location/b1": {"resourceType": "Location", "id": "b1", "name": "Seng ved vinduet",
                                 "alias": ["3-2"], "physicalType": physical("bd")},
                 "Location/w1": {"resourceType": "Location", "id": "w1", "name": "Hjerteposten",
                                 "physicalType": physical("wa")}}
    stay = mapping.current_stay(encounter(location=[place("Location/w1"), place("Location/b1")]), locations)
    assert (stay.ward_name, stay.bed_name, stay.bed_label) == ("Hjerteposten", "Seng ved vinduet", "3-2")


def test_a_transfer_leaves_only_the_current_places() -> None:
    stay = mapping.current_stay(encounter(location=[
        place("Location/ward-kir", "Kirurgisk sengepost", "wa", status="completed"),
        place("Location/k-1-1", "Rom 1 seng 1", "bd", status="completed"),
        place("Location/ward-med", "Medisinsk sengepost", "wa"),
        place("Location/m-4-2", "Rom 4 seng 2", "bd")]))
    assert (stay.ward_id, stay.bed_label) == ("ward-med", "4-2")


def test_a_stay_without_location_or_with_display_only_references() -> None:
    bare = mapping.current_stay(encounter())
    assert bare.ward_id is None and bare.bed_id is None and bare.admitted is None and bare.reason is None
    display_only = mapping.current_stay(encounter(location=[place(None, "Akuttmottaket", "wa")]))
    assert (display_only.ward_id, display_only.ward_name) == (None, "Akuttmottaket")


def test_a_subsetted_stay_has_no_reason() -> None:
    subsetted = encounter(meta={"tag": [{"code": "SUBSETTED"}]},
                          location=[place("Location/ward-med", "Medisinsk sengepost", "wa")])
    assert fhir.is_subsetted(subsetted)
    stay = mapping.current_stay(subsetted)
    assert stay.reason is None and stay.ward_name == "Medisinsk sengepost"
    assert mapping.stay(subsetted).responsible is None


def test_the_attending_doctor_comes_from_display_or_the_included_practitioner() -> None:
    atnd = {"coding": [{"system": PARTICIPATION, "code": "ATND"}]}
    nurse = {"coding": [{"system": PARTICIPATION, "code": "PPRF"}]}
    with_display = encounter(participant=[
        {"type": [nurse], "individual": {"reference": "Practitioner/n1", "display": "Sykepleier"}},
        {"type": [atnd], "individual": {"display": "Line Sæther"}}])
    assert mapping.attending(with_display) == "Line Sæther"
    without = encounter(participant=[{"type": [atnd], "individual": {"reference": "Practitioner/d1"}}])
    assert mapping.attending(without) is None
    practitioners = {"Practitioner/d1": {"resourceType": "Practitioner", "id": "d1",
                                         "name": [{"family": "Andersen", "given": ["Dag"]}]}}
    assert mapping.attending(without, practitioners) == "Dag Andersen"


def test_a_finished_stay_keeps_its_completed_places_and_kind() -> None:
    finished = encounter(status="finished", type=[{"text": "Poliklinisk konsultasjon"}],
                         period={"start": "2020-04-12T01:36:04+02:00", "end": "2020-04-12T02:21:04+02:00"},
                         location=[place("Location/ward-med", "Medisinsk sengepost", "wa",
                                         status="completed")])
    stay = mapping.stay(finished)
    assert (stay.status, stay.kind, stay.kind_text) == ("finished", "IMP", "Poliklinisk konsultasjon")
    assert stay.end is not None and stay.ward_name == "Medisinsk sengepost"


def test_stays_are_listed_newest_first_without_errors() -> None:
    stays = mapping.stays_newest_first([
        encounter("old", status="finished", period={"start": "2020-01-01"}),
        encounter("none", status="finished"),
        encounter("new", period={"start": "2026-11-01"}),
        encounter("wrong", status="entered-in-error", period={"start": "2026-11-02"})])
    assert [s.id for s in stays] == ["new", "old", "none"]


def test_the_current_stay_is_the_in_progress_one() -> None:
    current = mapping.current_encounters([
        encounter("a", "p1", status="finished"), encounter("b", "p1", period={"start": "2026-11-01"}),
        encounter("c", "p1", period={"start": "2026-11-05"}), encounter("d", "p2"),
        {"resourceType": "Encounter", "id": "e", "status": "in-progress"}])
    assert {p: e["id"] for p, e in current.items()} == {"p1": "c", "p2": "d"}


# ------------------------------------------------------------------ searches, wards and lists


def test_a_patient_search_sorts_by_name_and_attaches_current_stays() -> None:
    found = mapping.patient_search(bundle(
        {"resourceType": "Patient", "id": "p1", "name": [{"family": "Østby", "given": ["Ola"]}]},
        {"resourceType": "Patient", "id": "p2", "name": [{"family": "Berg", "given": ["Åse"]}]},
        {"resourceType": "Patient", "id": "p3", "name": [{"family": "Berg", "given": ["Anne"]}]},
        include=(encounter("e1", "p1", location=[place("Location/ward-med", "Medisinsk", "wa")]),
                 encounter("e2", "p2", status="finished"))))
    assert [p.id for p in found] == ["p3", "p2", "p1"]
    assert found[2].stay is not None and found[2].stay.ward_name == "Medisinsk"
    assert found[0].stay is None and found[1].stay is None


def test_subsetted_included_stays_still_give_ward_and_bed() -> None:
    searched = bundle({"resourceType": "Patient", "id": "p1"}, {"resourceType": "Patient", "id": "p2"},
                      include=(encounter("e1", "p1", status="finished"),
                               encounter("e2", "p2", meta={"tag": [{"code": "SUBSETTED"}]})))
    found = mapping.patient_search(searched)
    assert [p.stay.encounter_id if p.stay else None for p in found] == [None, "e2"]


def test_my_wards_come_from_roles_and_included_locations() -> None:
    roles = bundle(
        {"resourceType": "PractitionerRole", "id": "r1",
         "location": [{"reference": "Location/ward-med"},
                      {"reference": "Location/ward-x", "display": "X-post"}]},
        {"resourceType": "PractitionerRole", "id": "r2", "active": False,
         "location": [{"reference": "Location/ward-old", "display": "Gammel post"}]},
        {"resourceType": "PractitionerRole", "id": "r3", "location": [{"display": "Uten referanse"}]},
        include=({"resourceType": "Location", "id": "ward-med", "name": "Medisinsk sengepost"},))
    assert [(w.id, w.name) for w in mapping.wards(roles)] == [("ward-med", "Medisinsk sengepost"),
                                                               ("ward-x", "X-post")]


def _ward(rooms: dict[int, int], ward: str = "w") -> list[JSON]:
    locations: list[JSON] = []
    for room, beds in rooms.items():
        locations.append({"resourceType": "Location", "id": f"{ward}-r{room}", "name": f"Rom {room}",
                          "physicalType": physical("ro"), "partOf": {"reference": f"Location/{ward}"}})
        for bed in range(1, beds + 1):
            locations.append({"resourceType": "Location", "id": f"{ward}-r{room}-b{bed}",
                              "name": f"Rom {room} seng {bed}", "alias": [f"{room}-{bed}"],
                              "physicalType": physical("bd"),
                              "partOf": {"reference": f"Location/{ward}-r{room}"}})
    return locations


def _admitted(patient: str, bed: str | None, **extra: Any) -> JSON:
    places = [place("Location/w", "Posten", "wa")]
    if bed:
        places.append(place(f"Location/{bed}", None, "bd"))
    return encounter(f"enc-{patient}", patient, location=places, **extra)


def test_the_ward_list_has_every_bed_in_room_order() -> None:
    locations = _ward({10: 1, 2: 2, 1: 1})
    patients = [{"resourceType": "Patient", "id": "p1", "name": [{"family": "A"}]},
                {"resourceType": "Patient", "id": "p2", "name": [{"family": "B"}]}]
    beds = mapping.ward_beds("w", locations, [
        _admitted("p1", "w-r2-b2", reasonCode=[{"text": "Sepsis"}], period={"start": "2026-11-27T10:00:00Z"}),
        _admitted("p2", "w-r10-b1")], patients, flagged={"p2", "p9"})
    assert [b.bed_label for b in beds] == ["1-1", "2-1", "2-2", "10-1"]
    assert [b.sort_key for b in beds] == [(1, 1), (2, 1), (2, 2), (10, 1)]
    assert [b.patient.id if b.patient else None for b in beds] == [None, None, "p1", "p2"]
    second = beds[2]
    assert second.reason == "Sepsis" and second.admitted == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert second.room_name == "Rom 2" and second.bed_name == "Rom 2 seng 2"
    assert second.patient is not None and second.patient.stay is not None
    assert second.patient.stay.bed_name == "Rom 2 seng 2" and second.patient.stay.bed_label == "2-2"
    assert [b.has_critical_info for b in beds] == [False, False, False, True]


def test_a_patient_on_the_ward_without_a_known_bed_is_listed_last() -> None:
    patients = [{"resourceType": "Patient", "id": "p1"}, {"resourceType": "Patient", "id": "p2"}]
    beds = mapping.ward_beds("w", _ward({1: 1}), [_admitted("p1", None), _admitted("p2", "elsewhere")],
                             patients, flagged=set())
    assert [b.patient.id if b.patient else None for b in beds] == [None, "p1", "p2"]
    assert beds[1].sort_key[0] == mapping.NO_BED_ROOM and beds[1].bed_id == ""
    assert beds[2].bed_id == "elsewhere"


def test_beds_without_numbers_or_aliases_still_get_labels_and_order() -> None:
    locations = [
        {"resourceType": "Location", "id": "room-a", "name": "Isolat", "partOf": {"reference": "Location/w"}},
        {"resourceType": "Location", "id": "bed-x", "name": "Vindu", "physicalType": physical("bd"),
         "partOf": {"reference": "Location/room-a"}},
        {"resourceType": "Location", "id": "bed-y", "name": "Dør", "status": "active",
         "partOf": {"reference": "Location/room-a"}},
        {"resourceType": "Location", "id": "bed-z", "name": "Stengt", "physicalType": physical("bd"),
         "partOf": {"reference": "Location/room-a"}, "status": "inactive"},
    ]
    beds = mapping.ward_beds("w", locations, [], [], set())
    assert [(b.bed_id, b.bed_label, b.room_name) for b in beds] == [("bed-x", "Vindu", "Isolat"),
                                                                      ("bed-y", "Dør", "Isolat")]


def test_critical_flags_are_active_critical_information_flags() -> None:
    category: JSON = {"coding": [{"system": CRITICAL, "code": "critical-information"}]}

    def flag(patient: str, status: str = "active", **extra: Any) -> JSON:
        return {"resourceType": "Flag", "status": status, "subject": {"reference": f"Patient/{patient}"},
                **extra}

    flags = [flag("a", category=[category]), flag("b", "inactive", category=[category]),
             flag("c", code={"text": "Smitte"}), flag("d", code=category)]
    assert mapping.critical_flag_patients(flags) == {"a", "d"}


def _recent(*patients: str, version: str = "4") -> JSON:
    return {"resourceType": "List", "id": "l1",
            "meta": {"versionId": version, "lastUpdated": "2026-11-28T08:00:00Z"},
            "status": "current", "mode": "working",
            "code": {"coding": [{"system": terms().list_code.system, "code": "recent-patients"}]},
            "entry": [{"item": {"reference": f"Patient/{p}"}} for p in patients]}


def test_my_patients_keep_the_list_order_and_version() -> None:
    in_care = bundle(encounter("e1", "p2", location=[place("Location/w", "Post", "wa")]),
                     include=({"resourceType": "Patient", "id": "p2", "name": [{"family": "B"}]},))
    recent = bundle(_recent("p3", "p2", "p3", "gone"),
                    include=({"resourceType": "Patient", "id": "p3", "name": [{"family": "C"}]},
                             {"resourceType": "Patient", "id": "p2", "name": [{"family": "B"}]}))
    mine = mapping.my_patients(in_care, recent)
    assert [p.id for p in mine.in_care] == ["p2"]
    assert [p.id for p in mine.recent] == ["p3", "p2"]
    assert mine.recent[1].stay is not None  # known from the stays I take part in
    assert (mine.recent_list_id, mine.recent_list_version) == ("l1", "4")
    assert mapping.my_patients(bundle(), bundle()).recent_list_id is None


def test_remembering_moves_the_patient_first_and_caps_the_list() -> None:
    listed = mapping.updated_recent_list(_recent("a", "b", "c"), "prac-1", "c", keep=20, now=NOW)
    assert mapping.list_patient_ids(listed) == ["c", "a", "b"]
    assert listed["id"] == "l1" and listed["date"] == "2026-11-28T09:30:00+00:00"
    capped = mapping.updated_recent_list(_recent("a", "b", "c"), "prac-1", "d", keep=2, now=NOW)
    assert mapping.list_patient_ids(capped) == ["d", "a"]


def test_a_new_recent_list_is_a_working_list_of_mine() -> None:
    created = mapping.updated_recent_list(None, "prac-1", "p1", keep=20, now=NOW)
    assert created["resourceType"] == "List" and "id" not in created
    assert (created["status"], created["mode"]) == ("current", "working")
    assert created["title"] == mapping.RECENT_LIST_TITLE
    assert created["source"] == {"reference": "Practitioner/prac-1"}
    assert fhir.has_code(created["code"], terms().list_code.system, "recent-patients")
    assert mapping.list_patient_ids(created) == ["p1"]


def test_the_newest_recent_list_wins_when_there_are_several() -> None:
    older, newer = _recent("a"), _recent("b")
    older["meta"]["lastUpdated"], newer["id"] = "2020-01-01T00:00:00Z", "l2"
    other = {**_recent("c"), "id": "l3", "code": {"text": "Annet"}}
    assert (mapping.recent_list(bundle(older, newer, other)) or {}).get("id") == "l2"
    assert mapping.recent_list(bundle()) is None
