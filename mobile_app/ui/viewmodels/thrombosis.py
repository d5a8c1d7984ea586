"""Recording a thrombosis-risk assessment (Padua Prediction Score) for a medical inpatient: the
eleven risk factors ticked, the score and its risk live, saved through the outbox.

The age item is ticked from the birth date when it is known (the author can change it); every
other item starts unticked, as absent. The newest earlier assessment is shown with its date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import flet as ft

from mobile_app.domain.models import ThrombosisRisk
from mobile_app.domain.padua import POINTS, PaduaItem, PaduaScore, age_item, padua
from mobile_app.domain.recording import ThrombosisRiskDraft
from mobile_app.domain.roles import Action
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.writing import submit_logged


@ft.observable
@dataclass(eq=False, repr=False)
class ThrombosisFormState(PushedScreen):
    TITLE = "padua.title"
    USAGE_NAME = "thrombosis_risk"

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    patient_name: str
    encounter_id: str | None = None
    banner: BannerFacts | None = None
    birth_date: date | None = None
    earlier: ThrombosisRisk | None = None  # the newest assessment so far
    present: dict[PaduaItem, bool] = field(default_factory=dict)
    problem: Problem | None = None
    saved: OutboxItem | None = None
    busy: bool = False

    def __post_init__(self) -> None:
        age = age_item(self.birth_date, self.ctx.today())
        if age is not None and PaduaItem.AGE_70 not in self.present:
            self.present = {**self.present, PaduaItem.AGE_70: age}

    def forget(self) -> None:
        self.present = {}
        self.patient_name = ""
        self.banner = None
        self.birth_date = None
        self.earlier = None

    @property
    def items(self) -> tuple[tuple[PaduaItem, int], ...]:
        return tuple((item, POINTS[item]) for item in PaduaItem)

    @property
    def score(self) -> PaduaScore:
        return padua(self.present)

    def toggle(self, item: PaduaItem, value: bool) -> None:
        self.present = {**self.present, item: value}

    @property
    def dirty(self) -> bool:
        return self.saved is None and any(v for k, v in self.present.items() if k is not PaduaItem.AGE_70)

    async def save(self) -> OutboxItem | None:
        if self.busy:
            return None
        if not self.ctx.may(Action.ASSESS_THROMBOSIS_RISK):
            self.problem = Problem("padua.not_allowed", retryable=False)
            return None
        user = self.ctx.session.user
        assert user is not None
        draft = ThrombosisRiskDraft(patient_id=self.patient_id, encounter_id=self.encounter_id,
                                    author_id=user.practitioner_id, author_name=user.name,
                                    patient_name=self.patient_name or None, present=self.score.present,
                                    assessed_at=self.ctx.now())
        self.busy = True
        try:
            item, self.problem = await submit_logged(self.ctx, self.outbox, draft, "padua.not_saved")
        finally:
            self.busy = False
        if item is not None:
            self.saved = item
            if item.state is ItemState.FAILED:
                self.problem = Problem("padua.not_saved", retryable=True)
        return item
