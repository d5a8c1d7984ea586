"""The app's SMART / OpenID Connect client (mobile_app/epj/smart.py) against a running mock EPJ: it
discovers everything from the FHIR base, logs in with PKCE, trusts an id_token only when its
signature and claims hold, refreshes, revokes, and breaks the glass by token exchange. Each test
names the rule it covers; the browser is played by tests/support/smart_login.py."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt
import pytest
import pytest_asyncio
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mobile_app.domain.models import Role
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import (
    BadResponse,
    BreakGlassRefused,
    BreakGlassUnavailable,
    IdTokenInvalid,
    InputRejected,
    LoginRefused,
    SessionExpired,
)
from mobile_app.epj.smart import PendingLogin, SmartClient, Tokens
from tests.support.mock_server import Server, inpatient, login
from tests.support.mocked_http import BASE
from tests.support.smart_login import REDIRECT, browse, smart_login

REASON = "Akutt tilsyn, pasienten er ustabil og vakthavende er opptatt"


@pytest_asyncio.fixture
async def smart(epj_server: Server) -> AsyncIterator[SmartClient]:
    client = SmartClient(epj_server.fhir, REDIRECT)
    yield client
    await client.aclose()


async def _login(client: SmartClient, username: str = "lege1", scope: str | None = None) -> tuple[PendingLogin, Tokens]:
    pending = await (client.begin_login(scope) if scope else client.begin_login())
    return pending, await client.finish_login(pending, browse(pending.url, username))


def _practitioner(server: Server, username: str) -> str:
    answer = httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": "1234"}).json()
    return str(answer["practitioner"]).split("/")[1]


def _reads(server: Server, token: str, path: str) -> int:
    return httpx.get(f"{server.fhir}/{path}", headers={"Authorization": f"Bearer {token}"}).status_code


def _signed_by_the_server(server: Server, claims: dict[str, Any]) -> str:
    """A token signed with the mock's own key (read from its database): only the claims are wrong."""
    pem = server.epj.store.get_setting("oauth_signing_key")
    assert pem is not None
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    kid = httpx.get(f"{server.url}/auth/jwks").json()["keys"][0]["kid"]
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


async def test_a_login_from_the_fhir_base_alone(smart: SmartClient, epj_server: Server) -> None:
    """Rule: the app needs only the FHIR base; its authorize URL carries PKCE S256, state, nonce and
    aud; the user's Practitioner comes from the verified id_token and the role from FHIR."""
    pending, tokens = await _login(smart)
    query = dict(parse_qsl(urlsplit(pending.url).query))
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] == pending.state and query["nonce"] == pending.nonce and query["aud"] == epj_server.fhir
    assert pending.code_verifier not in pending.url and len(pending.code_verifier) >= 43
    assert pending.code_verifier not in repr(pending) and tokens.access_token not in repr(tokens)  # not in logs
    assert tokens.practitioner_id == _practitioner(epj_server, "lege1")
    assert tokens.fhir_user == f"{epj_server.fhir}/Practitioner/{tokens.practitioner_id}"
    assert tokens.refresh_token and tokens.expires_at > time.time() + 800
    epj = EpjClient(epj_server.fhir)
    epj.set_token(tokens.access_token)
    try:
        assert await epj.my_role(tokens.practitioner_id) == Role.DOCTOR
    finally:
        await epj.aclose()


async def test_an_id_token_is_trusted_only_when_signature_and_claims_hold(smart: SmartClient,
                                                                          epj_server: Server) -> None:
    """Rule: the id_token's signature (the published key), issuer, audience, expiry and nonce are
    all checked; a tampered, unsigned, HMAC-signed, foreign-key or stale token is rejected."""
    pending, tokens = await _login(smart)
    assert tokens.id_token
    claims = await smart.verify_id_token(tokens.id_token, pending.nonce)
    head, _, signature = tokens.id_token.split(".")
    forged = {**claims, "fhirUser": f"{epj_server.fhir}/Practitioner/someone-else"}
    tampered = ".".join([head, base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode(), signature])
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(tokens.id_token)["kid"]
    public = httpx.get(f"{epj_server.url}/auth/jwks").json()["keys"][0]
    now = int(time.time())
    bad = {
        "tampered": tampered,
        "unsigned": jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        "hmac with the public key": jwt.encode(claims, public["n"], algorithm="HS256", headers={"kid": kid}),
        "another key": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": kid}),
        "expired": _signed_by_the_server(epj_server, {**claims, "iat": now - 7200, "exp": now - 3600}),
        "another issuer": _signed_by_the_server(epj_server, {**claims, "iss": "https://evil.example/fhir"}),
        "another app": _signed_by_the_server(epj_server, {**claims, "aud": "another-app"}),
        "no expiry": _signed_by_the_server(epj_server, {k: v for k, v in claims.items() if k != "exp"}),
        "garbage": "not.a.token",
    }
    for name, token in bad.items():
        with pytest.raises(IdTokenInvalid):
            await smart.verify_id_token(token, pending.nonce)
            pytest.fail(name)
    with pytest.raises(IdTokenInvalid, match="nonce"):
        await smart.verify_id_token(tokens.id_token, "another-login's-nonce")
    assert (await smart.verify_id_token(_signed_by_the_server(epj_server, claims), pending.nonce))["sub"]
    with pytest.raises(IdTokenInvalid, match="another server"):
        smart.practitioner_of("https://evil.example/fhir/Practitioner/1")
    with pytest.raises(LoginRefused, match="Practitioner"):
        smart.practitioner_of(f"{epj_server.fhir}/Patient/1")


async def test_an_answer_that_is_not_this_logins_is_refused(smart: SmartClient, epj_server: Server) -> None:
    """Rules (CSRF and code injection): an answer with another state, another issuer, or a code
    from someone else's login (PKCE fails) is refused; a cancelled login says so."""
    pending = await smart.begin_login()
    callback = browse(pending.url)
    with pytest.raises(LoginRefused, match="state"):
        await smart.finish_login(pending, callback.replace(pending.state, "forged"))
    with pytest.raises(LoginRefused, match="iss"):
        await smart.finish_login(pending, callback.replace("iss=", "iss=https%3A%2F%2Fevil.example&x="))
    attacker = await smart.begin_login()
    stolen = dict(parse_qsl(urlsplit(browse(attacker.url, "lege2")).query))["code"]
    injected = f"{REDIRECT}?{urlencode({'code': stolen, 'state': pending.state, 'iss': epj_server.fhir})}"
    with pytest.raises(LoginRefused) as refused:
        await smart.finish_login(pending, injected)
    assert refused.value.error == "invalid_grant"
    cancelled = f"{REDIRECT}?{urlencode({'error': 'access_denied', 'state': pending.state})}"
    with pytest.raises(LoginRefused) as refused:
        await smart.finish_login(pending, cancelled)
    assert refused.value.error == "access_denied"


async def test_tokens_are_refreshed_before_they_end_and_revoked_at_logout(epj_server: Server) -> None:
    """Rules: an access token close to its end is refreshed (the refresh token rotates, the old
    one is refused); logout revokes the login at the server."""
    offset = [0.0]
    smart = SmartClient(epj_server.fhir, REDIRECT, clock=lambda: time.time() + offset[0])
    try:
        _, tokens = await _login(smart)
        assert await smart.fresh(tokens) is tokens  # 15 minutes left: nothing to do
        offset[0] = 850.0  # 50 seconds left: within the margin
        renewed = await smart.fresh(tokens)
        assert renewed.access_token != tokens.access_token and renewed.refresh_token != tokens.refresh_token
        assert renewed.practitioner_id == tokens.practitioner_id
        assert _reads(epj_server, renewed.access_token, "Patient?_count=1") == 200
        with pytest.raises(SessionExpired):
            await smart.refresh(tokens)  # the old refresh token: reuse ends the login
        _, tokens = await _login(smart)
        await smart.revoke(tokens)
        assert _reads(epj_server, tokens.access_token, "Patient?_count=1") == 401
        with pytest.raises(SessionExpired):
            await smart.refresh(tokens)
        _, reader = await _login(smart, scope="openid fhirUser user/*.rs")
        offset[0] = 2000.0
        with pytest.raises(SessionExpired):
            await smart.fresh(reader)  # no refresh token and expired: log in again
    finally:
        await smart.aclose()


async def test_break_the_glass_by_token_exchange(fresh_server: Server) -> None:
    """Rules: emergency access is one patient's token for 4 hours; a reason too short is refused
    before sending; a role that may not is refused by the server."""
    smart = SmartClient(fresh_server.fhir, REDIRECT)
    try:
        assert (await smart.discover()).supports_break_glass
        with login(fresh_server.url, "lege1") as lege1:
            patient = inpatient(lege1)
        _, lege2 = await _login(smart, "lege2")
        assert _reads(fresh_server, lege2.access_token, f"Condition?patient={patient}") == 403
        with pytest.raises(InputRejected):
            await smart.break_glass(lege2, patient, "\u200b" * 20)
        glass = await smart.break_glass(lege2, patient, REASON)
        assert glass.patient == patient and glass.refresh_token is None
        assert 4 * 3600 - 120 <= glass.expires_at - time.time() <= 4 * 3600
        assert glass.practitioner_id == lege2.practitioner_id
        assert _reads(fresh_server, glass.access_token, f"Condition?patient={patient}") == 200
        _, revisor = await _login(smart, "revisor")
        with pytest.raises(BreakGlassRefused, match="auditor") as refused:
            await smart.break_glass(revisor, patient, REASON)
        assert refused.value.patient_id == patient
    finally:
        await smart.aclose()


SMART_CONFIG = {"issuer": BASE, "authorization_endpoint": "https://epj.test/authorize",
                "token_endpoint": "https://epj.test/token", "jwks_uri": "https://epj.test/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"], "grant_types_supported": ["authorization_code"]}


async def test_a_server_without_token_exchange_or_s256(api: respx.MockRouter) -> None:
    """Rules: where a server offers no break-the-glass exchange the app says to use the EPJ; a
    server without PKCE S256 (or without SMART) is not logged in to."""
    api.get(f"{BASE}/.well-known/smart-configuration").mock(return_value=httpx.Response(200, json=SMART_CONFIG))
    smart = SmartClient(BASE, REDIRECT)
    tokens = Tokens("t", time.time() + 600, "openid user/*.rs")
    with pytest.raises(BreakGlassUnavailable, match="EPJ itself"):
        await smart.break_glass(tokens, "p1", REASON)
    assert not api.calls.last.request.url.path.endswith("token")  # nothing was asked for
    await smart.aclose()
    plain = {**SMART_CONFIG, "code_challenge_methods_supported": ["plain"]}
    api.get(f"{BASE}/.well-known/smart-configuration").mock(return_value=httpx.Response(200, json=plain))
    smart = SmartClient(BASE, REDIRECT)
    with pytest.raises(BadResponse, match="S256"):
        await smart.begin_login()
    await smart.aclose()
    api.get(f"{BASE}/.well-known/smart-configuration").mock(return_value=httpx.Response(404))
    smart = SmartClient(BASE, REDIRECT)
    with pytest.raises(BadResponse, match="no SMART login"):
        await smart.discover()
    await smart.aclose()


def test_the_support_helper_logs_in(epj_server: Server) -> None:
    """The helper the other tests lean on gets a real login (a check that it can fail)."""
    assert smart_login(epj_server.url, "spl1")["access_token"]
    with pytest.raises(AssertionError):
        smart_login(epj_server.url, "spl1", pin="0000")
