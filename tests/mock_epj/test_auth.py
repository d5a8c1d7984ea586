"""Logins, tokens, lock-out and logout."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from mock_epj.app import DEMO_LOGINS, DEMO_PIN
from tests.support.database import copy_db
from tests.support.mock_server import Server, outcome_text, start_server


def test_login_returns_a_bearer_token_with_the_practitioner(shared_server: Server) -> None:
    response = httpx.post(f"{shared_server.url}/auth/token", json={"username": "lege1", "pin": "1234"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["practitioner"].startswith("Practitioner/")
    assert body["role"] == "doctor"
    assert body["name"]
    assert 0 < body["expires_in"] <= 8 * 3600
    assert len(body["access_token"]) >= 32


def test_each_demo_login_has_its_role(shared_server: Server) -> None:
    """The demo logins mock-epj and visitt print (and the README lists) log in with the demo PIN."""
    roles = {}
    for username, _, _ in DEMO_LOGINS:
        response = httpx.post(f"{shared_server.url}/auth/token", json={"username": username, "pin": DEMO_PIN})
        roles[username] = response.json()["role"]
    assert roles == {username: role for username, role, _ in DEMO_LOGINS}
    assert roles == {"lege1": "doctor", "spl1": "nurse", "hfa1": "health_worker", "lege2": "doctor",
                     "revisor": "auditor"}


def test_wrong_pin_is_401_with_an_operation_outcome(shared_server: Server) -> None:
    response = httpx.post(f"{shared_server.url}/auth/token", json={"username": "spl1", "pin": "0000"})
    assert response.status_code == 401
    assert "Wrong username or PIN" in outcome_text(response)


def test_unknown_user_gets_the_same_answer_as_a_wrong_pin(shared_server: Server) -> None:
    response = httpx.post(f"{shared_server.url}/auth/token", json={"username": "nobody", "pin": "1234"})
    assert response.status_code == 401
    assert "Wrong username or PIN" in outcome_text(response)


def test_five_wrong_pins_in_a_row_lock_the_user(server: Server) -> None:
    url = f"{server.url}/auth/token"
    statuses = [httpx.post(url, json={"username": "lege2", "pin": "9999"}).status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = httpx.post(url, json={"username": "lege2", "pin": "1234"})
    assert locked.status_code == 429
    assert "locked" in outcome_text(locked)
    assert int(locked.headers["Retry-After"]) > 0
    # other users are not affected
    assert httpx.post(url, json={"username": "lege1", "pin": "1234"}).status_code == 200


def test_a_right_pin_resets_the_failure_count(server: Server) -> None:
    url = f"{server.url}/auth/token"
    for _ in range(4):
        httpx.post(url, json={"username": "spl1", "pin": "9999"})
    assert httpx.post(url, json={"username": "spl1", "pin": "1234"}).status_code == 200
    for _ in range(4):
        httpx.post(url, json={"username": "spl1", "pin": "9999"})
    assert httpx.post(url, json={"username": "spl1", "pin": "1234"}).status_code == 200


def test_malformed_login_bodies_are_400(shared_server: Server) -> None:
    url = f"{shared_server.url}/auth/token"
    assert httpx.post(url, json={"username": "lege1"}).status_code == 400
    assert httpx.post(url, json=["lege1", "1234"]).status_code == 400
    bad_json = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert "not valid JSON" in outcome_text(bad_json)


def test_fhir_requests_without_a_token_are_401(shared_server: Server) -> None:
    response = httpx.get(f"{shared_server.fhir}/Patient")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "no bearer token" in outcome_text(response)
    bogus = httpx.get(f"{shared_server.fhir}/Patient", headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401


def test_metadata_is_open_without_a_token(shared_server: Server) -> None:
    assert httpx.get(f"{shared_server.fhir}/metadata").status_code == 200


def test_logout_revokes_the_token(shared_server: Server) -> None:
    token = httpx.post(f"{shared_server.url}/auth/token",
                       json={"username": "lege1", "pin": "1234"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{shared_server.fhir}/Patient?_count=1", headers=headers).status_code == 200
    assert httpx.post(f"{shared_server.url}/auth/logout", headers=headers).status_code == 204
    assert httpx.get(f"{shared_server.fhir}/Patient?_count=1", headers=headers).status_code == 401


def test_tokens_expire(seeded_db: Path, tmp_path: Path) -> None:
    server = start_server(copy_db(seeded_db, tmp_path / "epj.sqlite3"), token_ttl=0.5)
    try:
        token = httpx.post(f"{server.url}/auth/token",
                           json={"username": "lege1", "pin": "1234"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{server.fhir}/Patient?_count=1", headers=headers).status_code == 200
        time.sleep(0.6)
        expired = httpx.get(f"{server.fhir}/Patient?_count=1", headers=headers)
        assert expired.status_code == 401
        assert expired.json()["issue"][0]["code"] == "expired"
        assert "expired" in expired.headers["WWW-Authenticate"]
    finally:
        server.running.stop()
