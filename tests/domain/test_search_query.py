"""Search-field classification: names, identifiers, birth dates, and text still being typed."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile_app.domain.identifiers import IdentifierKind, RejectionReason
from mobile_app.domain.search_query import (
    BirthDateSearch,
    IdentifierSearch,
    IncompleteReason,
    IncompleteSearch,
    InvalidReason,
    InvalidSearch,
    NameSearch,
    SearchKind,
    SearchQuery,
    classify_search,
)
from tests.support.identifier_strategies import Expected, valid_identifiers

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hansen", ("Hansen",)),
        ("Berg Hansen", ("Berg", "Hansen")),
        ("  Berg   Hansen  ", ("Berg", "Hansen")),
        ("Berg-Hansen", ("Berg-Hansen",)),
        ("O'Brien", ("O'Brien",)),
        ("O\u2019Brien", ("O'Brien",)),  # iOS smart apostrophe
        ("Ærø Østbø Åsen", ("Ærø", "Østbø", "Åsen")),
        ("æøå", ("æøå",)),
        ("Sørensen, Kari", ("Sørensen", "Kari")),
        ("José Müller", ("José", "Müller")),
        ("Jose\u0301", ("Jos\u00e9",)),  # decomposed accent is composed (NFC)
        ("Nguyễn", ("Nguyễn",)),
        ("Áile Ánte", ("Áile", "Ánte")),
        ("Berg-", ("Berg",)),  # hyphen typed, next part not yet
        ("Ås", ("Ås",)),
        ("Li", ("Li",)),
    ],
)
def test_names_are_classified_with_normalised_words(text: str, words: tuple[str, ...]) -> None:
    result = classify_search(text, TODAY)
    assert result == NameSearch(words)
    assert result.kind is SearchKind.NAME


def test_name_search_joins_words_with_single_spaces() -> None:
    result = classify_search(" Kari   Nordmann ", TODAY)
    assert isinstance(result, NameSearch)
    assert result.text == "Kari Nordmann"


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("01.02.1950", date(1950, 2, 1)),
        ("1.2.1950", date(1950, 2, 1)),
        ("29.02.2000", date(2000, 2, 29)),
        (" 31.12.1899 ", date(1899, 12, 31)),
        ("01. 02. 1950", date(1950, 2, 1)),
        ("01.06.2025", date(2025, 6, 1)),  # today
        ("010250", date(1950, 2, 1)),  # 2050 would be in the future
        ("010125", date(2025, 1, 1)),
        ("010625", date(2025, 6, 1)),  # today: still this century
        ("020625", date(1925, 6, 2)),  # tomorrow in 2025, so 1925
        ("311299", date(1999, 12, 31)),
        ("290200", date(2000, 2, 29)),
        ("010100", date(2000, 1, 1)),
        ("01 02 50", date(1950, 2, 1)),
    ],
)
def test_birth_dates_are_classified(text: str, born: date) -> None:
    result = classify_search(text, TODAY)
    assert result == BirthDateSearch(born)
    assert result.kind is SearchKind.BIRTH_DATE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31.02.2000", InvalidReason.NO_SUCH_DATE),
        ("29.02.1900", InvalidReason.NO_SUCH_DATE),
        ("00.01.1950", InvalidReason.NO_SUCH_DATE),
        ("01.13.1950", InvalidReason.NO_SUCH_DATE),
        ("32.", InvalidReason.NO_SUCH_DATE),  # no month can follow
        ("31.04.", InvalidReason.NO_SUCH_DATE),
        ("01.13", InvalidReason.NO_SUCH_DATE),
        ("02.06.2025", InvalidReason.DATE_IN_FUTURE),
        ("01.01.1800", InvalidReason.DATE_TOO_EARLY),
        ("01.02.19500", InvalidReason.UNRECOGNISED),
        ("01..1950", InvalidReason.UNRECOGNISED),
        ("1.2.3.4", InvalidReason.UNRECOGNISED),
        ("Kari 1950", InvalidReason.LETTERS_AND_DIGITS),
        ("010190224A3", InvalidReason.LETTERS_AND_DIGITS),
        ("!!!", InvalidReason.UNRECOGNISED),
        ("-", InvalidReason.UNRECOGNISED),
        ("'", InvalidReason.UNRECOGNISED),
        ("Kari!", InvalidReason.UNRECOGNISED),
        ("Kari_Nordmann", InvalidReason.UNRECOGNISED),
        ("12/34", InvalidReason.UNRECOGNISED),
        ("12-34-56", InvalidReason.UNRECOGNISED),
        ("010190224431", InvalidReason.TOO_MANY_DIGITS),
        ("0101902244312345", InvalidReason.TOO_MANY_DIGITS),
    ],
)
def test_unsearchable_text_is_invalid_with_a_reason(text: str, reason: InvalidReason) -> None:
    result = classify_search(text, TODAY)
    assert result == InvalidSearch(reason)
    assert result.kind is SearchKind.INVALID


@pytest.mark.parametrize(
    ("text", "identifier_reason"),
    [
        ("01019022453", RejectionReason.CHECK_DIGIT_1),
        ("01019022444", RejectionReason.CHECK_DIGIT_2),
        ("010190 22444", RejectionReason.CHECK_DIGIT_2),
        ("29020030052", RejectionReason.NO_SUCH_DATE),
        ("01014580049", RejectionReason.INDIVIDUAL_NUMBER_OUT_OF_RANGE),
        ("01013951213", RejectionReason.BIRTH_DATE_IN_FUTURE),
        ("12345678901", RejectionReason.CHECK_DIGIT_1),
    ],
)
def test_invalid_eleven_digits_carry_the_identifier_rejection(
    text: str, identifier_reason: RejectionReason
) -> None:
    result = classify_search(text, TODAY)
    assert isinstance(result, InvalidSearch)
    assert result.reason is InvalidReason.INVALID_IDENTIFIER
    assert result.identifier_error is not None
    assert result.identifier_error.reason is identifier_reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("01019022443", IdentifierKind.FNR),
        ("010190 22443", IdentifierKind.FNR),
        ("010190-22443", IdentifierKind.FNR),
        ("41019022437", IdentifierKind.DNR),
        ("01419022426", IdentifierKind.HNR),
        ("81234567802", IdentifierKind.FHN),
    ],
)
def test_valid_identifiers_are_classified_as_identifiers(text: str, kind: IdentifierKind) -> None:
    result = classify_search(text, TODAY)
    assert isinstance(result, IdentifierSearch)
    assert result.kind is SearchKind.IDENTIFIER
    assert result.identifier.kind is kind
    assert result.identifier.value == text.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", IncompleteReason.EMPTY),
        ("   ", IncompleteReason.EMPTY),
        ("1", IncompleteReason.PARTIAL_NUMBER),
        ("12345", IncompleteReason.PARTIAL_NUMBER),
        ("310299", IncompleteReason.PARTIAL_NUMBER),  # no 31 Feb, but may become e.g. a D-number
        ("410180", IncompleteReason.PARTIAL_NUMBER),  # D-number start, not a plain date
        ("018190", IncompleteReason.PARTIAL_NUMBER),  # Tenor start
        ("0101901", IncompleteReason.PARTIAL_NUMBER),
        ("01019022", IncompleteReason.PARTIAL_NUMBER),  # could be ddmmyyyy, but also a number
        ("0101902244", IncompleteReason.PARTIAL_NUMBER),
        ("010190 2", IncompleteReason.PARTIAL_NUMBER),
        ("01.", IncompleteReason.PARTIAL_DATE),
        ("1.2", IncompleteReason.PARTIAL_DATE),
        ("01.02.", IncompleteReason.PARTIAL_DATE),
        ("01.02.19", IncompleteReason.PARTIAL_DATE),  # on its way to 1950, not 2019
        ("29.02.", IncompleteReason.PARTIAL_DATE),
        ("3.1", IncompleteReason.PARTIAL_DATE),
        ("K", IncompleteReason.NAME_TOO_SHORT),
        ("Ø", IncompleteReason.NAME_TOO_SHORT),
        ("K-", IncompleteReason.NAME_TOO_SHORT),
    ],
)
def test_text_still_being_typed_is_incomplete(text: str, reason: IncompleteReason) -> None:
    result = classify_search(text, TODAY)
    assert result == IncompleteSearch(reason)
    assert result.kind is SearchKind.INCOMPLETE


def test_typing_a_fodselsnummer_digit_by_digit() -> None:
    kinds = [classify_search("01019022443"[:n], TODAY).kind for n in range(1, 12)]
    assert kinds == [SearchKind.INCOMPLETE] * 5 + [SearchKind.BIRTH_DATE] + [
        SearchKind.INCOMPLETE
    ] * 4 + [SearchKind.IDENTIFIER]


def test_typing_a_dotted_date_character_by_character_never_errors() -> None:
    text = "01.02.1950"
    results = [classify_search(text[:n], TODAY) for n in range(1, len(text) + 1)]
    assert all(isinstance(r, IncompleteSearch) for r in results[:-1])
    assert results[-1] == BirthDateSearch(date(1950, 2, 1))


@given(valid_identifiers())
def test_every_generated_identifier_not_in_the_future_is_an_identifier_search(
    expected: Expected,
) -> None:
    result: SearchQuery = classify_search(expected.value, date(2040, 1, 1))
    assert isinstance(result, IdentifierSearch)
    assert result.identifier.value == expected.value


@given(st.dates(date(1926, 6, 2), TODAY))
def test_six_digit_dates_within_the_last_hundred_years_resolve_to_themselves(born: date) -> None:
    text = born.strftime("%d%m%y")
    assert classify_search(text, TODAY) == BirthDateSearch(born)


@given(st.text(max_size=30))
def test_any_text_is_classified_without_an_exception(text: str) -> None:
    assert classify_search(text, TODAY).kind in set(SearchKind)
