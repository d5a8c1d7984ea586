"""Which resource types the server holds, their search parameters, and how values are extracted.

The registry is the single source for three things: what the store indexes on every write, what
the search engine accepts, and what the CapabilityStatement advertises.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from mock_epj import dates
from mock_epj.terminology import EXT_PROVENANCE_PATIENT, EXT_SUBSCRIBER

# Extensions whose valueReference is indexed as a reference (see reference_values).
_REFERENCE_EXTENSIONS = frozenset({EXT_SUBSCRIBER, EXT_PROVENANCE_PATIENT})


class ParamType(StrEnum):
    STRING = "string"
    TOKEN = "token"
    DATE = "date"
    REFERENCE = "reference"


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: ParamType
    paths: tuple[str, ...]
    doc: str
    targets: tuple[str, ...] = ()  # for references: only these target types are indexed


@dataclass(frozen=True)
class ResourceDef:
    params: dict[str, SearchParam]
    patient_param: str | None = None  # the reference parameter naming the patient, if clinical
    owner_paths: tuple[str, ...] = ()  # practitioners who may always read it (sender, author, ...)
    private: bool = False  # readable only by its owners
    includes: tuple[str, ...] = ()  # "Type:param" values accepted for _include
    revincludes: tuple[str, ...] = ()  # "Type:param" values accepted for _revinclude
    sorts: tuple[str, ...] = field(default=())
    max_count: int | None = None  # the largest page (_count) served, when above the server's default


def _p(name: str, type_: ParamType, *paths: str, doc: str = "", targets: tuple[str, ...] = ()) -> SearchParam:
    return SearchParam(name, type_, paths, doc or f"{name} ({type_})", targets)


S, T, D, R = ParamType.STRING, ParamType.TOKEN, ParamType.DATE, ParamType.REFERENCE
PAT = ("Patient",)


def _patient_refs(*paths: str) -> SearchParam:
    return _p("patient", R, *paths, doc="The patient the resource is about", targets=PAT)


def _subject(*paths: str) -> SearchParam:
    return _p("subject", R, *paths, doc="Who or what the resource is about")


def _defs() -> dict[str, ResourceDef]:
    name_params = {
        "name": _p("name", S, "name", doc="Any part of the name (prefix, case and accent insensitive)"),
        "family": _p("family", S, "name.family", doc="Family name (prefix)"),
        "given": _p("given", S, "name.given", doc="Given name (prefix)"),
        "identifier": _p("identifier", T, "identifier", doc="An identifier (system|value)"),
    }
    return {
        "Patient": ResourceDef(
            {
                **name_params,
                "birthdate": _p("birthdate", D, "birthDate", doc="Date of birth"),
                "gender": _p("gender", T, "gender", doc="Administrative gender"),
            },
            revincludes=("Encounter:patient", "Encounter:subject", "Flag:patient"),
            sorts=("family", "given", "name", "birthdate"),
        ),
        "Practitioner": ResourceDef(name_params, revincludes=("PractitionerRole:practitioner",),
                                    sorts=("family", "given", "name")),
        "PractitionerRole": ResourceDef(
            {
                "practitioner": _p("practitioner", R, "practitioner"),
                "location": _p("location", R, "location", doc="The wards the practitioner works on"),
                "role": _p("role", T, "code"),
                "organization": _p("organization", R, "organization"),
            },
            includes=("PractitionerRole:practitioner", "PractitionerRole:location"),
        ),
        "Organization": ResourceDef(
            {
                "name": _p("name", S, "name", "alias"),
                "identifier": _p("identifier", T, "identifier"),
                "type": _p("type", T, "type"),
            },
            sorts=("name",),
        ),
        "Location": ResourceDef(
            {
                "name": _p("name", S, "name", "alias"),
                "partof": _p("partof", R, "partOf", doc="The location this one is part of"),
                "type": _p("type", T, "type", "physicalType",
                           doc="Location type or physical type (wa ward, ro room, bd bed)"),
                "identifier": _p("identifier", T, "identifier"),
                "status": _p("status", T, "status"),
            },
            includes=("Location:partof",),
            revincludes=("Location:partof",),
            sorts=("name",),
        ),
        "Encounter": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "status": _p("status", T, "status"),
                "class": _p("class", T, "class"),
                "location": _p("location", R, "location.location"),
                "participant": _p("participant", R, "participant.individual"),
                "date": _p("date", D, "period", doc="The period of the encounter"),
                "reason-code": _p("reason-code", T, "reasonCode"),
            },
            patient_param="patient",
            includes=("Encounter:patient", "Encounter:subject", "Encounter:location",
                      "Encounter:participant"),
            sorts=("date",),
        ),
        "Observation": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "category": _p("category", T, "category"),
                "code": _p("code", T, "code"),
                "date": _p("date", D, "effective", doc="Clinically relevant time (effective[x])"),
                "status": _p("status", T, "status"),
                "encounter": _p("encounter", R, "encounter"),
                "has-member": _p("has-member", R, "hasMember"),
            },
            patient_param="patient",
            includes=("Observation:has-member", "Observation:patient"),
            revincludes=("Provenance:target",),  # who signed which version of a result
            sorts=("date", "code"),
            max_count=1000,  # a lab history of years loads in a few pages
        ),
        "DiagnosticReport": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "category": _p("category", T, "category"),
                "code": _p("code", T, "code"),
                "date": _p("date", D, "effective"),
                "status": _p("status", T, "status"),
                "result": _p("result", R, "result"),
                "encounter": _p("encounter", R, "encounter"),
                "specimen": _p("specimen", R, "specimen"),
            },
            patient_param="patient",
            includes=("DiagnosticReport:result", "DiagnosticReport:specimen"),
            sorts=("date",),
        ),
        "Specimen": ResourceDef(
            {"patient": _patient_refs("subject"), "subject": _subject("subject")},
            patient_param="patient",
        ),
        "DocumentReference": ResourceDef(
            {
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "type": _p("type", T, "type"),
                "category": _p("category", T, "category"),
                "date": _p("date", D, "date"),
                "status": _p("status", T, "status"),
                "author": _p("author", R, "author"),
                "encounter": _p("encounter", R, "context.encounter"),
                "identifier": _p("identifier", T, "identifier", "masterIdentifier"),
            },
            patient_param="patient",
            owner_paths=("author",),
            includes=("DocumentReference:author",),
            sorts=("date",),
        ),
        "AllergyIntolerance": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("patient"),
                "criticality": _p("criticality", T, "criticality"),
                "clinical-status": _p("clinical-status", T, "clinicalStatus"),
            },
            patient_param="patient",
        ),
        "Flag": ResourceDef(
            {
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "status": _p("status", T, "status"),
                "category": _p("category", T, "category"),
                "author": _p("author", R, "author"),
                "identifier": _p("identifier", T, "identifier"),
            },
            patient_param="patient",
            owner_paths=("author",),
        ),
        "Condition": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "category": _p("category", T, "category"),
                "clinical-status": _p("clinical-status", T, "clinicalStatus"),
                "code": _p("code", T, "code"),
                "encounter": _p("encounter", R, "encounter"),
            },
            patient_param="patient",
        ),
        "Device": ResourceDef(
            {"patient": _patient_refs("patient"), "type": _p("type", T, "type")},
            patient_param="patient",
        ),
        "Procedure": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "date": _p("date", D, "performed"),
                "code": _p("code", T, "code"),
            },
            patient_param="patient",
            sorts=("date",),
        ),
        "Media": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "created": _p("created", D, "createdDateTime", doc="When the photo was taken"),
                "operator": _p("operator", R, "operator", doc="Who took it"),
                "site": _p("site", T, "bodySite"),
                "status": _p("status", T, "status"),
                "type": _p("type", T, "type"),
                "encounter": _p("encounter", R, "encounter"),
            },
            patient_param="patient",
            owner_paths=("operator",),
            sorts=("created",),
        ),
        "Task": ResourceDef(
            {
                "owner": _p("owner", R, "owner"),
                "patient": _patient_refs("for"),
                "subject": _subject("for"),
                "status": _p("status", T, "status"),
                "requester": _p("requester", R, "requester"),
                "authored-on": _p("authored-on", D, "authoredOn"),
                "identifier": _p("identifier", T, "identifier"),
                "focus": _p("focus", R, "focus"),
                "code": _p("code", T, "code"),
            },
            patient_param="patient",
            owner_paths=("owner", "requester"),
            includes=("Task:patient",),
            sorts=("authored-on",),
        ),
        "Appointment": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "actor": _p("actor", R, "participant.actor"),
                "patient": _patient_refs("participant.actor"),
                "practitioner": _p("practitioner", R, "participant.actor", targets=("Practitioner",)),
                "location": _p("location", R, "participant.actor", targets=("Location",),
                               doc="The clinic or ward the appointment is at"),
                "date": _p("date", D, "start"),
                "status": _p("status", T, "status"),
                "service-type": _p("service-type", T, "serviceType"),
                "appointment-type": _p("appointment-type", T, "appointmentType"),
            },
            patient_param="patient",
            owner_paths=("participant.actor",),
            includes=("Appointment:patient", "Appointment:actor"),
            sorts=("date",),
        ),
        "Schedule": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "actor": _p("actor", R, "actor", doc="Whose book: a practitioner or a clinic (Location)"),
                "active": _p("active", T, "active"),
                "date": _p("date", D, "planningHorizon", doc="The period the book is planned for"),
                "service-type": _p("service-type", T, "serviceType"),
            },
            includes=("Schedule:actor",),
        ),
        "Communication": ResourceDef(
            {
                "recipient": _p("recipient", R, "recipient"),
                "sender": _p("sender", R, "sender"),
                "subject": _subject("subject"),
                "patient": _patient_refs("subject"),
                "category": _p("category", T, "category"),
                "sent": _p("sent", D, "sent"),
                "status": _p("status", T, "status"),
                "identifier": _p("identifier", T, "identifier"),
            },
            patient_param="patient",
            owner_paths=("sender", "recipient"),
            includes=("Communication:subject", "Communication:sender", "Communication:recipient"),
            sorts=("sent",),
        ),
        "CarePlan": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "status": _p("status", T, "status"),
                "category": _p("category", T, "category"),
                "date": _p("date", D, "period"),
            },
            patient_param="patient",
            sorts=("date",),
        ),
        "RelatedPerson": ResourceDef(
            {
                "patient": _patient_refs("patient"),
                "relationship": _p("relationship", T, "relationship"),
                "name": _p("name", S, "name"),
            },
            patient_param="patient",
        ),
        "Subscription": ResourceDef(
            {
                "status": _p("status", T, "status"),
                "criteria": _p("criteria", S, "criteria", doc="The search the subscription follows"),
                "type": _p("type", T, "channel.type"),
                "patient": _patient_refs(),  # taken from the criteria, see index_rows
            },
            patient_param="patient",
            owner_paths=("extension",),
            private=True,
        ),
        "List": ResourceDef(
            {
                "source": _p("source", R, "source"),
                "code": _p("code", T, "code"),
                "status": _p("status", T, "status"),
                "subject": _subject("subject"),
                "item": _p("item", R, "entry.item"),
                "identifier": _p("identifier", T, "identifier"),
            },
            owner_paths=("source",),
            private=True,
            includes=("List:item",),
        ),
        "Provenance": ResourceDef(
            {
                "target": _p("target", R, "target", doc="What the activity was about (usually a version of it)"),
                # R4: targets that are Patients; here also the patient the server stamps on a
                # signature (the patient of its targets, in R5's Provenance.patient extension).
                "patient": _patient_refs("target", "extension"),
                "agent": _p("agent", R, "agent.who", doc="Who took part (the signer)"),
                "recorded": _p("recorded", D, "recorded", doc="When the activity was recorded"),
                "activity": _p("activity", T, "activity", doc="What was done, e.g. iso-21089-lifecycle|verify"),
            },
            patient_param="patient",
            owner_paths=("agent.who",),
            includes=("Provenance:target", "Provenance:agent"),
            sorts=("recorded",),
        ),
        "QuestionnaireResponse": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "questionnaire": _p("questionnaire", R, "questionnaire",
                                    doc="The Questionnaire answered (its canonical URL)"),
                "authored": _p("authored", D, "authored", doc="When the answers were given"),
                "status": _p("status", T, "status"),
                "author": _p("author", R, "author"),
                "encounter": _p("encounter", R, "encounter"),
            },
            patient_param="patient",
            sorts=("authored",),
        ),
        "RiskAssessment": ResourceDef(
            {
                "identifier": _p("identifier", T, "identifier"),
                "patient": _patient_refs("subject"),
                "subject": _subject("subject"),
                "date": _p("date", D, "occurrence", doc="When the risk was assessed (occurrence[x])"),
                "method": _p("method", T, "method", doc="The scoring method, e.g. risk-method|padua"),
                "risk": _p("risk", T, "prediction.qualitativeRisk", doc="Qualitative risk (risk-probability)"),
                "performer": _p("performer", R, "performer"),
                "encounter": _p("encounter", R, "encounter"),
            },
            patient_param="patient",
            sorts=("date",),
        ),
        "AuditEvent": ResourceDef(
            {
                "patient": _patient_refs("entity.what"),
                "agent": _p("agent", R, "agent.who"),
                "entity": _p("entity", R, "entity.what"),
                "date": _p("date", D, "recorded"),
                "action": _p("action", T, "action"),
                "outcome": _p("outcome", T, "outcome"),
                "subtype": _p("subtype", T, "subtype"),
            },
            sorts=("date",),
        ),
    }


COMMON_PARAMS: dict[str, SearchParam] = {
    "_id": _p("_id", T, "id", doc="Logical id"),
    "_lastUpdated": _p("_lastUpdated", D, "meta.lastUpdated", doc="When the resource last changed"),
}

RESOURCES: dict[str, ResourceDef] = _defs()
# Types whose rows belong to a patient and need a care relation to be read in full.
CLINICAL_TYPES = frozenset(t for t, d in RESOURCES.items() if d.patient_param)
# Encounters are shown subsetted (no reasons, no staff) to users without a care relation, so that
# a patient search can still show the current ward and bed; Appointments so (no reason, no
# description), so that a colleague's or a clinic's book shows whom they see when (docs/worklists.md).
SUBSETTED_TYPES = frozenset({"Encounter", "Appointment"})
# Subsetted types that are never searched by patient without a care relation: a book is browsed
# by practitioner, clinic and day, and a patient's appointments are part of their record.
NOT_BY_PATIENT_TYPES = frozenset({"Appointment"})
AUDITOR_ONLY_TYPES = frozenset({"AuditEvent"})


# Search parameters this server knows but FHIR R4 does not define (R4 Flag has no status or
# category parameter, Subscription no patient). A server in strict mode knows none of them: like
# any unknown parameter they give 400.
MOCK_ONLY_PARAMS = frozenset({("Subscription", "patient"), ("Flag", "status"), ("Flag", "category")})


def param_for(type_: str, name: str, *, extras: bool = True) -> SearchParam | None:
    """The search parameter ``name`` of ``type_``; ``extras=False``: FHIR R4's own only."""
    definition = RESOURCES.get(type_)
    if definition is None or (not extras and (type_, name) in MOCK_ONLY_PARAMS):
        return None
    return definition.params.get(name) or COMMON_PARAMS.get(name)


# ---------------------------------------------------------------- value extraction


def walk(node: Any, path: str) -> Iterator[Any]:
    """Yield every value at a dotted path; lists fan out; ``effective`` also finds effective[x]."""
    parts = path.split(".")
    yield from _walk(node, parts)


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, parts)
        return
    if not parts:
        if node is not None:
            yield node
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head in node:
        yield from _walk(node[head], rest)
        return
    # choice type: effective -> effectiveDateTime / effectivePeriod ...
    for key, value in node.items():
        if key.startswith(head) and key[len(head):][:1].isupper():
            yield from _walk(value, rest)


_KEEP = {"å", "Å"}  # Norwegian letters that look decomposable but are letters of their own


def normalize_string(text: str) -> str:
    """Case- and accent-insensitive form for string search that keeps æ, ø and å distinct."""
    out: list[str] = []
    for ch in text:
        if ch in _KEEP:
            out.append("å")
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out).casefold()


def string_values(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield normalize_string(node)
        words = node.replace("-", " ").split()
        if len(words) > 1:
            for word in words:
                yield normalize_string(word)
    elif isinstance(node, dict):
        for key in ("family", "given", "text", "prefix", "suffix", "line", "city", "postalCode",
                    "country", "district"):
            value = node.get(key)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    yield from string_values(item)


def token_values(node: Any) -> Iterator[tuple[str | None, str]]:
    if isinstance(node, bool):
        yield None, "true" if node else "false"
    elif isinstance(node, str):
        yield None, node
    elif isinstance(node, dict):
        if "coding" in node or "text" in node:  # CodeableConcept
            for coding in node.get("coding", []):
                if coding.get("code"):
                    yield coding.get("system"), coding["code"]
        elif "code" in node:  # Coding
            yield node.get("system"), node["code"]
        elif "value" in node and isinstance(node["value"], str):  # Identifier
            yield node.get("system"), node["value"]


def date_values(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        parsed = dates.parse_range(node)
        if parsed:
            yield parsed
    elif isinstance(node, dict) and ("start" in node or "end" in node):
        start = dates.parse_range(node["start"]) if "start" in node else None
        end = dates.parse_range(node["end"]) if "end" in node else None
        yield (start[0] if start else dates.MIN), (end[1] if end else dates.MAX)


def reference_values(node: Any, targets: tuple[str, ...]) -> Iterator[str]:
    ref: Any = None
    if isinstance(node, str) and "/" in node:  # a canonical URL (QuestionnaireResponse.questionnaire)
        ref = node
    elif isinstance(node, dict):
        if "reference" in node:
            ref = node["reference"]
        elif node.get("url") in _REFERENCE_EXTENSIONS:
            ref = node.get("valueReference", {}).get("reference")
    if not isinstance(ref, str):
        return
    ref = relative_reference(ref)
    if targets and ref.split("/", 1)[0] not in targets:
        return
    yield ref


def relative_reference(ref: str) -> str:
    """``http://host/fhir/Patient/1/_history/2`` -> ``Patient/1``."""
    if "/_history/" in ref:
        ref = ref.split("/_history/", 1)[0]
    parts = ref.rstrip("/").split("/")
    if len(parts) >= 2:
        return f"{parts[-2]}/{parts[-1]}"
    return ref


IndexRows = tuple[
    list[tuple[str, str]],  # strings: (param, value)
    list[tuple[str, str | None, str]],  # tokens: (param, system, code)
    list[tuple[str, str, str]],  # dates: (param, lo, hi)
    list[tuple[str, str]],  # references: (param, ref)
]


def index_rows(resource: dict[str, Any]) -> IndexRows:
    """Every search-index entry of one resource, including the ``_owner`` pseudo-parameter."""
    type_ = resource["resourceType"]
    definition = RESOURCES[type_]
    strings: set[tuple[str, str]] = set()
    tokens: set[tuple[str, str | None, str]] = set()
    date_rows: set[tuple[str, str, str]] = set()
    refs: set[tuple[str, str]] = set()
    params = [*definition.params.values(), *COMMON_PARAMS.values()]
    for param in params:
        for path in param.paths:
            for node in walk(resource, path):
                if param.type is ParamType.STRING:
                    strings.update((param.name, v) for v in string_values(node))
                elif param.type is ParamType.TOKEN:
                    tokens.update((param.name, s, c) for s, c in token_values(node))
                elif param.type is ParamType.DATE:
                    date_rows.update((param.name, lo, hi) for lo, hi in date_values(node))
                else:
                    refs.update((param.name, r) for r in reference_values(node, param.targets))
    if type_ == "Subscription":
        refs.update(("patient", f"Patient/{p}") for p in criteria_patients(resource.get("criteria", "")))
    for path in definition.owner_paths:
        for node in walk(resource, path):
            refs.update(("_owner", r) for r in reference_values(node, ("Practitioner",)))
    return sorted(strings), sorted(tokens, key=str), sorted(date_rows), sorted(refs)


def criteria_patients(criteria: str) -> list[str]:
    """Patient ids named by a Subscription criteria such as ``Observation?patient=Patient/1``."""
    query = criteria.split("?", 1)[1] if "?" in criteria else ""
    ids: list[str] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in ("patient", "subject"):
            ids.extend(relative_reference(v).split("/")[-1] for v in value.split(","))
    return ids


def patient_of(resource: dict[str, Any], rows: IndexRows) -> str | None:
    """The id of the patient a clinical resource belongs to (its compartment), if any."""
    definition = RESOURCES[resource["resourceType"]]
    if definition.patient_param is None:
        return None
    for param, ref in rows[3]:
        if param == definition.patient_param:
            return ref.split("/", 1)[1]
    return None
