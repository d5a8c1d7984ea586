"""Internal messages: the inbox and sent list, and writing to a colleague found by name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Colleague, Message
from mobile_app.domain.writing import MessageDraft
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded
from mobile_app.ui.viewmodels.writing import input_problem, item_problem, submit_logged

SEARCH_DEBOUNCE = 0.2


@ft.observable
@dataclass(eq=False)
class MessagesState:
    ctx: AppContext
    box: str = "inbox"  # inbox | sent
    inbox: list[Message] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    open_id: str | None = None

    @property
    def shown(self) -> list[Message]:
        return self.inbox if self.box == "inbox" else self.sent

    @property
    def unread(self) -> int:
        return sum(1 for m in self.inbox if m.read_at is None)

    @property
    def opened(self) -> Message | None:
        return next((m for m in [*self.inbox, *self.sent] if m.id == self.open_id), None)

    async def refresh(self) -> None:
        user = self.ctx.session.user
        if user is None:
            return
        self.status = Status.LOADING
        me = user.practitioner_id
        both, problem = await guarded(self.ctx, lambda: asyncio.gather(self.ctx.client.inbox(me),
                                                                        self.ctx.client.sent_messages(me)))
        if problem is not None:
            self.problem, self.status = problem, Status.ERROR
            return
        inbox, sent = both
        self.inbox, self.sent = list(inbox), list(sent)
        self.problem, self.fetched_at, self.status = None, self.ctx.now(), Status.READY

    async def open(self, message_id: str) -> None:
        """Show a message; an unread one in the inbox is marked read on the server."""
        self.open_id = message_id
        message = self.opened
        user = self.ctx.session.user
        if message is None or user is None or message.read_at is not None or self.box != "inbox":
            return
        _, problem = await guarded(self.ctx, lambda: self.ctx.client.mark_read(user.practitioner_id, [message_id]))
        if problem is None:
            now = self.ctx.now()
            self.inbox = [m.model_copy(update={"read_at": now}) if m.id == message_id else m for m in self.inbox]


@ft.observable
@dataclass(eq=False)
class ComposeState:
    """A new message: find the colleague by name, write, send (through the outbox)."""

    ctx: AppContext
    outbox: Outbox
    about_patient_id: str | None = None
    about_patient_name: str | None = None
    query: str = ""
    found: list[Colleague] = field(default_factory=list)
    searching: bool = False
    recipient: Colleague | None = None
    text: str = ""
    problem: Problem | None = None
    sent: OutboxItem | None = None
    _seq: int = 0

    async def search(self, query: str) -> None:
        """Names as you type; a slower answer for an older query never replaces a newer one."""
        self.query = query
        self._seq += 1
        seq = self._seq
        if len(query.strip()) < 2:
            self.found = []
            return
        await asyncio.sleep(SEARCH_DEBOUNCE)
        if seq != self._seq:
            return
        self.searching = True
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.search_practitioners(query.strip()))
        if seq != self._seq:
            return
        self.searching = False
        self.problem = problem
        me = self.ctx.session.user
        self.found = [c for c in (found or []) if me is None or c.id != me.practitioner_id]

    def choose(self, colleague: Colleague | None) -> None:
        self.recipient = colleague
        if colleague is not None:
            self.found = []
            self.query = colleague.name
            if self.problem is not None and self.problem.key == "write.no_recipient":
                self.problem = None

    async def send(self) -> OutboxItem | None:
        user = self.ctx.session.user
        if user is None:
            return None
        if self.recipient is None:
            self.problem = Problem("write.no_recipient", retryable=False)
            return None
        draft = MessageDraft(author_id=user.practitioner_id, recipient_id=self.recipient.id,
                             recipient_name=self.recipient.name, text=self.text,
                             about_patient_id=self.about_patient_id)
        self.problem = input_problem(draft)
        if self.problem is not None:
            return None
        item, self.problem = await submit_logged(self.ctx, self.outbox, draft)
        if item is None:
            return None
        if item.state is ItemState.FAILED:
            self.problem = item_problem(item)
            return None
        self.sent = item
        return item
