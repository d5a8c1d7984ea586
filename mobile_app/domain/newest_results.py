"""The overview's newest lab results: one line per analyte, what matters first.

A line holds the analyte's newest result that has a value and, when there is one, a sample still
waiting for its value. A pending sample never hides the last real value: a clinician needs both
(the creatinine was 88 yesterday; today's sample is on its way). Lines are ordered critical first,
then abnormal, then the rest (normal, unknown, only pending); within each, the newest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from mobile_app.domain.models import LabFlag, LabResult, Model

_NEVER = datetime(1, 1, 1, tzinfo=UTC)


class NewestResult(Model):
    """One analyte on the overview: its last value (``latest``) and a sample awaiting its value."""

    latest: LabResult | None = None
    pending: LabResult | None = None

    @property
    def name(self) -> str:
        shown = self.latest or self.pending
        return shown.name if shown is not None else ""

    @property
    def analyte(self) -> str:
        shown = self.latest or self.pending
        return shown.analyte if shown is not None else ""

    @property
    def flag(self) -> LabFlag:
        """The last value's flag; PENDING when no value has come yet."""
        return self.latest.flag if self.latest is not None else LabFlag.PENDING

    @property
    def rank(self) -> int:
        """0 critical, 1 abnormal, 2 the rest."""
        return 0 if self.flag.is_critical else 1 if self.flag.is_abnormal else 2

    @property
    def time(self) -> datetime | None:
        shown = self.latest or self.pending
        return shown.time if shown is not None else None


def _newer(result: LabResult, than: LabResult | None) -> bool:
    return than is None or (result.time or _NEVER) > (than.time or _NEVER)


def newest_results(results: Iterable[LabResult]) -> tuple[NewestResult, ...]:
    """The overview's lines from a patient's recent results (in any order)."""
    latest: dict[str, LabResult] = {}
    pending: dict[str, LabResult] = {}
    for result in results:
        if result.status in ("cancelled", "entered-in-error"):
            continue
        found = pending if result.pending else latest
        if _newer(result, found.get(result.analyte)):
            found[result.analyte] = result
    lines = [NewestResult(latest=latest.get(key), pending=pending.get(key))
             for key in dict.fromkeys([*latest, *pending])]
    # Newest first, then (stable) by severity: critical, abnormal, the rest.
    lines.sort(key=lambda line: (line.time or _NEVER, line.name), reverse=True)
    lines.sort(key=lambda line: line.rank)
    return tuple(lines)
