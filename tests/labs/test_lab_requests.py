"""The lab requests as sent on the wire (mocked HTTP): paging, parameters, fallbacks and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx

from mobile_app.domain.models import Practitioner, ResultVersion
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import AccessDenied, BadResponse
from mobile_app.epj.signing import SignConflict
from tests.support.lab_samples import observation, provenance, quantity
from tests.support.mocked_http import BASE, batch_response, fhir, outcome, searchset, sent_json

pytestmark = pytest.mark.asyncio
LEGE1 = Practitioner(id="prac-001", name="Kari Nordmann")


def page(*resources: dict[str, object], next_url: str | None = None) -> dict[str, object]:
    bundle = searchset(*resources)
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def batch_urls(request: httpx.Request) -> list[str]:
    return [e["request"]["url"] for e in json.loads(request.content)["entry"]]


async def test_lab_results_ask_for_big_pages_and_follow_next_links_on_our_own_server(
        api: respx.MockRouter, client: EpjClient) -> None:
    first = page(observation("a", valueQuantity=quantity(4)),
                 next_url="http://internal-host:9999/fhir/Observation?patient=p1&_count=1000&_offset=1000")
    batch = api.post(BASE).mock(return_value=fhir(200, batch_response((200, first), (200, searchset()))))
    second = page(observation("b", valueQuantity=quantity(5)))
    more = api.get(f"{BASE}/Observation").mock(return_value=fhir(200, second))
    panel = await client.lab_results("p1")
    urls = batch_urls(batch.calls[0].request)
    assert dict(parse_qsl(urlsplit(urls[0]).query)) == {
        "patient": "p1", "category": "laboratory", "_sort": "-date", "_revinclude": "Provenance:target",
        "_count": "1000"}
    assert urls[1].startswith("DiagnosticReport?patient=p1")
    assert dict(more.calls[0].request.url.params) == {"patient": "p1", "_count": "1000", "_offset": "1000"}
    assert panel.complete and {r.id for h in panel.history.values() for r in h} == {"a", "b"}
    assert client.round_trips == 2


async def test_paging_follows_the_next_links_only_even_when_they_page_by_offset(
        api: respx.MockRouter, client: EpjClient) -> None:
    """FHIR promises the links, nothing about what is in them: no page URL is made up from an
    ``_offset`` and a ``total`` (a strict server refuses ``_offset``), the next link is followed."""
    first = page(observation("a", valueQuantity=quantity(4)),
                 next_url=f"{BASE}/Observation?patient=p1&_sort=-date&_count=2&_offset=2")
    first["total"] = 6
    second = page(observation("b", valueQuantity=quantity(4)), next_url=f"{BASE}/Observation?_page=opaque-3")
    third = page(observation("c", valueQuantity=quantity(4)))
    route = api.post(BASE).mock(return_value=fhir(200, batch_response((200, first), (200, searchset()))))
    more = api.get(f"{BASE}/Observation").mock(side_effect=[fhir(200, second), fhir(200, third)])
    panel = await client.lab_results("p1")
    assert route.call_count == 1
    assert [dict(call.request.url.params) for call in more.calls] == [
        {"patient": "p1", "_sort": "-date", "_count": "2", "_offset": "2"}, {"_page": "opaque-3"}]
    assert {r.id for h in panel.history.values() for r in h} == {"a", "b", "c"} and panel.complete
    assert client.round_trips == 3


async def test_a_history_longer_than_the_page_limit_says_it_is_incomplete(
        api: respx.MockRouter, client: EpjClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from mobile_app.epj import lab_requests

    monkeypatch.setattr(lab_requests, "MAX_LAB_PAGES", 3)
    endless = page(observation("x", valueQuantity=quantity(4)), next_url=f"{BASE}/Observation?page=next")
    api.post(BASE).mock(return_value=fhir(200, batch_response((200, endless), (200, searchset()))))
    api.get(f"{BASE}/Observation").mock(return_value=fhir(200, endless))
    panel = await client.lab_results("p1")
    assert not panel.complete
    assert client.round_trips == 3


async def test_no_access_names_the_patient_for_break_the_glass(api: respx.MockRouter, client: EpjClient) -> None:
    denied = outcome("forbidden", "You have no care relation to Patient/p1")
    api.post(BASE).mock(return_value=fhir(200, batch_response((403, denied), (403, denied))))
    with pytest.raises(AccessDenied) as error:
        await client.lab_results("p1")
    assert error.value.patient_id == "p1"


async def test_an_unreadable_answer_is_a_bad_response(api: respx.MockRouter, client: EpjClient) -> None:
    api.post(BASE).mock(return_value=fhir(200, batch_response((200, {"resourceType": "Patient"}), (200, searchset()))))
    with pytest.raises(BadResponse):
        await client.lab_results("p1")


async def test_microbiology_is_one_search_with_iterated_includes(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.get(f"{BASE}/DiagnosticReport").mock(return_value=fhir(200, searchset()))
    assert await client.microbiology("p1") == []
    params = route.calls[0].request.url.params
    assert params["category"] == "http://terminology.hl7.org/CodeSystem/v2-0074|MB"
    assert params.get_list("_include") == ["DiagnosticReport:result", "DiagnosticReport:specimen"]
    assert params["_include:iterate"] == "Observation:has-member"


async def test_nothing_to_sign_sends_nothing(api: respx.MockRouter, client: EpjClient) -> None:
    assert await client.sign_results([], LEGE1) == []
    assert client.round_trips == 0


async def test_a_result_changed_before_signing_is_reported_without_writing(
        api: respx.MockRouter, client: EpjClient) -> None:
    changed = observation("a", version="2")
    route = api.post(BASE).mock(return_value=fhir(200, batch_response((200, changed))))
    with pytest.raises(SignConflict) as error:
        await client.sign_results([ResultVersion(id="a", version="1")], LEGE1)
    assert error.value.changed[0].version == "2"
    assert route.call_count == 1  # the read only


async def test_signing_creates_provenances_on_the_versions_seen_and_changes_no_result(
        api: respx.MockRouter, client: EpjClient) -> None:
    current = fhir(200, batch_response((200, observation("a", version="1")), (200, observation("b", version="4"))))
    created = fhir(200, {"resourceType": "Bundle", "type": "transaction-response", "entry": [
        {"response": {"status": "201 Created"}, "resource": {**provenance("Observation/a/_history/1"),
                                                             "recorded": "2026-11-28T09:30:01Z"}},
        {"response": {"status": "201 Created"}}]})
    route = api.post(BASE).mock(side_effect=[current, created])
    done = await client.sign_results([ResultVersion(id="a", version="1"), ResultVersion(id="b", version="4")], LEGE1)
    sent = sent_json(route)
    assert sent["type"] == "transaction"
    assert [e["request"] for e in sent["entry"]] == [{"method": "POST", "url": "Provenance"}] * 2
    assert [e["resource"]["target"] for e in sent["entry"]] == [
        [{"reference": "Observation/a/_history/1"}], [{"reference": "Observation/b/_history/4"}]]
    first = sent["entry"][0]["resource"]
    assert first["agent"][0]["who"] == first["signature"][0]["who"] == {
        "reference": "Practitioner/prac-001", "display": "Kari Nordmann"}
    assert first["activity"]["coding"][0]["code"] == "verify"
    assert [(d.id, d.version) for d in done] == [("a", "1"), ("b", "4")]  # a signature is no new version
    assert done[0].signature.at == datetime(2026, 11, 28, 9, 30, 1, tzinfo=UTC)  # the server's time


async def test_the_ward_marker_reads_signatures_from_provenances(
        api: respx.MockRouter, client: EpjClient) -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    recent = (now - timedelta(hours=3)).isoformat()

    def on(patient: str, obs_id: str, **extra: Any) -> dict[str, Any]:
        found = observation(obs_id, when=recent, valueQuantity=quantity(4), **extra)
        found["subject"] = {"reference": f"Patient/{patient}"}
        return found

    stays = searchset(*({"resourceType": "Encounter", "id": f"e{p}", "subject": {"reference": f"Patient/{p}"}}
                        for p in ("p1", "p2")))
    results = searchset(on("p1", "a"), on("p2", "b"))
    results["entry"].append({"resource": provenance("Observation/b/_history/1"), "search": {"mode": "include"}})
    route = api.post(BASE).mock(return_value=fhir(200, batch_response((200, stays), (200, results))))
    from mobile_app.epj import lab_requests

    assert await lab_requests.unsigned_new_results(client.transport, "ward-med", now) == {"p1"}
    encounters, observations = (dict(parse_qsl(urlsplit(u).query)) for u in batch_urls(route.calls[0].request))
    assert encounters["location"] == "Location/ward-med"
    assert "signed-by:missing" not in observations and observations["_revinclude"] == "Provenance:target"
    assert observations["date"] == "ge2026-11-26T09:00:00.000Z"


async def test_notifications_since_a_time_ask_for_changes_after_it(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.post(BASE).mock(return_value=fhir(200, batch_response(
        (200, searchset()), (200, searchset()), (200, searchset()))))
    since = datetime(2026, 11, 28, 10, 0, 0, 123000, tzinfo=UTC)
    assert await client.notifications("prac-001", since) == []
    assert client.round_trips == 1  # nobody followed: no search for new results
    messages, tasks, lists = (dict(parse_qsl(urlsplit(u).query)) for u in batch_urls(route.calls[0].request))
    assert (lists["source"], lists["code"]) == (
        "Practitioner/prac-001", "https://visitt.example.no/fhir/CodeSystem/list-code|followed-patients")
    assert messages["recipient"] == "Practitioner/prac-001"
    assert messages["_lastUpdated"] == tasks["_lastUpdated"] == "gt2026-11-28T10:00:00.123Z"
    assert messages["category"].endswith("|lab-notification,https://visitt.example.no/fhir/CodeSystem/"
                                         "communication-category|internal-message")
    assert tasks["status"] == "requested,received,accepted,in-progress"


async def test_marking_other_things_read_sends_nothing(api: respx.MockRouter, client: EpjClient) -> None:
    assert await client.mark_notifications_read(["Observation/1", "nonsense"]) == 0
    assert client.round_trips == 0


def follow_list(*patients: str, source: str = "Practitioner/prac-001", version: str = "3") -> dict[str, Any]:
    return {"resourceType": "List", "id": "f1", "meta": {"versionId": version}, "status": "current",
            "mode": "working", "source": {"reference": source},
            "code": {"coding": [{"system": "https://visitt.example.no/fhir/CodeSystem/list-code",
                                 "code": "followed-patients"}]},
            "entry": [{"item": {"reference": f"Patient/{p}"}, "date": "2026-11-28T08:00:00+00:00"} for p in patients]}


async def test_following_the_first_time_makes_my_list_with_a_conditional_create(
        api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset()))
    created = api.post(f"{BASE}/List").mock(return_value=fhir(201, follow_list("p1", version="1")))
    await client.follow("prac-001", "p1")
    body = sent_json(created)
    assert body["source"] == {"reference": "Practitioner/prac-001"}
    assert [e["item"] for e in body["entry"]] == [{"reference": "Patient/p1"}]
    assert created.calls[0].request.headers["If-None-Exist"] == (
        "code=https%3A%2F%2Fvisitt.example.no%2Ffhir%2FCodeSystem%2Flist-code%7Cfollowed-patients"
        "&source=Practitioner%2Fprac-001")


async def test_following_again_writes_nothing_and_a_colleagues_list_is_not_mine(
        api: respx.MockRouter, client: EpjClient) -> None:
    found = searchset(follow_list("p1"), {**follow_list("p9", source="Practitioner/prac-002"), "id": "f2"})
    api.get(f"{BASE}/List").mock(return_value=fhir(200, found))
    written = api.put(f"{BASE}/List/f1").mock(return_value=fhir(200, follow_list("p1", "p2")))
    await client.follow("prac-001", "p1")  # already followed (a repeat, a retried request)
    assert written.call_count == 0
    assert await client.following("prac-001") == {"p1"}
    await client.follow("prac-001", "p2")
    assert [e["item"]["reference"] for e in sent_json(written)["entry"]] == ["Patient/p1", "Patient/p2"]
    assert written.calls[0].request.headers["If-Match"] == 'W/"3"'


async def test_unfollow_takes_only_that_patient_off_my_list(api: respx.MockRouter, client: EpjClient) -> None:
    api.get(f"{BASE}/List").mock(return_value=fhir(200, searchset(follow_list("p1", "p2"))))
    written = api.put(f"{BASE}/List/f1").mock(return_value=fhir(200, follow_list("p2")))
    await client.unfollow("prac-001", "p1")
    assert [e["item"]["reference"] for e in sent_json(written)["entry"]] == ["Patient/p2"]
    await client.unfollow("prac-001", "p7")  # not followed: nothing written
    assert written.call_count == 1


async def test_new_results_of_all_followed_patients_are_one_search_since_the_last_check(
        api: respx.MockRouter, client: EpjClient) -> None:
    lists = searchset(follow_list("p2", "p1"))
    api.post(BASE).mock(return_value=fhir(200, batch_response((200, searchset()), (200, searchset()), (200, lists))))
    new = observation("n1", valueQuantity=quantity(6.9), interpretation=[{"coding": [{"code": "HH"}]}])
    new["meta"]["lastUpdated"] = "2026-11-28T10:00:05Z"
    searched = api.get(f"{BASE}/Observation").mock(return_value=fhir(200, searchset(new)))
    since = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    [found] = await client.notifications("prac-001", since)
    params = searched.calls[0].request.url.params
    assert (params["patient"], params["category"], params["_lastUpdated"]) == (
        "p1,p2", "laboratory", "gt2026-11-28T10:00:00.000Z")
    assert (found.kind.value, found.patient_id, found.text, found.urgent, found.read) == (
        "lab_result", "p1", "P-Kalium", True, False)
    assert client.round_trips == 2


async def test_a_refused_search_for_new_results_asks_per_patient(api: respx.MockRouter, client: EpjClient) -> None:
    lists = searchset(follow_list("p1", "p2"))
    new = observation("n1", valueQuantity=quantity(4.1))
    new["meta"]["lastUpdated"] = "2026-11-28T10:00:05Z"
    batches = api.post(BASE).mock(side_effect=[
        fhir(200, batch_response((200, searchset()), (200, searchset()), (200, lists))),
        fhir(200, batch_response((200, searchset(new)), (403, outcome("forbidden", "No care relation"))))])
    api.get(f"{BASE}/Observation").mock(return_value=fhir(403, outcome("forbidden", "No care relation")))
    found = await client.notifications("prac-001", datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    assert [n.patient_id for n in found] == ["p1"]
    assert [dict(parse_qsl(urlsplit(u).query))["patient"] for u in batch_urls(batches.calls[1].request)] == [
        "p1", "p2"]
