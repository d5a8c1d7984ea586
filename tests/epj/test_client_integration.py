"""The EPJ client against a real mock EPJ on a free port, checked against the seeded data."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mobile_app.domain.models import PatientSummary, Role
from mobile_app.domain.newest_results import newest_results
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import (
    AccessDenied,
    BreakGlassRefused,
    NotFound,
    Offline,
    SessionExpired,
    WrongCredentials,
)
from mobile_app.epj.mapping import collation_key
from mobile_app.epj.smart import DEFAULT_SCOPE, SmartClient, Tokens
from mock_epj.token_cli import CLIENT_ID, REDIRECT_URI
from tests.support.database import SeedData, copy_db
from tests.support.epj_logins import Login, Session, token_login
from tests.support.mock_server import Server, start_server

pytestmark = pytest.mark.asyncio

FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR = "urn:oid:2.16.578.1.12.4.1.4.2"
GSRN = "https://www.gs1.org/gsrn"
PLO = "https://visitt.example.no/fhir/CodeSystem/communication-category"
LEGE2 = "Practitioner/prac-002"


def patient_of(resource: dict[str, Any]) -> str:
    subject = resource.get("subject") or resource.get("patient") or {}
    return str(subject["reference"].split("/")[-1])


def identifier(patient: dict[str, Any], system: str) -> str | None:
    return next((i["value"] for i in patient.get("identifier", []) if i["system"] == system), None)


def newest_first(times: list[datetime | None]) -> bool:
    known = [t for t in times if t is not None]
    return len(known) == len(times) and known == sorted(known, reverse=True)


def name_matches(patient: PatientSummary, word: str) -> bool:
    """Whether one word of the search is the start of a part of the patient's name."""
    parts = [patient.family, patient.given, *re.split(r"[\s-]+", f"{patient.given} {patient.family}")]
    return any(collation_key(part).startswith(collation_key(word)) for part in parts if part)


@pytest.fixture(scope="module")
def ward_med_patient(seed: SeedData) -> str:
    """A ward-med patient with critical information whom lege2 has no care relation to. (Next of kin,
    care plans and PLO messages are asked of ``planned_patient``: which seeded patients have them
    depends on the hour the seed was made.)"""
    flagged = {patient_of(f) for f in seed.of("Flag") if f["status"] == "active"}
    actors = [[p.get("actor", {}).get("reference", "") for p in a["participant"]]
              for a in seed.of("Appointment")]
    lege2_appointments = {ref for refs in actors if LEGE2 in refs for ref in refs}
    for stay in sorted(seed.stays_on("ward-med"), key=lambda e: str(e["id"])):
        patient = patient_of(stay)
        staff = {p["individual"]["reference"] for p in stay["participant"]}
        if patient in flagged and LEGE2 not in staff and f"Patient/{patient}" not in lege2_appointments:
            return patient
    raise AssertionError("the seed has no suitable ward-med patient")


# ------------------------------------------------------------------ session


async def test_login_tells_who_logged_in(lege1: Session) -> None:
    assert lege1.login.practitioner_id == "prac-001"
    assert lege1.login.role is Role.DOCTOR
    assert lege1.login.name
    assert lege1.login.expires_at > datetime.now(UTC) + timedelta(minutes=5)  # a short-lived access token (refreshed)
    assert lege1.client.token == lege1.login.token


async def test_a_wrong_pin_is_wrong_credentials(login: Login) -> None:
    with pytest.raises(WrongCredentials) as raised:
        await login("lege1", "0000")
    assert "PIN" in raised.value.detail


async def test_an_expired_token_is_session_expired(seeded_db: Path, tmp_path: Path) -> None:
    server = start_server(copy_db(seeded_db, tmp_path / "epj.sqlite3"), token_ttl=0.5)
    client = EpjClient(server.fhir)
    try:
        login = await token_login(client, "lege1")
        await asyncio.sleep(0.8)
        with pytest.raises(SessionExpired) as raised:
            await client.my_wards(login.practitioner_id)
        assert "expired" in raised.value.detail
    finally:
        await client.aclose()
        server.running.stop()


async def test_a_stopped_server_is_offline(fresh_server: Server, fresh_login: Login) -> None:
    session = await fresh_login("lege1")
    fresh_server.running.stop()
    client = EpjClient(fresh_server.fhir, timeout=2)
    client.set_token(session.login.token)
    try:
        with pytest.raises(Offline):
            await client.my_wards(session.practitioner_id)
        assert client.round_trips == 1
    finally:
        await client.aclose()


# ------------------------------------------------------------------ wards


async def test_my_wards_contain_my_ward(lege1: Session) -> None:
    wards = await lege1.client.my_wards(lege1.practitioner_id)
    assert [w.id for w in wards] == ["ward-med"]
    assert wards[0].name == "Medisinsk sengepost"


async def test_the_ward_list_has_every_bed_in_room_order(lege1: Session, seed: SeedData) -> None:
    before = lege1.client.round_trips
    beds = await lege1.client.ward_list("ward-med")
    assert lege1.client.round_trips - before == 1
    rooms = {loc["id"] for loc in seed.of("Location")
             if loc.get("partOf", {}).get("reference") == "Location/ward-med"}
    seeded_beds = {loc["id"]: loc for loc in seed.of("Location")
                   if loc.get("partOf", {}).get("reference", "").removeprefix("Location/") in rooms}
    assert {b.bed_id for b in beds} == set(seeded_beds)
    assert [b.sort_key for b in beds] == sorted(b.sort_key for b in beds)
    assert [b.bed_label for b in beds][:3] == ["1-1", "2-1", "2-2"]
    assert all(b.bed_label == seeded_beds[b.bed_id]["alias"][0] for b in beds)
    assert all(b.room_name == f"Rom {b.sort_key[0]}" for b in beds)


async def test_the_ward_list_puts_each_patient_in_the_seeded_bed(lege1: Session, seed: SeedData) -> None:
    beds = await lege1.client.ward_list("ward-med")
    expected = {}
    for stay in seed.stays_on("ward-med"):
        bed = next(p for p in stay["location"] if p["physicalType"]["coding"][0]["code"] == "bd")
        expected[bed["location"]["reference"].split("/")[1]] = (patient_of(stay), stay)
    occupied = [b for b in beds if b.patient is not None]
    assert {b.bed_id: b.patient.id for b in occupied if b.patient} == {k: v[0] for k, v in expected.items()}
    assert 0.5 <= len(occupied) / len(beds) <= 0.9
    for bed in occupied:
        stay = expected[bed.bed_id][1]
        assert bed.reason == stay["reasonCode"][0]["text"]
        assert bed.admitted == datetime.fromisoformat(stay["period"]["start"])
        assert bed.patient is not None and bed.patient.stay is not None
        assert bed.patient.stay.ward_id == "ward-med"
        assert bed.patient.stay.bed_label == bed.bed_label
        assert bed.patient.family and bed.patient.birth_date
    assert all(b.reason is None and not b.has_critical_info for b in beds if b.patient is None)


async def test_the_ward_list_marks_critical_information(lege1: Session, seed: SeedData) -> None:
    beds = await lege1.client.ward_list("ward-med")
    flagged = {patient_of(f) for f in seed.of("Flag") if f["status"] == "active"}
    on_ward = {b.patient.id for b in beds if b.patient}
    marked = {b.patient.id for b in beds if b.patient and b.has_critical_info}
    assert marked == flagged & on_ward
    assert marked, "the seed should flag someone on ward-med"


# ------------------------------------------------------------------ searches


async def test_a_name_search_finds_prefixes_sorted_by_name(lege1: Session) -> None:
    found = await lege1.client.search_patients_by_name(["strand"])
    assert found
    assert all(name_matches(p, "strand") for p in found)
    assert [collation_key(p.sort_name) for p in found] == sorted(collation_key(p.sort_name) for p in found)


async def test_a_name_search_keeps_norwegian_letters_apart(lege1: Session, seed: SeedData) -> None:
    target = next(p for p in sorted(seed.of("Patient"), key=lambda p: str(p["id"]))
                  if re.match(r"^\w*[æøå]", p["name"][0]["family"].lower()))
    family = target["name"][0]["family"]
    prefix = family[:family.lower().index(next(c for c in family.lower() if c in "æøå")) + 1]
    found = await lege1.client.search_patients_by_name([prefix])
    assert target["id"] in {p.id for p in found}
    assert all(name_matches(p, prefix) for p in found)
    plain = prefix.translate(str.maketrans("æøåÆØÅ", "aoaAOA"))
    assert target["id"] not in {p.id for p in await lege1.client.search_patients_by_name([plain])}


async def test_a_two_word_search_needs_both_words(lege1: Session, seed: SeedData) -> None:
    target = seed.read("Patient", "pat-000001")
    given, family = target["name"][0]["given"][0], target["name"][0]["family"]
    found = await lege1.client.search_patients_by_name([given.lower(), family[:3]], limit=100)
    assert "pat-000001" in {p.id for p in found}
    assert all(name_matches(p, given) and name_matches(p, family[:3]) for p in found)


async def test_search_results_show_where_admitted_patients_lie(login: Login, seed: SeedData) -> None:
    stay = seed.stays_on("ward-med")[0]
    patient = seed.read("Patient", patient_of(stay))
    lege2 = await login("lege2")  # no care relation: ward and bed, but no reason
    found = await lege2.client.search_patients_by_identifier(identifier(patient, FNR) or "")
    assert lege2.client.round_trips <= 1 + 2  # the login, the search, and the stays left out of it
    assert [p.id for p in found] == [patient["id"]]
    current = found[0].stay
    assert current is not None and current.encounter_id == stay["id"]
    assert current.ward_name == "Medisinsk sengepost"
    assert current.bed_name and current.bed_label and current.reason is None


@pytest.mark.parametrize("system", [FNR, DNR, GSRN])
async def test_an_identifier_search_finds_the_one_patient(lege1: Session, seed: SeedData,
                                                          system: str) -> None:
    patient = next(p for p in seed.of("Patient") if identifier(p, system))
    found = await lege1.client.search_patients_by_identifier(identifier(patient, system) or "")
    assert [p.id for p in found] == [patient["id"]]
    summary = found[0]
    assert summary.gsrn == identifier(patient, GSRN)
    assert summary.identifier == (identifier(patient, FNR) or identifier(patient, DNR))
    assert summary.identifier_system in (FNR, DNR)


async def test_a_birth_date_search_finds_everyone_born_that_day(lege1: Session, seed: SeedData) -> None:
    patient = seed.read("Patient", "pat-000003")
    born = date.fromisoformat(patient["birthDate"])
    found = await lege1.client.search_patients_by_birth_date(born)
    assert patient["id"] in {p.id for p in found}
    assert all(p.birth_date == born for p in found)
    expected = {p["id"] for p in seed.of("Patient") if p["birthDate"] == patient["birthDate"]}
    assert {p.id for p in found} == expected


# ------------------------------------------------------------------ the patient overview


async def test_the_overview_is_one_round_trip_with_everything(lege1: Session, seed: SeedData,
                                                              ward_med_patient: str) -> None:
    before = lege1.client.round_trips
    overview = await lege1.client.patient_overview(ward_med_patient)
    assert lege1.client.round_trips - before == 1
    patient = seed.read("Patient", ward_med_patient)
    stay = next(e for e in seed.stays_on("ward-med") if patient_of(e) == ward_med_patient)
    assert overview.patient.id == ward_med_patient
    assert overview.patient.family == patient["name"][0]["family"]
    assert overview.patient.identifier == (identifier(patient, FNR) or identifier(patient, DNR))
    assert overview.patient.stay is not None and overview.patient.stay.bed_name
    assert overview.stay is not None and overview.stay.id == stay["id"]
    assert overview.stay.reason == stay["reasonCode"][0]["text"]
    attending = next(p for p in stay["participant"] if p["type"][0]["coding"][0]["code"] == "ATND")
    assert overview.responsible_doctor == attending["individual"]["display"]
    assert overview.stays[0].id == stay["id"]
    assert newest_first([s.start for s in overview.stays])
    assert overview.emergency_access_until is None
    assert abs((overview.fetched_at - datetime.now(UTC)).total_seconds()) < 60
    assert overview.contact.phone and overview.contact.address


async def test_the_overview_has_the_seeded_critical_information(lege1: Session, seed: SeedData,
                                                                ward_med_patient: str) -> None:
    overview = await lege1.client.patient_overview(ward_med_patient)
    critical = overview.critical
    assert critical.flagged and critical.has_critical
    allergies = seed.of_patient("AllergyIntolerance", ward_med_patient)
    assert {a.substance for a in critical.allergies} == {a["code"]["text"] for a in allergies}
    assert {d.text for d in critical.implants} == {
        d["deviceName"][0]["name"] for d in seed.of_patient("Device", ward_med_patient)}
    ranks = [0 if a.is_critical else 1 for a in critical.allergies]
    assert ranks == sorted(ranks)


async def test_the_overview_has_newest_vitals_and_labs(lege1: Session, ward_med_patient: str) -> None:
    overview = await lege1.client.patient_overview(ward_med_patient)
    vitals = {m.code: m for m in overview.vitals}
    assert len(vitals) == len(overview.vitals)
    pressure = vitals["85354-9"]
    assert {c[0] for c in pressure.components} == {"8480-6", "8462-4"}
    assert re.fullmatch(r"\d+/\d+", pressure.display_value) and pressure.unit == "mmHg"
    assert vitals["67775-7"].value_text  # ACVPU is coded
    stamps = [m.time for m in overview.labs if m.time]
    assert overview.labs and stamps == sorted(stamps, reverse=True)  # recent results, newest first
    lines = newest_results(overview.labs)
    assert len({line.analyte for line in lines}) == len(lines)
    assert all(line.latest is None or line.latest.value is not None or line.latest.value_text for line in lines)
    assert all(line.pending is None or line.pending.pending for line in lines)
    newest = max(m.time for m in overview.vitals if m.time)
    assert all(m.time == newest for m in overview.vitals if m.code in ("8867-4", "9279-1"))


async def test_the_overview_has_documents_with_text(lege1: Session, seed: SeedData,
                                                    ward_med_patient: str) -> None:
    overview = await lege1.client.patient_overview(ward_med_patient)
    seeded = {d["id"]: d for d in seed.of_patient("DocumentReference", ward_med_patient)}
    assert overview.documents
    assert newest_first([d.date for d in overview.documents])
    for document in overview.documents:
        data = seeded[document.id]["content"][0]["attachment"]["data"]
        assert document.text == base64.b64decode(data).decode("utf-8")
        assert document.type_code and document.author and document.title


@pytest.fixture(scope="module")
def planned_patient(seed: SeedData) -> str:
    """A ward-med inpatient (lege1 has access) with next of kin, a care plan and PLO messages. The
    seed gives 85 % of stays a care plan and which patients have what depends on the hour it was
    made, so the patient is chosen by what the test needs."""
    plo = {patient_of(c) for c in seed.of("Communication") if c["id"].startswith("plo")}
    for stay in sorted(seed.stays_on("ward-med"), key=lambda e: str(e["id"])):
        patient = patient_of(stay)
        if patient in plo and seed.of_patient("RelatedPerson", patient) and seed.of_patient("CarePlan", patient):
            return patient
    raise AssertionError("the seed has no ward-med patient with next of kin, a care plan and PLO messages")


async def test_the_overview_has_next_of_kin_care_plan_and_plo(lege1: Session, seed: SeedData,
                                                              planned_patient: str) -> None:
    overview = await lege1.client.patient_overview(planned_patient)
    related = seed.of_patient("RelatedPerson", planned_patient)
    assert {k.name for k in overview.next_of_kin} == {r["name"][0]["text"] for r in related}
    assert any(k.is_next_of_kin and k.phone for k in overview.next_of_kin)
    assert overview.care_plans and overview.care_plans[0].activities
    messages = overview.plo_messages
    seeded = [c for c in seed.of_patient("Communication", planned_patient) if c["id"].startswith("plo")]
    assert {m.id for m in messages} == {c["id"] for c in seeded}
    assert newest_first([m.sent for m in messages])
    for message in messages:
        sender = next(c for c in seeded if c["id"] == message.id)["sender"]["reference"]
        assert message.outgoing == (sender == "Organization/org-hospital")
        assert message.text and message.message_type


async def test_the_overview_of_an_unknown_patient_is_not_found(lege1: Session) -> None:
    with pytest.raises(NotFound):
        await lege1.client.patient_overview("pat-does-not-exist")


async def test_a_critical_condition_shows_for_the_attending_doctor(login: Login, seed: SeedData) -> None:
    condition = next(c for c in seed.of("Condition") if c["category"][0]["coding"][0]["code"]
                     == "critical-condition" and any(e["status"] == "in-progress" for e in
                                                     seed.of_patient("Encounter", patient_of(c))))
    patient_id = patient_of(condition)
    stay = next(e for e in seed.of_patient("Encounter", patient_id) if e["status"] == "in-progress")
    doctor = next(p["individual"]["reference"] for p in stay["participant"]
                  if p["type"][0]["coding"][0]["code"] == "ATND")
    session = await login(seed.username(doctor))
    overview = await session.client.patient_overview(patient_id)
    assert [c.text for c in overview.critical.conditions] == [condition["code"]["text"]]
    assert overview.critical.conditions[0].note == condition["note"][0]["text"]


# ------------------------------------------------------------------ access and break-the-glass


async def test_without_care_relation_the_overview_is_denied_with_the_banner(
        fresh_server: Server, fresh_login: Login, seed: SeedData, ward_med_patient: str) -> None:
    lege2 = await fresh_login("lege2")
    with pytest.raises(AccessDenied) as raised:
        await lege2.client.patient_overview(ward_med_patient)
    denied = raised.value
    assert denied.patient_id == ward_med_patient
    assert ("X-Break-Glass-Reason" in denied.detail) is not fresh_server.strict  # the mock's own header
    assert denied.patient is not None and denied.patient.id == ward_med_patient
    assert denied.patient.family == seed.read("Patient", ward_med_patient)["name"][0]["family"]
    assert denied.patient.stay is not None and denied.patient.stay.ward_id == "ward-med"
    assert denied.patient.stay.reason is None  # the stay came subsetted


async def test_break_the_glass_opens_the_record_for_four_hours(fresh_server: Server, fresh_login: Login,
                                                               ward_med_patient: str) -> None:
    """Break-the-glass is a token for the one patient by SMART token exchange (purpose of use BTG,
    the reason), asked for before the overview's batch (no batch entry depends on another); it is
    standard OAuth, so a strict server gives it too. The patient's requests carry that token."""
    lege2 = await fresh_login("lege2")
    smart = SmartClient(fresh_server.fhir, REDIRECT_URI, client_id=CLIENT_ID)  # the scripted login's client
    tokens = Tokens(access_token=lege2.login.token, expires_at=time.time() + 600, scope=DEFAULT_SCOPE,
                    practitioner_id=lege2.practitioner_id)

    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:
        granted = await smart.break_glass(tokens, patient_id, reason)
        return granted.access_token, granted.expires_at

    lege2.client.allow_break_glass(exchange)
    before = lege2.client.round_trips
    reason = "Akutt forverring, tilkalt på vakt ÆØÅ"
    try:
        overview = await lege2.client.patient_overview(ward_med_patient, reason)
        assert lege2.client.round_trips - before == 1  # the exchange is the authorization server's; one batch
        granted = lege2.client.transport.patient_token(ward_med_patient)
        assert granted is not None and granted.token != lege2.login.token
        assert overview.emergency_access_until is not None
        left = overview.emergency_access_until - datetime.now(UTC)
        assert timedelta(hours=3, minutes=55) < left <= timedelta(hours=4)
        assert overview.stay is not None and overview.stay.reason  # stays came in full
        assert overview.labs and overview.critical.flagged
        again = await lege2.client.patient_overview(ward_med_patient)
        assert again.emergency_access_until == overview.emergency_access_until
        assert (await lege2.client.lab_results(ward_med_patient)).latest  # the lab tab with the same token
    finally:
        await smart.aclose()


async def test_a_health_worker_cannot_break_the_glass(fresh_server: Server, fresh_login: Login,
                                                  ward_med_patient: str) -> None:
    """A role that may not is refused by the authorization server: nothing opens."""
    hfa = await fresh_login("hfa1")
    smart = SmartClient(fresh_server.fhir, REDIRECT_URI, client_id=CLIENT_ID)  # the scripted login's client
    tokens = Tokens(access_token=hfa.login.token, expires_at=time.time() + 600, scope=DEFAULT_SCOPE)

    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:
        granted = await smart.break_glass(tokens, patient_id, reason)
        return granted.access_token, granted.expires_at

    hfa.client.allow_break_glass(exchange)
    try:
        with pytest.raises(BreakGlassRefused):
            await hfa.client.patient_overview(ward_med_patient, "Akutt forverring, tilkalt på vakt")
        assert hfa.client.transport.patient_tokens == {}
    finally:
        await smart.aclose()


async def test_the_overview_does_not_depend_on_the_order_of_its_batch(
        fresh_server: Server, fresh_login: Login, ward_med_patient: str) -> None:
    """The batch's entries are read by position whatever order the server ran them in: on a strict
    server (which shuffles them) the overview is the same as on the mock."""
    lege1 = await fresh_login("lege1")
    first = await lege1.client.patient_overview(ward_med_patient)
    second = await lege1.client.patient_overview(ward_med_patient)
    assert first.model_copy(update={"fetched_at": second.fetched_at}) == second
    assert first.critical.flagged and first.stay is not None and first.stay.reason


# ------------------------------------------------------------------ my patients


async def test_my_patients_are_the_stays_i_take_part_in(lege1: Session, seed: SeedData) -> None:
    mine = await lege1.client.my_patients(lege1.practitioner_id)
    expected = {patient_of(e) for e in seed.of("Encounter") if e["status"] == "in-progress"
                and any(p["individual"]["reference"] == "Practitioner/prac-001" for p in e["participant"])}
    assert {p.id for p in mine.in_care} == expected
    assert all(p.stay is not None and p.stay.bed_name for p in mine.in_care)


async def test_recent_patients_are_kept_newest_first_without_repeats(fresh_login: Login) -> None:
    session = await fresh_login("lege1")
    client, me = session.client, session.practitioner_id
    empty = await client.my_patients(me)
    assert empty.recent == () and empty.recent_list_id is None
    beds = [b for b in await client.ward_list("ward-med") if b.patient]
    first, second, third = (b.patient.id for b in beds[:3] if b.patient)
    before = client.round_trips
    await client.remember_recent(me, first)
    assert client.round_trips - before == 2
    await client.remember_recent(me, second)
    await client.remember_recent(me, first)
    mine = await client.my_patients(me)
    assert [p.id for p in mine.recent] == [first, second]
    assert mine.recent_list_id is not None and mine.recent_list_version == "3"
    await client.remember_recent(me, third, keep=2)
    assert [p.id for p in (await client.my_patients(me)).recent] == [third, first]


async def test_recent_lists_are_private_to_their_owner(fresh_login: Login) -> None:
    lege1, spl1 = await fresh_login("lege1"), await fresh_login("spl1")
    beds = [b for b in await lege1.client.ward_list("ward-med") if b.patient]
    assert beds[0].patient is not None
    await lege1.client.remember_recent(lege1.practitioner_id, beds[0].patient.id)
    assert (await spl1.client.my_patients(spl1.practitioner_id)).recent == ()
    await spl1.client.remember_recent(spl1.practitioner_id, beds[0].patient.id)
    mine = await lege1.client.my_patients(lege1.practitioner_id)
    theirs = await spl1.client.my_patients(spl1.practitioner_id)
    assert mine.recent_list_id != theirs.recent_list_id


async def test_recent_patients_show_where_they_lie_now(fresh_login: Login) -> None:
    session = await fresh_login("lege2")  # a surgeon opening a medical patient by break-the-glass
    client, me = session.client, session.practitioner_id
    lege1 = await fresh_login("lege1")
    bed = next(b for b in await lege1.client.ward_list("ward-med") if b.patient)
    assert bed.patient is not None
    await client.remember_recent(me, bed.patient.id)
    mine = await client.my_patients(me)
    [recent] = [p for p in mine.recent if p.id == bed.patient.id]
    assert recent.stay is not None
    assert recent.stay.ward_id == "ward-med"
    assert recent.stay.bed_name == bed.bed_name
