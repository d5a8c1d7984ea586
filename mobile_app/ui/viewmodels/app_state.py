"""The app's root state: its parts, the tabs' contents, and the actions that open screens.

Each part has one job: ``flow`` (``SessionFlow``) logs in, locks and logs out; ``nav``
(``Navigator``) knows the tab and the screens pushed over it; ``scans`` (``ScanRouter``) sends
wristband payloads to the scan screen; ``sus`` (``SusOffer``) is the questionnaire's offer card.
Everything about patients hangs off this object, so ``clear()`` on logout or switch user drops all
of it at once; locking only hides it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import InitVar, dataclass, field
from typing import Any, cast

import flet as ft

from mobile_app.domain.models import (
    DocumentSummary,
    LabResult,
    Message,
    Notification,
    NotificationKind,
    NotificationView,
    PatientSummary,
)
from mobile_app.domain.roles import Action
from mobile_app.domain.worklists import OPEN_TASK_STATUSES, Appointment, WorkTask
from mobile_app.domain.writing import NOTE_TYPES, NoteDraft
from mobile_app.services.browser_login import OpenUrl
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.services.session import Phase
from mobile_app.services.usage import SusSchedule
from mobile_app.ui.viewmodels import recorded
from mobile_app.ui.viewmodels.base import AppContext, elapsed_ms
from mobile_app.ui.viewmodels.book import BookState
from mobile_app.ui.viewmodels.drafts import may_continue, written_notes
from mobile_app.ui.viewmodels.labs import LabSeen, LabState
from mobile_app.ui.viewmodels.messages import ComposeState, MessagesState
from mobile_app.ui.viewmodels.my_patients import MyPatientsState
from mobile_app.ui.viewmodels.navigator import Navigator
from mobile_app.ui.viewmodels.news2_trend import News2TrendState
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from mobile_app.ui.viewmodels.notifications import DEFAULT_POLL_SECONDS, NotificationsState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.scan import ImageDecoder, ScanState
from mobile_app.ui.viewmodels.scan_router import ScanRouter
from mobile_app.ui.viewmodels.search import SearchState
from mobile_app.ui.viewmodels.session_flow import SessionFlow
from mobile_app.ui.viewmodels.sus import SusOffer
from mobile_app.ui.viewmodels.task import TaskState
from mobile_app.ui.viewmodels.tasks import TasksState
from mobile_app.ui.viewmodels.thrombosis import ThrombosisFormState
from mobile_app.ui.viewmodels.trend import TrendState
from mobile_app.ui.viewmodels.vitals_form import VitalsFormState
from mobile_app.ui.viewmodels.ward import WardState
from mobile_app.ui.viewmodels.writing import OutboxState, watch_deliveries


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class AppState:
    ctx: AppContext
    decode_image: InitVar[ImageDecoder | None] = None
    poll_seconds: InitVar[float] = DEFAULT_POLL_SECONDS  # how often the notification centre asks for news
    sus_schedule: InitVar[SusSchedule | None] = None  # when to offer the usability questionnaire (None: never)
    dark: bool = False
    nav: Navigator = field(init=False)
    flow: SessionFlow = field(init=False)
    scans: ScanRouter = field(init=False)
    sus: SusOffer = field(init=False)
    search: SearchState = field(init=False)
    ward: WardState = field(init=False)
    my: MyPatientsState = field(init=False)
    tasks: TasksState = field(init=False)
    notifications: NotificationsState = field(init=False)
    lab_seen: LabSeen = field(default_factory=LabSeen)  # when each lab tab was last looked at
    outbox: OutboxState | None = field(init=False, default=None)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _unsent_recordings: set[str] = field(default_factory=set)  # outbox items not yet confirmed
    _listeners: list[Callable[[object, str | None], None]] = field(default_factory=list)

    def __repr__(self) -> str:  # no patient data, and cheap
        return f"AppState(phase={self.flow.phase.value}, tab={self.nav.tab.value}, screens={len(self.nav.stack)})"

    def __post_init__(self, decode_image: ImageDecoder | None, poll_seconds: float,
                      sus_schedule: SusSchedule | None) -> None:
        self.notifications = NotificationsState(self.ctx, interval=poll_seconds, on_new=self._notified)
        self.nav = Navigator(self.ctx)
        self.sus = SusOffer(self.ctx, self.nav, sus_schedule)
        self.flow = SessionFlow(self.ctx, on_phase=self._phase_changed, home_ward=lambda: self.ward.ward_id,
                                unsaved_text=self._unsaved_text,
                                on_session_end=self.sus.session_completed)
        self.scans = ScanRouter(self.ctx, self.nav, active=lambda: self.flow.phase is Phase.ACTIVE,
                                search=lambda: self.search, open_scanned=self._open_scanned,
                                decode_image=decode_image)
        self.ctx.session.on_clear(self.clear)
        if self.ctx.outbox is not None:
            self.outbox = OutboxState(self.ctx.outbox)
            self.ctx.session.on_clear(self.ctx.outbox.forget)
            watch_deliveries(self.ctx, self.ctx.outbox)
            self.ctx.outbox.on_change(self._recordings_changed)
        self._fresh_home()
        # What the shell renders from. The outbox is among them: a note sent in the background
        # changes the menu's count, the Notes tab, Documents and the editor at once, untapped.
        for part in (self.flow, self.nav, self.sus, *([self.outbox] if self.outbox is not None else [])):
            self._pass_on_changes(part)

    def _unsaved_text(self) -> bool:
        """Whether a note being written has text that is not saved."""
        return any(isinstance(screen, NoteEditorState) and screen.dirty for screen in self.nav.stack)

    def _pass_on_changes(self, part: object) -> None:
        """Flet re-renders a component when an observable it holds changes, but a change inside a
        nested observable reaches no one else: a part's change is announced as this object's."""
        owner = cast(ft.Observable, self)

        def changed(sender: object, attribute: str | None) -> None:
            owner.notify()  # type: ignore[no-untyped-call]  # (Flet leaves it unannotated)

        self._listeners.append(changed)  # an observable holds its listeners weakly
        cast(ft.Observable, part).subscribe(changed)

    def _fresh_home(self) -> None:
        self.search = SearchState(self.ctx)
        self.ward = WardState(self.ctx)
        self.my = MyPatientsState(self.ctx)
        previous = getattr(self, "tasks", None)
        if previous is not None:
            previous.close()
        self.tasks = TasksState(self.ctx, ward_id=lambda: self.ward.ward_id)
        if hasattr(self, "nav"):
            self._pass_on_changes(self.tasks)  # the tab's count of open tasks
        self.nav.reset()

    def _phase_changed(self, phase: Phase) -> None:
        """Notifications are polled only while the app is in use."""
        if phase is Phase.ACTIVE:
            self.notifications.start()
        else:
            self.notifications.stop()

    def touch(self) -> None:
        """The user did something (every tap and keystroke): the idle lock starts over."""
        self.ctx.session.touch()

    async def open_login_page(self, open_url: OpenUrl) -> None:
        await self.flow.open_login_page(open_url)

    async def submit_login(self) -> None:
        if not await self.flow.submit_login():
            return
        self._fresh_home()
        started = time.perf_counter()
        await self.enter_home()
        self.flow.begin_usage_session()
        self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), screen="my_patients", cached=False,
                       outcome="success" if self.my.in_care or self.my.recent else "empty")
        self.sus.offer_if_due()

    async def enter_home(self) -> None:
        await asyncio.gather(self.my.refresh(), self.ward.load())

    def clear(self) -> None:
        """Drop every piece of patient data and every open screen."""
        self.nav.forget()
        self.notifications.reset()
        self.lab_seen.clear()
        self.tasks.forget()
        self._fresh_home()
        self.sus.forget()
        self.flow.reset()

    # ------------------------------------------------------------ opening patients

    async def open_patient(self, patient_id: str, summary: PatientSummary | None = None,
                           opened_from: str = "search", scanned: bool = False,
                           critical: bool = False) -> PatientState:
        """Open a patient; ``summary`` and ``critical`` are what the list knew (banner and marker)."""
        screen = PatientState(self.ctx, patient_id, summary=summary, opened_from=opened_from, scanned=scanned,
                              marked_critical=critical, labs=LabState(self.ctx, patient_id, self.lab_seen),
                              on_arrived=self._patient_arrived)
        if scanned:  # the scan screen has done its job: back goes to where scanning started
            self.nav.drop(ScanState)
        self.nav.push(screen)
        await screen.load()
        return screen

    def _patient_arrived(self, screen: PatientState) -> None:
        """A patient's record arrived, however it was reached (opened, "Prøv igjen", break-the-glass).
        Recording "recently opened" is a separate write; the screen does not wait for it."""
        if not screen.remembered:
            screen.remembered = True
            self._background(self.my.remember(screen.patient_id))

    async def _open_scanned(self, patient_id: str, patient: PatientSummary) -> None:
        await self.open_patient(patient_id, patient, opened_from="scan", scanned=True)

    async def background_done(self) -> None:
        """Wait until the background writes started so far (e.g. "recently opened") have ended."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _background(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _notified(self, arrived: list[Notification]) -> None:
        """New notifications: a new lab result for a patient open on screen is said there too."""
        patients = {n.patient_id for n in arrived if n.kind is NotificationKind.LAB_RESULT and n.patient_id}
        for screen in self.nav.stack:
            if isinstance(screen, PatientState) and screen.patient_id in patients:
                screen.new_results()

    async def open_notification(self, item: Notification) -> None:
        """Mark it read and open what it is about: the lab tab, the patient, the task, or itself."""
        view = self.notifications.open(item)
        if view is NotificationView.TASK:
            self.open_task(item)
            return
        if item.patient_id is None or view not in (NotificationView.LAB, NotificationView.OVERVIEW):
            return
        screen = await self.open_patient(item.patient_id, opened_from="notification")
        if view is NotificationView.LAB and screen.overview is not None and screen.labs is not None:
            screen.open_tab("lab")
            await screen.labs.opened()

    def known_patients(self) -> dict[str, PatientSummary]:
        """Patients the app has on its lists now (ward list, My patients, search results), by id:
        a notification names only the patient's id, and a name is what a clinician looks for."""
        found = {p.id: p for p in [*self.search.results, *self.my.in_care, *self.my.recent]}
        found.update({b.patient.id: b.patient for b in self.ward.beds if b.patient is not None})
        return found

    def open_task(self, item: Notification) -> TaskState:
        """A task from a notification: its own screen (text, patient, due, who asked; what to do)."""
        patient = self.known_patients().get(item.patient_id or "")
        user = self.ctx.session.user
        screen = TaskState.of(item, patient, self.tasks.changes, owner_id=user.practitioner_id if user else None)
        return self.nav.push(screen.watch(self.ctx.outbox))

    def open_work_task(self, task: WorkTask) -> TaskState:
        """A row of My tasks, on its own screen."""
        patient = self.known_patients().get(task.patient_id or "")
        return self.nav.push(TaskState.of_task(task, patient, self.tasks.changes).watch(self.ctx.outbox))

    @property
    def open_task_count(self) -> int:
        """The tab's count: open tasks of mine (from the list once read, else from the notifications)."""
        if self.tasks.fetched_at is not None and self.tasks.scope == "mine":
            return self.tasks.open_count
        return sum(1 for n in self.notifications.items
                   if n.kind is NotificationKind.TASK and n.status in OPEN_TASK_STATUSES)

    def open_book(self) -> BookState:
        """The appointment book, mine, today."""
        screen = self.nav.push(BookState(self.ctx))
        self._background(screen.load())
        return screen

    async def open_appointment_patient(self, appointment: Appointment) -> PatientState | None:
        if appointment.patient_id is None:
            return None
        return await self.open_patient(appointment.patient_id, opened_from="appointment")

    def open_trend(self, patient: PatientState, result: LabResult) -> TrendState | None:
        """The history of one analyte of the patient's lab tab, as a screen of its own."""
        panel = patient.labs.panel if patient.labs else None
        if panel is None or patient.patient is None:
            return None
        started = time.perf_counter()
        trend = self.nav.push(TrendState(patient.patient_id, patient.patient.name, result.name, result.unit,
                                         panel.history_of(result.analyte) or (result,), banner=patient.banner))
        self.ctx.event("trend_view", duration_ms=elapsed_ms(started), patient_id=patient.patient_id,
                       group=str(result.group), points=len(trend.points))
        return trend

    # ------------------------------------------------------------ writing

    def open_note_editor(self, patient: PatientState) -> NoteEditorState | None:
        """A new journal note of the role's default type (None when the role writes none)."""
        note_type = self.ctx.permissions.default_note_type
        if self.ctx.outbox is None or patient.patient is None or note_type is None:
            return None
        stay = patient.overview.stay if patient.overview else None
        return self.nav.push(NoteEditorState(self.ctx, self.ctx.outbox, patient.patient_id, patient.patient.name,
                                             encounter_id=stay.id if stay else None, note_type=note_type,
                                             banner=patient.banner))

    def after_note_signed(self, editor: NoteEditorState) -> None:
        """Close the editor and show the patient's Documents, where the note is (or waits)."""
        self.nav.close(editor)
        patient = self.nav.top(PatientState)
        if patient is not None and patient.patient_id == editor.patient_id:
            patient.open_tab("documents")

    def continue_note(self, patient: PatientState, document: DocumentSummary) -> NoteEditorState | None:
        """Open the user's own unsigned note again (a draft in the record, or anything still in the
        outbox): edited and saved or signed, it updates the same note."""
        user = self.ctx.session.user
        if (self.ctx.outbox is None or patient.patient is None or document.client_id is None
                or not may_continue(document, user.practitioner_id if user else None, self.ctx.permissions)):
            return None
        waiting = next((i for i in self.ctx.outbox.items if i.id == document.client_id and i.pending), None)
        note_type = document.type_code or ""
        title = "" if document.title == NOTE_TYPES.get(note_type) else document.title
        text = document.text or ""
        encounter = document.encounter_id
        if waiting is not None and isinstance(waiting.payload, NoteDraft):
            payload = waiting.payload
            note_type, title, text, encounter = payload.note_type, payload.title, payload.text, payload.encounter_id
        stay = patient.overview.stay if patient.overview else None
        return self.nav.push(NoteEditorState(
            self.ctx, self.ctx.outbox, patient.patient_id, patient.patient.name,
            encounter_id=encounter or (stay.id if stay else None), note_type=note_type, title=title, text=text,
            saved=waiting, client_id=document.client_id, banner=patient.banner))

    async def edit_outbox_note(self, item: OutboxItem) -> NoteEditorState | None:
        """Continue a waiting or failed journal note from the outbox: on its patient's screen (with
        the banner: name, fødselsnummer, critical information), then in the editor."""
        payload = item.payload
        if self.ctx.outbox is None or not isinstance(payload, NoteDraft):
            return None
        patient = await self.open_patient(payload.patient_id, opened_from="outbox")
        patient.open_tab("notes")
        note = next((d for d in written_notes([item], payload.patient_id)), None)
        return self.continue_note(patient, note) if note is not None else None

    def open_messages(self) -> MessagesState:
        screen = self.nav.push(MessagesState(self.ctx))
        self._background(screen.refresh())
        return screen

    def open_compose(self, about: PatientState | None = None) -> ComposeState | None:
        if self.ctx.outbox is None:
            return None
        about_patient = about.patient if about is not None else None
        return self.nav.push(ComposeState(self.ctx, self.ctx.outbox,
                                          about_patient_id=about_patient.id if about_patient else None,
                                          about_patient_name=about_patient.name if about_patient else None,
                                          banner=about.banner if about is not None else None))

    def reply(self, box: MessagesState, message: Message) -> ComposeState | None:
        """Answer a message: to its sender (or, from Sent, its recipient), about the same patient."""
        recipient = box.reply_to(message)
        if self.ctx.outbox is None or recipient is None:
            return None
        compose = ComposeState(self.ctx, self.ctx.outbox, about_patient_id=message.about_patient_id,
                               about_patient_name=message.about_patient_name)
        compose.choose(recipient)
        return self.nav.push(compose)

    async def open_message_patient(self, message: Message) -> PatientState | None:
        """"Åpne pasient" on a message about a patient: the patient's screen, as from a list."""
        if message.about_patient_id is None:
            return None
        return await self.open_patient(message.about_patient_id, opened_from="message")

    def open_outbox(self) -> None:
        if self.outbox is not None:
            self.nav.push(self.outbox)

    # ------------------------------------------------------------ structured registrations

    def open_vitals_form(self, patient: PatientState) -> VitalsFormState | None:
        """Record a set of vital signs for the patient (None when the role does not record them)."""
        overview = patient.overview
        if self.ctx.outbox is None or patient.patient is None or overview is None \
                or not self.ctx.may(Action.RECORD_VITAL_SIGNS):
            return None
        return self.nav.push(VitalsFormState(
            self.ctx, self.ctx.outbox, patient.patient_id, patient.patient.name,
            encounter_id=overview.stay.id if overview.stay else None, banner=patient.banner,
            previous=patient.vitals_measurements, hypercapnic=overview.hypercapnic, scale=2 if patient.scale2 else 1,
            scale_choice=overview.spo2_scale_choice))

    def open_thrombosis_form(self, patient: PatientState) -> ThrombosisFormState | None:
        overview = patient.overview
        if self.ctx.outbox is None or patient.patient is None or overview is None \
                or not self.ctx.may(Action.ASSESS_THROMBOSIS_RISK):
            return None
        return self.nav.push(ThrombosisFormState(
            self.ctx, self.ctx.outbox, patient.patient_id, patient.patient.name,
            encounter_id=overview.stay.id if overview.stay else None, banner=patient.banner,
            birth_date=patient.patient.birth_date, earlier=patient.thrombosis_risk))

    def open_news2_trend(self, patient: PatientState) -> News2TrendState | None:
        if patient.patient is None:
            return None
        trend = self.nav.push(News2TrendState(self.ctx, patient.patient_id, patient.patient.name,
                                              scale2=patient.scale2, banner=patient.banner))
        self._background(trend.load())
        return trend

    def after_recorded(self, screen: VitalsFormState | ThrombosisFormState) -> None:
        """Close the form: the patient's overview shows what was recorded (from the outbox at once,
        from the EPJ once it confirms)."""
        self.nav.close(screen)
        patient = self.nav.top(PatientState)
        if patient is not None and patient.patient_id == screen.patient_id:
            patient.open_tab("overview")

    def _recordings_changed(self, items: list[OutboxItem]) -> None:
        """A registration saved on this phone shows on the lists at once; once the EPJ confirms it,
        the lists and the patient's screens read the EPJ again."""
        if not any(item.kind in recorded.RECORDING_KINDS for item in items) and not self._unsent_recordings:
            return
        confirmed: set[str] = set()
        for item in items:
            if item.kind not in recorded.RECORDING_KINDS:
                continue
            if item.state is ItemState.SENT:
                if item.id in self._unsent_recordings:
                    self._unsent_recordings.discard(item.id)
                    if item.patient_id:
                        confirmed.add(item.patient_id)
            else:
                self._unsent_recordings.add(item.id)
        self.ward.show_recorded(recorded.recorded_news2(items, self.ward.fetched_at),
                                recorded.assessed(items, self.ward.fetched_at))
        self.my.show_recorded(recorded.recorded_news2(items, self.my.fetched_at))
        if confirmed:
            self._refresh_after(confirmed)

    def _refresh_after(self, patients: set[str]) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a test changing the outbox by hand): nothing to read again
        if self.ward.beds:
            self._background(self.ward.refresh())
        if self.my.fetched_at is not None:
            self._background(self.my.load_markers())
        for screen in self.nav.stack:
            if isinstance(screen, PatientState) and screen.patient_id in patients and screen.overview is not None:
                self._background(screen.refresh())
            elif isinstance(screen, News2TrendState) and screen.patient_id in patients:
                self._background(screen.load())
