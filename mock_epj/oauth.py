"""The mock EPJ as a SMART App Launch 2 / OpenID Connect authorization server.

Endpoints (routes.py maps them): discovery (``/fhir/.well-known/smart-configuration`` and
``openid-configuration``), the JWKS, the authorize page (username and PIN, authorize_page.py),
the token endpoint (authorization code with PKCE S256, refresh with rotation, and
break-the-glass by token exchange, RFC 8693) and revocation (RFC 7009).

Rules, each with a test in tests/mock_epj/test_smart_*.py:
- Only registered clients, and only their registered redirect URIs (exact; a loopback URI with any
  port, RFC 8252). A request with an unknown client or redirect URI is answered on the page, never
  redirected (no open redirect); other errors go back to the app with its ``state``.
- PKCE with S256 only: no challenge, ``plain`` or a wrong verifier fails. ``state`` is required
  and returned, with ``iss`` (RFC 9207). ``aud`` must be this server's FHIR base.
- A code works once, for 60 seconds, for the client and redirect URI it was issued to; a second
  use revokes every token issued with it.
- Refresh tokens rotate: each works once; a used one presented again revokes the whole login
  (its family: every access and refresh token since the PIN was typed). A login lasts at most
  ``token_ttl`` (8 hours) whatever is refreshed.
- The PIN check is auth.py's (lock-outs per user and per address).
- Break-the-glass: the user's token is exchanged for one limited to one patient for 4 hours, by
  the checks and audit of the header path (guard.py).
Everything lives in the database (auth.py), so that every worker process answers alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mock_epj import scopes
from mock_epj.auth import Account, Authenticator, Session, token_hash
from mock_epj.authorize_page import STYLE_HASH, error_page, login_page
from mock_epj.context import Context
from mock_epj.errors import FhirError
from mock_epj.guard import Guard
from mock_epj.signing import ALGORITHM, SigningKey
from mock_epj.terminology import ACT_REASON

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
BREAK_GLASS_PURPOSE = f"{ACT_REASON}|BTG"
FORM = "application/x-www-form-urlencoded"
CODE_SECONDS = 60.0
REQUEST_SECONDS = 600.0  # how long the authorize page may stay open
ID_TOKEN_SECONDS = 3600
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 section 4.1
_MAX_PARAM = 512  # state and nonce are echoed and stored: refused when longer
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_ONCE = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
         "code_challenge_method", "aud", "prompt", "response_mode", "grant_type", "code", "code_verifier",
         "refresh_token", "subject_token", "subject_token_type", "requested_token_type", "purpose_of_use",
         "patient", "reason", "audience", "resource", "token", "token_type_hint", "request", "action",
         "username", "pin")


@dataclass(frozen=True)
class Client:
    """A registered app: public (no secret; PKCE instead), with its redirect URIs."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]

    def allows(self, redirect_uri: str) -> bool:
        """Exact match, except that a loopback http URI may use any port (RFC 8252 section 7.3)."""
        if redirect_uri in self.redirect_uris:
            return True
        try:
            asked = urlsplit(redirect_uri)
            asked_port = asked.port
        except ValueError:
            return False
        if asked.scheme != "http" or asked.fragment or asked_port is None:
            return False
        for registered in self.redirect_uris:
            known = urlsplit(registered)
            if (known.scheme == "http" and known.hostname is not None and f"{known.netloc}" in _LOOPBACK
                    and asked.netloc == f"{known.netloc}:{asked_port}" and asked.path == known.path
                    and asked.query == known.query):
                return True
        return False


CLIENTS = {client.client_id: client for client in (
    # The app: Flet's OAuth callback on a loopback web server (any port), or the phone's own scheme.
    Client("visitt", "Visitt", ("http://127.0.0.1/oauth_callback", "http://localhost/oauth_callback",
                                "http://[::1]/oauth_callback", "no.visitt.app:/oauth2redirect")),
    # `mock-epj token`: testers' tokens without a browser (it reads the redirect, never follows it).
    Client("mock-epj-cli", "mock-epj token (testverktøy)", ("http://127.0.0.1/callback",)),
)}


class OAuthError(Exception):
    """An error answer of the token or revocation endpoint (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Answer:
    """What an endpoint answers; routes.py turns it into an HTTP Response."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] | None = None


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json",
                  {**_NO_STORE, **(headers or {})})


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _single(params: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """The parameters by name, and the names given more than once (RFC 6749 section 3.1)."""
    values: dict[str, str] = {}
    repeated: list[str] = []
    for name, value in params:
        if name in values and name in _ONCE:
            repeated.append(name)
        values.setdefault(name, value)
    return values, repeated


def _with_params(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


@dataclass
class OAuthSettings:
    access_token_ttl: float = 900.0  # seconds an access token lasts (refreshed before it ends)


class AuthorizationServer:
    """The endpoints' logic over the Authenticator (PINs, tokens) and the Guard (break-the-glass)."""

    def __init__(self, auth: Authenticator, guard: Guard, base_url: str,
                 settings: OAuthSettings | None = None) -> None:
        self.auth = auth
        self.guard = guard
        self.base_url = base_url.rstrip("/")
        self.issuer = f"{self.base_url}/fhir"  # the FHIR base: discovery sits below it
        self.settings = settings or OAuthSettings()
        self.keys = SigningKey(auth.store)

    @property
    def queries(self) -> Any:
        return self.auth.store.queries

    def _now(self) -> float:
        return self.auth._now()

    # ------------------------------------------------------------ discovery

    def endpoints(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.base_url}/auth/jwks",
            "authorization_endpoint": f"{self.base_url}/auth/authorize",
            "token_endpoint": f"{self.base_url}/auth/token",
            "revocation_endpoint": f"{self.base_url}/auth/revoke",
        }

    @staticmethod
    def scopes_supported() -> list[str]:
        return [*scopes.IDENTITY_SCOPES, "user/*.cruds", "user/*.rs", "user/*.cu", "user/*.d"]

    def smart_configuration(self) -> dict[str, Any]:
        return {
            **self.endpoints(),
            "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": self.scopes_supported(),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "capabilities": ["launch-standalone", "client-public", "sso-openid-connect", "permission-offline",
                             "permission-online", "permission-user", "permission-v2"],
            # Not part of SMART: how this server grants emergency access (docs/mock-epj.md).
            "break_the_glass": {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "purpose_of_use": BREAK_GLASS_PURPOSE,
                "parameters": ["patient", "reason"],
                "hours": 4,
                "min_reason_characters": 10,
            },
        }

    def openid_configuration(self) -> dict[str, Any]:
        return {
            **self.endpoints(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": self.scopes_supported(),
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "fhirUser", "name",
                                 "preferred_username"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["nb"],
        }

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    # ------------------------------------------------------------ the authorize page

    def _page(self, status: int, html: str, redirect_uri: str | None = None,
              headers: dict[str, str] | None = None) -> Answer:
        """An HTML answer that no other site can frame, with only its own inline style, posting
        only to this server (and, after the login, redirecting to the app's registered URI)."""
        targets = "'self'"
        if redirect_uri:
            parts = urlsplit(redirect_uri)
            targets += f" {parts.scheme}:" if not parts.netloc else f" {parts.scheme}://{parts.netloc}"
        return Answer(status, html.encode(), "text/html; charset=utf-8", {
            "Content-Security-Policy": (f"default-src 'none'; style-src '{STYLE_HASH}'; form-action {targets};"
                                        " frame-ancestors 'none'; base-uri 'none'"),
            "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
            **_NO_STORE, **(headers or {}),
        })

    def _back(self, redirect_uri: str, params: dict[str, str]) -> Answer:
        """Send the browser back to the app (303: the form's POST becomes a GET)."""
        return Answer(303, b"", None, {"Location": _with_params(redirect_uri, {**params, "iss": self.issuer}),
                                       "Referrer-Policy": "no-referrer", **_NO_STORE})

    def _our_base(self, aud: str, host: str | None) -> bool:
        """Whether ``aud`` names this server's FHIR base (as bound, or by the loopback name the
        client used)."""
        aud = aud.rstrip("/")
        if aud == self.issuer:
            return True
        if host:
            from mock_epj.routes import loopback_host  # a cycle at import time otherwise

            return loopback_host(host) and aud == f"http://{host.strip().lower()}/fhir"
        return False

    def authorize(self, params: list[tuple[str, str]], host: str | None) -> Answer:
        """GET /auth/authorize: check the request, then show the login form."""
        values, repeated = _single(params)
        client = CLIENTS.get(values.get("client_id", ""))
        redirect_uri = values.get("redirect_uri", "")
        if client is None or "client_id" in repeated:
            return self._page(400, error_page("Appen som ba om innlogging er ukjent for EPJ (client_id)."))
        if "redirect_uri" in repeated or not client.allows(redirect_uri):
            return self._page(400, error_page("Adressen appen vil sende deg tilbake til (redirect_uri) er ikke"
                                              " registrert for appen. Du blir ikke sendt videre."))
        state = values.get("state", "")

        def refuse(error: str, description: str) -> Answer:
            back = {"error": error, "error_description": description}
            if state and len(state) <= _MAX_PARAM:
                back["state"] = state
            return self._back(redirect_uri, back)

        if repeated:
            return refuse("invalid_request", f"Parameters given more than once: {', '.join(sorted(set(repeated)))}")
        if values.get("response_type") != "code":
            return refuse("unsupported_response_type", "Only response_type=code is supported")
        if values.get("response_mode", "query") != "query":
            return refuse("invalid_request", "Only response_mode=query is supported")
        if not state:
            return refuse("invalid_request", "state is required")
        if len(state) > _MAX_PARAM or len(values.get("nonce", "")) > _MAX_PARAM:
            return refuse("invalid_request", f"state and nonce may have at most {_MAX_PARAM} characters")
        method = values.get("code_challenge_method")
        if method != "S256":
            return refuse("invalid_request", "PKCE is required with code_challenge_method=S256"
                          + (f" ('{method[:20]}' is refused)" if method else ""))
        if not _CHALLENGE.fullmatch(values.get("code_challenge", "")):
            return refuse("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier")
        if not self._our_base(values.get("aud", ""), host):
            return refuse("invalid_request", f"aud must be this server's FHIR base URL, {self.issuer}")
        granted = scopes.grantable(values.get("scope", ""))
        if not granted:
            return refuse("invalid_scope", "None of the requested scopes can be granted")
        if values.get("prompt") == "none":
            return refuse("login_required", "The user must log in with username and PIN")
        scope = " ".join(granted)
        pending = {"client_id": client.client_id, "redirect_uri": redirect_uri, "scope": scope,
                   "state": state, "nonce": values.get("nonce"), "code_challenge": values["code_challenge"]}
        request_id = secrets.token_urlsafe(32)
        now = self._now()
        self.queries.add_authorize_request(token_hash(request_id), json.dumps(pending), now + REQUEST_SECONDS, now)
        return self._page(200, login_page(request_id, client.name, scope), redirect_uri)

    def authorize_form(self, content_type: str, body: bytes, address: str) -> Answer:
        """POST /auth/authorize: the login form (or its cancel button)."""
        if content_type != FORM:
            return self._page(415, error_page("Skjemaet ble sendt i feil format."))
        try:
            values, repeated = _single(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            return self._page(400, error_page("Skjemaet kunne ikke leses."))
        request_id = values.get("request", "")
        stored = self.queries.authorize_request(token_hash(request_id), self._now()) if request_id else None
        if stored is None or repeated:
            return self._page(400, error_page("Innloggingen er utløpt eller allerede brukt."))
        pending = json.loads(stored)
        client = CLIENTS[pending["client_id"]]
        redirect_uri = pending["redirect_uri"]
        if values.get("action") == "cancel":
            if self.queries.end_authorize_request(token_hash(request_id)):
                return self._back(redirect_uri, {"error": "access_denied", "state": pending["state"],
                                                 "error_description": "The user cancelled the login"})
            return self._page(400, error_page("Innloggingen er utløpt eller allerede brukt."))
        username = values.get("username", "")[:100]
        try:
            account = self.auth.verify_pin(username, values.get("pin", "")[:100], address)
        except FhirError as error:
            if error.status == 429:
                wait = error.headers.get("Retry-After", "")
                message = f"For mange feil PIN-koder: innlogging er sperret i {wait} sekunder."
                return self._page(429, login_page(request_id, client.name, pending["scope"], username=username,
                                                  error=message), redirect_uri, {"Retry-After": wait})
            return self._page(401, login_page(request_id, client.name, pending["scope"], username=username,
                                              error="Feil brukernavn eller PIN-kode."), redirect_uri)
        if not self.queries.end_authorize_request(token_hash(request_id)):  # a parallel answer used it
            return self._page(400, error_page("Innloggingen er utløpt eller allerede brukt."))
        now = self._now()
        code = secrets.token_urlsafe(32)
        grant = {**pending, "account": account.row(), "auth_time": int(now), "family": secrets.token_urlsafe(16),
                 "login_ends": now + self.auth.config.token_ttl}
        self.queries.add_code(token_hash(code), json.dumps(grant), now + CODE_SECONDS, now)
        return self._back(redirect_uri, {"code": code, "state": pending["state"]})

    # ------------------------------------------------------------ the token endpoint

    def token(self, content_type: str, body: bytes, host: str | None) -> Answer:
        """POST /auth/token with a form (routes.py sends a JSON body to the plain login)."""
        try:
            values = self._form(content_type, body)
            client = self._client(values)
            grant_type = values.get("grant_type")
            if grant_type == "authorization_code":
                return json_answer(200, self._code_grant(values, client))
            if grant_type == "refresh_token":
                return json_answer(200, self._refresh_grant(values, client))
            if grant_type == TOKEN_EXCHANGE:
                return json_answer(200, self._exchange(values, client, host))
            raise OAuthError("unsupported_grant_type", f"grant_type {str(grant_type)[:60]!r} is not supported")
        except OAuthError as error:
            headers = {"WWW-Authenticate": 'Basic realm="visitt"'} if error.status == 401 else None
            return json_answer(error.status, error.body(), headers)

    @staticmethod
    def _form(content_type: str, body: bytes) -> dict[str, str]:
        if content_type != FORM:
            raise OAuthError("invalid_request", f"Send the parameters as {FORM}")
        try:
            values, repeated = _single(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "The form is not UTF-8") from None
        if repeated:
            raise OAuthError("invalid_request", f"Parameters given more than once: {', '.join(sorted(set(repeated)))}")
        return values

    @staticmethod
    def _client(values: dict[str, str]) -> Client:
        client = CLIENTS.get(values.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "Unknown client_id (a public client sends its client_id)", 401)
        return client

    @staticmethod
    def _required(values: dict[str, str], *names: str) -> None:
        missing = [name for name in names if not values.get(name)]
        if missing:
            raise OAuthError("invalid_request", f"Missing: {', '.join(missing)}")

    def _code_grant(self, values: dict[str, str], client: Client) -> dict[str, Any]:
        self._required(values, "code", "redirect_uri", "code_verifier")
        now = self._now()
        problem: OAuthError | None = None
        with self.auth.store.write():  # the code is spent whatever happens next
            found = self.queries.use_code(token_hash(values["code"]))
            if found is None:
                raise OAuthError("invalid_grant", "The authorization code is not valid")
            stored, expires, used = found
            grant = json.loads(stored)
            verifier = values["code_verifier"]
            if used:
                self.queries.end_family(grant["family"])
                problem = OAuthError("invalid_grant", "The authorization code was used already: the tokens issued"
                                     " with it are revoked")
            elif expires <= now:
                problem = OAuthError("invalid_grant", "The authorization code has expired: log in again")
            elif grant["client_id"] != client.client_id:
                problem = OAuthError("invalid_grant", "The authorization code was issued to another client")
            elif grant["redirect_uri"] != values["redirect_uri"]:
                problem = OAuthError("invalid_grant", "redirect_uri differs from the one in the authorize request")
            elif not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(_s256(verifier),
                                                                                grant["code_challenge"]):
                problem = OAuthError("invalid_grant", "The PKCE code_verifier does not match the code_challenge")
            else:
                return self._issue(grant, grant["scope"], now, id_token=True)
        raise problem

    def _refresh_grant(self, values: dict[str, str], client: Client) -> dict[str, Any]:
        self._required(values, "refresh_token")
        now = self._now()
        problem: OAuthError | None = None
        with self.auth.store.write():
            found = self.queries.use_refresh_token(token_hash(values["refresh_token"]))
            if found is None:
                raise OAuthError("invalid_grant", "The refresh token is not valid (revoked, logged out or"
                                 " never issued): log in again")
            family, stored, expires, used = found
            grant = json.loads(stored)
            scope = grant["scope"]
            if values.get("scope"):
                asked = values["scope"].split()
                if not set(asked) <= set(scope.split()):
                    problem = OAuthError("invalid_scope", "A refresh may narrow the scopes, never widen them")
                scope = " ".join(asked)
            if used:
                self.queries.end_family(family)
                problem = OAuthError("invalid_grant", "The refresh token was used already: every token of this"
                                     " login is revoked, log in again")
            elif expires <= now:
                problem = OAuthError("invalid_grant", "The login has expired: log in again")
            elif grant["client_id"] != client.client_id:
                problem = OAuthError("invalid_grant", "The refresh token was issued to another client")
            elif problem is None:
                return self._issue(grant, scope, now, id_token=False)
        raise problem

    def _issue(self, grant: dict[str, Any], scope: str, now: float, *, id_token: bool) -> dict[str, Any]:
        """An access token (and a rotated refresh token, and an id_token) for a grant."""
        account = Account(*grant["account"])
        login_ends = float(grant["login_ends"])
        expires = min(now + self.settings.access_token_ttl, login_ends)
        session = self.auth.issue(account, expires, scope=scope, client_id=grant["client_id"],
                                  family=grant["family"])
        answer: dict[str, Any] = {"access_token": session.token, "token_type": "Bearer",
                                  "expires_in": max(0, int(expires - now)), "scope": scope}
        words = grant["scope"].split()
        if "offline_access" in words or "online_access" in words:
            refresh = secrets.token_urlsafe(32)
            self.queries.add_refresh_token(token_hash(refresh), grant["family"], json.dumps(grant), login_ends, now)
            answer["refresh_token"] = refresh
        if id_token and "openid" in words:
            answer["id_token"] = self._id_token(account, grant, now)
        return answer

    def _id_token(self, account: Account, grant: dict[str, Any], now: float) -> str:
        words = grant["scope"].split()
        claims: dict[str, Any] = {"iss": self.issuer, "sub": account.practitioner_id, "aud": grant["client_id"],
                                  "iat": int(now), "exp": int(now) + ID_TOKEN_SECONDS,
                                  "auth_time": grant["auth_time"]}
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        if "fhirUser" in words:
            claims["fhirUser"] = f"{self.issuer}/Practitioner/{account.practitioner_id}"
        if "profile" in words:
            claims["name"] = account.name
            claims["preferred_username"] = account.username
        return self.keys.sign(claims)

    # ------------------------------------------------------------ break-the-glass (RFC 8693)

    def _exchange(self, values: dict[str, str], client: Client, host: str | None) -> dict[str, Any]:
        """A token limited to one patient for 4 hours, for a user without a care relation."""
        self._required(values, "subject_token", "subject_token_type", "purpose_of_use", "patient")
        if values["subject_token_type"] != ACCESS_TOKEN_TYPE:
            raise OAuthError("invalid_request", f"subject_token_type must be {ACCESS_TOKEN_TYPE}")
        if values.get("requested_token_type", ACCESS_TOKEN_TYPE) != ACCESS_TOKEN_TYPE:
            raise OAuthError("invalid_request", f"Only {ACCESS_TOKEN_TYPE} can be issued")
        if values["purpose_of_use"] != BREAK_GLASS_PURPOSE:
            raise OAuthError("invalid_request", f"The only purpose of use this server exchanges tokens for is"
                             f" {BREAK_GLASS_PURPOSE} (break the glass)")
        for name in ("audience", "resource"):
            if values.get(name) and not self._our_base(values[name], host):
                raise OAuthError("invalid_target", f"{name} must be this server's FHIR base URL, {self.issuer}")
        session = self.auth.session(values["subject_token"])
        if session is None or session.expires <= self._now():
            raise OAuthError("invalid_request", "The subject_token is not valid (expired, revoked or never issued)")
        if session.patient is not None:
            raise OAuthError("invalid_request", "A break-the-glass token cannot be exchanged again")
        if session.client_id not in (None, client.client_id):
            raise OAuthError("invalid_request", "The subject_token was issued to another client")
        scope = scopes.as_patient_scopes(session.scope or "user/*.cruds", values.get("scope"))
        if not scope:
            raise OAuthError("invalid_scope", "None of the requested scopes is within the subject_token's")
        patient = values["patient"].strip()
        for prefix in (f"{self.issuer}/Patient/", "Patient/"):
            patient = patient.removeprefix(prefix)
        reason = values.get("reason", "")
        ctx = Context(session, self.issuer, reason.strip())
        try:
            ends = self.guard.emergency_access(ctx, patient)
        except FhirError as error:
            if error.status == 404:
                raise OAuthError("invalid_target", error.diagnostics) from None
            raise OAuthError("invalid_request", error.diagnostics) from None
        finally:
            self.guard.flush(ctx)
        now = self._now()
        expires = datetime.fromisoformat(ends.replace("Z", "+00:00")).timestamp()
        family = session.family or token_hash(session.token)
        issued = self.auth.issue(session.account, expires, scope=scope, client_id=client.client_id,
                                 family=family, patient=patient)
        return {"access_token": issued.token, "issued_token_type": ACCESS_TOKEN_TYPE, "token_type": "Bearer",
                "expires_in": max(0, int(expires - now)), "scope": scope, "patient": patient}

    # ------------------------------------------------------------ revocation (RFC 7009)

    def revoke(self, content_type: str, body: bytes) -> Answer:
        """Revoke an access or refresh token and every other token of its login."""
        try:
            values = self._form(content_type, body)
            client = self._client(values)
            self._required(values, "token")
            token = values["token"]
            session: Session | None = self.auth.session(token)
            if session is not None:
                if session.client_id not in (None, client.client_id):
                    raise OAuthError("invalid_request", "The token was issued to another client")
                self.queries.end_session(token_hash(token))
            elif (refresh := self.queries.refresh_token(token_hash(token))) is not None:
                family, stored = refresh
                if json.loads(stored)["client_id"] != client.client_id:
                    raise OAuthError("invalid_request", "The token was issued to another client")
                self.queries.end_family(family)
        except OAuthError as error:
            return json_answer(error.status, error.body())
        return Answer(200, b"", None, dict(_NO_STORE))  # also for a token unknown or revoked already
