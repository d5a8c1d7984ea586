"""The one routing table: method + path to handlers, for HTTP requests and Bundle entries alike.

``Api.handle`` routes an HTTP request. A FHIR route's handler gets the caller's Context and a
FhirRequest (its JSON body parsed once, here) and returns a Result whose body is serialised once,
here, on the way out. A batch or transaction entry (bundles.py) goes through the same table by
``Api.dispatch``, which answers FHIR interactions only: login, admin and usage-log endpoints
cannot be reached from inside a Bundle.
"""

from __future__ import annotations

import contextlib
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from mock_epj import bundles, token_scope, wire
from mock_epj.access import AccessControl
from mock_epj.auth import Authenticator, Session
from mock_epj.capability import capability_statement
from mock_epj.collector import UsageCollector
from mock_epj.context import Context, FhirRequest, Result, path_segments
from mock_epj.errors import FhirError, bad_request, operation_outcome
from mock_epj.faults import Faults
from mock_epj.interactions import FhirService
from mock_epj.oauth import Answer, AuthorizationServer, OAuthSettings

FHIR_JSON = "application/fhir+json; charset=utf-8"
# A request body: a 10-minute dictation (5 MiB of audio, base64 in JSON) or a photo fits; more is 413.
MAX_BODY = 8 * 1024 * 1024
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
_FORM = "application/x-www-form-urlencoded"


@dataclass
class Request:
    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    client: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, content_type: str = FHIR_JSON,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(status, wire.encode(payload), {"Content-Type": content_type, **(headers or {})})


def error_response(error: FhirError) -> Response:
    return json_response(error.status, error.outcome(), headers=error.headers)


@dataclass(frozen=True)
class Http:
    """An endpoint outside the FHIR interactions: it sees the raw HTTP request and is never
    reachable from a Bundle entry."""

    handler: Callable[[Request], Response]


@dataclass(frozen=True)
class Fhir:
    """A FHIR interaction. ``body``: what an HTTP request's body holds (a JSON resource, or form
    search parameters); ``in_bundle``: whether a Bundle entry may ask for it."""

    handler: Callable[[Context, FhirRequest], Result]
    body: Literal["resource", "form"] | None = None
    in_bundle: bool = True
    # What a token's SMART scopes must allow (scopes.INTERACTION_PERMISSION); None: checked per
    # entry (a Bundle).
    interaction: str | None = None


Endpoint = Http | Fhir


class Api:
    """Routes requests to the FHIR service, the login endpoints and the admin endpoints."""

    def __init__(self, service: FhirService, auth: Authenticator, access: AccessControl,
                 faults: Faults, base_url: str,
                 simulate_lab: Callable[[str | None], list[str]] | None = None,
                 collector: UsageCollector | None = None, oauth: OAuthSettings | None = None,
                 strict: bool = False) -> None:
        self.service = service
        self.strict = strict  # mock-epj serve --strict: no mock-only behaviour (docs/mock-epj.md)
        self.auth = auth
        self.access = access
        self.faults = faults
        self.base_url = base_url.rstrip("/")
        self.simulate_lab = simulate_lab
        self.collector = collector
        self.oauth = AuthorizationServer(auth, service.guard, self.base_url, oauth)
        fhir = service
        self.routes: list[tuple[list[str], dict[str, Endpoint]]] = [
            (["fhir", "metadata"], {"GET": Http(self.metadata)}),
            (["fhir", ".well-known", "smart-configuration"], {"GET": Http(self.smart_configuration)}),
            (["fhir", ".well-known", "openid-configuration"], {"GET": Http(self.openid_configuration)}),
            ([".well-known", "openid-configuration"], {"GET": Http(self.openid_configuration)}),
            (["auth", "jwks"], {"GET": Http(self.jwks)}),
            (["auth", "authorize"], {"GET": Http(self.authorize), "POST": Http(self.authorize_form)}),
            (["auth", "token"], {"POST": Http(self.token)}),
            (["auth", "revoke"], {"POST": Http(self.revoke)}),
            (["auth", "logout"], {"POST": Http(self.logout)}),
            (["_admin", "faults"], {"GET": Http(self.get_faults), "POST": Http(self.set_faults)}),
            (["_admin", "labs"], {"POST": Http(self.run_labs)}),
            (["v1", "logs"], {"POST": Http(self.collect_logs)}),
            (["v1", "logs", "export"], {"GET": Http(self.export_logs)}),
            (["fhir"], {"POST": Fhir(lambda ctx, r: bundles.process(fhir, self.dispatch, ctx, r.body),
                                     body="resource", in_bundle=False)}),
            (["fhir", "{type}", "_search"], {
                "POST": Fhir(lambda ctx, r: fhir.search(ctx, r.args["type"], r.params), body="form",
                             interaction="search")}),
            (["fhir", "{type}"], {
                "GET": Fhir(lambda ctx, r: fhir.search(ctx, r.args["type"], r.params), interaction="search"),
                "POST": Fhir(lambda ctx, r: fhir.create(ctx, r.args["type"], r.body, r.header("if-none-exist"),
                                                        r.assigned_id), body="resource", interaction="create")}),
            (["fhir", "{type}", "{id}"], {
                "GET": Fhir(lambda ctx, r: fhir.read(ctx, r.args["type"], r.args["id"]), interaction="read"),
                "PUT": Fhir(lambda ctx, r: fhir.update(ctx, r.args["type"], r.args["id"], r.body,
                                                       r.header("if-match")), body="resource", interaction="update"),
                "DELETE": Fhir(lambda ctx, r: fhir.delete(ctx, r.args["type"], r.args["id"]),
                               interaction="delete")}),
            (["fhir", "{type}", "{id}", "_history", "{vid}"], {
                "GET": Fhir(lambda ctx, r: fhir.vread(ctx, r.args["type"], r.args["id"], r.args["vid"]),
                            interaction="vread")}),
        ]
        # The routes by their number of segments, each list in the table's order (_find's candidates).
        self._by_length: dict[int, list[tuple[list[str], dict[str, Endpoint]]]] = {}
        for pattern, methods in self.routes:
            self._by_length.setdefault(len(pattern), []).append((pattern, methods))

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url}/fhir"

    def handle(self, request: Request) -> Response:
        """Answer an HTTP request."""
        try:
            segments = path_segments(request.path)
            endpoint, args = self._find(request.method, segments, request.path)
            if isinstance(endpoint, Http):
                return endpoint.handler(request)
            return self._serve(endpoint, request, segments[1:], args)
        except FhirError as error:
            return error_response(error)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return json_response(500, operation_outcome(
                "exception", "The server failed to handle this request (see the server log)"))

    def dispatch(self, ctx: Context, request: FhirRequest) -> Result:
        """Answer a Bundle entry's request through the same table; only FHIR interactions answer."""
        where = "/".join(request.path)
        endpoint, args = self._find(request.method, ["fhir", *request.path], where or "the base URL")
        if not isinstance(endpoint, Fhir) or not endpoint.in_bundle:
            raise FhirError(400, "not-supported", f"{request.method} {where or 'on the base URL'} cannot be"
                                                  " an entry of a Bundle")
        request.args = args
        token_scope.check(self.service, ctx, endpoint.interaction, request)
        return endpoint.handler(ctx, request)

    def _find(self, method: str, segments: list[str], where: str) -> tuple[Endpoint, dict[str, str]]:
        for pattern, methods in self._by_length.get(len(segments), ()):
            args: dict[str, str] = {}
            for expected, actual in zip(pattern, segments, strict=True):
                if expected.startswith("{"):
                    args[expected[1:-1]] = actual
                elif expected != actual:
                    break
            else:
                if method not in methods:
                    allow = ", ".join(sorted(methods))
                    raise FhirError(405, "not-supported",
                                    f"{method} is not allowed on {where} (allowed: {allow})",
                                    headers={"Allow": allow})
                return methods[method], args
        raise FhirError(404, "not-found", f"There is nothing at {where}")

    def _serve(self, endpoint: Fhir, request: Request, path: list[str], args: dict[str, str]) -> Response:
        """Run a FHIR interaction for an HTTP request: the edge where JSON is parsed and written."""
        ctx = self._context(request)
        try:
            fhir_request = FhirRequest(request.method, path, request.params, request.headers, args=args)
            if endpoint.body == "resource":
                if "type" in args:
                    self.service.check_type(args["type"])  # an unknown type before a bad body
                fhir_request.body = self._json_body(request)
            elif endpoint.body == "form":
                fhir_request.params = [*request.params, *self._form_body(request)]
            token_scope.check(self.service, ctx, endpoint.interaction, fhir_request)
            result = endpoint.handler(ctx, fhir_request)
        finally:
            self.service.flush_audits(ctx)
        headers = {"Content-Type": FHIR_JSON, **result.headers}
        if ctx.emergency and not ctx.conformant:  # a custom header: never from a strict server
            headers["X-Break-Glass"] = ", ".join(
                f"Patient/{pid}; expires={expires}" for pid, expires in sorted(ctx.emergency.items()))
        return Response(result.status, wire.encode(result.body), headers)

    # ------------------------------------------------------------ helpers

    def _context(self, request: Request) -> Context:
        session = self.auth.authenticate(request.header("authorization"))
        accept = request.header("accept") or ""
        if accept and "json" not in accept and "*/*" not in accept:
            raise FhirError(406, "not-supported", f"Only JSON is served, not {accept}")
        prefer = request.header("prefer") or ""
        strict = self.strict or _prefers_strict(prefer)
        prefer_return = "representation"
        for option in ("minimal", "OperationOutcome", "representation"):
            if f"return={option}" in prefer:
                prefer_return = option
        # A custom header: a strict server honours none (break-the-glass must come some other way),
        # and a break-the-glass token opens no other patient's record.
        reason = None if self.strict else request.header("x-break-glass-reason")
        reason = _decode_header(reason) if reason is not None and session.patient is None else None
        return Context(session, self.fhir_base, reason, strict, prefer_return, conformant=self.strict)

    @staticmethod
    def _json_body(request: Request, *, required: bool = True) -> Any:
        if len(request.body) > MAX_BODY:
            raise FhirError(413, "too-long", f"The body is larger than {MAX_BODY} bytes")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if not request.body:
            if required:
                raise bad_request("This request needs a JSON body", "required")
            return None
        if content_type not in _JSON_TYPES:
            raise FhirError(415, "not-supported",
                            f"Send the body as application/fhir+json, not {content_type or 'nothing'}")
        try:
            return wire.loads(request.body)
        except wire.BadJson as error:
            raise bad_request(f"The body is not valid JSON: {error}", "structure") from None

    @staticmethod
    def _form_body(request: Request) -> list[tuple[str, str]]:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if request.body and content_type != _FORM:
            raise FhirError(415, "not-supported", f"_search takes {_FORM} parameters")
        try:
            return parse_qsl(request.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise bad_request("The form body is not UTF-8") from None

    # ------------------------------------------------------------ endpoints

    def metadata(self, request: Request) -> Response:
        return json_response(200, capability_statement(self.fhir_base, strict=self.strict))

    def smart_configuration(self, request: Request) -> Response:
        return json_response(200, self.oauth.smart_configuration(), content_type="application/json")

    def openid_configuration(self, request: Request) -> Response:
        return json_response(200, self.oauth.openid_configuration(), content_type="application/json")

    def jwks(self, request: Request) -> Response:
        return json_response(200, self.oauth.jwks(), content_type="application/jwk-set+json")

    @staticmethod
    def _answer(answer: Answer) -> Response:
        headers = dict(answer.headers or {})
        if answer.content_type:
            headers["Content-Type"] = answer.content_type
        return Response(answer.status, answer.body, headers)

    @staticmethod
    def _content_type(request: Request) -> str:
        return (request.header("content-type") or "").split(";")[0].strip().lower()

    def authorize(self, request: Request) -> Response:
        return self._answer(self.oauth.authorize(request.params, request.header("host")))

    def authorize_form(self, request: Request) -> Response:
        return self._answer(self.oauth.authorize_form(self._content_type(request), request.body, request.client))

    def revoke(self, request: Request) -> Response:
        return self._answer(self.oauth.revoke(self._content_type(request), request.body))

    def token(self, request: Request) -> Response:
        """The OAuth 2.0 token endpoint for a form body; the plain username-and-PIN login (JSON) else."""
        if self._content_type(request) == _FORM:
            return self._answer(self.oauth.token(_FORM, request.body, request.header("host")))
        body = self._json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("pin"), str):
            raise bad_request('Send {"username": "...", "pin": "..."}')
        session: Session = self.auth.login(body["username"], body["pin"], request.client)
        expires_in = max(0, int(session.expires - self.auth._now()))
        return json_response(200, {
            "access_token": session.token, "token_type": "Bearer", "expires_in": expires_in,
            "practitioner": session.practitioner_ref, "name": session.name, "role": session.role,
        }, content_type="application/json", headers={"Cache-Control": "no-store"})

    def logout(self, request: Request) -> Response:
        authorization = request.header("authorization") or ""
        if not authorization.lower().startswith("bearer "):
            raise FhirError(401, "login", "No bearer token to revoke")
        self.auth.logout(authorization[7:].strip())
        return Response(204)

    def _require_loopback(self, request: Request) -> None:
        """Admin and export endpoints answer a loopback client that asked for a loopback host name:
        a web page whose own name was made to point at 127.0.0.1 (DNS rebinding) still sends that
        name in ``Host``."""
        if not (request.client.startswith("127.") or request.client == "::1"):
            raise FhirError(403, "forbidden", "Admin endpoints answer loopback clients only")
        host = request.header("host")
        if not loopback_host(host):
            raise FhirError(403, "forbidden", "Admin endpoints answer requests addressed to a loopback host"
                            f" name only (127.0.0.1, localhost or [::1]), not {(host or 'no Host')[:100]!r}")

    def get_faults(self, request: Request) -> Response:
        self._require_loopback(request)
        return json_response(200, asdict(self.faults.settings), content_type="application/json")

    def set_faults(self, request: Request) -> Response:
        self._require_loopback(request)
        try:
            settings = self.faults.update(self._json_body(request))
        except ValueError as error:
            raise bad_request(str(error)) from None
        return json_response(200, asdict(settings), content_type="application/json")

    def run_labs(self, request: Request) -> Response:
        self._require_loopback(request)
        if self.simulate_lab is None:
            raise FhirError(404, "not-found", "Lab simulation is not available")
        body = self._json_body(request, required=False) or {}
        patient = body.get("patient") if isinstance(body, dict) else None
        if patient is not None and not isinstance(patient, str):
            raise bad_request('Send {"patient": "<id>"} or nothing')
        try:
            created = self.simulate_lab(patient)
        except LookupError as error:
            raise FhirError(404, "not-found", str(error)) from None
        return json_response(200, {"created": created}, content_type="application/json")

    def _usage_collector(self) -> UsageCollector:
        if self.collector is None:
            raise FhirError(404, "not-found", "This server has no usage collector")
        return self.collector

    def collect_logs(self, request: Request) -> Response:
        """OTLP/HTTP JSON logs; no token needed (see collector.py)."""
        status, answer = self._usage_collector().receive(
            request.body, request.header("content-type"), request.header("x-batch-id"), client=request.client)
        return json_response(status, answer, content_type="application/json")

    def export_logs(self, request: Request) -> Response:
        self._require_loopback(request)
        return Response(200, self._usage_collector().export_jsonl(),
                        {"Content-Type": "application/x-ndjson; charset=utf-8"})


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_PORT = re.compile("[0-9]{1,5}")


def loopback_host(host: str | None) -> bool:
    """Whether a Host header names this machine's loopback: 127.0.0.1, localhost or [::1], with
    or without a port."""
    if not host:
        return False
    host = host.strip().lower()
    name, colon, port = (host.partition("]:") if host.startswith("[") else host.partition(":"))
    if host.startswith("[") and colon:
        name += "]"
    return name in _LOOPBACK_NAMES and (not colon or _PORT.fullmatch(port) is not None)


def _prefers_strict(prefer: str) -> bool:
    """Whether a ``Prefer`` header asks for ``handling=strict`` (RFC 7240: comma-separated
    preferences, parameters after ``;``, names case-insensitive)."""
    for preference in prefer.split(","):
        name, _, value = preference.split(";")[0].partition("=")
        if name.strip().lower() == "handling" and value.strip().strip('"').lower() == "strict":
            return True
    return False


def _decode_header(value: str) -> str:
    """Header values arrive as latin-1; accept raw UTF-8 and percent-encoded UTF-8."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    return unquote(value)
