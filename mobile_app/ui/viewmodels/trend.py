"""The history of one analyte: the points to draw (downsampled, extremes kept) and the table.

A long history (years, thousands of results) is drawn from at most ``CHART_POINTS`` points chosen
by ``domain.trend.downsample``, which keeps every bucket's lowest and highest value, so a critical
spike is always drawn. The table lists every result, newest first, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import LabResult
from mobile_app.domain.trend import TrendPoint, downsample, trend_points
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.pushed import PushedScreen

CHART_POINTS = 240  # about one point per 1.5 px of a phone-width chart
TABLE_PAGE = 50


@ft.observable
@dataclass(eq=False, repr=False)
class TrendState(PushedScreen):
    TITLE = "trend.title"  # no USAGE_NAME: opening it logs trend_view

    patient_id: str
    patient_name: str
    name: str
    unit: str | None
    results: tuple[LabResult, ...] = ()  # oldest first, as LabPanel.history keeps them
    banner: BannerFacts | None = None  # the patient's banner, as on the patient screen
    table_rows: int = TABLE_PAGE
    _points: list[TrendPoint] = field(default_factory=list)
    _drawn: list[TrendPoint] = field(default_factory=list)

    def __repr__(self) -> str:  # short and without patient data: Flet logs its messages with repr
        return f"TrendState(points={len(self._points)})"

    def __post_init__(self) -> None:
        self._points = trend_points(self.results)
        self._drawn = downsample(self._points, CHART_POINTS) if self._points else []

    @property
    def points(self) -> list[TrendPoint]:
        """Every numeric result with a time, oldest first."""
        return self._points

    @property
    def drawn(self) -> list[TrendPoint]:
        """The points the chart draws."""
        return self._drawn

    @property
    def reference(self) -> tuple[float | None, float | None]:
        """The reference range of the newest result that has one."""
        for result in reversed(self.results):
            if result.low is not None or result.high is not None:
                return result.low, result.high
        return None, None

    @property
    def abnormal(self) -> list[TrendPoint]:
        return [p for p in self._points if p.flag.is_abnormal]

    @property
    def lowest(self) -> TrendPoint | None:
        return min(self._points, key=lambda p: p.value, default=None)

    @property
    def highest(self) -> TrendPoint | None:
        return max(self._points, key=lambda p: p.value, default=None)

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        if not self._points:
            return None
        return self._points[0].time, self._points[-1].time

    def table(self) -> list[LabResult]:
        """The newest ``table_rows`` results, newest first."""
        return list(reversed(self.results[-self.table_rows:])) if self.table_rows else []

    @property
    def more(self) -> int:
        return max(0, len(self.results) - self.table_rows)

    def show_more(self) -> None:
        self.table_rows = min(len(self.results), self.table_rows + TABLE_PAGE)

    @property
    def about_a_patient(self) -> bool:
        return True

    def forget(self) -> None:
        self.patient_name = ""
        self.banner = None
        self.results = ()
        self._points = []
        self._drawn = []
