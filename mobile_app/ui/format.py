"""How times, dates, numbers, units, ages, identifiers and patient facts are written on screen (pure
functions).

This is the one module that turns a time or a measured number into text. Every time is shown on the
hospital's wall clock (``domain.hospital_time``: Europe/Oslo unless configured), whatever offset the
server wrote, 24-hour, dates as dd.mm.yyyy. Numbers are Norwegian: a decimal comma (5,4), a space
between thousands (20 057), powers of ten written as such (10⁹/L, not 10^9/L).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from mobile_app.domain import hospital_time
from mobile_app.domain.models import Gender, Measurement, NoteItem, PatientSummary
from mobile_app.ui.messages import Messages


def local(moment: datetime) -> datetime:
    """The moment on the hospital's wall clock."""
    return hospital_time.local(moment)


def clock(moment: datetime | None) -> str:
    return local(moment).strftime("%H:%M") if moment else ""


def short_when(t: Messages, moment: datetime | None, today: date) -> str:
    """Short time of day with its day: "i dag 06:14", "28.11. 06:14" this year, else with the year."""
    if moment is None:
        return ""
    shown = local(moment)
    if shown.date() == today:
        return t("lab.today", time=shown.strftime("%H:%M"))
    return shown.strftime("%d.%m. %H:%M" if shown.year == today.year else "%d.%m.%Y %H:%M")


def axis_label(moment: datetime, span_days: float) -> str:
    """A date on a chart's time axis: with the time over two days or less, the year over 300."""
    pattern = "%d.%m.%y" if span_days > 300 else "%d.%m. %H:%M" if span_days <= 2 else "%d.%m."
    return local(moment).strftime(pattern)


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.strftime("%d.%m.%Y")


def day_time(moment: datetime | None) -> str:
    return local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_POWER = re.compile(r"10\s*(?:\^|\*\*|\*|[eE])\s*(-?\d+)")


def number(value: float) -> str:
    """A measured number as Norwegians write it: 5,4; 0,02; 145; 20 057."""
    if value == int(value) and abs(value) < 1e15:
        return count(int(value))
    text = f"{value:.6g}"
    if "e" in text:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    whole, _, fraction = text.partition(".")
    digits = whole.lstrip("-")
    sign = "-" if whole.startswith("-") else ""
    grouped = count(int(digits)) if digits else "0"
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def unit(text: str | None) -> str:
    """A unit with its power of ten raised: 10^9/L, 10*9/L and 10E9/L all become 10⁹/L."""
    if not text:
        return ""
    return _POWER.sub(lambda m: "10" + m.group(1).translate(_SUPERSCRIPT), text)


def measured(measurement: Measurement) -> str:
    """The value of a measurement as shown (with a comparator: "<5"), or its text; no unit."""
    if measurement.value is not None:
        return f"{measurement.comparator or ''}{number(measurement.value)}"
    return measurement.value_text or ""


def with_unit(value: str, text: str | None) -> str:
    return f"{value} {unit(text)}".strip()


def count(value: int) -> str:
    """A whole number as Norwegians write it: ``20 057`` (a non-breaking space between thousands)."""
    return f"{value:,}".replace(",", "\u00a0")


def identifier(value: str | None) -> str:
    """11 digits written as Norwegians read them: ``010180 12345``."""
    if value and len(value) == 11 and value.isdigit():
        return f"{value[:6]} {value[6:]}"
    return value or ""


def gender(t: Messages, value: Gender) -> str:
    return t(f"patient.{value.value}")


def age(t: Messages, patient: PatientSummary, today: date) -> str:
    years = patient.age(today)
    if years is None:
        return ""
    if years < 2 and patient.birth_date is not None:
        months = (today.year - patient.birth_date.year) * 12 + today.month - patient.birth_date.month
        if today.day < patient.birth_date.day:
            months -= 1
        return t("patient.age_months", months=max(months, 0))
    return t("patient.age", age=years)


def days_since(moment: datetime | None, today: date) -> int | None:
    if moment is None:
        return None
    return (today - local(moment).date()).days + 1


def location(t: Messages, patient: PatientSummary) -> str:
    stay = patient.stay
    if stay is None:
        return t("patient.not_admitted")
    ward = stay.ward_name or ""
    bed = stay.bed_name or ""
    if ward and bed:
        return t("patient.bed", ward=ward, bed=bed)
    return ward or bed


def facts(t: Messages, patient: PatientSummary, today: date) -> str:
    """One line: age, sex, birth date."""
    parts = [age(t, patient, today), gender(t, patient.gender)]
    if patient.birth_date:
        parts.append(t("patient.born", date=day(patient.birth_date)))
    return " · ".join(p for p in parts if p)


def note_changed(t: Messages, note: NoteItem) -> str:
    """"Sist endret av NAME TIME", or without a name when the EPJ did not say who ("" when neither
    is known)."""
    if note.modified_by:
        return t("notes.changed", name=note.modified_by, time=day_time(note.modified_at))
    return t("notes.changed_at", time=day_time(note.modified_at)) if note.modified_at else ""
