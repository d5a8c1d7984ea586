"""One patient's screen: the banner at once, the overview in one round trip, and break-the-glass."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import flet as ft

from mobile_app.domain.break_glass import MAX_REASON_LENGTH, ReasonCheck, check_reason
from mobile_app.domain.critical_summary import critical_summary
from mobile_app.domain.models import (
    DocumentSummary,
    Measurement,
    PatientOverview,
    PatientSummary,
    ThrombosisRisk,
)
from mobile_app.domain.newest_results import NewestResult, newest_results
from mobile_app.domain.roles import Action
from mobile_app.domain.vitals import VitalsAssessment, assess
from mobile_app.epj.errors import AccessDenied, AuthError, BreakGlassUnavailable, EpjError, NotFound
from mobile_app.ui.viewmodels import recorded
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, log_error, log_failure, problem_for
from mobile_app.ui.viewmodels.drafts import documents_with_written, may_continue, my_drafts, written_notes
from mobile_app.ui.viewmodels.labs import LabState
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.writing import PatientNotesState


def clinical_newest(found: tuple[Measurement, ...]) -> tuple[Measurement, ...]:
    """The newest measurement of each code (the phone's sets before the record's older ones)."""
    newest: dict[tuple[str | None, str], Measurement] = {}
    for m in found:
        known = newest.get((m.system, m.code))
        if known is None or (m.time is not None and (known.time is None or m.time > known.time)):
            newest[(m.system, m.code)] = m
    return tuple(newest.values())


# Common reasons for break-the-glass, offered to pick (message keys); each is a full reason of its
# own (at least MIN_REASON_VISIBLE visible characters in every language), and free text can follow it.
COMMON_REASONS = ("access.reason.emergency", "access.reason.transferred", "access.reason.consult",
                  "access.reason.on_call", "access.reason.medication")
TABS = ("overview", "critical", "lab", "stays", "attendances", "documents", "notes", "info", "plan", "plo")
# On screen: the four most used as tabs, the rest behind the fifth, "Mer" (a list of them).
MAIN_TABS = ("overview", "lab", "documents", "notes")
MORE_TABS = ("critical", "stays", "attendances", "info", "plan", "plo")
MORE = "more"
# The usage log's names: how the patient was reached, and each tab as a screen.
VIA = {"search": "search", "scan": "scan", "ward": "ward_list", "my_patients": "my_patients",
       "notification": "notification", "outbox": "outbox", "message": "message", "task": "task",
       "appointment": "appointment"}
TAB_SCREENS = {"overview": "patient_overview", "critical": "critical_info", "lab": "labs", "stays": "stays",
               "documents": "documents", "notes": "notes", "info": "patient_info", "plan": "treatment_plan",
               "plo": "plo_messages", "attendances": "attendances"}


def _reason_problem(check: ReasonCheck) -> Problem:
    """What the break-the-glass form says of a reason that may not be sent."""
    if check.problem == "too_long":
        return Problem("access.reason_long", {"count": check.length, "limit": MAX_REASON_LENGTH})
    return Problem("access.reason_short", {"count": check.visible})


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class PatientState(PushedScreen):
    TITLE = "pt.title"  # no USAGE_NAME: opening logs patient_opened, each tab screen_shown
    REFRESHABLE = True

    ctx: AppContext
    patient_id: str
    summary: PatientSummary | None = None  # what the list already knew: the banner needs no wait
    marked_critical: bool = False  # the list marked critical information: the banner never drops it
    opened_from: str = "search"
    scanned: bool = False  # opened from a wristband: the screen confirms who was scanned
    overview: PatientOverview | None = None
    status: Status = Status.IDLE
    problem: Problem | None = None
    no_access: bool = False
    access_detail: str = ""
    break_glass_in_epj: bool = False  # the EPJ gives no emergency access on the app's request
    reason: str = ""
    reason_problem: Problem | None = None
    tab: str = "overview"
    notes: PatientNotesState | None = None  # own and ward notes, once the overview has arrived
    labs: LabState | None = None  # the lab tab, loaded when it opens
    document_id: str | None = None
    on_arrived: Callable[[PatientState], None] | None = None  # the app hears every arrival (recently opened)
    remembered: bool = False  # put first in "Nylig åpnet" (once per opening)
    results_arrived: bool = False  # a new lab result came for this patient since the screen was fetched

    def __repr__(self) -> str:  # no patient data, and cheap
        return f"PatientState(tab={self.tab}, status={self.status.value})"

    @property
    def about_a_patient(self) -> bool:
        return True

    def forget(self) -> None:
        self.overview = None
        self.summary = None
        self.notes = None
        self.labs = None

    def step_back(self) -> bool:
        """Back closes an open document before the patient."""
        if self.document_id is None:
            return False
        self.open_document(None)
        return True

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
    def banner(self) -> BannerFacts | None:
        """The banner on this screen and on every screen opened from it."""
        patient = self.patient
        if patient is None:
            return None
        critical = critical_summary(self.overview.critical if self.overview else None, marked=self.marked_critical)
        return BannerFacts(patient, critical, self.emergency_until,
                           checking=self.overview is None and self.status in (Status.IDLE, Status.LOADING))

    @property
    def newest_labs(self) -> tuple[NewestResult, ...]:
        """The overview's newest results: last value and pending sample per analyte, critical first."""
        return newest_results(self.overview.labs) if self.overview else ()

    @property
    def vitals_measurements(self) -> tuple[Measurement, ...]:
        """The newest vital signs: the record's, and the sets recorded on this phone since (at once,
        also while they wait to be sent)."""
        if self.overview is None:
            return ()
        items = self.ctx.outbox.items if self.ctx.outbox is not None else []
        known = self.overview.vitals
        return (*recorded.recorded_measurements(items, self.patient_id, recorded.newest_time(known)), *known)

    @property
    def vitals_waiting(self) -> bool:
        """Whether a set recorded on this phone has not reached the EPJ yet."""
        return self.ctx.outbox is not None and recorded.waiting_vitals(self.ctx.outbox.items, self.patient_id)

    @property
    def scale2(self) -> bool:
        """NEWS2 scores SpO2 on scale 2: the record's choice, or one made on this phone since."""
        overview = self.overview
        if overview is None:
            return False
        items = self.ctx.outbox.items if self.ctx.outbox is not None else []
        chosen = recorded.recorded_scale(items, self.patient_id, overview.fetched_at)
        return overview.spo2_scale2 if chosen is None else overview.hypercapnic and chosen == 2

    @property
    def thrombosis_risk(self) -> ThrombosisRisk | None:
        """The newest thrombosis-risk assessment: the record's, or one made on this phone since."""
        overview = self.overview
        if overview is None:
            return None
        items = self.ctx.outbox.items if self.ctx.outbox is not None else []
        return recorded.recorded_risk(items, self.patient_id, overview.fetched_at) or overview.thrombosis_risk

    @property
    def vitals(self) -> VitalsAssessment:
        """The newest vital signs, each judged by its NEWS2 points, and the score."""
        if self.overview is None:
            return VitalsAssessment()
        return assess(clinical_newest(self.vitals_measurements), scale2=self.scale2)

    @property
    def documents(self) -> list[DocumentSummary]:
        """The record's documents with the journal notes written on this phone in front (delivered
        ones as stored, waiting ones marked as waiting); live: the outbox may send one any moment."""
        items = self.ctx.outbox.items if self.ctx.outbox is not None else []
        return documents_with_written(self.overview.documents if self.overview else (),
                                      written_notes(items, self.patient_id))

    @property
    def drafts(self) -> list[DocumentSummary]:
        """The user's own drafts on this patient, to continue and sign."""
        user = self.ctx.session.user
        return my_drafts(self.documents, user.practitioner_id if user else None, self.ctx.permissions)

    def may_continue(self, document: DocumentSummary) -> bool:
        user = self.ctx.session.user
        return may_continue(document, user.practitioner_id if user else None, self.ctx.permissions)

    @property
    def document(self) -> DocumentSummary | None:
        if self.overview is None or self.document_id is None:
            return None
        return next((d for d in self.documents if d.id == self.document_id), None)

    async def load(self, break_glass_reason: str | None = None) -> bool:
        """Fetch the overview; True when it arrived. Every way in (the first opening, "Prøv igjen",
        break-the-glass) ends here, so each ends in the same state. Logs how the patient was reached
        and how long it took."""
        started = time.perf_counter()
        outcome = "failure"
        try:
            arrived = await self._load(break_glass_reason)
            outcome = "success" if arrived else "denied" if self.no_access else "failure"
            if arrived:
                self._arrived()
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
            self.break_glass_in_epj = self.break_glass_in_epj or isinstance(error, BreakGlassUnavailable)
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

    def _arrived(self) -> None:
        """The record is here: the Notes tab gets its own and ward notes (unless one is being
        edited), and the app is told (it puts the patient first in "Nylig åpnet")."""
        overview = self.overview
        assert overview is not None
        if self.ctx.outbox is not None:
            if self.notes is None:
                self.notes = PatientNotesState(self.ctx, self.ctx.outbox, self.patient_id,
                                               own=overview.own_note, ward=overview.ward_note,
                                               patient_name=overview.patient.name)
            elif self.notes.editing is None:
                self.notes.own, self.notes.ward = overview.own_note, overview.ward_note
        if self.on_arrived is not None:
            self.on_arrived(self)

    async def refresh(self) -> None:
        """Fetch the record again where the user is (the tab stays), and the lab tab's results when
        they were loaded (the refresh button; after a registration reached the EPJ). Not an opening:
        no patient_opened event."""
        if self.no_access:
            return
        self.results_arrived = False
        if await self._load(None):
            self._arrived()
        if self.labs is not None and self.labs.status is not Status.IDLE:
            await self.labs.reload()

    def new_results(self) -> None:
        """A notification says a new lab result came for this patient: the screen says so (and
        offers to fetch it) rather than change what the user is reading."""
        self.results_arrived = True

    def set_reason(self, text: str) -> None:
        self.reason = text
        check = check_reason(text)
        if check.problem == "too_long":
            self.reason_problem = _reason_problem(check)
        elif self.reason_problem is not None and check.problem is None:
            self.reason_problem = None

    def pick_reason(self, text: str) -> None:
        """A common reason picked: it is the reason (the user may add to it in the field)."""
        self.set_reason(text)
        self.reason_problem = None if check_reason(text).problem is None else self.reason_problem

    @property
    def may_break_glass(self) -> bool:
        return self.ctx.may(Action.BREAK_THE_GLASS)

    @property
    def break_glass_turned_off(self) -> bool:
        """The user's role may break the glass, but this EPJ gives no emergency access from the app
        (known at login): it must be taken in the EPJ itself."""
        return Action.BREAK_THE_GLASS in self.ctx.turned_off()

    async def break_glass(self) -> bool:
        if not self.may_break_glass:
            return False
        reason = self.reason.strip()
        check = check_reason(reason)
        if check.problem is not None:
            self.reason_problem = _reason_problem(check)
            return False
        self.reason_problem = None
        granted = await self.load(break_glass_reason=reason)
        if granted:
            self.reason = ""
        return granted

    @property
    def bar_index(self) -> int:
        """The tab highlighted in the tab bar: a main tab, or "Mer" (its list or one of its tabs)."""
        return MAIN_TABS.index(self.tab) if self.tab in MAIN_TABS else len(MAIN_TABS)

    def open_bar(self, index: int) -> None:
        """A tap on the tab bar: a main tab, or "Mer" (the list of the other tabs)."""
        self.open_tab(MAIN_TABS[index] if index < len(MAIN_TABS) else MORE)

    def open_tab(self, tab: str) -> None:
        if tab == MORE:
            self.tab = tab
            self.document_id = None
        elif tab in TABS:
            self.tab = tab
            self.document_id = None
            if tab != "lab":  # the lab tab loads its own data and logs lab_view when it is shown
                self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=TAB_SCREENS[tab],
                               cached=True)

    def open_document(self, document_id: str | None) -> None:
        """Open a document of the record, or a note written on this phone."""
        self.document_id = document_id
        if document_id is not None:
            self.ctx.event("screen_shown", duration_ms=0.0, outcome="success" if self.document else "empty",
                           screen="document", cached=True)
