"""The ward list: the user's wards, the chosen one's beds, refresh and staleness, and the user's
settings (hide empty beds; by bed, NEWS2 or new results first), kept on the EPJ in their name.

A change of setting shows at once; it is saved in the background, and a failed save is said but
does not undo the choice on screen."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Ward, WardBed
from mobile_app.domain.ward_list import BedOrder, WardListPrefs, arranged
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
                                   "news2": markers.news2.get(bed.patient.id), "ward_note": note(bed.patient.id),
                                   "thrombosis_due": bed.patient.id in markers.thrombosis_due})
            if bed.patient else bed for bed in beds]


def with_recorded(beds: list[WardBed], news2: dict[str, int], assessed: set[str]) -> list[WardBed]:
    """The beds with what was recorded on this phone since the ward list was read: the newest
    complete NEWS2, and the thrombosis-risk assessments made."""
    changed = []
    for bed in beds:
        patient = bed.patient
        if patient is not None and (patient.id in news2 or (patient.id in assessed and bed.thrombosis_due)):
            bed = bed.model_copy(update={"news2": news2.get(patient.id, bed.news2),
                                         "thrombosis_due": bed.thrombosis_due and patient.id not in assessed})
        changed.append(bed)
    return changed


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
    markers_read: bool = False  # the markers came with the beds (else none is shown)
    prefs: WardListPrefs = field(default_factory=WardListPrefs)
    prefs_problem: Problem | None = None  # the last change of setting could not be saved on the EPJ
    _saving: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def shown(self) -> list[WardBed]:
        """The beds as the user wants them: empty ones hidden or not, in the chosen order."""
        return arranged(self.beds, self.prefs)

    def set_hide_empty(self, hide: bool) -> None:
        self._change(replace(self.prefs, hide_empty=hide))

    def set_order(self, order: BedOrder) -> None:
        self._change(replace(self.prefs, order=order))

    def _change(self, prefs: WardListPrefs) -> None:
        if prefs == self.prefs:
            return
        self.prefs = prefs
        task = asyncio.get_running_loop().create_task(self._save(prefs))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def _save(self, prefs: WardListPrefs) -> None:
        user = self.ctx.session.user
        if user is None:
            return
        _, problem = await guarded(self.ctx, lambda: self.ctx.client.save_ward_list_prefs(user.practitioner_id, prefs))
        self.prefs_problem = Problem("ward.prefs_not_saved") if problem is not None else None

    async def saved(self) -> None:
        """Wait for the settings being saved (tests)."""
        while self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)

    async def _load_prefs(self, practitioner_id: str) -> None:
        prefs, problem = await guarded(self.ctx, lambda: self.ctx.client.ward_list_prefs(practitioner_id))
        if problem is None and not self._saving:  # a choice made meanwhile wins
            self.prefs = prefs

    def show_recorded(self, news2: dict[str, int], assessed: set[str]) -> None:
        """Registrations made on this phone show at once (until the next read has them)."""
        if self.beds:
            self.beds = with_recorded(self.beds, news2, assessed)

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
        (wards, problem), _ = await asyncio.gather(
            guarded(self.ctx, lambda: self.ctx.client.my_wards(user.practitioner_id)),
            self._load_prefs(user.practitioner_id))
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
        self.markers_read = markers is not None
        self.shown_ward_id = ward_id
        self.problem = None
        self.fetched_at = self.ctx.now()
        self.status = Status.READY
