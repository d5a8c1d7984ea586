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

from mobile_app.domain.models import PatientSummary
from mobile_app.epj.errors import AuthError
from mobile_app.services.session import Phase
from mobile_app.ui.viewmodels.base import AppContext, Problem
from mobile_app.ui.viewmodels.login import LockState, LoginState
from mobile_app.ui.viewmodels.my_patients import MyPatientsState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.scan import ImageDecoder, ScanState, is_gs1_payload
from mobile_app.ui.viewmodels.search import SearchState
from mobile_app.ui.viewmodels.ward import WardState


class Tab(StrEnum):
    MY_PATIENTS = "my"
    WARD = "ward"
    SEARCH = "search"
    NOTIFICATIONS = "notifications"


TAB_ORDER = (Tab.MY_PATIENTS, Tab.WARD, Tab.SEARCH, Tab.NOTIFICATIONS)


@ft.observable
@dataclass(eq=False)
class AppState:
    ctx: AppContext
    decode_image: ImageDecoder | None = None
    phase: Phase = Phase.LOGGED_OUT
    tab: Tab = Tab.MY_PATIENTS
    stack: list[PatientState | ScanState] = field(default_factory=list)
    dark: bool = False
    login: LoginState = field(init=False)
    lock: LockState = field(init=False)
    search: SearchState = field(init=False)
    ward: WardState = field(init=False)
    my: MyPatientsState = field(init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _last_scan: tuple[str, float] | None = None
    _typing: bool = False  # a text field has focus: keystrokes belong to it, not to a scan

    def __post_init__(self) -> None:
        self.ctx.on_auth_error = self._auth_failed
        self.ctx.session.on_clear(self.clear)
        self.login = LoginState(self.ctx)
        self.lock = LockState(self.ctx)
        self._fresh_screens()
        if self.ctx.session.restore():
            self.phase = Phase.LOCKED
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

    async def submit_login(self) -> None:
        if await self.login.submit():
            self._fresh_screens()
            self.phase = Phase.ACTIVE
            if self.ctx.session.secure_storage_failed:
                self.login.notice = Problem("login.no_secure_store", retryable=False)
            await self.enter_home()

    async def enter_home(self) -> None:
        await asyncio.gather(self.my.refresh(), self.ward.load())

    async def submit_unlock(self) -> None:
        if await self.lock.unlock():
            self.phase = Phase.ACTIVE

    def lock_now(self) -> None:
        self.ctx.session.lock()
        self.phase = self.ctx.session.phase

    def check_idle(self) -> bool:
        """Called every second by the UI: lock the app after the idle time."""
        if self.ctx.session.check_idle():
            self.phase = Phase.LOCKED
            return True
        return False

    def touch(self) -> None:
        self.ctx.session.touch()

    async def logout(self, notice: str = "login.logged_out") -> None:
        await self.ctx.session.logout()  # runs clear() through the session's on_clear
        self.login.notice = Problem(notice, retryable=False)

    def clear(self) -> None:
        """Drop every piece of patient data and every open screen."""
        for screen in self.stack:
            if isinstance(screen, PatientState):
                screen.overview = None
                screen.summary = None
            else:
                screen.candidates = []
        self._fresh_screens()
        self.login = LoginState(self.ctx)
        self.lock = LockState(self.ctx)
        self.phase = Phase.LOGGED_OUT

    def _auth_failed(self, error: AuthError) -> None:
        self.ctx.session.expire()
        self.login.notice = Problem("login.expired", retryable=False)

    # ------------------------------------------------------------ navigation

    def select_tab(self, tab: Tab) -> None:
        self._typing = False
        self.stack = []
        self.tab = tab

    async def open_patient(self, patient_id: str, summary: PatientSummary | None = None,
                           opened_from: str = "search", scanned: bool = False) -> PatientState:
        screen = PatientState(self.ctx, patient_id, summary=summary, opened_from=opened_from, scanned=scanned)
        if scanned:  # the scan screen has done its job: back goes to where scanning started
            self.stack = [s for s in self.stack if not isinstance(s, ScanState)]
        self.stack = [*self.stack, screen]
        if await screen.load():
            # Recording "recently opened" is a separate write; the screen does not wait for it.
            self._background(self.my.remember(patient_id))
        return screen

    def _background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def open_scan(self) -> ScanState:
        self._typing = False
        screen = ScanState(self.ctx, decode_image=self.decode_image)
        self.stack = [*self.stack, screen]
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
        self.stack = self.stack[:-1]
        return True

    @property
    def current_patient(self) -> PatientState | None:
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, PatientState) else None
