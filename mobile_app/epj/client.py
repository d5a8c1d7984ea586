"""The only place that talks to the EPJ: an async FHIR R4 client over httpx.

Every method maps FHIR JSON to domain models (mapping.py) and every failure to one of the
exceptions in errors.py. ``round_trips`` counts HTTP requests, so benchmarks and tests can check
that a patient overview costs one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from mobile_app.domain.models import (
    Colleague,
    DocumentSummary,
    LabPanel,
    LabResult,
    Message,
    MicroReport,
    MyPatients,
    NoteItem,
    Notification,
    PatientOverview,
    PatientSummary,
    Practitioner,
    ResultVersion,
    Role,
    SignedResult,
    Ward,
    WardBed,
)
from mobile_app.domain.writing import MessageDraft, NoteDraft, PatientNoteDraft
from mobile_app.epj import clinical, fhir, lab_requests, mapping, responses, ward_markers, write_mapping, writes
from mobile_app.epj.errors import (
    AccessDenied,
    BadResponse,
    Conflict,
    EpjError,
    Offline,
    TimedOut,
)
from mobile_app.epj.fhir import JSON
from mobile_app.epj.responses import EntryResponse
from mobile_app.epj.write_mapping import OwnAndWardNotes

FHIR_JSON = "application/fhir+json"
CONNECT_TIMEOUT = 5.0  # seconds; a server that does not accept a connection by then is not there
KEEPALIVE = httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=60.0)
SEARCH_LIMIT = 100  # the most a FHIR server is asked for in one page
RECENT_PATIENTS = f"{fhir.LIST_CODE}|{fhir.RECENT_PATIENTS}"
CRITICAL_FLAGS = f"{fhir.CRITICAL_INFORMATION}|critical-information"


def timeouts(total: float) -> httpx.Timeout:
    """Every timeout of the client, set here: ``total`` seconds to wait for each step of a
    request, and a shorter wait for the connection itself."""
    return httpx.Timeout(total, connect=min(total, CONNECT_TIMEOUT))


@dataclass(frozen=True)
class LoginResult:
    token: str
    practitioner_id: str
    name: str
    role: Role
    expires_at: datetime


def search_url(resource_type: str, *params: tuple[str, str | int]) -> str:
    """A search as a relative URL, e.g. for a batch entry: ``Flag?patient=1&status=active``."""
    return f"{resource_type}?{urlencode([(name, str(value)) for name, value in params])}"


@contextlib.contextmanager
def _mapping_answer() -> Iterator[None]:
    """FHIR JSON that is valid JSON but not what the mapping can read is a BadResponse."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadResponse(f"The EPJ's answer could not be read: {error}") from error


class EpjClient:
    """One client per logged-in app session.

    ``base_url`` is the FHIR base, e.g. ``http://127.0.0.1:8080/fhir``; the login endpoint is
    ``<server>/auth/token`` beside it. Timeouts are set once here.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_url = self.base_url.removesuffix("/fhir")
        self.round_trips = 0
        self._token: str | None = None
        self._http = httpx.AsyncClient(timeout=timeouts(timeout), limits=KEEPALIVE,
                                       headers={"Accept": FHIR_JSON}, transport=transport)

    round_trips: int

    @property
    def token(self) -> str | None:
        return self._token

    def set_token(self, token: str | None) -> None:
        self._token = token

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- HTTP

    async def _request(self, method: str, url: str, *, params: list[tuple[str, str]] | None = None,
                       body: Any = None, headers: Mapping[str, str] | None = None,
                       login: bool = False, patient_id: str | None = None) -> httpx.Response:
        """One HTTP round trip; a non-2xx answer or a failed connection raises an EpjError."""
        sent = dict(headers or {})
        if self._token and not login:
            sent["Authorization"] = f"Bearer {self._token}"
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json" if login else f"{FHIR_JSON}; charset=utf-8"
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
                outcome = self._body(response)
            failure = responses.error_for(response.status_code, outcome, response.headers, login=login,
                                          patient_id=patient_id)
            if failure is not None:
                raise failure
        return response

    @staticmethod
    def _body(response: httpx.Response) -> Any:
        return responses.parse_json(response.content, response.headers.get("content-type"))

    async def _search(self, resource_type: str, *params: tuple[str, str | int]) -> JSON:
        response = await self._request("GET", f"{self.base_url}/{resource_type}",
                                       params=[(name, str(value)) for name, value in params])
        return responses.resource(self._body(response), "Bundle")

    async def _batch(self, urls: list[str], headers: Mapping[str, str] | None = None,
                     patient_id: str | None = None) -> tuple[list[EntryResponse], httpx.Response]:
        """GET several searches and reads in one round trip (a FHIR batch Bundle)."""
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"request": {"method": "GET", "url": url}} for url in urls]}
        response = await self._request("POST", self.base_url, body=bundle, headers=headers,
                                       patient_id=patient_id)
        return responses.batch_entries(self._body(response), len(urls)), response

    # --- session
    async def login(self, username: str, pin: str) -> LoginResult:
        response = await self._request("POST", f"{self.server_url}/auth/token",
                                       body={"username": username, "pin": pin}, login=True)
        answer = self._body(response)
        if not isinstance(answer, dict):
            raise BadResponse("The login answer is not a JSON object")
        token, practitioner = answer.get("access_token"), answer.get("practitioner")
        expires_in = answer.get("expires_in", 8 * 3600)
        if not isinstance(token, str) or not token or not isinstance(practitioner, str) \
                or not isinstance(expires_in, int | float):
            raise BadResponse("The login answer lacks access_token, practitioner or expires_in")
        self._token = token
        return LoginResult(
            token=token,
            practitioner_id=practitioner.rsplit("/", 1)[-1],
            name=str(answer.get("name") or ""),
            role=mapping.role(answer.get("role")),
            expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in)),
        )

    async def logout(self) -> None:
        """Revoke the token on the server (errors are ignored: the app forgets it anyway)."""
        if self._token is None:
            return
        try:
            await self._request("POST", f"{self.server_url}/auth/logout")
        except EpjError:
            pass
        finally:
            self._token = None

    # --- lists of patients
    async def my_wards(self, practitioner_id: str) -> list[Ward]:
        bundle = await self._search("PractitionerRole", ("practitioner", f"Practitioner/{practitioner_id}"),
                                    ("_include", "PractitionerRole:location"), ("_count", SEARCH_LIMIT))
        with _mapping_answer():
            return mapping.wards(bundle)

    async def search_patients_by_name(self, words: list[str], limit: int = 30) -> list[PatientSummary]:
        names = [("name", word.strip()) for word in words if word.strip()]
        if not names:
            return []
        return await self._patient_search(*names, ("_count", limit))

    async def search_patients_by_identifier(self, value: str) -> list[PatientSummary]:
        value = "".join(value.split())
        if not value:
            return []
        return await self._patient_search(("identifier", value))

    async def search_patients_by_birth_date(self, birth_date: date, limit: int = 30) -> list[PatientSummary]:
        return await self._patient_search(("birthdate", birth_date.isoformat()), ("_count", limit))

    async def _patient_search(self, *params: tuple[str, str | int]) -> list[PatientSummary]:
        """One round trip: the patients and their stays (subsetted where the user has no care
        relation, which still shows the ward and bed)."""
        bundle = await self._search("Patient", *params, ("_revinclude", "Encounter:patient"))
        with _mapping_answer():
            return mapping.patient_search(bundle)

    async def ward_list(self, ward_id: str) -> list[WardBed]:
        ward = f"Location/{ward_id}"
        entries, _ = await self._batch([
            search_url("Location", ("partof", ward), ("_revinclude", "Location:partof"),
                   ("_count", SEARCH_LIMIT)),
            search_url("Encounter", ("location", ward), ("status", "in-progress"),
                   ("_include", "Encounter:patient"), ("_count", SEARCH_LIMIT)),
            search_url("Flag", ("status", "active"), ("category", CRITICAL_FLAGS), ("_count", SEARCH_LIMIT)),
        ])
        places, stays, flags = (entry.bundle() for entry in entries)
        with _mapping_answer():
            return mapping.ward_beds(
                ward_id, fhir.of_type(places, "Location"), fhir.of_type(stays, "Encounter", "match"),
                fhir.of_type(stays, "Patient"), mapping.critical_flag_patients(fhir.of_type(flags, "Flag")))

    async def my_patients(self, practitioner_id: str) -> MyPatients:
        me = f"Practitioner/{practitioner_id}"
        entries, _ = await self._batch([
            search_url("Encounter", ("participant", me), ("status", "in-progress"),
                   ("_include", "Encounter:patient"), ("_count", SEARCH_LIMIT)),
            search_url("List", ("source", me), ("code", RECENT_PATIENTS), ("_include", "List:item")),
        ])
        in_care, recent = (entry.bundle() for entry in entries)
        with _mapping_answer():
            missing = mapping.recent_without_stay(in_care, recent)
        stays: list[JSON] = []
        if missing:
            # A second round trip only when recent patients are not in my care: where they lie now.
            found = await self._search("Encounter", ("patient", ",".join(missing)), ("status", "in-progress"),
                                       ("_count", SEARCH_LIMIT))
            stays = fhir.of_type(found, "Encounter", "match")
        with _mapping_answer():
            return mapping.my_patients(in_care, recent, stays)

    async def remember_recent(self, practitioner_id: str, patient_id: str, keep: int = 20) -> None:
        """Put the patient first on my recent-patients List (read, then write with a version
        check; a conflicting save by another device is re-read and retried once)."""
        me = f"Practitioner/{practitioner_id}"
        current = mapping.recent_list(await self._search("List", ("source", me), ("code", RECENT_PATIENTS)))
        for attempt in range(2):
            updated = mapping.updated_recent_list(current, practitioner_id, patient_id, keep,
                                                  datetime.now(UTC))
            try:
                if current is None:
                    condition = urlencode([("code", RECENT_PATIENTS), ("source", me)])
                    response = await self._request("POST", f"{self.base_url}/List", body=updated,
                                                   headers={"If-None-Exist": condition})
                    if response.status_code == 201 or not response.content:
                        return
                    current = responses.resource(self._body(response), "List")  # another device won
                    if mapping.list_patient_ids(current)[:1] == [patient_id]:
                        return
                    continue
                version = fhir.version_id(current)
                await self._request("PUT", f"{self.base_url}/List/{current['id']}", body=updated,
                                    headers={"If-Match": f'W/"{version}"'} if version else None)
                return
            except Conflict:
                if attempt:
                    raise
                current = mapping.recent_list(
                    await self._search("List", ("source", me), ("code", RECENT_PATIENTS)))
        raise Conflict("The recent-patients list kept changing while it was saved")

    # --- one patient
    async def patient_overview(self, patient_id: str,
                               break_glass_reason: str | None = None) -> PatientOverview:
        """The patient screen in one batch. Without a care relation this raises AccessDenied with
        the patient's banner data attached; a break-the-glass reason opens the record."""
        reason = (break_glass_reason or "").strip()
        headers = {"X-Break-Glass-Reason": quote(reason, safe="")} if reason else None
        queries = overview_queries(patient_id)
        entries, response = await self._batch(list(queries.values()), headers, patient_id)
        answers = dict(zip(queries, entries, strict=True))
        patient = responses.resource(answers["patient"].raise_for_status(patient_id), "Patient")
        denied = next((e for e in entries if e.status == 403), None)
        if denied is not None:
            raise self._denied(patient_id, patient, denied, answers["stays"])
        found = {name: entry.bundle(patient_id) for name, entry in answers.items() if name != "patient"}
        sources = clinical.OverviewSources(
            patient=patient,
            encounters=fhir.of_type(found["stays"], "Encounter", "match"),
            practitioners=fhir.of_type(found["stays"], "Practitioner"),
            flags=fhir.of_type(found["flags"], "Flag"),
            allergies=fhir.of_type(found["allergies"], "AllergyIntolerance"),
            conditions=fhir.of_type(found["conditions"], "Condition"),
            devices=fhir.of_type(found["devices"], "Device"),
            vitals=fhir.of_type(found["vitals"], "Observation", "match"),
            labs=fhir.of_type(found["labs"], "Observation", "match"),
            documents=fhir.of_type(found["documents"], "DocumentReference", "match"),
            related=fhir.of_type(found["related"], "RelatedPerson"),
            care_plans=fhir.of_type(found["care_plans"], "CarePlan"),
            communications=fhir.of_type(found["plo"], "Communication", "match"),
        )
        with _mapping_answer():
            until = clinical.emergency_access_until(response.headers.get("x-break-glass"), patient_id)
            overview = clinical.patient_overview(sources, datetime.now(UTC), until)
            own, ward = write_mapping.own_and_ward_notes(sources.flags)  # the flags search brings them
            return overview.model_copy(update={"own_note": own, "ward_note": ward})

    @staticmethod
    def _denied(patient_id: str, patient: JSON, denied: EntryResponse,
                stays: EntryResponse) -> AccessDenied:
        """AccessDenied carrying what every clinician may see: the banner and the current bed."""
        error = denied.error(patient_id)
        summary: PatientSummary | None = None
        with contextlib.suppress(EpjError, ValueError, TypeError, KeyError):
            encounters = fhir.of_type(stays.bundle(patient_id), "Encounter") if stays.status < 300 else []
            summary = mapping.patients_with_stays([patient], encounters).get(patient_id)
        return AccessDenied(error.detail if error else "", 403, patient_id=patient_id, patient=summary)

    # --- writing to the record (writes.py): every write may be sent again without a second copy
    async def save_note(self, draft: NoteDraft) -> DocumentSummary:
        """Create a journal note, or bring the note with this client id up to date (save the draft
        again, sign it). InputRejected before sending; AccessDenied without a care relation."""
        return await writes.save_note(self, draft)

    async def list_own_and_ward_notes(self, patient_id: str) -> OwnAndWardNotes:
        return await writes.patient_notes(self, patient_id)

    async def ward_notes(self, patient_ids: Collection[str] | None = None) -> dict[str, NoteItem]:
        return await writes.ward_notes(self, patient_ids)

    async def save_patient_note(self, draft: PatientNoteDraft, write_id: str | None = None) -> NoteItem:
        """Save an own or ward note; Conflict (changed_by, changed_at) when someone saved first."""
        return await writes.save_patient_note(self, draft, write_id)

    async def search_practitioners(self, name: str, limit: int = 20) -> list[Colleague]:
        return await writes.search_practitioners(self, name, limit)

    async def send_message(self, draft: MessageDraft) -> Message:
        return await writes.send_message(self, draft)

    async def inbox(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return await writes.inbox(self, practitioner_id, limit)

    async def sent_messages(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return await writes.sent_messages(self, practitioner_id, limit)

    async def mark_read(self, practitioner_id: str, message_ids: Collection[str]) -> int:
        return await writes.mark_read(self, practitioner_id, message_ids)

    # --- lab results, microbiology, signing, following, notifications (lab_requests.py)
    async def lab_results(self, patient_id: str) -> LabPanel:
        """The lab tab: newest value per analyte, pending results and every analyte's history."""
        return await lab_requests.lab_results(self, patient_id)

    async def microbiology(self, patient_id: str) -> list[MicroReport]:
        """Culture reports, newest first, with specimen, organisms and S/I/R tables."""
        return await lab_requests.microbiology(self, patient_id)

    async def sign_results(self, results: Iterable[ResultVersion | LabResult],
                           signer: Practitioner) -> list[SignedResult]:
        """Sign results all or nothing; SignConflict (a Conflict) names what changed, who and when."""
        return await lab_requests.sign_results(self, results, signer)

    async def unsigned_new_results(self, ward_id: str) -> set[str]:
        """Ids of the ward's patients with a result from the last 48 hours nobody has signed."""
        return await lab_requests.unsigned_new_results(self, ward_id)

    async def ward_markers(self, ward_id: str) -> ward_markers.WardMarkers:
        """Unsigned new results and NEWS2 per patient of the ward, in one batch (ward_markers.py)."""
        return await ward_markers.ward_markers(self, ward_id)

    async def follow(self, patient_id: str) -> None:
        await lab_requests.follow(self, patient_id)

    async def unfollow(self, patient_id: str) -> None:
        await lab_requests.unfollow(self, patient_id)

    async def following(self) -> set[str]:
        """Ids of the patients whose lab results I follow."""
        return await lab_requests.following(self)

    async def notifications(self, practitioner_id: str, since: datetime | None = None) -> list[Notification]:
        """Lab notifications, messages and open tasks for me, newest first (changed after ``since``)."""
        return await lab_requests.notifications_for(self, practitioner_id, since)

    async def mark_notifications_read(self, notification_ids: Iterable[str]) -> int:
        return await lab_requests.mark_notifications_read(self, notification_ids)

    async def mark_notification_read(self, notification_id: str) -> bool:
        return await lab_requests.mark_notifications_read(self, [notification_id]) > 0


def overview_queries(patient_id: str) -> dict[str, str]:
    """The reads of a patient overview batch, by name, in the order the server runs them.

    Stays come after the flags: that search is where a break-the-glass reason grants access,
    and stays read before it would come back subsetted.
    """
    by_patient = ("patient", patient_id)
    newest = ("_sort", "-date")
    return {
        "patient": f"Patient/{patient_id}",
        "flags": search_url("Flag", by_patient, ("status", "active"), ("_count", SEARCH_LIMIT)),
        "allergies": search_url("AllergyIntolerance", by_patient, ("_count", SEARCH_LIMIT)),
        "conditions": search_url("Condition", by_patient, ("_count", SEARCH_LIMIT)),
        "devices": search_url("Device", by_patient, ("_count", SEARCH_LIMIT)),
        "stays": search_url("Encounter", by_patient, newest, ("_count", 50),
                        ("_include", "Encounter:participant")),
        "vitals": search_url("Observation", by_patient, ("category", "vital-signs"), newest,
                         ("_count", SEARCH_LIMIT)),
        "labs": search_url("Observation", by_patient, ("category", "laboratory"), newest,
                       ("_count", SEARCH_LIMIT)),
        "documents": search_url("DocumentReference", by_patient, newest, ("_count", 50)),
        "related": search_url("RelatedPerson", by_patient, ("_count", SEARCH_LIMIT)),
        "care_plans": search_url("CarePlan", by_patient, ("_count", SEARCH_LIMIT)),
        "plo": search_url("Communication", by_patient, ("category", f"{fhir.COMMUNICATION_CATEGORY}|plo"),
                      ("_sort", "-sent"), ("_count", 50)),
    }
