"""Malformed input of every kind, on every route, is a 4xx with an OperationOutcome, never a 500;
numbers JSON cannot carry back (NaN, Infinity, 1e999) are refused and never stored."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mock_epj import wire
from tests.support.mock_server import FHIR_JSON, Server, entries, inpatient, login, outcome_text

DEEP = 5_000


def _observation(patient: str, value: str = "72") -> bytes:
    return (f'{{"resourceType":"Observation","status":"final","code":{{"text":"Puls"}},'
            f'"subject":{{"reference":"Patient/{patient}"}},"effectiveDateTime":"2026-11-28T08:00:00+01:00",'
            f'"valueQuantity":{{"value":{value},"unit":"/min"}}}}').encode()


BODIES: dict[str, bytes] = {
    "NaN": b"NaN", "Infinity": b"Infinity", "-Infinity": b"-Infinity", "1e999": b"1e999",
    "NaN inside": b'{"resourceType":"Bundle","type":"batch","total":NaN,"entry":[]}',
    "1e999 inside": b'{"username":"lege1","pin":"1234","x":1e999}',
    "-1e999 inside": b'{"resourceType":"Bundle","type":"batch","entry":[],"x":[-1e999]}',
    "5,000 digits": b'{"username":"lege1","pin":"1234","n":' + b"9" * 5_000 + b"}",
    "41 digits": b'{"resourceType":"Bundle","type":"batch","entry":[],"n":' + b"1" * 41 + b"}",
    "long fraction": b'{"n":0.' + b"1" * 5_000 + b"}",
    "lone surrogate": b'{"username":"\\ud800","pin":"1234"}',
    "lone low surrogate": b'{"resourceType":"Patient","name":[{"family":"A\\udc00"}]}',
    "surrogate key": b'{"\\ud800":1,"resourceType":"Bundle","type":"batch","entry":[]}',
    "nested arrays": b"[" * DEEP + b"]" * DEEP,
    "nested objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "nested 150": b'{"resourceType":"Bundle","type":"batch","entry":[],"x":' + b"[" * 150 + b"]" * 150 + b"}",
    "not UTF-8": b'{"username":"\xff\xfe","pin":"1"}',
    "BOM": b'\xef\xbb\xbf{"resourceType":"Bundle","type":"batch","entry":[]}',
    "NUL": b'{"username":"lege1\x00","pin":"1234"}',
    "escaped NUL": b'{"username":"lege1\\u0000","pin":"1234","resourceType":"Patient"}',
    "truncated": b'{"resourceType":',
    "empty": b"",
    "null": b"null", "array": b"[]", "string": b'"x"', "number": b"7",
    "bundle of junk": b'{"resourceType":"Bundle","type":"transaction","entry":[1,"x",null]}',
    "entry with a huge offset": (b'{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET",'
                                 b'"url":"Patient?_offset=9223372036854775808"}}]}'),
    "entry with a surrogate url": (b'{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET",'
                                   b'"url":"Patient/\\ud800"}}]}'),
    "entry with a bad version": (b'{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET",'
                                 b'"url":"Patient/x/_history/99999999999999999999999"}}]}'),
    "OTLP junk": b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1e999","body":NaN}]}]}]}',
}

QUERIES = [
    "_offset=9223372036854775808", "_offset=-1", "_offset=1e3", "_offset=%D9%A3", "_offset=+5", "_offset=1_0",
    "_count=" + "9" * 5_000, "_count=99999999999999999999", "_count=%C2%B2", "_count=-5",
    "name=%ED%A0%80", "name=%uD800", "family=%00", "_id=%ED%A0%80%ED%B0%80", "_id=" + "x" * 5_000,
    "date=ge99999-01-01", "date=1e999", "birthdate=gt" + "9" * 5_000, "_lastUpdated=NaN",
    "value-quantity=1e999", "value-quantity=NaN", "value-quantity=" + "9" * 5_000,
    "patient=" + ",".join(f"p{i}" for i in range(300)), "patient=%ED%A0%80", "subject:Patient=%00",
    "_sort=%ED%A0%80", "_include=%ED%A0%80", "_include:iterate=x:y:z:w", "_revinclude=::::",
    "_summary=%ED%A0%80", "_elements=" + ",".join(["x"] * 1000), "identifier=|||", "code=%7C%7C",
    "_format=%ED%A0%80", "status:not=%ED%A0%80", "_has:Observation:patient:code=1",
]
HEADERS: list[dict[str, str | bytes]] = [
    {"X-Break-Glass-Reason": "%ED%A0%80" * 12}, {"X-Break-Glass-Reason": "%FF" * 20},
    {"If-Match": 'W/"99999999999999999999999"'}, {"If-Match": 'W/"²"'.encode()},
    {"X-Break-Glass-Reason": "\ud800".encode("utf-8", "surrogatepass") * 12},
    {"If-None-Exist": "_offset=9223372036854775808&_id=x"}, {"If-None-Exist": "_id=%ED%A0%80"},
    {"If-None-Exist": "name=" + "9" * 5_000}, {"Prefer": "return=%ED%A0%80, handling=strict"},
    {"Accept": "application/json; q=NaN"}, {"Content-Type": "application/json; charset=utf-16"},
]


@pytest.fixture(scope="module")
def setting(shared_server: Server) -> Iterator[tuple[Server, httpx.Client, list[tuple[str, str]]]]:
    with login(shared_server.url, "lege1") as lege1:
        patient = inpatient(lege1)
        created = lege1.post("Observation", content=_observation(patient),
                             headers={"Content-Type": FHIR_JSON}).json()
        routes = [
            ("GET", "/fhir/metadata"), ("POST", "/auth/token"), ("POST", "/auth/logout"),
            ("GET", "/fhir/.well-known/smart-configuration"), ("GET", "/auth/jwks"), ("GET", "/auth/authorize"),
            ("POST", "/auth/authorize"), ("POST", "/auth/revoke"),
            ("GET", "/_admin/faults"), ("POST", "/_admin/faults"), ("POST", "/_admin/labs"),
            ("POST", "/v1/logs"), ("GET", "/v1/logs/export"), ("POST", "/fhir"),
            ("GET", "/fhir/Observation"), ("POST", "/fhir/Observation"), ("POST", "/fhir/Observation/_search"),
            ("GET", "/fhir/Patient"), ("POST", "/fhir/Patient/_search"),
            ("GET", f"/fhir/Observation/{created['id']}"), ("PUT", f"/fhir/Observation/{created['id']}"),
            ("GET", f"/fhir/Observation/{created['id']}/_history/1"),
            ("GET", f"/fhir/Observation/{created['id']}/_history/9223372036854775808"),
            ("GET", f"/fhir/Observation/{created['id']}/_history/%C2%B2"),
            ("GET", "/fhir/Patient/%ED%A0%80"), ("GET", "/fhir/%00/x"), ("PATCH", "/fhir/Patient/x"),
            ("DELETE", f"/fhir/Observation/{created['id']}"),
        ]
        yield shared_server, lege1, routes


def _failures(server: Server, client: httpx.Client, routes: list[tuple[str, str]],
              cases: list[tuple[str, dict[str, Any]]]) -> list[str]:
    failed = []
    token = client.headers["Authorization"]
    with httpx.Client(base_url=server.url, timeout=20) as raw:
        for method, path in routes:
            for name, case in cases:
                # (a logout would revoke the token the other requests need to get past the login)
                auth = "Bearer not-the-token" if path == "/auth/logout" else token
                headers = {"Authorization": auth, "Content-Type": FHIR_JSON, **case.get("headers", {})}
                if path.endswith("/_search") and "content" not in case:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                query = case.get("query")
                url = f"{path}?{query}" if query else path
                response = raw.request(method, url, content=case.get("content"), headers=headers)
                if response.status_code >= 500:
                    failed.append(f"{method} {path} {name}: {response.status_code} {response.text[:200]}")
                elif response.status_code >= 400 and response.headers.get("content-type", "").startswith(
                        ("application/fhir+json", "application/json")):
                    response.json()  # an answer to bad input is still JSON
    assert client.get("Patient", params={"_count": 1}).status_code == 200  # the requests were not 401s
    return failed


def test_malformed_bodies_never_give_a_500(setting: tuple[Server, httpx.Client, list[tuple[str, str]]]) -> None:
    server, lege1, routes = setting
    cases = [(name, {"content": body}) for name, body in BODIES.items()]
    assert _failures(server, lege1, routes, cases) == []


def test_malformed_parameters_and_headers_never_give_a_500(
        setting: tuple[Server, httpx.Client, list[tuple[str, str]]]) -> None:
    server, lege1, routes = setting
    cases: list[tuple[str, dict[str, Any]]] = [(query[:40], {"query": query}) for query in QUERIES]
    cases += [(str(headers)[:60], {"headers": headers, "content": b"{}"}) for headers in HEADERS]
    cases += [(f"form {query[:40]}", {"content": query.encode(), "headers": {
        "Content-Type": "application/x-www-form-urlencoded"}}) for query in QUERIES]
    assert _failures(server, lege1, routes, cases) == []


@pytest.mark.parametrize("name", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 41])
def test_numbers_json_cannot_carry_are_refused_and_never_stored(shared_server: Server, name: str) -> None:
    with login(shared_server.url, "lege1") as lege1:
        patient = inpatient(lege1)
        response = lege1.post("Observation", content=_observation(patient, name), headers={"Content-Type": FHIR_JSON})
        assert response.status_code == 400, response.text
        assert "not valid JSON" in outcome_text(response)
        transaction = (b'{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST",'
                       b'"url":"Observation"},"resource":' + _observation(patient, name) + b"}]}")
        assert lege1.post("", content=transaction, headers={"Content-Type": FHIR_JSON}).status_code == 400
        found = lege1.get("Observation", params={"patient": patient, "_count": 1000})
        bundle = wire.loads(found.content)  # strictly valid JSON: no NaN or Infinity in it
        assert all(isinstance(o.get("valueQuantity", {}).get("value", 0), int | float) for o in entries(bundle))


def _raw(server: Server, request: bytes) -> bytes:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("lengths", [(b"2", b"3"), (b"2", b"2"), (b"+2",), (b"2_0",), (b"\xd9\xa2",), (b"-1",),
                                     (b"9" * 40,)])
def test_content_length_must_be_one_plain_number(shared_server: Server, lengths: tuple[bytes, ...]) -> None:
    head = b"POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += b"".join(b"Content-Length: " + length + b"\r\n" for length in lengths)
    answer = _raw(shared_server, head + b'\r\n{"username":"lege1","pin":"1234"}')
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"Content-Length" in answer and b"Connection: close" in answer


def test_transfer_encodings_other_than_none_are_refused(shared_server: Server) -> None:
    head = b"POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
    assert _raw(shared_server, head + b"Transfer-Encoding: chunked\r\n\r\n{}").startswith(b"HTTP/1.1 411 ")
    assert _raw(shared_server, head + b"Transfer-Encoding: gzip\r\n\r\n{}").startswith(b"HTTP/1.1 501 ")


@pytest.mark.parametrize("target", [b"/fhir/Patient/\xed\xa0\x80", b"/fhir/Patient?name=\xed\xa0\x80",
                                    b"/fhir/Observation?patient=\xff\xfe&_count=\xd9\xa3",
                                    b"/fhir/Patient?_offset=9223372036854775808&_id=%ED%A0%80",
                                    b"/fhir/Patient/%ED%A0%80/_history/%ED%A0%80", b"/fhir/%ED%A0%80"])
def test_raw_bytes_and_surrogates_in_the_request_line_are_not_a_500(shared_server: Server, target: bytes) -> None:
    token = httpx.post(f"{shared_server.url}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
    answer = _raw(shared_server, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  b"Authorization: Bearer " + token["access_token"].encode() + b"\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer[:300]
