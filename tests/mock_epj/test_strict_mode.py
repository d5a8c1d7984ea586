"""The mock EPJ in strict mode (``mock-epj serve --strict``): no mock-only behaviour. Unknown and
mock-only search parameters give 400, paging links are opaque, batch entries run shuffled, the lab
simulation writes no Communications, custom headers are not honoured and a 412 names nobody; and
the same requests against the mock as it is, to show what strict mode switches off."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from mock_epj.bundles import shuffled_order
from mock_epj.cli import build_parser
from mock_epj.terminology import CATEGORY_LAB_NOTIFICATION, COMMUNICATION_CATEGORY
from tests.support.database import copy_db
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text, serve

REASON = "Akutt tilsyn på medisinsk post, pasienten er ustabil"


@pytest.fixture
def strict_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    yield from serve(copy_db(seeded_db, tmp_path / "strict.sqlite3"), strict=True)


@pytest.fixture
def lenient_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    yield from serve(copy_db(seeded_db, tmp_path / "lenient.sqlite3"))


@pytest.fixture(scope="module")
def strict_reads(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A strict server for the tests that only read."""
    yield from serve(copy_db(seeded_db, tmp_path_factory.mktemp("strict") / "epj.sqlite3"), strict=True)


@pytest.fixture(scope="module")
def lenient_reads(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(copy_db(seeded_db, tmp_path_factory.mktemp("lenient") / "epj.sqlite3"))


def test_the_command_line_takes_strict() -> None:
    assert build_parser().parse_args(["serve", "--strict"]).strict is True
    assert build_parser().parse_args(["serve"]).strict is False


# ------------------------------------------------------------------ search parameters


@pytest.mark.parametrize("path, params", [
    ("Patient", {"nonsense": "1"}),
    ("Observation", {"signed-by:missing": "true"}),  # the old signature parameter: unknown (gone)
    ("Flag", {"status": "active"}),  # not an R4 Flag parameter
    ("Flag", {"category": "x|y"}),
    ("Subscription", {"patient": "Patient/1"}),
    ("Patient", {"_offset": "20"}),  # not an R4 parameter: page by the links
    ("Patient", {"_sort": "nonsense"}),
])
def test_unknown_and_mock_only_parameters_give_400_in_strict_mode(
        strict_reads: Server, lenient_reads: Server, path: str, params: dict[str, str]) -> None:
    with login(strict_reads.url, "lege1") as strict, login(lenient_reads.url, "lege1") as lenient:
        refused = strict.get(path, params=params)
        assert refused.status_code == 400, refused.text
        assert refused.json()["resourceType"] == "OperationOutcome"
        assert refused.json()["issue"][0]["code"] == "not-supported"
        assert lenient.get(path, params=params).status_code == 200  # the mock ignores or knows it
        batch = {"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "GET", "url": f"{path}?{next(iter(params))}={next(iter(params.values()))}"}}]}
        assert strict.post("", json=batch).json()["entry"][0]["response"]["status"].startswith("400")


def test_prefer_handling_strict_refuses_unknown_parameters_per_request(lenient_reads: Server) -> None:
    with login(lenient_reads.url, "lege1") as lege1:
        assert lege1.get("Patient", params={"nonsense": "1"}).status_code == 200
        for prefer in ("handling=strict", "return=minimal, handling=strict", "HANDLING=strict"):
            refused = lege1.get("Patient", params={"nonsense": "1"}, headers={"Prefer": prefer})
            assert refused.status_code == 400, prefer
            assert "nonsense" in outcome_text(refused)
        assert lege1.get("Patient", params={"nonsense": "1"}, headers={"Prefer": "handling=lenient"}).status_code == 200


def test_strict_paging_links_are_opaque_and_can_only_be_followed(strict_reads: Server) -> None:
    with login(strict_reads.url, "lege1") as lege1:
        first = lege1.get("Patient", params={"_count": 5, "_sort": "family"}).json()
        link = next(x["url"] for x in first["link"] if x["relation"] == "next")
        params = dict(parse_qsl(urlsplit(link).query))
        assert "_offset" not in params and params["_page"]
        second = lege1.get(link).json()
        assert second["entry"] and not {e["resource"]["id"] for e in second["entry"]} & {
            e["resource"]["id"] for e in first["entry"]}
        assert lege1.get("Patient", params={"_page": "not-a-page"}).status_code == 400


def test_the_strict_capability_statement_lists_r4_parameters_only(strict_reads: Server,
                                                                  lenient_reads: Server) -> None:
    def params(server: Server, type_: str) -> set[str]:
        statement = httpx.get(f"{server.fhir}/metadata").json()
        resource = next(r for r in statement["rest"][0]["resource"] if r["type"] == type_)
        return {p["name"] for p in resource["searchParam"]}

    assert not {"status", "category"} & params(strict_reads, "Flag")
    assert {"patient", "identifier"} <= params(strict_reads, "Flag")
    assert {"status", "category"} <= params(lenient_reads, "Flag")  # the mock's extras, outside strict mode
    assert "patient" not in params(strict_reads, "Subscription")
    assert "X-Break-Glass" not in httpx.get(f"{strict_reads.fhir}/metadata").text


# ------------------------------------------------------------------ batches


def _versions_of_a_batch(client: httpx.Client, count: int) -> list[int]:
    """PUT the same List ``count`` times in one batch: each entry's new version number says when it
    ran (1 for the first to run)."""
    list_id = f"order-{random.randrange(10**9)}"
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "PUT", "url": f"List/{list_id}"},
         "resource": {"resourceType": "List", "id": list_id, "status": "current", "mode": "working",
                      "title": f"entry {index}"}}
        for index in range(count)]}
    answer = client.post("", json=batch).json()
    return [int(entry["response"]["etag"].strip('W/"')) for entry in answer["entry"]]


def test_a_strict_server_runs_a_batch_out_of_order_and_answers_in_order(strict_server: Server,
                                                                        lenient_server: Server) -> None:
    with login(strict_server.url, "lege1") as strict, login(lenient_server.url, "lege1") as lenient:
        assert _versions_of_a_batch(lenient, 6) == [1, 2, 3, 4, 5, 6]  # the mock: in request order
        shuffled = _versions_of_a_batch(strict, 6)
        assert sorted(shuffled) == [1, 2, 3, 4, 5, 6] and shuffled != [1, 2, 3, 4, 5, 6]
        # the answers stay with their requests: each entry's resource is the one it sent
        patient = inpatient(strict)
        urls = [f"Patient/{patient}", f"Flag?patient={patient}", f"Condition?patient={patient}",
                f"Encounter?patient={patient}", f"AllergyIntolerance?patient={patient}"]
        answer = strict.post("", json={"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "GET", "url": url}} for url in urls]}).json()
        kinds = [e["resource"]["resourceType"] for e in answer["entry"]]
        assert kinds[0] == "Patient" and kinds[1:] == ["Bundle"] * 4
        assert [e["resource"].get("link", [{}])[0].get("url", "").split("/fhir/")[-1].split("?")[0]
                for e in answer["entry"][1:]] == ["Flag", "Condition", "Encounter", "AllergyIntolerance"]


def test_the_shuffled_order_is_never_the_request_order() -> None:
    for seed in range(300):
        for count in (2, 3, 5, 14):
            order = shuffled_order(count, random.Random(seed))
            assert sorted(order) == list(range(count)) and order != list(range(count))
    assert shuffled_order(1) == [0] and shuffled_order(0) == []


# ------------------------------------------------------------------ side effects and headers


def _follow_and_arrive(server: Server) -> tuple[list[str], list[dict[str, Any]]]:
    """lege1 follows an inpatient's results, new results arrive: (created refs, lege1's lab
    notifications)."""
    with login(server.url, "lege1") as lege1:
        pid = inpatient(lege1)
        me = httpx.post(f"{server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        created = lege1.post("Subscription", json={
            "resourceType": "Subscription", "status": "requested", "reason": "Følger prøvesvar",
            "criteria": f"Observation?patient=Patient/{pid}&category=laboratory", "channel": {"type": "message"}})
        assert created.status_code == 201, created.text
        arrival = httpx.post(f"{server.url}/_admin/labs", json={"patient": pid})
        assert arrival.status_code == 200, arrival.text
        inbox = entries(lege1.get("Communication", params={
            "recipient": me["practitioner"],
            "category": f"{COMMUNICATION_CATEGORY}|{CATEGORY_LAB_NOTIFICATION}"}).json())
        return arrival.json()["created"], inbox


def test_a_strict_server_writes_no_communications_of_its_own(strict_server: Server, lenient_server: Server) -> None:
    created, inbox = _follow_and_arrive(lenient_server)
    assert any(ref.startswith("Communication/") for ref in created) and len(inbox) == 1  # the mock's extra
    created, inbox = _follow_and_arrive(strict_server)
    assert any(ref.startswith("Observation/") for ref in created)  # the results do arrive
    assert not any(ref.startswith("Communication/") for ref in created) and inbox == []


def test_a_strict_server_honours_no_break_the_glass_header(strict_server: Server, lenient_server: Server) -> None:
    glass = {"X-Break-Glass-Reason": quote(REASON, safe="")}
    for server in (lenient_server, strict_server):
        with login(server.url, "lege2") as lege2, login(server.url, "lege1") as lege1:
            patient = inpatient(lege1)  # on the medical ward: lege2 has no care relation
            answer = lege2.get("Condition", params={"patient": patient}, headers=glass)
            if server is lenient_server:
                assert answer.status_code == 200 and f"Patient/{patient}" in answer.headers["X-Break-Glass"]
                continue
            assert answer.status_code == 403
            assert "X-Break-Glass" not in answer.headers and "X-Break-Glass" not in outcome_text(answer)
            batch = {"resourceType": "Bundle", "type": "batch",
                     "entry": [{"request": {"method": "GET", "url": f"Flag?patient={patient}"}}]}
            assert lege2.post("", json=batch, headers=glass).json()["entry"][0]["response"]["status"] == "403 Forbidden"
            assert lege2.get("Condition", params={"patient": patient}).status_code == 403  # nothing was granted


def test_a_strict_412_names_nobody_and_nothing_is_stamped(strict_server: Server, lenient_server: Server) -> None:
    for server in (lenient_server, strict_server):
        with login(server.url, "lege1") as lege1:
            list_id = "conflict-list"
            body = {"resourceType": "List", "id": list_id, "status": "current", "mode": "working", "title": "a"}
            first = lege1.put(f"List/{list_id}", json=body)
            assert first.status_code == 201
            assert lege1.put(f"List/{list_id}", json={**body, "title": "b"}, headers={"If-Match": 'W/"1"'}).is_success
            stale = lege1.put(f"List/{list_id}", json={**body, "title": "c"}, headers={"If-Match": 'W/"1"'})
            assert stale.status_code == 412 and stale.headers["ETag"] == 'W/"2"'
            named = "saved by" in outcome_text(stale)
            stamped = bool(first.json().get("meta", {}).get("extension"))
            assert (named, stamped) == ((False, False) if server.strict else (True, True))
