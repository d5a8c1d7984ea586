"""Structured registrations over HTTP: saving vital signs, a thrombosis-risk assessment and the
SpO2 scale choice, and reading what the vital-signs screens need.

Writes may be sent again after a lost answer without a second copy:

- a set of vital signs and an assessment are one transaction each of conditional creates (every
  resource has an identifier made from the client id): all or nothing, and a second try finds
  what the first made. If what it finds says something else, that is a Conflict, never a silent
  success;
- the scale choice is one Flag per patient, kept as ward notes are (``If-Match`` on the version
  the doctor saw; a 412 is success when the version now there is this write's or says the same).

Reads are one batch each: the vital-sign history of a patient (values and recorded NEWS2 scores),
and NEWS2 per patient for a list of patients (My patients).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mobile_app.domain import news2
from mobile_app.domain.models import Measurement, Spo2ScaleChoice, ThrombosisRisk
from mobile_app.domain.recording import (
    Spo2ScaleDraft,
    ThrombosisRiskDraft,
    VitalSignsDraft,
    uses_scale2,
)
from mobile_app.epj import clinical, fhir, recording_mapping, responses, write_mapping
from mobile_app.epj.errors import BadResponse, Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.lab_requests import LAB_PAGE
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_instant, search_url

HISTORY_DAYS = 30  # the NEWS2 trend covers this much
NEWS2_HOURS = 24  # a NEWS2 on a list comes from vital signs of this age at most
_MAX_PAGES = 5


@dataclass(frozen=True)
class RecordedVitals:
    """What the EPJ stored for a set: the panel (its id names the set) and the NEWS2 observation."""

    panel_id: str
    version: str | None
    news2_id: str | None
    measurements: tuple[Measurement, ...]


@dataclass(frozen=True)
class VitalHistory:
    measurements: list[Measurement] = field(default_factory=list)
    recorded_scales: dict[datetime, int] = field(default_factory=dict)
    complete: bool = True  # False: more pages than were read (the oldest are left out)


# ------------------------------------------------------------------ writes


async def _transaction(http: FhirTransport, bundle: JSON, patient_id: str) -> list[responses.EntryResponse]:
    response = await http.request("POST", http.base_url, body=bundle, patient_id=patient_id)
    return responses.batch_entries(http.body(response), len(bundle["entry"]))


async def save_vital_signs(http: FhirTransport, draft: VitalSignsDraft) -> RecordedVitals:
    """Store a set of vital signs with its NEWS2 score: one transaction, made once."""
    bundle = recording_mapping.vital_signs_transaction(draft)
    entries = await _transaction(http, bundle, draft.patient_id)
    stored = [entry.raise_for_status(draft.patient_id) for entry in entries]
    with readable("stored vital signs"):
        if any(entry.status == 200 for entry in entries) and not recording_mapping.same_values(stored, draft):
            raise Conflict("The EPJ already holds this set of vital signs with other values")
        panel, score = stored[0], stored[-1]
        measurements = tuple(m for r in stored[1:-1] if (m := clinical.measurement(r)) is not None)
        return RecordedVitals(panel_id=str(panel["id"]), version=fhir.version_id(panel),
                              news2_id=str(score.get("id")) if score.get("id") else None, measurements=measurements)


async def save_thrombosis_risk(http: FhirTransport, draft: ThrombosisRiskDraft) -> ThrombosisRisk:
    """Store a Padua assessment (QuestionnaireResponse and RiskAssessment): one transaction, made once."""
    bundle = recording_mapping.thrombosis_transaction(draft)
    entries = await _transaction(http, bundle, draft.patient_id)
    answers, assessment = (entry.raise_for_status(draft.patient_id) for entry in entries)
    with readable("stored assessment"):
        if recording_mapping.padua_total(answers) != draft.score.total:
            raise Conflict("The EPJ already holds this assessment with other answers")
        risk = recording_mapping.thrombosis_risk(assessment, [answers])
    if risk is None:
        raise BadResponse("The EPJ stored the assessment but not as a Padua risk assessment")
    return risk


async def _read_flag(http: FhirTransport, flag_id: str, patient_id: str) -> JSON:
    response = await http.request("GET", f"{http.base_url}/Flag/{flag_id}", patient_id=patient_id)
    return http.resource(response, "Flag")


async def _put_flag(http: FhirTransport, body: JSON, flag_id: str, version: str | None, patient_id: str) -> JSON:
    headers = {"If-Match": f'W/"{version}"'} if version else None
    response = await http.request("PUT", f"{http.base_url}/Flag/{flag_id}", body={**body, "id": flag_id},
                                  headers=headers, patient_id=patient_id)
    return http.resource(response, "Flag")


def _choice(flag: JSON) -> Spo2ScaleChoice:
    choice = recording_mapping.scale_choice(flag)
    if choice is None:
        raise BadResponse("The EPJ's SpO2 scale flag could not be read")
    return choice


async def save_spo2_scale(http: FhirTransport, draft: Spo2ScaleDraft, write_id: str | None = None) -> Spo2ScaleChoice:
    """Record a doctor's choice of SpO2 scale for a patient. Conflict when another doctor changed it
    after this one looked (``changed_by``, ``changed_at``)."""
    write_id = write_id or str(uuid.uuid4())
    body = recording_mapping.spo2_scale_flag(draft, write_id)
    if draft.flag_id and draft.version:
        try:
            return _choice(await _put_flag(http, body, draft.flag_id, draft.version, draft.patient_id))
        except Conflict:
            current = await _read_flag(http, draft.flag_id, draft.patient_id)
    else:
        query = write_mapping.identifier_query(terms().identifier_systems.spo2_scale, draft.patient_id)
        response = await http.request("POST", f"{http.base_url}/Flag", body=body, headers={"If-None-Exist": query},
                                      patient_id=draft.patient_id)
        current = http.resource(response, "Flag")
        if response.status_code == 201:
            return _choice(current)
    existing = recording_mapping.scale_choice(current)
    if existing is not None and existing.scale == draft.scale:
        return existing  # an earlier try got through, or someone chose the same
    ours = write_mapping.written_in(current, write_id) or (
        draft.version is not None and fhir.version_id(current) == draft.version)
    if not ours:
        raise write_mapping.conflict_with(current)
    try:
        return _choice(await _put_flag(http, body, str(current["id"]), fhir.version_id(current), draft.patient_id))
    except Conflict as conflict:
        fresh = await _read_flag(http, str(current["id"]), draft.patient_id)
        raise write_mapping.conflict_with(fresh, conflict.detail) from conflict


# ------------------------------------------------------------------ reads


async def vital_history(http: FhirTransport, patient_id: str, days: int = HISTORY_DAYS,
                        now: datetime | None = None) -> VitalHistory:
    """The patient's vital signs of the last ``days`` days and the scale each NEWS2 was recorded
    with: one batch (more round trips only for a history of more than 1,000 values)."""
    since = search_instant((now or datetime.now(UTC)) - timedelta(days=days))
    by_patient = ("patient", patient_id)
    entries, _ = await http.batch([
        search_url("Observation", by_patient, ("category", "vital-signs"), ("date", f"ge{since}"),
                   ("_sort", "-date"), ("_count", LAB_PAGE)),
        search_url("Observation", by_patient, ("code", f"{recording_mapping.SNOMED}|{recording_mapping.NEWS2_TOTAL}"),
                   ("date", f"ge{since}"), ("_sort", "-date"), ("_count", LAB_PAGE)),
    ], patient_id=patient_id)
    values, scores = (entry.bundle(patient_id) for entry in entries)
    resources = fhir.of_type(values, "Observation", "match")
    pages = 0
    async for page in http.pages(values, limit=_MAX_PAGES, patient_id=patient_id):
        resources.extend(fhir.of_type(page, "Observation", "match"))
        pages += 1
    with readable("vital signs"):
        measurements = [m for r in resources if not fhir.objects(r, "hasMember")
                        and (m := clinical.measurement(r)) is not None]
        return VitalHistory(measurements, recording_mapping.recorded_scales(fhir.of_type(scores, "Observation",
                                                                                          "match")),
                            complete=pages < _MAX_PAGES or fhir.next_link(values) is None)


def scale2_patients(conditions: list[JSON], flags: list[JSON]) -> set[str]:
    """The patients whose NEWS2 scores SpO2 on scale 2: documented hypercapnic failure (an active
    J96.1 condition), unless a doctor chose scale 1 for them."""
    hypercapnic: dict[str, list[JSON]] = defaultdict(list)
    for condition in conditions:
        patient = fhir.reference_id(fhir.obj(condition, "subject"), "Patient")
        if patient:
            hypercapnic[patient].append(condition)
    choices = recording_mapping.scale_choices(flags)
    return {p for p, found in hypercapnic.items() if uses_scale2(clinical.spo2_scale2(found), choices.get(p))}


def scale_searches(*params: tuple[str, str | int]) -> list[str]:
    """The searches that decide the SpO2 scale of patients: J96.1 conditions and scale choices."""
    return [
        search_url("Condition", *params, ("code", news2.HYPERCAPNIC_FAILURE), ("clinical-status", "active"),
                   ("_count", SEARCH_LIMIT)),
        # R4 Flag has no status search parameter: scale_choices keeps the active ones.
        search_url("Flag", *params, ("identifier", f"{terms().identifier_systems.spo2_scale}|"),
                   ("_count", SEARCH_LIMIT)),
    ]


def news2_scores(patients: Collection[str], by_patient: dict[str, list[Measurement]],
                 scale2: set[str]) -> dict[str, int]:
    """NEWS2 totals of the patients whose latest vital signs are complete (a partial score would
    look reassuringly low, so none is given)."""
    found: dict[str, int] = {}
    for patient in patients:
        measured = by_patient.get(patient)
        if not measured:
            continue
        score = news2.news2(news2.vital_signs(measured), scale2=patient in scale2)
        if score.complete:
            found[patient] = score.total
    return found


def measurements_by_patient(observations: list[JSON], wanted: Collection[str]) -> dict[str, list[Measurement]]:
    found: dict[str, list[Measurement]] = defaultdict(list)
    for resource in observations:
        patient = fhir.reference_id(fhir.obj(resource, "subject"), "Patient")
        if patient is not None and patient in wanted and not fhir.objects(resource, "hasMember"):
            measured = clinical.measurement(resource)
            if measured is not None:
                found[patient].append(measured)
    return found


async def news2_for(http: FhirTransport, patient_ids: Collection[str], now: datetime | None = None) -> dict[str, int]:
    """NEWS2 of each patient from their vital signs of the last 24 hours (complete sets only), in
    one batch."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    since = search_instant((now or datetime.now(UTC)) - timedelta(hours=NEWS2_HOURS))
    patients = ("patient", ",".join(ids))
    entries, _ = await http.batch([
        search_url("Observation", patients, ("category", "vital-signs"), ("date", f"ge{since}"), ("_sort", "-date"),
                   ("_count", LAB_PAGE)),
        *scale_searches(patients),
    ])
    values, conditions, flags = (entry.bundle() for entry in entries)
    with readable("vital signs"):
        by_patient = measurements_by_patient(fhir.of_type(values, "Observation", "match"), set(ids))
        scale2 = scale2_patients(fhir.of_type(conditions, "Condition", "match"), fhir.of_type(flags, "Flag", "match"))
        return news2_scores(ids, by_patient, scale2)
