"""FHIR JSON to domain models for people and places: patients, stays, wards, beds and my lists.

Pure functions: they take parsed resources (and Bundles) and return the models of
``mobile_app.domain.models``; the clinical record is mapped in ``clinical.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mobile_app.domain.models import (
    CurrentStay,
    Gender,
    MyPatients,
    PatientSummary,
    Role,
    Stay,
    Ward,
    WardBed,
)
from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms

RECENT_LIST_TITLE = "Nylig åpnede pasienter"
NO_BED_ROOM = 10**6  # sort key of patients on a ward without a known bed: after every room

_BED_NAME = re.compile(r"^\s*rom\s+(\d+)\s*,?\s*seng\s+(\d+)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_NORWEGIAN_LAST = str.maketrans({"æ": "{0", "ä": "{0", "ø": "{1", "ö": "{1", "å": "{2"})


# ------------------------------------------------------------------ sorting


def collation_key(value: str) -> str:
    """Sort text the Norwegian way: case- and accent-insensitive, with æ ø å after z."""
    folded = value.casefold().translate(_NORWEGIAN_LAST)
    return "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))


def _name_order(patient: PatientSummary) -> tuple[str, str, str]:
    return collation_key(patient.family), collation_key(patient.given), patient.id


def sort_by_name(patients: Iterable[PatientSummary]) -> list[PatientSummary]:
    return sorted(patients, key=_name_order)


# ------------------------------------------------------------------ patients


def gender(value: Any) -> Gender:
    try:
        return Gender(value)
    except ValueError:
        return Gender.UNKNOWN


def role(value: Any) -> Role:
    """The role named in the login answer (a fallback: the EPJ's PractitionerRole decides)."""
    try:
        return Role(value)
    except ValueError:
        return Role.OTHER


# PractitionerRole.code -> role: the HPR register's categories (LE lege, SP sykepleier, HF
# helsefagarbeider) and HL7's practitioner-role codes; the hospital's own staff roles are in the
# terminology profile.
_STANDARD_ROLE_CODES: dict[tuple[str, str], Role] = {
    (fhir.HPR_CATEGORY, "LE"): Role.DOCTOR, (fhir.HPR_CATEGORY, "SP"): Role.NURSE,
    (fhir.HPR_CATEGORY, "HF"): Role.HEALTH_WORKER,
    (fhir.PRACTITIONER_ROLE, "doctor"): Role.DOCTOR, (fhir.PRACTITIONER_ROLE, "nurse"): Role.NURSE,
}
# When a person holds several roles, the one that may do most counts (a doctor who is also a nurse).
_ROLE_RANK = (Role.DOCTOR, Role.NURSE, Role.HEALTH_WORKER, Role.AUDITOR)


def practitioner_role(roles: Iterable[JSON]) -> Role | None:
    """The role from a practitioner's active PractitionerRoles; None when no code is one we know."""
    staff = terms().staff_role
    known_codes = {**_STANDARD_ROLE_CODES, (staff.system, staff.auditor.code): Role.AUDITOR}
    found: set[Role] = set()
    for resource in roles:
        if resource.get("active") is False:
            continue
        for concept in fhir.objects(resource, "code"):
            for coding in fhir.codings(concept):
                known = known_codes.get((str(coding.get("system", "")), str(coding.get("code", ""))))
                if known is not None:
                    found.add(known)
    return next((r for r in _ROLE_RANK if r in found), None)


def patient_summary(patient: JSON, stay: CurrentStay | None = None) -> PatientSummary:
    family, given = fhir.family_and_given(patient)
    system = next((s for s in fhir.PERSON_IDENTIFIER_SYSTEMS if fhir.identifier_value(patient, s)), None)
    return PatientSummary(
        id=str(patient.get("id", "")),
        family=family,
        given=given,
        birth_date=fhir.parse_date(patient.get("birthDate")),
        gender=gender(patient.get("gender")),
        identifier=fhir.identifier_value(patient, system) if system else None,
        identifier_system=system,
        gsrn=fhir.identifier_value(patient, fhir.GSRN),
        stay=stay,
    )


# ------------------------------------------------------------------ stays


@dataclass(frozen=True)
class Place:
    """One place of an Encounter.location: a ward or a bed."""

    id: str | None
    name: str | None
    label: str | None = None


def bed_label(bed_name: str | None) -> str | None:
    """The short form of a bed name: "Rom 3 seng 2" -> "3-2"."""
    match = _BED_NAME.match(bed_name or "")
    return f"{int(match.group(1))}-{int(match.group(2))}" if match else None


def _physical_type(place: JSON, location: JSON | None) -> str | None:
    code = fhir.code_of(fhir.obj(place, "physicalType"), fhir.LOCATION_PHYSICAL_TYPE)
    if code is None and location is not None:
        code = fhir.code_of(fhir.obj(location, "physicalType"), fhir.LOCATION_PHYSICAL_TYPE)
    return code


def stay_places(encounter: JSON, locations: Mapping[str, JSON] | None = None
                ) -> tuple[Place | None, Place | None]:
    """(ward, bed) of a stay: the places with physical type ``wa`` and ``bd``.

    Only the current places count while there are any (a transfer leaves completed ones behind).
    Without a physical type, a place is known from ``locations`` (``Location/id`` -> resource), a
    bed by its name, and a ward by an id ``ward-*``.
    """
    locations = locations or {}
    places = fhir.objects(encounter, "location")
    current = [p for p in places if p.get("status") in (None, "active", "planned")
               and fhir.period_end(p) is None]
    typed: list[tuple[str | None, Place]] = []
    for place in current or places:
        reference = fhir.obj(place, "location")
        location = locations.get(fhir.reference_key(reference) or "")
        name = fhir.display(reference) or fhir.text(location, "name")
        aliases = fhir.strings(location, "alias")
        typed.append((_physical_type(place, location),
                      Place(fhir.reference_id(reference, "Location"), name,
                            aliases[0] if aliases else bed_label(name))))
    untyped = [p for kind, p in typed if kind is None]
    beds = [p for kind, p in typed if kind == "bd"] or [p for p in untyped if bed_label(p.name)]
    bed = beds[-1] if beds else None
    untyped = [p for p in untyped if p is not bed]
    wards = ([p for kind, p in typed if kind == "wa"]
             or [p for p in untyped if (p.id or "").startswith("ward-")] or untyped[:1])
    ward = wards[-1] if wards else None
    return (Place(ward.id, ward.name) if ward else None), bed


def reason(encounter: JSON) -> str | None:
    """Why the patient is here (None when the server left the reasons out)."""
    return fhir.first(fhir.concept_text(c) for c in fhir.objects(encounter, "reasonCode"))


def current_stay(encounter: JSON, locations: Mapping[str, JSON] | None = None) -> CurrentStay:
    ward, bed = stay_places(encounter, locations)
    return CurrentStay(
        encounter_id=str(encounter.get("id", "")),
        ward_id=ward.id if ward else None,
        ward_name=ward.name if ward else None,
        bed_id=bed.id if bed else None,
        bed_name=bed.name if bed else None,
        bed_label=bed.label if bed else None,
        admitted=fhir.period_start(encounter),
        reason=reason(encounter),
    )


def current_encounters(encounters: Iterable[JSON]) -> dict[str, JSON]:
    """Patient id -> that patient's in-progress Encounter (the latest one, should there be two)."""
    current: dict[str, JSON] = {}
    for encounter in encounters:
        patient_id = fhir.reference_id(fhir.obj(encounter, "subject"), "Patient")
        if encounter.get("status") != "in-progress" or patient_id is None:
            continue
        known = current.get(patient_id)
        if known is None or _start_key(encounter) > _start_key(known):
            current[patient_id] = encounter
    return current


def _start_key(encounter: JSON) -> float:
    start = fhir.period_start(encounter)
    return start.timestamp() if start else float("-inf")


def attending(encounter: JSON, practitioners: Mapping[str, JSON] | None = None) -> str | None:
    """The attending doctor (participant type ATND): the reference's display, else the name of
    the Practitioner from ``practitioners`` (``Practitioner/id`` -> resource)."""
    for participant in fhir.objects(encounter, "participant"):
        if fhir.has_code_in(fhir.objects(participant, "type"), fhir.PARTICIPATION_TYPE, "ATND"):
            individual = fhir.obj(participant, "individual")
            practitioner = (practitioners or {}).get(fhir.reference_key(individual) or "")
            name = fhir.display(individual) or (fhir.person_name(practitioner) if practitioner else None)
            if name:
                return name
    return None


def stay(encounter: JSON, practitioners: Mapping[str, JSON] | None = None,
         locations: Mapping[str, JSON] | None = None) -> Stay:
    ward, bed = stay_places(encounter, locations)
    encounter_class = fhir.obj(encounter, "class")
    return Stay(
        id=str(encounter.get("id", "")),
        status=fhir.text(encounter, "status") or "unknown",
        kind=fhir.text(encounter_class, "code") or "",
        kind_text=fhir.first([*(fhir.concept_text(t) for t in fhir.objects(encounter, "type")),
                              fhir.text(encounter_class, "display")]),
        start=fhir.period_start(encounter),
        end=fhir.period_end(encounter),
        ward_name=ward.name if ward else None,
        bed_name=bed.name if bed else None,
        reason=reason(encounter),
        responsible=attending(encounter, practitioners),
    )


def stays_newest_first(encounters: Iterable[JSON], practitioners: Mapping[str, JSON] | None = None
                       ) -> list[Stay]:
    ordered = sorted(encounters, key=_start_key, reverse=True)
    return [stay(e, practitioners) for e in ordered if e.get("status") != "entered-in-error"]


# ------------------------------------------------------------------ searches and lists


def patients_with_stays(patients: Iterable[JSON], encounters: Iterable[JSON],
                        locations: Mapping[str, JSON] | None = None) -> dict[str, PatientSummary]:
    """Patient id -> summary, with the current stay from the in-progress Encounters given."""
    current = current_encounters(encounters)
    summaries: dict[str, PatientSummary] = {}
    for patient in patients:
        patient_id = str(patient.get("id", ""))
        encounter = current.get(patient_id)
        summaries[patient_id] = patient_summary(
            patient, current_stay(encounter, locations) if encounter else None)
    return summaries


def patient_search(bundle: JSON) -> list[PatientSummary]:
    """A Patient searchset with ``_revinclude=Encounter:patient``, sorted by family, given."""
    patients = fhir.of_type(bundle, "Patient", "match")
    found = patients_with_stays(patients, fhir.of_type(bundle, "Encounter"))
    return sort_by_name(found.values())


def wards(bundle: JSON) -> list[Ward]:
    """The wards of a PractitionerRole searchset with ``_include=PractitionerRole:location``,
    sorted by name (a Location that was not included is named by the reference's display)."""
    resources = fhir.by_key(bundle)
    found: dict[str, Ward] = {}
    for practitioner_role in fhir.of_type(bundle, "PractitionerRole", "match"):
        if practitioner_role.get("active") is False:
            continue
        for reference in fhir.objects(practitioner_role, "location"):
            location_id = fhir.reference_id(reference, "Location")
            location = resources.get(f"Location/{location_id}", {})
            name = fhir.text(location, "name") or fhir.display(reference)
            if location_id and name and location.get("status") != "inactive":
                found[location_id] = Ward(id=location_id, name=name)
    return sorted(found.values(), key=lambda w: (collation_key(w.name), w.id))


def recent_list(bundle: JSON) -> JSON | None:
    """The practitioner's recent-patients List from a List searchset (the newest, if several)."""
    codes = terms().list_code
    lists = [r for r in fhir.of_type(bundle, "List", "match")
             if fhir.has_code(fhir.obj(r, "code"), codes.system, codes.recent_patients.code)]
    lists.sort(key=lambda r: fhir.text(fhir.obj(r, "meta"), "lastUpdated") or "", reverse=True)
    return lists[0] if lists else None


def list_patient_ids(list_resource: JSON | None) -> list[str]:
    """The patients of a List in entry order, without deleted entries or repeats."""
    ids: list[str] = []
    for entry in fhir.objects(list_resource, "entry"):
        patient_id = fhir.reference_id(fhir.obj(entry, "item"), "Patient")
        if patient_id and entry.get("deleted") is not True and patient_id not in ids:
            ids.append(patient_id)
    return ids


def recent_without_stay(encounter_bundle: JSON, list_bundle: JSON) -> list[str]:
    """Recently opened patients that are not in my care: their current stay is not yet known."""
    in_care = {fhir.reference_id(fhir.obj(e, "subject"), "Patient")
               for e in fhir.of_type(encounter_bundle, "Encounter", "match")}
    listed = {r.get("id") for r in fhir.of_type(list_bundle, "Patient")}
    return [pid for pid in list_patient_ids(recent_list(list_bundle)) if pid in listed and pid not in in_care]


def my_patients(encounter_bundle: JSON, list_bundle: JSON, stays: Iterable[JSON] = ()) -> MyPatients:
    """In-care patients (sorted by name) and recent patients (in the List's order, newest first),
    the latter with their current stays from ``stays``."""
    in_care = patients_with_stays(fhir.of_type(encounter_bundle, "Patient"),
                                  fhir.of_type(encounter_bundle, "Encounter", "match"))
    recent = recent_list(list_bundle)
    listed = patients_with_stays(fhir.of_type(list_bundle, "Patient"), list(stays))
    recent_patients = [in_care.get(pid) or listed[pid] for pid in list_patient_ids(recent) if pid in listed]
    return MyPatients(
        in_care=tuple(sort_by_name(in_care.values())),
        recent=tuple(recent_patients),
        recent_list_id=str(recent["id"]) if recent and recent.get("id") else None,
        recent_list_version=fhir.version_id(recent) if recent else None,
    )


def updated_recent_list(current: JSON | None, practitioner_id: str, patient_id: str, keep: int,
                        now: datetime) -> JSON:
    """The recent-patients List with ``patient_id`` first (moved, not repeated), at most ``keep``."""
    stamp = now.isoformat(timespec="seconds")
    old = [e for e in fhir.objects(current, "entry")
           if fhir.reference_id(fhir.obj(e, "item"), "Patient") not in (None, patient_id)
           and e.get("deleted") is not True]
    entry = [{"item": {"reference": f"Patient/{patient_id}"}, "date": stamp}, *old][:max(keep, 1)]
    resource: JSON = dict(current) if current else {
        "resourceType": "List",
        "status": "current",
        "mode": "working",
        "title": RECENT_LIST_TITLE,
        "code": {"coding": [terms().list_code.coding(terms().list_code.recent_patients)]},
        "source": {"reference": f"Practitioner/{practitioner_id}"},
    }
    resource["date"] = stamp
    resource["entry"] = entry
    return resource


# ------------------------------------------------------------------ the ward list


def _number(value: str | None, last: bool = False) -> int | None:
    numbers = _NUMBER.findall(value or "")
    return int(numbers[-1 if last else 0]) if numbers else None


def _is_type(location: JSON, code: str) -> bool:
    return fhir.code_of(fhir.obj(location, "physicalType"), fhir.LOCATION_PHYSICAL_TYPE) == code


def ward_beds(ward_id: str, locations: Iterable[JSON], encounters: Iterable[JSON],
              patients: Iterable[JSON], flagged: set[str]) -> list[WardBed]:
    """Every bed of a ward in room order, with the patient lying in it.

    ``locations`` are the ward's rooms and beds, ``encounters`` the in-progress stays on the ward,
    ``patients`` their Patients and ``flagged`` the ids of patients with critical information.
    Patients on the ward whose bed is unknown come last, so that nobody drops off the list.
    """
    encounters = list(encounters)
    places = [loc for loc in locations if loc.get("status") != "inactive" and loc.get("id")]
    by_key = {fhir.key(loc): loc for loc in places}
    ward_ref = f"Location/{ward_id}"
    rooms = {fhir.key(loc): loc for loc in places
             if fhir.reference_key(fhir.obj(loc, "partOf")) == ward_ref and not _is_type(loc, "bd")}
    beds = [loc for loc in places if _is_type(loc, "bd") or (
        fhir.reference_key(fhir.obj(loc, "partOf")) in rooms and not _is_type(loc, "ro"))]
    room_order = sorted(rooms, key=lambda k: (_number(fhir.text(rooms[k], "name")) or 10**5,
                                              collation_key(fhir.text(rooms[k], "name") or "")))
    summaries = patients_with_stays(patients, encounters, by_key)
    occupant: dict[str, tuple[PatientSummary, JSON]] = {}
    homeless: list[tuple[PatientSummary, JSON]] = []
    for patient_id, encounter in current_encounters(encounters).items():
        summary = summaries.get(patient_id)
        if summary is None:
            continue
        bed_id = summary.stay.bed_id if summary.stay else None
        if bed_id and f"Location/{bed_id}" in by_key and bed_id not in occupant:
            occupant[bed_id] = (summary, encounter)
        else:
            homeless.append((summary, encounter))

    result: list[WardBed] = []
    for index, bed in enumerate(beds):
        room_key = fhir.reference_key(fhir.obj(bed, "partOf")) or ""
        room = rooms.get(room_key, {})
        name = fhir.text(bed, "name") or str(bed["id"])
        aliases = fhir.strings(bed, "alias")
        room_number = _number(fhir.text(room, "name")) or (
            room_order.index(room_key) + 1 if room_key in rooms else 0)
        result.append(_bed(
            WardBed(bed_id=str(bed["id"]), bed_name=name,
                    bed_label=aliases[0] if aliases else (bed_label(name) or name),
                    room_name=fhir.text(room, "name") or "",
                    sort_key=(room_number, _number(name, last=True) or index + 1)),
            occupant.get(str(bed["id"])), flagged))
    for index, (patient, encounter) in enumerate(sorted(homeless, key=lambda p: _name_order(p[0]))):
        known = patient.stay or CurrentStay(encounter_id="")
        unknown_bed = WardBed(bed_id=known.bed_id or "", bed_name=known.bed_name or "",
                              bed_label=known.bed_label or "", room_name="",
                              sort_key=(NO_BED_ROOM, index))
        result.append(_bed(unknown_bed, (patient, encounter), flagged))
    return sorted(result, key=lambda b: (b.sort_key, collation_key(b.bed_name)))


def _bed(bed: WardBed, occupant: tuple[PatientSummary, JSON] | None, flagged: set[str]) -> WardBed:
    if occupant is None:
        return bed
    patient, encounter = occupant
    return bed.model_copy(update={
        "patient": patient, "reason": reason(encounter), "admitted": fhir.period_start(encounter),
        "has_critical_info": patient.id in flagged,
    })


def critical_flag_patients(flags: Iterable[JSON]) -> set[str]:
    """Patients with an active critical-information Flag."""
    critical = terms().critical_information
    found: set[str] = set()
    for flag in flags:
        concepts = [*fhir.objects(flag, "category"), fhir.obj(flag, "code")]
        if flag.get("status", "active") == "active" and fhir.has_code_in(
                concepts, critical.system, critical.flag.code):
            patient_id = fhir.reference_id(fhir.obj(flag, "subject"), "Patient")
            if patient_id:
                found.add(patient_id)
    return found
