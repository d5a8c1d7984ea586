"""How a list of beds is shown: empty beds hidden or not, in room order, by NEWS2 or by new results
first; and the markers a patient row carries on every list (pure, no I/O).

The user's choice (``WardListPrefs``) is kept on the EPJ in the user's name (not on a shared phone),
so it follows the user from phone to phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.domain.models import WardBed


class BedOrder(StrEnum):
    BED = "bed"  # room and bed number
    NEWS2 = "news2"  # the sickest first (highest NEWS2); beds without a score after those with one
    NEW_RESULTS = "new_results"  # patients with unsigned new results first


@dataclass(frozen=True)
class WardListPrefs:
    hide_empty: bool = False
    order: BedOrder = BedOrder.BED


@dataclass(frozen=True)
class PatientMarkers:
    """What a patient row says besides who it is: critical information, NEWS2, new results, the
    ward's note. The same on the ward list, My patients and search results."""

    critical: bool = False
    news2: int | None = None
    new_results: bool = False
    ward_note: str | None = None
    thrombosis_due: bool = False  # ward list only: in for 24 hours with no thrombosis-risk assessment


def bed_markers(bed: WardBed) -> PatientMarkers:
    return PatientMarkers(critical=bed.has_critical_info, news2=bed.news2, new_results=bed.has_new_results,
                          ward_note=bed.ward_note, thrombosis_due=bed.thrombosis_due)


def arranged(beds: Iterable[WardBed], prefs: WardListPrefs) -> list[WardBed]:
    """The beds to show, in the chosen order; ties (and empty beds, always last when sorting by
    patient) keep room order."""
    shown = [bed for bed in beds if bed.patient is not None or not prefs.hide_empty]
    by_room = sorted(shown, key=lambda bed: bed.sort_key)
    if prefs.order is BedOrder.NEWS2:
        return sorted(by_room, key=lambda bed: (bed.patient is None, bed.news2 is None, -(bed.news2 or 0)))
    if prefs.order is BedOrder.NEW_RESULTS:
        return sorted(by_room, key=lambda bed: (bed.patient is None, not bed.has_new_results))
    return by_room
