"""The contents of each tab of the patient screen, built from a PatientOverview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import flet as ft

from mobile_app.domain.models import (
    Allergy,
    Attendance,
    DocumentSummary,
    NoteItem,
    PatientOverview,
    Stay,
)
from mobile_app.domain.newest_results import NewestResult
from mobile_app.domain.vitals import VitalsAssessment
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import lab as lab_widgets
from mobile_app.ui.components import states
from mobile_app.ui.components.documents import document_chips, document_tile
from mobile_app.ui.components.vitals import vitals_section
from mobile_app.ui.messages import Messages


def _pad(control: ft.Control) -> ft.Control:
    return ft.Container(control, padding=ft.Padding.symmetric(horizontal=16, vertical=6))


def _muted(text: str) -> ft.Control:
    return _pad(ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT))


def _note_summary(t: Messages, kind: str, note: NoteItem) -> ft.Control:
    """A ward note or own note on the overview: the text, who changed it and when."""
    who = fmt.note_changed(t, note)
    return ft.ListTile(
        leading=ft.Icon(ft.Icons.STICKY_NOTE_2_OUTLINED if kind == "ward-note" else ft.Icons.PERSON_OUTLINE),
        title=ft.Text(t(f"notes.{kind}"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        subtitle=ft.Column(tight=True, spacing=2, controls=[
            ft.Text(note.text, max_lines=4, overflow=ft.TextOverflow.ELLIPSIS, color=ft.Colors.ON_SURFACE),
            *([ft.Text(who, size=14, color=ft.Colors.ON_SURFACE_VARIANT)] if who else [])]),
    )


def overview(t: Messages, data: PatientOverview, today: date, newest: tuple[NewestResult, ...],
             vitals: VitalsAssessment, ward_note: NoteItem | None = None,
             own_note: NoteItem | None = None, recording: list[ft.Control] | None = None) -> ft.Control:
    """The current stay, the ward note and own note when there are any, vital signs (then
    ``recording``: record, trend, thrombosis risk) and latest labs."""
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
    if vitals.readings:
        controls.append(vitals_section(t, vitals))
    else:
        controls.append(_muted(t("pt.no_vitals")))
    controls.extend(recording or [])
    controls.append(states.section(t("pt.labs")))
    if newest:
        controls.extend(lab_widgets.newest_row(t, line, today) for line in newest)
    else:
        controls.append(_muted(t("pt.no_labs")))
    # Room under the last result: the list ends a little below the window's edge, and the last line must show.
    return ft.ListView(controls=controls, expand=True, padding=ft.Padding.only(bottom=24))


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
        subtitle=ft.Text("\n".join(lines), size=14), is_three_line=len(lines) > 1,
    )


def stays(t: Messages, data: PatientOverview) -> ft.Control:
    shown = data.inpatient_stays
    if not shown:
        return ft.ListView([_muted(t("pt.no_stays"))])
    return ft.ListView([_stay_tile(t, s) for s in shown], expand=True)


def _attendance_tile(t: Messages, visit: Attendance) -> ft.Control:
    status = t(f"pt.attendance.status.{visit.status}") if t.has(f"pt.attendance.status.{visit.status}") \
        else visit.status
    when = fmt.day_time(visit.start) if visit.start else ""
    lines = [f"{when} · {status}" if when else status]
    if visit.responsible:
        lines.append(t("pt.responsible", name=visit.responsible))
    return ft.ListTile(
        leading=ft.Icon(ft.Icons.MEETING_ROOM),
        title=ft.Text(f"{visit.clinic}: {visit.kind}" if visit.clinic and visit.kind else visit.clinic or visit.kind
                      or "", weight=ft.FontWeight.W_600),
        subtitle=ft.Text("\n".join(lines), size=14), is_three_line=len(lines) > 1,
    )


def attendances(t: Messages, data: PatientOverview) -> ft.Control:
    """Outpatient visits apart from stays: clinic, date, type and status, newest first."""
    if not data.attendances:
        return ft.ListView([_muted(t("pt.no_attendances"))])
    return ft.ListView([_attendance_tile(t, v) for v in data.attendances], expand=True)


def documents(t: Messages, shown: list[DocumentSummary], open_document: Callable[[str], Any]) -> ft.Control:
    """The record's documents, newest first, with notes written on this phone in front."""
    if not shown:
        return ft.ListView([_muted(t("pt.no_documents"))])
    return ft.ListView([document_tile(t, doc, open_document(doc.id)) for doc in shown], expand=True)


def document_reader(t: Messages, doc: DocumentSummary, on_continue: Any = None) -> ft.Control:
    """One document; the user's own unsigned note can be continued (edited and signed) from here."""
    head = " · ".join(x for x in (doc.type_name, fmt.day_time(doc.date),
                                  t("pt.by", name=doc.author) if doc.author else "") if x)
    controls: list[ft.Control] = [
        ft.Row([ft.Text(doc.title, size=20, weight=ft.FontWeight.BOLD, expand=True), *document_chips(t, doc)]),
        ft.Text(head, color=ft.Colors.ON_SURFACE_VARIANT),
    ]
    if on_continue is not None:
        controls.append(ft.FilledButton(t("note.continue_sign"), icon=ft.Icons.EDIT_NOTE, on_click=on_continue,
                                        height=theme.TOUCH))
    controls += [ft.Divider(), ft.Text(doc.text or t("pt.document_no_text"), size=15)]
    return ft.ListView(padding=16, spacing=8, expand=True, controls=controls)


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
    controls: list[ft.Control] = [_pad(ft.Text(t("pt.read_only"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))]
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
    controls: list[ft.Control] = [_pad(ft.Text(t("pt.read_only"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))]
    for message in data.plo_messages:
        party = t("pt.plo.to", name=message.recipient) if message.outgoing else \
            t("pt.plo.from", name=message.sender)
        controls.append(ft.Card(content=ft.Container(padding=12, content=ft.Column(spacing=4, controls=[
            ft.Text(message.message_type, weight=ft.FontWeight.BOLD),
            ft.Text(f"{fmt.day_time(message.sent)} · {party}", size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(message.text),
        ]))))
    return ft.ListView(controls, expand=True, padding=8)


def placeholder(text: str, icon: ft.IconData) -> ft.Control:
    return states.empty(text, icon)
