"""Vital signs on the overview: NEWS2 with its clinical response and each parameter's points, and a
tile per value marked low, high or abnormal in words and icon (colour is never the only signal)."""

from __future__ import annotations

import flet as ft

from mobile_app.domain import news2
from mobile_app.domain.models import Measurement
from mobile_app.domain.news2 import News2Score
from mobile_app.domain.vitals import Deviation, Response, VitalReading, VitalsAssessment
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.lab import chip
from mobile_app.ui.messages import Messages

_DEVIATION_ICONS = {
    Deviation.LOW: ft.Icons.ARROW_DOWNWARD, Deviation.HIGH: ft.Icons.ARROW_UPWARD,
    Deviation.ABNORMAL: ft.Icons.PRIORITY_HIGH, Deviation.ON_OXYGEN: ft.Icons.AIR,
}
# response -> (icon, text colour, background)
_RESPONSE_STYLE = {
    Response.INCOMPLETE: (ft.Icons.HELP_OUTLINE, ft.Colors.ON_SURFACE, ft.Colors.SURFACE_CONTAINER_HIGHEST),
    Response.ROUTINE: (ft.Icons.CHECK_CIRCLE_OUTLINE, theme.CONFIRM_FG, theme.CONFIRM_BG),
    Response.WARD: (ft.Icons.INFO_OUTLINE, theme.WARNING_FG, theme.WARNING_BG),
    Response.URGENT_WARD: (ft.Icons.WARNING_AMBER, theme.WARNING_FG, theme.WARNING_BG),
    Response.URGENT: (ft.Icons.WARNING_AMBER, theme.WARNING_FG, theme.WARNING_BG),
    Response.EMERGENCY: (ft.Icons.WARNING_ROUNDED, "#FFFFFF", theme.CRITICAL),
}


def response_style(response: Response) -> tuple[ft.IconData, str, str]:
    """(icon, text colour, background) of a clinical response: the same on every screen."""
    return _RESPONSE_STYLE[response]


def news2_head(t: Messages, total: int, complete: bool) -> str:
    """"NEWS2 6", or "NEWS2 minst 2" for a partial set (its sum is a lower bound, never a NEWS2)."""
    return t("news2.total", total=total) if complete else t("news2.partial", total=total)


def band_word(t: Messages, score: News2Score) -> str:
    """The band's word ("Lav", "Middels"), or "Ufullstendig" where a partial score cannot name one."""
    band = score.known_band
    return t(f"news2.band.{band.value}") if band is not None else t("news2.band.incomplete")


def value_text(t: Messages, reading: VitalReading) -> str:
    """The value as read on the chart: "27 /min", "121/78 mmHg", "Romluft" for no oxygen,
    "2 L/min · Nesekateter" with the oxygen device."""
    m = reading.measurement
    if reading.room_air:
        return t("vital.room_air")
    numbers = [(v, unit) for _, v, unit in m.components if v is not None]
    if numbers:
        return fmt.with_unit("/".join(fmt.number(v) for v, _ in numbers), numbers[0][1])
    shown = fmt.with_unit(fmt.measured(m), m.unit) if m.value is not None else ""
    text = " · ".join(x for x in (shown, *m.details) if x)  # a decimal comma, as Norwegians write
    return text or fmt.with_unit(fmt.measured(m), m.unit) or t("lab.awaiting")


def points_text(t: Messages, reading: VitalReading) -> str:
    return t("vital.points", points=reading.points) if reading.points is not None else ""


def _marker(t: Messages, reading: VitalReading) -> ft.Control | None:
    """Abnormal values: icon, word and points on a warning chip (red at 3 points)."""
    if not reading.abnormal:
        return None
    three = (reading.points or 0) >= 3
    fg, bg = ("#FFFFFF", theme.CRITICAL) if three else (theme.WARNING_FG, theme.WARNING_BG)
    words = t(f"vital.{reading.deviation.value}")
    if reading.points is not None:
        words = f"{words} · {points_text(t, reading)}"
    return chip(words, fg, bg, _DEVIATION_ICONS.get(reading.deviation))


# Names a half-width tile on a 360 px phone cuts off ("Respirasjonsfrekve…"), by LOINC code: the
# tile shows the short name clinicians write; a screen reader still hears the EPJ's full name.
_SHORT_NAMES = {news2.RESPIRATION: "vital.short.respiration", news2.SPO2: "vital.short.spo2",
                news2.SPO2_ALT: "vital.short.spo2"}


def tile_name(t: Messages, measurement: Measurement) -> str:
    key = _SHORT_NAMES.get(measurement.code)
    return t(key) if key is not None and measurement.system in (None, news2.LOINC) else measurement.name


def _tile(t: Messages, reading: VitalReading) -> ft.Control:
    marker = _marker(t, reading)
    value = value_text(t, reading)
    under: list[ft.Control] = [marker] if marker is not None else []
    if marker is None and reading.points is not None:
        under.append(ft.Text(points_text(t, reading), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    name = reading.measurement.name
    spoken = ", ".join(x for x in (name, value, t(f"vital.{reading.deviation.value}") if reading.abnormal else "",
                                   points_text(t, reading)) if x)
    return ft.Container(
        col=6, padding=ft.Padding.symmetric(horizontal=10, vertical=6), border_radius=8,
        bgcolor=theme.CRITICAL_ROW if (reading.points or 0) >= 3 else ft.Colors.SURFACE_CONTAINER_LOW,
        border=ft.Border.all(1, theme.WARNING_FG) if reading.abnormal else None,
        content=ft.Column(spacing=2, controls=[
            ft.Text(tile_name(t, reading.measurement), size=14, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                    overflow=ft.TextOverflow.ELLIPSIS),
            ft.Text(value, size=17, weight=ft.FontWeight.BOLD, semantics_label=spoken),
            *under,
        ]),
    )


def news2_card(t: Messages, assessment: VitalsAssessment) -> ft.Control | None:
    """NEWS2 total, its band and the response it calls for; a partial score says what is missing."""
    score, response = assessment.news2, assessment.response
    if score is None or response is None:
        return None
    icon, fg, bg = _RESPONSE_STYLE[response]
    head = news2_head(t, score.total, score.complete)
    lines: list[ft.Control] = [
        ft.Row(spacing=6, controls=[
            ft.Icon(icon, color=fg, size=20),
            ft.Text(head, color=fg, weight=ft.FontWeight.BOLD, size=16),
            ft.Text(band_word(t, score), color=fg, weight=ft.FontWeight.W_600, size=14,
                    expand=True),
        ]),
        ft.Text(t(f"news2.response.{response.value}"), color=fg, size=14),
    ]
    if score.missing:
        missing = ", ".join(t(f"news2.param.{p.value}") for p in score.missing)
        lines.append(ft.Text(t("news2.missing", parameters=missing), color=fg, size=14, italic=True))
    if score.scale == 2:
        lines.append(ft.Text(t("news2.scale2"), color=fg, size=14))
    return ft.Container(bgcolor=bg, border_radius=8, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                        content=ft.Column(lines, spacing=2))


def vitals_section(t: Messages, assessment: VitalsAssessment) -> ft.Control:
    """NEWS2 first, then the values as tiles, two to a row on a phone, with when they were taken."""
    parts: list[ft.Control] = []
    card = news2_card(t, assessment)
    if card is not None:
        parts.append(card)
    # Two tiles to a row on any phone (a fixed width would leave one per row at 360 px).
    parts.append(ft.ResponsiveRow([_tile(t, r) for r in assessment.readings], spacing=8, run_spacing=8))
    if assessment.measured_at is not None:
        parts.append(ft.Text(t("pt.measured", time=fmt.day_time(assessment.measured_at)), size=14,
                             color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=4),
                        content=ft.Column(parts, spacing=6))
