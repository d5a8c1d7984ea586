"""Recording vital signs, one-handed on a phone: the patient's banner, NEWS2 and qSOFA live on top,
then large numeric fields with steppers (Enter moves to the next), each with its points and the
previous value, air or oxygen, ACVPU, and Lagre at the bottom within reach of the thumb.

A refused value says why beside its field; an unusual one asks to be confirmed there. Back with
values entered asks first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from mobile_app.domain.news2 import Consciousness, Parameter
from mobile_app.domain.vital_entry import LIMITS, OxygenDevice, Verdict, VitalField, shown
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.patient import with_form_banner
from mobile_app.ui.components.recording import live_score_card, points_chip
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.vitals_form import VitalsFormState

Handler = Callable[..., Awaitable[Any]]
_EXAMPLE = {VitalField.TEMPERATURE: "37,5", VitalField.OXYGEN_FLOW: "2"}


def verdict_text(t: Messages, form: VitalsFormState, field: VitalField) -> str | None:
    """Why a value is refused, or that it is unusual (None: nothing to say)."""
    checked = form.checked(field)
    limits = LIMITS[field]
    if checked.verdict is Verdict.NOT_A_NUMBER:
        return t("vitals.verdict.not_a_number", example=_EXAMPLE.get(field, "18"))
    if checked.verdict is Verdict.TOO_PRECISE:
        return t(f"vitals.verdict.too_precise.{limits.decimals}")
    if checked.value is None:
        return None
    if checked.verdict is Verdict.IMPOSSIBLE:
        low, high = limits.possible
        return t("vitals.verdict.impossible", value=shown(field, checked.value), unit=limits.unit,
                 low=shown(field, low), high=shown(field, high))
    if form.needs_confirmation(field):
        return t("vitals.verdict.unusual", value=shown(field, checked.value), unit=limits.unit)
    return None


def _toggle(label: str, selected: bool, on_click: Handler, t: Messages, *, expand: bool = True,
            key: str | None = None) -> ft.Control:
    """A choice among a few: filled when chosen, and says so to a screen reader."""
    style = ft.ButtonStyle(shape=ft.RoundedRectangleBorder(radius=8))
    button: ft.Control = (ft.FilledButton(label, icon=ft.Icons.CHECK, on_click=on_click, height=theme.TOUCH,
                                          style=style, key=key) if selected else
                          ft.OutlinedButton(label, on_click=on_click, height=theme.TOUCH, style=style, key=key))
    return ft.Semantics(selected=selected, expand=expand, content=button)  # the button says its own name


def _discard_dialog(app: AppState, form: VitalsFormState, t: Messages) -> ft.AlertDialog | None:
    if not form.confirm_discard:
        return None

    async def keep() -> None:
        app.touch()
        form.keep_entering()

    async def discard() -> None:
        app.touch()
        form.discard()
        app.nav.back()

    return ft.AlertDialog(
        modal=True, title=ft.Text(t("vitals.unsaved_title")), content=ft.Text(t("vitals.unsaved_body")),
        actions=[ft.TextButton(t("vitals.discard"), on_click=discard, style=ft.ButtonStyle(color=ft.Colors.ERROR)),
                 ft.FilledButton(t("vitals.keep"), on_click=keep)])


def _field_refs() -> dict[VitalField, ft.Ref[ft.TextField]]:
    return {f: ft.Ref[ft.TextField]() for f in VitalField}


@dataclass(frozen=True)
class _RowView:
    """Everything one field's row shows, compared by value: a keystroke renders (and diffs) only the
    row that changed, not all seven (which took the keystroke-to-score time over 50 ms)."""

    field: VitalField
    name: str
    unit: str
    text: str
    previous: str
    points: int | None
    spoken_points: str
    message: str | None
    refused: bool
    confirm_label: str | None
    confirmed: bool
    decrease: str
    increase: str


def text_to_show(typed: str, on_page: str | None, app_changes: int, sent_changes: int) -> str:
    """The text a field's control is rendered with. What the user typed is already on the page,
    and the page's own value (``on_page``, kept up to date by Flet before each change event) is
    rendered back unchanged, so no patch goes out for it: a render that ran before the handler of
    the latest keystroke would otherwise send an older text (``typed``) to the page, which resets
    the field's text and, in Flutter's web engine, can pull the focus back to that field. Only
    after the app itself changed the text (``app_changes`` above the ``sent_changes`` already
    rendered), or before the control exists, is the form's text sent."""
    if on_page is None or app_changes != sent_changes:
        return typed
    return on_page


def _row_view(t: Messages, form: VitalsFormState, field: VitalField, text: str) -> _RowView:
    name = t(f"vitals.field.{field.value}")
    limits = LIMITS[field]
    previous = form.previous_of(field)
    points = form.points(field)
    message = verdict_text(t, form, field)
    checked = form.checked(field)
    confirm_label = None
    if message is not None and not checked.refused and checked.value is not None:
        confirm_label = t("vitals.confirm", value=shown(field, checked.value), unit=limits.unit)
    return _RowView(
        field=field, name=name, unit=limits.unit, text=text,
        previous=(t("vitals.previous", value=f"{shown(field, previous)} {limits.unit}") if previous is not None
                  else t("vitals.previous_none")),
        points=points,
        spoken_points=t("vitals.points_spoken", name=name, points=points) if points is not None else "",
        message=message, refused=checked.refused, confirm_label=confirm_label,
        confirmed=message is None and checked.verdict is Verdict.UNUSUAL,
        decrease=t("vitals.decrease", name=name.lower()), increase=t("vitals.increase", name=name.lower()))


class _RowActions:
    """The handlers of every field's row, made once per form (a new function on every render would
    make each row differ from the last and render again)."""

    def __init__(self, app: AppState, form: VitalsFormState, refs: dict[VitalField, ft.Ref[ft.TextField]]) -> None:
        self.refs = refs
        self.typed = {f: self._typed(app, form, f) for f in VitalField}
        self.submitted = {f: self._submitted(app, form, f) for f in VitalField}
        self.down = {f: self._stepper(app, form, f, -1) for f in VitalField}
        self.up = {f: self._stepper(app, form, f, 1) for f in VitalField}
        self.confirm = {f: self._confirmer(app, form, f) for f in VitalField}
        self.focused: Callable[[], None] = lambda: app.scans.typing(True)
        self.blurred: Callable[[], None] = lambda: app.scans.typing(False)

    @staticmethod
    def _typed(app: AppState, form: VitalsFormState, field: VitalField) -> Handler:
        async def changed(e: ft.Event[ft.TextField]) -> None:
            app.touch()
            form.set_text(field, e.control.value or "")
        return changed

    def _submitted(self, app: AppState, form: VitalsFormState, field: VitalField) -> Handler:
        async def next_field(e: ft.Event[ft.TextField]) -> None:
            """Enter: the focus moves to the next field first (before anything re-renders the form,
            which would leave a control not yet patched in), then the value is kept if it changed."""
            app.touch()
            following = form.next_field(field)
            for _ in range(25):  # a render patches the new control in within a round trip; 0.5 s at most
                target: ft.TextField | None = self.refs[following].current if following is not None else None
                if target is None:
                    break
                try:
                    await target.focus()  # type: ignore[no-untyped-call]  # untyped in Flet
                    break
                except RuntimeError:  # the field was replaced by a render just now: the next one is mounted
                    await asyncio.sleep(0.02)
            if (e.control.value or "") != form.text(field):
                form.set_text(field, e.control.value or "")
        return next_field

    @staticmethod
    def _stepper(app: AppState, form: VitalsFormState, field: VitalField, direction: int) -> Handler:
        async def step() -> None:
            app.touch()
            form.step(field, direction)
        return step

    @staticmethod
    def _confirmer(app: AppState, form: VitalsFormState, field: VitalField) -> Handler:
        async def confirm() -> None:
            app.touch()
            form.confirm(field)
        return confirm


@ft.component
def _FieldRow(row: _RowView, actions: _RowActions, t: Messages) -> ft.Control:
    """One numeric field with its steppers, previous value, points and what is wrong with it."""
    field = row.field
    under: list[ft.Control] = [ft.Row(spacing=6, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
        ft.Text(row.previous, size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
        ft.Semantics(label=row.spoken_points, container=True, content=points_chip(t, row.points))])]
    if row.message is not None:
        refused = row.refused
        # An unusual value on its warning background (that colour on the page is unreadable in dark mode).
        under.append(ft.Container(
            bgcolor=None if refused else theme.WARNING_BG, border_radius=6,
            padding=ft.Padding.symmetric(horizontal=0 if refused else 6, vertical=0 if refused else 4),
            content=ft.Row(spacing=6, vertical_alignment=ft.CrossAxisAlignment.START, controls=[
                ft.Icon(ft.Icons.BLOCK if refused else ft.Icons.WARNING_AMBER,
                        color=ft.Colors.ERROR if refused else theme.WARNING_FG, size=18),
                ft.Text(row.message, size=14, expand=True, weight=ft.FontWeight.W_600,
                        color=ft.Colors.ERROR if refused else theme.WARNING_FG)])))
        if row.confirm_label is not None:
            under.append(ft.OutlinedButton(
                row.confirm_label, icon=ft.Icons.CHECK,
                on_click=actions.confirm[field], height=theme.TOUCH, key=f"confirm-{field.value}"))
    elif row.confirmed:
        under.append(ft.Row([chip(t("vitals.confirmed"), theme.CONFIRM_FG, theme.CONFIRM_BG, ft.Icons.CHECK)]))
    return ft.Container(
        key=f"row-{field.value}", padding=ft.Padding.symmetric(horizontal=16, vertical=4),
        content=ft.Column(spacing=2, controls=[
            ft.Row(spacing=4, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                ft.IconButton(ft.Icons.REMOVE, on_click=actions.down[field], width=theme.TOUCH,
                              height=theme.TOUCH, tooltip=row.decrease),
                ft.TextField(
                    ref=actions.refs[field], key=f"field-{field.value}",
                    label=row.name, label_style=ft.TextStyle(size=14), value=row.text,
                    suffix=ft.Text(row.unit, size=14), keyboard_type=ft.KeyboardType.NUMBER, text_size=24,
                    expand=True,
                    text_align=ft.TextAlign.CENTER,
                    error=row.message if row.refused else None, error_max_lines=3,
                    on_change=actions.typed[field], on_submit=actions.submitted[field],
                    on_focus=actions.focused, on_blur=actions.blurred),
                ft.IconButton(ft.Icons.ADD, on_click=actions.up[field], width=theme.TOUCH, height=theme.TOUCH,
                              tooltip=row.increase),
            ]),
            *under,
        ]))


# Rendered again only when its view (or the language) changed.
_field_row: Callable[[_RowView, _RowActions, Messages], ft.Control] = ft.memo(_FieldRow)  # type: ignore[no-untyped-call]


@shows(VitalsFormState)
@ft.component
def VitalsFormScreen(app: AppState, form: VitalsFormState, t: Messages) -> ft.Control:
    refs: ft.MutableRef[dict[VitalField, ft.Ref[ft.TextField]]] = ft.use_ref(_field_refs)
    ft.use_dialog(_discard_dialog(app, form, t))
    actions = ft.use_memo(lambda: _RowActions(app, form, refs.current or _field_refs()), [app, form])

    sent: ft.MutableRef[dict[VitalField, int]] = ft.use_ref(dict)  # the app's changes already rendered

    def number_row(field: VitalField) -> ft.Control:
        control = (refs.current or {}).get(field)
        live = control.current if control is not None else None
        changes, rendered = form.app_changes.get(field, 0), (sent.current or {}).get(field, 0)
        text = text_to_show(form.text(field), live.value if live is not None else None, changes, rendered)
        if sent.current is not None:
            sent.current[field] = changes
        return _field_row(_row_view(t, form, field, text), actions, t)

    async def air() -> None:
        app.touch()
        form.set_oxygen(False)

    async def oxygen() -> None:
        app.touch()
        form.set_oxygen(True)

    def device_chooser(device: OxygenDevice) -> Handler:
        async def choose() -> None:
            app.touch()
            form.set_device(None if form.device is device else device)
        return choose

    def level_chooser(level: Consciousness) -> Handler:
        async def choose() -> None:
            app.touch()
            form.set_consciousness(level)
        return choose

    def scale_chooser(scale: int) -> Handler:
        async def choose() -> None:
            app.touch()
            await form.choose_scale(1 if scale == 1 else 2)
        return choose

    def section(title: str, *controls: ft.Control, points: int | None = None, key: str) -> ft.Control:
        head: list[ft.Control] = [ft.Text(title, weight=ft.FontWeight.BOLD, size=14, expand=True)]
        if points is not None:
            head.append(points_chip(t, points))
        return ft.Container(key=key, padding=ft.Padding.only(left=16, right=16, top=8, bottom=4),
                            content=ft.Column(spacing=6, controls=[ft.Row(head), *controls]))

    # SpO2 and its scale
    scale_controls: list[ft.Control] = []
    if form.may_choose_scale:
        scale_controls.append(ft.Row(spacing=8, controls=[
            _toggle(t("vitals.scale", scale=1), form.scale == 1, scale_chooser(1), t, key="scale-1"),
            _toggle(t("vitals.scale", scale=2), form.scale == 2, scale_chooser(2), t, key="scale-2")]))
    if form.scale == 2:
        scale_controls.append(ft.Text(t("vitals.scale2_note"), size=14))
    elif not form.hypercapnic:
        scale_controls.append(ft.Text(t("vitals.scale1_only"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    else:
        scale_controls.append(ft.Text(t("vitals.scale", scale=1), size=14))
    choice = form.scale_choice
    if choice is not None and choice.chosen_by:
        scale_controls.append(ft.Text(t("vitals.scale_by", name=choice.chosen_by, time=fmt.day_time(choice.chosen_at)),
                                      size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    if form.hypercapnic and not form.may_choose_scale:
        scale_controls.append(ft.Text(t("vitals.scale_doctor"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    if form.scale_item is not None and form.scale_item.state is not ItemState.SENT:
        scale_controls.append(ft.Container(
            bgcolor=theme.WARNING_BG, border_radius=6, padding=ft.Padding.symmetric(horizontal=6, vertical=4),
            content=ft.Text(item_status(t, form.scale_item), size=14, color=theme.WARNING_FG)))

    oxygen_controls: list[ft.Control] = [ft.Row(spacing=8, controls=[
        _toggle(t("vitals.air"), form.on_oxygen is False, air, t, key="air"),
        _toggle(t("vitals.oxygen"), form.on_oxygen is True, oxygen, t, key="oxygen")])]
    earlier = form.previous_oxygen
    if earlier is not None:
        said = t("vitals.air") if earlier.value == 0 else " · ".join(
            x for x in (f"{shown(VitalField.OXYGEN_FLOW, earlier.value)} L/min" if earlier.value else "",
                        *earlier.details) if x)
        oxygen_controls.append(ft.Text(t("vitals.previous", value=said), size=14,
                                       color=ft.Colors.ON_SURFACE_VARIANT))
    if form.on_oxygen:
        oxygen_controls.append(ft.Text(t("vitals.device"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
        oxygen_controls.append(ft.Row(wrap=True, spacing=8, run_spacing=8, controls=[
            _toggle(t(f"vitals.device.{d.value}"), form.device is d, device_chooser(d), t, expand=False,
                    key=f"device-{d.value}") for d in OxygenDevice]))

    previous_level = form.previous_consciousness
    levels: list[ft.Control] = [
        _toggle(t(f"vitals.acvpu.{level.value}"), form.consciousness is level, level_chooser(level), t,
                expand=False, key=f"acvpu-{level.value}")
        for level in Consciousness]
    if previous_level is not None:
        levels.append(ft.Text(t("vitals.previous", value=t(f"vitals.acvpu.{previous_level.value}")), size=14,
                              color=ft.Colors.ON_SURFACE_VARIANT))

    scores = form.score.scores
    air_points = scores.get(Parameter.AIR_OR_OXYGEN)
    consciousness_points = scores.get(Parameter.CONSCIOUSNESS)
    rows: list[ft.Control] = [
        number_row(VitalField.RESPIRATION),
        number_row(VitalField.SPO2),
        ft.Container(key="scale", padding=ft.Padding.symmetric(horizontal=16),
                     content=ft.Column(scale_controls, spacing=4)),
        section(t("vitals.field.oxygen"), *oxygen_controls, points=air_points, key="oxygen-section"),
        *([number_row(VitalField.OXYGEN_FLOW)] if form.on_oxygen else []),
        number_row(VitalField.SYSTOLIC),
        number_row(VitalField.DIASTOLIC),
        number_row(VitalField.PULSE),
        section(t("vitals.field.consciousness"),
                ft.Column(levels, spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                points=consciousness_points, key="acvpu-section"),
        number_row(VitalField.TEMPERATURE),
        ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=8), key="hint",
                     content=ft.Text(t("vitals.outbox_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT)),
    ]

    async def save() -> None:
        app.touch()
        item = await form.save()
        if item is not None and item.state is not ItemState.FAILED:
            app.after_recorded(form)

    status: list[ft.Control] = []
    if form.problem is not None:
        status.append(ft.Row(spacing=6, controls=[
            ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ERROR, size=18),
            ft.Text(problem_text(t, form.problem), color=ft.Colors.ERROR, weight=ft.FontWeight.W_600, expand=True)]))
    current = form.current
    if current is not None and current.state is ItemState.FAILED:
        status.append(ft.Text(item_status(t, current), color=ft.Colors.ERROR, size=14))
    save_bar = ft.Container(
        key="save-bar", padding=ft.Padding.only(left=16, right=16, top=6, bottom=10),
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Column(spacing=4, controls=[
            *status,
            ft.FilledButton(t("vitals.saving") if form.busy else t("vitals.save"), icon=ft.Icons.SAVE,
                            on_click=save, disabled=form.busy, height=56, width=10_000),
        ]))
    body = ft.Column(spacing=0, expand=True, controls=[
        live_score_card(t, form.score, form.response, form.qsofa),
        # A Column, not a lazy ListView: every field exists, so Enter can move the focus to one below the
        # fold (Flutter scrolls a focused field into view).
        ft.Container(ft.Column(rows, spacing=2, scroll=ft.ScrollMode.AUTO,
                               expand=True), expand=True, key="fields", padding=ft.Padding.only(bottom=12)),
        save_bar,
    ])
    return with_form_banner(t, form.banner, app.ctx.today(), body)
