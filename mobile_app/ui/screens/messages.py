"""Internal messages: inbox and sent (read a message by tapping it), and writing a new one."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import Colleague, Message
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.messages import ComposeState, MessagesState


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

    controls: list[ft.Control] = [ft.Container(padding=ft.Padding.only(left=12, right=12, top=8), content=ft.Row(
        wrap=True, spacing=8, controls=[
            ft.SegmentedButton(selected=[box.box], on_change=choose_box, segments=[
                ft.Segment(value="inbox", label=t("messages.inbox_count", count=box.unread)),
                ft.Segment(value="sent", label=t("messages.sent")),
            ]),
            ft.FilledButton(t("messages.new"), icon=ft.Icons.EDIT, on_click=write, height=theme.TOUCH),
        ]))]
    controls += states.status_block(t, loading=box.status is Status.LOADING, has_data=box.fetched_at is not None,
                                    fetched_at=box.fetched_at,
                                    problem=box.problem if box.status is Status.ERROR else None, on_retry=refresh)
    opened = box.opened
    if opened is not None:
        controls.append(_message_card(t, opened))
    if box.fetched_at is not None and not box.shown:
        controls.append(states.empty(t("messages.none"), ft.Icons.MAIL_OUTLINE))
    for message in box.shown:
        unread = box.box == "inbox" and message.read_at is None
        who = message.sender_name if box.box == "inbox" else t("messages.to", name=message.recipient_name or "?")
        title: list[ft.Control] = [ft.Text(who or "?", weight=ft.FontWeight.BOLD if unread else None, expand=True)]
        if unread:
            title.append(ft.Text(t("messages.unread"), size=11, color=ft.Colors.PRIMARY, weight=ft.FontWeight.BOLD))
        lines = [fmt.day_time(message.sent)]
        if message.about_patient_name:
            lines.append(t("messages.about", name=message.about_patient_name))
        controls.append(ft.ListTile(
            leading=ft.Icon(ft.Icons.MARK_EMAIL_UNREAD if unread else ft.Icons.DRAFTS),
            title=ft.Row(title), subtitle=ft.Text(" · ".join(lines) + "\n" + message.text[:80]),
            is_three_line=True, on_click=opener(message), min_height=theme.TOUCH + 16,
        ))
    return ft.ListView(controls=controls, expand=True)


def _message_card(t: Messages, message: Message) -> ft.Control:
    head = t("messages.from_to", sender=message.sender_name or "?", recipient=message.recipient_name or "?")
    lines: list[ft.Control] = [ft.Text(head, weight=ft.FontWeight.BOLD),
                               ft.Text(fmt.day_time(message.sent), size=12, color=ft.Colors.ON_SURFACE_VARIANT)]
    if message.about_patient_name:
        lines.append(ft.Text(t("messages.about", name=message.about_patient_name), size=13))
    lines.append(ft.Text(message.text))
    return ft.Card(margin=12, content=ft.Container(padding=12, content=ft.Column(lines, spacing=4)))


@ft.component
def ComposeScreen(app: AppState, compose: ComposeState, t: Messages) -> ft.Control:
    async def search(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        compose.recipient = None
        await compose.search(e.control.value or "")

    async def set_text(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        compose.text = e.control.value or ""

    async def send() -> None:
        app.touch()
        if await compose.send() is not None:
            app.back()

    def chooser(colleague: Colleague):  # type: ignore[no-untyped-def]
        async def choose() -> None:
            app.touch()
            compose.choose(colleague)
        return choose

    controls: list[ft.Control] = [
        ft.TextField(label=t("messages.recipient"), value=compose.query, on_change=search,
                     prefix_icon=ft.Icons.PERSON_SEARCH, autocorrect=False),
    ]
    if compose.recipient is not None:
        controls.append(ft.Row([ft.Icon(ft.Icons.CHECK, color=theme.CONFIRM_FG),
                                ft.Text(t("messages.to", name=compose.recipient.name), weight=ft.FontWeight.BOLD)]))
    for colleague in compose.found:
        role = t(f"role.{colleague.role}")
        controls.append(ft.ListTile(leading=ft.Icon(ft.Icons.PERSON), title=ft.Text(colleague.name),
                                    subtitle=ft.Text(" · ".join([role, *colleague.wards])),
                                    on_click=chooser(colleague), min_height=theme.TOUCH))
    if compose.about_patient_name:
        controls.append(ft.Text(t("messages.about", name=compose.about_patient_name)))
    controls += [
        ft.TextField(label=t("messages.text"), value=compose.text, on_change=set_text, multiline=True,
                     min_lines=4, max_length=2000,
                     error=problem_text(t, compose.problem) if compose.problem else None, error_max_lines=3),
        ft.FilledButton(t("messages.send"), icon=ft.Icons.SEND, on_click=send, height=theme.TOUCH),
    ]
    if compose.sent is not None:
        controls.append(ft.Text(item_status(t, compose.sent)))
    return ft.ListView(padding=16, spacing=12, controls=controls, expand=True)
