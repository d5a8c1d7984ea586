"""The mock EPJ as a SMART App Launch 2 / OpenID Connect authorization server: discovery, the
authorize page, the code flow with PKCE, tokens, refresh, revocation and scopes on FHIR requests.

Each test names the rule it covers. An attacker's view: a code or token stolen on the way
(PKCE, one-time codes, rotation with reuse detection), a login sent to another site (registered
redirect URIs only, never an open redirect), a forged answer (state, iss), a form posted from
elsewhere (a pending request id only the page knows; no framing), PINs guessed on the page (the
same lock-outs as the plain login), and a token used beyond what it was granted (scopes)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.support.mock_server import Server, entries, inpatient, login, outcome_text
from tests.support.smart_login import (
    CLIENT_ID,
    FORM,
    REDIRECT,
    SCOPE,
    Flow,
    authorize_params,
    code_for,
    exchange,
    fhir_client,
    open_page,
    redirected,
    refresh,
    request_id,
    revoke,
    smart_login,
    submit,
    token_call,
)

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def _practitioner(server: Server, username: str) -> str:
    answer = httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": "1234"})
    return str(answer.json()["practitioner"])


def _claims(server: Server, id_token: str) -> dict[str, Any]:
    """The id_token checked as a relying party would: the key from the JWKS the server publishes."""
    keys = httpx.get(f"{server.url}/auth/jwks").json()["keys"]
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
    claims: dict[str, Any] = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID,
                                        issuer=server.fhir)
    return claims


def _observation(patient: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{patient}"},
            "code": {"text": "Puls"}, "effectiveDateTime": "2026-11-28T08:00:00+01:00",
            "valueQuantity": {"value": 72, "unit": "/min"}}


# ------------------------------------------------------------------ discovery


def test_discovery_names_every_endpoint_and_only_s256(shared_server: Server) -> None:
    """Rule: the app finds everything from the FHIR base; PKCE S256 is the only method offered."""
    smart = httpx.get(f"{shared_server.fhir}/.well-known/smart-configuration").json()
    assert smart["issuer"] == shared_server.fhir
    for name, path in (("authorization_endpoint", "/auth/authorize"), ("token_endpoint", "/auth/token"),
                       ("revocation_endpoint", "/auth/revoke"), ("jwks_uri", "/auth/jwks")):
        assert smart[name] == f"{shared_server.url}{path}"
    assert smart["code_challenge_methods_supported"] == ["S256"]
    assert {"launch-standalone", "client-public", "sso-openid-connect", "permission-v2",
            "permission-offline"} <= set(smart["capabilities"])
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in smart["grant_types_supported"]
    assert smart["break_the_glass"]["purpose_of_use"] == "http://terminology.hl7.org/CodeSystem/v3-ActReason|BTG"
    for url in (f"{shared_server.fhir}/.well-known/openid-configuration",
                f"{shared_server.url}/.well-known/openid-configuration"):
        openid = httpx.get(url).json()
        assert openid["issuer"] == shared_server.fhir
        assert openid["id_token_signing_alg_values_supported"] == ["RS256"]
        assert "fhirUser" in openid["claims_supported"]
    keys = httpx.get(f"{shared_server.url}/auth/jwks").json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]  # the public half only
    with login(shared_server.url, "lege1") as lege1:
        security = lege1.get("metadata").json()["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"


# ------------------------------------------------------------------ the whole flow


def test_the_code_flow_gives_tokens_that_act_as_the_plain_logins_user(shared_server: Server) -> None:
    """Rule: a SMART token reads as its user, under the same access rules, audited with the same
    user; the id_token is signed by the published key and names the Practitioner in fhirUser."""
    tokens = smart_login(shared_server.url, "lege1")
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid fhirUser offline_access user/*.cruds"
    assert 0 < tokens["expires_in"] <= 900 and tokens["refresh_token"] and tokens["id_token"]
    practitioner = _practitioner(shared_server, "lege1")
    claims = _claims(shared_server, tokens["id_token"])
    assert claims["fhirUser"] == f"{shared_server.fhir}/{practitioner}"
    assert claims["nonce"] == tokens["nonce"] and claims["sub"] == practitioner.split("/")[1]
    with fhir_client(shared_server.url, tokens["access_token"]) as smart, login(shared_server.url, "lege1") as plain:
        patient = inpatient(plain)
        assert smart.get("Condition", params={"patient": patient}).status_code == 200
        other = inpatient(plain, "ward-kir")
        assert smart.get("Condition", params={"patient": other}).status_code == 403  # no care relation
        assert plain.get("Condition", params={"patient": other}).status_code == 403
    with login(shared_server.url, "revisor") as revisor:
        audits = entries(revisor.get("AuditEvent", params={"patient": patient, "agent": practitioner,
                                                            "_count": 100}).json())
    assert any(event["outcome"] == "0" and event["agent"][0]["who"]["reference"] == practitioner
               for event in audits)


def test_the_authorize_page_is_norwegian_labelled_and_cannot_be_framed(shared_server: Server) -> None:
    """Rule: the page has a label for every field, Norwegian text, no scripts or external assets,
    and no other site may frame it (clickjacking) or post it elsewhere."""
    page = open_page(shared_server.url, authorize_params(shared_server.url, Flow()))
    html = page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="nb">' in html
    for field, label in (("username", "Brukernavn"), ("pin", "PIN-kode")):
        assert f'<label for="{field}">{label}</label>' in html and f'id="{field}"' in html
    assert ">Logg inn</button>" in html and ">Avbryt</button>" in html
    assert "opprette, lese, endre, slette og søke i alle opplysninger" in html  # what the app asks for
    assert "<script" not in html and "src=" not in html and "http" not in html.split("<body>")[1]
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "form-action 'self' http://127.0.0.1:8550" in policy
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


# ------------------------------------------------------------------ PKCE, codes and redirects


@pytest.mark.parametrize("changes", [{"code_challenge_method": None}, {"code_challenge_method": "plain"},
                                     {"code_challenge": None}, {"code_challenge": "too-short"}])
def test_pkce_with_s256_is_required(shared_server: Server, changes: dict[str, str | None]) -> None:
    """Rule: no login form without a S256 code challenge; the error goes back to the app with its state."""
    flow = Flow()
    answer = open_page(shared_server.url, authorize_params(shared_server.url, flow, SCOPE, **changes))
    where, query = redirected(answer)
    assert where == REDIRECT
    assert query["error"] == "invalid_request" and query["state"] == flow.state
    assert query["iss"] == shared_server.fhir
    assert "S256" in query["error_description"] or "code_challenge" in query["error_description"]


def test_a_wrong_verifier_fails_and_spends_the_code(shared_server: Server) -> None:
    """Rule: a code stolen on the way is useless without the verifier, and cannot be tried twice."""
    flow = Flow()
    code = code_for(shared_server.url, flow)
    wrong = exchange(shared_server.url, code, flow, code_verifier=Flow().verifier)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert "code_verifier" in wrong.json()["error_description"]
    assert wrong.headers["Cache-Control"] == "no-store"
    assert exchange(shared_server.url, code, flow).json()["error"] == "invalid_grant"  # spent
    plain = Flow()  # a "plain" verifier (the challenge itself) is no verifier either
    code = code_for(shared_server.url, plain)
    assert exchange(shared_server.url, code, plain, code_verifier=plain.challenge).status_code == 400


def test_a_code_works_once_and_its_reuse_revokes_what_it_gave(shared_server: Server) -> None:
    """Rule: codes are single-use; a second use (a replay) revokes the tokens of the first."""
    flow = Flow()
    code = code_for(shared_server.url, flow)
    first = exchange(shared_server.url, code, flow).json()
    again = exchange(shared_server.url, code, flow)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    with fhir_client(shared_server.url, first["access_token"]) as client:
        assert client.get("Patient", params={"_count": 1}).status_code == 401
    assert refresh(shared_server.url, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_client_and_redirect_uri(shared_server: Server) -> None:
    """Rule: a code injected into another client or another redirect URI does not work."""
    flow = Flow()
    code = code_for(shared_server.url, flow)
    other_port = exchange(shared_server.url, code, flow, redirect_uri="http://127.0.0.1:9999/oauth_callback")
    assert other_port.json()["error"] == "invalid_grant" and "redirect_uri" in other_port.json()["error_description"]
    flow = Flow()
    code = code_for(shared_server.url, flow)
    cli = exchange(shared_server.url, code, flow, client_id="mock-epj-cli", redirect_uri="http://127.0.0.1/callback")
    assert cli.json()["error"] == "invalid_grant"
    unknown = exchange(shared_server.url, "x", flow, client_id="evil")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/oauth_callback", "http://127.0.0.1.evil.example/oauth_callback",
    "http://evil@127.0.0.1:8550/oauth_callback", "http://127.0.0.1:8550/oauth_callback/../steal",
    "http://127.0.0.1:8550/other", "http://127.0.0.1:8550/oauth_callback?next=https://evil.example",
    "http://localhost:8550/oauth_callback#x", "javascript:alert(1)", "no.visitt.app:/elsewhere", "",
])
def test_an_unregistered_redirect_uri_is_never_followed(shared_server: Server, redirect_uri: str) -> None:
    """Rule: no open redirect. A redirect URI not registered for the client is refused on the page
    itself (400), never with a redirect, also for the errors that would otherwise go back."""
    flow = Flow()
    for changes in ({}, {"code_challenge_method": "plain"}):
        answer = open_page(shared_server.url, authorize_params(shared_server.url, flow, redirect_uri=redirect_uri,
                                                               **changes))
        assert answer.status_code == 400 and "Location" not in answer.headers, answer.text[:300]
        assert 'role="alert"' in answer.text and "redirect_uri" in answer.text


def test_registered_redirects_a_loopback_port_of_its_own_and_unknown_clients(shared_server: Server) -> None:
    """Rule: the app's loopback callback may use any port (RFC 8252); an unknown client, or a
    client_id or redirect_uri given twice, gets the page's refusal and no redirect."""
    flow = Flow()
    for uri in ("http://127.0.0.1:43117/oauth_callback", "http://localhost:8550/oauth_callback",
                "no.visitt.app:/oauth2redirect"):
        page = open_page(shared_server.url, authorize_params(shared_server.url, flow, redirect_uri=uri))
        assert page.status_code == 200
    assert open_page(shared_server.url, authorize_params(shared_server.url, flow, client_id="evil")).status_code == 400
    params = list(authorize_params(shared_server.url, flow).items())
    for name, value in (("client_id", "mock-epj-cli"), ("redirect_uri", "http://127.0.0.1:1/oauth_callback")):
        twice = open_page(shared_server.url, [*params, (name, value)])
        assert twice.status_code == 400 and "Location" not in twice.headers
    twice = open_page(shared_server.url, [*params, ("scope", "user/*.cruds")])
    assert redirected(twice)[1]["error"] == "invalid_request"


def test_state_and_aud_are_required_and_the_answer_names_its_issuer(shared_server: Server) -> None:
    """Rules: CSRF protection needs a state, which comes back unchanged with iss (RFC 9207, against
    mix-ups); aud must be this server's FHIR base (a token meant for another server is not made)."""
    flow = Flow()
    missing = redirected(open_page(shared_server.url, authorize_params(shared_server.url, flow, state=None)))[1]
    assert missing["error"] == "invalid_request" and "state" not in missing
    other = redirected(open_page(shared_server.url, authorize_params(shared_server.url, flow,
                                                                     aud="https://other.example/fhir")))[1]
    assert other["error"] == "invalid_request" and "aud" in other["error_description"]
    page = open_page(shared_server.url, authorize_params(shared_server.url, flow))
    where, query = redirected(submit(shared_server.url, request_id(page)))
    assert where == REDIRECT and query["state"] == flow.state and query["iss"] == shared_server.fhir
    assert set(query) == {"code", "state", "iss"}


def test_the_form_needs_the_pending_request_only_the_page_knows(shared_server: Server) -> None:
    """Rule: a login form posted from another site (login CSRF) or replayed has no pending request
    and is refused on the page; a used request is gone; cancelling goes back with access_denied."""
    forged = submit(shared_server.url, "made-up-request-id")
    assert forged.status_code == 400 and "Location" not in forged.headers
    flow = Flow()
    request = request_id(open_page(shared_server.url, authorize_params(shared_server.url, flow)))
    assert submit(shared_server.url, request).status_code == 303
    replay = submit(shared_server.url, request)
    assert replay.status_code == 400 and "Location" not in replay.headers
    request = request_id(open_page(shared_server.url, authorize_params(shared_server.url, flow)))
    cancelled = redirected(submit(shared_server.url, request, action="cancel", pin=""))[1]
    assert cancelled["error"] == "access_denied" and cancelled["state"] == flow.state and "code" not in cancelled
    json_body = httpx.post(f"{shared_server.url}/auth/authorize", json={"request": request})
    assert json_body.status_code == 415


def test_wrong_pins_on_the_page_count_as_at_the_plain_login(server: Server) -> None:
    """Rule: the authorize page's PIN check is auth.py's: five wrong PINs lock the user (on the
    page and at the plain login alike), a locked user cannot log in with the right PIN."""
    request = request_id(open_page(server.url, authorize_params(server.url, Flow())))
    for _ in range(5):
        wrong = submit(server.url, request, "lege2", "9999")
        assert wrong.status_code == 401 and "Location" not in wrong.headers
        assert 'role="alert"' in wrong.text and "Feil brukernavn eller PIN-kode." in wrong.text
        assert 'value="lege2"' in wrong.text and 'value="9999"' not in wrong.text  # the PIN is not echoed
    locked = submit(server.url, request, "lege2", "1234")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "sperret" in locked.text
    assert httpx.post(f"{server.url}/auth/token", json={"username": "lege2", "pin": "1234"}).status_code == 429
    assert submit(server.url, request, "lege1", "1234").status_code == 303  # others are not locked


# ------------------------------------------------------------------ scopes


def test_only_known_scopes_are_granted(shared_server: Server) -> None:
    """Rule: the grant holds only what this server can enforce (user/ scopes, v1 as v2); patient/,
    system/, granular and unknown scopes are left out, and a request with nothing grantable fails."""
    asked = "openid fhirUser user/Observation.rs patient/*.rs system/*.cruds launch user/Foo.r user/*.sr" \
            " user/Condition.read user/Patient.rs?name=x"
    granted = smart_login(shared_server.url, scope=asked)["scope"]
    assert granted == "openid fhirUser user/Observation.rs user/Condition.rs"
    nothing = redirected(open_page(shared_server.url, authorize_params(shared_server.url, Flow(),
                                                                       scope="patient/*.rs launch")))[1]
    assert nothing["error"] == "invalid_scope"


def test_a_read_only_token_cannot_write_and_the_refusal_is_audited(shared_server: Server) -> None:
    """Rule: scopes are enforced on every FHIR request, also inside a Bundle: a token with only
    user/*.rs may read and search but not create, update or delete (403, insufficient_scope)."""
    tokens = smart_login(shared_server.url, scope="openid fhirUser user/*.rs")
    assert "refresh_token" not in tokens  # no offline_access or online_access asked
    with fhir_client(shared_server.url, tokens["access_token"]) as reader, login(shared_server.url, "lege1") as plain:
        patient = inpatient(plain)
        observation = plain.post("Observation", json=_observation(patient), headers=FHIR_JSON).json()
        assert reader.get(f"Observation/{observation['id']}").status_code == 200
        attempts = [reader.post("Observation", json=_observation(patient), headers=FHIR_JSON),
                    reader.put(f"Observation/{observation['id']}", json=observation, headers=FHIR_JSON),
                    reader.delete(f"Observation/{observation['id']}")]
        for answer in attempts:
            assert answer.status_code == 403, answer.text
            assert "insufficient_scope" in answer.headers["WWW-Authenticate"]
            assert "scopes" in outcome_text(answer)
        batch = {"resourceType": "Bundle", "type": "batch", "entry": [
            {"request": {"method": "POST", "url": "Observation"}, "resource": _observation(patient)},
            {"request": {"method": "GET", "url": f"Observation/{observation['id']}"}}]}
        answer = reader.post("", json=batch, headers=FHIR_JSON).json()
        assert [e["response"]["status"][:3] for e in answer["entry"]] == ["403", "200"]
        assert plain.get(f"Observation/{observation['id']}").json()["meta"]["versionId"] == "1"  # unchanged
    with login(shared_server.url, "revisor") as revisor:
        events = entries(revisor.get("AuditEvent", params={"agent": _practitioner(shared_server, "lege1"),
                                                            "_sort": "-date", "_count": 100}).json())
    assert any(e["outcome"] == "4" and "do not allow create of Observation" in e.get("outcomeDesc", "")
               for e in events)


def test_a_scope_for_one_type_reaches_that_type_only(shared_server: Server) -> None:
    """Rule: per-type scopes hold for searches and for what a search includes."""
    tokens = smart_login(shared_server.url, scope="openid fhirUser user/Encounter.rs")
    with fhir_client(shared_server.url, tokens["access_token"]) as client:
        assert client.get("Condition", params={"_count": 1}).status_code == 403
        stays = client.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                                "_include": "Encounter:subject", "_count": 3})
        assert stays.status_code == 200
        assert {e["resource"]["resourceType"] for e in stays.json()["entry"]} == {"Encounter"}
    full = smart_login(shared_server.url, scope="openid fhirUser user/*.rs")
    with fhir_client(shared_server.url, full["access_token"]) as client:
        stays = client.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                                "_include": "Encounter:subject", "_count": 3})
        assert "Patient" in {e["resource"]["resourceType"] for e in stays.json()["entry"]}


# ------------------------------------------------------------------ expiry, refresh and revocation


def test_expired_and_revoked_tokens_get_a_clear_401(server: Server) -> None:
    """Rule: an expired access token and a revoked one answer 401 with an OperationOutcome saying
    which; revoking (RFC 7009) one token of a login revokes all of it."""
    tokens = smart_login(server.url)
    clock = server.epj.auth.config.clock
    server.epj.auth.config.clock = lambda: time.time() + 901  # the 15 minutes have passed
    try:
        with fhir_client(server.url, tokens["access_token"]) as client:
            expired = client.get("Patient", params={"_count": 1})
        assert expired.status_code == 401 and "expired" in outcome_text(expired)
        assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    finally:
        server.epj.auth.config.clock = clock
    fresh = refresh(server.url, tokens["refresh_token"]).json()
    assert revoke(server.url, fresh["refresh_token"], client_id="mock-epj-cli").json()["error"] == "invalid_request"
    answer = revoke(server.url, fresh["refresh_token"])
    assert answer.status_code == 200 and answer.content == b""
    with fhir_client(server.url, fresh["access_token"]) as client:
        revoked = client.get("Patient", params={"_count": 1})
    assert revoked.status_code == 401 and "not valid" in outcome_text(revoked)
    assert revoke(server.url, "never-issued").status_code == 200  # RFC 7009: no oracle, no error
    assert revoke(server.url, "x", client_id="evil").status_code == 401


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_login(shared_server: Server) -> None:
    """Rule: each refresh token works once; presenting a used one (a stolen copy) revokes every
    token of the login, the newest too. A refresh may narrow the scopes, never widen them."""
    tokens = smart_login(shared_server.url)
    second = refresh(shared_server.url, tokens["refresh_token"]).json()
    assert second["refresh_token"] != tokens["refresh_token"] and second["access_token"] != tokens["access_token"]
    assert "id_token" not in second
    with fhir_client(shared_server.url, second["access_token"]) as client:
        assert client.get("Patient", params={"_count": 1}).status_code == 200
    old = refresh(shared_server.url, tokens["refresh_token"])
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    with fhir_client(shared_server.url, second["access_token"]) as client:
        assert client.get("Patient", params={"_count": 1}).status_code == 401
    assert refresh(shared_server.url, second["refresh_token"]).json()["error"] == "invalid_grant"
    tokens = smart_login(shared_server.url)
    wider = refresh(shared_server.url, tokens["refresh_token"], scope="openid user/*.cruds system/*.cruds")
    assert wider.json()["error"] == "invalid_scope"
    narrower = refresh(shared_server.url, smart_login(shared_server.url)["refresh_token"], scope="user/*.cruds")
    assert narrower.json()["scope"] == "user/*.cruds"
    other_client = token_call(shared_server.url, grant_type="refresh_token", client_id="mock-epj-cli",
                              refresh_token=smart_login(shared_server.url)["refresh_token"])
    assert other_client.json()["error"] == "invalid_grant"


def test_a_login_ends_after_token_ttl_whatever_is_refreshed(server: Server) -> None:
    """Rule: refreshing does not stretch a login past its 8 hours (the shift)."""
    tokens = smart_login(server.url)
    clock = server.epj.auth.config.clock
    server.epj.auth.config.clock = lambda: time.time() + 8 * 3600 + 1
    try:
        late = refresh(server.url, tokens["refresh_token"])
    finally:
        server.epj.auth.config.clock = clock
    assert late.status_code == 400 and "expired" in late.json()["error_description"]


def test_the_plain_logout_ends_a_smart_login(shared_server: Server) -> None:
    """Rule: /auth/logout with a SMART access token revokes its whole login (the refresh token too)."""
    tokens = smart_login(shared_server.url)
    out = httpx.post(f"{shared_server.url}/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert out.status_code == 204
    assert refresh(shared_server.url, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_token_endpoint_refuses_what_is_not_oauth(shared_server: Server) -> None:
    """Rule: parameters given twice, unknown grant types and missing parameters are refused
    (400, OAuth's JSON error); the plain JSON login at the same address still works."""
    twice = httpx.post(f"{shared_server.url}/auth/token", headers=FORM,
                       content=b"grant_type=authorization_code&code=a&code=b&client_id=visitt")
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    assert token_call(shared_server.url, grant_type="password").json()["error"] == "unsupported_grant_type"
    missing = token_call(shared_server.url, grant_type="authorization_code")
    assert missing.json()["error"] == "invalid_request" and "code_verifier" in missing.json()["error_description"]
    plain = httpx.post(f"{shared_server.url}/auth/token", json={"username": "lege1", "pin": "1234"})
    assert plain.status_code == 200 and plain.json()["role"] == "doctor"
