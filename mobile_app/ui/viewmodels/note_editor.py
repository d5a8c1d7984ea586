"""The journal-note editor: type, title and text, saved as a draft or signed and sent, through the
outbox (so nothing is lost on bad Wi-Fi and nothing is sent twice).

Clinical text is never lost or cut without a word:

- Back with unsaved text asks first (keep writing, save as a draft, or discard);
- text over the limit stays as it was typed or pasted; the count and the refusal show at once, and
  nothing is saved or sent until it is shortened;
- a draft (new here, in the outbox, or in the record) is continued with the same client id, so saving
  or signing it updates the same note.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import flet as ft

from mobile_app.domain.dictation import MachineTranscript
from mobile_app.domain.writing import (
    NOTE_TEXT_LIMIT,
    NOTE_TITLE_LIMIT,
    NOTE_TYPES,
    PROGRESS_NOTE,
    NoteDraft,
    NoteStatus,
)
from mobile_app.epj.errors import InputRejected
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import OutboxError, OutboxItem, UnknownItem
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.writing import after_typing, input_problem, log_created


@ft.observable
@dataclass(eq=False, repr=False)
class NoteEditorState(PushedScreen):
    """A journal note being written, or a draft being continued."""

    TITLE = "note.title_screen"
    USAGE_NAME = "note_editor"

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    patient_name: str
    encounter_id: str | None = None
    note_type: str = PROGRESS_NOTE
    title: str = ""
    text: str = ""
    problem: Problem | None = None
    saved: OutboxItem | None = None  # the outbox item of the last save (as it stood then)
    client_id: str | None = None  # kept across saves: the same note is updated, never duplicated
    busy: bool = False
    banner: BannerFacts | None = None  # the patient's banner (name, fødselsnummer, critical information)
    confirm_discard: bool = False  # Back was pressed with unsaved text: the user is asked
    machine: MachineTranscript | None = None  # text from the speech service is in the draft: marked
    machine_checked: bool = False  # the author says they have checked the machine-transcribed text
    _baseline: tuple[str, str, str] = field(default=("", "", ""), init=False)  # as last saved or opened
    _leaving: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._baseline = self._content()

    @property
    def about_a_patient(self) -> bool:
        return True

    def forget(self) -> None:
        self.text = ""
        self.title = ""
        self.patient_name = ""
        self.banner = None
        self._baseline = ("", "", "")

    # ------------------------------------------------------------ what the editor shows

    @property
    def note_types(self) -> dict[str, str]:
        """The note types the user's role writes, the default first."""
        return {kind: NOTE_TYPES[kind] for kind in self.ctx.permissions.note_types if kind in NOTE_TYPES}

    @property
    def limit(self) -> int:
        return NOTE_TEXT_LIMIT

    @property
    def title_limit(self) -> int:
        return NOTE_TITLE_LIMIT

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def too_long(self) -> bool:
        return self.length > self.limit or len(self.title) > self.title_limit

    @property
    def current(self) -> OutboxItem | None:
        """The saved note as it stands now (the outbox may have sent it since)."""
        if self.client_id is not None:
            try:
                return self.outbox.get(self.client_id)
            except UnknownItem:
                pass
        return self.saved

    @property
    def dirty(self) -> bool:
        """Whether there is text that has not been saved."""
        return self._content() != self._baseline and bool(self.text.strip() or self.title.strip())

    def _content(self) -> tuple[str, str, str]:
        return self.note_type, self.title, self.text

    # ------------------------------------------------------------ typing

    def set_text(self, text: str) -> None:
        """Keep the text exactly as typed or pasted; over the limit the refusal shows at once."""
        self.text = text
        self._check_lengths()

    def add_transcript(self, transcript: MachineTranscript) -> None:
        """Put a machine transcript into the draft (after what is written), marked as such: it is
        signed only once the author has said it is checked."""
        self.text = f"{self.text.rstrip()}\n{transcript.text}".strip() if self.text.strip() else transcript.text
        self.machine, self.machine_checked = transcript, False

    def set_machine_checked(self, checked: bool) -> None:
        self.machine_checked = checked
        if checked and self.problem is not None and self.problem.key == "dictation.check_before_signing":
            self.problem = None

    def set_title(self, title: str) -> None:
        self.title = title
        self._check_lengths()

    def set_type(self, note_type: str) -> None:
        if note_type in self.note_types:
            self.note_type = note_type

    def _check_lengths(self) -> None:
        problem = after_typing(self.problem, "title", self.title, self.title_limit)
        self.problem = after_typing(problem, "text", self.text, self.limit)

    # ------------------------------------------------------------ saving

    def _draft(self, status: NoteStatus) -> NoteDraft:
        user = self.ctx.session.user
        assert user is not None
        draft = NoteDraft(patient_id=self.patient_id, encounter_id=self.encounter_id, note_type=self.note_type,
                          title=self.title, text=self.text, status=status, author_id=user.practitioner_id,
                          author_name=user.name, patient_name=self.patient_name or None)
        return draft.model_copy(update={"client_id": self.client_id}) if self.client_id else draft

    async def save(self, sign: bool) -> OutboxItem | None:
        """Save as a draft or sign and send; the outbox keeps it if the network is away."""
        if self.busy:
            return None
        draft = self._draft(NoteStatus.FINAL if sign else NoteStatus.DRAFT)
        self.problem = input_problem(draft)
        if self.problem is None and not self.ctx.permissions.may_write(self.note_type):
            self.problem = Problem("write.note_type.not_allowed", retryable=False)
        if self.problem is None and sign and self.machine is not None and not self.machine_checked:
            self.problem = Problem("dictation.check_before_signing", retryable=False)
        if self.problem is not None:
            return None
        self.busy = True
        started = time.perf_counter()
        waiting = self.current
        try:
            if waiting is not None and waiting.pending:
                item = await self.outbox.edit(waiting.id, draft)
            else:
                item = await self.outbox.submit(draft)
        except InputRejected:
            self.problem = input_problem(draft) or Problem("write.text.empty", retryable=False)
            return None
        except OutboxError:
            self.problem = Problem("write.not_changeable", retryable=False)
            return None
        finally:
            self.busy = False
        log_created(self.ctx, item, started)
        self.client_id = item.id
        self.saved = item
        self._baseline = self._content()
        return item

    # ------------------------------------------------------------ leaving

    def step_back(self) -> bool:
        """Back with unsaved text asks first instead of closing."""
        if self._leaving or not self.dirty:
            return False
        self.confirm_discard = True
        return True

    def keep_writing(self) -> None:
        self.confirm_discard = False

    def discard(self) -> None:
        """The user chose to throw the unsaved text away: the next Back closes the editor."""
        self.confirm_discard = False
        self._leaving = True

    async def save_draft_and_leave(self) -> bool:
        """Save the text as a draft; True when saved (the next Back closes the editor)."""
        self.confirm_discard = False
        if await self.save(sign=False) is None:
            return False
        self._leaving = True
        return True
