"""My patients: the stays I take part in and the patients I opened recently (a FHIR List), with the
ward list's markers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.domain.ward_list import PatientMarkers
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded
from mobile_app.ui.viewmodels.markers import fetch_markers


@ft.observable
@dataclass(eq=False)
class MyPatientsState:
    ctx: AppContext
    in_care: list[PatientSummary] = field(default_factory=list)
    recent: list[PatientSummary] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    markers: dict[str, PatientMarkers] = field(default_factory=dict)  # as on the ward list

    async def refresh(self) -> None:
        user = self.ctx.session.user
        if user is None:
            return
        self.status = Status.LOADING
        mine, problem = await guarded(self.ctx, lambda: self.ctx.client.my_patients(user.practitioner_id))
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR
            return
        self.in_care = list(mine.in_care)
        self.recent = list(mine.recent)
        self.problem = None
        self.fetched_at = self.ctx.now()
        self.status = Status.READY
        await self.load_markers()

    async def load_markers(self) -> None:
        """The ward list's markers (NEWS2 among them) of the patients shown: one batch after the
        list, which shows without waiting for it."""
        markers = await fetch_markers(self.ctx, [*self.in_care, *self.recent])
        if markers is not None:
            self.markers = markers

    @property
    def news2(self) -> dict[str, int]:
        """NEWS2 of the patients shown (complete sets only)."""
        return {pid: m.news2 for pid, m in self.markers.items() if m.news2 is not None}

    def show_recorded(self, news2: dict[str, int]) -> None:
        """A set recorded on this phone shows at once."""
        if news2:
            self.markers = {**self.markers, **{pid: replace(self.markers.get(pid, PatientMarkers()), news2=score)
                                               for pid, score in news2.items()}}

    async def remember(self, patient_id: str) -> None:
        """Put a patient first in the recently-opened list (on the server, not the phone)."""
        user = self.ctx.session.user
        if user is None:
            return
        _, problem = await guarded(self.ctx,
                                   lambda: self.ctx.client.remember_recent(user.practitioner_id, patient_id))
        if problem is None:
            await self.refresh()
