"""Norwegian person identifiers (fødselsnummer, D-, H-, FH-number): parse, validate, describe.

All four kinds are 11 digits: six "date" digits, a three-digit individual number, and two mod-11
check digits. The kind is read from the digits themselves:

====================  ==================================  =============================
first digit 8 or 9    FH-number (national help number)     no date or sex inside
first digit 4-7       D-number (day + 40)                  month + 80 / + 40: synthetic
third digit 4 or 5    H-number (local help number)         see "month + 40" below
third digit 8 or 9    synthetic test number (Tenor)        FNR or DNR, ``synthetic=True``
otherwise             fødselsnummer
====================  ==================================  =============================

Month + 40 is ambiguous: local H-numbers use it, and so does a national test tool for synthetic
persons. Our rule: a number with a plain day and month + 40 is reported as ``HNR`` with
``synthetic=False``; :attr:`PersonIdentifier.could_be_synthetic` is true for it, because only the
hospital's own register can tell the two apart. A D-number with month + 40 cannot be an H-number
(H-numbers have a plain day), so it is a synthetic D-number. Month + 80 is always synthetic.

Century comes from the individual number (see :func:`birth_year`). The same century and calendar
rules are applied to H-numbers and synthetic numbers as to real fødselsnummer.

Nothing here holds human-readable text: a rejection is a :class:`RejectionReason` plus structured
details, and the UI's message catalogue turns that into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

__all__ = [
    "DNR_SYSTEM",
    "FHN_SYSTEM",
    "FNR_SYSTEM",
    "IDENTIFIER_LENGTH",
    "MOD11_CHECK_DIGITS",
    "CheckDigitMismatch",
    "CheckDigitRule",
    "IdentifierError",
    "IdentifierKind",
    "Mod11CheckDigits",
    "PersonIdentifier",
    "RejectionReason",
    "Sex",
    "birth_year",
    "check_digits",
    "compact_digits",
    "is_valid",
    "parse_person_identifier",
]

FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
FHN_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.3"

IDENTIFIER_LENGTH = 11
_DIGITS = frozenset("0123456789")
# Spaces people and scanners put between digit groups ("010180 12345"). Deliberately not
# str.isspace(): that also matches the GS1 group separator (ASCII 29) and line breaks.
_SPACES = frozenset(" \t\u00a0\u2007\u202f")


class IdentifierKind(StrEnum):
    """Which national scheme an 11-digit person identifier belongs to."""

    FNR = "FNR"  # fødselsnummer
    DNR = "DNR"  # D-number: day + 40
    HNR = "HNR"  # local H-number: month + 40, valid inside one hospital only
    FHN = "FHN"  # national FH-number: first digit 8 or 9, no date


_SYSTEMS: dict[IdentifierKind, str | None] = {
    IdentifierKind.FNR: FNR_SYSTEM,
    IdentifierKind.DNR: DNR_SYSTEM,
    IdentifierKind.FHN: FHN_SYSTEM,
    IdentifierKind.HNR: None,  # no national OID: type code HNR plus a mandatory assigner
}


class Sex(StrEnum):
    """Sex as encoded in the ninth digit (odd: male), in FHIR's administrative-gender codes."""

    MALE = "male"
    FEMALE = "female"


class RejectionReason(StrEnum):
    """Why a text is not a valid person identifier; keys for the UI's message catalogue."""

    EMPTY = "empty"
    NOT_DIGITS = "not_digits"  # a character other than a digit, a space or one dash
    WRONG_LENGTH = "wrong_length"
    CHECK_DIGIT_1 = "check_digit_1"
    CHECK_DIGIT_2 = "check_digit_2"
    INDIVIDUAL_NUMBER_OUT_OF_RANGE = "individual_number_out_of_range"  # century undeterminable
    NO_SUCH_DATE = "no_such_date"
    BIRTH_DATE_IN_FUTURE = "birth_date_in_future"


@dataclass(frozen=True)
class IdentifierError:
    """A rejected identifier: the reason plus the facts a message needs.

    ``position`` is 1-based: for ``NOT_DIGITS`` it points into the text with surrounding spaces
    removed; for the other reasons it points into the 11 digits (10 or 11 for check digits, 7 for
    the individual number, 1 for the date). ``expected`` / ``found`` depend on the reason:

    - ``NOT_DIGITS``: ``found`` is the offending character.
    - ``WRONG_LENGTH``: ``expected`` "11", ``found`` the number of digits.
    - ``CHECK_DIGIT_1`` / ``_2``: ``expected`` the right digit, or ``None`` when no digit can
      complete the number (the remainder would demand a 10); ``found`` the digit given.
    - ``INDIVIDUAL_NUMBER_OUT_OF_RANGE``: ``found`` the individual number and two-digit year,
      e.g. "800/45".
    - ``NO_SUCH_DATE`` / ``BIRTH_DATE_IN_FUTURE``: ``found`` the decoded date as YYYY-MM-DD (with
      the D-/H-/synthetic offsets removed), e.g. "1999-02-30".
    """

    reason: RejectionReason
    text: str
    position: int | None = None
    expected: str | None = None
    found: str | None = None


@dataclass(frozen=True)
class CheckDigitMismatch:
    """A check digit that does not fit: ``position`` is 10 or 11 (1-based)."""

    position: int
    expected: int | None  # None: no digit 0-9 satisfies the rule
    found: int


class CheckDigitRule(Protocol):
    """The check-digit rule, kept in one swappable place.

    From 2032 new numbers may carry check digits with other remainders than today's rule
    allows; when that rule is settled, write a second implementation of this protocol and pass it
    as ``rule=`` (or change :data:`MOD11_CHECK_DIGITS`, the default everywhere). Note that the
    2032 reform also stops encoding sex in the ninth digit; revisit :attr:`PersonIdentifier.sex`
    then.
    """

    def mismatch(self, digits: str) -> CheckDigitMismatch | None:
        """Return the first check digit of the 11 ``digits`` that is wrong, or ``None``."""
        ...


@dataclass(frozen=True)
class Mod11CheckDigits:
    """Today's rule: two weighted mod-11 check digits; a required value of 10 is impossible.

    Two such digits catch every single-digit error and every swap of two adjacent digits.
    """

    weights_1: tuple[int, ...] = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    weights_2: tuple[int, ...] = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

    @staticmethod
    def _digit(digits: str, weights: tuple[int, ...]) -> int | None:
        k = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if k == 11:
            return 0
        return None if k == 10 else k

    def compute(self, first_nine: str) -> tuple[int, int] | None:
        """Both check digits for nine digits, or ``None`` when either would have to be 10."""
        k1 = self._digit(first_nine, self.weights_1)
        if k1 is None:
            return None
        k2 = self._digit(first_nine + str(k1), self.weights_2)
        return None if k2 is None else (k1, k2)

    def mismatch(self, digits: str) -> CheckDigitMismatch | None:
        found_1, found_2 = int(digits[9]), int(digits[10])
        k1 = self._digit(digits[:9], self.weights_1)
        if k1 != found_1:
            return CheckDigitMismatch(10, k1, found_1)
        k2 = self._digit(digits[:10], self.weights_2)
        if k2 != found_2:
            return CheckDigitMismatch(11, k2, found_2)
        return None


MOD11_CHECK_DIGITS = Mod11CheckDigits()


def check_digits(first_nine: str) -> tuple[int, int] | None:
    """The two check digits that complete ``first_nine`` under today's rule, or ``None``.

    ``None`` means no valid identifier starts with these nine digits. Raises ``ValueError`` if
    ``first_nine`` is not nine ASCII digits.
    """
    if len(first_nine) != 9 or not set(first_nine) <= _DIGITS:
        raise ValueError(f"expected nine digits, got {first_nine!r}")
    return MOD11_CHECK_DIGITS.compute(first_nine)


@dataclass(frozen=True)
class PersonIdentifier:
    """A valid 11-digit person identifier and what its digits say.

    ``birth_date`` and ``sex`` are ``None`` for FH-numbers, which encode neither.
    ``synthetic`` is true for numbers that are certainly synthetic test identities (month + 80,
    or a D-number with month + 40).
    """

    value: str
    kind: IdentifierKind
    birth_date: date | None
    sex: Sex | None
    synthetic: bool = False

    def __post_init__(self) -> None:
        if len(self.value) != IDENTIFIER_LENGTH or not set(self.value) <= _DIGITS:
            raise ValueError(f"a person identifier is 11 digits, got {self.value!r}")

    @property
    def system(self) -> str | None:
        """The FHIR identifier system, or ``None`` for a local H-number (no national OID)."""
        return _SYSTEMS[self.kind]

    @property
    def could_be_synthetic(self) -> bool:
        """True if this may be a test identity: synthetic, or month + 40 read as an H-number."""
        return self.synthetic or self.kind is IdentifierKind.HNR

    def __str__(self) -> str:
        return self.value


def compact_digits(text: str) -> str | None:
    """The digits of ``text`` if it holds only digits, spaces and at most one inner dash.

    ``" 010180-12345 "`` gives ``"01018012345"``; anything else (letters, two dashes, a dash at
    either end, no digits at all) gives ``None``. The number of digits is not checked.
    """
    result = _compact(text.strip())
    return result if isinstance(result, str) else None


def _compact(stripped: str) -> str | tuple[int, str]:
    """Digits of ``stripped``, or the 1-based position and character that is not allowed."""
    digits: list[str] = []
    dash_seen = False
    for position, char in enumerate(stripped, start=1):
        if char in _DIGITS:
            digits.append(char)
        elif char in _SPACES:
            continue
        elif char == "-" and not dash_seen and digits and position < len(stripped):
            dash_seen = True
        else:
            return position, char
    return "".join(digits) if digits else (1, stripped[:1])


def birth_year(individual_number: int, two_digit_year: int) -> int | None:
    """The four-digit birth year from the individual number, or ``None`` if no rule gives one.

    500-749 with year 54-99: 1854-1899; 000-499: 1900-1999; 900-999 with year 40-99: 1940-1999;
    500-999 with year 00-39: 2000-2039.
    """
    if individual_number <= 499:
        return 1900 + two_digit_year
    if two_digit_year <= 39:
        return 2000 + two_digit_year
    if individual_number >= 900:
        return 1900 + two_digit_year
    if individual_number <= 749 and two_digit_year >= 54:
        return 1800 + two_digit_year
    return None


def parse_person_identifier(
    text: str,
    *,
    rule: CheckDigitRule = MOD11_CHECK_DIGITS,
    today: date | None = None,
) -> PersonIdentifier | IdentifierError:
    """Parse what a person typed or a scanner sent into a :class:`PersonIdentifier`.

    Surrounding spaces, spaces between digits and one dash are accepted ("010180 12345",
    "010180-12345"). Checks run in this order, and the first failure is reported: characters,
    length, check digits (``rule``), century, calendar date, and, only when ``today`` is given,
    that the birth date is not after ``today``.
    """
    stripped = text.strip()
    if not stripped:
        return IdentifierError(RejectionReason.EMPTY, text)
    compacted = _compact(stripped)
    if not isinstance(compacted, str):
        position, char = compacted
        return IdentifierError(RejectionReason.NOT_DIGITS, text, position=position, found=char)
    digits = compacted
    if len(digits) != IDENTIFIER_LENGTH:
        return IdentifierError(
            RejectionReason.WRONG_LENGTH,
            text,
            expected=str(IDENTIFIER_LENGTH),
            found=str(len(digits)),
        )
    mismatch = rule.mismatch(digits)
    if mismatch is not None:
        reason = (
            RejectionReason.CHECK_DIGIT_1
            if mismatch.position == 10
            else RejectionReason.CHECK_DIGIT_2
        )
        expected = None if mismatch.expected is None else str(mismatch.expected)
        return IdentifierError(
            reason, text, position=mismatch.position, expected=expected, found=str(mismatch.found)
        )
    return _describe(digits, text, today)


def is_valid(text: str, *, rule: CheckDigitRule = MOD11_CHECK_DIGITS) -> bool:
    """True if ``text`` parses as a person identifier of any kind."""
    return isinstance(parse_person_identifier(text, rule=rule), PersonIdentifier)


def _describe(digits: str, text: str, today: date | None) -> PersonIdentifier | IdentifierError:
    """Kind, birth date and sex of 11 digits whose check digits are already known to be right."""
    if digits[0] in "89":
        return PersonIdentifier(digits, IdentifierKind.FHN, birth_date=None, sex=None)

    day, month, two_digit_year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    kind, synthetic = IdentifierKind.FNR, False
    if digits[0] in "4567":
        kind, day = IdentifierKind.DNR, day - 40
    if digits[2] in "89":
        synthetic, month = True, month - 80
    elif digits[2] in "45":
        month -= 40
        if kind is IdentifierKind.DNR:
            synthetic = True  # H-numbers have a plain day, so this is a test tool's D-number
        else:
            kind = IdentifierKind.HNR

    individual_number = int(digits[6:9])
    year = birth_year(individual_number, two_digit_year)
    if year is None:
        return IdentifierError(
            RejectionReason.INDIVIDUAL_NUMBER_OUT_OF_RANGE,
            text,
            position=7,
            found=f"{digits[6:9]}/{digits[4:6]}",
        )
    decoded = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        born = date(year, month, day)
    except ValueError:
        return IdentifierError(RejectionReason.NO_SUCH_DATE, text, position=1, found=decoded)
    if today is not None and born > today:
        return IdentifierError(
            RejectionReason.BIRTH_DATE_IN_FUTURE, text, position=1, found=decoded
        )
    sex = Sex.MALE if int(digits[8]) % 2 == 1 else Sex.FEMALE
    return PersonIdentifier(digits, kind, birth_date=born, sex=sex, synthetic=synthetic)
