"""Fixtures for the lab tests: a mock EPJ whose database also holds a patient with a long lab
history (2,000 extra potassium results over six years), logged-in EPJ clients, and mocked HTTP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from mobile_app.domain.models import Practitioner
from mock_epj.seed.labs import ANALYTES, interpret
from mock_epj.store import Store
from tests.conftest import copy_db
from tests.epj import conftest as epj_fixtures
from tests.epj.conftest import Login, SeedData, Session, logins_to, serve
from tests.mock_epj.conftest import Server

EXTRA_RESULTS = 2000

# The EPJ tests' fixtures, for the lab tests too: the seed's facts, mocked HTTP and a client on it.
seed, api, client = epj_fixtures.seed, epj_fixtures.api, epj_fixtures.client


def long_history(patient_id: str, count: int, now: datetime, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` potassium results over six years, a few of them critical, oldest first."""
    rng = random.Random(seed)
    potassium = ANALYTES["k"]
    limits = (potassium.low, potassium.high)
    start = now - timedelta(days=6 * 365)
    step = (now - timedelta(days=3) - start) / count
    out = []
    for i in range(count):
        value = round(rng.gauss(4.1, 0.4) if i % 400 else rng.choice((2.4, 6.8)), 1)
        sampled = start + step * i
        out.append({
            "resourceType": "Observation", "id": f"long-{patient_id}-{i:05d}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": potassium.system, "code": potassium.code, "display": potassium.display}],
                     "text": potassium.display},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": sampled.isoformat(timespec="seconds"),
            "issued": (sampled + timedelta(hours=1)).isoformat(timespec="seconds"),
            "valueQuantity": {"value": value, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                              "code": "mmol/L"},
            "referenceRange": [{"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.0, "unit": "mmol/L"}}],
            "interpretation": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                "code": interpret(potassium, value, limits)}]}],
        })
    return out


def add_long_history(db: Path, patient_id: str, count: int = EXTRA_RESULTS) -> None:
    store = Store(db)
    store.bulk_load(long_history(patient_id, count, datetime.now(UTC)))
    store.close()


@pytest.fixture(scope="session")
def ward_patients(seed: SeedData) -> list[str]:
    """Ward-med inpatients (lege1 and spl1 have a care relation to them), in a stable order."""
    return sorted(stay["subject"]["reference"].split("/")[1] for stay in seed.stays_on("ward-med"))


@pytest.fixture(scope="session")
def long_patient(ward_patients: list[str]) -> str:
    return ward_patients[0]


@pytest.fixture(scope="module")
def lab_server(seeded_db: Path, long_patient: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module, with the long history, for tests that only read."""
    db = copy_db(seeded_db, tmp_path_factory.mktemp("labs") / "epj.sqlite3")
    add_long_history(db, long_patient)
    yield from serve(db)


@pytest.fixture
def write_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, for signing, following and notifications."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


@pytest_asyncio.fixture
async def reader(lab_server: Server) -> AsyncIterator[Login]:
    async for log_in in logins_to(lab_server):
        yield log_in


@pytest_asyncio.fixture
async def writer(write_server: Server) -> AsyncIterator[Login]:
    async for log_in in logins_to(write_server):
        yield log_in


def practitioner(session: Session) -> Practitioner:
    return Practitioner(id=session.practitioner_id, name=session.login.name, role=session.login.role)


