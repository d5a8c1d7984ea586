"""The hospital's local terminology as configuration: one profile file, read once at startup.

Every local code system, identifier system, extension and canonical URL the app uses, and every
local code it writes, searches for or recognises (critical information, note types and note
categories, message categories, the app's own Lists, staff roles, task types, local lab codes ...),
comes from a terminology profile. The mock EPJ's profile (``terminology.toml`` beside this module:
``https://visitt.example.no/fhir/...``) is the default; a hospital maps each value to its own EPJ's
and starts the app with ``visitt --terminology FILE`` (docs/terminology.md has the table). Standard
code systems (LOINC, SNOMED CT, UCUM, HL7's terminology.hl7.org, the Norwegian OIDs) are not in the
profile: they are the same everywhere and stay constants where they are used.

The profile is TOML (or JSON, for a file named ``*.json``), checked with pydantic: a missing or
unknown key, a value of the wrong type, a URL that is not absolute or a code that cannot be searched
for is a ``TerminologyError`` naming the file and the key. ``use`` makes a profile the active one
(once, at startup, like the hospital's time zone); the EPJ client's mapping reads it with ``terms``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator

from mobile_app.domain import labs as lab_domain
from mobile_app.domain.models import OWN_NOTE, PatientNoteKind
from mobile_app.domain.roles import ADMISSION_NOTE, DISCHARGE_SUMMARY
from mobile_app.domain.writing import NURSING_NOTE, PROGRESS_NOTE

DEFAULT_FILE = "terminology.toml"  # the mock EPJ's profile, in this package
# A FHIR code (R4 datatypes: no leading or trailing whitespace) that can also stand in a token search:
# no "|" (system|code) and no "," (one value or another).
_CODE = re.compile(r"^[^\s|,]+( [^\s|,]+)*$")


class TerminologyError(ValueError):
    """A terminology profile that cannot be used; the message names the file and what is wrong."""


def _absolute_uri(value: str) -> str:
    """A code system, identifier system or extension URL: ``http(s)://host/...`` or ``urn:...``."""
    parts = urlsplit(value)
    web = parts.scheme in ("http", "https") and bool(parts.netloc)
    urn = parts.scheme == "urn" and bool(parts.path)
    if not (web or urn) or value != value.strip() or any(c in value for c in " |,"):
        raise ValueError(f"must be an absolute URI (https://host/... or urn:...), not {value!r}")
    return value


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"must be a code without leading or trailing spaces, '|' or ',', not {value!r}")
    return value


Uri = Annotated[str, AfterValidator(_absolute_uri)]
CodeValue = Annotated[str, AfterValidator(_code)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Part):
    """One code of a local code system, with the display the app writes beside it (if any)."""

    code: CodeValue
    display: str | None = None


class CodeSystem(_Part):
    """A local code system; a subclass names the codes the app uses from it."""

    system: Uri

    def token(self, code: Code | str) -> str:
        """``system|code``, for a token search."""
        return f"{self.system}|{code.code if isinstance(code, Code) else code}"

    def coding(self, code: Code, display: bool = True) -> dict[str, str]:
        """A FHIR Coding of ``code`` (with its display, unless ``display`` is False)."""
        found = {"system": self.system, "code": code.code}
        if display and code.display:
            found["display"] = code.display
        return found

    # Whether its codes must differ: the app tells them apart by code (a note's type, a List's kind).
    DISTINCT: ClassVar[bool] = False

    @model_validator(mode="after")
    def _apart(self) -> Self:
        if self.DISTINCT:
            seen = [value.code for value in self.__dict__.values() if isinstance(value, Code)]
            if len(seen) != len(set(seen)):
                raise ValueError(f"two of its codes are the same ({', '.join(seen)}): "
                                 "the app could not tell them apart")
        return self


class CriticalInformation(CodeSystem):
    """Flag.category of a critical-information flag; Condition.category of a critical condition."""

    flag: Code
    condition: Code


class DocumentTypes(CodeSystem):
    """DocumentReference.type: the journal note types the app writes (by role, domain/roles.py) and
    the type of a dictation sent for transcription."""

    DISTINCT = True

    progress_note: Code
    nursing_note: Code
    admission_note: Code
    discharge_summary: Code
    dictation: Code

    @property
    def note_types(self) -> dict[str, Code]:
        """The app's note type (``NoteDraft.note_type``, the domain's key) -> the hospital's code."""
        return {PROGRESS_NOTE: self.progress_note, NURSING_NOTE: self.nursing_note,
                ADMISSION_NOTE: self.admission_note, DISCHARGE_SUMMARY: self.discharge_summary}

    def note_type_of(self, code: str | None) -> str | None:
        """The app's note type for the hospital's code (None: not one the app writes)."""
        return next((key for key, known in self.note_types.items() if known.code == code), None)


class CommunicationCategories(CodeSystem):
    """Communication.category: the app's messages, an EPJ's lab notifications, PLO messages."""

    DISTINCT = True

    internal_message: Code
    lab_notification: Code
    plo: Code


class PloMessages(CodeSystem):
    """Communication.topic of a PLO message; a message of one of ``from_municipality`` is incoming
    when the EPJ does not say who sent it."""

    from_municipality: tuple[CodeValue, ...]


class ListCodes(CodeSystem):
    """List.code of the Lists the app keeps for the user."""

    DISTINCT = True

    recent_patients: Code
    followed_patients: Code
    ward_list_settings: Code


class StaffRoles(CodeSystem):
    """PractitionerRole.code of roles that neither HPR nor HL7 names."""

    auditor: Code


class NoteCategories(CodeSystem):
    """Flag.category and Flag.code of own notes and ward notes."""

    DISTINCT = True

    own_note: Code
    ward_note: Code

    def of(self, kind: PatientNoteKind) -> Code:
        return self.own_note if kind == OWN_NOTE else self.ward_note


class TaskTypes(CodeSystem):
    """Task.code of a transcription task."""

    transcription: Code


class OrganizationKinds(CodeSystem):
    """Organization.type of the secretary service that transcribes a ward's dictations."""

    secretary_service: Code


class LocalLab(CodeSystem):
    """Observation.code of lab tests the hospital codes locally: the app's analyte (a key of
    domain/labs.py's catalogue) -> the hospital's codes for it."""

    analytes: dict[str, tuple[CodeValue, ...]]

    @model_validator(mode="after")
    def _known(self) -> LocalLab:
        known = {a.key for a in lab_domain.ANALYTES}
        unknown = sorted(set(self.analytes) - known)
        if unknown:
            raise ValueError(f"analytes {', '.join(unknown)} are not in the app's catalogue "
                             f"({', '.join(sorted(known))})")
        codes = [code for found in self.analytes.values() for code in found]
        if len(codes) != len(set(codes)):
            raise ValueError("a local lab code names two analytes")
        return self

    @property
    def by_code(self) -> dict[str, str]:
        """The hospital's local lab code -> the app's analyte key."""
        return {code: key for key, codes in self.analytes.items() for code in codes}


class RiskMethods(CodeSystem):
    """RiskAssessment.method of a Padua thrombosis-risk assessment."""

    padua: Code


class Spo2Scales(CodeSystem):
    """A doctor's choice of NEWS2 SpO2 scale (Flag.code), and the scale a NEWS2 score used
    (Observation.method)."""

    DISTINCT = True

    scale_1: Code
    scale_2: Code

    def of(self, scale: int) -> Code:
        return self.scale_2 if scale == 2 else self.scale_1

    def scale_of(self, code: str | None) -> Literal[1, 2] | None:
        """1 or 2 for a scale code; None for any other."""
        if code == self.scale_1.code:
            return 1
        return 2 if code == self.scale_2.code else None


class IdentifierSystems(_Part):
    """Identifier systems of resources the app finds again by a key of its own."""

    own_note: Uri  # Flag.identifier of an own note: <author id>:<patient id>
    ward_note: Uri  # Flag.identifier of a ward note: <patient id>
    spo2_scale: Uri  # Flag.identifier of a SpO2 scale choice: <patient id>
    secretary_service: Uri  # Organization.identifier of a secretary service: <ward id>

    def note(self, kind: PatientNoteKind) -> str:
        return self.own_note if kind == OWN_NOTE else self.ward_note


class Extensions(_Part):
    """Extension URLs."""

    last_modified_by: Uri  # meta.extension: who saved this version (the mock's; a plain FHIR server has none)
    hide_empty_beds: Uri  # List.extension of the ward-list settings


class Questionnaires(_Part):
    """Canonical URLs of Questionnaires the app answers."""

    padua: Uri


class Terminology(_Part):
    """A terminology profile: every local value the app uses (docs/terminology.md)."""

    name: str
    critical_information: CriticalInformation
    document_type: DocumentTypes
    communication_category: CommunicationCategories
    plo_message: PloMessages
    list_code: ListCodes
    staff_role: StaffRoles
    note_category: NoteCategories
    ward_list_order: CodeSystem  # List.orderedBy of the ward-list settings: the codes are the app's own
    task_type: TaskTypes
    organization_kind: OrganizationKinds
    micro_antibiotic: CodeSystem  # Observation.code of a susceptibility result
    micro_observation: CodeSystem  # Observation.code of an organism or growth result
    local_lab: LocalLab
    acvpu: CodeSystem  # the value of a consciousness Observation: A, C, V, P, U
    oxygen_device: CodeSystem  # the oxygen flow's device component: the app's own codes
    news2_response: CodeSystem  # a NEWS2 score's interpretation: the app's clinical-response bands
    risk_method: RiskMethods
    news2_spo2_scale: Spo2Scales
    identifier_systems: IdentifierSystems
    extensions: Extensions
    questionnaires: Questionnaires

    @property
    def micro_systems(self) -> frozenset[str]:
        """The code systems that mark a lab Observation as microbiology."""
        return frozenset({self.micro_antibiotic.system, self.micro_observation.system})


# ------------------------------------------------------------------ reading a profile


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(the whole profile)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "missing"
    elif error["type"] == "extra_forbidden":
        message = "not a key of a terminology profile (misspelt?)"
    return f"{where}: {message}"


def parse(text: str, source: str, *, as_json: bool = False) -> Terminology:
    """A profile from its text (TOML, or JSON when ``as_json``); ``source`` names it in errors."""
    try:
        data = json.loads(text) if as_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise TerminologyError(f"{source}: not valid {'JSON' if as_json else 'TOML'}: {error}") from error
    if not isinstance(data, Mapping):
        raise TerminologyError(f"{source}: a terminology profile is an object of keys, not {type(data).__name__}")
    try:
        return Terminology.model_validate(data)
    except ValidationError as error:
        problems = [_problem(dict(e)) for e in error.errors()]
        raise TerminologyError(f"{source}: not a usable terminology profile: " + "; ".join(problems)) from error


def load(path: Path | str | None = None) -> Terminology:
    """The profile in ``path`` (None: the mock EPJ's, shipped with the app)."""
    if path is None:
        return parse(resources.files("mobile_app.epj").joinpath(DEFAULT_FILE).read_text(encoding="utf-8"),
                     DEFAULT_FILE)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TerminologyError(f"{path}: the terminology profile cannot be read: {error}") from error
    return parse(text, str(path), as_json=path.suffix.lower() == ".json")


# ------------------------------------------------------------------ the active profile

_active: Terminology | None = None


def use(profile: Terminology) -> None:
    """Make ``profile`` the one the app uses (at startup: ``visitt --terminology FILE``)."""
    global _active
    _active = profile


def terms() -> Terminology:
    """The active profile: the one given to ``use``, else the mock EPJ's."""
    global _active
    if _active is None:
        _active = load()
    return _active
