"""What the app shows, as immutable domain models (pydantic), independent of FHIR.

The EPJ client maps FHIR resources into these; the UI renders them. Dates and times are
timezone-aware where FHIR gives a time, and plain dates where it gives a date.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class Role(StrEnum):
    DOCTOR = "doctor"
    NURSE = "nurse"
    AUDITOR = "auditor"
    OTHER = "other"


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


class Ward(Model):
    id: str
    name: str


class Practitioner(Model):
    id: str
    name: str
    role: Role = Role.OTHER


class CurrentStay(Model):
    """Where an admitted patient lies now (visible to every clinician, even without access)."""

    encounter_id: str
    ward_id: str | None = None
    ward_name: str | None = None
    bed_id: str | None = None
    bed_name: str | None = None  # e.g. "Rom 3 seng 2"
    bed_label: str | None = None  # short form, e.g. "3-2"
    admitted: datetime | None = None
    reason: str | None = None  # None when the server subsetted the stay (no care relation)


class PatientSummary(Model):
    """A patient as listed in search results, the ward list and my patients."""

    id: str
    family: str
    given: str
    birth_date: date | None = None
    gender: Gender = Gender.UNKNOWN
    identifier: str | None = None  # fødselsnummer or D-number (11 digits)
    identifier_system: str | None = None
    gsrn: str | None = None
    stay: CurrentStay | None = None

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}".strip()

    @property
    def sort_name(self) -> str:
        return f"{self.family}, {self.given}"

    def age(self, today: date) -> int | None:
        return age_on(self.birth_date, today)


class WardBed(Model):
    """One bed of a ward list; ``patient`` is None for an empty bed."""

    bed_id: str
    bed_name: str
    bed_label: str
    room_name: str
    sort_key: tuple[int, int]  # (room number, bed number) for room order
    patient: PatientSummary | None = None
    reason: str | None = None
    admitted: datetime | None = None
    has_critical_info: bool = False
    has_new_results: bool = False  # filled by the lab issue
    news2: int | None = None  # filled when vital signs are scored


class Stay(Model):
    id: str
    status: str  # in-progress, finished, ...
    kind: str  # "IMP" inpatient, "AMB" outpatient, "EMER" emergency
    kind_text: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    ward_name: str | None = None
    bed_name: str | None = None
    reason: str | None = None
    responsible: str | None = None  # the attending doctor's name


class Allergy(Model):
    substance: str
    criticality: str | None = None  # high, low, unable-to-assess
    categories: tuple[str, ...] = ()
    reactions: tuple[str, ...] = ()
    severity: str | None = None  # mild, moderate, severe
    verification: str | None = None
    recorded: datetime | None = None

    @property
    def is_critical(self) -> bool:
        return self.criticality == "high"


class CriticalCondition(Model):
    text: str
    code: str | None = None
    onset: datetime | None = None
    note: str | None = None  # what to do about it, e.g. "Unngå suxametonium"


class Implant(Model):
    text: str
    note: str | None = None  # e.g. "Deaktiveres før kirurgi med diatermi"


class CriticalInfo(Model):
    allergies: tuple[Allergy, ...] = ()  # all allergies; critical ones first
    conditions: tuple[CriticalCondition, ...] = ()
    implants: tuple[Implant, ...] = ()
    flagged: bool = False  # an active critical-information Flag

    @property
    def critical_allergies(self) -> tuple[Allergy, ...]:
        return tuple(a for a in self.allergies if a.is_critical)

    @property
    def has_critical(self) -> bool:
        return self.flagged or bool(self.critical_allergies or self.conditions or self.implants)


class Measurement(Model):
    """One vital sign or lab value."""

    id: str
    code: str
    system: str | None = None
    name: str
    value: float | None = None
    value_text: str | None = None  # textual or coded value, e.g. "A" or "Ingen vekst"
    comparator: str | None = None  # "<", "<=", ">", ">="
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    interpretation: str | None = None  # N, L, H, LL, HH, A ...
    time: datetime | None = None
    status: str = "final"
    components: tuple[tuple[str, float | None, str | None], ...] = ()  # (code, value, unit)

    @property
    def display_value(self) -> str:
        if self.value is not None:
            text = f"{self.value:g}"
            return f"{self.comparator}{text}" if self.comparator else text
        return self.value_text or ""


class DocumentSummary(Model):
    id: str
    title: str
    type_code: str | None = None
    type_name: str | None = None
    date: datetime | None = None
    author: str | None = None
    status: str = "final"  # docStatus: final, preliminary, amended
    text: str | None = None  # plain-text content when included


class NextOfKin(Model):
    name: str
    relationship: str | None = None
    phone: str | None = None
    is_next_of_kin: bool = False


class ContactDetails(Model):
    address: str | None = None
    phone: str | None = None
    marital_status: str | None = None
    language: str | None = None


class CarePlanActivity(Model):
    status: str
    description: str


class CarePlanSummary(Model):
    title: str
    description: str | None = None
    status: str = "active"
    start: datetime | None = None
    author: str | None = None
    activities: tuple[CarePlanActivity, ...] = ()


class PloMessage(Model):
    id: str
    message_type: str
    sent: datetime | None = None
    sender: str | None = None
    recipient: str | None = None
    text: str = ""
    outgoing: bool = True  # from the hospital to the municipality


class PatientOverview(Model):
    """Everything the patient screen shows, fetched in one round trip."""

    patient: PatientSummary
    contact: ContactDetails = ContactDetails()
    stay: Stay | None = None
    responsible_doctor: str | None = None
    critical: CriticalInfo = CriticalInfo()
    vitals: tuple[Measurement, ...] = ()  # newest per code
    labs: tuple[Measurement, ...] = ()  # newest per code
    stays: tuple[Stay, ...] = ()  # newest first
    documents: tuple[DocumentSummary, ...] = ()  # newest first
    next_of_kin: tuple[NextOfKin, ...] = ()
    care_plans: tuple[CarePlanSummary, ...] = ()
    plo_messages: tuple[PloMessage, ...] = ()  # newest first
    emergency_access_until: datetime | None = None  # set when reached by break-the-glass
    fetched_at: datetime


class MyPatients(Model):
    in_care: tuple[PatientSummary, ...] = ()  # stays I take part in
    recent: tuple[PatientSummary, ...] = ()  # recently opened, newest first
    recent_list_id: str | None = None
    recent_list_version: str | None = None
