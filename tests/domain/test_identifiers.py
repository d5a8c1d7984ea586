"""Person identifiers: known examples, every rejection reason, and the swappable rule."""

from __future__ import annotations

from datetime import date

import pytest

from mobile_app.domain.identifiers import (
    DNR_SYSTEM,
    FHN_SYSTEM,
    FNR_SYSTEM,
    CheckDigitMismatch,
    IdentifierError,
    IdentifierKind,
    PersonIdentifier,
    RejectionReason,
    Sex,
    birth_year,
    check_digits,
    compact_digits,
    is_valid,
    parse_person_identifier,
)
from tests.support.identifier_strategies import complete

TODAY = date(2025, 6, 1)
FULLWIDTH_FNR = "".join(chr(0xFF10 + int(d)) for d in "01019022443")  # a CJK keyboard's digits


def parsed(text: str, today: date | None = None) -> PersonIdentifier:
    result = parse_person_identifier(text, today=today)
    assert isinstance(result, PersonIdentifier), result
    return result


def rejected(text: str, today: date | None = None) -> IdentifierError:
    result = parse_person_identifier(text, today=today)
    assert isinstance(result, IdentifierError), result
    return result


def test_hand_verified_example_parses() -> None:
    # 311299567: sum1 = 3*3+7*1+6*1+1*2+8*9+9*9+4*5+5*6+2*7 = 241, 241 mod 11 = 10, k1 = 1;
    # sum2 = 5*3+4*1+3*1+2*2+7*9+6*9+5*5+4*6+3*7+2*1 = 215, 215 mod 11 = 6, k2 = 5.
    identifier = parsed("31129956715")
    assert identifier.kind is IdentifierKind.FNR
    assert identifier.birth_date == date(1899, 12, 31)  # individual 567 with year 99: 1800s
    assert identifier.sex is Sex.MALE
    assert identifier.system == FNR_SYSTEM
    assert not identifier.synthetic
    assert check_digits("311299567") == (1, 5)


@pytest.mark.parametrize(
    ("value", "kind", "born", "sex", "synthetic", "system"),
    [
        ("01019022443", IdentifierKind.FNR, date(1990, 1, 1), Sex.FEMALE, False, FNR_SYSTEM),
        ("15070743393", IdentifierKind.FNR, date(1907, 7, 15), Sex.MALE, False, FNR_SYSTEM),
        ("01019960028", IdentifierKind.FNR, date(1899, 1, 1), Sex.FEMALE, False, FNR_SYSTEM),
        ("01015095012", IdentifierKind.FNR, date(1950, 1, 1), Sex.FEMALE, False, FNR_SYSTEM),
        ("29020050088", IdentifierKind.FNR, date(2000, 2, 29), Sex.FEMALE, False, FNR_SYSTEM),
        ("29020450051", IdentifierKind.FNR, date(2004, 2, 29), Sex.FEMALE, False, FNR_SYSTEM),
        ("01010000110", IdentifierKind.FNR, date(1900, 1, 1), Sex.MALE, False, FNR_SYSTEM),
        ("41019022437", IdentifierKind.DNR, date(1990, 1, 1), Sex.FEMALE, False, DNR_SYSTEM),
        ("71018000061", IdentifierKind.DNR, date(1980, 1, 31), Sex.FEMALE, False, DNR_SYSTEM),
        ("01419022426", IdentifierKind.HNR, date(1990, 1, 1), Sex.FEMALE, False, None),
        ("01819022409", IdentifierKind.FNR, date(1990, 1, 1), Sex.FEMALE, True, FNR_SYSTEM),
        ("41819020068", IdentifierKind.DNR, date(1990, 1, 1), Sex.FEMALE, True, DNR_SYSTEM),
        ("41419020085", IdentifierKind.DNR, date(1990, 1, 1), Sex.FEMALE, True, DNR_SYSTEM),
        ("81234567802", IdentifierKind.FHN, None, None, False, FHN_SYSTEM),
        ("91234567026", IdentifierKind.FHN, None, None, False, FHN_SYSTEM),
    ],
)
def test_known_valid_identifiers_are_described_correctly(
    value: str,
    kind: IdentifierKind,
    born: date | None,
    sex: Sex | None,
    synthetic: bool,
    system: str | None,
) -> None:
    assert complete(value[:9]) == value  # the table agrees with the independent arithmetic
    identifier = parsed(value, today=TODAY)
    assert (identifier.value, identifier.kind, identifier.birth_date) == (value, kind, born)
    assert (identifier.sex, identifier.synthetic, identifier.system) == (sex, synthetic, system)


@pytest.mark.parametrize("first_nine", ["020304123", "311299567", "014190224", "888888888"])
def test_numbers_built_with_independent_check_digits_are_valid(first_nine: str) -> None:
    assert is_valid(complete(first_nine))


def test_h_number_is_flagged_as_possibly_synthetic_but_not_synthetic() -> None:
    identifier = parsed("01419022426")
    assert identifier.kind is IdentifierKind.HNR
    assert not identifier.synthetic
    assert identifier.could_be_synthetic


def test_real_form_fnr_is_not_possibly_synthetic() -> None:
    assert not parsed("01019022443").could_be_synthetic


def test_tenor_number_is_possibly_synthetic() -> None:
    assert parsed("01819022409").could_be_synthetic


@pytest.mark.parametrize(
    "text",
    [
        " 01019022443 ",
        "010190 22443",
        "010190-22443",
        "010190 - 22443",
        "0101 9022 443",
        "\t01019022443\u00a0",
    ],
)
def test_spaces_and_one_dash_are_accepted(text: str) -> None:
    assert parsed(text).value == "01019022443"


@pytest.mark.parametrize(
    ("text", "reason", "position", "expected", "found"),
    [
        ("", RejectionReason.EMPTY, None, None, None),
        ("   ", RejectionReason.EMPTY, None, None, None),
        ("0101902244x", RejectionReason.NOT_DIGITS, 11, None, "x"),
        ("abc", RejectionReason.NOT_DIGITS, 1, None, "a"),
        ("010190--22443", RejectionReason.NOT_DIGITS, 8, None, "-"),
        ("010190-224-43", RejectionReason.NOT_DIGITS, 11, None, "-"),
        ("-01019022443", RejectionReason.NOT_DIGITS, 1, None, "-"),
        ("01019022443-", RejectionReason.NOT_DIGITS, 12, None, "-"),
        ("010190\x1d22443", RejectionReason.NOT_DIGITS, 7, None, "\x1d"),
        (FULLWIDTH_FNR, RejectionReason.NOT_DIGITS, 1, None, "\uff10"),
        ("0101902244", RejectionReason.WRONG_LENGTH, None, "11", "10"),
        ("010190224431", RejectionReason.WRONG_LENGTH, None, "11", "12"),
        ("01019022453", RejectionReason.CHECK_DIGIT_1, 10, "4", "5"),
        ("01019022444", RejectionReason.CHECK_DIGIT_2, 11, "3", "4"),
        ("01018000300", RejectionReason.CHECK_DIGIT_1, 10, None, "0"),
        ("01018000560", RejectionReason.CHECK_DIGIT_2, 11, None, "0"),
    ],
)
def test_malformed_text_is_rejected_with_details(
    text: str,
    reason: RejectionReason,
    position: int | None,
    expected: str | None,
    found: str | None,
) -> None:
    error = rejected(text)
    assert (error.reason, error.position, error.expected, error.found) == (
        reason,
        position,
        expected,
        found,
    )
    assert error.text == text


@pytest.mark.parametrize(
    ("first_nine", "reason", "found"),
    [
        ("010145800", RejectionReason.INDIVIDUAL_NUMBER_OUT_OF_RANGE, "800/45"),
        ("010150750", RejectionReason.INDIVIDUAL_NUMBER_OUT_OF_RANGE, "750/50"),
        ("290200300", RejectionReason.NO_SUCH_DATE, "1900-02-29"),  # 1900 was no leap year
        ("290201502", RejectionReason.NO_SUCH_DATE, "2001-02-29"),
        ("310490123", RejectionReason.NO_SUCH_DATE, "1990-04-31"),
        ("001390123", RejectionReason.NO_SUCH_DATE, "1990-13-00"),
        ("011390123", RejectionReason.NO_SUCH_DATE, "1990-13-01"),
        ("012190123", RejectionReason.NO_SUCH_DATE, "1990-21-01"),
        ("016190123", RejectionReason.NO_SUCH_DATE, "1990-61-01"),  # no offset starts with 6
        ("019390123", RejectionReason.NO_SUCH_DATE, "1990-13-01"),  # month 93: Tenor + 80
        ("400190123", RejectionReason.NO_SUCH_DATE, "1990-01-00"),  # D-number day 0
        ("720190123", RejectionReason.NO_SUCH_DATE, "1990-01-32"),
        ("320190123", RejectionReason.NO_SUCH_DATE, "1990-01-32"),
        ("010139512", RejectionReason.BIRTH_DATE_IN_FUTURE, "2039-01-01"),
    ],
)
def test_numbers_with_right_check_digits_but_impossible_content_are_rejected(
    first_nine: str, reason: RejectionReason, found: str
) -> None:
    value = _complete_nearby(first_nine)
    error = rejected(value, today=TODAY)
    assert (error.reason, error.found) == (reason, found)


def _complete_nearby(first_nine: str) -> str:
    """Complete ``first_nine``, moving the last individual digit until check digits exist.

    The last individual digit does not change kind or date, only sex; the century rules work on
    the whole individual number, so the ranges in the table above stay the same.
    """
    for last in [first_nine[8], *"0123456789"]:
        try:
            return complete(first_nine[:8] + last)
        except AssertionError:
            continue
    raise AssertionError(f"no valid completion near {first_nine}")


def test_future_birth_date_is_allowed_without_today() -> None:
    assert parsed("01013951213").birth_date == date(2039, 1, 1)


@pytest.mark.parametrize(
    ("individual", "two_digit_year", "year"),
    [
        (0, 0, 1900),
        (499, 99, 1999),
        (500, 54, 1854),
        (749, 99, 1899),
        (500, 0, 2000),
        (999, 39, 2039),
        (900, 40, 1940),
        (999, 99, 1999),
        (750, 54, None),
        (899, 99, None),
        (500, 40, None),
        (749, 53, None),
    ],
)
def test_birth_year_follows_the_individual_number_table(
    individual: int, two_digit_year: int, year: int | None
) -> None:
    assert birth_year(individual, two_digit_year) == year


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "12345678x"])
def test_check_digits_refuses_anything_but_nine_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="nine digits"):
        check_digits(bad)


def test_check_digits_reports_impossible_prefixes() -> None:
    assert check_digits("010180003") is None  # first check digit would have to be 10


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("010190 22443", "01019022443"),
        (" 12-34 ", "1234"),
        ("1--2", None),
        ("", None),
        ("ab", None),
    ],
)
def test_compact_digits_keeps_only_digits_of_digit_text(text: str, digits: str | None) -> None:
    assert compact_digits(text) == digits


class _AcceptEverything:
    def mismatch(self, digits: str) -> CheckDigitMismatch | None:
        return None


class _RejectEverything:
    def mismatch(self, digits: str) -> CheckDigitMismatch | None:
        return CheckDigitMismatch(position=10, expected=None, found=int(digits[9]))


def test_check_digit_rule_can_be_swapped_to_accept_other_remainders() -> None:
    assert not is_valid("01019022400")
    assert is_valid("01019022400", rule=_AcceptEverything())
    identifier = parse_person_identifier("01019022400", rule=_AcceptEverything())
    assert isinstance(identifier, PersonIdentifier)
    assert identifier.birth_date == date(1990, 1, 1)


def test_check_digit_rule_can_be_swapped_to_reject() -> None:
    error = parse_person_identifier("01019022443", rule=_RejectEverything())
    assert isinstance(error, IdentifierError)
    assert error.reason is RejectionReason.CHECK_DIGIT_1


def test_person_identifier_refuses_a_value_that_is_not_eleven_digits() -> None:
    with pytest.raises(ValueError, match="11 digits"):
        PersonIdentifier("123", IdentifierKind.FNR, birth_date=None, sex=None)


def test_person_identifier_prints_as_its_digits() -> None:
    assert str(parsed("010190 22443")) == "01019022443"
