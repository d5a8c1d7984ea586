"""The app's root state: which phase (login, locked, home), which tab, which screens are open.

Everything about patients hangs off this object and nothing else, so ``clear()`` on logout or
switch user drops all of it at once; locking only hides it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import flet as ft

from mobile_app.domain.models import LabResult, Notification, NotificationView, PatientSummary
from mobile_app.domain.writing import NoteDraft
from mobile_app.epj.errors import AuthError
from mobile_app.services.outbox_items import OutboxItem
from mobile_app.services.session import Phase
from mobile_app.services.usage import SusSchedule
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms
from mobile_app.ui.viewmodels.labs import LabSeen, LabState
from mobile_app.ui.viewmodels.login import LockState, LoginState
from mobile_app.ui.viewmodels.messages import ComposeState, MessagesState
from mobile_app.ui.viewmodels.my_patients import MyPatientsState
from mobile_app.ui.viewmodels.notifications import DEFAULT_POLL_SECONDS, NotificationsState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.scan import ImageDecoder, ScanState, is_gs1_payload
from mobile_app.ui.viewmodels.search import SearchState
from mobile_app.ui.viewmodels.sus import SusState, dismiss_offer, offer_if_due
from mobile_app.ui.viewmodels.trend import TrendState
from mobile_app.ui.viewmodels.ward import WardState
from mobile_app.ui.viewmodels.writing import NoteEditorState, OutboxState, PatientNotesState, watch_deliveries

Screen = (PatientState | ScanState | NoteEditorState | MessagesState | ComposeState | OutboxState | TrendState
          | SusState)
# The usage log's name of each tab and each screen pushed over it.
TAB_SCREENS = {"my": "my_patients", "ward": "ward_list", "search": "search", "notifications": "notifications"}
PUSHED_SCREENS: dict[type, str] = {NoteEditorState: "note_editor", MessagesState: "messages", ComposeState: "messages",
                                   OutboxState: "outbox", ScanState: "scan", SusState: "sus_questionnaire"}


def screen_clear(screen: Screen) -> None:
    """Empty a screen's patient data (a component may still hold the object for a moment)."""
    if isinstance(screen, PatientState):
        screen.overview = None
        screen.summary = None
        screen.notes = None
        screen.labs = None
    elif isinstance(screen, ScanState):
        screen.candidates = []
    elif isinstance(screen, NoteEditorState):
        screen.text = ""
        screen.title = ""
    elif isinstance(screen, MessagesState):
        screen.inbox = []
        screen.sent = []
    elif isinstance(screen, ComposeState):
        screen.text = ""
        screen.found = []
    elif isinstance(screen, TrendState):
        screen.forget()


class Tab(StrEnum):
    MY_PATIENTS = "my"
    WARD = "ward"
    SEARCH = "search"
    NOTIFICATIONS = "notifications"


TAB_ORDER = (Tab.MY_PATIENTS, Tab.WARD, Tab.SEARCH, Tab.NOTIFICATIONS)


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class AppState:
    ctx: AppContext
    decode_image: ImageDecoder | None = None
    poll_seconds: float = DEFAULT_POLL_SECONDS  # how often the notification centre asks for news
    sus_schedule: SusSchedule | None = None  # when to offer the usability questionnaire (None: never)
    phase: Phase = Phase.LOGGED_OUT
    tab: Tab = Tab.MY_PATIENTS
    stack: list[Screen] = field(default_factory=list)
    dark: bool = False
    login: LoginState = field(init=False)
    lock: LockState = field(init=False)
    search: SearchState = field(init=False)
    ward: WardState = field(init=False)
    my: MyPatientsState = field(init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _last_scan: tuple[str, float] | None = None
    outbox: OutboxState | None = field(init=False, default=None)
    confirm_logout: bool = False  # unsent writes: the user is asked before logging out
    _typing: bool = False  # a text field has focus: keystrokes belong to it, not to a scan
    lab_seen: LabSeen = field(default_factory=LabSeen)  # when each lab tab was last looked at
    notifications: NotificationsState = field(init=False)
    _locked_at: float | None = None  # perf_counter when the app locked (the unlock event's duration)
    _usage_session: bool = False  # a usage session runs for the logged-in user
    sus_offer: bool = False  # the questionnaire's offer card shows on the home screen

    def __repr__(self) -> str:  # no patient data, and cheap
        return f"AppState(phase={self.phase.value}, tab={self.tab.value}, screens={len(self.stack)})"

    def __post_init__(self) -> None:
        self.ctx.on_auth_error = self._auth_failed
        self.ctx.session.on_clear(self.clear)
        if self.ctx.outbox is not None:
            self.outbox = OutboxState(self.ctx.outbox)
            self.ctx.session.on_clear(self.ctx.outbox.forget)
            watch_deliveries(self.ctx, self.ctx.outbox)
        self.login = LoginState(self.ctx)
        self.lock = LockState(self.ctx)
        self.notifications = NotificationsState(self.ctx, interval=self.poll_seconds)
        self._fresh_screens()
        if self.ctx.session.restore():
            self.phase = Phase.LOCKED
            self._locked_at = time.perf_counter()
        if not self.ctx.session.token_store.secure:
            self.login.notice = Problem("login.no_secure_store", retryable=False)

    def _fresh_screens(self) -> None:
        self.search = SearchState(self.ctx)
        self.ward = WardState(self.ctx)
        self.my = MyPatientsState(self.ctx)
        self.stack = []
        self.tab = Tab.MY_PATIENTS

    # ------------------------------------------------------------ phases

    @property
    def user_name(self) -> str:
        user = self.ctx.session.user
        return user.name if user else ""

    def _open_outbox(self) -> None:
        user = self.ctx.session.user
        if self.ctx.outbox is not None and user is not None:
            self.ctx.outbox.open(user.practitioner_id)  # the author's unsent writes, from last time
            self.ctx.outbox.retry_now()

    async def submit_login(self) -> None:
        if await self.login.submit():
            self._fresh_screens()
            self._open_outbox()
            self.phase = Phase.ACTIVE
            self.notifications.start()
            if self.ctx.session.secure_storage_failed:
                self.login.notice = Problem("login.no_secure_store", retryable=False)
            started = time.perf_counter()
            await self.enter_home()
            self._start_usage_session()
            self.ctx.event("login", duration_ms=self.login.took_ms, outcome="success")
            self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), screen="my_patients", cached=False,
                           outcome="success" if self.my.in_care or self.my.recent else "empty")
            self.sus_offer = offer_if_due(self.ctx, self.sus_schedule)

    def _start_usage_session(self) -> None:
        """A new usage session (random id) with the user's role and home ward; never their name."""
        user = self.ctx.session.user
        if self.ctx.usage is None or user is None:
            return
        self.ctx.usage.start_session(user.practitioner_id, str(user.role), self.ward.ward_id)
        self._usage_session = True

    def _end_usage_session(self, reason: str) -> None:
        if self.ctx.usage is not None and self._usage_session:
            self.ctx.usage.end_session(reason)
            if self.sus_schedule is not None:
                self.sus_schedule.session_completed()
        self._usage_session = False

    def open_sus(self) -> SusState:
        """The usability questionnaire, from its offer card."""
        self.sus_offer = False
        screen = SusState(self.ctx, self.sus_schedule)
        self._push(screen)
        return screen

    def dismiss_sus_offer(self) -> None:
        self.sus_offer = False
        dismiss_offer(self.ctx, self.sus_schedule)

    async def enter_home(self) -> None:
        await asyncio.gather(self.my.refresh(), self.ward.load())

    async def submit_unlock(self) -> None:
        unlocked = await self.lock.unlock()
        locked_ms = elapsed_ms(self._locked_at) if self._locked_at is not None else None
        if unlocked:
            self._open_outbox()  # after a restart the session was restored locked
            self.phase = Phase.ACTIVE
            self.notifications.start()
            self._locked_at = None
            if not self._usage_session:  # restored after a restart: the user's session goes on
                self._start_usage_session()
            self.ctx.event("unlock", duration_ms=locked_ms, outcome="success")
        elif self.lock.problem is not None and self.lock.problem.key != "login.missing_pin":
            reason = {"lock.wrong": "wrong_pin", "login.locked": "too_many_attempts"}.get(self.lock.problem.key,
                                                                                           "internal")
            self.ctx.event("unlock", duration_ms=locked_ms, outcome="failure", reason=reason)

    def lock_now(self) -> None:
        self.ctx.session.lock()
        self.phase = self.ctx.session.phase
        self.notifications.stop()
        self._locked("manual")

    def _locked(self, trigger: str) -> None:
        if self.phase is Phase.LOCKED:
            self._locked_at = time.perf_counter()
            self.ctx.event("lock", trigger=trigger)

    def check_idle(self) -> bool:
        """Called every second by the UI: lock the app after the idle time."""
        if self.ctx.session.check_idle():
            self.phase = Phase.LOCKED
            self.notifications.stop()
            self._locked("idle")
            return True
        return False

    def touch(self) -> None:
        self.ctx.session.touch()

    @property
    def unsent(self) -> int:
        user = self.ctx.session.user
        if self.ctx.outbox is None or user is None:
            return 0
        return len(self.ctx.outbox.pending_for(user.practitioner_id))

    async def request_logout(self) -> None:
        """Log out, but first ask when writes are still waiting to be sent."""
        if self.unsent and not self.confirm_logout:
            self.confirm_logout = True
            return
        self.confirm_logout = False
        await self.logout()

    def cancel_logout(self) -> None:
        self.confirm_logout = False

    async def logout(self, notice: str = "login.logged_out") -> None:
        self._end_usage_session("logout")
        await self.ctx.session.logout()  # runs clear() through the session's on_clear
        self.login.notice = Problem(notice, retryable=False)

    def clear(self) -> None:
        """Drop every piece of patient data and every open screen."""
        for screen in self.stack:
            screen_clear(screen)
        self.notifications.reset()
        self.lab_seen.clear()
        self._fresh_screens()
        self.login = LoginState(self.ctx)
        self.lock = LockState(self.ctx)
        self.sus_offer = False
        self.phase = Phase.LOGGED_OUT

    def app_exit(self) -> None:
        """The app is closing: the usage session ends (the log is flushed by whoever owns it)."""
        self._end_usage_session("app_exit")

    def _auth_failed(self, error: AuthError) -> None:
        self._end_usage_session("expired")
        self.ctx.session.expire()
        self.login.notice = Problem("login.expired", retryable=False)

    # ------------------------------------------------------------ navigation

    def select_tab(self, tab: Tab) -> None:
        self._typing = False
        for screen in self.stack:
            if isinstance(screen, ScanState):
                screen.left()
        self.stack = []
        self.tab = tab
        self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=TAB_SCREENS[tab.value],
                       cached=True)

    async def open_patient(self, patient_id: str, summary: PatientSummary | None = None,
                           opened_from: str = "search", scanned: bool = False) -> PatientState:
        screen = PatientState(self.ctx, patient_id, summary=summary, opened_from=opened_from, scanned=scanned,
                              labs=LabState(self.ctx, patient_id, self.lab_seen))
        if scanned:  # the scan screen has done its job: back goes to where scanning started
            self.stack = [s for s in self.stack if not isinstance(s, ScanState)]
        self.stack = [*self.stack, screen]
        if await screen.load():
            if self.ctx.outbox is not None and screen.overview is not None:
                screen.notes = PatientNotesState(self.ctx, self.ctx.outbox, patient_id,
                                                 own=screen.overview.own_note, ward=screen.overview.ward_note)
            # Recording "recently opened" is a separate write; the screen does not wait for it.
            self._background(self.my.remember(patient_id))
        return screen

    def _background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _push(self, screen: Screen) -> None:
        self._typing = False
        self.stack = [*self.stack, screen]
        name = PUSHED_SCREENS.get(type(screen))
        if name is not None:
            self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=name, cached=True)

    def open_note_editor(self, patient: PatientState) -> NoteEditorState | None:
        if self.ctx.outbox is None or patient.patient is None:
            return None
        stay = patient.overview.stay if patient.overview else None
        editor = NoteEditorState(self.ctx, self.ctx.outbox, patient.patient_id, patient.patient.name,
                                 encounter_id=stay.id if stay else None)
        self._push(editor)
        return editor

    def after_note_signed(self, editor: NoteEditorState) -> None:
        """Close the editor and show the patient's Documents, where the note is (or waits)."""
        self.stack = [s for s in self.stack if s is not editor]
        patient = self.current_patient
        if patient is not None and patient.patient_id == editor.patient_id:
            patient.open_tab("documents")

    def edit_outbox_note(self, item: OutboxItem) -> NoteEditorState | None:
        """Open a waiting or failed journal note again in the editor (same note: no second copy)."""
        payload = item.payload
        if self.ctx.outbox is None or not isinstance(payload, NoteDraft):
            return None
        editor = NoteEditorState(self.ctx, self.ctx.outbox, payload.patient_id, "",
                                 encounter_id=payload.encounter_id, note_type=payload.note_type, title=payload.title,
                                 text=payload.text, saved=item, client_id=item.id)
        self._push(editor)
        return editor

    def open_messages(self) -> MessagesState:
        screen = MessagesState(self.ctx)
        self._push(screen)
        self._background(screen.refresh())
        return screen

    def open_compose(self, about: PatientState | None = None) -> ComposeState | None:
        if self.ctx.outbox is None:
            return None
        about_patient = about.patient if about is not None else None
        screen = ComposeState(self.ctx, self.ctx.outbox, about_patient_id=about_patient.id if about_patient else None,
                              about_patient_name=about_patient.name if about_patient else None)
        self._push(screen)
        return screen

    def open_outbox(self) -> None:
        if self.outbox is not None:
            self._push(self.outbox)

    # ------------------------------------------------------------ lab results and notifications

    def open_trend(self, patient: PatientState, result: LabResult) -> TrendState | None:
        """The history of one analyte of the patient's lab tab, as a screen of its own."""
        panel = patient.labs.panel if patient.labs else None
        if panel is None or patient.patient is None:
            return None
        started = time.perf_counter()
        trend = TrendState(patient.patient_id, patient.patient.name, result.name, result.unit,
                           panel.history_of(result.analyte) or (result,))
        self._push(trend)
        self.ctx.event("trend_view", duration_ms=elapsed_ms(started), patient_id=patient.patient_id,
                       group=str(result.group), points=len(trend.points))
        return trend

    async def open_notification(self, item: Notification) -> None:
        """Mark it read and open what it is about: the lab tab, the patient, or itself."""
        view = self.notifications.open(item)
        if item.patient_id is None or view not in (NotificationView.LAB, NotificationView.OVERVIEW):
            return
        screen = await self.open_patient(item.patient_id, opened_from="notification")
        if view is NotificationView.LAB and screen.overview is not None and screen.labs is not None:
            screen.open_tab("lab")
            await screen.labs.opened()

    def open_scan(self) -> ScanState:
        screen = ScanState(self.ctx, decode_image=self.decode_image)
        self._push(screen)
        return screen

    def first_sight(self, raw: str) -> bool:
        """False for the second report of one scan: a burst into a focused field arrives both as
        keystrokes and as the field's submit."""
        key = "".join(c for c in raw if c.isalnum())
        now = time.monotonic()
        seen = self._last_scan is not None and self._last_scan[0] == key and now - self._last_scan[1] < 2.0
        self._last_scan = (key, now)
        return not seen

    async def submit_manual_scan(self, screen: ScanState) -> None:
        self._last_scan = None
        await self.finish_scan(screen, await screen.submit_manual())

    async def submit_search(self) -> None:
        """Enter in the search field: a wristband payload (GS1) is a scan, anything else a search."""
        if is_gs1_payload(self.search.text):
            await self.scanned(self.search.text, "scanner")
        else:
            await self.search.search_now()

    async def scanned(self, raw: str, source: str) -> None:
        """A scanner's payload: look it up on the scan screen."""
        if not self.first_sight(raw):
            return
        self._typing = False
        if not self.stack:
            self.search.clear()  # the burst may also have landed in the search field
        screen = self.current_scan or self.open_scan()
        await self.finish_scan(screen, await screen.submit(raw, source))

    async def finish_scan(self, screen: ScanState, patient: PatientSummary | None) -> None:
        if patient is not None:
            await self.open_patient(patient.id, patient, opened_from="scan", scanned=True)

    def typing(self, focused: bool) -> None:
        self._typing = focused

    @property
    def scanning_allowed(self) -> bool:
        """A scanner burst counts on the search tab and on the scan screen (not on a patient), and
        not while a text field has focus: a burst into a field arrives as that field's submit."""
        if self.phase is not Phase.ACTIVE or self._typing:
            return False
        if self.stack:
            return isinstance(self.stack[-1], ScanState)
        return self.tab is Tab.SEARCH

    @property
    def current_scan(self) -> ScanState | None:
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, ScanState) else None

    def back(self) -> bool:
        """Close the top screen (a document, then a patient); False when at a tab already."""
        if not self.stack:
            return False
        top = self.stack[-1]
        if isinstance(top, PatientState) and top.document_id is not None:
            top.open_document(None)
            return True
        if isinstance(top, ScanState):
            top.left()
        self.stack = self.stack[:-1]
        return True

    @property
    def current_patient(self) -> PatientState | None:
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, PatientState) else None
