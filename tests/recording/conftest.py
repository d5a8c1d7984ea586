"""Fixtures for the structured registrations: a mock EPJ of each test's own (they write), logged-in
clients, and the ward's inpatients from the seed."""

from __future__ import annotations

import pytest

from tests.epj import conftest as epj_fixtures
from tests.support.database import SeedData

seed, fresh_server, fresh_login = epj_fixtures.seed, epj_fixtures.fresh_server, epj_fixtures.fresh_login
api, client = epj_fixtures.api, epj_fixtures.client


@pytest.fixture(scope="session")
def inpatients(seed: SeedData) -> list[str]:
    """Ward-med inpatients (lege1, spl1 and hfa1 have a care relation to them), in a stable order."""
    return sorted(stay["subject"]["reference"].split("/")[1] for stay in seed.stays_on("ward-med"))
