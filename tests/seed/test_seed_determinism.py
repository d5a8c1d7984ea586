"""The generator is deterministic for (seed, patients, now) and lazy."""

from __future__ import annotations

import types
from datetime import datetime

import pytest

from mock_epj.seed import generate
from tests.support.hospital import NOW, Hospital, build


def test_the_same_seed_gives_identical_output(hospital: Hospital) -> None:
    again = build(42, 300, NOW)
    assert again.logins == hospital.logins
    assert again.resources == hospital.resources


def test_another_seed_gives_another_hospital(hospital: Hospital) -> None:
    other = build(43, 300, NOW)
    assert [p["name"] for p in other.of("Patient")] != [p["name"] for p in hospital.of("Patient")]
    assert other.resources != hospital.resources


def test_resources_come_from_a_generator() -> None:
    data = generate(42, 300, NOW)
    assert isinstance(data.resources, types.GeneratorType)
    assert next(data.resources)["resourceType"] == "Organization"


@pytest.mark.parametrize("patients", [1, 5, 60])
def test_a_register_smaller_than_the_wards_still_hangs_together(patients: int) -> None:
    small = build(42, patients, NOW)
    assert len(small.of("Patient")) == patients
    assert 0 < len(small.stays) <= patients
    refs = {value for r in small.resources for value in _references(r)}
    assert refs <= set(small.by_ref)


def _references(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for v in value.values() for ref in _references(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in _references(v)]
    return []


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        generate(42, 10, datetime(2026, 1, 1, 12, 0))
