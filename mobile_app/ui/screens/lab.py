"""The patient's Lab tab: blood tests (newest per analyte by group, new, pending, signing) and
microbiology, with the "follow lab results" switch. A tap on a result opens its history."""

from __future__ import annotations

from datetime import date

import flet as ft

from mobile_app.domain.models import LabResult
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import lab as widgets
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import ScrollHandler, scrolling
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.labs import BLOOD, MICRO, LabState
from mobile_app.ui.viewmodels.patient import PatientState


@ft.component
def LabTab(app: AppState, screen: PatientState, labs: LabState, t: Messages,
           scrolled: ScrollHandler | None = None) -> ft.Control:
    today = app.ctx.today()

    async def section(e: ft.Event[ft.SegmentedButton]) -> None:
        app.touch()
        chosen = e.control.selected[0] if e.control.selected else BLOOD
        await labs.show_section(chosen)

    chooser = ft.Container(padding=ft.Padding.only(left=12, right=12, top=8, bottom=4), content=ft.Row([
        ft.SegmentedButton(
            # Words only: with an icon, Flutter keeps a segment 40 px high whatever its padding.
            selected=[labs.section], on_change=section, show_selected_icon=False, expand=True,
            style=theme.segmented_style(),
            segments=[ft.Segment(value=BLOOD, label=ft.Text(t("lab.section.blood"))),
                      ft.Segment(value=MICRO, label=ft.Text(t("lab.section.micro")))]),
    ]))
    async def reload() -> None:
        app.touch()
        await labs.reload()

    async def retry_micro() -> None:
        app.touch()
        await labs.load_micro()

    if labs.section == MICRO:
        fixed = states.stale_above(t, problem=labs.micro_problem if labs.micro_status is Status.ERROR else None,
                                   has_data=labs.micro is not None, fetched_at=None, on_retry=retry_micro)
        return ft.Column([chooser, *fixed,
                          ft.Container(_scrolling(_micro(app, labs, t, today), scrolled), expand=True)],
                         spacing=0, expand=True)
    fixed = states.stale_above(t, problem=labs.problem if labs.status is Status.ERROR else None,
                               has_data=labs.panel is not None, fetched_at=labs.fetched_at, on_retry=reload)
    parts: list[ft.Control] = [chooser, *fixed,
                               ft.Container(_scrolling(_results(app, screen, labs, t, today), scrolled), expand=True)]
    if labs.signable():
        parts.append(_sign_bar(app, labs, t))
    return ft.Column(parts, spacing=0, expand=True)


def _scrolling(content: ft.Control, scrolled: ScrollHandler | None) -> ft.Control:
    return scrolling(content, scrolled) if scrolled is not None else content


def _follow(app: AppState, labs: LabState, t: Messages) -> ft.Control:
    async def toggle(e: ft.Event[ft.Switch]) -> None:
        app.touch()
        await labs.set_following(bool(e.control.value))

    on = bool(labs.following)
    hint = t("lab.follow_on") if on else t("lab.follow_off")
    if labs.follow_problem is not None:
        hint = problem_text(t, labs.follow_problem)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=2),
        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE if on else ft.Icons.NOTIFICATIONS_OFF_OUTLINED,
                    color=ft.Colors.PRIMARY if on else ft.Colors.ON_SURFACE_VARIANT),
            ft.Column(spacing=0, expand=True, controls=[
                ft.Text(t("lab.follow"), weight=ft.FontWeight.W_600),
                ft.Text(hint, size=14, color=ft.Colors.ERROR if labs.follow_problem else ft.Colors.ON_SURFACE_VARIANT),
            ]),
            ft.Switch(value=on, on_change=toggle, disabled=labs.follow_busy or labs.following is None,
                      height=theme.TOUCH),
        ]),
    )


def _banner(text: str, icon: ft.IconData, fg: str, bg: str, action: ft.Control | None = None) -> ft.Control:
    row: list[ft.Control] = [ft.Icon(icon, color=fg), ft.Text(text, color=fg, expand=True, size=14)]
    return ft.Container(bgcolor=bg, border_radius=8, margin=ft.Margin.symmetric(horizontal=12, vertical=4),
                        padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                        content=ft.Column([ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.START),
                                           *([action] if action else [])], spacing=4,
                                          horizontal_alignment=ft.CrossAxisAlignment.END))


def _results(app: AppState, screen: PatientState, labs: LabState, t: Messages, today: date) -> ft.Control:
    async def reload() -> None:
        app.touch()
        await labs.reload()

    controls: list[ft.Control] = [_follow(app, labs, t)]
    controls += states.status_block(
        t, loading=labs.status is Status.LOADING, has_data=labs.panel is not None, fetched_at=labs.fetched_at,
        problem=labs.problem if labs.status is Status.ERROR else None, on_retry=reload)
    if labs.conflict is not None:
        controls.append(_banner(problem_text(t, labs.conflict), ft.Icons.SYNC_PROBLEM, "#FFFFFF", theme.CRITICAL,
                                ft.FilledButton(t("lab.reload"), icon=ft.Icons.REFRESH, on_click=reload,
                                                height=theme.TOUCH, bgcolor="#FFFFFF", color=theme.CRITICAL)))
    if labs.sign_problem is not None:
        controls.append(_banner(problem_text(t, labs.sign_problem), ft.Icons.ERROR_OUTLINE,
                                theme.WARNING_FG, theme.WARNING_BG))
    if labs.signed_now:
        controls.append(_banner(t("lab.signed_now", count=labs.signed_now), ft.Icons.VERIFIED,
                                theme.CONFIRM_FG, theme.CONFIRM_BG))
    panel = labs.panel
    if panel is None:
        return ft.ListView(controls, expand=True)
    status = [t("state.fetched", time=fmt.clock(labs.fetched_at))] if labs.fetched_at else []
    if labs.new_count:
        status.append(t("lab.new_count", count=labs.new_count))
    controls.append(ft.Container(ft.Text(" · ".join(status), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.only(left=16, right=16, top=4)))
    if not panel.latest and not panel.pending:
        controls.append(states.empty(t("pt.no_labs"), ft.Icons.SCIENCE_OUTLINED))
    for group, results in labs.groups():
        controls.append(states.section(t(f"lab.group.{group.value}")))
        controls.extend(_row(app, screen, labs, t, today, r) for r in results)
    if labs.pending:
        controls.append(states.section(t("lab.pending")))
        controls.extend(widgets.pending_row(t, r, today) for r in labs.pending)
    if not panel.complete:
        controls.append(ft.Container(ft.Text(t("lab.incomplete"), size=14, italic=True), padding=16))
    controls.append(ft.Container(height=16))
    return ft.ListView(controls, expand=True)


def _row(app: AppState, screen: PatientState, labs: LabState, t: Messages, today: date,
         result: LabResult) -> ft.Control:
    signable = any(r.id == result.id for r in labs.signable())

    async def toggle() -> None:
        app.touch()
        labs.toggle(result.id)

    async def open_trend() -> None:
        app.touch()
        app.open_trend(screen, result)

    return widgets.result_row(t, result, today, new=labs.is_new(result), selected=result.id in labs.selected,
                              on_toggle=toggle if signable else None, on_open=open_trend, signing=labs.may_sign)


def _sign_bar(app: AppState, labs: LabState, t: Messages) -> ft.Control:
    async def select_all() -> None:
        app.touch()
        labs.select_all()

    async def sign() -> None:
        app.touch()
        await labs.sign()

    every = len(labs.signable())
    count = len(labs.selected)
    label = t("lab.signing") if labs.signing else t("lab.sign", count=count)
    return ft.Container(
        bgcolor=ft.Colors.SURFACE_CONTAINER, padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        content=ft.Row(alignment=ft.MainAxisAlignment.SPACE_BETWEEN, controls=[
            ft.TextButton(t("lab.select_none") if count == every else t("lab.select_all", count=every),
                          icon=ft.Icons.DESELECT if count == every else ft.Icons.SELECT_ALL,
                          on_click=select_all, height=theme.TOUCH),
            ft.FilledButton(label, icon=ft.Icons.DRAW, on_click=sign, disabled=not count or labs.signing,
                            height=theme.TOUCH),
        ]),
    )


def _micro(app: AppState, labs: LabState, t: Messages, today: date) -> ft.Control:
    async def retry() -> None:
        app.touch()
        await labs.load_micro()

    controls: list[ft.Control] = states.status_block(
        t, loading=labs.micro_status is Status.LOADING, has_data=labs.micro is not None, fetched_at=None,
        problem=labs.micro_problem if labs.micro_status is Status.ERROR else None, on_retry=retry)
    if labs.micro is not None and not labs.micro:
        controls.append(states.empty(t("micro.none"), ft.Icons.BIOTECH))
    for report in labs.micro or []:
        controls.append(widgets.micro_report(t, report, today))
    return ft.ListView(controls, expand=True, padding=ft.Padding.only(bottom=16))

