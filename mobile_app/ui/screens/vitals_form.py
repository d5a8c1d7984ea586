"""Recording vital signs, one-handed on a phone: the patient's banner, NEWS2 and qSOFA live on top,
then large numeric fields with steppers (Enter moves to the next), each with its points and the
previous value, air or oxygen, ACVPU, and Lagre at the bottom within reach of the thumb.

A refused value says why beside its field; an unusual one asks to be confirmed there. Back with
values entered asks first."""

from __future__ import annotations

import asyncio
import functools
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
from mobile_app.ui.components.recording import live_score, points_chip
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.vitals_form import VitalsFormState

Handler = Callable[..., Awaitable[Any]]
_EXAMPLE = {VitalField.TEMPERATURE: "37,5", VitalField.OXYGEN_FLOW: "2"}


def verdict_text(t: Messages, form: VitalsFormState, field: VitalField) -> str | None:
    """Why a value is refused, or that it is unusual (None: nothing to say). A decimal still being
    typed ("38,") is not called wrong (the error flashed on every decimal typed), only once Lagre
    was pressed with it."""
    checked = form.checked(field)
    limits = LIMITS[field]
    if checked.verdict is Verdict.NOT_A_NUMBER or (checked.verdict is Verdict.UNFINISHED and form.show_problems):
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


@dataclass(frozen=True)
class _Line:
    """A line of text under a section's title, plain, muted or on the warning background."""

    text: str
    style: str = "plain"  # "plain", "muted" or "warning"


def _line(line: _Line) -> ft.Control:
    if line.style == "warning":
        return ft.Container(bgcolor=theme.WARNING_BG, border_radius=6,
                            padding=ft.Padding.symmetric(horizontal=6, vertical=4),
                            content=ft.Text(line.text, size=14, color=theme.WARNING_FG))
    return ft.Text(line.text, size=14, color=ft.Colors.ON_SURFACE_VARIANT if line.style == "muted" else None)


@dataclass(frozen=True)
class _ChoicesView:
    """What the SpO2-scale, air-or-oxygen and consciousness sections show, compared by value: a
    keystroke in a number field renders and diffs none of them (their buttons were most of what each
    keystroke built and compared)."""

    scale: tuple[bool, int, tuple[_Line, ...]]  # may choose, the scale chosen, the lines under it
    oxygen: tuple[bool | None, OxygenDevice | None, str | None, int | None]  # on oxygen, device, earlier, points
    consciousness: tuple[Consciousness | None, str | None, int | None]  # chosen, earlier, points


@dataclass(frozen=True)
class _SaveView:
    problem: str | None
    failed: str | None
    busy: bool


class _FormActions:
    """The handlers of the choices and of Lagre, made once per form (new functions on every render
    would make the sections differ from the last render and render again)."""

    def __init__(self, app: AppState, form: VitalsFormState) -> None:
        self.air = self._call(app, lambda: form.set_oxygen(False))
        self.oxygen = self._call(app, lambda: form.set_oxygen(True))
        self.device = {d: self._call(app, functools.partial(self._toggle_device, form, d)) for d in OxygenDevice}
        self.level = {c: self._call(app, functools.partial(form.set_consciousness, c)) for c in Consciousness}

        def scale(chosen: int) -> Handler:
            async def choose() -> None:
                app.touch()
                await form.choose_scale(1 if chosen == 1 else 2)
            return choose

        self.scale = {1: scale(1), 2: scale(2)}

        async def save() -> None:
            app.touch()
            item = await form.save()
            if item is not None and item.state is not ItemState.FAILED:
                app.after_recorded(form)

        self.save = save

    @staticmethod
    def _toggle_device(form: VitalsFormState, device: OxygenDevice) -> None:
        form.set_device(None if form.device is device else device)

    @staticmethod
    def _call(app: AppState, change: Callable[[], object]) -> Handler:
        async def handler() -> None:
            app.touch()
            change()
        return handler


def _scale_lines(t: Messages, form: VitalsFormState) -> tuple[_Line, ...]:
    lines: list[_Line] = []
    if form.scale == 2:
        lines.append(_Line(t("vitals.scale2_note")))
    elif not form.hypercapnic:
        lines.append(_Line(t("vitals.scale1_only"), "muted"))
    else:
        lines.append(_Line(t("vitals.scale", scale=1)))
    choice = form.scale_choice
    if choice is not None and choice.chosen_by:
        lines.append(_Line(t("vitals.scale_by", name=choice.chosen_by, time=fmt.day_time(choice.chosen_at)), "muted"))
    if form.hypercapnic and not form.may_choose_scale:
        lines.append(_Line(t("vitals.scale_doctor"), "muted"))
    if form.scale_item is not None and form.scale_item.state is not ItemState.SENT:
        lines.append(_Line(item_status(t, form.scale_item), "warning"))
    return tuple(lines)


def _choices_view(t: Messages, form: VitalsFormState) -> _ChoicesView:
    scores = form.score.scores
    earlier = form.previous_oxygen
    earlier_text = None
    if earlier is not None:
        said = t("vitals.air") if earlier.value == 0 else " · ".join(
            x for x in (f"{shown(VitalField.OXYGEN_FLOW, earlier.value)} L/min" if earlier.value else "",
                        *earlier.details) if x)
        earlier_text = t("vitals.previous", value=said)
    previous_level = form.previous_consciousness
    return _ChoicesView(
        scale=(form.may_choose_scale, form.scale, _scale_lines(t, form)),
        oxygen=(form.on_oxygen, form.device, earlier_text, scores.get(Parameter.AIR_OR_OXYGEN)),
        consciousness=(form.consciousness,
                       t("vitals.previous", value=t(f"vitals.acvpu.{previous_level.value}"))
                       if previous_level is not None else None,
                       scores.get(Parameter.CONSCIOUSNESS)))


def _section(t: Messages, title: str, *controls: ft.Control, points: int | None = None, key: str) -> ft.Control:
    head: list[ft.Control] = [ft.Text(title, weight=ft.FontWeight.BOLD, size=14, expand=True)]
    if points is not None:
        head.append(points_chip(t, points))
    return ft.Container(key=key, padding=ft.Padding.only(left=16, right=16, top=8, bottom=4),
                        content=ft.Column(spacing=6, controls=[ft.Row(head), *controls]))


@ft.component
def _ScaleSection(view: _ChoicesView, actions: _FormActions, t: Messages) -> ft.Control:
    """SpO2's scale: chosen by a doctor for a hypercapnic patient, else what applies and why."""
    may_choose, scale, lines = view.scale
    controls: list[ft.Control] = []
    if may_choose:
        controls.append(ft.Row(spacing=8, controls=[
            _toggle(t("vitals.scale", scale=1), scale == 1, actions.scale[1], t, key="scale-1"),
            _toggle(t("vitals.scale", scale=2), scale == 2, actions.scale[2], t, key="scale-2")]))
    controls.extend(_line(line) for line in lines)
    return ft.Container(key="scale", padding=ft.Padding.symmetric(horizontal=16),
                        content=ft.Column(controls, spacing=4))


@ft.component
def _OxygenSection(view: _ChoicesView, actions: _FormActions, t: Messages) -> ft.Control:
    """Air or oxygen, the earlier answer, and the device when on oxygen."""
    on_oxygen, device, earlier, points = view.oxygen
    controls: list[ft.Control] = [ft.Row(spacing=8, controls=[
        _toggle(t("vitals.air"), on_oxygen is False, actions.air, t, key="air"),
        _toggle(t("vitals.oxygen"), on_oxygen is True, actions.oxygen, t, key="oxygen")])]
    if earlier is not None:
        controls.append(ft.Text(earlier, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    if on_oxygen:
        controls.append(ft.Text(t("vitals.device"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
        controls.append(ft.Row(wrap=True, spacing=8, run_spacing=8, controls=[
            _toggle(t(f"vitals.device.{d.value}"), device is d, actions.device[d], t, expand=False,
                    key=f"device-{d.value}") for d in OxygenDevice]))
    return _section(t, t("vitals.field.oxygen"), *controls, points=points, key="oxygen-section")


@ft.component
def _ConsciousnessSection(view: _ChoicesView, actions: _FormActions, t: Messages) -> ft.Control:
    """ACVPU, with the earlier level."""
    chosen, earlier, points = view.consciousness
    levels: list[ft.Control] = [
        _toggle(t(f"vitals.acvpu.{level.value}"), chosen is level, actions.level[level], t,
                expand=False, key=f"acvpu-{level.value}")
        for level in Consciousness]
    if earlier is not None:
        levels.append(ft.Text(earlier, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    return _section(t, t("vitals.field.consciousness"),
                    ft.Column(levels, spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                    points=points, key="acvpu-section")


@ft.component
def _SaveBar(view: _SaveView, actions: _FormActions, t: Messages) -> ft.Control:
    """Lagre within reach of the thumb, with why the last try did not save."""
    status: list[ft.Control] = []
    if view.problem is not None:
        status.append(ft.Row(spacing=6, controls=[
            ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ERROR, size=18),
            ft.Text(view.problem, color=ft.Colors.ERROR, weight=ft.FontWeight.W_600, expand=True)]))
    if view.failed is not None:
        status.append(ft.Text(view.failed, color=ft.Colors.ERROR, size=14))
    return ft.Container(
        key="save-bar", padding=ft.Padding.only(left=16, right=16, top=6, bottom=10),
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Column(spacing=4, controls=[
            *status,
            ft.FilledButton(t("vitals.saving") if view.busy else t("vitals.save"), icon=ft.Icons.SAVE,
                            on_click=actions.save, disabled=view.busy, height=56, width=10_000),
        ]))


# Each rendered again only when what it shows (or the language) changed.
_scale_section: Callable[[_ChoicesView, _FormActions, Messages], ft.Control] = ft.memo(_ScaleSection)  # type: ignore[no-untyped-call]
_oxygen_section: Callable[[_ChoicesView, _FormActions, Messages], ft.Control] = ft.memo(_OxygenSection)  # type: ignore[no-untyped-call]
_consciousness_section: Callable[[_ChoicesView, _FormActions, Messages], ft.Control] = ft.memo(  # type: ignore[no-untyped-call]
    _ConsciousnessSection)
_save_bar: Callable[[_SaveView, _FormActions, Messages], ft.Control] = ft.memo(_SaveBar)  # type: ignore[no-untyped-call]


@shows(VitalsFormState)
@ft.component
def VitalsFormScreen(app: AppState, form: VitalsFormState, t: Messages) -> ft.Control:
    refs: ft.MutableRef[dict[VitalField, ft.Ref[ft.TextField]]] = ft.use_ref(_field_refs)
    ft.use_dialog(_discard_dialog(app, form, t))
    actions = ft.use_memo(lambda: _RowActions(app, form, refs.current or _field_refs()), [app, form])
    form_actions = ft.use_memo(lambda: _FormActions(app, form), [app, form])

    sent: ft.MutableRef[dict[VitalField, int]] = ft.use_ref(dict)  # the app's changes already rendered

    def number_row(field: VitalField) -> ft.Control:
        control = (refs.current or {}).get(field)
        live = control.current if control is not None else None
        changes, rendered = form.app_changes.get(field, 0), (sent.current or {}).get(field, 0)
        text = text_to_show(form.text(field), live.value if live is not None else None, changes, rendered)
        if sent.current is not None:
            sent.current[field] = changes
        return _field_row(_row_view(t, form, field, text), actions, t)

    choices = _choices_view(t, form)
    rows: list[ft.Control] = [
        number_row(VitalField.RESPIRATION),
        number_row(VitalField.SPO2),
        _scale_section(choices, form_actions, t),
        _oxygen_section(choices, form_actions, t),
        *([number_row(VitalField.OXYGEN_FLOW)] if form.on_oxygen else []),
        number_row(VitalField.SYSTOLIC),
        number_row(VitalField.DIASTOLIC),
        number_row(VitalField.PULSE),
        _consciousness_section(choices, form_actions, t),
        number_row(VitalField.TEMPERATURE),
        ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=8), key="hint",
                     content=ft.Text(t("vitals.outbox_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT)),
    ]

    current = form.current
    save_view = _SaveView(
        problem=problem_text(t, form.problem) if form.problem is not None else None,
        failed=item_status(t, current) if current is not None and current.state is ItemState.FAILED else None,
        busy=form.busy)
    body = ft.Column(spacing=0, expand=True, controls=[
        live_score(t, form.score, form.response, form.qsofa),
        # A Column, not a lazy ListView: every field exists, so Enter can move the focus to one below the
        # fold (Flutter scrolls a focused field into view).
        ft.Container(ft.Column(rows, spacing=2, scroll=ft.ScrollMode.AUTO,
                               expand=True), expand=True, key="fields", padding=ft.Padding.only(bottom=12)),
        _save_bar(save_view, form_actions, t),
    ])
    return with_form_banner(t, form.banner, app.ctx.today(), body)
