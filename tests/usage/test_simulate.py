"""The simulator: deterministic for a seed, valid records only, and the shape of real hospital use."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from mobile_app.services.usage.registry import EVENTS, ROLES, WARD, check_event
from mobile_app.usage.analysis import UsageAnalysis, UsageSummary
from mobile_app.usage.cli import main
from mobile_app.usage.reading import read_records
from mobile_app.usage.simulate import SimulationConfig, easter, local_zone, norwegian_holidays, simulate


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("simulated")
    assert main(["simulate", "--users", "50", "--days", "30", "--seed", "7", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def records(simulated: Path) -> list[dict[str, Any]]:
    return list(read_records([simulated]))


@pytest.fixture(scope="module")
def summary(records: list[dict[str, Any]]) -> UsageSummary:
    return UsageAnalysis().add_all(records).summary()


def test_the_same_seed_gives_the_same_log(simulated: Path, tmp_path: Path) -> None:
    again = simulate(SimulationConfig(users=50, days=30, seed=7), tmp_path / "again")
    assert [p.name for p in again.files] == sorted(p.name for p in simulated.glob("*.jsonl"))
    for path in again.files:
        assert path.read_bytes() == (simulated / path.name).read_bytes()
    other = simulate(SimulationConfig(users=50, days=30, seed=8), tmp_path / "other")
    assert other.files[0].read_bytes() != again.files[0].read_bytes()


def test_every_simulated_record_is_one_the_app_could_write(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert check_event(record["event"], record.get("duration_ms"), record.get("outcome"),
                           "x" if "patient_pseudonym" in record else None, record.get("attrs") or {}) is None
        if "session_id" in record:
            assert ROLES.accepts(record["role"]) and WARD.accepts(record["ward"])
    assert {r["event"] for r in records} <= set(EVENTS)
    assert len({r["event"] for r in records}) >= 18


def test_it_looks_like_a_hospital(records: list[dict[str, Any]], summary: UsageSummary) -> None:
    assert 20_000 < len(records) < 80_000
    assert summary.users == 50 and 500 < summary.sessions < 2000
    assert set(summary.sessions_by_role) == {"doctor", "nurse"}
    assert len(summary.feature_by_ward) == 6
    by_weekday = Counter(date.fromisoformat(d.day).weekday() >= 5 for d in summary.daily for _ in range(d.sessions))
    weekdays = sum(1 for d in summary.daily if date.fromisoformat(d.day).weekday() < 5)
    assert by_weekday[False] / weekdays > 1.5 * by_weekday[True] / (len(summary.daily) - weekdays)
    zone = local_zone()
    night = sum(1 for r in records if r["event"] == "login" and not 6 <= datetime.fromisoformat(
        r["ts"].replace("Z", "+00:00")).astimezone(zone).hour < 22)
    assert night > 50, "night shifts use the app too"
    assert 0.8 < summary.scan_success_rate() < 0.99
    assert summary.errors and summary.note_delivery.keys() == {"direct", "queued", "failed"}
    assert summary.sus is not None and summary.sus.n >= 10 and 50 < summary.sus.mean < 90
    assert summary.weeks[-1].users >= summary.weeks[0].users, "use grows as people start"


def test_holidays() -> None:
    assert easter(2026) == date(2026, 4, 5) and easter(2025) == date(2025, 4, 20)
    assert {date(2026, 5, 17), date(2026, 4, 2), date(2026, 5, 14), date(2026, 5, 25)} <= norwegian_holidays(2026)
