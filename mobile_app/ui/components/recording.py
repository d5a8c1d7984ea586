"""Widgets of the structured registrations: the live NEWS2 and qSOFA card, a parameter's points,
the thrombosis-risk line and the ward list's marker. Colour is never the only signal: every state
has its word and icon."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile_app.domain.models import ThrombosisRisk
from mobile_app.domain.news2 import News2Score
from mobile_app.domain.qsofa import QsofaScore
from mobile_app.domain.vitals import Response
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.vitals import band_word, news2_head, response_style
from mobile_app.ui.messages import Messages


def missing_words(t: Messages, score: News2Score) -> str:
    return ", ".join(t(f"news2.param.{p.value}") for p in score.missing)


def live_score_card(t: Messages, score: News2Score, response: Response, qsofa: QsofaScore) -> ft.Control:
    """NEWS2 as it is entered: the total (or "at least" and what is missing), the band and the
    response it calls for, and qSOFA. Every line keeps its height whatever it says, so the fields
    below never move under a finger while values are typed. Read aloud as one text."""
    icon, fg, bg = response_style(response)
    head = news2_head(t, score.total, score.complete)
    band = band_word(t, score)
    q_head = t("qsofa.total", total=qsofa.total) if qsofa.complete else t("qsofa.partial", total=qsofa.total)
    q_word = t("qsofa.high") if qsofa.high_risk else t("qsofa.low")
    missing = t("news2.missing", parameters=missing_words(t, score)) if score.missing else t("news2.all_measured")
    q_fg, q_bg = ("#FFFFFF", theme.CRITICAL) if qsofa.high_risk else (ft.Colors.ON_SURFACE, ft.Colors.SURFACE)
    lines: list[ft.Control] = [
        ft.Row(spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            ft.Icon(icon, color=fg, size=24),
            ft.Text(f"{head} · {band}", color=fg, weight=ft.FontWeight.BOLD, size=18, max_lines=1, expand=True,
                    overflow=ft.TextOverflow.ELLIPSIS)]),
        ft.Container(height=40, content=ft.Text(t(f"news2.response.{response.value}"), color=fg, size=14,
                                                max_lines=2, overflow=ft.TextOverflow.ELLIPSIS)),
        ft.Row(spacing=8, controls=[
            ft.Container(bgcolor=q_bg, border_radius=8, padding=ft.Padding.symmetric(horizontal=8, vertical=2),
                         content=ft.Text(q_head, size=14, weight=ft.FontWeight.BOLD, color=q_fg)),
            ft.Text(q_word, size=14, color=fg, expand=True, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)]),
        # Three lines: the whole list when nothing is measured yet, at 360 px.
        ft.Container(height=60, content=ft.Text(missing, color=fg, size=14, max_lines=3,
                                                overflow=ft.TextOverflow.ELLIPSIS)),
    ]
    spoken = " ".join([head, band, t(f"news2.response.{response.value}"), missing, q_head, q_word])
    return ft.Semantics(label=spoken, container=True, live_region=True, content=ft.Container(
        bgcolor=bg, padding=ft.Padding.symmetric(horizontal=12, vertical=6), key="live-score",
        content=ft.Column(lines, spacing=2)))


@ft.component
def _LiveScoreCard(t: Messages, score: News2Score, response: Response, qsofa: QsofaScore) -> ft.Control:
    return live_score_card(t, score, response, qsofa)


# The card as a form shows it: rendered again only when the score, its response or qSOFA changed
# (most keystrokes, e.g. the first digit of a rate, leave them as they were).
live_score: Callable[[Messages, News2Score, Response, QsofaScore], ft.Control] = ft.memo(_LiveScoreCard)  # type: ignore[no-untyped-call]


def points_chip(t: Messages, points: int | None) -> ft.Control:
    """A parameter's NEWS2 points beside its field (red at 3, orange at 1-2, grey at 0)."""
    if points is None:
        return ft.Container(width=52)
    if points >= 3:
        fg, bg = "#FFFFFF", theme.CRITICAL
    elif points:
        fg, bg = theme.WARNING_FG, theme.WARNING_BG
    else:
        fg, bg = theme.CONFIRM_FG, theme.CONFIRM_BG
    return ft.Container(width=52, alignment=ft.Alignment.CENTER,
                        content=chip(t("vitals.points", points=points), fg, bg))


def thrombosis_text(t: Messages, risk: ThrombosisRisk) -> str:
    words = t("padua.high") if risk.high_risk else t("padua.low")
    if risk.total is not None:
        words = f"{t('padua.score', total=risk.total)} · {words}"
    return words


def thrombosis_line(t: Messages, risk: ThrombosisRisk | None, current: bool) -> ft.Control:
    """The newest assessment with its date and who made it, or that the stay has none."""
    if risk is None or not current:
        text = t("padua.old", date=fmt.day(risk.assessed_at)) if risk is not None and risk.assessed_at \
            else t("padua.none")
        # On its own warning background: the warning colour on the page's surface is unreadable in dark mode.
        return ft.Container(bgcolor=theme.WARNING_BG, border_radius=8, padding=ft.Padding.symmetric(horizontal=8,
                                                                                                    vertical=6),
                            content=ft.Row(spacing=6, controls=[
                                ft.Icon(ft.Icons.HELP_OUTLINE, color=theme.WARNING_FG, size=20),
                                ft.Text(text, color=theme.WARNING_FG, size=14, expand=True)]))
    when = fmt.day_time(risk.assessed_at)
    who = t("padua.assessed", date=when, name=risk.assessed_by) if risk.assessed_by else \
        t("padua.assessed_when", date=when)
    fg, bg = (theme.WARNING_FG, theme.WARNING_BG) if risk.high_risk else (theme.CONFIRM_FG, theme.CONFIRM_BG)
    return ft.Column(spacing=2, controls=[
        ft.Row(spacing=6, controls=[
            chip(thrombosis_text(t, risk), fg, bg,
                 ft.Icons.WARNING_AMBER if risk.high_risk else ft.Icons.CHECK_CIRCLE_OUTLINE),
        ]),
        ft.Text(t("padua.high_advice") if risk.high_risk else t("padua.low_advice"), size=14),
        ft.Text(who, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
    ])


def thrombosis_due_chip(t: Messages) -> ft.Control:
    """On the ward list: in for 24 hours with no thrombosis-risk assessment."""
    return chip(t("ward.thrombosis_due"), theme.WARNING_FG, theme.WARNING_BG, ft.Icons.BLOODTYPE)
