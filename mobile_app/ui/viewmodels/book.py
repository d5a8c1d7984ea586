"""The appointment book ("Timebok"): my appointments for a day (the previous or next day by a swipe
or the arrows, any day by the date picker), or a colleague's or clinic's found by name; and
registering a patient as arrived ("Registrer som møtt") with 10 seconds to undo it.

Arrival goes through the outbox at once (it is not lost offline, and is made exactly once); an
undo within the 10 seconds sends the appointment back to ``booked`` through the outbox too, which
replaces an arrival still waiting to be sent, so a quick undo offline sends nothing at all.
A colleague's book shows when and whom, not why, for patients not mine (docs/worklists.md); arrival
is offered only where the EPJ would let me register it (my book, or a patient in my care).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import flet as ft

from mobile_app.domain.roles import Action
from mobile_app.domain.worklists import UNDO_SECONDS, Appointment, ArrivalDraft, BookOwner
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, guarded
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.tasks import conflict_problem
from mobile_app.ui.viewmodels.writing import submit_logged

SEARCH_DEBOUNCE = 0.2


@ft.observable
@dataclass(eq=False, repr=False)
class BookState(PushedScreen):
    TITLE = "book.title"
    USAGE_NAME = None  # loading logs screen_shown with its time
    REFRESHABLE = True

    ctx: AppContext
    owner: BookOwner | None = None  # None: mine
    day: date | None = None  # None: today (hospital time)
    appointments: list[Appointment] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    query: str = ""
    found: list[BookOwner] = field(default_factory=list)
    searching: bool = False  # the "whose book" search is open
    picking: bool = False  # the date picker is open
    arrivals: dict[str, OutboxItem] = field(default_factory=dict)  # appointment id -> its latest write
    undo_id: str | None = None  # the appointment whose arrival may be undone
    undo_until: datetime | None = None
    revision: int = 0
    _unsubscribe: Callable[[], None] | None = None
    _search_job: asyncio.Task[None] | None = None
    _undo_timer: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        if self.day is None:
            self.day = self.ctx.today()
        if self.ctx.outbox is not None:
            self._unsubscribe = self.ctx.outbox.on_change(self._outbox_changed)

    # ------------------------------------------------------------ whose book, which day

    @property
    def me(self) -> BookOwner | None:
        user = self.ctx.session.user
        return BookOwner(kind="Practitioner", id=user.practitioner_id, name=user.name) if user else None

    @property
    def whose(self) -> BookOwner | None:
        return self.owner or self.me

    @property
    def mine(self) -> bool:
        me = self.me
        return self.owner is None or (me is not None and self.owner.reference == me.reference)

    @property
    def shown_day(self) -> date:
        return self.day or self.ctx.today()

    async def load(self) -> None:
        owner = self.whose
        if owner is None:
            return
        started = time.perf_counter()
        self.status = Status.LOADING
        day = self.shown_day
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.appointment_book(owner, day))
        if owner != self.whose or day != self.shown_day:
            return  # the user moved on while it loaded
        if problem is not None:
            self.problem, self.status = problem, Status.ERROR
            self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), outcome="failure",
                           screen="appointment_book", cached=False)
            return
        self.appointments, self.problem, self.status = list(found), None, Status.READY
        self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), screen="appointment_book", cached=False,
                       outcome="success" if self.appointments else "empty")

    async def refresh(self) -> None:
        await self.load()

    async def go_to(self, day: date) -> None:
        if day != self.shown_day:
            self.day = day
            self.appointments = []
            await self.load()

    async def next_day(self) -> None:
        await self.go_to(self.shown_day + timedelta(days=1))

    async def previous_day(self) -> None:
        await self.go_to(self.shown_day - timedelta(days=1))

    async def today(self) -> None:
        await self.go_to(self.ctx.today())

    def open_search(self) -> None:
        self.searching, self.query, self.found = True, "", []

    def close_search(self) -> None:
        self.searching, self.query, self.found = False, "", []

    async def search(self, text: str) -> None:
        """Colleagues and clinics by name (after a short pause in typing)."""
        self.query = text
        if self._search_job is not None:
            self._search_job.cancel()
        if len(text.strip()) < 2:
            self.found = []
            return
        self._search_job = asyncio.get_running_loop().create_task(self._search(text))

    async def _search(self, text: str) -> None:
        await asyncio.sleep(SEARCH_DEBOUNCE)
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.find_books(text))
        if text != self.query:
            return
        self.found, self.problem = (list(found), None) if problem is None else ([], problem)

    async def choose(self, owner: BookOwner | None) -> None:
        """Show ``owner``'s book (None: mine again), the same day."""
        me = self.me
        self.owner = None if owner is None or (me is not None and owner.reference == me.reference) else owner
        self.close_search()
        self.appointments = []
        await self.load()

    # ------------------------------------------------------------ arrival and undo

    def shown(self, appointment: Appointment) -> Appointment:
        """The appointment with an arrival (or its undo) on its way or made."""
        item = self.arrivals.get(appointment.id)
        if item is None or item.state is ItemState.FAILED:
            return appointment
        stored = item.result.appointment if item.result is not None else None
        if stored is not None:  # the EPJ's status and version; the patient as the book showed them
            return appointment.model_copy(update={"status": stored.status, "version": stored.version})
        payload = item.payload
        assert isinstance(payload, ArrivalDraft)
        return appointment.model_copy(update={"status": payload.status})

    @property
    def rows(self) -> list[Appointment]:
        return [self.shown(a) for a in self.appointments]

    def may_arrive(self, appointment: Appointment) -> bool:
        """Offered to doctors and nurses, on a booked appointment whose patient the EPJ shows me in
        full (my book, or a patient in my care)."""
        shown = self.shown(appointment)
        return self.ctx.may(Action.REGISTER_ARRIVAL) and shown.may_arrive and not shown.subsetted \
            and not self.sending(appointment)

    def sending(self, appointment: Appointment) -> bool:
        item = self.arrivals.get(appointment.id)
        return item is not None and item.state in (ItemState.WAITING, ItemState.SENDING)

    def failure(self, appointment: Appointment) -> Problem | None:
        item = self.arrivals.get(appointment.id)
        return conflict_problem(item) if item is not None else None

    @property
    def can_undo(self) -> bool:
        return self.undo_id is not None and self.undo_until is not None and self.ctx.now() < self.undo_until

    @property
    def undo_seconds_left(self) -> float:
        if not self.can_undo or self.undo_until is None:
            return 0.0
        return max(0.0, (self.undo_until - self.ctx.now()).total_seconds())

    async def register_arrival(self, appointment: Appointment) -> OutboxItem | None:
        if not self.may_arrive(appointment):
            return None
        item = await self._send(appointment, arrived=True)
        if item is not None:
            self.undo_id, self.undo_until = appointment.id, self.ctx.now() + timedelta(seconds=UNDO_SECONDS)
            self._start_undo_timer()
        return item

    def _start_undo_timer(self) -> None:
        """Take "Angre" away when the 10 seconds are over (a late tap is refused anyway)."""
        if self._undo_timer is not None:
            self._undo_timer.cancel()

        async def expire() -> None:
            await asyncio.sleep(UNDO_SECONDS + 0.1)
            self.expire_undo()

        try:
            self._undo_timer = asyncio.get_running_loop().create_task(expire())
        except RuntimeError:
            self._undo_timer = None

    async def undo(self) -> OutboxItem | None:
        """Put the appointment back to booked; only within the 10 seconds after registering it."""
        if not self.can_undo:
            self.expire_undo()
            return None
        appointment = next((a for a in self.appointments if a.id == self.undo_id), None)
        self.undo_id, self.undo_until = None, None
        if appointment is None:
            return None
        return await self._send(appointment, arrived=False)

    def expire_undo(self) -> None:
        """The 10 seconds are over (the screen's timer, or a late tap)."""
        if self.undo_id is not None and not self.can_undo:
            self.undo_id, self.undo_until = None, None

    async def _send(self, appointment: Appointment, *, arrived: bool) -> OutboxItem | None:
        user, outbox = self.ctx.session.user, self.ctx.outbox
        if user is None or outbox is None:
            return None
        shown = self.shown(appointment)
        draft = ArrivalDraft(appointment_id=appointment.id, version=shown.version, arrived=arrived,
                             patient_id=appointment.patient_id, author_id=user.practitioner_id, author_name=user.name,
                             patient_name=appointment.patient_name, start=appointment.start)
        item, problem = await submit_logged(self.ctx, outbox, draft)
        self.problem = problem
        if item is not None:
            self.arrivals[appointment.id] = item
        return item

    def _outbox_changed(self, items: list[OutboxItem]) -> None:
        for item in items:
            payload = item.payload
            if isinstance(payload, ArrivalDraft):
                known = self.arrivals.get(payload.appointment_id)
                if known is not None and known.id == item.id:
                    self.arrivals[payload.appointment_id] = item
        self.revision += 1

    # ------------------------------------------------------------ leaving

    def leave(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._search_job is not None:
            self._search_job.cancel()
        if self._undo_timer is not None:
            self._undo_timer.cancel()

    def forget(self) -> None:
        self.leave()
        self.appointments = []
        self.found = []
        self.arrivals.clear()
        self.undo_id = None
