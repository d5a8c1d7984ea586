"""NEWS2 over time for one patient: every recorded set scored (``domain.news2_trend``), drawn as a
chart of the complete scores and listed in a table, newest first, partial sets included and marked.

The history is the EPJ's (the last 30 days, one batch) with the sets still waiting in this phone's
outbox added, so a set just recorded shows at once, marked as not yet sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from mobile_app.domain.news2_trend import News2Point, history
from mobile_app.epj.recordings import VitalHistory
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.recorded import pending_points

TABLE_PAGE = 50


@ft.observable
@dataclass(eq=False, repr=False)
class News2TrendState(PushedScreen):
    TITLE = "news2trend.title"
    USAGE_NAME = "news2_trend"

    ctx: AppContext
    patient_id: str
    patient_name: str
    scale2: bool = False  # the patient's scale now (for sets recorded without one)
    banner: BannerFacts | None = None
    status: Status = Status.IDLE
    problem: Problem | None = None
    loaded: VitalHistory | None = None
    table_rows: int = TABLE_PAGE
    _points: list[News2Point] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"News2TrendState(points={len(self._points)})"

    def forget(self) -> None:
        self.patient_name = ""
        self.banner = None
        self.loaded = None
        self._points = []

    async def load(self) -> None:
        self.status = Status.LOADING
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.vital_history(self.patient_id))
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR
            return
        self.loaded = found
        self.problem = None
        self.refresh_points()
        self.status = Status.READY

    def refresh_points(self) -> None:
        """Score the history again, with the outbox's waiting sets (after a change in the outbox)."""
        stored = history(self.loaded.measurements, scale2=self.scale2,
                         recorded_scales=self.loaded.recorded_scales) if self.loaded else []
        known = {p.time for p in stored}
        waiting = pending_points(self.ctx.outbox.items, self.patient_id) if self.ctx.outbox else []
        self._points = sorted([*stored, *(p for p in waiting if p.time not in known)], key=lambda p: p.time)

    @property
    def points(self) -> list[News2Point]:
        """Every scored set, oldest first."""
        return self._points

    @property
    def drawn(self) -> list[News2Point]:
        """The complete scores (a partial one is not a NEWS2 and is not drawn)."""
        return [p for p in self._points if p.complete]

    def table(self) -> list[News2Point]:
        return list(reversed(self._points[-self.table_rows:])) if self.table_rows else []

    @property
    def more(self) -> int:
        return max(0, len(self._points) - self.table_rows)

    def show_more(self) -> None:
        self.table_rows = min(len(self._points), self.table_rows + TABLE_PAGE)
