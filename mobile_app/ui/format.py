"""How dates, ages, identifiers and patient facts are written on screen (pure functions)."""

from __future__ import annotations

from datetime import date, datetime

from mobile_app.domain.models import Gender, PatientSummary
from mobile_app.ui.messages import Messages


def local(moment: datetime) -> datetime:
    return moment.astimezone()


def clock(moment: datetime | None) -> str:
    return local(moment).strftime("%H:%M") if moment else ""


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return value.strftime("%d.%m.%Y")


def day_time(moment: datetime | None) -> str:
    return local(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


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
