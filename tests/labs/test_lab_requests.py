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
from tests.epj.mocked import BASE, batch_response, fhir, outcome, searchset

from .samples import SIGNED_BY, observation, quantity

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
        "patient": "p1", "category": "laboratory", "_sort": "-date", "_count": "1000"}
    assert urls[1].startswith("DiagnosticReport?patient=p1")
    assert dict(more.calls[0].request.url.params) == {"patient": "p1", "_count": "1000", "_offset": "1000"}
    assert panel.complete and {r.id for h in panel.history.values() for r in h} == {"a", "b"}
    assert client.round_trips == 2


async def test_with_offset_paging_and_a_total_every_other_page_comes_in_one_batch(
        api: respx.MockRouter, client: EpjClient) -> None:
    first = page(observation("a", valueQuantity=quantity(4)),
                 next_url=f"{BASE}/Observation?patient=p1&_sort=-date&_count=2&_offset=2")
    first["total"] = 6
    rest = [page(observation("b", valueQuantity=quantity(4))), page(observation("c", valueQuantity=quantity(4)))]
    route = api.post(BASE).mock(side_effect=[
        fhir(200, batch_response((200, first), (200, searchset()))),
        fhir(200, batch_response(*((200, p) for p in rest)))])
    panel = await client.lab_results("p1")
    assert batch_urls(route.calls[1].request) == ["Observation?patient=p1&_sort=-date&_count=2&_offset=2",
                                                  "Observation?patient=p1&_sort=-date&_count=2&_offset=4"]
    assert {r.id for h in panel.history.values() for r in h} == {"a", "b", "c"} and panel.complete
    assert client.round_trips == 2


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


async def test_a_412_without_a_readable_cause_still_says_what_the_server_said(
        api: respx.MockRouter, client: EpjClient) -> None:
    text = ("Bundle.entry[0]: Version conflict on Observation/a: you edited version 1, but version 2 was"
            " saved by Ola Hansen at 2026-11-28T08:00:00.000Z. Reload and apply your change again.")
    current = fhir(200, batch_response((200, observation("a", version="1"))))
    api.post(BASE).mock(side_effect=[current, fhir(412, outcome("conflict", text)), current])
    with pytest.raises(SignConflict) as error:
        await client.sign_results([ResultVersion(id="a", version="1")], LEGE1)
    assert error.value.changed[0].changed_by == "Ola Hansen"  # from the text: the re-read saw no change
    assert error.value.server_detail == text


async def test_the_ward_marker_checks_signatures_itself_for_servers_without_the_parameter(
        api: respx.MockRouter, client: EpjClient) -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    recent = (now - timedelta(hours=3)).isoformat()

    def on(patient: str, obs_id: str, **extra: Any) -> dict[str, Any]:
        found = observation(obs_id, when=recent, valueQuantity=quantity(4), **extra)
        found["subject"] = {"reference": f"Patient/{patient}"}
        return found

    stays = searchset(*({"resourceType": "Encounter", "id": f"e{p}", "subject": {"reference": f"Patient/{p}"}}
                        for p in ("p1", "p2")))
    results = searchset(on("p1", "a"), on("p2", "b", extension=[
        {"url": SIGNED_BY, "valueReference": {"reference": "Practitioner/x"}}]))
    route = api.post(BASE).mock(return_value=fhir(200, batch_response((200, stays), (200, results))))
    from mobile_app.epj import lab_requests

    assert await lab_requests.unsigned_new_results(client, "ward-med", now) == {"p1"}
    encounters, observations = (dict(parse_qsl(urlsplit(u).query)) for u in batch_urls(route.calls[0].request))
    assert encounters["location"] == "Location/ward-med"
    assert observations["signed-by:missing"] == "true"
    assert observations["date"] == "ge2026-11-26T09:00:00.000Z"


async def test_notifications_since_a_time_ask_for_changes_after_it(api: respx.MockRouter, client: EpjClient) -> None:
    route = api.post(BASE).mock(return_value=fhir(200, batch_response((200, searchset()), (200, searchset()))))
    since = datetime(2026, 11, 28, 10, 0, 0, 123000, tzinfo=UTC)
    assert await client.notifications("prac-001", since) == []
    messages, tasks = (dict(parse_qsl(urlsplit(u).query)) for u in batch_urls(route.calls[0].request))
    assert messages["recipient"] == "Practitioner/prac-001"
    assert messages["_lastUpdated"] == tasks["_lastUpdated"] == "gt2026-11-28T10:00:00.123Z"
    assert messages["category"].endswith("|lab-notification,https://visitt.example.no/fhir/CodeSystem/"
                                         "communication-category|internal-message")
    assert tasks["status"] == "requested,received,accepted,in-progress"


async def test_marking_other_things_read_sends_nothing(api: respx.MockRouter, client: EpjClient) -> None:
    assert await client.mark_notifications_read(["Observation/1", "nonsense"]) == 0
    assert client.round_trips == 0


async def test_unfollow_deletes_only_the_subscriptions_for_that_patient(
        api: respx.MockRouter, client: EpjClient) -> None:
    mine = searchset(
        {"resourceType": "Subscription", "id": "s1", "status": "active", "criteria": "Observation?patient=Patient/p1"},
        {"resourceType": "Subscription", "id": "s2", "status": "active", "criteria": "Observation?patient=Patient/p2"})
    api.get(f"{BASE}/Subscription").mock(return_value=fhir(200, mine))
    deleted = api.post(BASE).mock(return_value=fhir(200, {"resourceType": "Bundle", "type": "transaction-response",
                                                          "entry": [{"response": {"status": "204 No Content"}}]}))
    await client.unfollow("p1")
    assert [e["request"] for e in json.loads(deleted.calls[0].request.content)["entry"]] == [
        {"method": "DELETE", "url": "Subscription/s1"}]
