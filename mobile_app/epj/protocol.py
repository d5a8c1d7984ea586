"""What the app's services and screens need from the EPJ: the ``Epj`` protocol.

``EpjClient`` (client.py) is the real thing; the view-model tests' fake client is another. The
services and the UI are typed against this protocol, so mypy checks that both keep up with it.
Every method raises the exceptions of errors.py, as the client documents.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import date, datetime
from typing import Protocol

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
from mobile_app.epj.capabilities import ServerSupport
from mobile_app.epj.recordings import RecordedVitals, VitalHistory
from mobile_app.epj.ward_markers import WardMarkers
from mobile_app.epj.write_mapping import OwnAndWardNotes

# The session's way to a break-the-glass token: (patient id, reason) -> (token, when it ends in clock seconds).
BreakGlassExchange = Callable[[str, str], Awaitable[tuple[str, float]]]


class Epj(Protocol):
    """One logged-in (or about to log in) app session's EPJ."""

    @property
    def base_url(self) -> str:
        """The FHIR base the session belongs to (a stored session is for one EPJ only)."""
        ...

    @property
    def round_trips(self) -> int:
        """HTTP requests tried so far (for benchmarks and tests)."""
        ...

    def set_token(self, token: str | None, practitioner_id: str | None = None) -> None:
        """The session's token and whose it is (the app checks privacy rules itself with it)."""
        ...

    def keep_fresh(self, renew: Callable[[], Awaitable[None]] | None) -> None:
        """Call ``renew`` before each request that carries the token (it refreshes the token when
        it is about to end); None stops it."""
        ...

    def allow_break_glass(self, exchange: BreakGlassExchange | None) -> None:
        """How the session gets a break-the-glass token (None: emergency access is taken in the EPJ)."""
        ...

    # --- session (the login itself is SMART on FHIR: services/browser_login.py)
    async def server_support(self) -> ServerSupport:
        """What the server's CapabilityStatement lets the app do; the actions it cannot are turned off."""
        ...

    async def my_role(self, practitioner_id: str) -> Role | None:
        """The user's role from the EPJ's PractitionerRole (None: no role the app knows)."""
        ...

    # --- lists of patients
    async def my_wards(self, practitioner_id: str) -> list[Ward]: ...

    async def search_patients_by_name(self, words: list[str], limit: int = 30) -> list[PatientSummary]: ...

    async def search_patients_by_identifier(self, value: str) -> list[PatientSummary]: ...

    async def search_patients_by_birth_date(self, birth_date: date, limit: int = 30) -> list[PatientSummary]: ...

    async def ward_list(self, ward_id: str) -> list[WardBed]: ...

    async def ward_markers(self, ward_id: str) -> WardMarkers: ...

    async def patient_markers(self, patient_ids: Collection[str]) -> WardMarkers:
        """The ward list's markers (and critical information) for any patients the user may see."""
        ...

    async def ward_list_prefs(self, practitioner_id: str) -> WardListPrefs: ...

    async def save_ward_list_prefs(self, practitioner_id: str, prefs: WardListPrefs) -> None: ...

    async def my_patients(self, practitioner_id: str) -> MyPatients: ...

    async def remember_recent(self, practitioner_id: str, patient_id: str, keep: int = 20) -> None: ...

    # --- one patient
    async def patient_overview(self, patient_id: str, break_glass_reason: str | None = None) -> PatientOverview: ...

    # --- writing
    async def save_note(self, draft: NoteDraft) -> DocumentSummary: ...

    async def list_own_and_ward_notes(self, patient_id: str) -> OwnAndWardNotes: ...

    async def save_patient_note(self, draft: PatientNoteDraft, write_id: str | None = None) -> NoteItem: ...

    async def search_practitioners(self, name: str, limit: int = 20) -> list[Colleague]: ...

    async def send_message(self, draft: MessageDraft) -> Message: ...

    async def inbox(self, practitioner_id: str, limit: int = 50) -> list[Message]: ...

    async def sent_messages(self, practitioner_id: str, limit: int = 50) -> list[Message]: ...

    async def mark_read(self, practitioner_id: str, message_ids: Collection[str]) -> int: ...

    # --- lab results, following, notifications
    async def lab_results(self, patient_id: str) -> LabPanel: ...

    async def microbiology(self, patient_id: str) -> list[MicroReport]: ...

    async def sign_results(self, results: Iterable[ResultVersion | LabResult],
                           signer: Practitioner) -> list[SignedResult]: ...

    async def follow(self, practitioner_id: str, patient_id: str) -> None: ...

    async def unfollow(self, practitioner_id: str, patient_id: str) -> None: ...

    async def following(self, practitioner_id: str) -> set[str]: ...

    async def notifications(self, practitioner_id: str, since: datetime | None = None) -> list[Notification]: ...

    async def mark_notification_read(self, notification_id: str) -> bool: ...

    # --- structured registrations (recordings.py)
    async def save_vital_signs(self, draft: VitalSignsDraft) -> RecordedVitals: ...

    async def save_thrombosis_risk(self, draft: ThrombosisRiskDraft) -> ThrombosisRisk: ...

    async def save_spo2_scale(self, draft: Spo2ScaleDraft, write_id: str | None = None) -> Spo2ScaleChoice: ...

    async def vital_history(self, patient_id: str) -> VitalHistory:
        """The patient's vital signs of the last 30 days, for the NEWS2 trend."""
        ...

    async def news2_for(self, patient_ids: Collection[str]) -> dict[str, int]:
        """NEWS2 of each patient from complete sets of the last 24 hours (one batch)."""
        ...

    # --- dictations and clinical photos (media.py)
    async def save_dictation(self, draft: DictationDraft) -> SentDictation:
        """The dictation and its transcription Task, in one transaction, made once."""
        ...

    async def save_photo(self, draft: PhotoDraft) -> ClinicalPhoto: ...

    async def patient_photos(self, patient_id: str) -> list[ClinicalPhoto]:
        """The patient's photos, newest first."""
        ...

    # --- through the day: tasks, appointment books, arrivals (worklists.py)
    async def my_tasks(self, practitioner_id: str) -> list[WorkTask]:
        """Open tasks I own."""
        ...

    async def ward_tasks(self, ward_id: str) -> list[WorkTask]:
        """Open tasks for the patients staying on the ward."""
        ...

    async def change_task_status(self, draft: TaskStatusDraft) -> WorkTask:
        """Move a task (If-Match on the version seen); Conflict naming who changed it first."""
        ...

    async def appointment_book(self, owner: BookOwner, day: date) -> list[Appointment]:
        """A practitioner's or clinic's appointments on a day (hospital time)."""
        ...

    async def find_books(self, text: str) -> list[BookOwner]:
        """Colleagues and clinics whose names start with the words."""
        ...

    async def register_arrival(self, draft: ArrivalDraft) -> Appointment:
        """Set an appointment to arrived (or back to booked); once, whatever the network does."""
        ...
