"""The HTTP under the EPJ client: one FHIR transport that every request goes through.

``FhirTransport`` sends a request with the session's token, counts it (``round_trips``) and turns a
failed connection or a non-2xx answer into an exception of errors.py. On top of that: a search, a
batch of reads in one round trip, and the following pages of a searchset. ``search_url`` builds
the relative searches a batch holds, and ``readable`` is the one place where FHIR JSON the mapping
cannot read becomes a BadResponse.

No person's identity goes in a URL, where proxies and access logs keep it: a search by identifier
(fødselsnummer, GSRN), name, birth date or other personal data (``PERSONAL_SEARCH_PARAMS``) is sent as
``POST <type>/_search`` with the parameters in a form-encoded body (standard FHIR), a paging link
that carries such parameters is followed the same way, and ``request`` refuses a URL that carries
them. Other searches, whose parameters are resource ids and codes, stay GETs; the searches of a
batch are inside its body.

The client (client.py) and the feature modules (lab_requests.py, writes.py, ward_markers.py) use
this public API; nothing here knows them, so imports run one way: client -> features -> transport.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from mobile_app.epj import fhir, responses
from mobile_app.epj.errors import BadResponse, EpjError, Offline, TimedOut
from mobile_app.epj.fhir import JSON
from mobile_app.epj.responses import EntryResponse

FHIR_JSON = "application/fhir+json"
CONNECT_TIMEOUT = 5.0  # seconds; a server that does not accept a connection by then is not there
KEEPALIVE = httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=60.0)
SEARCH_LIMIT = 100  # the most a FHIR server is asked for in one page
FORM = "application/x-www-form-urlencoded"
# Search parameters whose values name or identify a person (Patient, Practitioner, RelatedPerson,
# Person), as themselves or at the end of a chain (``subject:Patient.identifier``).
PERSONAL_SEARCH_PARAMS = frozenset({
    "identifier", "name", "family", "given", "phonetic", "birthdate", "death-date", "telecom", "phone",
    "email", "address", "address-city", "address-country", "address-postalcode", "address-state",
})
_PARAM_PARTS = re.compile(r"[.:]")


class PersonalDataInUrl(ValueError):
    """A request would have carried a person's name or identifier in its URL (a bug: such searches
    are POSTed as ``_search``)."""


def is_personal(name: str) -> bool:
    """Whether a search parameter (with any modifier or chain) carries personal data."""
    return any(part in PERSONAL_SEARCH_PARAMS for part in _PARAM_PARTS.split(name.lower()))


def timeouts(total: float) -> httpx.Timeout:
    """Every timeout of the client, set here: ``total`` seconds to wait for each step of a
    request, and a shorter wait for the connection itself."""
    return httpx.Timeout(total, connect=min(total, CONNECT_TIMEOUT))


def search_url(resource_type: str, *params: tuple[str, str | int]) -> str:
    """A search as a relative URL, e.g. for a batch entry: ``Flag?patient=1&status=active``."""
    return f"{resource_type}?{urlencode([(name, str(value)) for name, value in params])}"


def search_instant(moment: datetime) -> str:
    """A moment as a search value (``date=ge...``, ``_lastUpdated=gt...``): UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextlib.contextmanager
def readable(what: str = "answer") -> Iterator[None]:
    """FHIR JSON that is valid JSON but not what the mapping can read is a BadResponse
    ("The EPJ's <what> could not be read: ...")."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadResponse(f"The EPJ's {what} could not be read: {error}") from error


# The patient the requests of the running client call are about (FhirTransport.for_patient).
_FOR_PATIENT: ContextVar[str | None] = ContextVar("visitt_for_patient", default=None)


@dataclass(frozen=True)
class PatientToken:
    """A break-the-glass token: it reaches one patient's record until ``expires_at`` (clock seconds)."""

    token: str
    expires_at: float


class FhirTransport:
    """HTTP to one FHIR server for one app session.

    Requests carry the session's token, except those about a patient for whom a break-the-glass
    token was granted (``patient_tokens``): those carry that token until it ends. A request is
    about a patient when it names one (``patient_id``) or runs inside ``for_patient``.

    ``base_url`` is the FHIR base, e.g. ``http://127.0.0.1:8080/fhir``; ``server_url`` is the server
    beside it (where ``/auth/token`` is). ``http_transport`` replaces httpx's network transport
    (tests mock the server with it).
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0,
                 http_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_url = self.base_url.removesuffix("/fhir")
        self.round_trips = 0  # every request tried, answered or not
        self.token: str | None = None
        # Called before every request that carries the token: renews it when it is about to end
        # (the session's refresh by the SMART client); None: the token is sent as it is.
        self.renew: Callable[[], Awaitable[None]] | None = None
        self.patient_tokens: dict[str, PatientToken] = {}
        self.clock: Callable[[], float] = time.time
        self._http = httpx.AsyncClient(timeout=timeouts(timeout), limits=KEEPALIVE,
                                       headers={"Accept": FHIR_JSON}, transport=http_transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    @contextlib.contextmanager
    def for_patient(self, patient_id: str) -> Iterator[None]:
        """The requests made inside are about ``patient_id`` (they carry its break-the-glass token)."""
        previous = _FOR_PATIENT.set(patient_id)
        try:
            yield
        finally:
            _FOR_PATIENT.reset(previous)

    def patient_token(self, patient_id: str | None) -> PatientToken | None:
        """The break-the-glass token for ``patient_id`` while it lasts (an ended one is dropped)."""
        granted = self.patient_tokens.get(patient_id) if patient_id else None
        if granted is not None and granted.expires_at <= self.clock():
            del self.patient_tokens[patient_id]  # type: ignore[arg-type]
            return None
        return granted

    async def request(self, method: str, url: str, *, params: list[tuple[str, str]] | None = None,
                      body: Any = None, form: list[tuple[str, str]] | None = None,
                      headers: Mapping[str, str] | None = None,
                      login: bool = False, patient_id: str | None = None) -> httpx.Response:
        """One HTTP round trip; a non-2xx answer or a failed connection raises an EpjError.

        ``body`` is sent as JSON, ``form`` as a form-encoded body (a ``_search``). ``login`` sends no
        token and reads 401 as a wrong PIN; ``patient_id`` goes on an AccessDenied so the screen can
        offer break-the-glass. PersonalDataInUrl when the URL would carry a personal search parameter."""
        in_url = [*(params or ()), *parse_qsl(urlsplit(url).query, keep_blank_values=True)]
        if any(is_personal(name) for name, _ in in_url):
            raise PersonalDataInUrl("A person's name or identifier may not go in a URL: POST a _search")
        sent = dict(headers or {})
        granted = self.patient_token(patient_id or _FOR_PATIENT.get()) if not login else None
        if granted is not None:
            sent["Authorization"] = f"Bearer {granted.token}"
        else:
            if self.renew is not None and self.token and not login:
                await self.renew()
            if self.token and not login:
                sent["Authorization"] = f"Bearer {self.token}"
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json" if login else f"{FHIR_JSON}; charset=utf-8"
        elif form is not None:
            content = urlencode(form).encode("ascii")
            sent["Content-Type"] = FORM
        self.round_trips += 1
        try:
            response = await self._http.request(method, url, params=tuple(params or ()), content=content,
                                                headers=sent)
        except httpx.TimeoutException as error:
            raise TimedOut(f"No answer from the EPJ in time ({type(error).__name__})",
                           request_sent=not isinstance(error, httpx.ConnectTimeout)) from error
        except httpx.DecodingError as error:
            raise BadResponse(f"The EPJ's answer could not be decoded: {error}") from error
        except httpx.HTTPError as error:  # connection refused or dropped, DNS, protocol errors
            raise Offline(f"The EPJ cannot be reached: {error or type(error).__name__}",
                          request_sent=not isinstance(error, httpx.ConnectError)) from error
        if not response.is_success:
            outcome: Any = None
            with contextlib.suppress(EpjError):  # an error page that is not JSON still has a status
                outcome = self.body(response)
            failure = responses.error_for(response.status_code, outcome, response.headers, login=login,
                                          patient_id=patient_id)
            if failure is not None:
                raise failure
        return response

    @staticmethod
    def body(response: httpx.Response) -> Any:
        """The JSON of an answer (BadResponse when it is not JSON)."""
        return responses.parse_json(response.content, response.headers.get("content-type"))

    @classmethod
    def resource(cls, response: httpx.Response, resource_type: str | None = None) -> JSON:
        """The FHIR resource (of ``resource_type``) an answer holds, or BadResponse."""
        return responses.resource(cls.body(response), resource_type)

    async def search(self, resource_type: str, *params: tuple[str, str | int],
                     patient_id: str | None = None) -> JSON:
        """A search (GET ``<base>/<resource_type>?...``, or ``POST <base>/<resource_type>/_search``
        when it names or identifies a person); the searchset Bundle."""
        response = await self._search(f"{self.base_url}/{resource_type}",
                                      [(name, str(value)) for name, value in params], patient_id)
        return self.resource(response, "Bundle")

    async def _search(self, url: str, params: list[tuple[str, str]], patient_id: str | None) -> httpx.Response:
        if any(is_personal(name) for name, _ in params):
            url = url.rstrip("/")
            url = url if url.endswith("/_search") else f"{url}/_search"
            return await self.request("POST", url, form=params, patient_id=patient_id)
        return await self.request("GET", url, params=params, patient_id=patient_id)

    async def batch(self, urls: list[str], headers: Mapping[str, str] | None = None,
                    patient_id: str | None = None) -> tuple[list[EntryResponse], httpx.Response]:
        """GET several searches and reads in one round trip (a FHIR batch Bundle)."""
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"request": {"method": "GET", "url": url}} for url in urls]}
        response = await self.request("POST", self.base_url, body=bundle, headers=headers, patient_id=patient_id)
        return responses.batch_entries(self.body(response), len(urls)), response

    async def pages(self, bundle: JSON, *, limit: int, patient_id: str | None = None) -> AsyncIterator[JSON]:
        """The pages after ``bundle``, one round trip each, following ``next`` links: at most
        ``limit`` of them (a server that keeps sending links is not followed for ever)."""
        page = bundle
        for _ in range(limit):
            link = fhir.next_link(page)
            if link is None:
                return
            url, params = self.on_our_server(link)
            page = self.resource(await self._search(url, params, patient_id), "Bundle")
            yield page

    def on_our_server(self, url: str) -> tuple[str, list[tuple[str, str]]]:
        """A link from the server as (URL on our server's origin, query parameters): a proxy may
        have rewritten the host in it, and the token is sent to no other host."""
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        plain = theirs._replace(scheme=ours.scheme, netloc=ours.netloc, query="", fragment="").geturl()
        return plain, parse_qsl(theirs.query, keep_blank_values=True)
