"""Internal messages: the inbox and sent list, and writing to a colleague found by name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Colleague, Message
from mobile_app.domain.writing import MESSAGE_LIMIT, MessageDraft
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.writing import after_typing, input_problem, item_problem, submit_logged

SEARCH_DEBOUNCE = 0.2


@ft.observable
@dataclass(eq=False, repr=False)
class MessagesState(PushedScreen):
    TITLE = "messages.title"
    USAGE_NAME = "messages"
    REFRESHABLE = True

    ctx: AppContext
    box: str = "inbox"  # inbox | sent
    inbox: list[Message] = field(default_factory=list)
    sent: list[Message] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    open_id: str | None = None

    def forget(self) -> None:
        self.inbox = []
        self.sent = []
        self.open_id = None

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

    def reply_to(self, message: Message) -> Colleague | None:
        """Who a reply goes to: the sender of a message to me, the recipient of one I sent."""
        if self.box == "sent" or (message.sender_id is None and message.recipient_id is not None):
            return Colleague(id=message.recipient_id, name=message.recipient_name or "?") \
                if message.recipient_id else None
        return Colleague(id=message.sender_id, name=message.sender_name or "?") if message.sender_id else None

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
@dataclass(eq=False, repr=False)
class ComposeState(PushedScreen):
    """A new message: find the colleague by name (or reply: the colleague is chosen), write, send
    (through the outbox)."""

    TITLE = "messages.new"
    USAGE_NAME = "messages"

    ctx: AppContext
    outbox: Outbox
    about_patient_id: str | None = None
    about_patient_name: str | None = None
    banner: BannerFacts | None = None  # a message about a patient shows the patient's banner
    query: str = ""
    found: list[Colleague] = field(default_factory=list)
    searching: bool = False
    recipient: Colleague | None = None
    text: str = ""
    problem: Problem | None = None
    sent: OutboxItem | None = None
    machine: bool = False  # a machine transcript was put into the text: the author reads it before sending
    _seq: int = 0

    @property
    def about_a_patient(self) -> bool:
        return self.about_patient_id is not None

    def forget(self) -> None:
        self.text = ""
        self.found = []
        self.about_patient_name = None
        self.banner = None

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

    @property
    def limit(self) -> int:
        return MESSAGE_LIMIT

    def set_text(self, text: str) -> None:
        """Keep the message as typed or pasted; over the limit the refusal and the count show at once."""
        self.text = text
        self.problem = after_typing(self.problem, "text", text, self.limit)

    def add_transcript(self, text: str) -> None:
        """A dictation's machine transcript after what is written, marked until the message is sent."""
        self.set_text(f"{self.text.rstrip()}\n{text}".strip() if self.text.strip() else text)
        self.machine = True

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
        draft = MessageDraft(author_id=user.practitioner_id, author_name=user.name, recipient_id=self.recipient.id,
                             recipient_name=self.recipient.name, text=self.text,
                             about_patient_id=self.about_patient_id, about_patient_name=self.about_patient_name)
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
