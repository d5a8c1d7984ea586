"""Lab widgets: the flag chip, one result row, the "new" and signature markers, and a
microbiology report with its susceptibility list.

A flag is always icon, text and colour together; S/I/R is always the letter and the word.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import flet as ft

from mobile_app.domain.models import LabFlag, LabResult, MicroReport, Organism, Susceptibility
from mobile_app.domain.newest_results import NewestResult
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages

Handler = Callable[..., Awaitable[Any] | Any]

# flag -> (icon, text colour, background)
_FLAG_STYLE: dict[LabFlag, tuple[ft.IconData, str, str]] = {
    LabFlag.LOW: (ft.Icons.ARROW_DOWNWARD, theme.WARNING_FG, theme.WARNING_BG),
    LabFlag.HIGH: (ft.Icons.ARROW_UPWARD, theme.WARNING_FG, theme.WARNING_BG),
    LabFlag.ABNORMAL: (ft.Icons.PRIORITY_HIGH, theme.WARNING_FG, theme.WARNING_BG),
    LabFlag.CRITICAL_LOW: (ft.Icons.KEYBOARD_DOUBLE_ARROW_DOWN, "#FFFFFF", theme.CRITICAL),
    LabFlag.CRITICAL_HIGH: (ft.Icons.KEYBOARD_DOUBLE_ARROW_UP, "#FFFFFF", theme.CRITICAL),
    LabFlag.CRITICAL: (ft.Icons.WARNING_ROUNDED, "#FFFFFF", theme.CRITICAL),
    LabFlag.PENDING: (ft.Icons.HOURGLASS_EMPTY, theme.WARNING_FG, theme.WARNING_BG),
}
# S/I/R -> (text colour, background)
_SIR_STYLE = {"S": (theme.CONFIRM_FG, theme.CONFIRM_BG), "I": (theme.WARNING_FG, theme.WARNING_BG),
              "R": ("#FFFFFF", theme.CRITICAL)}


def chip(text: str, fg: str, bg: str, icon: ft.IconData | None = None) -> ft.Control:
    parts: list[ft.Control] = [ft.Text(text, size=14, color=fg, weight=ft.FontWeight.BOLD)]
    if icon is not None:
        parts.insert(0, ft.Icon(icon, size=14, color=fg))
    return ft.Container(bgcolor=bg, border_radius=10, padding=ft.Padding.symmetric(horizontal=6, vertical=1),
                        content=ft.Row(parts, tight=True, spacing=2))


def flag_chip(t: Messages, flag: LabFlag) -> ft.Control | None:
    """Low, high, critical ... as icon, word and colour; nothing for normal or unknown."""
    style = _FLAG_STYLE.get(flag)
    if style is None:
        return None
    icon, fg, bg = style
    return chip(t(f"lab.flag.{flag.value}"), fg, bg, icon)


def new_chip(t: Messages) -> ft.Control:
    return chip(t("lab.new"), ft.Colors.ON_PRIMARY, ft.Colors.PRIMARY)


def number(value: float) -> str:
    return fmt.number(value)


def reference(result: LabResult) -> str:
    """The reference range as a clinician writes it: "3.5–5.0", "≤ 5", "≥ 60", or the lab's text."""
    if result.low is not None and result.high is not None:
        return f"{number(result.low)}–{number(result.high)}"
    if result.high is not None:
        return f"≤ {number(result.high)}"
    if result.low is not None:
        return f"≥ {number(result.low)}"
    return result.reference_text or ""


def when(t: Messages, moment: datetime | None, today: date) -> str:
    """Short time taken: "i dag 06:14", "28.11. 06:14" this year, else with the year."""
    return fmt.short_when(t, moment, today)


def value_text(t: Messages, result: LabResult) -> str:
    """The value with its unit; a result without a value says it is awaited (never a bare unit)."""
    if result.pending or not result.display_value:
        return t("lab.awaiting")
    return fmt.with_unit(fmt.measured(result), result.unit)


def signature_text(t: Messages, result: LabResult, today: date) -> str:
    signature = result.signature
    if signature is None:
        return t("lab.unsigned")
    if signature.at is None:
        return t("lab.signed_by_name", name=signature.name)
    if fmt.local(signature.at).date() == today:
        return t("lab.signed_by", name=signature.name, time=fmt.clock(signature.at))
    return t("lab.signed_by_day", name=signature.name, date=fmt.day(signature.at), time=fmt.clock(signature.at))


def details_row(t: Messages, result: LabResult, today: date) -> ft.Control:
    """Under a value: its reference range and when it was taken, and its flag in words."""
    ref = reference(result)
    details = " · ".join(x for x in (t("lab.ref", range=ref) if ref else "", when(t, result.time, today)) if x)
    row: list[ft.Control] = [ft.Text(details, size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True)]
    marker = flag_chip(t, result.flag)
    if marker is not None:
        row.append(marker)
    return ft.Row(row, spacing=6)


def result_row(t: Messages, result: LabResult, today: date, *, new: bool, selected: bool,
               on_toggle: Handler | None, on_open: Handler | None, signing: bool = True) -> ft.Control:
    """One analyte: a checkbox when it can be signed, then name, value and unit, reference range,
    time taken and flag; a tap on the row opens its history. ``signing``: the user signs results
    (for others there is no check-box column at all)."""
    critical = result.flag.is_critical
    top: list[ft.Control] = [
        ft.Text(result.name, weight=ft.FontWeight.W_600, expand=True, max_lines=2,
                overflow=ft.TextOverflow.ELLIPSIS),
        ft.Text(value_text(t, result), size=16, weight=ft.FontWeight.BOLD,
                color=theme.CRITICAL_TEXT if critical else None),
    ]
    second = details_row(t, result, today)
    third: list[ft.Control] = []
    if new:
        third.append(new_chip(t))
    if result.corrected:
        third.append(chip(t("lab.corrected"), theme.WARNING_FG, theme.WARNING_BG, ft.Icons.EDIT))
    if not result.pending:
        signed = result.signed
        third.append(ft.Row(tight=True, spacing=2, controls=[
            ft.Icon(ft.Icons.VERIFIED if signed else ft.Icons.PENDING_ACTIONS, size=14,
                    color=ft.Colors.PRIMARY if signed else ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(signature_text(t, result, today), size=14,
                    color=ft.Colors.ON_SURFACE_VARIANT)]))
    body = ft.Container(
        expand=True, on_click=on_open, ink=on_open is not None, border_radius=8,
        padding=ft.Padding.only(left=4, right=4, top=6, bottom=6),
        tooltip=t("lab.open_trend", name=result.name) if on_open is not None else None,
        content=ft.Column(spacing=2, controls=[
            ft.Row(top, spacing=8), second,
            *([ft.Row(third, spacing=8, wrap=True)] if third else []),
        ]),
    )
    leading: ft.Control
    if on_toggle is not None:
        leading = ft.Checkbox(value=selected, on_change=on_toggle, semantics_label=t("lab.select", name=result.name),
                              visual_density=ft.VisualDensity.STANDARD, width=theme.TOUCH, height=theme.TOUCH)
    else:
        leading = ft.Container(width=theme.TOUCH if signing else 8)
    trailing = ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT) if on_open else ft.Container()
    return ft.Container(
        bgcolor=theme.CRITICAL_ROW if critical else None,
        padding=ft.Padding.only(left=4, right=8),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Row([leading, body, trailing], spacing=0, vertical_alignment=ft.CrossAxisAlignment.CENTER),
    )


def pending_row(t: Messages, result: LabResult, today: date) -> ft.Control:
    taken = when(t, result.time, today)
    return ft.ListTile(
        leading=ft.Icon(ft.Icons.HOURGLASS_EMPTY, color=ft.Colors.ON_SURFACE_VARIANT),
        title=ft.Text(result.name, weight=ft.FontWeight.W_600),
        subtitle=ft.Text(t("lab.pending_row", time=taken) if taken else t("lab.flag.pending"), size=14),
        min_height=theme.TOUCH, dense=True,
    )


def newest_row(t: Messages, line: NewestResult, today: date) -> ft.Control:
    """One analyte on the overview: the last value with its time and flag, and under it a newer
    sample still awaiting its value (hourglass and words), so neither hides the other."""
    latest, waiting = line.latest, line.pending
    critical = line.flag.is_critical
    top: list[ft.Control] = [ft.Text(line.name, weight=ft.FontWeight.W_600, expand=True, max_lines=2,
                                     overflow=ft.TextOverflow.ELLIPSIS)]
    lines: list[ft.Control] = []
    if latest is not None:
        top.append(ft.Text(value_text(t, latest), size=16, weight=ft.FontWeight.BOLD,
                           color=theme.CRITICAL_TEXT if critical else None))
        lines.append(details_row(t, latest, today))
    if waiting is not None:
        taken = when(t, waiting.time, today)
        if latest is None:  # nothing to show but the sample: the value is awaited, it was taken then
            top.append(ft.Text(t("lab.awaiting"), size=14, italic=True))
            text = t("lab.taken", time=taken) if taken else ""
        else:
            text = t("lab.pending_sample", time=taken) if taken else t("lab.awaiting")
        lines.append(ft.Row(spacing=4, controls=[
            ft.Icon(ft.Icons.HOURGLASS_EMPTY, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(text, size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True)]))
    return ft.Container(
        bgcolor=theme.CRITICAL_ROW if critical else None,
        padding=ft.Padding.symmetric(horizontal=16, vertical=6),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Column([ft.Row(top, spacing=8), *lines], spacing=2),
    )


# ------------------------------------------------------------------ microbiology


def sir_chip(t: Messages, item: Susceptibility) -> ft.Control:
    code = item.result.upper()
    fg, bg = _SIR_STYLE.get(code, (ft.Colors.ON_SURFACE, ft.Colors.SURFACE_CONTAINER_HIGHEST))
    word = t(f"micro.sir.{code}") if code in _SIR_STYLE else (item.text or "–")
    return ft.Container(width=128, bgcolor=bg, border_radius=10,
                        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                        content=ft.Text(f"{code or '?'} · {word}", size=14, color=fg, weight=ft.FontWeight.BOLD))


def susceptibility_list(t: Messages, organism: Organism) -> ft.Control:
    """Antibiotic and S/I/R, one line each: readable on a phone without scrolling sideways."""
    rows: list[ft.Control] = [ft.Row([
        ft.Text(t("micro.antibiotic"), size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
        ft.Text(t("micro.result"), size=14, color=ft.Colors.ON_SURFACE_VARIANT, width=128),
    ])]
    for item in organism.susceptibilities:
        rows.append(ft.Container(
            padding=ft.Padding.symmetric(vertical=3),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            content=ft.Row([ft.Text(item.antibiotic, size=14, expand=True), sir_chip(t, item)],
                           vertical_alignment=ft.CrossAxisAlignment.CENTER)))
    return ft.Column(rows, spacing=0)


def micro_report(t: Messages, report: MicroReport, today: date) -> ft.Control:
    """One culture: name and status, specimen and time, conclusion, organisms with S/I/R."""
    status = chip(t("micro.final"), theme.CONFIRM_FG, theme.CONFIRM_BG, ft.Icons.CHECK_CIRCLE) if report.is_final \
        else chip(t("micro.preliminary"), theme.WARNING_FG, theme.WARNING_BG, ft.Icons.HOURGLASS_EMPTY)
    facts = " · ".join(x for x in (report.specimen, t("micro.taken", time=when(t, report.sampled or report.collected,
                                                                                today))) if x)
    lines: list[ft.Control] = [
        ft.Row([ft.Text(report.name, size=16, weight=ft.FontWeight.BOLD, expand=True), status]),
        ft.Text(facts, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
    ]
    if report.conclusion:
        lines.append(ft.Text(report.conclusion, size=14))
    if report.no_growth:
        lines.append(chip(t("micro.no_growth"), theme.CONFIRM_FG, theme.CONFIRM_BG, ft.Icons.BLOCK))
    lines.extend(ft.Text(finding, size=14) for finding in report.findings)
    if not report.organisms and not report.no_growth and not report.is_final:
        lines.append(ft.Text(t("micro.in_progress"), size=14, italic=True))
    for organism in report.organisms:
        lines.append(ft.Container(padding=ft.Padding.only(top=6), content=ft.Text(
            organism.name, size=15, weight=ft.FontWeight.W_600, italic=True)))
        if organism.susceptibilities:
            lines.append(susceptibility_list(t, organism))
    return ft.Card(margin=ft.Margin.symmetric(horizontal=8, vertical=4), content=ft.Container(
        padding=12, content=ft.Column(lines, spacing=4)))
