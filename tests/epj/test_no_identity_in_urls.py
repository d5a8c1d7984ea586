"""No person's identity in a URL: every request the EPJ client can make, against the mock EPJ, with
every URL recorded (respx, passing the requests through). URLs end up in proxies' and servers'
access logs; a fødselsnummer, a GSRN or a searched name must only ever travel in a request body."""

from __future__ import annotations

import inspect
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import httpx
import pytest
import respx

from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.domain.models import Practitioner
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.ward_list import BedOrder, WardListPrefs
from mobile_app.domain.worklists import ArrivalDraft, TaskStatusDraft
from mobile_app.domain.writing import MessageDraft, NoteDraft, PatientNoteDraft
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import EpjError
from mobile_app.epj.smart import DEFAULT_SCOPE, SmartClient, Tokens
from mobile_app.epj.transport import FhirTransport, PersonalDataInUrl, is_personal
from mock_epj.token_cli import CLIENT_ID, REDIRECT_URI
from tests.support.database import SeedData
from tests.support.epj_logins import PIN, token_login
from tests.support.mock_server import Server

# Runs of 11 or more decimal digits (a fødselsnummer or D-number has 11, a GSRN 18) not inside a
# longer run of hex digits (a UUID may hold eleven decimal digits in a row by chance).
LONG_NUMBER = re.compile(r"(?<![0-9a-fA-F])\d{11,}(?![0-9a-fA-F])")
# A UUID's last group has 12 hex digits, now and then all decimal: it is taken out before the check.
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def public_calls() -> set[str]:
    """Every public coroutine method of the client: what the app can ask of the EPJ."""
    return {name for name, member in inspect.getmembers(EpjClient, inspect.iscoroutinefunction)
            if not name.startswith("_") and name != "aclose"}


def identifiers(patient: dict[str, Any]) -> tuple[str, str]:
    by_system = {i["system"]: i["value"] for i in patient["identifier"]}
    fnr = next(v for s, v in by_system.items() if s.startswith("urn:oid:2.16.578.1.12.4.1.4."))
    gsrn = next(v for s, v in by_system.items() if s.endswith("gsrn"))
    return fnr, gsrn


async def test_no_request_of_the_whole_client_carries_a_person_number_gsrn_or_name_in_its_url(
        fresh_server: Server, seed: SeedData) -> None:
    in_care = sorted(s["subject"]["reference"].split("/")[1] for s in seed.stays_on("ward-med"))[0]
    patient = seed.read("Patient", in_care)
    fnr, gsrn = identifiers(patient)
    family, given = patient["name"][0]["family"], patient["name"][0]["given"][0]
    birth = date.fromisoformat(patient["birthDate"])
    colleague = seed.read("Practitioner", "prac-002")
    colleague_family = colleague["name"][0]["family"]

    client = EpjClient(fresh_server.fhir)
    tried: set[str] = set()
    with respx.mock(assert_all_called=False) as router:
        router.route().pass_through()
        login = await token_login(client, "lege1", PIN)  # the SMART login: its own tests (test_login_in_browser)
        me = login.practitioner_id
        signer = Practitioner(id=me, name=login.name, role=login.role)
        smart = SmartClient(fresh_server.fhir, REDIRECT_URI, client_id=CLIENT_ID)  # the scripted login's client
        tokens = Tokens(access_token=login.token, expires_at=time.time() + 600, scope=DEFAULT_SCOPE)

        async def exchange(patient_id: str, reason: str) -> tuple[str, float]:  # break-the-glass, as the session
            granted = await smart.break_glass(tokens, patient_id, reason)
            return granted.access_token, granted.expires_at

        client.allow_break_glass(exchange)

        async def run(name: str, call: Callable[[], Awaitable[Any]]) -> Any:
            tried.add(name)
            try:
                return await call()
            except EpjError:  # what the EPJ answers does not matter here: what was sent does
                return None

        await run("my_role", lambda: client.my_role(me))
        await run("server_support", lambda: client.server_support())
        await run("my_wards", lambda: client.my_wards(me))
        found = await run("search_patients_by_identifier", lambda: client.search_patients_by_identifier(fnr))
        assert found and found[0].id == in_care  # the search did happen, with the number in its body
        by_band = await run("search_patients_by_identifier", lambda: client.search_patients_by_identifier(gsrn))
        assert by_band and by_band[0].id == in_care
        assert await run("search_patients_by_name", lambda: client.search_patients_by_name([family, given]))
        assert await run("search_patients_by_birth_date", lambda: client.search_patients_by_birth_date(birth))
        await run("ward_list", lambda: client.ward_list("ward-med"))
        await run("ward_markers", lambda: client.ward_markers("ward-med"))
        await run("ward_notes", lambda: client.ward_notes())
        await run("patient_markers", lambda: client.patient_markers([in_care]))
        await run("ward_list_prefs", lambda: client.ward_list_prefs(me))
        await run("save_ward_list_prefs", lambda: client.save_ward_list_prefs(
            me, WardListPrefs(order=BedOrder.NEWS2, hide_empty=True)))
        await run("unsigned_new_results", lambda: client.unsigned_new_results("ward-med"))
        await run("my_patients", lambda: client.my_patients(me))
        await run("remember_recent", lambda: client.remember_recent(me, in_care))
        await run("patient_overview", lambda: client.patient_overview(in_care))
        await run("patient_overview", lambda: client.patient_overview(
            seed.of("Patient")[-1]["id"], break_glass_reason=f"Akutt: {given} {family} {fnr}"))
        await run("break_glass", lambda: client.break_glass(seed.of("Patient")[-2]["id"], f"Akutt: {family} {fnr}"))
        await run("save_note", lambda: client.save_note(NoteDraft(
            patient_id=in_care, author_id=me, text=f"{given} {family} ({fnr}) er bedre.")))
        await run("list_own_and_ward_notes", lambda: client.list_own_and_ward_notes(in_care))
        await run("save_patient_note", lambda: client.save_patient_note(PatientNoteDraft(
            kind="own-note", patient_id=in_care, author_id=me, text=f"Ring {given} {family}")))
        colleagues = await run("search_practitioners", lambda: client.search_practitioners(colleague_family))
        assert colleagues
        sent = await run("send_message", lambda: client.send_message(MessageDraft(
            author_id=me, recipient_id="prac-002", text=f"Om {family}, {fnr}", about_patient_id=in_care)))
        await run("inbox", lambda: client.inbox(me))
        await run("sent_messages", lambda: client.sent_messages(me))
        await run("mark_read", lambda: client.mark_read(me, [sent.id] if sent else ["unknown"]))
        panel = await run("lab_results", lambda: client.lab_results(in_care))
        await run("microbiology", lambda: client.microbiology(in_care))
        await run("sign_results", lambda: client.sign_results(list(panel.unsigned())[:2] if panel else [], signer))
        await run("follow", lambda: client.follow(me, in_care))
        await run("following", lambda: client.following(me))
        await run("unfollow", lambda: client.unfollow(me, in_care))
        news = await run("notifications", lambda: client.notifications(me))
        first = news[0].id if news else "unknown"
        await run("mark_notification_read", lambda: client.mark_notification_read(first))
        await run("mark_notifications_read", lambda: client.mark_notifications_read([first]))
        await run("save_vital_signs", lambda: client.save_vital_signs(VitalSignsDraft(
            patient_id=in_care, author_id=me, pulse=88, respiration=18, spo2=96)))
        await run("save_thrombosis_risk", lambda: client.save_thrombosis_risk(ThrombosisRiskDraft(
            patient_id=in_care, author_id=me)))
        await run("save_spo2_scale", lambda: client.save_spo2_scale(Spo2ScaleDraft(
            patient_id=in_care, author_id=me, scale=1)))
        await run("vital_history", lambda: client.vital_history(in_care))
        await run("news2_for", lambda: client.news2_for([in_care]))
        await run("save_dictation", lambda: client.save_dictation(DictationDraft(
            patient_id=in_care, author_id=me, audio=b"OggS" + b"\0" * 64, content_type="audio/ogg", duration=2,
            ward_id="ward-med")))
        await run("save_photo", lambda: client.save_photo(PhotoDraft(
            patient_id=in_care, author_id=me, image=b"\xff\xd8" + b"\0" * 64, width=1, height=1,
            description=f"Sår hos {given} {family}", body_site="Hæl")))
        await run("patient_photos", lambda: client.patient_photos(in_care))
        tasks = await run("my_tasks", lambda: client.my_tasks(me))
        await run("ward_tasks", lambda: client.ward_tasks("ward-med"))
        if tasks:
            await run("change_task_status", lambda: client.change_task_status(TaskStatusDraft(
                task_id=tasks[0].id, version=tasks[0].version, status="accepted", patient_id=tasks[0].patient_id,
                author_id=me)))
        books = await run("find_books", lambda: client.find_books(colleague_family))
        assert books
        book = await run("appointment_book", lambda: client.appointment_book(books[-1], date.today()))
        if book:
            await run("register_arrival", lambda: client.register_arrival(ArrivalDraft(
                appointment_id=book[0].id, version=book[0].version, patient_id=book[0].patient_id,
                author_id=me)))
        requests = [call.request for call in router.calls]
    await client.aclose()
    await smart.aclose()

    assert tried == public_calls(), "a new client call must be added to this test"
    assert len(requests) > 30
    everyone = {value for p in seed.of("Patient") for value in identifiers(p)}
    names = {family.lower(), given.lower(), colleague_family.lower()}
    for request in requests:
        url = unquote_plus(str(request.url))
        assert not LONG_NUMBER.search(UUID.sub("<uuid>", url)), url
        assert not everyone.intersection(re.findall(r"\d+", url)), url
        assert not names.intersection(re.findall(r"[^\W\d_]+", url.lower())), url
        assert birth.isoformat() not in url, url
    bodies = b" ".join(request.content for request in requests).decode("utf-8", "replace")
    for secret in (fnr, gsrn, family, colleague_family):  # they were sent, in bodies
        assert secret in unquote_plus(bodies)
    # Nothing a conformant server would not know: every search parameter the client sent (in URLs,
    # _search forms, batch entries and conditional creates) is one FHIR R4 defines, as listed by the
    # strict mock's CapabilityStatement (which leaves out the mock's own parameters).
    r4 = r4_search_params(fresh_server)
    unknown = {(type_, re.split(r"[:.]", name)[0]) for type_, params in searches_sent(requests, fresh_server.fhir)
               for name, _ in params if not known_parameter(r4, type_, name, paging_by_offset=not fresh_server.strict)}
    assert not unknown, sorted(unknown)


RESULT_PARAMS = {"_count", "_sort", "_include", "_revinclude", "_elements", "_summary", "_total",
                 "_include:iterate", "_revinclude:iterate", "_page"}  # _page: only in a strict server's links


def r4_search_params(server: Server) -> dict[str, set[str]]:
    """Search parameters by type, as the mock in strict mode lists them (R4's own only)."""
    from mock_epj.capability import capability_statement

    statement = capability_statement(server.fhir, strict=True)
    return {r["type"]: {p["name"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]}


def known_parameter(r4: dict[str, set[str]], type_: str, name: str, paging_by_offset: bool) -> bool:
    if name in RESULT_PARAMS or (paging_by_offset and name == "_offset"):
        return True
    return re.split(r"[:.]", name)[0] in r4.get(type_, set())


def searches_sent(requests: list[httpx.Request], base: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(type, parameters) of every search and conditional create among ``requests``."""
    found: list[tuple[str, list[tuple[str, str]]]] = []

    def add(path: str, query: str) -> None:
        parts = [p for p in path.split("/") if p]
        if parts and parts[-1] == "_search":
            parts = parts[:-1]
        if len(parts) == 1 and parts[0][:1].isupper():
            found.append((parts[0], parse_qsl(query, keep_blank_values=True)))

    for request in requests:
        url = str(request.url)
        if not url.startswith(base):
            continue
        path = url[len(base):].split("?")[0]
        if request.method == "GET" or path.endswith("/_search"):
            form = request.content.decode() if path.endswith("/_search") else ""
            add(path, "&".join(q for q in (request.url.query.decode(), form) if q))
        if request.headers.get("if-none-exist"):
            add(path, request.headers["if-none-exist"])
        if request.method == "POST" and path in ("", "/"):
            bundle = json.loads(request.content)
            for entry in bundle.get("entry", []):
                entry_url, _, query = entry["request"]["url"].partition("?")
                if entry["request"]["method"] == "GET" and query:
                    add(entry_url, query)
                if entry["request"].get("ifNoneExist"):
                    add(entry_url, entry["request"]["ifNoneExist"])
    return found


@pytest.mark.parametrize("name", ["identifier", "name", "family", "given", "birthdate", "phone",
                                  "subject:Patient.identifier", "patient.name", "name:exact"])
def test_personal_search_parameters_are_recognised(name: str) -> None:
    assert is_personal(name)


@pytest.mark.parametrize("name", ["patient", "subject", "_count", "_include", "status", "code", "date",
                                  "practitioner", "_revinclude", "category", "location"])
def test_other_search_parameters_are_not(name: str) -> None:
    assert not is_personal(name)


async def test_the_transport_refuses_a_url_that_carries_a_personal_parameter() -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route().mock(return_value=httpx.Response(200, json={}))
        transport = FhirTransport("https://epj.test/fhir")
        for url, params in (("https://epj.test/fhir/Patient?identifier=09896008606", None),
                            ("https://epj.test/fhir/Practitioner", [("name", "Nordmann")])):
            with pytest.raises(PersonalDataInUrl):
                await transport.request("GET", url, params=params)
        await transport.aclose()
    assert not route.called


async def test_a_paging_link_with_a_personal_parameter_is_followed_as_a_post() -> None:
    """A server's next link repeats the search's parameters: following it must not put them in a URL."""
    base = "https://epj.test/fhir"
    next_link = f"{base}/Practitioner?name=Nordmann&_count=1&_offset=1"
    first = {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": next_link}]}
    with respx.mock() as router:
        search = router.post(f"{base}/Practitioner/_search").mock(return_value=httpx.Response(
            200, json={"resourceType": "Bundle", "type": "searchset"}))
        transport = FhirTransport(base)
        pages = [page async for page in transport.pages(first, limit=3)]
        await transport.aclose()
    assert len(pages) == 1 and search.call_count == 1
    request = search.calls[0].request
    assert request.url.query == b"" and b"name=Nordmann" in request.content
