"""Internal messages: inbox and sent (a tap opens one in full, with "Svar" and "Åpne pasient" when it
is about a patient), and writing a new one or a reply."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile_app.domain.models import Colleague, Message
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.patient import with_form_banner
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.dictation import DictationState
from mobile_app.ui.viewmodels.messages import ComposeState, MessagesState


@shows(MessagesState)
@ft.component
def MessagesScreen(app: AppState, box: MessagesState, t: Messages) -> ft.Control:
    async def choose_box(e: ft.Event[ft.SegmentedButton]) -> None:
        app.touch()
        box.box = (e.control.selected or ["inbox"])[0]
        box.open_id = None

    async def refresh() -> None:
        app.touch()
        await box.refresh()

    async def write() -> None:
        app.touch()
        app.open_compose()

    def opener(message: Message):  # type: ignore[no-untyped-def]
        async def open_message() -> None:
            app.touch()
            await box.open(message.id)
        return open_message

    head = ft.Container(padding=ft.Padding.only(left=12, right=12, top=8, bottom=4), content=ft.Row(
        wrap=True, spacing=8, controls=[
            ft.SegmentedButton(selected=[box.box], on_change=choose_box, style=theme.segmented_style(), segments=[
                ft.Segment(value="inbox", label=t("messages.inbox_count", count=box.unread)),
                ft.Segment(value="sent", label=t("messages.sent")),
            ]),
            ft.FilledButton(t("messages.new"), icon=ft.Icons.EDIT, on_click=write, height=theme.TOUCH),
        ]))
    problem = box.problem if box.status is Status.ERROR else None
    fixed = states.stale_above(t, problem=problem, has_data=box.fetched_at is not None, fetched_at=box.fetched_at,
                               on_retry=refresh)
    controls = states.status_block(t, loading=box.status is Status.LOADING, has_data=box.fetched_at is not None,
                                   fetched_at=box.fetched_at, problem=problem, on_retry=refresh)
    opened = box.opened
    if opened is not None:
        controls.append(_message_card(app, box, t, opened))
    if box.fetched_at is not None and not box.shown:
        controls.append(states.empty(t("messages.none"), ft.Icons.MAIL_OUTLINE))
    for message in box.shown:
        unread = box.box == "inbox" and message.read_at is None
        who = t("notif.from", name=message.sender_name or "?") if box.box == "inbox" \
            else t("messages.to", name=message.recipient_name or "?")
        title: list[ft.Control] = [ft.Text(who, weight=ft.FontWeight.BOLD if unread else None, expand=True)]
        if unread:
            title.append(ft.Text(t("messages.unread"), size=14, color=ft.Colors.PRIMARY, weight=ft.FontWeight.BOLD))
        lines = [fmt.day_time(message.sent)]
        if message.about_patient_name:
            lines.append(t("messages.about", name=message.about_patient_name))
        controls.append(ft.ListTile(
            leading=ft.Icon(ft.Icons.MARK_EMAIL_UNREAD if unread else ft.Icons.DRAFTS),
            title=ft.Row(title), subtitle=ft.Text(" · ".join(lines) + "\n" + message.text[:80]),
            is_three_line=True, on_click=opener(message), min_height=theme.TOUCH + 16,
        ))
    return ft.Column(spacing=0, expand=True, controls=[head, *fixed, ft.ListView(controls=controls, expand=True)])


def _message_card(app: AppState, box: MessagesState, t: Messages, message: Message) -> ft.Control:
    """The opened message in full, with "Svar" and, for a message about a patient, "Åpne pasient"."""
    async def reply() -> None:
        app.touch()
        app.reply(box, message)

    async def open_patient() -> None:
        app.touch()
        await app.open_message_patient(message)

    head = t("messages.from_to", sender=message.sender_name or "?", recipient=message.recipient_name or "?")
    lines: list[ft.Control] = [ft.Text(head, weight=ft.FontWeight.BOLD),
                               ft.Text(fmt.day_time(message.sent), size=14, color=ft.Colors.ON_SURFACE_VARIANT)]
    if message.about_patient_name:
        lines.append(ft.Text(t("messages.about", name=message.about_patient_name), size=14))
    lines.append(ft.Text(message.text, selectable=True))
    actions: list[ft.Control] = []
    if app.ctx.outbox is not None and box.reply_to(message) is not None:
        actions.append(ft.FilledTonalButton(t("messages.reply"), icon=ft.Icons.REPLY, on_click=reply,
                                            height=theme.TOUCH))
    if message.about_patient_id is not None:
        actions.append(ft.OutlinedButton(t("messages.open_patient"), icon=ft.Icons.PERSON, on_click=open_patient,
                                         height=theme.TOUCH))
    if actions:
        lines.append(ft.Row(actions, wrap=True, spacing=8))
    return ft.Card(margin=12, content=ft.Container(padding=12, content=ft.Column(lines, spacing=4)))


@shows(ComposeState)
@ft.component
def ComposeScreen(app: AppState, compose: ComposeState, t: Messages) -> ft.Control:
    async def search(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        compose.recipient = None
        await compose.search(e.control.value or "")

    async def set_text(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        compose.set_text(e.control.value or "")

    async def send() -> None:
        app.touch()
        if await compose.send() is not None:
            app.nav.back()

    async def dictate() -> None:
        app.touch()
        if compose.about_patient_id is not None and app.ctx.outbox is not None:
            app.nav.push(DictationState(app.ctx, app.ctx.outbox, compose.about_patient_id,
                                        compose.about_patient_name or "", banner=compose.banner))

    def chooser(colleague: Colleague):  # type: ignore[no-untyped-def]
        async def choose() -> None:
            app.touch()
            compose.choose(colleague)
        return choose

    # While a field has the focus, a scanner's keystrokes are typing, not a scan.
    typing: dict[str, Any] = {"on_focus": lambda: app.scans.typing(True), "on_blur": lambda: app.scans.typing(False)}
    controls: list[ft.Control] = [
        ft.TextField(label=t("messages.recipient"), value=compose.query, on_change=search,
                     prefix_icon=ft.Icons.PERSON_SEARCH, autocorrect=False, key="recipient", **typing),
    ]
    if compose.recipient is not None:
        controls.append(ft.Row([ft.Icon(ft.Icons.CHECK, color=theme.CONFIRM_FG),
                                ft.Text(t("messages.to", name=compose.recipient.name), weight=ft.FontWeight.BOLD)]))
    for colleague in compose.found:
        role = t(f"role.{colleague.role}")
        controls.append(ft.ListTile(leading=ft.Icon(ft.Icons.PERSON), title=ft.Text(colleague.name),
                                    subtitle=ft.Text(" · ".join([role, *colleague.wards])),
                                    on_click=chooser(colleague), min_height=theme.TOUCH))
    if compose.about_patient_name and compose.banner is None:  # (the banner names the patient already)
        controls.append(ft.Text(t("messages.about", name=compose.about_patient_name), weight=ft.FontWeight.W_600))
    controls += [
        ft.TextField(label=t("messages.text"), value=compose.text, on_change=set_text, multiline=True,
                     min_lines=4, key="message", **typing,  # keyed: the results above come and go
                     # no max_length: Flutter would cut a pasted message without a word
                     error=problem_text(t, compose.problem) if compose.problem else None, error_max_lines=3),
        *([ft.Text(t("dictation.machine"), color=theme.WARNING_FG, weight=ft.FontWeight.W_600)]
          if compose.machine else []),
        ft.FilledButton(t("messages.send"), icon=ft.Icons.SEND, on_click=send, height=theme.TOUCH),
        *([ft.OutlinedButton(t("dictation.open"), icon=ft.Icons.MIC, on_click=dictate, height=theme.TOUCH,
                             tooltip=t("dictation.open"))] if compose.about_patient_id else []),
    ]
    if compose.sent is not None:
        controls.append(ft.Text(item_status(t, compose.sent)))
    content = ft.ListView(padding=16, spacing=12, controls=controls, expand=True)
    return with_form_banner(t, compose.banner, app.ctx.today(), content)
