"""FHIR JSON to domain models for one patient's record: the patient overview and its parts.

Pure functions over parsed resources: critical information, vital signs and lab results,
documents, next of kin, care plans and PLO messages. Resources marked ``entered-in-error`` are
left out everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from mobile_app.domain import news2
from mobile_app.domain.models import (
    Allergy,
    CarePlanActivity,
    CarePlanSummary,
    ContactDetails,
    CriticalCondition,
    CriticalInfo,
    DocumentSummary,
    Implant,
    Measurement,
    NextOfKin,
    PatientOverview,
    PloMessage,
)
from mobile_app.domain.recording import uses_scale2
from mobile_app.epj import fhir, labs, mapping, recording_mapping, worklist_mapping
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms

LOINC = "http://loinc.org"
BLOOD_PRESSURE = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
_GONE = ("entered-in-error", "refuted", "inactive", "resolved", "cancelled")
_CRITICAL_FIRST = {"high": 0, "unable-to-assess": 1, "low": 2}
_SEVERITY = {"severe": 3, "moderate": 2, "mild": 1}


def _gone(resource: JSON, *status_elements: str) -> bool:
    """Whether the resource is withdrawn: entered in error, refuted, inactive or resolved."""
    if resource.get("status") == "entered-in-error":
        return True
    return any(fhir.code_of(fhir.obj(resource, name)) in _GONE for name in status_elements)


def _notes(resource: JSON) -> str | None:
    notes = [fhir.text(n, "text") for n in fhir.objects(resource, "note")]
    return "\n".join(n for n in notes if n) or None


def _time(value: str | None) -> float:
    parsed = fhir.parse_instant(value)
    return parsed.timestamp() if parsed else float("-inf")


# ------------------------------------------------------------------ critical information


def allergy(resource: JSON) -> Allergy | None:
    if _gone(resource, "clinicalStatus", "verificationStatus"):
        return None
    reactions = fhir.objects(resource, "reaction")
    manifestations = [fhir.concept_text(m) for r in reactions for m in fhir.objects(r, "manifestation")]
    severities = sorted((s for r in reactions if (s := fhir.text(r, "severity"))),
                        key=lambda s: _SEVERITY.get(s, 0), reverse=True)
    return Allergy(
        substance=fhir.concept_text(fhir.obj(resource, "code")) or fhir.first(
            fhir.concept_text(fhir.obj(r, "substance")) for r in reactions) or "",
        criticality=fhir.text(resource, "criticality"),
        categories=tuple(fhir.strings(resource, "category")),
        reactions=tuple(dict.fromkeys(m for m in manifestations if m)),
        severity=severities[0] if severities else None,
        verification=fhir.code_of(fhir.obj(resource, "verificationStatus")),
        recorded=fhir.parse_instant(resource.get("recordedDate")),
    )


def allergies(resources: Iterable[JSON]) -> list[Allergy]:
    """Current allergies, the critical ones first, then the most recently recorded."""
    found = [a for r in resources if (a := allergy(r)) is not None]
    found.sort(key=lambda a: -(a.recorded.timestamp() if a.recorded else float("-inf")))
    return sorted(found, key=lambda a: _CRITICAL_FIRST.get(a.criticality or "", 3))


def is_critical_condition(resource: JSON) -> bool:
    critical = terms().critical_information
    return fhir.has_code_in(fhir.objects(resource, "category"), critical.system, critical.condition.code)


def critical_condition(resource: JSON) -> CriticalCondition | None:
    """A Condition in the critical-condition category (others are not critical information)."""
    if not is_critical_condition(resource) or _gone(resource, "clinicalStatus", "verificationStatus"):
        return None
    code = fhir.obj(resource, "code")
    return CriticalCondition(
        text=fhir.concept_text(code) or "",
        code=fhir.code_of(code),
        onset=fhir.parse_instant(resource.get("onsetDateTime")) or fhir.period_start(resource, "onsetPeriod")
        or fhir.parse_instant(resource.get("recordedDate")),
        note=_notes(resource),
    )


def implant(resource: JSON) -> Implant | None:
    if resource.get("status") in ("inactive", "entered-in-error"):
        return None
    names = fhir.objects(resource, "deviceName")
    names.sort(key=lambda n: n.get("type") != "user-friendly-name")
    name = fhir.first([*(fhir.text(n, "name") for n in names), fhir.concept_text(fhir.obj(resource, "type"))])
    return Implant(text=name or "", note=_notes(resource)) if name else None


def critical_info(allergy_resources: Iterable[JSON], conditions: Iterable[JSON], devices: Iterable[JSON],
                  flags: Iterable[JSON], patient_id: str) -> CriticalInfo:
    return CriticalInfo(
        allergies=tuple(allergies(allergy_resources)),
        conditions=tuple(c for r in conditions if (c := critical_condition(r)) is not None),
        implants=tuple(i for r in devices if (i := implant(r)) is not None),
        flagged=patient_id in mapping.critical_flag_patients(flags),
    )


# ------------------------------------------------------------------ measurements


def _quantity_unit(quantity: JSON) -> str | None:
    return fhir.text(quantity, "unit") or fhir.text(quantity, "code")


def _value(resource: JSON) -> tuple[float | None, str | None, str | None, str | None]:
    """(value, value_text, comparator, unit) of an Observation or a component."""
    quantity = fhir.obj(resource, "valueQuantity")
    if quantity:
        return (fhir.number(quantity, "value"), None, fhir.text(quantity, "comparator"),
                _quantity_unit(quantity))
    if fhir.number(resource, "valueInteger") is not None:
        return fhir.number(resource, "valueInteger"), None, None, None
    if isinstance(resource.get("valueBoolean"), bool):
        return None, "Ja" if resource["valueBoolean"] else "Nei", None, None
    value_range = fhir.obj(resource, "valueRange")
    if value_range:
        low, high = fhir.obj(value_range, "low"), fhir.obj(value_range, "high")
        ends = [fhir.number(low, "value"), fhir.number(high, "value")]
        shown = "-".join("" if end is None else f"{end:g}" for end in ends)
        return None, shown, None, _quantity_unit(low) or _quantity_unit(high)
    text = fhir.first([fhir.text(resource, "valueString"),
                        fhir.concept_text(fhir.obj(resource, "valueCodeableConcept")),
                        fhir.concept_text(fhir.obj(resource, "dataAbsentReason"))])
    return None, text, None, None


def measurement(resource: JSON) -> Measurement | None:
    """A vital sign or lab result; None when entered in error or cancelled."""
    if resource.get("status") in ("entered-in-error", "cancelled"):
        return None
    code = fhir.obj(resource, "code")
    main = fhir.codings(code)[0] if fhir.codings(code) else {}
    value, value_text, comparator, unit = _value(resource)
    components: list[tuple[str, float | None, str | None]] = []
    details: list[str] = []
    for component in fhir.objects(resource, "component"):
        c_value, c_text, _, c_unit = _value(component)
        components.append((fhir.code_of(fhir.obj(component, "code")) or "", c_value, c_unit))
        if c_value is None and c_text:
            details.append(c_text)
    if fhir.text(main, "code") == BLOOD_PRESSURE and main.get("system", LOINC) == LOINC and value is None:
        parts = {c[0]: c for c in components}
        systolic, diastolic = parts.get(SYSTOLIC), parts.get(DIASTOLIC)
        if systolic and diastolic and systolic[1] is not None and diastolic[1] is not None:
            value_text = f"{systolic[1]:g}/{diastolic[1]:g}"
            unit = unit or systolic[2]
    ranges = fhir.objects(resource, "referenceRange")
    reference = ranges[0] if ranges else {}
    if unit is None and value_text is None:  # a pending result still has the unit of its range
        unit = _quantity_unit(fhir.obj(reference, "low")) or _quantity_unit(fhir.obj(reference, "high"))
    interpretations = fhir.objects(resource, "interpretation")
    return Measurement(
        id=str(resource.get("id", "")),
        code=fhir.text(main, "code") or fhir.concept_text(code) or "",
        system=fhir.text(main, "system"),
        name=fhir.concept_text(code) or "",
        value=value,
        value_text=value_text,
        comparator=comparator,
        unit=unit,
        low=fhir.number(fhir.obj(reference, "low"), "value"),
        high=fhir.number(fhir.obj(reference, "high"), "value"),
        interpretation=fhir.code_of(interpretations[0]) if interpretations else None,
        time=fhir.first_instant(resource, "effectiveDateTime", "effectiveInstant", "issued")
        or fhir.period_start(resource, "effectivePeriod"),
        status=fhir.text(resource, "status") or "final",
        components=tuple(components),
        details=tuple(details),
    )


def newest_per_code(resources: Iterable[JSON]) -> tuple[Measurement, ...]:
    """The newest measurement of each code, in the order the codes first appear."""
    newest: dict[tuple[str | None, str], Measurement] = {}
    for resource in resources:
        found = measurement(resource)
        if found is None:
            continue
        code = (found.system, found.code)
        known = newest.get(code)
        if known is None or (found.time is not None and (known.time is None or found.time > known.time)):
            newest[code] = found
    return tuple(newest.values())


# ------------------------------------------------------------------ documents and people


def document(resource: JSON) -> DocumentSummary | None:
    if resource.get("status") == "entered-in-error":
        return None
    attachments = [fhir.obj(c, "attachment") for c in fhir.objects(resource, "content")]
    type_ = fhir.obj(resource, "type")
    types = terms().document_type
    code = fhir.code_of(type_, types.system)
    authors = fhir.objects(resource, "author")
    return DocumentSummary(
        id=str(resource.get("id", "")),
        title=fhir.first([fhir.text(resource, "description"), *(fhir.text(a, "title") for a in attachments),
                          fhir.concept_text(type_)]) or "",
        type_code=types.note_type_of(code) or code or fhir.code_of(type_),  # the app's note type, if one
        type_name=fhir.concept_text(type_),
        date=fhir.parse_instant(resource.get("date")) or next(
            (d for a in attachments if (d := fhir.parse_instant(a.get("creation")))), None),
        author=fhir.first(fhir.display(a) for a in authors),
        status=fhir.text(resource, "docStatus") or "final",
        text=fhir.first(fhir.attachment_text(a) for a in attachments),
        version=fhir.version_id(resource),
        author_id=fhir.first(fhir.reference_id(a, "Practitioner") for a in authors),
        client_id=fhir.client_id(resource),
        encounter_id=fhir.first(fhir.reference_id(e, "Encounter")
                                for e in fhir.objects(fhir.obj(resource, "context"), "encounter")),
    )


def documents(resources: Iterable[JSON]) -> tuple[DocumentSummary, ...]:
    found = [d for r in resources if (d := document(r)) is not None]
    return tuple(sorted(found, key=lambda d: -(d.date.timestamp() if d.date else float("-inf"))))


def next_of_kin(resource: JSON) -> NextOfKin | None:
    if resource.get("active") is False:
        return None
    relationships = fhir.objects(resource, "relationship")
    is_kin = (fhir.has_code_in(relationships, fhir.CONTACT_ROLE, "N")
              or fhir.has_code_in(relationships, fhir.ROLE_CODE, "NOK"))
    described = [r for r in relationships if not fhir.has_code(r, fhir.CONTACT_ROLE, "N")
                 and not fhir.has_code(r, fhir.ROLE_CODE, "NOK")]
    return NextOfKin(
        name=fhir.person_name(resource) or "",
        relationship=fhir.first(fhir.concept_text(r) for r in described or relationships),
        phone=fhir.phone(resource),
        is_next_of_kin=is_kin,
    )


def contact_details(patient: JSON) -> ContactDetails:
    addresses = [a for a in fhir.objects(patient, "address") if a.get("use") != "old"]
    address = addresses[0] if addresses else {}
    place = " ".join(p for p in (fhir.text(address, "postalCode"), fhir.text(address, "city")) if p)
    written = ", ".join(p for p in (*fhir.strings(address, "line"), place) if p)
    languages = fhir.objects(patient, "communication")
    languages.sort(key=lambda c: c.get("preferred") is not True)
    return ContactDetails(
        address=written or fhir.text(address, "text"),
        phone=fhir.phone(patient),
        marital_status=fhir.concept_text(fhir.obj(patient, "maritalStatus")),
        language=fhir.first(fhir.concept_text(fhir.obj(c, "language")) for c in languages),
    )


def care_plan(resource: JSON) -> CarePlanSummary | None:
    if resource.get("status") in ("entered-in-error", "revoked"):
        return None
    activities = []
    for activity in fhir.objects(resource, "activity"):
        detail = fhir.obj(activity, "detail")
        description = fhir.first([fhir.text(detail, "description"),
                                  fhir.concept_text(fhir.obj(detail, "code")),
                                  fhir.display(fhir.obj(activity, "reference"))])
        if description:
            activities.append(CarePlanActivity(status=fhir.text(detail, "status") or "unknown",
                                               description=description))
    return CarePlanSummary(
        title=fhir.first([fhir.text(resource, "title"),
                          *(fhir.concept_text(c) for c in fhir.objects(resource, "category")),
                          fhir.text(resource, "description")]) or "",
        description=fhir.text(resource, "description"),
        status=fhir.text(resource, "status") or "unknown",
        start=fhir.period_start(resource) or fhir.parse_instant(resource.get("created")),
        author=fhir.display(fhir.obj(resource, "author")),
        activities=tuple(activities),
    )


def plo_message(resource: JSON, hospital: frozenset[str]) -> PloMessage:
    """A PLO message; it is outgoing when the hospital (an Encounter's serviceProvider) sent it."""
    topic = fhir.obj(resource, "topic")
    sender = fhir.obj(resource, "sender")
    recipients = fhir.objects(resource, "recipient")
    payload = [fhir.text(p, "contentString") for p in fhir.objects(resource, "payload")]
    if fhir.reference_key(sender) in hospital:
        outgoing = True
    elif any(fhir.reference_key(r) in hospital for r in recipients):
        outgoing = False
    else:
        plo = terms().plo_message
        outgoing = (fhir.code_of(topic, plo.system) or fhir.code_of(topic)) not in plo.from_municipality
    return PloMessage(
        id=str(resource.get("id", "")),
        message_type=fhir.concept_text(topic) or "",
        sent=fhir.parse_instant(resource.get("sent")),
        sender=fhir.display(sender),
        recipient=fhir.first(fhir.display(r) for r in recipients),
        text="\n\n".join(p for p in payload if p),
        outgoing=outgoing,
    )


# ------------------------------------------------------------------ the overview


@dataclass(frozen=True)
class OverviewSources:
    """The resources of a patient-overview batch, one list per search."""

    patient: JSON
    encounters: list[JSON] = field(default_factory=list)
    practitioners: list[JSON] = field(default_factory=list)
    flags: list[JSON] = field(default_factory=list)
    allergies: list[JSON] = field(default_factory=list)
    conditions: list[JSON] = field(default_factory=list)
    devices: list[JSON] = field(default_factory=list)
    vitals: list[JSON] = field(default_factory=list)
    labs: list[JSON] = field(default_factory=list)
    documents: list[JSON] = field(default_factory=list)
    related: list[JSON] = field(default_factory=list)
    care_plans: list[JSON] = field(default_factory=list)
    communications: list[JSON] = field(default_factory=list)
    risk_assessments: list[JSON] = field(default_factory=list)
    risk_answers: list[JSON] = field(default_factory=list)


def spo2_scale2(conditions: Iterable[JSON]) -> bool:
    """Whether an active condition is hypercapnic respiratory failure (NEWS2's SpO2 scale 2)."""
    codes = [code for c in conditions if not _gone(c, "clinicalStatus", "verificationStatus")
             for coding in fhir.codings(fhir.obj(c, "code")) if (code := fhir.text(coding, "code"))]
    return news2.uses_scale2(codes)


def patient_overview(sources: OverviewSources, fetched_at: datetime,
                     emergency_until: datetime | None = None) -> PatientOverview:
    patient_id = str(sources.patient.get("id", ""))
    current = mapping.current_encounters(sources.encounters).get(patient_id)
    practitioners = {fhir.key(p): p for p in sources.practitioners}
    stay = mapping.stay(current, practitioners) if current else None
    hospital = frozenset(ref for e in sources.encounters
                         if (ref := fhir.reference_key(fhir.obj(e, "serviceProvider"))))
    plans = [p for r in sources.care_plans if (p := care_plan(r)) is not None]
    messages = sorted(sources.communications, key=lambda c: _time(c.get("sent")), reverse=True)
    hypercapnic = spo2_scale2(sources.conditions)
    choice = recording_mapping.scale_choices(sources.flags).get(patient_id)
    stays = tuple(mapping.stays_newest_first(sources.encounters, practitioners))
    return PatientOverview(
        patient=mapping.patient_summary(sources.patient, mapping.current_stay(current) if current else None),
        contact=contact_details(sources.patient),
        stay=stay,
        responsible_doctor=stay.responsible if stay else None,
        critical=critical_info(sources.allergies, sources.conditions, sources.devices, sources.flags,
                               patient_id),
        vitals=newest_per_code(r for r in sources.vitals if not fhir.objects(r, "hasMember")),
        spo2_scale2=uses_scale2(hypercapnic, choice),
        hypercapnic=hypercapnic,
        spo2_scale_choice=choice,
        thrombosis_risk=recording_mapping.newest_thrombosis_risk(sources.risk_assessments, sources.risk_answers),
        labs=tuple(labs.blood_tests(sources.labs)),
        stays=stays,
        attendances=tuple(worklist_mapping.attendances(stays)),
        documents=documents(sources.documents),
        next_of_kin=tuple(k for r in sources.related if (k := next_of_kin(r)) is not None),
        care_plans=tuple(sorted(plans, key=lambda p: p.status != "active")),
        plo_messages=tuple(plo_message(c, hospital) for c in messages
                           if c.get("status") != "entered-in-error"),
        emergency_access_until=emergency_until,
        fetched_at=fetched_at,
    )
