"""Structured registrations at the bedside, as the outbox carries them: a set of vital signs, a
thrombosis-risk assessment (Padua), and a doctor's choice of SpO2 scale for a patient.

Like the note drafts (writing.py) each carries its author and a client id, so it can be sent again
after a lost answer without a second copy, and each is checked before anything is sent
(``recording_problems``). ``AnyDraft`` is every payload the outbox takes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from mobile_app.domain import news2
from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.domain.models import Spo2ScaleChoice
from mobile_app.domain.news2 import Consciousness, News2Score, VitalSigns
from mobile_app.domain.padua import PaduaItem, PaduaScore, padua
from mobile_app.domain.qsofa import QsofaScore, qsofa
from mobile_app.domain.vital_entry import OxygenDevice, Verdict, VitalField, judge, set_problems
from mobile_app.domain.worklists import ArrivalDraft, TaskStatusDraft
from mobile_app.domain.writing import (
    Draft,
    FhirId,
    InputProblem,
    MessageDraft,
    NoteDraft,
    PatientNoteDraft,
    Problem,
    _now,
    new_client_id,
)

Scale = Literal[1, 2]


class VitalSignsDraft(Draft):
    """One set of vital signs; a field left out was not measured (a partial set is saved as such).
    ``confirmed`` names the fields whose unusual value the author confirmed."""

    kind: Literal["vital-signs"] = "vital-signs"
    client_id: str = Field(default_factory=new_client_id)
    patient_id: FhirId
    encounter_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    measured_at: AwareDatetime = Field(default_factory=_now)
    respiration: float | None = None
    spo2: float | None = None
    scale: Scale = 1
    on_oxygen: bool | None = None  # None: air or oxygen not recorded
    oxygen_flow: float | None = None  # L/min
    oxygen_device: OxygenDevice | None = None
    systolic: float | None = None
    diastolic: float | None = None
    pulse: float | None = None
    consciousness: Consciousness | None = None
    temperature: float | None = None
    confirmed: tuple[VitalField, ...] = ()
    created: AwareDatetime = Field(default_factory=_now)

    def values(self) -> dict[VitalField, float]:
        """The numbers measured, by field."""
        found = {field: getattr(self, field.value) for field in VitalField}
        return {field: value for field, value in found.items() if value is not None}

    @property
    def vital_signs(self) -> VitalSigns:
        return VitalSigns(respiration=self.respiration, spo2=self.spo2, on_oxygen=self.on_oxygen,
                          systolic=self.systolic, pulse=self.pulse, consciousness=self.consciousness,
                          temperature=self.temperature)

    @property
    def news2(self) -> News2Score:
        return news2.news2(self.vital_signs, scale2=self.scale == 2)

    @property
    def qsofa(self) -> QsofaScore:
        return qsofa(self.respiration, self.systolic, self.consciousness)


class ThrombosisRiskDraft(Draft):
    """A Padua assessment: every risk factor answered (absent unless ticked)."""

    kind: Literal["thrombosis-risk"] = "thrombosis-risk"
    client_id: str = Field(default_factory=new_client_id)
    patient_id: FhirId
    encounter_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    present: tuple[PaduaItem, ...] = ()
    assessed_at: AwareDatetime = Field(default_factory=_now)
    created: AwareDatetime = Field(default_factory=_now)

    @property
    def score(self) -> PaduaScore:
        return padua({item: True for item in self.present})


class Spo2ScaleDraft(Draft):
    """A doctor's choice of SpO2 scale for a patient, kept on the server (one per patient).
    ``version``/``flag_id``: the choice the author saw (None for the first)."""

    kind: Literal["spo2-scale"] = "spo2-scale"
    patient_id: FhirId
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    scale: Scale
    version: str | None = None
    flag_id: FhirId | None = None
    created: AwareDatetime = Field(default_factory=_now)


RecordingDraft = VitalSignsDraft | ThrombosisRiskDraft | Spo2ScaleDraft
AnyDraft = Annotated[NoteDraft | PatientNoteDraft | MessageDraft | VitalSignsDraft | ThrombosisRiskDraft
                     | Spo2ScaleDraft | DictationDraft | PhotoDraft | TaskStatusDraft | ArrivalDraft,
                     Field(discriminator="kind")]
Payload = (NoteDraft | PatientNoteDraft | MessageDraft | VitalSignsDraft | ThrombosisRiskDraft | Spo2ScaleDraft
           | DictationDraft | PhotoDraft | TaskStatusDraft | ArrivalDraft)


def recording_problems(draft: RecordingDraft) -> list[InputProblem]:
    """Everything wrong with a registration before it is sent (empty: it may be sent)."""
    if not isinstance(draft, VitalSignsDraft):
        return []  # a Padua answer sheet and a scale choice are valid by construction
    found: list[InputProblem] = []
    values = draft.values()
    device = draft.oxygen_device
    for field, value in values.items():
        verdict = judge(field, value, device)
        if verdict is Verdict.IMPOSSIBLE:
            found.append(InputProblem(field=field.value, problem=Problem.IMPOSSIBLE))
        elif verdict is Verdict.UNUSUAL and field not in draft.confirmed:
            found.append(InputProblem(field=field.value, problem=Problem.UNCONFIRMED))
    if draft.on_oxygen is False and draft.oxygen_flow:
        found.append(InputProblem(field="oxygen", problem=Problem.INCOMPLETE))
    for problem in set_problems(values, on_oxygen=draft.on_oxygen, device=device,
                                consciousness_given=draft.consciousness is not None):
        found.append(InputProblem(field=str(problem), problem=Problem.EMPTY if problem == "nothing_measured"
                                  else Problem.INCOMPLETE))
    return found


def uses_scale2(hypercapnic: bool, choice: Spo2ScaleChoice | None) -> bool:
    """Scale 2 only for a patient documented as hypercapnic (an active J96.1 condition): by default,
    unless a doctor has chosen scale 1 for them. A choice of scale 2 without the diagnosis does not
    count (RCP: scale 2 only with a prescribed target of 88-92 % in hypercapnic failure)."""
    return hypercapnic and (choice is None or choice.scale == 2)
