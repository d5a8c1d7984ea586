"""The only place that talks to the EPJ: an async FHIR R4 client over httpx.

Every method maps FHIR JSON to domain models (mapping.py) and every failure to one of the
exceptions in errors.py. The HTTP is the client's ``transport`` (transport.py), which the feature
modules (writes.py, lab_requests.py, ward_markers.py) are given too; they never see the client.
``round_trips`` counts HTTP requests, so benchmarks and tests can check that a patient overview
costs one.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import httpx

from mobile_app.domain.media import ClinicalPhoto, DictationDraft, PhotoDraft, SentDictation
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
    Spo2ScaleChoice,
    ThrombosisRisk,
    Ward,
    WardBed,
)
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.ward_list import WardListPrefs
from mobile_app.domain.worklists import Appointment, ArrivalDraft, BookOwner, TaskStatusDraft, WorkTask
from mobile_app.domain.writing import MessageDraft, NoteDraft, PatientNoteDraft
from mobile_app.epj import (
    capabilities,
    clinical,
    fhir,
    following,
    lab_requests,
    mapping,
    media,
    preferences,
    recordings,
    responses,
    ward_markers,
    worklists,
    write_mapping,
    writes,
)
from mobile_app.epj.capabilities import ServerSupport
from mobile_app.epj.errors import AccessDenied, BreakGlassUnavailable, Conflict, EpjError
from mobile_app.epj.fhir import JSON
from mobile_app.epj.protocol import BreakGlassExchange
from mobile_app.epj.responses import EntryResponse
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, PatientToken, readable, search_url
from mobile_app.epj.ward_markers import WardMarkers
from mobile_app.epj.write_mapping import OwnAndWardNotes

OPTIONAL_READS = frozenset({"risks", "risk_answers"})  # an EPJ without these types still shows the overview


Read = TypeVar("Read", bound=Callable[..., Coroutine[Any, Any, Any]])


def about_patient(read: Read) -> Read:
    """A read about the patient named by its first argument: its requests carry that patient's
    break-the-glass token while one lasts (the transport's ``for_patient``)."""
    @functools.wraps(read)
    async def reading(self: EpjClient, patient_id: str, *args: Any, **kwargs: Any) -> Any:
        with self.transport.for_patient(patient_id):
            return await read(self, patient_id, *args, **kwargs)
    return cast(Read, reading)


class EpjClient:
    """One client per logged-in app session; what the app needs of it is the ``Epj`` protocol
    (protocol.py).

    ``base_url`` is the FHIR base, e.g. ``http://127.0.0.1:8080/fhir``; the login (SMART on FHIR,
    smart.py and services/browser_login.py) sets the token. Timeouts are set once, in
    transport.py. ``transport`` replaces httpx's network transport (tests mock the server with it).
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.transport = FhirTransport(base_url, timeout=timeout, http_transport=transport)
        self.base_url = self.transport.base_url
        self.server_url = self.transport.server_url
        # Whose token it is: the privacy rules the app checks itself (an own note is its author's).
        self.practitioner_id: str | None = None
        self._exchange: BreakGlassExchange | None = None

    @property
    def round_trips(self) -> int:
        """HTTP requests tried so far, answered or not."""
        return self.transport.round_trips

    @property
    def token(self) -> str | None:
        return self.transport.token

    def set_token(self, token: str | None, practitioner_id: str | None = None) -> None:
        """The session's token, and whose it is (``practitioner_id``; forgotten with the token, as
        are the break-the-glass tokens)."""
        self.transport.token = token
        if token is None:
            self.practitioner_id = None
            self.transport.patient_tokens.clear()
        elif practitioner_id is not None:
            self.practitioner_id = practitioner_id

    def allow_break_glass(self, exchange: BreakGlassExchange | None) -> None:
        """How this session gets a break-the-glass token (the SMART token exchange, by the session);
        None: it cannot, and emergency access must be taken in the EPJ itself."""
        self._exchange = exchange

    def keep_fresh(self, renew: Callable[[], Awaitable[None]] | None) -> None:
        self.transport.renew = renew

    async def aclose(self) -> None:
        await self.transport.aclose()

    # --- session
    async def server_support(self) -> ServerSupport:
        """What the server's CapabilityStatement lets the app do (capabilities.py)."""
        response = await self.transport.request("GET", f"{self.base_url}/metadata")
        with readable("CapabilityStatement"):
            return capabilities.support_from(self.transport.body(response))

    async def my_role(self, practitioner_id: str) -> Role | None:
        """The user's role from their PractitionerRoles (``PractitionerRole?practitioner=``), the
        source of what the app offers them; None when the EPJ names no role the app knows."""
        bundle = await self.transport.search("PractitionerRole", ("practitioner", f"Practitioner/{practitioner_id}"),
                                             ("_count", SEARCH_LIMIT))
        with readable():
            return mapping.practitioner_role(fhir.of_type(bundle, "PractitionerRole", "match"))

    # --- lists of patients
    async def my_wards(self, practitioner_id: str) -> list[Ward]:
        bundle = await self.transport.search("PractitionerRole", ("practitioner", f"Practitioner/{practitioner_id}"),
                                             ("_include", "PractitionerRole:location"), ("_count", SEARCH_LIMIT))
        with readable():
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
        bundle = await self.transport.search("Patient", *params, ("_revinclude", "Encounter:patient"))
        with readable():
            return mapping.patient_search(bundle)

    async def ward_list(self, ward_id: str) -> list[WardBed]:
        ward = f"Location/{ward_id}"
        entries, _ = await self.transport.batch([
            search_url("Location", ("partof", ward), ("_revinclude", "Location:partof"),
                       ("_count", SEARCH_LIMIT)),
            search_url("Encounter", ("location", ward), ("status", "in-progress"),
                       ("_include", "Encounter:patient"), ("_count", SEARCH_LIMIT)),
            ward_markers.CRITICAL_FLAGS_SEARCH,
        ])
        places, stays, critical = (entry.bundle() for entry in entries)
        flags = fhir.of_type(critical, "Flag", "match")
        async for page in self.transport.pages(critical, limit=10):  # rarely more than one page
            flags.extend(fhir.of_type(page, "Flag", "match"))
        with readable():
            return mapping.ward_beds(
                ward_id, fhir.of_type(places, "Location"), fhir.of_type(stays, "Encounter", "match"),
                fhir.of_type(stays, "Patient"), mapping.critical_flag_patients(flags))

    async def my_patients(self, practitioner_id: str) -> MyPatients:
        me = f"Practitioner/{practitioner_id}"
        recent_patients = terms().list_code.token(terms().list_code.recent_patients)
        entries, _ = await self.transport.batch([
            search_url("Encounter", ("participant", me), ("status", "in-progress"),
                       ("_include", "Encounter:patient"), ("_count", SEARCH_LIMIT)),
            search_url("List", ("source", me), ("code", recent_patients), ("_include", "List:item")),
        ])
        in_care, recent = (entry.bundle() for entry in entries)
        with readable():
            missing = mapping.recent_without_stay(in_care, recent)
        stays: list[JSON] = []
        if missing:
            # A second round trip only when recent patients are not in my care: where they lie now.
            found = await self.transport.search("Encounter", ("patient", ",".join(missing)), ("status", "in-progress"),
                                                ("_count", SEARCH_LIMIT))
            stays = fhir.of_type(found, "Encounter", "match")
        with readable():
            return mapping.my_patients(in_care, recent, stays)

    async def remember_recent(self, practitioner_id: str, patient_id: str, keep: int = 20) -> None:
        """Put the patient first on my recent-patients List (read, then write with a version
        check; a conflicting save by another device is re-read and retried once)."""
        me = f"Practitioner/{practitioner_id}"
        recent_patients = terms().list_code.token(terms().list_code.recent_patients)
        current = mapping.recent_list(await self.transport.search("List", ("source", me), ("code", recent_patients)))
        for attempt in range(2):
            updated = mapping.updated_recent_list(current, practitioner_id, patient_id, keep,
                                                  datetime.now(UTC))
            try:
                if current is None:
                    condition = urlencode([("code", recent_patients), ("source", me)])
                    response = await self.transport.request("POST", f"{self.base_url}/List", body=updated,
                                                            headers={"If-None-Exist": condition})
                    if response.status_code == 201 or not response.content:
                        return
                    current = responses.resource(self.transport.body(response), "List")  # another device won
                    if mapping.list_patient_ids(current)[:1] == [patient_id]:
                        return
                    continue
                version = fhir.version_id(current)
                await self.transport.request("PUT", f"{self.base_url}/List/{current['id']}", body=updated,
                                             headers={"If-Match": f'W/"{version}"'} if version else None)
                return
            except Conflict:
                if attempt:
                    raise
                current = mapping.recent_list(
                    await self.transport.search("List", ("source", me), ("code", recent_patients)))
        raise Conflict("The recent-patients list kept changing while it was saved")

    # --- one patient
    async def patient_overview(self, patient_id: str,
                               break_glass_reason: str | None = None) -> PatientOverview:
        """The patient screen in one batch. Without a care relation this raises AccessDenied with
        the patient's banner data attached. With a break-the-glass reason the patient's token is
        asked for first (``break_glass``): the batch's entries never depend on each other or their order."""
        reason = (break_glass_reason or "").strip()
        granted_until = await self.break_glass(patient_id, reason) if reason else None
        queries = overview_queries(patient_id)
        entries, _ = await self.transport.batch(list(queries.values()), None, patient_id)
        answers = dict(zip(queries, entries, strict=True))
        patient = responses.resource(answers["patient"].raise_for_status(patient_id), "Patient")
        denied = next((e for e in entries if e.status == 403), None)
        if denied is not None:
            raise self._denied(patient_id, patient, denied, answers["stays"], after_break_glass=bool(reason))
        found = {name: entry.optional_bundle(patient_id) if name in OPTIONAL_READS else entry.bundle(patient_id)
                 for name, entry in answers.items() if name != "patient"}
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
            risk_assessments=fhir.of_type(found["risks"], "RiskAssessment", "match"),
            risk_answers=fhir.of_type(found["risk_answers"], "QuestionnaireResponse", "match"),
        )
        with readable():
            granted = self.transport.patient_token(patient_id)
            until = granted_until or (datetime.fromtimestamp(granted.expires_at, UTC) if granted else None)
            overview = clinical.patient_overview(sources, datetime.now(UTC), until)
            # The flags search brings them; another's own note is never shown, whatever is served.
            own, ward = write_mapping.own_and_ward_notes(sources.flags, self.practitioner_id)
            return overview.model_copy(update={"own_note": own, "ward_note": ward})

    async def break_glass(self, patient_id: str, reason: str) -> datetime:
        """Emergency access to a patient's record (break-the-glass), asked for before the record is
        read: a token for this one patient from the authorization server (a SMART token exchange
        with purpose of use BTG and the reason, ``allow_break_glass``), which the requests about the
        patient carry until it ends. Returns when it ends. BreakGlassUnavailable when this login or
        server gives no emergency access from the app (it must be taken in the EPJ itself),
        BreakGlassRefused when the server says no, InputRejected for a reason too short."""
        if self._exchange is None:
            raise BreakGlassUnavailable("This login cannot ask for emergency access: take it in the EPJ",
                                        patient_id=patient_id)
        token, expires_at = await self._exchange(patient_id, reason)
        self.transport.patient_tokens[patient_id] = PatientToken(token, expires_at)
        return datetime.fromtimestamp(expires_at, UTC)

    @staticmethod
    def _denied(patient_id: str, patient: JSON, denied: EntryResponse, stays: EntryResponse,
                after_break_glass: bool = False) -> AccessDenied:
        """AccessDenied carrying what every clinician may see: the banner and the current bed
        (BreakGlassUnavailable when emergency access was just asked for: the server took the
        request but does not let it open the record)."""
        error = denied.error(patient_id)
        summary: PatientSummary | None = None
        with contextlib.suppress(EpjError, ValueError, TypeError, KeyError):
            encounters = fhir.of_type(stays.bundle(patient_id), "Encounter") if stays.status < 300 else []
            summary = mapping.patients_with_stays([patient], encounters).get(patient_id)
        kind = BreakGlassUnavailable if after_break_glass else AccessDenied
        return kind(error.detail if error else "", 403, patient_id=patient_id, patient=summary)

    # --- writing to the record (writes.py): every write may be sent again without a second copy
    async def save_note(self, draft: NoteDraft) -> DocumentSummary:
        """Create a journal note, or bring the note with this client id up to date (save the draft
        again, sign it). InputRejected before sending; AccessDenied without a care relation."""
        return await writes.save_note(self.transport, draft)

    @about_patient
    async def list_own_and_ward_notes(self, patient_id: str) -> OwnAndWardNotes:
        return await writes.patient_notes(self.transport, patient_id, self.practitioner_id)

    async def ward_notes(self, patient_ids: Collection[str] | None = None) -> dict[str, NoteItem]:
        return await writes.ward_notes(self.transport, patient_ids)

    async def save_patient_note(self, draft: PatientNoteDraft, write_id: str | None = None) -> NoteItem:
        """Save an own or ward note; Conflict (changed_by, changed_at) when someone saved first."""
        return await writes.save_patient_note(self.transport, draft, write_id)

    async def search_practitioners(self, name: str, limit: int = 20) -> list[Colleague]:
        return await writes.search_practitioners(self.transport, name, limit)

    async def send_message(self, draft: MessageDraft) -> Message:
        return await writes.send_message(self.transport, draft)

    async def inbox(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return await writes.inbox(self.transport, practitioner_id, limit)

    async def sent_messages(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return await writes.sent_messages(self.transport, practitioner_id, limit)

    async def mark_read(self, practitioner_id: str, message_ids: Collection[str]) -> int:
        return await writes.mark_read(self.transport, practitioner_id, message_ids)

    # --- lab results, microbiology, signing, following, notifications (lab_requests.py)
    @about_patient
    async def lab_results(self, patient_id: str) -> LabPanel:
        """The lab tab: newest value per analyte, pending results and every analyte's history."""
        return await lab_requests.lab_results(self.transport, patient_id)

    @about_patient
    async def microbiology(self, patient_id: str) -> list[MicroReport]:
        """Culture reports, newest first, with specimen, organisms and S/I/R tables."""
        return await lab_requests.microbiology(self.transport, patient_id)

    async def sign_results(self, results: Iterable[ResultVersion | LabResult],
                           signer: Practitioner) -> list[SignedResult]:
        """Sign results all or nothing; SignConflict (a Conflict) names what changed, who and when."""
        return await lab_requests.sign_results(self.transport, results, signer)

    async def unsigned_new_results(self, ward_id: str) -> set[str]:
        """Ids of the ward's patients with a result from the last 48 hours nobody has signed."""
        return await lab_requests.unsigned_new_results(self.transport, ward_id)

    async def ward_markers(self, ward_id: str) -> ward_markers.WardMarkers:
        """Unsigned new results and NEWS2 per patient of the ward, in one batch (ward_markers.py)."""
        return await ward_markers.ward_markers(self.transport, ward_id)

    async def patient_markers(self, patient_ids: Collection[str]) -> WardMarkers:
        """The ward list's markers and critical information for any patients, in one batch."""
        return await ward_markers.patient_markers(self.transport, patient_ids)

    async def ward_list_prefs(self, practitioner_id: str) -> WardListPrefs:
        """The user's ward-list settings, kept on the EPJ (preferences.py)."""
        return await preferences.ward_list_prefs(self.transport, practitioner_id)

    async def save_ward_list_prefs(self, practitioner_id: str, prefs: WardListPrefs) -> None:
        await preferences.save_ward_list_prefs(self.transport, practitioner_id, prefs)

    async def follow(self, practitioner_id: str, patient_id: str) -> None:
        """Follow a patient's lab results: an entry on my own List (following.py); twice is once."""
        await following.follow(self.transport, practitioner_id, patient_id, datetime.now(UTC))

    async def unfollow(self, practitioner_id: str, patient_id: str) -> None:
        await following.unfollow(self.transport, practitioner_id, patient_id, datetime.now(UTC))

    async def following(self, practitioner_id: str) -> set[str]:
        """Ids of the patients whose lab results I follow."""
        return await following.following(self.transport, practitioner_id)

    async def notifications(self, practitioner_id: str, since: datetime | None = None) -> list[Notification]:
        """New results of followed patients, messages and open tasks for me, newest first (changed
        after ``since``)."""
        return await lab_requests.notifications_for(self.transport, practitioner_id, since)

    async def mark_notifications_read(self, notification_ids: Iterable[str]) -> int:
        """Mark messages and tasks read on the EPJ (new results have no such place in FHIR: the
        notification centre keeps them read for the session)."""
        return await lab_requests.mark_notifications_read(self.transport, notification_ids)

    async def mark_notification_read(self, notification_id: str) -> bool:
        return await lab_requests.mark_notifications_read(self.transport, [notification_id]) > 0

    # --- structured registrations (recordings.py): each may be sent again without a second copy
    async def save_vital_signs(self, draft: VitalSignsDraft) -> recordings.RecordedVitals:
        """A set of vital signs with its NEWS2 score: one transaction (InputRejected before sending)."""
        writes.check_input(draft)
        return await recordings.save_vital_signs(self.transport, draft)

    async def save_thrombosis_risk(self, draft: ThrombosisRiskDraft) -> ThrombosisRisk:
        writes.check_input(draft)
        return await recordings.save_thrombosis_risk(self.transport, draft)

    async def save_spo2_scale(self, draft: Spo2ScaleDraft, write_id: str | None = None) -> Spo2ScaleChoice:
        return await recordings.save_spo2_scale(self.transport, draft, write_id)

    @about_patient
    async def vital_history(self, patient_id: str) -> recordings.VitalHistory:
        return await recordings.vital_history(self.transport, patient_id)

    async def news2_for(self, patient_ids: Collection[str]) -> dict[str, int]:
        return await recordings.news2_for(self.transport, patient_ids)

    # --- dictations and clinical photos (media.py): each may be sent again without a second copy
    async def save_dictation(self, draft: DictationDraft) -> SentDictation:
        return await media.save_dictation(self.transport, draft)

    async def save_photo(self, draft: PhotoDraft) -> ClinicalPhoto:
        return await media.save_photo(self.transport, draft)

    @about_patient
    async def patient_photos(self, patient_id: str) -> list[ClinicalPhoto]:
        return await media.patient_photos(self.transport, patient_id)

    # --- through the day: tasks, appointment books, arrivals (worklists.py)
    async def my_tasks(self, practitioner_id: str) -> list[WorkTask]:
        return await worklists.my_tasks(self.transport, practitioner_id)

    async def ward_tasks(self, ward_id: str) -> list[WorkTask]:
        return await worklists.ward_tasks(self.transport, ward_id)

    async def change_task_status(self, draft: TaskStatusDraft) -> WorkTask:
        writes.check_input(draft)
        return await worklists.change_task_status(self.transport, draft)

    async def appointment_book(self, owner: BookOwner, day: date) -> list[Appointment]:
        return await worklists.book(self.transport, owner, day)

    async def find_books(self, text: str) -> list[BookOwner]:
        return await worklists.find_books(self.transport, text)

    async def register_arrival(self, draft: ArrivalDraft) -> Appointment:
        return await worklists.register_arrival(self.transport, draft)


def overview_queries(patient_id: str) -> dict[str, str]:
    """The reads of a patient overview batch, by name. A server may run them in any order (FHIR
    promises none), so none depends on another: emergency access is asked for before the batch."""
    by_patient = ("patient", patient_id)
    newest = ("_sort", "-date")
    profile = terms()
    categories, methods = profile.communication_category, profile.risk_method
    return {
        "patient": f"Patient/{patient_id}",
        # Every Flag of the patient (R4 Flag has no status search parameter): the app keeps the active ones.
        "flags": search_url("Flag", by_patient, ("_count", SEARCH_LIMIT)),
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
        "plo": search_url("Communication", by_patient, ("category", categories.token(categories.plo)),
                          ("_sort", "-sent"), ("_count", 50)),
        # The newest thrombosis-risk assessment and its answers (the Padua total).
        "risks": search_url("RiskAssessment", by_patient, ("method", methods.token(methods.padua)),
                            ("_sort", "-date"), ("_count", 1)),
        "risk_answers": search_url("QuestionnaireResponse", by_patient,
                                   ("questionnaire", profile.questionnaires.padua), ("_sort", "-authored"),
                                   ("_count", 1)),
    }
