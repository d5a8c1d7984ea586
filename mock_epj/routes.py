"""The routing table: method + path to small handlers that turn a parsed request into a response."""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from mock_epj import bundles
from mock_epj.access import AccessControl
from mock_epj.auth import Authenticator, Session
from mock_epj.capability import capability_statement
from mock_epj.collector import UsageCollector
from mock_epj.errors import FhirError, bad_request, operation_outcome
from mock_epj.faults import Faults
from mock_epj.interactions import Context, FhirService, Result

FHIR_JSON = "application/fhir+json; charset=utf-8"
MAX_BODY = 1024 * 1024
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


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
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": content_type, **(headers or {})})


def error_response(error: FhirError) -> Response:
    return json_response(error.status, error.outcome(), headers=error.headers)


Handler = Callable[..., Response]


class Api:
    """Routes requests to the FHIR service, the login endpoints and the admin endpoints."""

    def __init__(self, service: FhirService, auth: Authenticator, access: AccessControl,
                 faults: Faults, base_url: str,
                 simulate_lab: Callable[[str | None], list[str]] | None = None,
                 collector: UsageCollector | None = None) -> None:
        self.service = service
        self.auth = auth
        self.access = access
        self.faults = faults
        self.base_url = base_url.rstrip("/")
        self.simulate_lab = simulate_lab
        self.collector = collector
        self.routes: list[tuple[list[str], dict[str, Handler]]] = [
            (["fhir", "metadata"], {"GET": self.metadata}),
            (["auth", "token"], {"POST": self.token}),
            (["auth", "logout"], {"POST": self.logout}),
            (["_admin", "faults"], {"GET": self.get_faults, "POST": self.set_faults}),
            (["_admin", "labs"], {"POST": self.run_labs}),
            (["v1", "logs"], {"POST": self.collect_logs}),
            (["v1", "logs", "export"], {"GET": self.export_logs}),
            (["fhir"], {"POST": self.bundle}),
            (["fhir", "{type}", "_search"], {"POST": self.search_post}),
            (["fhir", "{type}"], {"GET": self.search, "POST": self.create}),
            (["fhir", "{type}", "{id}"], {"GET": self.read, "PUT": self.update,
                                          "DELETE": self.delete}),
            (["fhir", "{type}", "{id}", "_history", "{vid}"], {"GET": self.vread}),
        ]

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url}/fhir"

    def handle(self, request: Request) -> Response:
        try:
            handler, args = self._route(request)
            return handler(request, **args)
        except FhirError as error:
            return error_response(error)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return json_response(500, operation_outcome(
                "exception", "The server failed to handle this request (see the server log)"))

    def _route(self, request: Request) -> tuple[Handler, dict[str, str]]:
        segments = [unquote(s) for s in request.path.split("/") if s]
        for pattern, methods in self.routes:
            if len(pattern) != len(segments):
                continue
            args: dict[str, str] = {}
            for expected, actual in zip(pattern, segments, strict=True):
                if expected.startswith("{"):
                    args[expected[1:-1]] = actual
                elif expected != actual:
                    break
            else:
                if request.method not in methods:
                    allow = ", ".join(sorted(methods))
                    raise FhirError(405, "not-supported",
                                    f"{request.method} is not allowed on {request.path} (allowed:"
                                    f" {allow})", headers={"Allow": allow})
                return methods[request.method], args
        raise FhirError(404, "not-found", f"There is nothing at {request.path}")

    # ------------------------------------------------------------ helpers

    def _context(self, request: Request) -> Context:
        session = self.auth.authenticate(request.header("authorization"))
        accept = request.header("accept") or ""
        if accept and "json" not in accept and "*/*" not in accept:
            raise FhirError(406, "not-supported", f"Only JSON is served, not {accept}")
        prefer = request.header("prefer") or ""
        strict = "handling=strict" in prefer
        prefer_return = "representation"
        for option in ("minimal", "OperationOutcome", "representation"):
            if f"return={option}" in prefer:
                prefer_return = option
        reason = request.header("x-break-glass-reason")
        if reason is not None:
            reason = _decode_header(reason)
        return Context(session, self.fhir_base, reason, strict, prefer_return)

    def _run(self, request: Request, action: Callable[[Context], Result]) -> Response:
        ctx = self._context(request)
        try:
            result = action(ctx)
        finally:
            self.service.flush_audits(ctx)
        headers = {"Content-Type": FHIR_JSON, **result.headers}
        if ctx.emergency:
            headers["X-Break-Glass"] = ", ".join(
                f"Patient/{pid}; expires={expires}" for pid, expires in sorted(ctx.emergency.items()))
        body = result.body.encode() if result.body is not None else b""
        return Response(result.status, body, headers)

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
            return json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise bad_request(f"The body is not valid JSON: {error}", "structure") from None

    # ------------------------------------------------------------ endpoints

    def metadata(self, request: Request) -> Response:
        return json_response(200, capability_statement(self.fhir_base))

    def token(self, request: Request) -> Response:
        body = self._json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("pin"), str):
            raise bad_request('Send {"username": "...", "pin": "..."}')
        session: Session = self.auth.login(body["username"], body["pin"])
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
        if not (request.client.startswith("127.") or request.client == "::1"):
            raise FhirError(403, "forbidden", "Admin endpoints answer loopback clients only")

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
            request.body, request.header("content-type"), request.header("x-batch-id"))
        return json_response(status, answer, content_type="application/json")

    def export_logs(self, request: Request) -> Response:
        self._require_loopback(request)
        return Response(200, self._usage_collector().export_jsonl(),
                        {"Content-Type": "application/x-ndjson; charset=utf-8"})

    def bundle(self, request: Request) -> Response:
        return self._run(request, lambda ctx: bundles.process(
            self.service, ctx, self._json_body(request)))

    def search(self, request: Request, type: str) -> Response:
        return self._run(request, lambda ctx: self.service.search(ctx, type, request.params))

    def search_post(self, request: Request, type: str) -> Response:
        def action(ctx: Context) -> Result:
            content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
            if request.body and content_type != "application/x-www-form-urlencoded":
                raise FhirError(415, "not-supported",
                                "_search takes application/x-www-form-urlencoded parameters")
            try:
                form = parse_qsl(request.body.decode(), keep_blank_values=True)
            except UnicodeDecodeError:
                raise bad_request("The form body is not UTF-8") from None
            return self.service.search(ctx, type, [*request.params, *form])

        return self._run(request, action)

    def create(self, request: Request, type: str) -> Response:
        def action(ctx: Context) -> Result:
            self.service.check_type(type)
            return self.service.create(ctx, type, self._json_body(request),
                                       request.header("if-none-exist"))

        return self._run(request, action)

    def read(self, request: Request, type: str, id: str) -> Response:
        return self._run(request, lambda ctx: self.service.read(ctx, type, id))

    def vread(self, request: Request, type: str, id: str, vid: str) -> Response:
        return self._run(request, lambda ctx: self.service.vread(ctx, type, id, vid))

    def update(self, request: Request, type: str, id: str) -> Response:
        def action(ctx: Context) -> Result:
            self.service.check_type(type)
            return self.service.update(ctx, type, id, self._json_body(request),
                                       request.header("if-match"))

        return self._run(request, action)

    def delete(self, request: Request, type: str, id: str) -> Response:
        return self._run(request, lambda ctx: self.service.delete(ctx, type, id))


def _decode_header(value: str) -> str:
    """Header values arrive as latin-1; accept raw UTF-8 and percent-encoded UTF-8."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    return unquote(value)
