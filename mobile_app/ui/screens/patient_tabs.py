"""The contents of each tab of the patient screen, built from a PatientOverview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import flet as ft

from mobile_app.domain.models import (
    Allergy,
    DocumentSummary,
    Measurement,
    NoteItem,
    PatientOverview,
    Stay,
)
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.messages import Messages

_FLAG_ICONS = {
    "H": ft.Icons.ARROW_UPWARD, "L": ft.Icons.ARROW_DOWNWARD,
    "HH": ft.Icons.KEYBOARD_DOUBLE_ARROW_UP, "LL": ft.Icons.KEYBOARD_DOUBLE_ARROW_DOWN,
    "A": ft.Icons.PRIORITY_HIGH, "AA": ft.Icons.PRIORITY_HIGH,
}


def _pad(control: ft.Control) -> ft.Control:
    return ft.Container(control, padding=ft.Padding.symmetric(horizontal=16, vertical=6))


def _muted(text: str) -> ft.Control:
    return _pad(ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT))


def flag(t: Messages, interpretation: str | None) -> ft.Control | None:
    """Abnormal-value marker: icon plus text (colour is never the only signal)."""
    if not interpretation or interpretation == "N":
        return None
    critical = interpretation in ("HH", "LL", "AA")
    color = theme.CRITICAL if critical else ft.Colors.TERTIARY
    return ft.Row(tight=True, spacing=2, controls=[
        ft.Icon(_FLAG_ICONS.get(interpretation, ft.Icons.PRIORITY_HIGH), size=16, color=color),
        ft.Text(t(f"flag.{interpretation}") if t.has(f"flag.{interpretation}") else interpretation,
                size=12, color=color, weight=ft.FontWeight.BOLD),
    ])


def measurement_row(t: Messages, m: Measurement) -> ft.Control:
    value = _value_text(t, m)
    reference = ""
    if m.low is not None and m.high is not None:
        reference = f"{m.low:g}–{m.high:g}"
    elif m.high is not None:
        reference = f"≤ {m.high:g}"
    elif m.low is not None:
        reference = f"≥ {m.low:g}"
    marker = flag(t, m.interpretation)
    right: list[ft.Control] = [ft.Text(value, weight=ft.FontWeight.BOLD)]
    if marker is not None:
        right.insert(0, marker)
    sub = " · ".join(x for x in (reference and f"ref. {reference}", fmt.day_time(m.time)) if x)
    return ft.ListTile(
        title=ft.Text(m.name),
        subtitle=ft.Text(sub, size=12) if sub else None,
        trailing=ft.Row(right, tight=True, spacing=6),
        dense=True,
    )


def _value_text(t: Messages, m: Measurement) -> str:
    if m.components:
        values = "/".join(f"{v:g}" for _, v, _ in m.components if v is not None)
        unit = m.components[0][2] or ""
        return f"{values} {unit}".strip()
    value = f"{m.display_value} {m.unit or ''}".strip()
    return value or t("pt.pending")


def vitals_grid(t: Messages, vitals: tuple[Measurement, ...]) -> ft.Control:
    """Latest vital signs as compact tiles, two to a row on a phone, with when they were taken."""
    tiles: list[ft.Control] = []
    for m in vitals:
        marker = flag(t, m.interpretation)
        value_row: list[ft.Control] = [ft.Text(_value_text(t, m), size=17, weight=ft.FontWeight.BOLD)]
        if marker is not None:
            value_row.append(marker)
        tiles.append(ft.Container(
            width=172, padding=ft.Padding.symmetric(horizontal=10, vertical=6), border_radius=8,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            content=ft.Column(spacing=0, controls=[
                ft.Text(m.name, size=12, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=1,
                        overflow=ft.TextOverflow.ELLIPSIS),
                ft.Row(value_row, spacing=4),
            ]),
        ))
    newest = max((m.time for m in vitals if m.time), default=None)
    note = ft.Text(t("pt.measured", time=fmt.day_time(newest)), size=12, color=ft.Colors.ON_SURFACE_VARIANT) \
        if newest else ft.Container()
    return ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=4),
                        content=ft.Column([ft.Row(tiles, wrap=True, spacing=8, run_spacing=8), note], spacing=6))


def _note_summary(t: Messages, kind: str, note: NoteItem) -> ft.Control:
    """A ward note or own note on the overview: the text, who changed it and when."""
    who = t("notes.changed", name=note.modified_by or "?", time=fmt.day_time(note.modified_at)) \
        if note.modified_by or note.modified_at else ""
    return ft.ListTile(
        leading=ft.Icon(ft.Icons.STICKY_NOTE_2_OUTLINED if kind == "ward-note" else ft.Icons.PERSON_OUTLINE),
        title=ft.Text(t(f"notes.{kind}"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        subtitle=ft.Column(tight=True, spacing=2, controls=[
            ft.Text(note.text, max_lines=4, overflow=ft.TextOverflow.ELLIPSIS, color=ft.Colors.ON_SURFACE),
            *([ft.Text(who, size=12, color=ft.Colors.ON_SURFACE_VARIANT)] if who else [])]),
    )


def overview(t: Messages, data: PatientOverview, today: date, ward_note: NoteItem | None = None,
             own_note: NoteItem | None = None) -> ft.Control:
    """The current stay, the ward note and own note when there are any, vital signs and latest labs."""
    controls: list[ft.Control] = [states.section(t("pt.current_stay"))]
    stay = data.stay
    if stay is None:
        controls.append(_muted(t("pt.no_current_stay")))
    else:
        lines = []
        if stay.start:
            lines.append(t("pt.admitted", date=fmt.day(stay.start), days=fmt.days_since(stay.start, today)))
        if stay.reason:
            lines.append(t("pt.reason", reason=stay.reason))
        where = ", ".join(x for x in (stay.ward_name, stay.bed_name) if x)
        if where:
            lines.append(where)
        if data.responsible_doctor:
            lines.append(t("pt.responsible", name=data.responsible_doctor))
        controls.append(_pad(ft.Text("\n".join(lines))))
    notes = [(kind, note) for kind, note in (("ward-note", ward_note), ("own-note", own_note)) if note and note.text]
    if notes:
        controls.append(states.section(t("pt.notes")))
        controls.extend(_note_summary(t, kind, note) for kind, note in notes)
    controls.append(states.section(t("pt.vitals")))
    if data.vitals:
        controls.append(vitals_grid(t, data.vitals))
    else:
        controls.append(_muted(t("pt.no_vitals")))
    controls.append(states.section(t("pt.labs")))
    if data.labs:
        controls.extend(measurement_row(t, m) for m in data.labs)
    else:
        controls.append(_muted(t("pt.no_labs")))
    return ft.ListView(controls=controls, expand=True)


def _allergy_tile(t: Messages, allergy: Allergy) -> ft.Control:
    details = []
    if allergy.criticality:
        details.append(t(f"pt.criticality.{allergy.criticality}"))
    if allergy.reactions:
        details.append(t("pt.reaction", text=", ".join(allergy.reactions)))
    icon = ft.Icon(ft.Icons.WARNING_ROUNDED, color=theme.CRITICAL) if allergy.is_critical else \
        ft.Icon(ft.Icons.INFO_OUTLINE)
    return ft.ListTile(leading=icon, title=ft.Text(allergy.substance, weight=ft.FontWeight.W_600),
                       subtitle=ft.Text(" · ".join(details)) if details else None)


def critical(t: Messages, data: PatientOverview) -> ft.Control:
    info = data.critical
    controls: list[ft.Control] = []
    if not info.has_critical and not info.allergies:
        controls.append(_muted(t("pt.critical_none")))
    if info.critical_allergies:
        controls.append(states.section(t("pt.critical_allergies")))
        controls.extend(_allergy_tile(t, a) for a in info.critical_allergies)
    if info.conditions:
        controls.append(states.section(t("pt.critical_conditions")))
        controls.extend(ft.ListTile(leading=ft.Icon(ft.Icons.WARNING_ROUNDED, color=theme.CRITICAL),
                                    title=ft.Text(c.text, weight=ft.FontWeight.W_600),
                                    subtitle=ft.Text(fmt.day(c.onset)) if c.onset else None)
                        for c in info.conditions)
    if info.implants:
        controls.append(states.section(t("pt.implants")))
        controls.extend(ft.ListTile(leading=ft.Icon(ft.Icons.MEMORY, color=theme.CRITICAL),
                                    title=ft.Text(i.text, weight=ft.FontWeight.W_600))
                        for i in info.implants)
    others = [a for a in info.allergies if not a.is_critical]
    if others:
        controls.append(states.section(t("pt.other_allergies")))
        controls.extend(_allergy_tile(t, a) for a in others)
    return ft.ListView(controls=controls, expand=True)


def _stay_tile(t: Messages, stay: Stay) -> ft.Control:
    period = fmt.day(stay.start)
    period += f" – {fmt.day(stay.end)}" if stay.end else f" – {t('pt.stay.ongoing')}"
    kind = t(f"pt.stay.{stay.kind}") if t.has(f"pt.stay.{stay.kind}") else (stay.kind_text or stay.kind)
    lines = [period]
    if stay.ward_name:
        lines.append(stay.ward_name)
    if stay.responsible:
        lines.append(t("pt.responsible", name=stay.responsible))
    return ft.ListTile(
        leading=ft.Icon(ft.Icons.BED if stay.kind == "IMP" else ft.Icons.MEETING_ROOM),
        title=ft.Text(f"{kind}: {stay.reason}" if stay.reason else kind, weight=ft.FontWeight.W_600),
        subtitle=ft.Text("\n".join(lines), size=13), is_three_line=len(lines) > 1,
    )


def stays(t: Messages, data: PatientOverview) -> ft.Control:
    if not data.stays:
        return ft.ListView([_muted(t("pt.no_stays"))])
    return ft.ListView([_stay_tile(t, s) for s in data.stays], expand=True)


def documents(t: Messages, data: PatientOverview, open_document: Callable[[str], Any],
              written: list[DocumentSummary] | None = None) -> ft.Control:
    """The record's documents, newest first, with notes written on this phone merged in."""
    fresh = written or []
    fresh_ids = {d.id for d in fresh}
    shown = [*fresh, *(d for d in data.documents if d.id not in fresh_ids)]
    if not shown:
        return ft.ListView([_muted(t("pt.no_documents"))])
    tiles: list[ft.Control] = []
    for doc in shown:
        kind = doc.type_name if doc.type_name and doc.type_name != doc.title else ""
        when = " · ".join(x for x in (fmt.day_time(doc.date), doc.author or "") if x)
        sub = "\n".join(x for x in (kind, when) if x)
        title: list[ft.Control] = [ft.Text(doc.title, weight=ft.FontWeight.W_600, expand=True)]
        if doc.status in ("preliminary", "waiting"):
            label = t("pt.document_preliminary") if doc.status == "preliminary" else t("pt.document_waiting")
            title.append(ft.Container(ft.Text(label, size=11),
                                      bgcolor=ft.Colors.TERTIARY_CONTAINER, border_radius=8,
                                      padding=ft.Padding.symmetric(horizontal=6, vertical=2)))
        tiles.append(ft.ListTile(leading=ft.Icon(ft.Icons.DESCRIPTION_OUTLINED), title=ft.Row(title),
                                 subtitle=ft.Text(sub, size=12), on_click=open_document(doc.id),
                                 trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT), min_height=theme.TOUCH))
    return ft.ListView(tiles, expand=True)


def document_reader(t: Messages, doc: DocumentSummary) -> ft.Control:
    head = " · ".join(x for x in (doc.type_name, fmt.day_time(doc.date),
                                  t("pt.by", name=doc.author) if doc.author else "") if x)
    return ft.ListView(padding=16, spacing=8, expand=True, controls=[
        ft.Text(doc.title, size=20, weight=ft.FontWeight.BOLD),
        ft.Text(head, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Divider(),
        ft.Text(doc.text or t("pt.document_no_text"), size=15),
    ])


def info(t: Messages, data: PatientOverview) -> ft.Control:
    controls: list[ft.Control] = [states.section(t("pt.contact"))]
    if data.contact.address:
        controls.append(ft.ListTile(leading=ft.Icon(ft.Icons.HOME_OUTLINED), title=ft.Text(data.contact.address),
                                    subtitle=ft.Text(t("pt.address"))))
    if data.contact.phone:
        controls.append(ft.ListTile(leading=ft.Icon(ft.Icons.PHONE), title=ft.Text(data.contact.phone),
                                    subtitle=ft.Text(t("pt.phone")), url=f"tel:{data.contact.phone}",
                                    tooltip=t("pt.call", name=data.patient.name)))
    controls.append(states.section(t("pt.next_of_kin")))
    if not data.next_of_kin:
        controls.append(_muted(t("pt.no_next_of_kin")))
    for kin in data.next_of_kin:
        sub = ", ".join(x for x in (kin.relationship,
                                    t("pt.primary_next_of_kin") if kin.is_next_of_kin else None) if x)
        controls.append(ft.ListTile(
            leading=ft.Icon(ft.Icons.PEOPLE_OUTLINE), title=ft.Text(kin.name),
            subtitle=ft.Text("\n".join(x for x in (sub, kin.phone) if x)),
            url=f"tel:{kin.phone}" if kin.phone else None,
            tooltip=t("pt.call", name=kin.name) if kin.phone else None,
        ))
    return ft.ListView(controls, expand=True)


def plan(t: Messages, data: PatientOverview) -> ft.Control:
    if not data.care_plans:
        return ft.ListView([_muted(t("pt.no_plan"))])
    controls: list[ft.Control] = [_pad(ft.Text(t("pt.read_only"), size=12, color=ft.Colors.ON_SURFACE_VARIANT))]
    for care_plan in data.care_plans:
        controls.append(states.section(care_plan.title))
        if care_plan.description:
            controls.append(_pad(ft.Text(care_plan.description)))
        for activity in care_plan.activities:
            status = t(f"activity.{activity.status}") if t.has(f"activity.{activity.status}") else activity.status
            done = activity.status == "completed"
            controls.append(ft.ListTile(
                leading=ft.Icon(ft.Icons.CHECK_CIRCLE if done else ft.Icons.RADIO_BUTTON_UNCHECKED),
                title=ft.Text(activity.description), subtitle=ft.Text(status), dense=True))
    return ft.ListView(controls, expand=True)


def plo(t: Messages, data: PatientOverview) -> ft.Control:
    if not data.plo_messages:
        return ft.ListView([_muted(t("pt.no_plo"))])
    controls: list[ft.Control] = [_pad(ft.Text(t("pt.read_only"), size=12, color=ft.Colors.ON_SURFACE_VARIANT))]
    for message in data.plo_messages:
        party = t("pt.plo.to", name=message.recipient) if message.outgoing else \
            t("pt.plo.from", name=message.sender)
        controls.append(ft.Card(content=ft.Container(padding=12, content=ft.Column(spacing=4, controls=[
            ft.Text(message.message_type, weight=ft.FontWeight.BOLD),
            ft.Text(f"{fmt.day_time(message.sent)} · {party}", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(message.text),
        ]))))
    return ft.ListView(controls, expand=True, padding=8)


def placeholder(text: str, icon: ft.IconData) -> ft.Control:
    return states.empty(text, icon)
