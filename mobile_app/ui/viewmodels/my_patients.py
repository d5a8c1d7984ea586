"""My patients: the stays I take part in and the patients I opened recently (a FHIR List)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded


@ft.observable
@dataclass(eq=False)
class MyPatientsState:
    ctx: AppContext
    in_care: list[PatientSummary] = field(default_factory=list)
    recent: list[PatientSummary] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None

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

    async def remember(self, patient_id: str) -> None:
        """Put a patient first in the recently-opened list (on the server, not the phone)."""
        user = self.ctx.session.user
        if user is None:
            return
        _, problem = await guarded(self.ctx,
                                   lambda: self.ctx.client.remember_recent(user.practitioner_id, patient_id))
        if problem is None:
            await self.refresh()
