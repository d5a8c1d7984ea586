"""What the screens show at once of registrations made on this phone, before the EPJ is read again.

A set of vital signs, an assessment or a scale choice is in the outbox from the moment it is saved:
waiting (offline), or sent. The overview, the NEWS2 trend, the ward list and My patients show it
from there at once, marked while it waits, until their next read of the EPJ has it.
"""

from __future__ import annotations

from datetime import datetime

from mobile_app.domain.models import Measurement, ThrombosisRisk
from mobile_app.domain.news2_trend import News2Point, point
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.epj import clinical, recording_mapping
from mobile_app.services.outbox_items import ItemState, OutboxItem

RECORDING_KINDS = frozenset({"vital-signs", "thrombosis-risk", "spo2-scale"})


def _live(item: OutboxItem) -> bool:
    """Sent, or on its way: a failed item is not shown as recorded."""
    return item.state is not ItemState.FAILED


def measurements(draft: VitalSignsDraft, item_id: str) -> list[Measurement]:
    """A set as the EPJ will serve it (the same FHIR mapping, read back)."""
    return [m for part, resource in recording_mapping.vital_sign_parts(draft)
            if (m := clinical.measurement({**resource, "id": f"{item_id}-{part}"})) is not None]


def vital_sets(items: list[OutboxItem], patient_id: str, after: datetime | None = None
               ) -> list[tuple[OutboxItem, VitalSignsDraft]]:
    """The patient's sets in the outbox measured after ``after``, newest first."""
    found = [(item, item.payload) for item in items if isinstance(item.payload, VitalSignsDraft)
             and item.payload.patient_id == patient_id and _live(item)
             and (after is None or item.payload.measured_at > after)]
    return sorted(found, key=lambda pair: pair[1].measured_at, reverse=True)


def recorded_measurements(items: list[OutboxItem], patient_id: str, after: datetime | None) -> list[Measurement]:
    return [m for item, draft in vital_sets(items, patient_id, after) for m in measurements(draft, item.id)]


def waiting_vitals(items: list[OutboxItem], patient_id: str) -> bool:
    """Whether a set of this patient has not reached the EPJ yet."""
    return any(item.state is not ItemState.SENT for item, _ in vital_sets(items, patient_id))


def pending_points(items: list[OutboxItem], patient_id: str) -> list[News2Point]:
    """The patient's sets not yet confirmed by the EPJ, scored."""
    found: list[News2Point] = []
    for item, draft in vital_sets(items, patient_id):
        if item.state is ItemState.SENT:
            continue
        scored = point(draft.measured_at, measurements(draft, item.id), draft.scale == 2, pending=True)
        if scored is not None:
            found.append(scored)
    return found


def recorded_news2(items: list[OutboxItem], after: datetime | None = None) -> dict[str, int]:
    """Each patient's NEWS2 from their newest set in the outbox measured after ``after``, when that
    set is complete."""
    newest: dict[str, VitalSignsDraft] = {}
    for item in items:
        draft = item.payload
        if isinstance(draft, VitalSignsDraft) and _live(item) and (after is None or draft.measured_at > after):
            known = newest.get(draft.patient_id)
            if known is None or draft.measured_at > known.measured_at:
                newest[draft.patient_id] = draft
    return {p: score.total for p, draft in newest.items() if (score := draft.news2).complete}


def recorded_scale(items: list[OutboxItem], patient_id: str, after: datetime | None) -> int | None:
    """The scale a doctor chose on this phone for the patient after ``after`` (None: none)."""
    found = [item.payload for item in items if isinstance(item.payload, Spo2ScaleDraft)
             and item.payload.patient_id == patient_id and _live(item)
             and (after is None or item.payload.created > after)]
    newest = max(found, key=lambda d: d.created, default=None)
    return newest.scale if newest is not None else None


def recorded_risk(items: list[OutboxItem], patient_id: str, after: datetime | None) -> ThrombosisRisk | None:
    """The newest assessment made on this phone for the patient after ``after``."""
    found = [item for item in items if isinstance(item.payload, ThrombosisRiskDraft)
             and item.payload.patient_id == patient_id and _live(item)
             and (after is None or item.payload.assessed_at > after)]
    newest = max(found, key=lambda i: i.created, default=None)
    if newest is None:
        return None
    if newest.result is not None and newest.result.thrombosis_risk is not None:
        return newest.result.thrombosis_risk
    draft = newest.payload
    assert isinstance(draft, ThrombosisRiskDraft)
    return ThrombosisRisk(id=newest.id, total=draft.score.total, high_risk=draft.score.high_risk,
                          assessed_at=draft.assessed_at, assessed_by=draft.author_name)


def assessed(items: list[OutboxItem], after: datetime | None = None) -> set[str]:
    """The patients assessed for thrombosis risk on this phone after ``after``."""
    return {item.payload.patient_id for item in items if isinstance(item.payload, ThrombosisRiskDraft)
            and _live(item) and (after is None or item.payload.assessed_at > after)}


def newest_time(found: tuple[Measurement, ...]) -> datetime | None:
    return max((m.time for m in found if m.time is not None), default=None)

