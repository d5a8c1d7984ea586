"""What the ward list marks per bed, in one batch beside the ward list itself: who has unsigned new
results, and the NEWS2 score of the latest vital signs. ``patient_markers`` gives the same markers
(and critical information) for any patients: My patients and search results.

The batch (one round trip) holds the ward's current stays, lab results of the last 48 hours with the
Provenances that sign them (as ``unsigned_new_results``: unsigned is computed here), vital signs of
the last 24 hours, active conditions coded J96.1 (hypercapnic respiratory failure: SpO2 scale 2) and
doctors' SpO2 scale choices, active ward notes (the first page of 100: ward notes are few; the
patient's own screen always reads the current one), and (for the ward list) Padua thrombosis-risk
assessments of the last 30 days. None of these searches names a patient, so the server returns only
what the user may see. Flags are searched by FHIR R4's own parameters only (R4 Flag has no status or
category parameter): ward notes and scale choices by their key identifier's system, critical
information by reading the user's Flags cut down with ``_elements``; the app itself keeps the active
ones of the right kind. NEWS2 is given only when every parameter was measured in those 24 hours: a
partial score would look reassuringly low. A patient in hospital for 24 hours with no assessment
during the stay is marked (``thrombosis_due``); more assessments than one page are read from further
pages (rare: a ward assesses each patient a few times a month).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mobile_app.domain.labs import NEW_RESULT_HOURS
from mobile_app.domain.models import Measurement, NoteItem
from mobile_app.domain.padua import needs_assessment
from mobile_app.epj import fhir, labs, mapping, recording_mapping, recordings, write_mapping
from mobile_app.epj.fhir import JSON
from mobile_app.epj.lab_requests import LAB_PAGE, unsigned_results, ward_stays
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_instant, search_url

VITALS_HOURS = 24  # vital signs older than this give no score
_FLAG_PAGES = 10  # pages of Flags followed (the user's patients' flags: rarely more than one page)
# The Flags the user may see, cut to what tells critical information (R4 Flag has no category or
# status search parameter: mapping.critical_flag_patients picks the active critical-information ones).
CRITICAL_FLAGS_SEARCH = search_url("Flag", ("_elements", "subject,status,category,code"), ("_count", SEARCH_LIMIT))
RISK_DAYS = 30  # thrombosis-risk assessments older than this are not read for the ward list
_RISK_PAGES = 5


@dataclass(frozen=True)
class WardMarkers:
    unsigned: set[str] = field(default_factory=set)  # patients with unsigned new results
    news2: dict[str, int] = field(default_factory=dict)  # patient -> NEWS2 total (complete sets only)
    ward_notes: dict[str, NoteItem] = field(default_factory=dict)  # patient -> newest ward note
    thrombosis_due: set[str] = field(default_factory=set)  # in for 24 h with no thrombosis-risk assessment
    critical: set[str] = field(default_factory=set)  # patients with critical information (patient_markers)


def scores(on_ward: set[str], by_patient: dict[str, list[Measurement]], scale2: set[str]) -> dict[str, int]:
    """NEWS2 totals of the ward's patients whose latest vital signs are complete."""
    return recordings.news2_scores(on_ward, by_patient, scale2)


def _marker_searches(now: datetime) -> list[str]:
    """Unsigned new results, vital signs of the last 24 hours, the SpO2 scale searches (J96.1
    conditions and doctors' choices), ward notes: five searches."""
    vitals_since = search_instant(now - timedelta(hours=VITALS_HOURS))
    return [
        unsigned_results(now - timedelta(hours=NEW_RESULT_HOURS)),
        search_url("Observation", ("category", "vital-signs"), ("date", f"ge{vitals_since}"),
                   ("_sort", "-date"), ("_count", LAB_PAGE)),
        *recordings.scale_searches(),
        write_mapping.ward_notes_search(),
    ]


def _markers(among: set[str], results: JSON, vitals: JSON, conditions: JSON, scale_flags: JSON, flags: JSON,
             now: datetime) -> WardMarkers:
    unsigned = labs.unsigned_among(among, fhir.of_type(results, "Observation", "match"), now,
                                   provenances=fhir.of_type(results, "Provenance", "include"))
    by_patient = recordings.measurements_by_patient(fhir.of_type(vitals, "Observation", "match"), among)
    scale2 = recordings.scale2_patients(fhir.of_type(conditions, "Condition", "match"),
                                        fhir.of_type(scale_flags, "Flag", "match"))
    notes = write_mapping.ward_notes_by_patient(fhir.of_type(flags, "Flag", "match"))
    return WardMarkers(unsigned, scores(among, by_patient, scale2),
                       {patient: note for patient, note in notes.items() if patient in among})


async def ward_markers(http: FhirTransport, ward_id: str, now: datetime | None = None) -> WardMarkers:
    now = now or datetime.now(UTC)
    entries, _ = await http.batch([
        ward_stays(ward_id),
        *_marker_searches(now),
        search_url("RiskAssessment", ("method", terms().risk_method.token(terms().risk_method.padua)),
                   ("date", f"ge{search_instant(now - timedelta(days=RISK_DAYS))}"), ("_sort", "-date"),
                   ("_count", SEARCH_LIMIT)),
    ])
    stays, results, vitals, conditions, flags = (entries[i].bundle() for i in (0, 1, 2, 3, 5))
    scale_flags, risks = entries[4].optional_bundle(), entries[6].optional_bundle()
    assessed = not entries[6].status >= 400  # an EPJ without assessments marks nobody as due
    assessments = fhir.of_type(risks, "RiskAssessment", "match")
    async for page in http.pages(risks, limit=_RISK_PAGES):
        assessments.extend(fhir.of_type(page, "RiskAssessment", "match"))
    with readable("ward markers"):
        encounters = fhir.of_type(stays, "Encounter", "match")
        admitted = {p: fhir.period_start(e) for e in encounters
                    if (p := fhir.reference_id(fhir.obj(e, "subject"), "Patient"))}
        found = _markers(set(admitted), results, vitals, conditions, scale_flags, flags, now)
        risk = recording_mapping.risk_by_patient(assessments)
        due = {p for p, start in admitted.items() if assessed and needs_assessment(risk.get(p), start, now)}
        return WardMarkers(found.unsigned, found.news2, found.ward_notes, due)


async def patient_markers(http: FhirTransport, patient_ids: Collection[str],
                          now: datetime | None = None) -> WardMarkers:
    """The markers of these patients (My patients, search results), in one batch. The searches name
    no patient: the server answers with what the user may see, and a patient the user has no care
    relation to simply gets no marker (and no refused request is logged against them)."""
    among = set(patient_ids)
    if not among:
        return WardMarkers()
    now = now or datetime.now(UTC)
    entries, _ = await http.batch([*_marker_searches(now), CRITICAL_FLAGS_SEARCH])
    results, vitals, conditions, flags, critical = (entries[i].bundle() for i in (0, 1, 2, 4, 5))
    scale_flags = entries[3].optional_bundle()
    critical_flags = fhir.of_type(critical, "Flag", "match")
    async for page in http.pages(critical, limit=_FLAG_PAGES):
        critical_flags.extend(fhir.of_type(page, "Flag", "match"))
    with readable("patient markers"):
        found = _markers(among, results, vitals, conditions, scale_flags, flags, now)
        flagged = mapping.critical_flag_patients(critical_flags) & among
        return WardMarkers(found.unsigned, found.news2, found.ward_notes, critical=flagged)
