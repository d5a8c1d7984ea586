"""One patient's screen: the banner at once, the overview in one round trip, and break-the-glass."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import flet as ft

from mobile_app.domain.models import DocumentSummary, PatientOverview, PatientSummary
from mobile_app.epj.errors import AccessDenied, AuthError, EpjError, NotFound
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, log_error, log_failure, problem_for
from mobile_app.ui.viewmodels.labs import LabState
from mobile_app.ui.viewmodels.writing import PatientNotesState

MIN_REASON_LENGTH = 10
TABS = ("overview", "critical", "lab", "stays", "documents", "notes", "info", "plan", "plo")
# The usage log's names: how the patient was reached, and each tab as a screen.
VIA = {"search": "search", "scan": "scan", "ward": "ward_list", "my_patients": "my_patients",
       "notification": "notification"}
TAB_SCREENS = {"overview": "patient_overview", "critical": "critical_info", "lab": "labs", "stays": "stays",
               "documents": "documents", "notes": "notes", "info": "patient_info", "plan": "treatment_plan",
               "plo": "plo_messages"}


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class PatientState:
    ctx: AppContext
    patient_id: str
    summary: PatientSummary | None = None  # what the list already knew: the banner needs no wait
    opened_from: str = "search"
    scanned: bool = False  # opened from a wristband: the screen confirms who was scanned
    overview: PatientOverview | None = None
    status: Status = Status.IDLE
    problem: Problem | None = None
    no_access: bool = False
    access_detail: str = ""
    reason: str = ""
    reason_problem: Problem | None = None
    tab: str = "overview"
    notes: PatientNotesState | None = None  # own and ward notes, once the overview has arrived
    labs: LabState | None = None  # the lab tab, loaded when it opens
    document_id: str | None = None
    written_document: DocumentSummary | None = None

    def __repr__(self) -> str:  # no patient data, and cheap
        return f"PatientState(tab={self.tab}, status={self.status.value})"

    @property
    def patient(self) -> PatientSummary | None:
        return self.overview.patient if self.overview else self.summary

    @property
    def fetched_at(self) -> datetime | None:
        return self.overview.fetched_at if self.overview else None

    @property
    def emergency_until(self) -> datetime | None:
        return self.overview.emergency_access_until if self.overview else None

    @property
    def document(self) -> DocumentSummary | None:
        if self.overview is None or self.document_id is None:
            return None
        if self.written_document is not None and self.written_document.id == self.document_id:
            return self.written_document
        return next((d for d in self.overview.documents if d.id == self.document_id), None)

    async def load(self, break_glass_reason: str | None = None) -> bool:
        """Fetch the overview; True when it arrived. Logs how the patient was reached and how long it took."""
        started = time.perf_counter()
        outcome = "failure"
        try:
            arrived = await self._load(break_glass_reason)
            outcome = "success" if arrived else "denied" if self.no_access else "failure"
            return arrived
        finally:
            self.ctx.event("patient_opened", duration_ms=elapsed_ms(started), outcome=outcome,
                           patient_id=self.patient_id, via=VIA.get(self.opened_from, "search"),
                           break_glass=break_glass_reason is not None)
            if break_glass_reason is not None and outcome == "success":
                self.ctx.event("break_glass_used", patient_id=self.patient_id)

    async def _load(self, break_glass_reason: str | None) -> bool:
        self.status = Status.LOADING
        try:
            overview = await self.ctx.client.patient_overview(self.patient_id, break_glass_reason)
        except AccessDenied as error:
            self.ctx.reachable(True)
            summary = getattr(error, "patient", None)
            if isinstance(summary, PatientSummary):
                self.summary = summary
            self.no_access = True
            self.access_detail = error.detail
            self.status = Status.READY
            return False
        except NotFound as error:
            log_error(self.ctx, error, "patient_overview")
            self.problem = Problem("state.not_found", retryable=False)
            self.status = Status.ERROR
            return False
        except AuthError as error:
            self.ctx.on_auth_error(error)
            return False
        except EpjError as error:
            log_failure(self.ctx, error, "patient_overview")
            self.problem = problem_for(error)
            self.status = Status.ERROR  # what is already shown stays, marked with its time
            return False
        self.ctx.reachable(True)
        self.overview = overview
        self.summary = overview.patient
        self.no_access = False
        self.problem = None
        self.status = Status.READY
        return True

    def set_reason(self, text: str) -> None:
        self.reason = text
        if self.reason_problem is not None and len(text.strip()) >= MIN_REASON_LENGTH:
            self.reason_problem = None

    async def break_glass(self) -> bool:
        reason = self.reason.strip()
        if len(reason) < MIN_REASON_LENGTH:
            self.reason_problem = Problem("access.reason_short", {"count": len(reason)})
            return False
        self.reason_problem = None
        granted = await self.load(break_glass_reason=reason)
        if granted:
            self.reason = ""
        return granted

    def open_tab(self, tab: str) -> None:
        if tab in TABS:
            self.tab = tab
            self.document_id = None
            if tab != "lab":  # the lab tab loads its own data and logs lab_view when it is shown
                self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=TAB_SCREENS[tab],
                               cached=True)

    def open_document(self, document_id: str | None, written: DocumentSummary | None = None) -> None:
        """Open a document of the record, or one written on this phone (``written``)."""
        self.written_document = written
        self.document_id = document_id
        if document_id is not None:
            self.ctx.event("screen_shown", duration_ms=0.0, outcome="success" if self.document else "empty",
                           screen="document", cached=True)
