"""One outbox item as a row: what it is, whether it is sent, waiting or failed (and why), actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.worklists import ArrivalDraft, TaskStatusDraft
from mobile_app.domain.writing import NOTE_TYPES, MessageDraft, NoteDraft, NoteStatus, PatientNoteDraft
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.components.vitals import news2_head
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.writing import item_problem

Handler = Callable[[], Awaitable[Any] | Any]

_STATE_ICONS = {
    ItemState.SENT: (ft.Icons.CHECK_CIRCLE, ft.Colors.PRIMARY),
    ItemState.WAITING: (ft.Icons.SCHEDULE_SEND, ft.Colors.ON_SURFACE_VARIANT),
    ItemState.SENDING: (ft.Icons.SEND, ft.Colors.PRIMARY),
    ItemState.FAILED: (ft.Icons.ERROR, ft.Colors.ERROR),
}


def item_title(t: Messages, item: OutboxItem) -> str:
    payload = item.payload
    if isinstance(payload, NoteDraft):
        kind = NOTE_TYPES.get(payload.note_type, payload.note_type)
        state = t("write.signed") if payload.status == "final" else t("write.draft")
        return f"{payload.title or kind} ({state})"
    if isinstance(payload, PatientNoteDraft):
        return t(f"notes.{payload.kind}")
    if isinstance(payload, VitalSignsDraft):
        score = payload.news2
        head = news2_head(t, score.total, score.complete)
        return f"{t('outbox.kind.vital-signs')} ({head})"
    if isinstance(payload, ThrombosisRiskDraft):
        return t("outbox.kind.thrombosis-risk", total=payload.score.total)
    if isinstance(payload, Spo2ScaleDraft):
        return t("outbox.kind.spo2-scale", scale=payload.scale)
    if isinstance(payload, DictationDraft):
        return t("outbox.kind.dictation", time=fmt.clock(payload.recorded_at))
    if isinstance(payload, PhotoDraft):
        return t("outbox.kind.photo", description=payload.description)
    if isinstance(payload, TaskStatusDraft):
        status = t(f"task.status.{payload.status}") if t.has(f"task.status.{payload.status}") else payload.status
        return f"{t('outbox.kind.task-status', text=payload.task_text)} ({status.lower()})"
    if isinstance(payload, ArrivalDraft):
        key = "outbox.kind.arrival" if payload.arrived else "outbox.kind.arrival-undo"
        return t(key, time=fmt.clock(payload.start) if payload.start else "")
    assert isinstance(payload, MessageDraft)
    return t("messages.to", name=payload.recipient_name or "?")


def item_patient(t: Messages, item: OutboxItem) -> str:
    """Whom the item is about, by name ("" for a message about no patient)."""
    payload = item.payload
    name = payload.about_patient_name if isinstance(payload, MessageDraft) else payload.patient_name
    return t("outbox.patient", name=name) if name else ""


def item_status(t: Messages, item: OutboxItem) -> str:
    """Sent, sending, waiting (and why) or failed; a journal note says whether it was signed."""
    if item.state is ItemState.SENT:
        payload = item.payload
        if isinstance(payload, NoteDraft):
            key = "write.state.signed_sent" if payload.status is NoteStatus.FINAL else "write.state.draft_saved"
            return t(key, time=fmt.clock(item.updated))
        return t("write.state.sent", time=fmt.clock(item.updated))
    if item.state is ItemState.SENDING:
        return t("write.state.sending")
    problem = item_problem(item)
    reason = problem_text(t, problem) if problem is not None else ""
    if item.state is ItemState.FAILED:
        return t("write.state.failed", reason=reason)
    if item.paused:
        return t("write.state.paused")
    return t("write.state.waiting", reason=reason) if reason else t("write.state.queued")


def outbox_row(t: Messages, item: OutboxItem, *, on_retry: Handler | None, on_edit: Handler | None,
               on_discard: Handler | None) -> ft.Control:
    icon, color = _STATE_ICONS[item.state]
    actions: list[ft.Control] = []
    if item.pending and item.state is not ItemState.SENDING:
        if on_retry is not None:
            actions.append(ft.TextButton(t("write.retry"), icon=ft.Icons.REFRESH, on_click=on_retry,
                                         height=theme.TOUCH))
        if on_edit is not None:
            actions.append(ft.TextButton(t("write.edit"), icon=ft.Icons.EDIT, on_click=on_edit, height=theme.TOUCH))
        if on_discard is not None:
            actions.append(ft.TextButton(t("write.discard"), icon=ft.Icons.DELETE_OUTLINE, on_click=on_discard,
                                         height=theme.TOUCH))
    text = getattr(item.payload, "text", "")
    about = item_patient(t, item)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=6),
        content=ft.Column(spacing=2, controls=[
            ft.Row([ft.Icon(icon, color=color, size=20),
                    ft.Text(item_title(t, item), weight=ft.FontWeight.W_600, expand=True)]),
            *([ft.Text(about, weight=ft.FontWeight.W_600)] if about else []),
            ft.Text(item_status(t, item), size=14, color=color),
            ft.Text(text[:140] + ("…" if len(text) > 140 else ""), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            *([ft.Row(actions, wrap=True, spacing=0)] if actions else []),
        ]),
    )
