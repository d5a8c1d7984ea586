"""The registration half of the fake EPJ client: vital signs, thrombosis risk and the SpO2 scale
choice, kept in memory and shown again by the overview, the ward list and My patients as the real
EPJ would (``FakeClient`` mixes it in)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from mobile_app.domain.models import Measurement, Spo2ScaleChoice, ThrombosisRisk
from mobile_app.domain.recording import Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.epj import clinical, recording_mapping
from mobile_app.epj.errors import EpjError
from mobile_app.epj.recordings import RecordedVitals, VitalHistory


class RecordingFakes:
    news2: dict[str, int]
    write_fail: EpjError | None

    def _init_recordings(self) -> None:
        self.vital_sets: list[VitalSignsDraft] = []  # every set stored, in order (a retry stores nothing new)
        self.risks: dict[str, ThrombosisRisk] = {}  # patient -> newest assessment
        self.scales: dict[str, Spo2ScaleChoice] = {}
        self.thrombosis_due: set[str] = {"p1"}
        self.history: list[Measurement] = []  # canned earlier vital signs for the trend

    async def _call(self, name: str, arg: Any) -> None:  # provided by FakeClient
        raise NotImplementedError

    def _write_failure(self) -> None:  # provided by WriteFakes
        raise NotImplementedError

    def measurements_of(self, patient_id: str) -> list[Measurement]:
        """The measurements of every set stored for the patient, as the EPJ would serve them."""
        return [m for draft in self.vital_sets if draft.patient_id == patient_id
                for part, resource in recording_mapping.vital_sign_parts(draft)
                if (m := clinical.measurement({**resource, "id": f"{draft.client_id[:8]}-{part}"})) is not None]

    async def save_vital_signs(self, draft: VitalSignsDraft) -> RecordedVitals:
        self._write_failure()
        if all(known.client_id != draft.client_id for known in self.vital_sets):
            self.vital_sets.append(draft)
            score = draft.news2
            if score.complete:
                self.news2[draft.patient_id] = score.total
        return RecordedVitals(panel_id=f"panel-{draft.client_id[:8]}", version="1", news2_id=None,
                              measurements=tuple(self.measurements_of(draft.patient_id)))

    async def save_thrombosis_risk(self, draft: ThrombosisRiskDraft) -> ThrombosisRisk:
        self._write_failure()
        risk = ThrombosisRisk(id=f"risk-{draft.client_id[:8]}", total=draft.score.total,
                              high_risk=draft.score.high_risk, assessed_at=draft.assessed_at,
                              assessed_by=draft.author_name)
        self.risks[draft.patient_id] = risk
        self.thrombosis_due.discard(draft.patient_id)
        return risk

    async def save_spo2_scale(self, draft: Spo2ScaleDraft, write_id: str | None = None) -> Spo2ScaleChoice:
        self._write_failure()
        known = self.scales.get(draft.patient_id)
        choice = Spo2ScaleChoice(scale=draft.scale, flag_id=f"scale-{draft.patient_id}",
                                 version=str(int(known.version or "0") + 1) if known else "1",
                                 chosen_by=draft.author_name, chosen_at=datetime.now(UTC))
        self.scales[draft.patient_id] = choice
        return choice

    async def vital_history(self, patient_id: str) -> VitalHistory:
        await self._call("vital_history", patient_id)
        return VitalHistory([*self.history, *self.measurements_of(patient_id)])

    async def news2_for(self, patient_ids: Collection[str]) -> dict[str, int]:
        await self._call("news2_for", tuple(sorted(patient_ids)))
        return {p: score for p, score in self.news2.items() if p in patient_ids}
