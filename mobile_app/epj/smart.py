"""Login by SMART App Launch 2 (standalone) and OpenID Connect, from nothing but the FHIR base URL.

``SmartClient`` discovers the server's ``.well-known/smart-configuration`` (and its OpenID
configuration where the SMART one leaves out the issuer or keys), builds the authorize URL with
PKCE (S256), ``state`` and ``nonce``, checks what comes back to the redirect URI, exchanges the
code, and trusts an ``id_token`` only when its signature (from the server's JWKS, RS256 or
ES256), issuer, audience, expiry and nonce hold; the user's Practitioner comes from its
``fhirUser`` claim. Then: refresh before the access token ends, revoke at logout, and
break-the-glass by token exchange (RFC 8693, purpose of use BTG) where the server offers it.

Only standard OAuth 2.0 / OpenID Connect / SMART over httpx; JOSE by PyJWT (on ``cryptography``).
Tokens are kept by the caller (secure store or memory, as today), never written here. The
user's role and wards are read from FHIR (PractitionerRole), not from the login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import jwt

from mobile_app.domain.break_glass import MIN_REASON_VISIBLE, visible_length
from mobile_app.epj.errors import (
    BadResponse,
    BreakGlassRefused,
    BreakGlassUnavailable,
    IdTokenInvalid,
    InputRejected,
    LoginRefused,
    Offline,
    ServerError,
    SessionExpired,
    TimedOut,
)
from mobile_app.epj.transport import timeouts

CLIENT_ID = "visitt"
DEFAULT_SCOPE = "openid fhirUser profile offline_access user/*.cruds"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
BREAK_GLASS_PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason|BTG"
REFRESH_MARGIN = 60.0  # seconds before its end that an access token is refreshed
CLOCK_SKEW = 60  # seconds of difference between our clock and the server's that are tolerated
_SIGNATURE_ALGORITHMS = ("RS256", "ES256")  # asymmetric only: never "none" or a shared secret


@dataclass(frozen=True)
class SmartConfiguration:
    """What the server's discovery documents say (only what this client uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None
    jwks_uri: str | None
    grant_types: tuple[str, ...]
    capabilities: tuple[str, ...]
    scopes_supported: tuple[str, ...]
    id_token_algorithms: tuple[str, ...]
    break_glass_purpose: str | None  # the purpose of use a token exchange grants emergency access for

    @property
    def supports_break_glass(self) -> bool:
        return TOKEN_EXCHANGE in self.grant_types and self.break_glass_purpose == BREAK_GLASS_PURPOSE

    @property
    def supports_refresh(self) -> bool:
        return "refresh_token" in self.grant_types or not self.grant_types


@dataclass(frozen=True)
class PendingLogin:
    """One login under way: the URL to open in a browser, and what its answer is checked against."""

    url: str
    redirect_uri: str
    scope: str
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    """A login's tokens. ``practitioner_id`` comes from the verified id_token's fhirUser claim;
    ``patient`` is set on a break-the-glass token, which reaches that patient only."""

    access_token: str = field(repr=False)
    expires_at: float  # clock seconds
    scope: str
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    practitioner_id: str | None = None
    fhir_user: str | None = None  # the claim as the server wrote it (an absolute URL)
    patient: str | None = None
    name: str | None = None  # the id_token's ``name`` and ``preferred_username`` (scope ``profile``)
    username: str | None = None

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at - now <= seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


class SmartClient:
    """The SMART / OpenID Connect client of one FHIR server, for one app.

    ``fhir_base``: e.g. ``http://127.0.0.1:8080/fhir``; ``redirect_uri``: where the browser comes
    back (registered with the server; the mock registers ``http://127.0.0.1:<any port>/oauth_callback``).
    ``http_transport`` replaces httpx's network transport (tests); ``clock`` gives seconds.
    """

    def __init__(self, fhir_base: str, redirect_uri: str, *, client_id: str = CLIENT_ID, timeout: float = 10.0,
                 http_transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.fhir_base = fhir_base.rstrip("/")
        self.redirect_uri = redirect_uri
        self.client_id = client_id
        self.clock = clock
        self._http = httpx.AsyncClient(timeout=timeouts(timeout), transport=http_transport,
                                       headers={"Accept": "application/json"})
        self._config: SmartConfiguration | None = None
        self._keys: dict[str, dict[str, Any]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ HTTP

    async def _send(self, method: str, url: str, form: dict[str, str] | None = None) -> httpx.Response:
        try:
            if form is None:
                return await self._http.request(method, url)
            return await self._http.request(method, url, content=urlencode(form).encode(),
                                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        except httpx.TimeoutException as error:
            raise TimedOut(f"No answer from the EPJ's login in time ({type(error).__name__})",
                           request_sent=not isinstance(error, httpx.ConnectTimeout)) from error
        except httpx.HTTPError as error:
            raise Offline(f"The EPJ's login cannot be reached: {error or type(error).__name__}",
                          request_sent=not isinstance(error, httpx.ConnectError)) from error

    @staticmethod
    def _json(response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code >= 500:
            raise ServerError(f"The EPJ's {what} failed (HTTP {response.status_code})", response.status_code)
        try:
            body = response.json()
        except ValueError:
            raise BadResponse(f"The EPJ's {what} is not JSON (HTTP {response.status_code})") from None
        if not isinstance(body, dict):
            raise BadResponse(f"The EPJ's {what} is not a JSON object")
        return body

    async def _token_call(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        config = await self.discover()
        response = await self._send("POST", config.token_endpoint, {**form, "client_id": self.client_id})
        return response.status_code, self._json(response, "token answer")

    # ------------------------------------------------------------ discovery

    async def discover(self) -> SmartConfiguration:
        """The server's SMART configuration (asked once); BadResponse when it offers no SMART login
        this client can use (no PKCE with S256)."""
        if self._config is not None:
            return self._config
        response = await self._send("GET", f"{self.fhir_base}/.well-known/smart-configuration")
        if response.status_code == 404:
            raise BadResponse(f"{self.fhir_base} offers no SMART login (.well-known/smart-configuration)", 404)
        smart = self._json(response, "SMART configuration")
        if "S256" not in (smart.get("code_challenge_methods_supported") or []):
            raise BadResponse("The EPJ's login does not offer PKCE with S256, which this app requires")
        openid: dict[str, Any] = {}
        if not smart.get("issuer") or not smart.get("jwks_uri") or "id_token_signing_alg_values_supported" not in smart:
            answer = await self._send("GET", f"{self.fhir_base}/.well-known/openid-configuration")
            if answer.status_code == 200:
                openid = self._json(answer, "OpenID configuration")
        merged = {**openid, **smart}
        try:
            btg = merged.get("break_the_glass")
            self._config = SmartConfiguration(
                issuer=str(merged.get("issuer") or ""),
                authorization_endpoint=str(merged["authorization_endpoint"]),
                token_endpoint=str(merged["token_endpoint"]),
                revocation_endpoint=merged.get("revocation_endpoint"),
                jwks_uri=merged.get("jwks_uri"),
                grant_types=tuple(merged.get("grant_types_supported") or ()),
                capabilities=tuple(merged.get("capabilities") or ()),
                scopes_supported=tuple(merged.get("scopes_supported") or ()),
                id_token_algorithms=tuple(a for a in merged.get("id_token_signing_alg_values_supported") or ["RS256"]
                                          if a in _SIGNATURE_ALGORITHMS),
                break_glass_purpose=btg.get("purpose_of_use") if isinstance(btg, dict) else None,
            )
        except KeyError as error:
            raise BadResponse(f"The EPJ's SMART configuration has no {error.args[0]}") from None
        return self._config

    # ------------------------------------------------------------ login

    async def begin_login(self, scope: str = DEFAULT_SCOPE) -> PendingLogin:
        """The authorize URL to open, with a fresh PKCE verifier, state and nonce."""
        config = await self.discover()
        verifier = secrets.token_urlsafe(64)  # 86 characters of the 43-128 PKCE allows
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": scope, "state": state, "nonce": nonce, "aud": self.fhir_base,
                  "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
                  "code_challenge_method": "S256"}
        separator = "&" if "?" in config.authorization_endpoint else "?"
        return PendingLogin(f"{config.authorization_endpoint}{separator}{urlencode(params)}", self.redirect_uri,
                            scope, state, nonce, verifier)

    async def finish_login(self, pending: PendingLogin, callback_url: str) -> Tokens:
        """Check the URL the browser came back to (its state, issuer and any error) and exchange
        its code: LoginRefused when the server refused or the answer is not this login's."""
        config = await self.discover()
        answer = dict(parse_qsl(urlsplit(callback_url).query, keep_blank_values=True))
        if not _same(answer.get("state"), pending.state):
            raise LoginRefused("The login's answer does not belong to this login (state): log in again")
        if "iss" in answer and answer["iss"] != config.issuer:  # RFC 9207: a mix-up of servers
            raise LoginRefused("The login's answer came from another server (iss): log in again")
        if "error" in answer:
            raise LoginRefused(answer.get("error_description") or answer["error"], error=answer["error"])
        if not answer.get("code"):
            raise LoginRefused("The login's answer holds no code")
        return await self.exchange_code(pending, answer["code"])

    async def exchange_code(self, pending: PendingLogin, code: str) -> Tokens:
        status, body = await self._token_call({"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": pending.redirect_uri,
                                               "code_verifier": pending.code_verifier})
        if status != 200:
            raise LoginRefused(str(body.get("error_description") or body.get("error") or f"HTTP {status}"),
                               status, error=body.get("error"))
        tokens = self._tokens(body, pending.scope)
        if "openid" in pending.scope.split():
            if not tokens.id_token:
                raise IdTokenInvalid("The EPJ sent no id_token: who logged in cannot be trusted")
            claims = await self.verify_id_token(tokens.id_token, pending.nonce)
            fhir_user = claims.get("fhirUser")
            tokens = replace(tokens, fhir_user=fhir_user, practitioner_id=self.practitioner_of(fhir_user),
                             name=_text(claims.get("name")), username=_text(claims.get("preferred_username")))
        return tokens

    def _tokens(self, body: dict[str, Any], asked_scope: str) -> Tokens:
        token = body.get("access_token")
        if not isinstance(token, str) or not token or str(body.get("token_type", "")).lower() != "bearer":
            raise BadResponse("The EPJ's token answer holds no bearer access token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        return Tokens(token, self.clock() + lifetime, str(body.get("scope") or asked_scope),
                      body.get("refresh_token"), body.get("id_token"), patient=body.get("patient"))

    # ------------------------------------------------------------ the id_token

    async def _jwk(self, kid: str | None) -> dict[str, Any]:
        config = await self.discover()
        if config.jwks_uri is None:
            raise IdTokenInvalid("The EPJ publishes no keys (jwks_uri): the id_token cannot be checked")
        for attempt in range(2):  # once more after fetching the keys again: the server may have a new one
            if attempt or not self._keys:
                keys = self._json(await self._send("GET", config.jwks_uri), "key set").get("keys")
                if not isinstance(keys, list):
                    raise BadResponse("The EPJ's key set holds no keys")
                self._keys = {str(k.get("kid")): k for k in keys if isinstance(k, dict)}
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid is not None and kid in self._keys:
                return self._keys[kid]
        raise IdTokenInvalid("The id_token is signed with a key the EPJ does not publish")

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The id_token's claims, once its signature (the server's published key; RS256 or ES256,
        never "none" or a shared secret), issuer, audience, expiry and nonce hold; IdTokenInvalid
        otherwise."""
        config = await self.discover()
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise IdTokenInvalid(f"The id_token cannot be read: {error}") from None
        algorithm = header.get("alg")
        if algorithm not in config.id_token_algorithms:
            raise IdTokenInvalid(f"The id_token is signed with {algorithm!r}, which is not accepted")
        jwk = await self._jwk(header.get("kid"))
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm)
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=[algorithm], audience=self.client_id, issuer=config.issuer,
                leeway=CLOCK_SKEW, options={"require": ["iss", "sub", "aud", "exp", "iat"]})
        except jwt.PyJWTError as error:
            raise IdTokenInvalid(f"The id_token is not valid: {error}") from None
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise IdTokenInvalid("The id_token was issued to another app as well (azp)")
        if not _same(claims.get("nonce"), nonce):
            raise IdTokenInvalid("The id_token does not belong to this login (nonce)")
        return claims

    def practitioner_of(self, fhir_user: Any) -> str:
        """The Practitioner id a fhirUser claim names (on this FHIR server); IdTokenInvalid else."""
        if not isinstance(fhir_user, str) or not fhir_user:
            raise IdTokenInvalid("The id_token names no user (fhirUser): ask for the fhirUser scope")
        reference = fhir_user
        if "://" in fhir_user:
            if not fhir_user.startswith(f"{self.fhir_base}/"):
                raise IdTokenInvalid(f"The login's user is on another server: {fhir_user}")
            reference = fhir_user[len(self.fhir_base) + 1:]
        type_, _, id_ = reference.partition("/")
        if type_ != "Practitioner" or not id_ or "/" in id_:
            raise LoginRefused(f"Only clinicians (a Practitioner) can use the app; this login is {reference}")
        return id_

    # ------------------------------------------------------------ refresh and logout

    async def refresh(self, tokens: Tokens) -> Tokens:
        """New tokens (the refresh token rotates); SessionExpired when the login has ended."""
        if not tokens.refresh_token:
            raise SessionExpired("The login cannot be renewed (no refresh token): log in again")
        status, body = await self._token_call({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token})
        if status != 200:
            detail = str(body.get("error_description") or body.get("error") or f"HTTP {status}")
            if body.get("error") == "invalid_grant":
                raise SessionExpired(detail, status)
            raise LoginRefused(detail, status, error=body.get("error"))
        fresh = self._tokens(body, tokens.scope)
        return replace(fresh, refresh_token=fresh.refresh_token or tokens.refresh_token,
                       id_token=tokens.id_token, practitioner_id=tokens.practitioner_id, fhir_user=tokens.fhir_user,
                       name=tokens.name, username=tokens.username)

    async def fresh(self, tokens: Tokens, margin: float = REFRESH_MARGIN) -> Tokens:
        """``tokens`` as they are while the access token has more than ``margin`` seconds left,
        else refreshed (SessionExpired when that is no longer possible)."""
        if not tokens.expires_within(margin, self.clock()):
            return tokens
        if tokens.refresh_token:
            return await self.refresh(tokens)
        if tokens.expires_within(0, self.clock()):
            raise SessionExpired("The login has expired: log in again")
        return tokens

    async def revoke(self, tokens: Tokens) -> None:
        """Revoke the login at the server (the refresh token first: that ends all of the login's
        tokens; then the access token, for a server that does not). Without a revocation
        endpoint, nothing is sent: the tokens are only forgotten by the caller."""
        config = await self.discover()
        if config.revocation_endpoint is None:
            return
        for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "access_token")):
            if not token:
                continue
            response = await self._send("POST", config.revocation_endpoint,
                                        {"token": token, "token_type_hint": hint, "client_id": self.client_id})
            if response.status_code >= 500:
                raise ServerError(f"The EPJ could not revoke the login (HTTP {response.status_code})",
                                  response.status_code)

    # ------------------------------------------------------------ break-the-glass

    async def offers_break_glass(self) -> bool:
        """Whether the server gives break-the-glass tokens by token exchange (its smart-configuration)."""
        return (await self.discover()).supports_break_glass

    async def break_glass(self, tokens: Tokens, patient_id: str, reason: str) -> Tokens:
        """A token for one patient's record for the hours the server grants (4 in the mock), by
        token exchange with purpose of use BTG and the typed reason. BreakGlassUnavailable where
        the server does not offer it (emergency access is then taken in the EPJ itself),
        InputRejected for a reason too short to read, BreakGlassRefused when the server says no."""
        config = await self.discover()
        if not config.supports_break_glass:
            raise BreakGlassUnavailable("This EPJ offers no emergency access from the app: use the EPJ itself",
                                        patient_id=patient_id)
        reason = reason.strip()
        if visible_length(reason) < MIN_REASON_VISIBLE:
            raise InputRejected(f"The reason needs at least {MIN_REASON_VISIBLE} visible characters",
                                field="reason", reason="too_short", limit=MIN_REASON_VISIBLE,
                                length=visible_length(reason))
        status, body = await self._token_call({
            "grant_type": TOKEN_EXCHANGE, "subject_token": tokens.access_token,
            "subject_token_type": ACCESS_TOKEN_TYPE, "requested_token_type": ACCESS_TOKEN_TYPE,
            "purpose_of_use": BREAK_GLASS_PURPOSE, "patient": patient_id, "reason": reason,
            "audience": self.fhir_base})
        if status != 200:
            raise BreakGlassRefused(str(body.get("error_description") or body.get("error") or f"HTTP {status}"),
                                    status, patient_id=patient_id)
        granted = self._tokens(body, "")
        if granted.patient not in (None, patient_id):
            raise BadResponse("The EPJ granted emergency access to another patient than asked")
        return replace(granted, patient=patient_id, practitioner_id=tokens.practitioner_id,
                       fhir_user=tokens.fhir_user)
