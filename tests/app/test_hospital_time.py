"""Every time is shown on the hospital's clock (Europe/Oslo), whatever offset the server writes.

The process runs in UTC here (as servers and CI do), so a time shown in the machine's zone would
be an hour or two off. The same instants are written by a mocked FHIR server with ``Z``,
``+00:00``, ``+01:00`` and ``+02:00``, before and after the change to summer time on 29 March 2026
(01:00 UTC), and every form must show the same Norwegian wall-clock time.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import respx

from mobile_app.domain import hospital_time
from mobile_app.domain.models import PatientOverview
from mobile_app.epj.client import EpjClient
from mobile_app.epj.fhir import parse_instant
from mobile_app.ui import format as fmt
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.viewmodels.app_state import AppState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.mocked_http import BASE, JSON, PATIENT, TOKEN, batch_response, fhir, searchset
from tests.support.screens import render, texts

# (the same instant as four servers write it, how the hospital reads it)
WINTER = (("2026-03-28T19:39:00Z", "2026-03-28T19:39:00+00:00", "2026-03-28T20:39:00+01:00",
           "2026-03-28T21:39:00+02:00"), "28.03.2026 20:39")
SUMMER = (("2026-03-29T10:00:00Z", "2026-03-29T10:00:00+00:00", "2026-03-29T11:00:00+01:00",
           "2026-03-29T12:00:00+02:00"), "29.03.2026 12:00")
NIGHT = (("2026-03-28T23:30:00Z", "2026-03-28T23:30:00+00:00", "2026-03-29T00:30:00+01:00",
          "2026-03-29T01:30:00+02:00"), "29.03.2026 00:30")  # another day in Oslo than in UTC
EXPIRES = (("2026-03-29T00:14:00Z", "2026-03-29T00:14:00+00:00", "2026-03-29T01:14:00+01:00",
            "2026-03-29T02:14:00+02:00"), "01:14")  # 14 minutes into the night of the change
FORMS = ["Z", "+00:00", "+01:00", "+02:00"]


@pytest.fixture(autouse=True)
def machine_in_utc() -> Iterator[None]:
    """The process's own zone is UTC (the bug showed UTC): only the hospital's zone may count."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()
    hospital_time.set_zone(hospital_time.DEFAULT_ZONE)


@pytest.mark.parametrize("form", range(4), ids=FORMS)
@pytest.mark.parametrize("written, shown", [WINTER, SUMMER, NIGHT], ids=["winter", "summer", "night"])
def test_a_time_shows_on_the_oslo_clock_whatever_its_offset(form: int, written: tuple[str, ...],
                                                            shown: str) -> None:
    moment = datetime.fromisoformat(written[form].replace("Z", "+00:00"))
    assert fmt.day_time(moment) == shown
    assert fmt.clock(moment) == shown[-5:]
    assert fmt.day(moment) == shown[:10]


def test_today_is_the_hospitals_day() -> None:
    t = Messages("nb")
    late = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th in Oslo
    assert fmt.short_when(t, late, hospital_time.local_date(late)) == "i dag 00:30"
    assert hospital_time.local_date(late).isoformat() == "2026-03-29"


def test_the_zone_is_configurable() -> None:
    hospital_time.set_zone("America/New_York")
    assert fmt.clock(datetime(2026, 3, 28, 19, 39, tzinfo=UTC)) == "15:39"  # EDT since 8 March
    with pytest.raises(ValueError, match="Unknown time zone"):
        hospital_time.set_zone("Europe/Atlantis")


def _observation(oid: str, category: str, code: str, name: str, when: str, value: float, unit: str) -> JSON:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": category}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": name},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": unit}}


async def _overview_from_server(form: int) -> PatientOverview:
    """The overview as a server writing every time with one kind of offset sends it."""
    vitals = searchset(_observation("v1", "vital-signs", "8867-4", "Puls", WINTER[0][form], 72, "/min"))
    labs = searchset(_observation("l1", "laboratory", "NPU03429", "P-Natrium", NIGHT[0][form], 140, "mmol/L"))
    entries = [(200, PATIENT), *[(200, searchset())] * 5, (200, vitals), (200, labs), *[(200, searchset())] * 6]
    ends = parse_instant(EXPIRES[0][form])
    assert ends is not None

    async def exchange(patient_id: str, reason: str) -> tuple[str, float]:  # the break-the-glass token
        return "btg", ends.timestamp()

    with respx.mock(assert_all_called=False) as api:
        api.post(BASE).mock(return_value=fhir(200, batch_response(*entries)))
        client = EpjClient(BASE)
        client.set_token(TOKEN)
        client.allow_break_glass(exchange)
        try:
            return await client.patient_overview("p1", "Akutt tilsyn på gangen")
        finally:
            await client.aclose()


@pytest.mark.parametrize("form", range(4), ids=FORMS)
async def test_the_patient_screen_shows_server_times_on_the_oslo_clock(
        form: int, app: AppState, client: FakeClient) -> None:
    client.overviews["p1"] = await _overview_from_server(form)
    await sign_in(app, "lege1")
    screen = await app.open_patient("p1")
    t = Messages("nb")
    shown = " ".join(texts(render(PatientScreen, app, screen, t)))
    assert t("access.emergency_banner", time=EXPIRES[1]) in shown
    assert t("pt.measured", time=WINTER[1]) in shown
    assert re.search(r"29\.03\.(2026)? 00:30", shown)  # the sample's day and time in Oslo
