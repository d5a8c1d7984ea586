"""The ward list's markers: unsigned new results and NEWS2 per bed, in one batch, against the mock
EPJ; and the rule that a partial set of vital signs gives no score."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mobile_app.domain.models import Measurement
from mobile_app.domain.news2 import LOINC, PULSE, RESPIRATION
from mobile_app.epj.ward_markers import scores
from tests.support.epj_logins import Login


@pytest.mark.asyncio
async def test_markers_are_one_round_trip_and_agree_with_unsigned_new_results(
        reader: Login, ward_patients: list[str]) -> None:
    session = await reader("lege1")
    before = session.client.round_trips
    markers = await session.client.ward_markers("ward-med")
    assert session.client.round_trips - before == 1
    assert markers.unsigned == await session.client.unsigned_new_results("ward-med")
    assert markers.news2, "the seed measures vital signs several times a day"
    assert set(markers.news2) <= set(ward_patients)
    assert all(0 <= score <= 20 for score in markers.news2.values())


@pytest.mark.asyncio
async def test_no_markers_for_a_ward_without_a_care_relation(reader: Login) -> None:
    session = await reader("lege1")
    markers = await session.client.ward_markers("ward-kir")
    assert markers.news2 == {} and markers.unsigned == set()


def test_a_partial_set_of_vital_signs_gives_no_score() -> None:
    now = datetime.now(UTC)
    partial = [Measurement(id="r", code=RESPIRATION, system=LOINC, name="RF", value=26, time=now),
               Measurement(id="p", code=PULSE, system=LOINC, name="Puls", value=135, time=now)]
    assert scores({"p1"}, {"p1": partial}, set()) == {}
