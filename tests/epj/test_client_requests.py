"""What the EPJ client sends and how it puts answers together, with mocked HTTP (respx): batches,
round trips, break-the-glass, access denied with the banner, and the recent-patients list."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import pytest
import respx

from mobile_app.epj.client import EpjClient, overview_queries
from mobile_app.epj.errors import (
    AccessDenied,
    BreakGlassUnavailable,
    Conflict,
    NotFound,
    Offline,
    ServerError,
)
from mobile_app.epj.transport import PatientToken
from tests.support.mocked_http import (
    BASE,
    FHIR_JSON,
    JSON,
    LIST,
    PATIENT,
    TOKEN,
    batch_response,
    fhir,
    outcome,
    searchset,
    sent_json,
)

pytestmark = pytest.mark.asyncio


# ------------------------------------------------------------------ what the client sends


async def test_requests_carry_the_token_and_ask_for_fhir_json(api: respx.MockRouter,
                                                               client: EpjClient) -> None:
    route = api.post(f"{BASE}/Patient/_search").mock(return_value=fhir(200, searchset()))
    assert await client.search_patients_by_name(["  Strand ", "", "Gerd"], limit=5) == []
    request = route.calls[0].request
    assert request.headers["accept"] == FHIR_JSON
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    # a search by name is a POST _search: the names are in the form-encoded body, not the URL
    assert request.url.query == b""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(request.content.decode()) == [
        ("name", "Strand"), ("name", "Gerd"), ("_count", "5"), ("_revinclude", "Encounter:patient")]


async def test_an_empty_search_asks_nothing(api: respx.MockRouter, client: EpjClient) -> None:
    assert await client.search_patients_by_name([" ", ""]) == []
    assert await client.search_patients_by_identifier("  ") == []
    assert client.round_trips == 0


async def test_the_ward_list_is_one_batch_of_three_searches(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.post(BASE).mock(return_value=fhir(200, batch_response(*[(200, searchset())] * 3)))
    assert await client.ward_list("ward-med") == []
    assert client.round_trips == 1
    sent = sent_json(route)
    assert route.calls[0].request.headers["content-type"].startswith(FHIR_JSON)
    assert (sent["resourceType"], sent["type"]) == ("Bundle", "batch")
    urls = [unquote(e["request"]["url"]) for e in sent["entry"]]
    assert all(e["request"]["method"] == "GET" for e in sent["entry"])
    assert urls[0].startswith("Location?partof=Location/ward-med&_revinclude=Location:partof")
    assert urls[1].startswith(
        "Encounter?location=Location/ward-med&status=in-progress&_include=Encounter:patient")
    assert urls[2] == "Flag?_elements=subject,status,category,code&_count=100"  # R4 Flag: no status/category


async def test_round_trips_count_every_request_that_was_tried(api: respx.MockRouter,
                                                               client: EpjClient) -> None:
    api.get(f"{BASE}/PractitionerRole").mock(side_effect=[
        fhir(200, searchset()), fhir(500, outcome("exception", "x")), httpx.ConnectError("down")])
    await client.my_wards("prac-1")
    for expected in (ServerError, Offline):
        with pytest.raises(expected):
            await client.my_wards("prac-1")
    assert client.round_trips == 3


# ------------------------------------------------------------------ the patient overview


def overview_answer(patient: tuple[int, JSON | None] = (200, PATIENT),
                    clinical: tuple[int, JSON | None] = (200, searchset()),
                    stays: tuple[int, JSON | None] = (200, searchset())) -> JSON:
    entries = [patient, *[clinical] * 4, stays, *[clinical] * 8]  # ... plo, thrombosis risk and its answers
    return batch_response(*entries)


async def test_an_overview_is_one_batch(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.post(BASE).mock(return_value=fhir(200, overview_answer()))
    overview = await client.patient_overview("p1")
    assert client.round_trips == 1
    assert overview.patient.family == "Strand" and overview.emergency_access_until is None
    assert [e["request"]["url"] for e in sent_json(route)["entry"]] == list(overview_queries("p1").values())
    assert "x-break-glass-reason" not in route.calls[0].request.headers


async def test_break_the_glass_takes_the_patients_own_token_and_its_requests_carry_it(
        api: respx.MockRouter, client: EpjClient) -> None:
    """Break-the-glass is a token for one patient from the authorization server (the session's token
    exchange), asked for before the overview's batch: no batch entry depends on another, and no
    custom header is sent. The requests about that patient carry it until it ends; all others the
    session's token."""
    asked: list[tuple[str, str]] = []
    ends = time.time() + 4 * 3600

    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:
        asked.append((patient_id, reason))
        return "btg-token", ends

    client.allow_break_glass(exchange)
    batch = api.post(BASE).mock(return_value=fhir(200, overview_answer()))
    reads = api.get(url__regex=rf"{BASE}/.*").mock(return_value=fhir(200, searchset()))
    overview = await client.patient_overview("p1", "  Hjertestans på gangen, ingen lege på post  ")
    assert asked == [("p1", "Hjertestans på gangen, ingen lege på post")]
    sent = batch.calls[0].request
    assert sent.headers["authorization"] == "Bearer btg-token"
    assert not any(name.lower().startswith("x-") for name in sent.headers)
    assert client.round_trips == 1  # the exchange goes to the authorization server
    assert overview.emergency_access_until == datetime.fromtimestamp(ends, UTC)
    await client.microbiology("p1")
    await client.my_wards("prac-1")
    carried = [call.request.headers["authorization"] for call in reads.calls]
    assert carried[0] == "Bearer btg-token" and carried[-1] == f"Bearer {TOKEN}"
    client.transport.clock = lambda: ends + 1  # the token has ended: the session's token again
    await client.microbiology("p1")
    assert reads.calls[-1].request.headers["authorization"] == f"Bearer {TOKEN}"
    client.transport.clock = time.time
    client.transport.patient_tokens.clear()


@pytest.mark.parametrize("read", ["list_own_and_ward_notes", "lab_results", "microbiology", "vital_history",
                                  "patient_photos"])
async def test_every_read_about_a_patient_carries_that_patients_break_the_glass_token(
        api: respx.MockRouter, client: EpjClient, read: str) -> None:
    client.transport.patient_tokens["p1"] = PatientToken("btg-p1", time.time() + 3600)
    route = api.route(url__startswith=BASE).mock(return_value=fhir(200, searchset()))
    for patient_id in ("p1", "p2"):
        with contextlib.suppress(Exception):  # the request is the point here, not what the answer reads as
            await getattr(client, read)(patient_id)
    carried = {call.request.headers["authorization"] for call in route.calls
               if "p1" in str(call.request.url) or b"p1" in call.request.content}
    others = {call.request.headers["authorization"] for call in route.calls} - carried
    assert carried == {"Bearer btg-p1"} and others == {f"Bearer {TOKEN}"}
    client.transport.patient_tokens.clear()


async def test_logging_out_forgets_the_break_the_glass_tokens(api: respx.MockRouter, client: EpjClient) -> None:
    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:
        return "btg-token", time.time() + 3600

    client.allow_break_glass(exchange)
    api.post(BASE).mock(return_value=fhir(200, overview_answer()))
    await client.patient_overview("p1", "Hjertestans på gangen")
    assert client.transport.patient_token("p1") is not None
    client.set_token(None)
    assert client.transport.patient_tokens == {}


async def test_a_break_glass_the_app_cannot_ask_for_says_to_take_it_in_the_epj(
        api: respx.MockRouter, client: EpjClient) -> None:
    """Without a token exchange (a login or server that offers none) no request is sent at all:
    BreakGlassUnavailable (the screen says emergency access must be taken in the EPJ)."""
    batch = api.post(BASE)
    with pytest.raises(BreakGlassUnavailable) as raised:
        await client.patient_overview("p1", "Hjertestans på gangen")
    assert raised.value.patient_id == "p1" and not batch.called and client.round_trips == 0

    async def not_offered(patient_id: str, reason: str) -> tuple[str, float]:
        raise BreakGlassUnavailable("no token exchange", patient_id=patient_id)

    client.allow_break_glass(not_offered)
    with pytest.raises(BreakGlassUnavailable):
        await client.patient_overview("p1", "Hjertestans på gangen")
    assert not batch.called


async def test_a_record_still_closed_with_the_token_says_to_take_it_in_the_epj(
        api: respx.MockRouter, client: EpjClient) -> None:
    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:
        return "btg-token", time.time() + 3600

    client.allow_break_glass(exchange)
    api.post(BASE).mock(return_value=fhir(200, overview_answer(clinical=(403, outcome("forbidden", "No relation")))))
    with pytest.raises(BreakGlassUnavailable):
        await client.patient_overview("p1", "Hjertestans på gangen")
    client.transport.patient_tokens.clear()
    with pytest.raises(AccessDenied) as plain:  # without a reason: the ordinary refusal
        await client.patient_overview("p1")
    assert not isinstance(plain.value, BreakGlassUnavailable)


async def test_an_unknown_patient_is_not_found(api: respx.MockRouter, client: EpjClient) -> None:
    api.post(BASE).mock(return_value=fhir(200, overview_answer(
        patient=(404, outcome("not-found", "Patient/p1 is not known")),
        clinical=(200, searchset()))))
    with pytest.raises(NotFound) as raised:
        await client.patient_overview("p1")
    assert raised.value.detail == "Patient/p1 is not known"


async def test_a_denied_overview_carries_the_banner_and_current_bed(api: respx.MockRouter,
                                                                    client: EpjClient) -> None:
    subsetted = {"resourceType": "Encounter", "id": "e1", "status": "in-progress",
                 "meta": {"tag": [{"code": "SUBSETTED"}]}, "subject": {"reference": "Patient/p1"},
                 "location": [{"location": {"reference": "Location/ward-med", "display": "Medisinsk"},
                               "physicalType": {"coding": [{"code": "wa", "system":
                                   "http://terminology.hl7.org/CodeSystem/location-physical-type"}]}},
                              {"location": {"reference": "Location/b", "display": "Rom 3 seng 2"}}]}
    api.post(BASE).mock(return_value=fhir(200, overview_answer(
        clinical=(403, outcome("forbidden", "You have no care relation to Patient/p1")),
        stays=(200, searchset(subsetted)))))
    with pytest.raises(AccessDenied) as raised:
        await client.patient_overview("p1")
    denied = raised.value
    assert (denied.patient_id, denied.status, denied.detail) == (
        "p1", 403, "You have no care relation to Patient/p1")
    assert denied.patient is not None and denied.patient.name == "Gerd Strand"
    assert denied.patient.stay is not None
    assert (denied.patient.stay.ward_name, denied.patient.stay.bed_label) == ("Medisinsk", "3-2")
    assert denied.patient.stay.reason is None


async def test_a_denied_overview_without_stays_still_has_the_banner(api: respx.MockRouter,
                                                                    client: EpjClient) -> None:
    denied_outcome = outcome("forbidden", "No access")
    api.post(BASE).mock(return_value=fhir(200, overview_answer(clinical=(403, denied_outcome),
                                                               stays=(403, denied_outcome))))
    with pytest.raises(AccessDenied) as raised:
        await client.patient_overview("p1")
    assert raised.value.patient is not None and raised.value.patient.stay is None


# ------------------------------------------------------------------ the recent-patients list


def _if_match(route: respx.Route, call: int = -1) -> str | None:
    value: str | None = route.calls[call].request.headers.get("if-match")
    return value


async def test_remembering_a_patient_updates_my_list_with_its_version(api: respx.MockRouter,
                                                                      client: EpjClient) -> None:
    api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset(LIST)))
    put = api.put(f"{BASE}/List/l1").mock(return_value=fhir(200, LIST))
    await client.remember_recent("prac-1", "b")
    assert client.round_trips == 2
    assert _if_match(put) == 'W/"3"'
    assert [e["item"]["reference"] for e in sent_json(put)["entry"]] == ["Patient/b", "Patient/a"]


async def test_the_first_patient_creates_the_list_once(api: respx.MockRouter, client: EpjClient) -> None:
    search = api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset()))
    create = api.post(f"{BASE}/List").mock(return_value=fhir(201, {**LIST, "id": "new"}))
    await client.remember_recent("prac-1", "p1")
    assert dict(parse_qsl(urlsplit(str(search.calls[0].request.url)).query)) == {
        "source": "Practitioner/prac-1",
        "code": "https://visitt.example.no/fhir/CodeSystem/list-code|recent-patients"}
    condition = dict(parse_qsl(create.calls[0].request.headers["if-none-exist"]))
    assert condition == {"code": "https://visitt.example.no/fhir/CodeSystem/list-code|recent-patients",
                         "source": "Practitioner/prac-1"}
    body = sent_json(create)
    assert (body["resourceType"], body["status"], body["mode"]) == ("List", "current", "working")
    assert body["source"] == {"reference": "Practitioner/prac-1"}
    assert body["entry"][0]["item"] == {"reference": "Patient/p1"}


async def test_a_list_created_meanwhile_elsewhere_is_updated(api: respx.MockRouter,
                                                              client: EpjClient) -> None:
    api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset()))
    api.post(f"{BASE}/List").mock(return_value=fhir(200, LIST))  # the conditional create found one
    put = api.put(f"{BASE}/List/l1").mock(return_value=fhir(200, LIST))
    await client.remember_recent("prac-1", "p1")
    assert _if_match(put) == 'W/"3"'
    assert [e["item"]["reference"] for e in sent_json(put)["entry"]][:1] == ["Patient/p1"]


async def test_a_conflict_is_read_again_and_retried_once(api: respx.MockRouter, client: EpjClient) -> None:
    newer = {**LIST, "meta": {"versionId": "4"}, "entry": [{"item": {"reference": "Patient/c"}}]}
    api.get(f"{BASE}/List").mock(side_effect=[fhir(200, searchset(LIST)), fhir(200, searchset(newer))])
    put = api.put(f"{BASE}/List/l1").mock(side_effect=[
        fhir(412, outcome("conflict", "Version conflict: saved by Kari Nordmann")), fhir(200, newer)])
    await client.remember_recent("prac-1", "p1")
    assert [_if_match(put, 0), _if_match(put, 1)] == ['W/"3"', 'W/"4"']
    assert [e["item"]["reference"] for e in sent_json(put)["entry"]] == ["Patient/p1", "Patient/c"]
    assert client.round_trips == 4


async def test_a_second_conflict_is_raised(api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset(LIST)))
    api.put(f"{BASE}/List/l1").mock(return_value=fhir(412, outcome("conflict", "Saved by Kari Nordmann")))
    with pytest.raises(Conflict) as raised:
        await client.remember_recent("prac-1", "p1")
    assert "Kari Nordmann" in raised.value.detail
