"""Fixtures: generated hospitals, consumed once per test session."""

from __future__ import annotations

import pytest

from tests.support.hospital import NOW, SUMMER_NIGHT, Hospital, build


@pytest.fixture(scope="session")
def hospital() -> Hospital:
    return build(42, 300, NOW)


@pytest.fixture(scope="session")
def summer_hospital() -> Hospital:
    return build(7, 300, SUMMER_NIGHT)


@pytest.fixture(scope="session")
def large_hospital() -> Hospital:
    return build(42, 3000, NOW)


@pytest.fixture(scope="session", params=["winter", "summer"])
def any_hospital(
    request: pytest.FixtureRequest, hospital: Hospital, summer_hospital: Hospital
) -> Hospital:
    return hospital if request.param == "winter" else summer_hospital
