"""Writing to the record: the outbox as the screens see it, own and ward notes, and what every
writing screen shares (input problems, usage events). Every write goes through the outbox, so none
is lost on bad Wi-Fi and none is sent twice. The journal-note editor is in note_editor.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import flet as ft

from mobile_app.domain.models import NoteItem, PatientNoteKind
from mobile_app.domain.recording import Payload
from mobile_app.domain.roles import Action
from mobile_app.domain.writing import (
    PATIENT_NOTE_LIMIT,
    PatientNoteDraft,
    WriteDraft,
    input_problems,
)
from mobile_app.epj.errors import InputRejected
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxError, OutboxItem, Reason
from mobile_app.ui import format as fmt
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms, guarded
from mobile_app.ui.viewmodels.pushed import PushedScreen

# The usage log's name for each kind of write.
USAGE_NOTE_TYPES = {"note": "journal_note", "own-note": "own_note", "ward-note": "ward_note", "message": "message",
                    "vital-signs": "vital_signs", "thrombosis-risk": "thrombosis_risk", "spo2-scale": "spo2_scale",
                    "task-status": "task_status", "arrival": "arrival"}
_DELIVERY = {ItemState.SENT: "direct", ItemState.FAILED: "failed"}  # anything else is queued


def log_created(ctx: AppContext, item: OutboxItem, started: float) -> None:
    """The usage event of a saved write: sent at once (direct), waiting (queued) or refused (failed)."""
    ctx.event("note_created", duration_ms=elapsed_ms(started), patient_id=item.patient_id,
              delivery=_DELIVERY.get(item.state, "queued"), note_type=USAGE_NOTE_TYPES.get(item.kind, "journal_note"))


async def submit_logged(ctx: AppContext, outbox: Outbox, draft: Payload,
                        refused: str = "write.not_changeable") -> tuple[OutboxItem | None, Problem | None]:
    """Hand a new write to the outbox and log it; the problem (``refused``) when the outbox refused it."""
    started = time.perf_counter()
    try:
        item = await outbox.submit(draft)
    except (InputRejected, OutboxError):
        return None, Problem(refused, retryable=False)
    log_created(ctx, item, started)
    return item, None


def watch_deliveries(ctx: AppContext, outbox: Outbox) -> Callable[[], None]:
    """Log ``note_delivered`` when a write that waited (more than one try) reaches the EPJ, also
    after a restart. Returns the function that stops watching."""
    waiting: set[str] = set()

    def changed(items: list[OutboxItem]) -> None:
        for item in items:
            if item.state is not ItemState.SENT:
                waiting.add(item.id)
            elif item.id in waiting:
                waiting.discard(item.id)
                if item.attempts > 1:
                    took = max(0.0, (item.updated - item.created).total_seconds() * 1000)
                    ctx.event("note_delivered", duration_ms=took, patient_id=item.patient_id,
                              note_type=USAGE_NOTE_TYPES.get(item.kind, "journal_note"), attempts=item.attempts)

    return outbox.on_change(changed)


def input_problem(draft: WriteDraft) -> Problem | None:
    """The first thing wrong with a draft, as a message (nothing is sent while there is one)."""
    problems = input_problems(draft)
    if not problems:
        return None
    first = problems[0]
    return Problem(f"write.{first.field}.{first.problem}", {"limit": first.limit or 0, "length": first.length or 0},
                   retryable=False)


def too_long(field_name: str, text: str, limit: int) -> Problem | None:
    """The refusal, with the count, for text over its limit (shown while typing; nothing is cut)."""
    if len(text) <= limit:
        return None
    return Problem(f"write.{field_name}.too_long", {"limit": limit, "length": len(text)}, retryable=False)


def after_typing(problem: Problem | None, field_name: str, text: str, limit: int) -> Problem | None:
    """The problem to show once the field's text changed: the refusal with its count over the
    limit; else the earlier problem, unless it was about this field."""
    refusal = too_long(field_name, text, limit)
    if refusal is not None:
        return refusal
    return None if problem is not None and problem.key.startswith(f"write.{field_name}") else problem


def item_problem(item: OutboxItem) -> Problem | None:
    """Why an item has not been sent (yet), for its row in the outbox."""
    error = item.last_error
    if item.state is ItemState.SENT or error is None:
        return None
    if error.reason is Reason.CONFLICT:
        when = fmt.clock(error.changed_at)
        if not error.changed_by:  # the EPJ did not say who: say so plainly
            return Problem("write.reason.conflict_someone", {"time": when})
        return Problem("write.reason.conflict", {"name": error.changed_by, "time": when})
    return Problem(f"write.reason.{error.reason}", {"status": error.status or "", "detail": error.detail})


@ft.observable
@dataclass(eq=False, repr=False)
class OutboxState(PushedScreen):
    """A live copy of the author's outbox items for the screens (newest first)."""

    TITLE = "outbox.title"
    USAGE_NAME = "outbox"

    outbox: Outbox
    items: list[OutboxItem] = field(default_factory=list)
    _unsubscribe: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._unsubscribe = self.outbox.on_change(self._changed)
        self.items = self.outbox.items

    def _changed(self, items: list[OutboxItem]) -> None:
        self.items = list(items)

    def forget(self) -> None:
        self.items = []  # the outbox forgets the author's items too, and says so

    @property
    def persistent(self) -> bool:
        return self.outbox.persistent

    @property
    def pending(self) -> list[OutboxItem]:
        return [item for item in self.items if item.pending]

    def for_patient(self, patient_id: str) -> list[OutboxItem]:
        return [item for item in self.items if item.patient_id == patient_id]

    async def retry(self, item_id: str) -> Problem | None:
        try:
            await self.outbox.retry(item_id)
        except OutboxError:
            return Problem("write.not_changeable", retryable=False)
        return None

    def discard(self, item_id: str) -> Problem | None:
        try:
            self.outbox.discard(item_id)
        except OutboxError:
            return Problem("write.not_changeable", retryable=False)
        return None


@ft.observable
@dataclass(eq=False)
class PatientNotesState:
    """The own note and the ward note of one patient, and editing them (with version checks)."""

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    own: NoteItem | None = None
    ward: NoteItem | None = None
    patient_name: str = ""  # shown with a waiting save in the outbox
    editing: PatientNoteKind | None = None
    text: str = ""
    problem: Problem | None = None
    waiting: bool = False  # the last save is in the outbox, waiting for the network

    @property
    def limit(self) -> int:
        return PATIENT_NOTE_LIMIT

    def set_text(self, text: str) -> None:
        """Keep the text as typed or pasted; over the limit the refusal and the count show at once."""
        self.text = text
        self.problem = after_typing(self.problem, "text", text, self.limit)

    def may_edit(self, kind: PatientNoteKind) -> bool:
        return self.ctx.may(Action.EDIT_OWN_NOTE if kind == "own-note" else Action.EDIT_WARD_NOTE)

    def start(self, kind: PatientNoteKind) -> None:
        if not self.may_edit(kind):
            return
        note = self.own if kind == "own-note" else self.ward
        self.editing = kind
        self.text = note.text if note else ""
        self.problem = None

    def cancel(self) -> None:
        self.editing = None
        self.problem = None

    async def save(self) -> bool:
        kind = self.editing
        user = self.ctx.session.user
        if kind is None or user is None or not self.may_edit(kind):
            return False
        note = self.own if kind == "own-note" else self.ward
        draft = PatientNoteDraft(kind=kind, patient_id=self.patient_id, text=self.text, author_id=user.practitioner_id,
                                 version=note.version if note else None, note_id=note.id if note else None,
                                 patient_name=self.patient_name or None, author_name=user.name or None)
        self.problem = input_problem(draft)
        if self.problem is not None:
            return False
        item, self.problem = await submit_logged(self.ctx, self.outbox, draft)
        if item is None:
            return False
        if item.state is ItemState.SENT and item.result is not None and item.result.note is not None:
            self._set(item.result.note)
            self.editing = None
            self.waiting = False
            return True
        if item.state is ItemState.FAILED:
            self.problem = item_problem(item)  # e.g. changed by NAME at TIME: the text stays to retry
            return False
        self.waiting = True  # it will be sent when the network is back
        self.editing = None
        self._set(NoteItem(id=note.id if note else "", kind=kind, patient_id=self.patient_id, text=self.text,
                           version=note.version if note else None, author_id=user.practitioner_id,
                           modified_by=user.name))
        return True

    async def reload(self) -> None:
        """After a conflict: fetch the newer version; the user's own text stays in the editor."""
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.list_own_and_ward_notes(self.patient_id))
        if problem is not None:
            self.problem = problem
            return
        own, ward = found
        self.own, self.ward = own, ward
        self.problem = None

    def _set(self, note: NoteItem) -> None:
        if note.kind == "own-note":
            self.own = note
        else:
            self.ward = note
