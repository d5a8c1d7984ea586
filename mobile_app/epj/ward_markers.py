"""What the ward list marks per bed, in one batch beside the ward list itself: who has unsigned new
results, and the NEWS2 score of the latest vital signs.

The batch (one round trip) holds the ward's current stays, unsigned lab results of the last 48
hours (as ``unsigned_new_results``), vital signs of the last 24 hours and active conditions coded
J96.1 (hypercapnic respiratory failure: SpO2 scale 2), and active ward notes (the first page of
100: ward notes are few; the patient's own screen always reads the current one). None of these
searches names a patient, so the server returns only what the user may see. NEWS2 is given only when every parameter was
measured in those 24 hours: a partial score would look reassuringly low.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from mobile_app.domain import news2
from mobile_app.domain.labs import NEW_RESULT_HOURS
from mobile_app.domain.models import WARD_NOTE, Measurement, NoteItem
from mobile_app.epj import clinical, fhir, labs, write_mapping
from mobile_app.epj.errors import BadResponse
from mobile_app.epj.lab_requests import LAB_PAGE, LABORATORY, SEARCH_LIMIT, _instant, _url

if TYPE_CHECKING:
    from mobile_app.epj.client import EpjClient

VITALS_HOURS = 24  # vital signs older than this give no score
_UNSIGNED_ELEMENTS = "subject,status,code,effective,value,extension,hasMember,issued"


@dataclass(frozen=True)
class WardMarkers:
    unsigned: set[str] = field(default_factory=set)  # patients with unsigned new results
    news2: dict[str, int] = field(default_factory=dict)  # patient -> NEWS2 total (complete sets only)
    ward_notes: dict[str, NoteItem] = field(default_factory=dict)  # patient -> newest ward note


def scores(on_ward: set[str], by_patient: dict[str, list[Measurement]], scale2: set[str]) -> dict[str, int]:
    """NEWS2 totals of the ward's patients whose latest vital signs are complete."""
    found: dict[str, int] = {}
    for patient in on_ward:
        measured = by_patient.get(patient)
        if not measured:
            continue
        score = news2.news2(news2.vital_signs(measured), scale2=patient in scale2)
        if score.complete:
            found[patient] = score.total
    return found


async def ward_markers(client: EpjClient, ward_id: str, now: datetime | None = None) -> WardMarkers:
    now = now or datetime.now(UTC)
    results_since = _instant(now - timedelta(hours=NEW_RESULT_HOURS))
    vitals_since = _instant(now - timedelta(hours=VITALS_HOURS))
    entries, _ = await client._batch([
        _url("Encounter", ("location", f"Location/{ward_id}"), ("status", "in-progress"),
             ("_elements", "subject"), ("_count", SEARCH_LIMIT)),
        _url("Observation", ("category", LABORATORY), ("date", f"ge{results_since}"),
             ("signed-by:missing", "true"), ("_sort", "-date"), ("_elements", _UNSIGNED_ELEMENTS),
             ("_count", LAB_PAGE)),
        _url("Observation", ("category", "vital-signs"), ("date", f"ge{vitals_since}"),
             ("_sort", "-date"), ("_count", LAB_PAGE)),
        _url("Condition", ("code", news2.HYPERCAPNIC_FAILURE), ("clinical-status", "active"),
             ("_elements", "subject,code,clinicalStatus"),
             ("_count", SEARCH_LIMIT)),
        _url("Flag", ("category", f"{write_mapping.NOTE_CATEGORY}|{WARD_NOTE}"), ("status", "active"),
             ("_count", SEARCH_LIMIT)),
    ])
    stays, results, vitals, conditions, flags = (entry.bundle() for entry in entries)
    try:
        encounters = fhir.of_type(stays, "Encounter", "match")
        on_ward = {p for e in encounters if (p := fhir.reference_id(fhir.obj(e, "subject"), "Patient"))}
        unsigned = labs.unsigned_patients(encounters, fhir.of_type(results, "Observation", "match"), now)
        by_patient: dict[str, list[Measurement]] = defaultdict(list)
        for resource in fhir.of_type(vitals, "Observation", "match"):
            patient = fhir.reference_id(fhir.obj(resource, "subject"), "Patient")
            measured = clinical.measurement(resource)
            if patient in on_ward and measured is not None:
                by_patient[patient].append(measured)
        scale2 = {p for c in fhir.of_type(conditions, "Condition", "match")
                  if (p := fhir.reference_id(fhir.obj(c, "subject"), "Patient"))}
        notes = write_mapping.ward_notes_by_patient(fhir.of_type(flags, "Flag", "match"))
        return WardMarkers(unsigned, scores(on_ward, by_patient, scale2),
                           {patient: note for patient, note in notes.items() if patient in on_ward})
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadResponse(f"The EPJ's ward markers could not be read: {error}") from error
