"""The notification centre: new results for followed patients, messages and tasks to me.

It polls ``notifications(me, since)`` every ``interval`` seconds, but only while the app is in use:
``start`` at login and unlock, ``stop`` at lock, ``set_foreground(False)`` when the app or the
browser tab is hidden, and ``reset`` (stop and forget everything) at logout. Each poll asks only
for what changed since the newest change already shown (the server's clock). ``last_success``
says when the list was last known to be up to date; a failed poll keeps the list and says so.
What the user opened stays read for the session even when the EPJ cannot keep it (new results
for followed patients: FHIR has no "seen by" for them); ``reset`` forgets it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Notification, NotificationView
from mobile_app.epj.notifications import newest_update
from mobile_app.services.session import Phase
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded

DEFAULT_POLL_SECONDS = 30.0
KEEP = 200  # notifications kept in the list


def _newest_first(items: list[Notification]) -> list[Notification]:
    never = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
    return sorted(items, key=lambda n: (n.time or n.updated or never, n.id), reverse=True)


@ft.observable
@dataclass(eq=False)
class UnreadCount:
    """The unread count on its own, so the tab bar re-renders only when the count changes, not on
    every poll."""

    count: int = 0


@ft.observable
@dataclass(eq=False, repr=False)
class NotificationsState:
    ctx: AppContext
    interval: float = DEFAULT_POLL_SECONDS
    items: list[Notification] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    last_success: datetime | None = None
    foreground: bool = True
    opened_id: str | None = None  # a message or task without a patient, shown in full
    badge: UnreadCount = field(default_factory=UnreadCount)
    on_new: Callable[[list[Notification]], None] = lambda found: None  # hears what arrived since last time
    _wanted: bool = False  # polling was started (the user is logged in and the app unlocked)
    _task: asyncio.Task[None] | None = None
    _marking: set[asyncio.Task[None]] = field(default_factory=set)
    _opened: set[str] = field(default_factory=set)  # ids opened this session (stay read)

    def __repr__(self) -> str:  # short and without message texts: Flet logs its messages with repr
        return f"NotificationsState(items={len(self.items)}, unread={self.unread})"

    # ------------------------------------------------------------ what is shown

    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if not n.read)

    def _show(self, items: list[Notification]) -> None:
        self.items = items
        self.badge.count = self.unread

    @property
    def stale(self) -> bool:
        return self.problem is not None

    @property
    def polling(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def opened(self) -> Notification | None:
        return next((n for n in self.items if n.id == self.opened_id), None)

    # ------------------------------------------------------------ polling

    def start(self) -> None:
        """Poll from now on (at once, then every ``interval``), while in the foreground."""
        self._wanted = True
        if self.foreground and not self.polling:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    def stop(self) -> None:
        self._wanted = False
        self._cancel()

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    def set_foreground(self, visible: bool) -> None:
        """The app or browser tab was shown or hidden: polling pauses while hidden."""
        self.foreground = visible
        if not visible:
            self._cancel()
        elif self._wanted:
            self.start()

    def reset(self) -> None:
        """Logout: stop polling and forget every notification."""
        self.stop()
        for task in list(self._marking):
            task.cancel()
        self._show([])
        self._opened.clear()
        self.status = Status.IDLE
        self.problem = None
        self.last_success = None
        self.opened_id = None

    async def _poll(self) -> None:
        while self._wanted and self.ctx.session.phase is Phase.ACTIVE:
            await self.refresh(full=False)
            await asyncio.sleep(self.interval)

    async def refresh(self, full: bool = True) -> None:
        """Fetch what changed since the newest change shown (everything when ``full``)."""
        user = self.ctx.session.user
        if user is None:
            return
        since = None if full else newest_update(self.items)
        self.status = Status.LOADING
        found, problem = await guarded(
            self.ctx, lambda: self.ctx.client.notifications(user.practitioner_id, since))
        if self.ctx.session.user is not user:
            return  # logged out meanwhile: nothing may land in the next user's list
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR
            return
        fresh = {n.id: n.model_copy(update={"read": True}) if n.id in self._opened and not n.read else n
                 for n in found}
        known = {n.id for n in self.items}
        kept = [] if full else [n for n in self.items if n.id not in fresh]
        first = self.last_success is None
        self._show(_newest_first([*fresh.values(), *kept])[:KEEP])
        self.problem = None
        self.last_success = self.ctx.now()
        self.status = Status.READY
        arrived = [n for n in fresh.values() if n.id not in known and not n.read]
        if arrived and not first:  # the first answer is the backlog, not news
            self.on_new(arrived)

    # ------------------------------------------------------------ reading

    def open(self, item: Notification) -> NotificationView:
        """Mark a notification read (at once on screen, in the EPJ in the background) and say what
        to open. A message or task about no patient is shown in full here."""
        self._opened.add(item.id)
        if not item.read:
            self._show([n.model_copy(update={"read": True}) if n.id == item.id else n for n in self.items])
            task = asyncio.get_running_loop().create_task(self._mark_read(item.id))
            self._marking.add(task)
            task.add_done_callback(self._marking.discard)
        has_patient = item.patient_id is not None
        if item.open_view is NotificationView.TASK:  # the task's own screen (app_state.open_task)
            self.opened_id = None
            return NotificationView.TASK
        if item.open_view in (NotificationView.LAB, NotificationView.OVERVIEW) and has_patient:
            self.opened_id = None
            return item.open_view
        self.opened_id = None if self.opened_id == item.id else item.id
        return NotificationView.MESSAGE

    async def _mark_read(self, notification_id: str) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await guarded(self.ctx, lambda: self.ctx.client.mark_notification_read(notification_id))
