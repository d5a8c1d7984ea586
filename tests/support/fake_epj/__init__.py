"""A stand-in EPJ client for view-model tests: canned answers, injectable errors and delays."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mobile_app.domain.models import (
    CurrentStay,
    Gender,
    MyPatients,
    PatientOverview,
    PatientSummary,
    Role,
    Ward,
    WardBed,
)
from mobile_app.domain.ward_list import WardListPrefs
from mobile_app.epj.capabilities import EVERYTHING, ServerSupport
from mobile_app.epj.errors import AccessDenied, BreakGlassUnavailable, EpjError, LoginRefused
from mobile_app.epj.protocol import BreakGlassExchange
from mobile_app.epj.smart import Tokens
from mobile_app.epj.ward_markers import WardMarkers
from mobile_app.services.browser_login import OpenUrl, SignedIn
from tests.support.fake_epj.labs import LabFakes
from tests.support.fake_epj.media import MediaFakes
from tests.support.fake_epj.recordings import RecordingFakes
from tests.support.fake_epj.worklists import WorklistFakes
from tests.support.fake_epj.writes import WriteFakes


def patient(pid: str, family: str = "Nordmann", given: str = "Kari", ward: str | None = "ward-med") -> PatientSummary:
    stay = CurrentStay(encounter_id=f"enc-{pid}", ward_id=ward, ward_name="Medisinsk sengepost",
                       bed_name="Rom 1 seng 1", bed_label="1-1") if ward else None
    return PatientSummary(id=pid, family=family, given=given, birth_date=date(1950, 3, 4),
                          gender=Gender.FEMALE, identifier="04835012345", stay=stay)


class FakeTokenKeeper:
    """The fake EPJ's SMART client: tokens stay fresh; revoking is recorded on the fake."""

    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.clock: Callable[[], float] = time.time

    async def fresh(self, tokens: Tokens) -> Tokens:
        return tokens

    async def revoke(self, tokens: Tokens) -> None:
        await self.client._call("revoke", None)
        self.client.revoked.append(tokens.access_token)

    async def offers_break_glass(self) -> bool:
        return self.client.btg_offered

    async def break_glass(self, tokens: Tokens, patient_id: str, reason: str) -> Tokens:
        await self.client._call("break_glass", patient_id)
        return Tokens(access_token=f"btg-{patient_id}", expires_at=self.clock() + 4 * 3600, scope="",
                      patient=patient_id)

    async def aclose(self) -> None:
        pass


class FakeClient(LabFakes, WriteFakes, RecordingFakes, MediaFakes, WorklistFakes):
    base_url = "http://fake/fhir"

    def __init__(self) -> None:
        self.token: str | None = None
        self.renew: Callable[[], Awaitable[None]] | None = None
        self.exchange: BreakGlassExchange | None = None
        self.support = EVERYTHING
        self.calls: list[tuple[str, Any]] = []
        self.fail: EpjError | None = None  # raised by the next data call
        self.delays: dict[str, float] = {}
        self.results: dict[str, Any] = {}
        self.no_access: set[str] = set()
        self.glass_in_epj_only: set[str] = set()  # break-the-glass refused: an EPJ that honours no custom header
        self.overviews: dict[str, PatientOverview] = {}  # canned overviews by patient (else a bare one)
        self.role: Role | None = Role.DOCTOR  # the user's PractitionerRole in the EPJ (None: none known)
        self.critical: set[str] = {"p1"}  # patients with critical information (patient_markers)
        self.prefs: dict[str, WardListPrefs] = {}  # each user's ward-list settings, as the EPJ keeps them
        self.round_trips = 0
        self.page_user = "lege1"  # who logs in on the fake EPJ's login page (sign_in)
        self.page_refusal: str | None = None  # the page's OAuth error instead (access_denied: cancelled)
        self.revoked: list[str] = []  # access tokens revoked at logout
        self.btg_offered = True  # the login server's smart-configuration offers break-the-glass
        LabFakes.__init__(self)
        self._init_writes()
        self._init_recordings()
        self._init_media()
        self._init_worklists()

    async def ward_markers(self, ward_id: str) -> WardMarkers:
        markers = await LabFakes.ward_markers(self, ward_id)
        notes = {patient: note for (patient, kind), note in self.notes.items() if kind == "ward-note"}
        return WardMarkers(markers.unsigned, markers.news2, notes, set(self.thrombosis_due))

    async def patient_markers(self, patient_ids: Collection[str]) -> WardMarkers:
        await self._call("patient_markers", tuple(sorted(patient_ids)))
        among = set(patient_ids)
        notes = {p: note for (p, kind), note in self.notes.items() if kind == "ward-note" and p in among}
        return WardMarkers(self.unsigned & among, {p: s for p, s in self.news2.items() if p in among}, notes,
                           critical=self.critical & among)

    async def ward_list_prefs(self, practitioner_id: str) -> WardListPrefs:
        await self._call("ward_list_prefs", practitioner_id)
        return self.prefs.get(practitioner_id, WardListPrefs())

    async def save_ward_list_prefs(self, practitioner_id: str, prefs: WardListPrefs) -> None:
        await self._call("save_ward_list_prefs", prefs)
        self.prefs[practitioner_id] = prefs

    def set_token(self, token: str | None, practitioner_id: str | None = None) -> None:
        self.token = token

    def keep_fresh(self, renew: Callable[[], Awaitable[None]] | None) -> None:
        self.renew = renew

    def allow_break_glass(self, exchange: BreakGlassExchange | None) -> None:
        """The session's token exchange (the fake's overview grants break-the-glass by itself)."""
        self.exchange = exchange

    async def _call(self, name: str, arg: Any) -> None:
        self.calls.append((name, arg))
        self.round_trips += 1
        delay = self.delays.get(str(arg), self.delays.get(name, 0.0))
        if delay:
            await asyncio.sleep(delay)
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error

    async def sign_in(self, open_url: OpenUrl) -> SignedIn:
        """The EPJ's login page as the app's login screen meets it (AppContext.sign_in): it is opened
        with ``open_url``, and ``page_user`` logs in there, or the page answers ``page_refusal``
        (access_denied: the user cancelled); ``fail`` and ``delays["login"]`` apply as to data calls."""
        await open_url(f"{self.base_url}/authorize")
        await self._call("login", self.page_user)
        if self.page_refusal is not None:
            raise LoginRefused("The login page refused", 400, error=self.page_refusal)
        tokens = Tokens(access_token=f"tok-{self.page_user}", expires_at=time.time() + 8 * 3600,
                        scope="openid fhirUser user/*.cruds", refresh_token=f"refresh-{self.page_user}",
                        practitioner_id="prac-001", name="Kari Nordmann", username=self.page_user)
        return SignedIn(tokens, FakeTokenKeeper(self))

    async def server_support(self) -> ServerSupport:
        """``support``: what the fake server's CapabilityStatement allows (everything unless set)."""
        await self._call("server_support", None)
        return self.support

    async def my_role(self, practitioner_id: str) -> Role | None:
        """The role the EPJ's PractitionerRole gives (``role``; the login answer says doctor)."""
        await self._call("my_role", practitioner_id)
        return self.role

    async def my_wards(self, practitioner_id: str) -> list[Ward]:
        await self._call("my_wards", practitioner_id)
        return [Ward(id="ward-med", name="Medisinsk sengepost"), Ward(id="ward-kir", name="Kirurgisk")]

    async def search_patients_by_name(self, words: list[str], limit: int = 30) -> list[PatientSummary]:
        await self._call("name", " ".join(words))
        return list(self.results.get(" ".join(words), [patient("p1", family=words[0].title())]))

    async def search_patients_by_identifier(self, value: str) -> list[PatientSummary]:
        await self._call("identifier", value)
        return list(self.results.get(value, [patient("p2")]))

    async def search_patients_by_birth_date(self, birth_date: date, limit: int = 30) -> list[PatientSummary]:
        await self._call("birth_date", birth_date)
        return [patient("p3")]

    async def ward_list(self, ward_id: str) -> list[WardBed]:
        await self._call("ward_list", ward_id)
        return [WardBed(bed_id=f"{ward_id}-b1", bed_name="Rom 1 seng 1", bed_label="1-1", room_name="Rom 1",
                        sort_key=(1, 1), patient=patient("p1")),
                WardBed(bed_id=f"{ward_id}-b2", bed_name="Rom 1 seng 2", bed_label="1-2", room_name="Rom 1",
                        sort_key=(1, 2))]

    async def my_patients(self, practitioner_id: str) -> MyPatients:
        await self._call("my_patients", practitioner_id)
        return MyPatients(in_care=(patient("p1"),), recent=(patient("p9"),))

    async def remember_recent(self, practitioner_id: str, patient_id: str, keep: int = 20) -> None:
        await self._call("remember_recent", patient_id)

    async def patient_overview(self, patient_id: str, break_glass_reason: str | None = None) -> PatientOverview:
        await self._call("overview", (patient_id, break_glass_reason))
        if patient_id in self.no_access and break_glass_reason is not None and patient_id in self.glass_in_epj_only:
            raise BreakGlassUnavailable("no care relation", patient_id=patient_id)
        if patient_id in self.no_access and break_glass_reason is None:
            error = AccessDenied("no care relation", patient_id=patient_id)
            error.patient = patient(patient_id)
            raise error
        until = datetime.now(UTC) + timedelta(hours=4) if break_glass_reason else None
        recorded: dict[str, object] = {"thrombosis_risk": self.risks.get(patient_id),
                                       "spo2_scale_choice": self.scales.get(patient_id)}
        measured = self.measurements_of(patient_id)
        if patient_id in self.overviews:
            canned = self.overviews[patient_id]
            if measured:
                recorded["vitals"] = (*canned.vitals, *measured)
            canned = canned.model_copy(update={k: v for k, v in recorded.items() if v is not None})
            return canned if until is None or canned.emergency_access_until else canned.model_copy(
                update={"emergency_access_until": until})
        return PatientOverview(patient=patient(patient_id), fetched_at=datetime.now(UTC),
                               emergency_access_until=until, own_note=self.notes.get((patient_id, "own-note")),
                               ward_note=self.notes.get((patient_id, "ward-note")), vitals=tuple(measured),
                               thrombosis_risk=self.risks.get(patient_id),
                               spo2_scale_choice=self.scales.get(patient_id))
