"""The dictation panel's state: record (pause, resume, stop, re-record) with a level meter, the
elapsed time and the 10-minute limit, then either the speech service's transcript into the note
draft (marked machine-transcribed) or "Send til skriving" through the outbox. No Flet control
here: the screen hands over what the recorder reports (started or refused, PCM chunks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import flet as ft

from mobile_app.domain.dictation import MachineTranscript, RecorderState, Recording
from mobile_app.domain.media import DictationDraft
from mobile_app.epj.errors import InputRejected
from mobile_app.services import dictation as dictation_service
from mobile_app.services.audio_encode import EncodedAudio, encode_recording, playback_wav
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxError, OutboxItem
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem
from mobile_app.ui.viewmodels.messages import ComposeState
from mobile_app.ui.viewmodels.navigator import Navigator
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.pushed import PushedScreen


@ft.observable
@dataclass(eq=False, repr=False)
class DictationState(PushedScreen):
    """A dictation about one patient. ``into`` receives a transcript (the note editor it was
    opened from); without one, the screen opens a new note with it."""

    TITLE = "dictation.title"
    USAGE_NAME = "dictation"

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    patient_name: str
    encounter_id: str | None = None
    ward_id: str | None = None
    banner: BannerFacts | None = None  # whom it is about (name, number, critical information), on top
    recording: Recording = field(default_factory=Recording)
    audio: EncodedAudio | None = None
    transcript: MachineTranscript | None = None
    problem: Problem | None = None
    notice: Problem | None = None  # something to know that is no error (the limit stopped the recording)
    sent: OutboxItem | None = None
    busy: bool = False
    playing: bool = False  # the recording is being played back
    # The recording is a plain object (domain): a change inside it reaches no screen by itself, so each
    # step that changes it counts here, and the screen shows the new time, level and buttons.
    changes: int = 0

    def _changed(self) -> None:
        self.changes += 1

    def forget(self) -> None:
        self.playing = False
        self.recording.discard()
        self._changed()
        self.audio = None
        self.transcript = None
        self.patient_name = ""
        self.banner = None

    # ------------------------------------------------------------ what the panel shows

    @property
    def state(self) -> RecorderState:
        return self.recording.state

    @property
    def elapsed(self) -> float:
        return self.recording.elapsed

    @property
    def level(self) -> float:
        return self.recording.level

    @property
    def may_send(self) -> bool:
        return self.audio is not None and not self.busy and self.sent is None

    @property
    def may_play(self) -> bool:
        """A finished recording still on the phone can be listened to before it is sent."""
        return self.state is RecorderState.RECORDED and self.audio is not None and bool(self.recording.pcm)

    # ------------------------------------------------------------ play-back

    def play(self) -> bytes | None:
        """Start playing back: the recording as a WAV in memory for the player (None: nothing to play)."""
        if not self.may_play:
            return None
        self.playing = True
        return playback_wav(bytes(self.recording.pcm), self.recording.rate, self.recording.channels)

    def stop_playing(self) -> None:
        """The author stopped it, or the player reached the end."""
        self.playing = False

    # ------------------------------------------------------------ the recorder

    def started(self, allowed: bool) -> None:
        """The recorder started, or the microphone permission was refused."""
        self.problem = self.notice = None
        self.playing = False
        if not allowed:
            self.problem = Problem("dictation.no_permission", retryable=False)
            return
        self.audio, self.transcript, self.sent = None, None, None
        self.recording.start()
        self._changed()

    def chunk(self, pcm: bytes, at: float | None = None) -> bool:
        """A PCM chunk from the recorder, ``at`` when it arrived (monotonic seconds: how the real rate
        and channels are found); False: the limit is reached and the recording stopped."""
        going = self.recording.add(pcm, at)
        self._changed()
        if not going and self.recording.hit_limit:
            self.notice = Problem("dictation.limit_reached", {"minutes": round(self.recording.limit_seconds / 60)})
            self._finish()
        return going

    def pause(self) -> None:
        self.recording.pause()
        self._changed()

    def resume(self) -> None:
        self.recording.resume()
        self._changed()

    def stop(self) -> None:
        self.recording.stop()
        self._finish()
        self._changed()

    def rerecord(self) -> None:
        self.playing = False
        self.recording.discard()
        self._changed()
        self.audio, self.transcript, self.problem, self.notice, self.sent = None, None, None, None, None

    def _finish(self) -> None:
        if self.recording.empty:
            self.problem = Problem("dictation.empty", retryable=False)
            self.audio = None
            return
        self.audio = encode_recording(bytes(self.recording.pcm), self.recording.rate, self.recording.channels)

    # ------------------------------------------------------------ what becomes of it

    async def transcribe(self) -> MachineTranscript | None:
        """Ask the speech service; the transcript, or a problem saying why not (and, when the service
        could not help, that the dictation can go to the secretaries instead)."""
        if self.audio is None or self.busy:
            return None
        self.busy, self.problem = True, None
        try:
            outcome = await dictation_service.transcribe(self.ctx.speech, self.audio, self.ward_id)
        finally:
            self.busy = False
        self.transcript = outcome.transcript
        if outcome.problem is not None:
            self.problem = Problem(f"dictation.speech.{outcome.problem}", retryable=outcome.send_instead)
        return outcome.transcript

    async def send_to_writing(self) -> OutboxItem | None:
        """"Send til skriving": the recording goes through the outbox (exactly once) to the ward's
        secretary service; it is dropped from the phone once delivered."""
        user = self.ctx.session.user
        if self.audio is None or self.busy or user is None:
            return None
        draft = DictationDraft(patient_id=self.patient_id, patient_name=self.patient_name or None,
                               encounter_id=self.encounter_id, ward_id=self.ward_id,
                               author_id=user.practitioner_id, author_name=user.name, audio=self.audio.data,
                               content_type=self.audio.content_type, duration=self.audio.duration)
        self.busy, self.problem = True, None
        try:
            item = await self.outbox.submit(draft)
        except InputRejected as error:
            self.problem = Problem(f"dictation.invalid.{error.field or 'audio'}", retryable=False)
            return None
        except OutboxError:
            self.problem = Problem("write.not_changeable", retryable=False)
            return None
        finally:
            self.busy = False
        self.sent = item
        if item.state is ItemState.SENT:
            self.playing = False
            self.recording.discard()  # the EPJ has it: nothing is kept here
            self._changed()
        self.audio = None if item.state is ItemState.SENT else self.audio
        return item


def dictation_for(ctx: AppContext, patient: PatientState) -> DictationState | None:
    """A dictation about the open patient, from its overview (None: this app cannot write)."""
    if ctx.outbox is None or patient.patient is None:
        return None
    stay = patient.overview.stay if patient.overview is not None else None
    current = patient.patient.stay  # where the patient lies now: whose secretaries transcribe
    return DictationState(ctx, ctx.outbox, patient.patient_id, patient.patient.name,
                          encounter_id=stay.id if stay else None, ward_id=current.ward_id if current else None,
                          banner=patient.banner)


def transcript_into(nav: Navigator, state: DictationState, transcript: MachineTranscript,
                    open_note: Callable[[PatientState], NoteEditorState | None]) -> bool:
    """Put the transcript where the dictation was opened from and close it: the note being written,
    a message about the patient, or (from the patient's overview) a new note of the role's type.
    False: nowhere to put it (the dictation stays open, to be sent for transcription)."""
    below = nav.stack[-2] if len(nav.stack) > 1 and nav.stack[-1] is state else None
    if isinstance(below, ComposeState) and below.about_patient_id == state.patient_id:
        nav.close(state)
        below.add_transcript(transcript.text)
        return True
    if isinstance(below, NoteEditorState) and below.patient_id == state.patient_id:
        nav.close(state)
        below.add_transcript(transcript)
        return True
    if isinstance(below, PatientState) and below.patient_id == state.patient_id \
            and state.ctx.permissions.default_note_type is not None:
        nav.close(state)
        editor = open_note(below)
        if editor is not None:
            editor.add_transcript(transcript)
            return True
    return False
