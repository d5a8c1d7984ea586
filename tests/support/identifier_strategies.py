"""Independent check-digit arithmetic and hypothesis strategies for valid person identifiers.

The check digits are found here by solving the congruence (weighted sum including the check
digit with weight 1 must be 0 mod 11) rather than by the "11 - remainder" formula the code under
test uses, so the two implementations can disagree if either is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import assume
from hypothesis import strategies as st

from mobile_app.domain.identifiers import IdentifierKind, Sex

WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _solve(prefix: str, weights: tuple[int, ...]) -> int | None:
    for candidate in range(10):
        digits = prefix + str(candidate)
        if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0:
            return candidate
    return None


def independent_check_digits(first_nine: str) -> str | None:
    """The two check digits completing ``first_nine``, or ``None`` if there are none."""
    k1 = _solve(first_nine, WEIGHTS_1)
    if k1 is None:
        return None
    k2 = _solve(first_nine + str(k1), WEIGHTS_2)
    return None if k2 is None else f"{k1}{k2}"


def complete(first_nine: str) -> str:
    """``first_nine`` plus its check digits; fails the test if none exist."""
    check = independent_check_digits(first_nine)
    assert check is not None, f"{first_nine} has no valid check digits"
    return first_nine + check


def gs1_check(data: str) -> int:
    """GS1 mod-10 check digit, written out position by position from the left."""
    # The data digit right before the check digit weighs 3, the one before it 1, and so on.
    total = 0
    for index, digit in enumerate(data):
        from_right = len(data) - index  # 1 for the digit next to the check digit
        total += int(digit) * (3 if from_right % 2 == 1 else 1)
    return -total % 10


@dataclass(frozen=True)
class Expected:
    """A generated identifier and what parsing it must report."""

    value: str
    kind: IdentifierKind
    birth_date: date | None
    sex: Sex | None
    synthetic: bool


def _individual_numbers(year: int) -> st.SearchStrategy[int]:
    two_digit = year % 100
    if year < 1900:
        return st.integers(500, 749)
    if year < 2000:
        low = st.integers(0, 499)
        return st.one_of(low, st.integers(900, 999)) if two_digit >= 40 else low
    return st.integers(500, 999)


# (day offset, month offset) -> (kind, synthetic)
DATED_VARIANTS: dict[tuple[int, int], tuple[IdentifierKind, bool]] = {
    (0, 0): (IdentifierKind.FNR, False),
    (0, 80): (IdentifierKind.FNR, True),  # Tenor
    (40, 0): (IdentifierKind.DNR, False),
    (40, 80): (IdentifierKind.DNR, True),  # Tenor D-number
    (40, 40): (IdentifierKind.DNR, True),  # other test tool's D-number
    (0, 40): (IdentifierKind.HNR, False),  # H-number (or the other test tool: ambiguous)
}


@st.composite
def dated_identifiers(draw: st.DrawFn, variants: list[tuple[int, int]] | None = None) -> Expected:
    """Identifiers with a date inside: any century the rules allow, any variant."""
    born = draw(st.dates(date(1854, 1, 1), date(2039, 12, 31)))
    individual = draw(_individual_numbers(born.year))
    day_offset, month_offset = draw(st.sampled_from(variants or list(DATED_VARIANTS)))
    first_nine = (
        f"{born.day + day_offset:02d}{born.month + month_offset:02d}"
        f"{born.year % 100:02d}{individual:03d}"
    )
    check = independent_check_digits(first_nine)
    assume(check is not None)
    kind, synthetic = DATED_VARIANTS[(day_offset, month_offset)]
    sex = Sex.MALE if individual % 2 == 1 else Sex.FEMALE
    return Expected(first_nine + str(check), kind, born, sex, synthetic)


@st.composite
def fh_numbers(draw: st.DrawFn) -> Expected:
    """National FH-numbers: first digit 8 or 9, eight free digits, two check digits."""
    first_nine = draw(st.sampled_from("89")) + draw(st.text("0123456789", min_size=8, max_size=8))
    check = independent_check_digits(first_nine)
    assume(check is not None)
    return Expected(first_nine + str(check), IdentifierKind.FHN, None, None, False)


def valid_identifiers() -> st.SearchStrategy[Expected]:
    """Any valid identifier of any kind."""
    return st.one_of(dated_identifiers(), fh_numbers())
