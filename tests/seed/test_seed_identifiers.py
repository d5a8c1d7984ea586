"""Person numbers, GSRN and HPR numbers are valid and unique, checked by an independent implementation."""

from __future__ import annotations

import random
from datetime import date

import pytest

from mock_epj import terminology as t
from mock_epj.seed import identifiers
from tests.support.hospital import Hospital


def independent_mod11_ok(number: str) -> bool:
    """The register's rule written out again: both weighted sums are 0 mod 11 with the check digit."""
    digits = [int(c) for c in number]
    first = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1]
    second = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1]
    return (
        sum(d * w for d, w in zip(digits[:10], first, strict=True)) % 11 == 0
        and sum(d * w for d, w in zip(digits, second, strict=True)) % 11 == 0
    )


def independent_gs1_ok(number: str) -> bool:
    """GS1: weights 3,1,3,1... from the left for an even-length key, check digit included."""
    total = 0
    for position, char in enumerate(number):
        weight = 3 if (len(number) - position) % 2 == 0 else 1
        total += int(char) * weight
    return total % 10 == 0


def decode(number: str, d_number: bool) -> tuple[date, int]:
    """Birth date and individual number of a synthetic (+80 month) person number."""
    day, month, yy, individual = int(number[:2]), int(number[2:4]), int(number[4:6]), int(number[6:9])
    if d_number:
        assert 41 <= day <= 71
        day -= 40
    assert 81 <= month <= 92, "synthetic numbers add 80 to the month"
    if individual <= 499 or (individual >= 900 and yy >= 40):
        century = 1900
    elif 500 <= individual <= 749 and yy >= 54:
        century = 1800
    else:
        assert yy <= 39
        century = 2000
    return date(century + yy, month - 80, day), individual


def test_every_patient_has_a_valid_person_number_matching_birth_date_and_sex(
    large_hospital: Hospital,
) -> None:
    for patient in large_hospital.of("Patient"):
        person_ids = [i for i in patient["identifier"] if i["system"] in (t.FNR, t.DNR)]
        assert len(person_ids) == 1
        number, system = person_ids[0]["value"], person_ids[0]["system"]
        assert len(number) == 11 and number.isdigit()
        assert independent_mod11_ok(number), number
        born, individual = decode(number, system == t.DNR)
        assert born.isoformat() == patient["birthDate"]
        assert (individual % 2 == 1) == (patient["gender"] == "male")


def test_about_two_percent_have_a_d_number(large_hospital: Hospital) -> None:
    systems = [i["system"] for p in large_hospital.of("Patient") for i in p["identifier"]]
    share = systems.count(t.DNR) / len(large_hospital.of("Patient"))
    assert 0.005 < share < 0.04


def test_every_patient_has_a_valid_gsrn_for_the_wristband(large_hospital: Hospital) -> None:
    for patient in large_hospital.of("Patient"):
        gsrns = [i["value"] for i in patient["identifier"] if i["system"] == t.GSRN]
        assert len(gsrns) == 1
        assert len(gsrns[0]) == 18 and gsrns[0].startswith(identifiers.GSRN_COMPANY_PREFIX)
        assert independent_gs1_ok(gsrns[0]), gsrns[0]


def test_identifiers_are_unique(large_hospital: Hospital) -> None:
    values = [(i["system"], i["value"]) for p in large_hospital.of("Patient")
              for i in p["identifier"]]
    values += [(i["system"], i["value"]) for p in large_hospital.of("Practitioner")
               for i in p["identifier"]]
    assert len(values) == len(set(values))


def test_practitioners_have_hpr_numbers_and_usernames(hospital: Hospital) -> None:
    for practitioner in hospital.of("Practitioner"):
        systems = {i["system"]: i["value"] for i in practitioner["identifier"]}
        assert 7 <= len(systems[t.HPR]) <= 9 and systems[t.HPR].isdigit()
        assert systems[t.USERNAME]


@pytest.mark.parametrize("year", [1905, 1939, 1940, 1953, 1999, 2000, 2017, 2026])
@pytest.mark.parametrize("male", [True, False])
@pytest.mark.parametrize("d_number", [False, True])
def test_synthetic_person_numbers_round_trip(year: int, male: bool, d_number: bool) -> None:
    rng = random.Random(year)
    for day in (date(year, 1, 1), date(year, 2, 28), date(year, 12, 31)):
        number = identifiers.synthetic_person_number(rng, day, male, d_number=d_number)
        assert independent_mod11_ok(number)
        assert identifiers.is_valid_person_number(number)
        assert decode(number, d_number)[0] == day
        assert identifiers.birth_date_of(number) == day
        assert int(number[8]) % 2 == (1 if male else 0)


def test_a_wrong_check_digit_is_rejected() -> None:
    number = identifiers.synthetic_person_number(random.Random(1), date(1980, 5, 17), True)
    broken = number[:10] + str((int(number[10]) + 1) % 10)
    assert not identifiers.is_valid_person_number(broken)


def test_gs1_check_digit_matches_the_gs1_example() -> None:
    assert identifiers.gs1_check_digit("629104150021") == 3  # GS1's published GTIN-13 example
    number = identifiers.gsrn(123)
    assert identifiers.is_valid_gsrn(number)
    assert not identifiers.is_valid_gsrn(number[:-1] + str((int(number[-1]) + 1) % 10))


def test_organisation_numbers_use_mod11() -> None:
    assert identifiers.organisation_number("97476067") == "974760673"  # Brønnøysundregistrene
