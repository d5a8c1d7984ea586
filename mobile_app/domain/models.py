"""What the app shows, as immutable domain models (pydantic), independent of FHIR.

The EPJ client maps FHIR resources into these; the UI renders them. Dates and times are
timezone-aware where FHIR gives a time, and plain dates where it gives a date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class Role(StrEnum):
    """The user's role on the ward (PractitionerRole.code); what each may do is in domain/roles.py."""

    DOCTOR = "doctor"
    NURSE = "nurse"
    HEALTH_WORKER = "health_worker"
    AUDITOR = "auditor"
    OTHER = "other"


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


PatientNoteKind = Literal["own-note", "ward-note"]
OWN_NOTE: PatientNoteKind = "own-note"
WARD_NOTE: PatientNoteKind = "ward-note"


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
    ward_note: str | None = None  # the ward's note on the patient, seen by the ward's staff
    thrombosis_due: bool = False  # in hospital for 24 hours with no thrombosis-risk assessment


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


OUTPATIENT_CLASSES = frozenset({"AMB", "EMER", "VR", "HH"})  # visits, not stays (v3 ActCode)


class Attendance(Model):
    """An outpatient visit (Encounter class AMB, an emergency or virtual visit), apart from stays."""

    id: str
    status: str
    start: datetime | None = None
    end: datetime | None = None
    clinic: str | None = None
    kind: str | None = None
    responsible: str | None = None


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
    details: tuple[str, ...] = ()  # the written or coded values of components, e.g. the oxygen device

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
    version: str | None = None  # meta.versionId, for an update with If-Match
    author_id: str | None = None  # the author's Practitioner id: only they may continue a draft
    client_id: str | None = None  # the writer's id for the note (urn:uuid): saving again updates it
    encounter_id: str | None = None  # the stay it was written in

    @property
    def is_draft(self) -> bool:
        """Saved but not signed (docStatus preliminary)."""
        return self.status == "preliminary"


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


class NoteItem(Model):
    """An own note (seen only by its author) or a ward note (seen by the ward's staff) on a patient."""

    id: str
    kind: PatientNoteKind
    patient_id: str
    text: str
    version: str | None = None  # pass it back when editing: the save is checked against it
    author_id: str | None = None
    modified_by: str | None = None  # the name of who saved this version
    modified_at: datetime | None = None


class ThrombosisRisk(Model):
    """The newest recorded assessment of a patient."""

    id: str
    total: int | None = None  # the Padua score (None when the EPJ stored only the risk)
    high_risk: bool
    assessed_at: datetime | None = None
    assessed_by: str | None = None
    method: str = "padua"


class Spo2ScaleChoice(Model):
    """A doctor's recorded choice of SpO2 scale for a patient (a Flag in the EPJ)."""

    scale: Literal[1, 2]
    flag_id: str
    version: str | None = None
    chosen_by: str | None = None
    chosen_at: datetime | None = None


class PatientOverview(Model):
    """Everything the patient screen shows, fetched in one round trip."""

    patient: PatientSummary
    contact: ContactDetails = ContactDetails()
    stay: Stay | None = None
    responsible_doctor: str | None = None
    critical: CriticalInfo = CriticalInfo()
    vitals: tuple[Measurement, ...] = ()  # newest per code
    spo2_scale2: bool = False  # NEWS2 scores SpO2 on scale 2 (hypercapnic failure, unless a doctor chose scale 1)
    hypercapnic: bool = False  # documented hypercapnic respiratory failure (an active J96.1 condition)
    spo2_scale_choice: Spo2ScaleChoice | None = None  # a doctor's recorded choice of scale
    thrombosis_risk: ThrombosisRisk | None = None  # the newest Padua assessment
    labs: tuple[LabResult, ...] = ()  # recent blood tests, newest first (domain.newest_results makes the lines)
    stays: tuple[Stay, ...] = ()  # newest first, outpatient visits too
    attendances: tuple[Attendance, ...] = ()  # the outpatient visits among them ("Oppmøter"), newest first
    documents: tuple[DocumentSummary, ...] = ()  # newest first
    next_of_kin: tuple[NextOfKin, ...] = ()
    care_plans: tuple[CarePlanSummary, ...] = ()
    plo_messages: tuple[PloMessage, ...] = ()  # newest first
    emergency_access_until: datetime | None = None  # set when reached by break-the-glass
    own_note: NoteItem | None = None  # my own note on this patient (only I see it)
    ward_note: NoteItem | None = None  # the ward's note on this patient
    fetched_at: datetime

    @property
    def inpatient_stays(self) -> tuple[Stay, ...]:
        """The stays tab: stays, without the outpatient visits (those are the attendances)."""
        return tuple(s for s in self.stays if s.kind not in OUTPATIENT_CLASSES)


class MyPatients(Model):
    in_care: tuple[PatientSummary, ...] = ()  # stays I take part in
    recent: tuple[PatientSummary, ...] = ()  # recently opened, newest first
    recent_list_id: str | None = None
    recent_list_version: str | None = None


# ------------------------------------------------------------------ lab results and microbiology


class LabFlag(StrEnum):
    """How a lab result compares with what is expected (see mobile_app/domain/labs.py)."""

    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    CRITICAL_LOW = "critical_low"
    CRITICAL_HIGH = "critical_high"
    ABNORMAL = "abnormal"  # a non-numeric result the lab marked abnormal (A, POS)
    CRITICAL = "critical"  # marked critically abnormal (AA) with no direction to tell
    PENDING = "pending"  # ordered or registered, no value yet
    UNKNOWN = "unknown"  # a value with nothing to judge it by (no range, no interpretation)

    @property
    def is_abnormal(self) -> bool:
        return self in _ABNORMAL_FLAGS

    @property
    def is_critical(self) -> bool:
        return self in _CRITICAL_FLAGS


_CRITICAL_FLAGS = frozenset({LabFlag.CRITICAL_LOW, LabFlag.CRITICAL_HIGH, LabFlag.CRITICAL})
_ABNORMAL_FLAGS = frozenset({LabFlag.LOW, LabFlag.HIGH, LabFlag.ABNORMAL, *_CRITICAL_FLAGS})


class LabGroup(StrEnum):
    """Groups of the lab tab, in the order they are shown."""

    HAEMATOLOGY = "haematology"
    CHEMISTRY = "chemistry"
    CARDIAC = "cardiac"
    BLOOD_GAS = "blood_gas"
    OTHER = "other"


class Signature(Model):
    """Who signed (acknowledged) a lab result, and when."""

    practitioner_id: str | None = None
    name: str
    at: datetime | None = None


class LabResult(Measurement):
    """One lab result: the measurement (``time`` is when the sample was taken) and what the app
    adds to it. ``version`` is the version the user saw; signing sends it back as If-Match."""

    version: str | None = None
    flag: LabFlag = LabFlag.UNKNOWN
    group: LabGroup = LabGroup.OTHER
    issued: datetime | None = None  # when the lab released the result
    reference_text: str | None = None  # the reference range as written, e.g. "< 5" or "Negativ"
    signature: Signature | None = None
    report_id: str | None = None
    panel: str | None = None  # e.g. "Blodprøver", from the DiagnosticReport
    performer: str | None = None  # the laboratory

    @property
    def analyte(self) -> str:
        """The key of the analyte (``system|code``): the same for every result of one test."""
        return f"{self.system or ''}|{self.code}"

    @property
    def signed(self) -> bool:
        return self.signature is not None

    @property
    def reported(self) -> datetime | None:
        """When the result became available: issued, else the sampling time."""
        return self.issued or self.time

    @property
    def pending(self) -> bool:
        return self.flag is LabFlag.PENDING

    @property
    def corrected(self) -> bool:
        return self.status in ("amended", "corrected")


class LabPanel(Model):
    """A patient's blood tests as the lab tab shows them."""

    patient_id: str
    latest: tuple[LabResult, ...] = ()  # newest result with a value per analyte, by group and order
    pending: tuple[LabResult, ...] = ()  # results waiting for a value, newest first
    history: dict[str, tuple[LabResult, ...]] = Field(default_factory=dict)  # analyte -> oldest first
    fetched_at: datetime
    complete: bool = True  # False when the server stopped before every page was read

    def groups(self) -> tuple[tuple[LabGroup, tuple[LabResult, ...]], ...]:
        """The newest results in their groups (only groups that have results), in display order."""
        return tuple((group, found) for group in LabGroup
                     if (found := tuple(r for r in self.latest if r.group is group)))

    def history_of(self, analyte: str) -> tuple[LabResult, ...]:
        return self.history.get(analyte, ())

    def unsigned(self) -> tuple[LabResult, ...]:
        """Every result with a value that nobody has signed yet, newest sample first."""
        found = [r for results in self.history.values() for r in results
                 if not r.signed and not r.pending and r.status != "cancelled"]
        return tuple(sorted(found, key=lambda r: r.time or r.issued or _EPOCH, reverse=True))


class ResultVersion(Model):
    """A result as the user saw it: signing fails if it has changed since."""

    id: str
    version: str


class SignedResult(Model):
    id: str
    version: str | None = None  # the new version, with the signature
    signature: Signature


class ChangedResult(Model):
    """A result that changed after the user saw it (why signing was refused)."""

    id: str
    name: str | None = None
    seen_version: str | None = None
    version: str | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


class Susceptibility(Model):
    antibiotic: str
    code: str | None = None
    result: str = ""  # "S", "I" or "R" ("" when not given)
    text: str | None = None  # e.g. "Følsom ved økt eksponering"


class Organism(Model):
    name: str
    code: str | None = None  # SNOMED CT
    susceptibilities: tuple[Susceptibility, ...] = ()


class MicroReport(Model):
    """One microbiology report (a culture) with its specimen, organisms and S/I/R table."""

    id: str
    name: str  # e.g. "Blodkultur"
    status: str  # registered, preliminary, final, amended, corrected ...
    sampled: datetime | None = None
    issued: datetime | None = None
    specimen: str | None = None  # e.g. "Urin, midtstråle"
    collected: datetime | None = None
    received: datetime | None = None
    conclusion: str | None = None
    organisms: tuple[Organism, ...] = ()
    findings: tuple[str, ...] = ()  # results that are not an identified organism, e.g. a Gram stain
    no_growth: bool = False
    performer: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in ("final", "amended", "corrected", "appended")


# ------------------------------------------------------------------ notifications


class NotificationKind(StrEnum):
    LAB_RESULT = "lab_result"
    MESSAGE = "message"
    TASK = "task"


class NotificationView(StrEnum):
    """What a tap on a notification opens."""

    LAB = "lab"  # the patient's lab tab
    OVERVIEW = "overview"  # the patient's overview
    MESSAGE = "message"  # the message itself (no patient)
    TASK = "task"  # the task itself (no patient)


class Notification(Model):
    id: str  # "Communication/<id>" or "Task/<id>"
    kind: NotificationKind
    text: str
    time: datetime | None = None  # sent (messages), authored (tasks)
    read: bool = False
    patient_id: str | None = None
    sender: str | None = None
    open_view: NotificationView = NotificationView.OVERVIEW
    status: str | None = None  # the Task's status
    version: str | None = None  # the Task's version (its status is changed with If-Match on it)
    due: datetime | None = None  # a Task's deadline (restriction.period.end)
    urgent: bool = False
    updated: datetime | None = None  # meta.lastUpdated, the server's clock: pass the newest as since


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Colleague(Model):
    """A practitioner found by name, to write to."""

    id: str
    name: str
    role: Role = Role.OTHER
    wards: tuple[str, ...] = ()  # the names of the wards they work on


class Message(Model):
    """An internal message between colleagues, optionally about a patient."""

    id: str
    client_id: str | None = None  # the sender's identifier for it (the outbox item's id)
    version: str | None = None
    sender_id: str | None = None
    sender_name: str | None = None
    recipient_id: str | None = None
    recipient_name: str | None = None
    text: str = ""
    sent: datetime | None = None
    about_patient_id: str | None = None
    about_patient_name: str | None = None
    read_at: datetime | None = None  # when the recipient read it (Communication.received)

    @property
    def read(self) -> bool:
        return self.read_at is not None
