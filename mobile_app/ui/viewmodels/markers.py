"""The ward list's markers on other lists of patients (My patients, search results): fetched for the
patients shown, in one batch after the list itself, so the list never waits for them."""

from __future__ import annotations

from collections.abc import Iterable

from mobile_app.domain.models import PatientSummary
from mobile_app.domain.ward_list import PatientMarkers
from mobile_app.epj.ward_markers import WardMarkers
from mobile_app.ui.viewmodels.base import AppContext, guarded


def markers_by_patient(found: WardMarkers, patient_ids: Iterable[str]) -> dict[str, PatientMarkers]:
    """Each patient's markers (only those with any)."""
    markers = {}
    for pid in patient_ids:
        note = found.ward_notes.get(pid)
        marked = PatientMarkers(critical=pid in found.critical, news2=found.news2.get(pid),
                                new_results=pid in found.unsigned, ward_note=note.text if note else None)
        if marked != PatientMarkers():
            markers[pid] = marked
    return markers


async def fetch_markers(ctx: AppContext, patients: Iterable[PatientSummary]) -> dict[str, PatientMarkers] | None:
    """The markers of these patients; None when they could not be fetched (the list shows none)."""
    ids = list(dict.fromkeys(p.id for p in patients))
    if not ids:
        return {}
    found, problem = await guarded(ctx, lambda: ctx.client.patient_markers(ids))
    return None if problem is not None else markers_by_patient(found, ids)
