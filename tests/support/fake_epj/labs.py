"""The lab half of the fake EPJ client: a sample panel, microbiology, signing (with an injectable
conflict), following and notifications. ``FakeClient`` mixes it in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from mobile_app.domain.labs import display_order, lab_group
from mobile_app.domain.models import (
    ChangedResult,
    LabFlag,
    LabPanel,
    LabResult,
    MicroReport,
    Notification,
    NotificationKind,
    NotificationView,
    Organism,
    Practitioner,
    ResultVersion,
    Signature,
    SignedResult,
    Susceptibility,
)
from mobile_app.epj.signing import SignConflict
from mobile_app.epj.ward_markers import WardMarkers


def lab_result(rid: str, name: str, code: str, value: float | None, unit: str, low: float | None,
               high: float | None, flag: LabFlag, time: datetime, *, issued: datetime | None = None,
               signature: Signature | None = None, status: str = "final", version: str = "1") -> LabResult:
    return LabResult(id=rid, code=code, system="urn:test", name=name, value=value, unit=unit, low=low, high=high,
                     flag=flag, group=lab_group(code, name), time=time, issued=issued or time + timedelta(hours=1),
                     signature=signature, status=status, version=version)


def sample_panel(patient_id: str, now: datetime) -> LabPanel:
    """Hb (normal, signed), potassium (critical), CRP (high, with history), troponin, one pending."""
    taken = now - timedelta(hours=5)
    signed = Signature(practitioner_id="prac-002", name="Ola Lege", at=now - timedelta(hours=2))
    crp_history = tuple(lab_result(f"crp-{i}", "P-CRP", "NPU19748", v, "mg/L", None, 5.0,
                                   LabFlag.HIGH if v > 5 else LabFlag.NORMAL, taken - timedelta(days=3 - i))
                        for i, v in enumerate((3.0, 40.0, 120.0)))
    latest = (
        lab_result("hb-1", "B-Hemoglobin", "NOR05172", 13.2, "g/dL", 11.7, 15.3, LabFlag.NORMAL, taken,
                   signature=signed),
        lab_result("k-1", "P-Kalium", "NPU03230", 6.6, "mmol/L", 3.5, 5.0, LabFlag.CRITICAL_HIGH, taken),
        lab_result("crp-3", "P-CRP", "NPU19748", 145.0, "mg/L", None, 5.0, LabFlag.HIGH, taken),
        lab_result("tnt-1", "P-Troponin T", "TNTHS", 12.0, "ng/L", None, 14.0, LabFlag.NORMAL, taken),
    )
    pending = (lab_result("crea-p", "P-Kreatinin", "NPU18016", None, "µmol/L", 45, 90, LabFlag.PENDING, taken,
                          status="registered"),)
    history: dict[str, tuple[LabResult, ...]] = {r.analyte: (r,) for r in latest}
    history[latest[2].analyte] = (*crp_history, latest[2])
    return LabPanel(patient_id=patient_id, latest=tuple(display_order(latest)), pending=pending, history=history,
                    fetched_at=now)


def sample_micro() -> list[MicroReport]:
    ecoli = Organism(name="Escherichia coli", susceptibilities=(
        Susceptibility(antibiotic="Ampicillin", result="R"), Susceptibility(antibiotic="Mecillinam", result="S"),
        Susceptibility(antibiotic="Ciprofloksacin", result="I")))
    return [MicroReport(id="mb-1", name="Urindyrkning", status="final", specimen="Urin, midtstråle",
                        sampled=datetime.now(UTC) - timedelta(days=2), organisms=(ecoli,),
                        conclusion="Oppvekst av E. coli >10^5 CFU/mL."),
            MicroReport(id="mb-2", name="Blodkultur", status="preliminary", specimen="Blod",
                        sampled=datetime.now(UTC) - timedelta(hours=20))]


def notification(nid: str, kind: NotificationKind, minutes_ago: int, *, patient_id: str | None = "p1",
                 read: bool = False, text: str = "Nye prøvesvar: P-Kalium 6.6 mmol/L") -> Notification:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    view = {NotificationKind.LAB_RESULT: NotificationView.LAB,
            NotificationKind.MESSAGE: NotificationView.OVERVIEW if patient_id else NotificationView.MESSAGE,
            NotificationKind.TASK: NotificationView.TASK}[kind]
    return Notification(id=nid, kind=kind, text=text, time=at, updated=at, read=read, patient_id=patient_id,
                        open_view=view, sender="Lab" if kind is NotificationKind.LAB_RESULT else "Ola Lege")


class LabFakes:
    """Canned lab answers; each call is recorded through ``FakeClient._call``."""

    def __init__(self) -> None:
        self.panels: dict[str, LabPanel] = {}
        self.micro_reports: list[MicroReport] = sample_micro()
        self.followed: set[str] = set()
        self.notification_items: list[Notification] = []
        self.sign_conflict: SignConflict | None = None
        self.unsigned: set[str] = {"p1"}
        self.news2: dict[str, int] = {"p1": 6}
        self.read_ids: list[str] = []

    async def _call(self, name: str, arg: Any) -> None:  # provided by FakeClient
        raise NotImplementedError

    async def lab_results(self, patient_id: str) -> LabPanel:
        await self._call("lab_results", patient_id)
        return self.panels.get(patient_id) or sample_panel(patient_id, datetime.now(UTC))

    async def microbiology(self, patient_id: str) -> list[MicroReport]:
        await self._call("microbiology", patient_id)
        return list(self.micro_reports)

    async def sign_results(self, results: Iterable[ResultVersion | LabResult],
                           signer: Practitioner) -> list[SignedResult]:
        chosen = list(results)
        await self._call("sign_results", tuple(r.id for r in chosen))
        if self.sign_conflict is not None:
            error, self.sign_conflict = self.sign_conflict, None
            raise error
        at = datetime.now(UTC).replace(microsecond=0)
        return [SignedResult(id=r.id, version=str(int(r.version or "1") + 1),
                             signature=Signature(practitioner_id=signer.id, name=signer.name, at=at))
                for r in chosen]

    async def unsigned_new_results(self, ward_id: str) -> set[str]:
        await self._call("unsigned_new_results", ward_id)
        return set(self.unsigned)

    async def ward_markers(self, ward_id: str) -> WardMarkers:
        await self._call("ward_markers", ward_id)
        return WardMarkers(set(self.unsigned), dict(self.news2))

    async def follow(self, practitioner_id: str, patient_id: str) -> None:
        await self._call("follow", patient_id)
        self.followed.add(patient_id)

    async def unfollow(self, practitioner_id: str, patient_id: str) -> None:
        await self._call("unfollow", patient_id)
        self.followed.discard(patient_id)

    async def following(self, practitioner_id: str) -> set[str]:
        await self._call("following", None)
        return set(self.followed)

    async def notifications(self, practitioner_id: str, since: datetime | None = None) -> list[Notification]:
        await self._call("notifications", since)
        found = [n for n in self.notification_items if since is None or (n.updated is not None and n.updated > since)]
        return sorted(found, key=lambda n: n.time or datetime.min.replace(tzinfo=UTC), reverse=True)

    async def mark_notification_read(self, notification_id: str) -> bool:
        await self._call("mark_notification_read", notification_id)
        self.read_ids.append(notification_id)
        return True


def conflict(result_id: str, name: str, who: str, at: datetime) -> SignConflict:
    changed = (ChangedResult(id=result_id, name=name, seen_version="1", version="2", changed_by=who, changed_at=at),)
    return SignConflict("Nothing was signed", changed)
