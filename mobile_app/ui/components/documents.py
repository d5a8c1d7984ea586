"""A document in a list: title, kind, time and author, and whether it is a draft or still waiting
to be sent (in words on a chip, never colour alone)."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile_app.domain.models import DocumentSummary
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages


def document_chips(t: Messages, doc: DocumentSummary) -> list[ft.Control]:
    """Draft, waiting to be sent, or preliminary: in words on a chip (a signed note has none)."""
    labels = {"preliminary": [t("pt.document_draft")], "waiting": [t("pt.document_waiting")],
              "waiting-draft": [t("pt.document_draft"), t("pt.document_waiting")]}.get(doc.status, [])
    return [ft.Container(ft.Text(label, size=14), bgcolor=ft.Colors.TERTIARY_CONTAINER, border_radius=8,
                         padding=ft.Padding.symmetric(horizontal=6, vertical=2)) for label in labels]


def document_tile(t: Messages, doc: DocumentSummary, on_open: Any) -> ft.Control:
    kind = doc.type_name if doc.type_name and doc.type_name != doc.title else ""
    when = " · ".join(x for x in (fmt.day_time(doc.date), doc.author or "") if x)
    sub = "\n".join(x for x in (kind, when) if x)
    title: list[ft.Control] = [ft.Text(doc.title, weight=ft.FontWeight.W_600, expand=True),
                               *document_chips(t, doc)]
    # No wrap in the title row: an expanded text cannot sit in a Wrap (Flutter draws a grey error box).
    return ft.ListTile(leading=ft.Icon(ft.Icons.DESCRIPTION_OUTLINED), title=ft.Row(title),
                       subtitle=ft.Text(sub, size=14), on_click=on_open,
                       trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT), min_height=theme.TOUCH)
