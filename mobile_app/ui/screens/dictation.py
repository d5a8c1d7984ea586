"""The dictation panel: record with flet-audio-recorder (raw PCM streamed to Python, held in memory
only; asked for 16 kHz mono, which a browser ignores: the state finds the real format from when the
chunks arrive), pause, resume, stop, re-record, a level meter and the elapsed time against the
10-minute limit; then "Skriv om til tekst" (the speech service, into the note draft) or "Send til
skriving" (the outbox). A finished recording can be played back first with flet-audio, from a WAV
in memory handed to the player as bytes (never a file). All decisions are the state's
(viewmodels/dictation.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import flet as ft
import flet_audio as fta
import flet_audio_recorder as far

from mobile_app.domain.dictation import SAMPLE_RATE, RecorderState
from mobile_app.domain.media import DICTATION_LIMIT_SECONDS
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import theme
from mobile_app.ui.components.patient import with_form_banner
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.dictation import DictationState, transcript_into

PLAYER_LOAD_SECONDS = 10.0


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


@shows(DictationState)
@ft.component
def DictationScreen(app: AppState, state: DictationState, t: Messages) -> ft.Control:
    # flet-audio-recorder is a Flet service, not a control: made once per screen (a new one each
    # render would register another), kept alive by this reference, never put in the control tree.
    held: list[far.AudioRecorder] = ft.use_memo(list, [])
    if not held:
        async def on_stream(e: far.AudioRecorderStreamEvent) -> None:
            if not state.chunk(e.chunk, time.monotonic()):
                await held[0].stop_recording()

        held.append(far.AudioRecorder(on_stream=on_stream, configuration=far.AudioRecorderConfiguration(
            encoder=far.AudioEncoder.PCM16BITS, sample_rate=SAMPLE_RATE, channels=1)))
    recorder = held[0]
    # The player is a service too. Its web side refuses to start without a source, and a play() sent
    # before it has loaded the source is lost: so one player per play-back, made with the recording
    # and played once it says it is loaded; the one before is released.
    players: list[fta.Audio] = ft.use_memo(list, [])

    async def play() -> None:
        app.touch()
        source = state.play()
        if source is None:
            return
        await release_player()
        loaded = asyncio.Event()

        def played(e: fta.AudioStateChangeEvent) -> None:
            if e.state in (fta.AudioState.COMPLETED, fta.AudioState.STOPPED, fta.AudioState.DISPOSED):
                state.stop_playing()

        player = fta.Audio(src=source, on_loaded=lambda _: loaded.set(), on_state_change=played)
        players.append(player)
        try:
            await asyncio.wait_for(loaded.wait(), PLAYER_LOAD_SECONDS)
            await player.play()
        except Exception:  # no player on this platform, or it never loaded
            state.stop_playing()

    async def release_player() -> None:
        while players:
            with contextlib.suppress(Exception):  # already gone with its page
                await players.pop().release()

    async def stop_playing() -> None:
        state.stop_playing()
        await release_player()

    async def record() -> None:
        app.touch()
        if state.playing:
            await stop_playing()
        try:
            allowed = await recorder.has_permission() and bool(await recorder.start_recording())
        except Exception:  # no recorder on this platform: as good as no permission
            allowed = False
        state.started(allowed)

    async def pause() -> None:
        await recorder.pause_recording()
        state.pause()

    async def resume() -> None:
        await recorder.resume_recording()
        state.resume()

    async def stop() -> None:
        await recorder.stop_recording()
        state.stop()

    async def to_note() -> None:
        app.touch()
        if state.playing:
            await stop_playing()
        transcript = await state.transcribe()
        if transcript is None:
            return
        transcript_into(app.nav, state, transcript, app.open_note_editor)

    async def send() -> None:
        app.touch()
        if state.playing:
            await stop_playing()
        await state.send_to_writing()

    def button(label: str, icon: ft.IconData, handler: object, filled: bool = False,
               disabled: bool = False) -> ft.Control:
        kind = ft.FilledButton if filled else ft.OutlinedButton
        return kind(label, icon=icon, on_click=handler, height=theme.TOUCH, disabled=disabled or state.busy,  # type: ignore[arg-type]
                    tooltip=label)

    controls: list[ft.Control] = []
    running = state.state in (RecorderState.RECORDING, RecorderState.PAUSED)
    if state.banner is None and state.patient_name:  # whom it is about, also without the banner
        controls.append(ft.Text(t("dictation.about", name=state.patient_name), weight=ft.FontWeight.W_600))
    recording = state.state is RecorderState.RECORDING
    controls.append(ft.Row(spacing=8, controls=[
        *([ft.Icon(ft.Icons.FIBER_MANUAL_RECORD, color=theme.CRITICAL, size=18)] if recording else []),
        ft.Text(t(f"dictation.status.{status_of(state)}"), size=16, expand=True,
                weight=ft.FontWeight.W_600 if recording else None,
                color=theme.CRITICAL if recording else None),
    ]))
    controls.append(ft.Text(t("dictation.elapsed", time=_clock(state.elapsed),
                              limit=_clock(DICTATION_LIMIT_SECONDS)), size=20, weight=ft.FontWeight.W_600))
    controls.append(ft.Semantics(label=t("dictation.level"), value=f"{round(state.level * 100)} %",
                                 content=ft.ProgressBar(value=state.level, height=12)))
    row: list[ft.Control] = []
    if state.state is RecorderState.RECORDING:
        row += [button(t("dictation.pause"), ft.Icons.PAUSE, pause),
                button(t("dictation.stop"), ft.Icons.STOP, stop, True)]
    elif state.state is RecorderState.PAUSED:
        row += [button(t("dictation.resume"), ft.Icons.MIC, resume),
                button(t("dictation.stop"), ft.Icons.STOP, stop, True)]
    elif state.state is RecorderState.RECORDED:
        if state.playing:
            row.append(button(t("dictation.stop_playing"), ft.Icons.STOP_CIRCLE, stop_playing))
        elif state.may_play:
            row.append(button(t("dictation.play"), ft.Icons.PLAY_ARROW, play))
        row += [button(t("dictation.rerecord"), ft.Icons.REPLAY, record)]
    else:
        row += [button(t("dictation.record"), ft.Icons.MIC, record, True)]
    controls.append(ft.Row(wrap=True, spacing=8, controls=row))
    if state.audio is not None and not running:
        controls.append(ft.Row(wrap=True, spacing=8, controls=[
            button(t("dictation.to_note"), ft.Icons.TEXT_SNIPPET, to_note, disabled=app.ctx.speech is None),
            button(t("dictation.send"), ft.Icons.SEND, send, True, disabled=not state.may_send),
        ]))
    for problem in (state.notice, state.problem):
        if problem is not None:
            controls.append(ft.Text(problem_text(t, problem), color=ft.Colors.ERROR if problem is state.problem
                                    else theme.WARNING_FG, weight=ft.FontWeight.W_600))
    if state.sent is not None:
        key = "dictation.sent" if state.sent.state is ItemState.SENT else "dictation.waiting"
        controls.append(ft.Text(t(key), color=theme.CONFIRM_FG, weight=ft.FontWeight.W_600))
    return with_form_banner(t, state.banner, app.ctx.today(), ft.ListView(padding=16, spacing=12, controls=controls))


def status_of(state: DictationState) -> str:
    """What the recorder is doing, in a word for the status line (a message key's last part)."""
    if state.state is RecorderState.RECORDED and state.playing:
        return "playing"
    return state.state.value
