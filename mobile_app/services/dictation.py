"""From a finished recording to what the author gets: the audio encoded for sending, a machine
transcript from the hospital's speech service (when one is configured and answers), and the
dictation handed to the outbox for the transcription workflow ("Send til skriving").

Every speech failure becomes one reason code the UI words (``SpeechOutcome.problem``); when the
service is unreachable, busy or down, the dictation can still be sent to the secretaries.
"""

from __future__ import annotations

from dataclasses import dataclass

from mobile_app.domain.dictation import MachineTranscript, TranscriptSegment
from mobile_app.services.audio_encode import EncodedAudio
from mobile_app.services.speech_client import (
    NoSpeechHeard,
    RecordingEmpty,
    RecordingTooLong,
    RecordingUnsupported,
    SpeechClient,
    SpeechError,
    SpeechNotAllowed,
    SpeechUnavailable,
)

_PROBLEMS: tuple[tuple[type[SpeechError], str], ...] = (
    (NoSpeechHeard, "no_speech"),
    (RecordingEmpty, "empty"),
    (RecordingTooLong, "too_long"),
    (RecordingUnsupported, "unsupported"),
    (SpeechUnavailable, "unreachable"),  # unreachable, busy, engine down: send to the secretaries instead
    (SpeechNotAllowed, "not_allowed"),
)


@dataclass(frozen=True)
class SpeechOutcome:
    transcript: MachineTranscript | None
    problem: str | None = None  # a reason code (dictation.speech.<code> in the message catalogue)

    @property
    def send_instead(self) -> bool:
        """The service could not help: the dictation should go to the transcription workflow."""
        return self.problem in ("unreachable", "not_configured", "not_allowed", "failed")


async def transcribe(speech: SpeechClient | None, audio: EncodedAudio, ward: str | None = None) -> SpeechOutcome:
    if speech is None:
        return SpeechOutcome(None, "not_configured")
    try:
        result = await speech.transcribe(audio.data, content_type=audio.content_type, ward=ward)
    except SpeechError as error:
        code = next((c for kind, c in _PROBLEMS if isinstance(error, kind)), "failed")
        return SpeechOutcome(None, code)
    segments = tuple(TranscriptSegment(text=s.text, band=s.band, start=s.start) for s in result.segments)
    if not any(s.text.strip() for s in segments):
        return SpeechOutcome(None, "no_speech")
    return SpeechOutcome(MachineTranscript(segments=segments, model=result.info.model,
                                           weak_model=result.info.model_quality == "weak"))
