"""What the patient banner says about critical information, in a few words, on every patient screen.

The banner says what the critical information is ("CAVE: Lateks – anafylaksi", "Pacemaker"), not
only that it exists. What is known never gets lost: once a list (the ward list's marker) or the
record has said there is critical information, the banner keeps saying so even when the record
cannot be fetched; and when the app has not been able to look, it says it does not know rather
than showing nothing (nothing would read as "none").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from mobile_app.domain.models import CriticalInfo, Model


class CriticalState(StrEnum):
    NONE = "none"  # the record was read and has none
    KNOWN = "known"  # present, and the items say what
    PRESENT = "present"  # present (a list or the record's Flag says so), the details are not at hand
    UNKNOWN = "unknown"  # the record has not been read (yet): the app cannot tell


class CriticalItem(Model):
    """One critical entry as the banner writes it: an allergy to avoid (CAVE), a condition, an implant."""

    kind: Literal["allergy", "condition", "implant"]
    text: str
    detail: str | None = None  # e.g. the reaction: "anafylaksi"


class CriticalSummary(Model):
    state: CriticalState = CriticalState.UNKNOWN
    items: tuple[CriticalItem, ...] = ()

    @property
    def alert(self) -> bool:
        """Whether the banner must carry the red marker."""
        return self.state in (CriticalState.KNOWN, CriticalState.PRESENT)


def critical_summary(info: CriticalInfo | None, *, marked: bool = False) -> CriticalSummary:
    """The banner's critical information from the record (``info``; None when not read) and what a
    list already said (``marked``: the ward list's critical-information marker)."""
    if info is None:
        return CriticalSummary(state=CriticalState.PRESENT if marked else CriticalState.UNKNOWN)
    items = [
        *(CriticalItem(kind="allergy", text=a.substance, detail=", ".join(a.reactions).lower() or None)
          for a in info.critical_allergies),
        *(CriticalItem(kind="condition", text=c.text) for c in info.conditions),
        *(CriticalItem(kind="implant", text=i.text) for i in info.implants),
    ]
    if items:
        return CriticalSummary(state=CriticalState.KNOWN, items=tuple(items))
    if info.flagged or marked:
        return CriticalSummary(state=CriticalState.PRESENT)
    return CriticalSummary(state=CriticalState.NONE)
