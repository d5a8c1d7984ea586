"""Check digits and synthetic numbers for Norwegian person numbers, GS1 GSRN and organisation numbers.

The person-number rules follow the national register: two mod-11 check digits, the century coded in
the individual number, D-numbers with day + 40, and synthetic test numbers with month + 80 so that
no generated number can belong to a real person. The mod-11 rule lives in ``mod11`` only, the one
place to change when the relaxed rule for numbers issued from 2032 is needed.
"""

from __future__ import annotations

import random
from datetime import date

FNR_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
FNR_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
SYNTHETIC_MONTH_OFFSET = 80
D_NUMBER_DAY_OFFSET = 40
GSRN_COMPANY_PREFIX = "7080000"  # looks like a GS1 Norway company prefix; fictitious
GSRN_LENGTH = 18


def mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit for ``digits``, or None when the remainder makes it invalid."""
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if k == 11:
        return 0
    return None if k == 10 else k


def person_number_check_digits(first9: str) -> str | None:
    """The two check digits of a fødselsnummer or D-number, or None if none exist."""
    k1 = mod11(first9, FNR_WEIGHTS_1)
    if k1 is None:
        return None
    k2 = mod11(first9 + str(k1), FNR_WEIGHTS_2)
    if k2 is None:
        return None
    return f"{k1}{k2}"


def is_valid_person_number(number: str) -> bool:
    """True for 11 digits whose two check digits are right (date and century are not checked)."""
    if len(number) != 11 or not number.isdigit():
        return False
    return person_number_check_digits(number[:9]) == number[9:]


def individual_number_range(year: int) -> range:
    """The individual numbers (000-999) the register uses for people born in ``year``."""
    if 1854 <= year <= 1899:
        return range(500, 750)
    if 1900 <= year <= 1999:
        return range(0, 500)
    if 2000 <= year <= 2039:
        return range(500, 1000)
    raise ValueError(f"No individual numbers for birth year {year}")


def century_of(individual: int, yy: int) -> int | None:
    """The century (1800, 1900 or 2000) an individual number and two-digit year imply."""
    if 500 <= individual <= 749 and yy >= 54:
        return 1800
    if individual <= 499 or (individual >= 900 and yy >= 40):
        return 1900
    if individual >= 500 and yy <= 39:
        return 2000
    return None


def synthetic_person_number(
    rng: random.Random, birth: date, male: bool, *, d_number: bool = False
) -> str:
    """A synthetic fødselsnummer (month + 80) or D-number (also day + 40) for a birth date.

    The 9th digit is odd for men and even for women; individual numbers whose check digit would
    be 10 are skipped, as the register does.
    """
    day = birth.day + (D_NUMBER_DAY_OFFSET if d_number else 0)
    prefix = f"{day:02d}{birth.month + SYNTHETIC_MONTH_OFFSET:02d}{birth.year % 100:02d}"
    numbers = individual_number_range(birth.year)
    while True:
        individual = rng.randrange(numbers.start, numbers.stop)
        if individual % 2 != male:
            individual = individual + 1 if individual + 1 < numbers.stop else individual - 1
        first9 = f"{prefix}{individual:03d}"
        check = person_number_check_digits(first9)
        if check is not None:
            return first9 + check


def birth_date_of(number: str) -> date | None:
    """The birth date in a fødselsnummer or D-number, synthetic (+80) or real; None if not one."""
    if len(number) != 11 or not number.isdigit():
        return None
    day, month, yy, individual = (
        int(number[0:2]), int(number[2:4]), int(number[4:6]), int(number[6:9])
    )
    if day > D_NUMBER_DAY_OFFSET:
        day -= D_NUMBER_DAY_OFFSET
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    century = century_of(individual, yy)
    if century is None:
        return None
    try:
        return date(century + yy, month, day)
    except ValueError:
        return None


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit: weights 3 and 1 alternating from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def gsrn(serial: int, company_prefix: str = GSRN_COMPANY_PREFIX) -> str:
    """An 18-digit GSRN: company prefix, zero-padded serial and the GS1 check digit."""
    body = f"{company_prefix}{serial:0{GSRN_LENGTH - 1 - len(company_prefix)}d}"
    if len(body) != GSRN_LENGTH - 1:
        raise ValueError(f"Serial {serial} does not fit in a GSRN")
    return body + str(gs1_check_digit(body))


def is_valid_gsrn(number: str) -> bool:
    return (
        len(number) == GSRN_LENGTH
        and number.isdigit()
        and gs1_check_digit(number[:-1]) == int(number[-1])
    )


def organisation_number(first8: str) -> str | None:
    """A 9-digit organisation number from 8 digits, or None when the check digit would be 10."""
    check = mod11(first8, ORGNR_WEIGHTS)
    return None if check is None else first8 + str(check)
