"""Property tests over generated valid identifiers of every kind and century."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mobile_app.domain.identifiers import (
    IdentifierError,
    IdentifierKind,
    PersonIdentifier,
    RejectionReason,
    check_digits,
    parse_person_identifier,
)
from tests.support.identifier_strategies import (
    Expected,
    dated_identifiers,
    fh_numbers,
    independent_check_digits,
    valid_identifiers,
)

CHECK_DIGIT_REASONS = {RejectionReason.CHECK_DIGIT_1, RejectionReason.CHECK_DIGIT_2}


@given(valid_identifiers())
def test_generated_identifiers_parse_with_the_right_kind_date_and_sex(expected: Expected) -> None:
    result = parse_person_identifier(expected.value)
    assert isinstance(result, PersonIdentifier), result
    assert result.value == expected.value
    assert result.kind is expected.kind
    assert result.birth_date == expected.birth_date
    assert result.sex == expected.sex
    assert result.synthetic == expected.synthetic


@given(dated_identifiers(variants=[(0, 80), (40, 80)]))
def test_tenor_numbers_are_synthetic(expected: Expected) -> None:
    result = parse_person_identifier(expected.value)
    assert isinstance(result, PersonIdentifier)
    assert result.synthetic
    assert result.kind in {IdentifierKind.FNR, IdentifierKind.DNR}


@given(fh_numbers())
def test_fh_numbers_carry_no_date_or_sex(expected: Expected) -> None:
    result = parse_person_identifier(expected.value)
    assert isinstance(result, PersonIdentifier)
    assert (result.kind, result.birth_date, result.sex) == (IdentifierKind.FHN, None, None)


@given(valid_identifiers())
def test_every_single_digit_change_is_rejected_by_a_check_digit(expected: Expected) -> None:
    value = expected.value
    for position in range(11):
        for digit in "0123456789":
            if digit == value[position]:
                continue
            changed = value[:position] + digit + value[position + 1 :]
            result = parse_person_identifier(changed)
            assert isinstance(result, IdentifierError), changed
            assert result.reason in CHECK_DIGIT_REASONS, (changed, result)


@given(valid_identifiers())
def test_every_swap_of_adjacent_different_digits_is_rejected_by_a_check_digit(
    expected: Expected,
) -> None:
    value = expected.value
    for position in range(10):
        a, b = value[position], value[position + 1]
        if a == b:
            continue
        swapped = value[:position] + b + a + value[position + 2 :]
        result = parse_person_identifier(swapped)
        assert isinstance(result, IdentifierError), swapped
        assert result.reason in CHECK_DIGIT_REASONS, (swapped, result)


@given(st.text("0123456789", min_size=9, max_size=9))
def test_check_digits_agrees_with_the_independent_computation(first_nine: str) -> None:
    ours = check_digits(first_nine)
    theirs = independent_check_digits(first_nine)
    assert (None if ours is None else f"{ours[0]}{ours[1]}") == theirs


@given(valid_identifiers(), st.integers(1, 10), st.sampled_from([" ", "-", "  "]))
def test_a_separator_anywhere_inside_is_accepted(expected: Expected, at: int, sep: str) -> None:
    text = f" {expected.value[:at]}{sep}{expected.value[at:]} "
    result = parse_person_identifier(text)
    assert isinstance(result, PersonIdentifier)
    assert result.value == expected.value


@given(st.text(max_size=20))
def test_any_text_gives_an_identifier_or_a_reason_never_an_exception(text: str) -> None:
    result = parse_person_identifier(text)
    assert isinstance(result, PersonIdentifier | IdentifierError)
