"""What the patient banner shows, the same on every screen about one patient (the patient screen,
a trend, the note editor, a message about the patient), and when it collapses.

Screens pushed over the patient screen keep the facts they were opened with (``BannerFacts``); the
critical information in them is already in words (``domain.critical_summary``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mobile_app.domain.critical_summary import CriticalSummary
from mobile_app.domain.models import PatientSummary

COLLAPSE_AT = 24.0  # px scrolled before the banner shrinks to one line
EXPAND_AT = 4.0  # px from the top where it opens again (a gap, so it does not flicker)


@dataclass(frozen=True)
class BannerFacts:
    patient: PatientSummary
    critical: CriticalSummary
    emergency_until: datetime | None = None
    checking: bool = False  # the record is being fetched: critical information is on its way


def collapsed_after(scrolled: float, collapsed: bool) -> bool:
    """Whether the banner is collapsed after the content scrolled to ``scrolled`` pixels."""
    if collapsed:
        return scrolled > EXPAND_AT
    return scrolled > COLLAPSE_AT
