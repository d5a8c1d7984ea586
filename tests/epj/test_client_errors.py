"""Every failure the EPJ client maps to an exception, with mocked HTTP (respx)."""

from __future__ import annotations

import httpx
import pytest
import respx

from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import (
    AccessDenied,
    AccountLocked,
    BadResponse,
    Conflict,
    EpjError,
    InvalidRequest,
    NotFound,
    NotLoggedIn,
    Offline,
    ServerError,
    SessionExpired,
    TimedOut,
    Unavailable,
)
from tests.support.mocked_http import (
    BASE,
    FHIR_JSON,
    JSON,
    PATIENT,
    batch_response,
    fhir,
    outcome,
    searchset,
)

pytestmark = pytest.mark.asyncio


# ------------------------------------------------------------------ status codes


@pytest.mark.parametrize(("status", "body", "headers", "expected"), [
    (401, outcome("expired", "The login has expired: log in again"), {}, SessionExpired),
    (401, outcome("login", "The token has expired"),
     {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="The access token expired"'},
     SessionExpired),
    (401, outcome("login", "The token is not valid (logged out or never issued)"),
     {"WWW-Authenticate": 'Bearer realm="visitt", error="invalid_token"'}, NotLoggedIn),
    (401, outcome("login", "Log in first: this request carries no bearer token"), {}, NotLoggedIn),
    (403, outcome("forbidden", "You have no care relation to Patient/p1"), {}, AccessDenied),
    (404, outcome("not-found", "There is nothing at /fhir/Nope"), {}, NotFound),
    (410, outcome("deleted", "List/l1 has been deleted"), {}, NotFound),
    (412, outcome("conflict", "Version conflict on List/l1: version 4 was saved by Kari Nordmann"), {},
     Conflict),
    (400, outcome("invalid", "Unknown search parameter"), {}, InvalidRequest),
    (405, outcome("not-supported", "PATCH is not allowed"), {}, InvalidRequest),
    (406, outcome("not-supported", "Only JSON is served"), {}, InvalidRequest),
    (413, outcome("too-long", "The body is larger than 1 MiB"), {}, InvalidRequest),
    (415, outcome("not-supported", "Send the body as application/fhir+json"), {}, InvalidRequest),
    (422, outcome("processing", "List.status is required"), {}, InvalidRequest),
    (500, outcome("exception", "The server failed to handle this request"), {}, ServerError),
    (503, outcome("transient", "Injected fault: the service is unavailable"), {"Retry-After": "1"},
     ServerError),
])
async def test_error_statuses_map_to_exceptions_with_the_server_text(
        api: respx.MockRouter, client: EpjClient, status: int, body: JSON, headers: dict[str, str],
        expected: type[EpjError]) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=fhir(status, body, headers))
    with pytest.raises(EpjError) as raised:
        await client.my_wards("prac-1")
    assert type(raised.value) is expected
    assert raised.value.detail == body["issue"][0]["diagnostics"]
    assert raised.value.status == status
    assert str(raised.value) == raised.value.detail


async def test_server_errors_are_worth_retrying(api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=fhir(503, outcome("transient", "Try again")))
    with pytest.raises(Unavailable):
        await client.my_wards("prac-1")


async def test_a_locked_account_says_how_long_to_wait(api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=fhir(
        429, outcome("throttled", "Locked for 7 more seconds"), {"Retry-After": "7"}))
    with pytest.raises(AccountLocked) as raised:
        await client.my_wards("prac-1")
    assert raised.value.retry_after == 7 and raised.value.detail == "Locked for 7 more seconds"


async def test_a_denied_read_names_the_patient(api: respx.MockRouter, client: EpjClient) -> None:
    api.post(BASE).mock(return_value=fhir(403, outcome("forbidden", "No care relation")))
    with pytest.raises(AccessDenied) as raised:
        await client.patient_overview("p1")
    assert raised.value.patient_id == "p1" and raised.value.patient is None


async def test_an_error_page_that_is_not_json_keeps_its_status(api: respx.MockRouter,
                                                                client: EpjClient) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=httpx.Response(
        502, text="<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(ServerError) as raised:
        await client.my_wards("prac-1")
    assert raised.value.status == 502 and raised.value.detail == ""


async def test_a_redirect_is_not_followed(api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(return_value=httpx.Response(
        302, headers={"Location": "https://login.example/"}))
    with pytest.raises(BadResponse):
        await client.my_wards("prac-1")


# ------------------------------------------------------------------ the network


@pytest.mark.parametrize(("failure", "expected"), [
    (httpx.ConnectError("[Errno 111] Connection refused"), Offline),
    (httpx.ReadError("Connection reset by peer"), Offline),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), Offline),
    (httpx.WriteError("Broken pipe"), Offline),
    (httpx.ProxyError("Proxy refused"), Offline),
    (httpx.ConnectTimeout("timed out"), TimedOut),
    (httpx.ReadTimeout("timed out"), TimedOut),
    (httpx.PoolTimeout("timed out"), TimedOut),
    (httpx.DecodingError("gzip broken"), BadResponse),
])
async def test_network_failures_map_to_offline_or_timed_out(
        api: respx.MockRouter, client: EpjClient, failure: Exception, expected: type[EpjError]) -> None:
    api.post(f"{BASE}/Patient/_search").mock(side_effect=failure)
    with pytest.raises(EpjError) as raised:
        await client.search_patients_by_name(["Strand"])
    assert type(raised.value) is expected
    assert raised.value.__cause__ is failure
    assert client.round_trips == 1


# ------------------------------------------------------------------ bodies that are not FHIR


@pytest.mark.parametrize("response", [
    httpx.Response(200, content=b'{"resourceType": "Bundle", "entry": [',
                   headers={"Content-Type": FHIR_JSON}),
    httpx.Response(200, content=b"\xff\xfe not utf-8", headers={"Content-Type": FHIR_JSON}),
    httpx.Response(200, text="<!doctype html><html><body>Logg inn</body></html>",
                   headers={"Content-Type": "text/html; charset=utf-8"}),
    httpx.Response(200, text="OK", headers={"Content-Type": "text/plain"}),
    httpx.Response(200, json={"hello": "world"}),
    httpx.Response(200, json=[{"resourceType": "Patient"}]),
    httpx.Response(200, json=outcome("informational", "All fine")),
    httpx.Response(200, json={"resourceType": "Bundle", "entry": {"resource": {}}}),
], ids=["broken-json", "not-utf8", "html", "text", "not-fhir", "a-list", "not-a-bundle", "entry-not-a-list"])
async def test_bodies_that_are_not_the_expected_fhir_json_are_bad_responses(
        api: respx.MockRouter, client: EpjClient, response: httpx.Response) -> None:
    api.post(f"{BASE}/Patient/_search").mock(return_value=response)
    with pytest.raises(BadResponse) as raised:
        await client.search_patients_by_name(["Strand"])
    assert raised.value.detail


async def test_odd_entries_of_a_bundle_are_skipped(api: respx.MockRouter, client: EpjClient) -> None:
    api.post(f"{BASE}/Patient/_search").mock(return_value=fhir(200, {"resourceType": "Bundle", "entry": [
        "junk", {"resource": "junk"}, {"resource": {"id": "no-type"}},
        {"resource": PATIENT, "search": {"mode": "match"}},
        {"resource": {"resourceType": "Encounter", "id": "e1", "status": "in-progress",
                      "subject": {"reference": "Patient/p1"}}, "search": {"mode": "include"}}]}))
    found = await client.search_patients_by_name(["Strand"])
    assert [p.id for p in found] == ["p1"] and found[0].stay is not None


@pytest.mark.parametrize("answer", [
    {"resourceType": "Bundle", "type": "searchset", "entry": []},
    batch_response((200, searchset())),
    {"resourceType": "Bundle", "type": "batch-response", "entry": [{"response": {}}] * 3},
    {"resourceType": "Bundle", "type": "batch-response", "entry": [{"response": {"status": "OK"}}] * 3},
    {"resourceType": "Bundle", "type": "batch-response", "entry": ["200 OK"] * 3},
    batch_response((200, searchset()), (200, searchset()), (200, outcome("informational", "not a bundle"))),
    batch_response((200, searchset()), (200, searchset()), (200, None)),
], ids=["not-a-batch-response", "too-few-entries", "no-status", "status-without-code", "entries-not-objects",
        "entry-not-a-bundle", "entry-without-resource"])
async def test_a_batch_answer_of_the_wrong_shape_is_a_bad_response(api: respx.MockRouter, client: EpjClient,
                                                                   answer: JSON) -> None:
    api.post(BASE).mock(return_value=fhir(200, answer))
    with pytest.raises(BadResponse):
        await client.ward_list("ward-med")


async def test_a_failed_batch_entry_raises_its_own_error(api: respx.MockRouter, client: EpjClient) -> None:
    api.post(BASE).mock(return_value=fhir(200, batch_response(
        (200, searchset()), (500, outcome("exception", "Entry failed")), (200, searchset()))))
    with pytest.raises(ServerError) as raised:
        await client.ward_list("ward-med")
    assert raised.value.detail == "Entry failed"
