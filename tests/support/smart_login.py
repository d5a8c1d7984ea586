"""The mock EPJ's SMART login driven over plain HTTP, as a browser and an app would, without either:
open the authorize page, post its form, read the redirect, exchange the code."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

CLIENT_ID = "visitt"
REDIRECT = "http://127.0.0.1:8550/oauth_callback"  # the app's Flet callback on a loopback port
SCOPE = "openid fhirUser offline_access user/*.cruds"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_REQUEST_FIELD = re.compile(r'name="request" value="([^"]+)"')


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class Flow:
    """One login's secrets, as the app keeps them."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def challenge(self) -> str:
        return s256(self.verifier)


def authorize_params(server_url: str, flow: Flow, scope: str = SCOPE, **changes: str | None) -> dict[str, str]:
    """The authorize request's parameters; ``changes`` replace some (None leaves one out)."""
    params: dict[str, str | None] = {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "scope": scope,
        "state": flow.state, "nonce": flow.nonce, "aud": f"{server_url}/fhir", "code_challenge": flow.challenge,
        "code_challenge_method": "S256", **changes}
    return {name: value for name, value in params.items() if value is not None}


def open_page(server_url: str, params: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
    query = urlencode(list(params.items()) if isinstance(params, dict) else params)
    return httpx.get(f"{server_url}/auth/authorize?{query}", follow_redirects=False)


def request_id(page: httpx.Response) -> str:
    found = _REQUEST_FIELD.search(page.text)
    assert page.status_code == 200 and found, (page.status_code, page.text[:500])
    return found.group(1)


def submit(server_url: str, request: str, username: str = "lege1", pin: str = "1234",
           action: str = "login") -> httpx.Response:
    return httpx.post(f"{server_url}/auth/authorize", follow_redirects=False, headers=FORM,
                      data={"request": request, "username": username, "pin": pin, "action": action})


def redirected(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """Where a 303 sends the browser: the address without its query, and the query."""
    assert response.status_code == 303, (response.status_code, response.text[:500])
    location = response.headers["Location"]
    parts = urlsplit(location)
    return location.split("?")[0], dict(parse_qsl(parts.query, keep_blank_values=True))


def code_for(server_url: str, flow: Flow, username: str = "lege1", pin: str = "1234", scope: str = SCOPE,
             **changes: str | None) -> str:
    """Log in on the page and return the code the redirect carries."""
    page = open_page(server_url, authorize_params(server_url, flow, scope, **changes))
    _, query = redirected(submit(server_url, request_id(page), username, pin))
    assert query["state"] == flow.state
    return query["code"]


def exchange(server_url: str, code: str, flow: Flow, **changes: str | None) -> httpx.Response:
    form: dict[str, str | None] = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                   "client_id": CLIENT_ID, "code_verifier": flow.verifier, **changes}
    return httpx.post(f"{server_url}/auth/token", headers=FORM,
                      data={name: value for name, value in form.items() if value is not None})


def smart_login(server_url: str, username: str = "lege1", scope: str = SCOPE, pin: str = "1234") -> dict[str, Any]:
    """The token endpoint's answer for a whole login."""
    flow = Flow()
    answer = exchange(server_url, code_for(server_url, flow, username, pin, scope), flow)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    tokens["nonce"] = flow.nonce
    return tokens


def token_call(server_url: str, **form: str) -> httpx.Response:
    return httpx.post(f"{server_url}/auth/token", headers=FORM, data={"client_id": CLIENT_ID, **form})


def refresh(server_url: str, refresh_token: str, **form: str) -> httpx.Response:
    return token_call(server_url, grant_type="refresh_token", refresh_token=refresh_token, **form)


def revoke(server_url: str, token: str, client_id: str = CLIENT_ID) -> httpx.Response:
    return httpx.post(f"{server_url}/auth/revoke", headers=FORM, data={"token": token, "client_id": client_id})


def fhir_client(server_url: str, access_token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server_url}/fhir", timeout=10,
                        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/fhir+json"})


def browse(authorize_url: str, username: str = "lege1", pin: str = "1234") -> str:
    """What a user does in the browser: open the app's authorize URL, log in; returns the URL the
    browser is sent back to."""
    page = httpx.get(authorize_url, follow_redirects=False)
    server_url = authorize_url.split("/auth/authorize")[0]
    answer = submit(server_url, request_id(page), username, pin)
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["Location"]
