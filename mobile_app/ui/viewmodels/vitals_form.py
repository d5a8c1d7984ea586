"""Recording a set of vital signs at the bedside: the fields as typed, NEWS2 and qSOFA live, the
plausibility checks, and saving through the outbox.

Every keystroke re-reads its field and scores the set again (``score``): each parameter's points,
the total and its clinical response show before anything is saved. A value outside what is
possible is refused (not scored, not saved); an unusual one is scored at once and saved once the
author has confirmed it (``confirm``); changing the value asks again. A set missing parameters is
saved as such: the score says which are missing, and it is never shown as a NEWS2.

The SpO2 scale is the patient's (scale 2 only for documented hypercapnic respiratory failure,
unless a doctor chose scale 1); a doctor may change it for a hypercapnic patient, and the choice is
written through the outbox and kept on the server (``choose_scale``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from mobile_app.domain import news2
from mobile_app.domain.models import Measurement, Spo2ScaleChoice
from mobile_app.domain.news2 import Consciousness, News2Score, Parameter, VitalSigns
from mobile_app.domain.qsofa import QsofaScore, qsofa
from mobile_app.domain.recording import Scale, Spo2ScaleDraft, VitalSignsDraft, recording_problems
from mobile_app.domain.roles import Action
from mobile_app.domain.vital_entry import (
    LIMITS,
    Checked,
    OxygenDevice,
    SetProblem,
    Verdict,
    VitalField,
    check,
    set_problems,
    stepped,
)
from mobile_app.domain.vitals import Response, response
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.ui.viewmodels.banner import BannerFacts
from mobile_app.ui.viewmodels.base import AppContext, Problem
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.writing import submit_logged

# The fields in the order Enter moves through them (oxygen flow only when oxygen is given).
ORDER = (VitalField.RESPIRATION, VitalField.SPO2, VitalField.OXYGEN_FLOW, VitalField.SYSTOLIC,
         VitalField.DIASTOLIC, VitalField.PULSE, VitalField.TEMPERATURE)
# The NEWS2 parameter each field scores (diastolic scores nothing; oxygen flow: air or oxygen).
SCORES: dict[VitalField, Parameter] = {
    VitalField.RESPIRATION: Parameter.RESPIRATION, VitalField.SPO2: Parameter.SPO2,
    VitalField.OXYGEN_FLOW: Parameter.AIR_OR_OXYGEN, VitalField.SYSTOLIC: Parameter.SYSTOLIC,
    VitalField.PULSE: Parameter.PULSE, VitalField.TEMPERATURE: Parameter.TEMPERATURE,
}
# Where each field's previous value is found among the overview's vital signs (LOINC).
_PREVIOUS_CODE = {
    VitalField.RESPIRATION: news2.RESPIRATION, VitalField.SPO2: news2.SPO2, VitalField.OXYGEN_FLOW: news2.OXYGEN_FLOW,
    VitalField.SYSTOLIC: news2.BLOOD_PRESSURE, VitalField.DIASTOLIC: news2.BLOOD_PRESSURE,
    VitalField.PULSE: news2.PULSE, VitalField.TEMPERATURE: news2.TEMPERATURE,
}


def previous_value(field_: VitalField, measurements: tuple[Measurement, ...]) -> float | None:
    """The field's value in the newest earlier measurement (None when there is none)."""
    code = _PREVIOUS_CODE[field_]
    found = [m for m in measurements if m.code == code or (field_ is VitalField.SPO2 and m.code == news2.SPO2_ALT)]
    newest = max(found, key=lambda m: m.time.timestamp() if m.time else float("-inf"), default=None)
    if newest is None:
        return None
    if code == news2.BLOOD_PRESSURE:
        wanted = news2.SYSTOLIC if field_ is VitalField.SYSTOLIC else news2.DIASTOLIC
        return next((v for c, v, _ in newest.components if c == wanted), None)
    return newest.value


@ft.observable
@dataclass(eq=False, repr=False)
class VitalsFormState(PushedScreen):
    """A set of vital signs being recorded for one patient."""

    TITLE = "vitals.title"
    USAGE_NAME = "vital_signs"

    ctx: AppContext
    outbox: Outbox
    patient_id: str
    patient_name: str
    encounter_id: str | None = None
    banner: BannerFacts | None = None
    previous: tuple[Measurement, ...] = ()  # the newest earlier vital signs (the overview's)
    hypercapnic: bool = False  # documented hypercapnic respiratory failure (J96.1): scale 2 may be used
    scale: Scale = 1
    scale_choice: Spo2ScaleChoice | None = None  # the recorded choice the doctor sees (its version)
    texts: dict[VitalField, str] = field(default_factory=dict)
    on_oxygen: bool | None = None
    device: OxygenDevice | None = None
    consciousness: Consciousness | None = None
    confirmed: dict[VitalField, float] = field(default_factory=dict)  # the unusual values confirmed
    problem: Problem | None = None
    show_problems: bool = False  # after a refused save every field's problem is shown
    saved: OutboxItem | None = None
    scale_item: OutboxItem | None = None  # the last scale choice sent
    busy: bool = False
    confirm_discard: bool = False  # Back was pressed with values typed: the user is asked
    # How many times the app (not the user's typing) has changed each field's text: a stepper, the
    # oxygen switch, forgetting the form. The screen sends a field's text to the page only after
    # such a change; what the user types is never sent back (see screens/vitals_form.py).
    app_changes: dict[VitalField, int] = field(default_factory=dict)
    _leaving: bool = field(default=False, init=False)
    _scored: tuple[tuple[object, ...], News2Score] | None = field(default=None, init=False, repr=False)

    def forget(self) -> None:
        self._changed_by_app(*self.texts)
        self.texts = {}
        self.patient_name = ""
        self.banner = None
        self.previous = ()
        self.consciousness = None
        self.on_oxygen = None
        self.confirmed = {}

    # ------------------------------------------------------------ what the form shows

    def text(self, field_: VitalField) -> str:
        return self.texts.get(field_, "")

    def checked(self, field_: VitalField) -> Checked:
        return check(field_, self.text(field_), self.device)

    def previous_of(self, field_: VitalField) -> float | None:
        return previous_value(field_, self.previous)

    @property
    def previous_time(self) -> Measurement | None:
        """The newest earlier measurement (for "Forrige: ... kl. 08:14")."""
        return max(self.previous, key=lambda m: m.time.timestamp() if m.time else float("-inf"), default=None)

    @property
    def previous_oxygen(self) -> Measurement | None:
        """The newest earlier oxygen flow (0 L/min: room air; its device in ``details``)."""
        found = [m for m in self.previous if m.code == news2.OXYGEN_FLOW]
        return max(found, key=lambda m: m.time.timestamp() if m.time else float("-inf"), default=None)

    @property
    def previous_consciousness(self) -> Consciousness | None:
        found = [m for m in self.previous if m.code == news2.CONSCIOUSNESS]
        return news2.consciousness_of(found[0]) if found else None

    def values(self) -> dict[VitalField, float]:
        """The usable values typed (unusual ones included: they are scored before they are confirmed)."""
        found: dict[VitalField, float] = {}
        for field_ in VitalField:
            if field_ is VitalField.OXYGEN_FLOW and not self.on_oxygen:
                continue
            checked = self.checked(field_)
            if checked.usable and checked.value is not None:
                found[field_] = checked.value
        return found

    @property
    def vital_signs(self) -> VitalSigns:
        values = self.values()
        return VitalSigns(respiration=values.get(VitalField.RESPIRATION), spo2=values.get(VitalField.SPO2),
                          on_oxygen=self.on_oxygen, systolic=values.get(VitalField.SYSTOLIC),
                          pulse=values.get(VitalField.PULSE), consciousness=self.consciousness,
                          temperature=values.get(VitalField.TEMPERATURE))

    @property
    def score(self) -> News2Score:
        """NEWS2 of what is typed now (worked out once per change: a render asks for it often)."""
        key = (tuple(self.texts.items()), self.on_oxygen, self.consciousness, self.device, self.scale)
        if self._scored is None or self._scored[0] != key:
            self._scored = (key, news2.news2(self.vital_signs, scale2=self.scale == 2))
        return self._scored[1]

    @property
    def response(self) -> Response:
        return response(self.score)

    @property
    def qsofa(self) -> QsofaScore:
        signs = self.vital_signs
        return qsofa(signs.respiration, signs.systolic, signs.consciousness)

    def points(self, field_: VitalField) -> int | None:
        parameter = SCORES.get(field_)
        return self.score.scores.get(parameter) if parameter is not None else None

    @property
    def fields(self) -> tuple[VitalField, ...]:
        """The fields shown, in order (oxygen flow only with oxygen)."""
        return tuple(f for f in ORDER if f is not VitalField.OXYGEN_FLOW or self.on_oxygen)

    def next_field(self, field_: VitalField) -> VitalField | None:
        shown = self.fields
        index = shown.index(field_) if field_ in shown else -1
        return shown[index + 1] if 0 <= index < len(shown) - 1 else None

    def needs_confirmation(self, field_: VitalField) -> bool:
        checked = self.checked(field_)
        return checked.verdict is Verdict.UNUSUAL and self.confirmed.get(field_) != checked.value

    @property
    def set_problems(self) -> list[SetProblem]:
        return set_problems(self.values(), on_oxygen=self.on_oxygen, device=self.device,
                            consciousness_given=self.consciousness is not None)

    @property
    def blocking(self) -> list[VitalField]:
        """The fields that keep the set from being saved: refused, or unusual and not confirmed."""
        return [f for f in self.fields if self.checked(f).refused or self.needs_confirmation(f)]

    @property
    def dirty(self) -> bool:
        """Whether anything has been entered that is not saved."""
        entered = any(t.strip() for t in self.texts.values()) or self.consciousness is not None \
            or self.on_oxygen is not None
        return entered and (self.saved is None or self.saved.state is ItemState.FAILED)

    @property
    def may_choose_scale(self) -> bool:
        """A doctor chooses the scale, and scale 2 only for a documented hypercapnic patient."""
        return self.hypercapnic and self.ctx.may(Action.CHOOSE_SPO2_SCALE) and self.ctx.outbox is not None

    # ------------------------------------------------------------ entering

    def set_text(self, field_: VitalField, text: str) -> None:
        """Keep the text as typed; the score follows at once."""
        self.texts = {**self.texts, field_: text}
        if self.problem is not None and not self.blocking and not self.set_problems:
            self.problem = None

    def _changed_by_app(self, *fields: VitalField) -> None:
        self.app_changes = {**self.app_changes, **{f: self.app_changes.get(f, 0) + 1 for f in fields}}

    def step(self, field_: VitalField, direction: int) -> None:
        """A stepper tap: one step up or down from the value typed, or the previous value to start from."""
        self.set_text(field_, stepped(field_, self.text(field_), direction, self.previous_of(field_)))
        self._changed_by_app(field_)

    def set_oxygen(self, on_oxygen: bool) -> None:
        self.on_oxygen = on_oxygen
        if not on_oxygen:
            self.device = None
            self.set_text(VitalField.OXYGEN_FLOW, "")
            self._changed_by_app(VitalField.OXYGEN_FLOW)

    def set_device(self, device: OxygenDevice | None) -> None:
        self.device = device
        self.on_oxygen = True

    def set_consciousness(self, level: Consciousness) -> None:
        self.consciousness = level

    def confirm(self, field_: VitalField) -> None:
        """The author confirms an unusual value (only the value now in the field)."""
        checked = self.checked(field_)
        if checked.verdict is Verdict.UNUSUAL and checked.value is not None:
            self.confirmed = {**self.confirmed, field_: checked.value}

    # ------------------------------------------------------------ the scale

    async def choose_scale(self, scale: Scale) -> OutboxItem | None:
        """A doctor records the patient's SpO2 scale (kept on the server, through the outbox)."""
        if scale == self.scale or not self.may_choose_scale:
            return None
        user = self.ctx.session.user
        assert user is not None
        choice = self.scale_choice
        draft = Spo2ScaleDraft(patient_id=self.patient_id, author_id=user.practitioner_id, author_name=user.name,
                               patient_name=self.patient_name or None, scale=scale,
                               version=choice.version if choice else None, flag_id=choice.flag_id if choice else None)
        item, self.problem = await submit_logged(self.ctx, self.outbox, draft)
        if item is None:
            return None
        self.scale_item = item
        if item.state is not ItemState.FAILED:
            self.scale = scale
            if item.result is not None and item.result.scale is not None:
                self.scale_choice = item.result.scale
        return item

    # ------------------------------------------------------------ saving

    def draft(self) -> VitalSignsDraft:
        user = self.ctx.session.user
        assert user is not None
        values = self.values()
        return VitalSignsDraft(
            patient_id=self.patient_id, encounter_id=self.encounter_id, author_id=user.practitioner_id,
            author_name=user.name, patient_name=self.patient_name or None, measured_at=self.ctx.now(),
            scale=self.scale, on_oxygen=self.on_oxygen,
            oxygen_device=self.device if self.on_oxygen else None, consciousness=self.consciousness,
            respiration=values.get(VitalField.RESPIRATION), spo2=values.get(VitalField.SPO2),
            oxygen_flow=values.get(VitalField.OXYGEN_FLOW), systolic=values.get(VitalField.SYSTOLIC),
            diastolic=values.get(VitalField.DIASTOLIC), pulse=values.get(VitalField.PULSE),
            temperature=values.get(VitalField.TEMPERATURE),
            confirmed=tuple(f for f, v in self.confirmed.items() if values.get(f) == v))

    def _refusal(self) -> Problem | None:
        if not self.ctx.may(Action.RECORD_VITAL_SIGNS):
            return Problem("vitals.not_allowed", retryable=False)
        blocking = self.blocking
        if blocking:
            refused = any(self.checked(f).refused for f in blocking)
            return Problem("vitals.refused_fields" if refused else "vitals.unconfirmed_fields", retryable=False)
        problems = self.set_problems
        if problems:
            return Problem(f"vitals.set.{problems[0]}", retryable=False)
        return None

    async def save(self) -> OutboxItem | None:
        """Save the set (partial or complete) through the outbox; None when it is refused."""
        if self.busy:
            return None
        self.problem = self._refusal()
        if self.problem is not None:
            self.show_problems = True
            return None
        draft = self.draft()
        if recording_problems(draft):  # the outbox's own check: a bug above must not send a bad set
            self.problem = Problem("vitals.not_saved", retryable=False)
            return None
        self.busy = True
        try:
            item, self.problem = await submit_logged(self.ctx, self.outbox, draft, "vitals.not_saved")
        finally:
            self.busy = False
        if item is not None:
            self.saved = item
        return item

    @property
    def current(self) -> OutboxItem | None:
        """The saved set as it stands now (the outbox may have sent it since)."""
        if self.saved is None:
            return None
        return next((i for i in self.outbox.items if i.id == self.saved.id), self.saved)

    # ------------------------------------------------------------ leaving

    def step_back(self) -> bool:
        """Back with unsaved values asks first instead of closing."""
        if self._leaving or not self.dirty:
            return False
        self.confirm_discard = True
        return True

    def keep_entering(self) -> None:
        self.confirm_discard = False

    def discard(self) -> None:
        self.confirm_discard = False
        self._leaving = True

    def unit(self, field_: VitalField) -> str:
        return LIMITS[field_].unit
