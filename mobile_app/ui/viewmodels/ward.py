"""The ward list: the user's wards, the chosen one's beds in room order, refresh and staleness."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Ward, WardBed
from mobile_app.epj.ward_markers import WardMarkers
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, guarded


def marked(beds: list[WardBed], markers: WardMarkers | None) -> list[WardBed]:
    """The beds with their markers (new results, NEWS2, ward note); without an answer, none is marked."""
    if markers is None:
        return list(beds)
    def note(patient_id: str) -> str | None:
        found = markers.ward_notes.get(patient_id)
        return found.text if found else None

    return [bed.model_copy(update={"has_new_results": bed.patient.id in markers.unsigned,
                                   "news2": markers.news2.get(bed.patient.id), "ward_note": note(bed.patient.id)})
            if bed.patient else bed for bed in beds]


@ft.observable
@dataclass(eq=False)
class WardState:
    ctx: AppContext
    wards: list[Ward] = field(default_factory=list)
    ward_id: str | None = None
    beds: list[WardBed] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    shown_ward_id: str | None = None  # the ward the beds belong to

    @property
    def ward_name(self) -> str:
        return next((w.name for w in self.wards if w.id == self.ward_id), "")

    @property
    def occupied(self) -> int:
        return sum(1 for bed in self.beds if bed.patient is not None)

    async def load(self) -> None:
        """First load: the user's wards, then the first ward's beds."""
        user = self.ctx.session.user
        if user is None:
            return
        self.status = Status.LOADING
        wards, problem = await guarded(self.ctx, lambda: self.ctx.client.my_wards(user.practitioner_id))
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR
            return
        self.wards = list(wards)
        if not self.wards:
            self.status = Status.READY
            return
        if self.ward_id not in {w.id for w in self.wards}:
            self.ward_id = self.wards[0].id
        await self.refresh()

    async def select(self, ward_id: str) -> None:
        if ward_id == self.ward_id and self.beds:
            return
        self.ward_id = ward_id
        await self.refresh()

    async def refresh(self) -> None:
        if not self.wards:
            await self.load()
            return
        ward_id = self.ward_id
        if ward_id is None:
            return
        self.status = Status.LOADING
        client = self.ctx.client
        # The beds are one round trip; the markers (unsigned new results, NEWS2) a second, in parallel.
        (beds, problem), (markers, _) = await asyncio.gather(
            guarded(self.ctx, lambda: client.ward_list(ward_id)),
            guarded(self.ctx, lambda: client.ward_markers(ward_id)))
        if ward_id != self.ward_id:
            return  # the user switched ward meanwhile
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR  # the beds already shown stay, marked with their time
            return
        self.beds = marked(beds, markers)
        self.shown_ward_id = ward_id
        self.problem = None
        self.fetched_at = self.ctx.now()
        self.status = Status.READY
