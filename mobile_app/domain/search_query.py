"""Patient search: decide what a clinician typed into the single search field.

:func:`classify_search` is called on every keystroke, so it is written for text that is still
being typed. What a user typing digit by digit sees:

==============================  ========================================================
typed so far                    classification
==============================  ========================================================
(nothing, spaces)               incomplete (EMPTY): show recent patients, no error
1-5 digits                      incomplete (PARTIAL_NUMBER): a number on its way
6 digits forming ddmmyy         birth-date search: the start of any fødselsnummer is the
                                birth date, so the list already narrows to that day
6 digits that are not a date    incomplete: may still become a D-, H- or FH-number
7-10 digits                     incomplete: keep the results shown, wait for the rest
11 digits                       identifier, validated here; an invalid one is rejected with
                                the identifier's reason before anything is sent
12 or more digits               invalid (TOO_MANY_DIGITS)
==============================  ========================================================

Spaces and one dash between digits are ignored ("010180 12345"). Dotted dates need a
four-digit year ("1.2.1950", "01.02.1950"); "01.02.19" is incomplete, not 2019, because the user
is most likely on the way to "01.02.1950". A six-digit ddmmyy gets the latest century that does
not put it in the future. Birth dates must lie between :data:`EARLIEST_BIRTH_YEAR` and today.

A name search is one or more words of letters (æøå and accented letters included) with inner
hyphens and apostrophes ("Berg-Hansen", "O'Brien"). Words may be separated by spaces or commas
("Hansen, Kari"); at least two letters are needed. Words come back stripped, in NFC form, with
typographic apostrophes and hyphens (U+2019 from a phone keyboard, U+2010) turned into ASCII ones.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from mobile_app.domain.identifiers import (
    IDENTIFIER_LENGTH,
    IdentifierError,
    PersonIdentifier,
    compact_digits,
    parse_person_identifier,
)

__all__ = [
    "EARLIEST_BIRTH_YEAR",
    "MIN_NAME_LETTERS",
    "BirthDateSearch",
    "IdentifierSearch",
    "IncompleteReason",
    "IncompleteSearch",
    "InvalidReason",
    "InvalidSearch",
    "NameSearch",
    "SearchKind",
    "SearchQuery",
    "classify_search",
]

EARLIEST_BIRTH_YEAR = 1854  # the oldest births a fødselsnummer can encode
MIN_NAME_LETTERS = 2

_DIGITS = frozenset("0123456789")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_PARTIAL_DOTTED_DATE = re.compile(r"(\d{1,2})(?:\.(?:(\d{1,2})(\.\d{0,3})?)?)?")
_WORD_SEPARATORS = re.compile(r"[\s,]+")
# Right and left single quotation marks, modifier apostrophe; hyphen, non-breaking hyphen.
_TYPOGRAPHIC = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"}
)
_INNER_PUNCTUATION = "-'"


class SearchKind(StrEnum):
    """What a search text turned out to be."""

    NAME = "name"
    IDENTIFIER = "identifier"
    BIRTH_DATE = "birth_date"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"


class IncompleteReason(StrEnum):
    """Why nothing is searched yet, though nothing is wrong either."""

    EMPTY = "empty"
    PARTIAL_NUMBER = "partial_number"  # digits that may still become an identifier
    PARTIAL_DATE = "partial_date"  # "01.02." or "01.02.19" on the way to a full date
    NAME_TOO_SHORT = "name_too_short"


class InvalidReason(StrEnum):
    """Why a search text can never be searched; keys for the UI's message catalogue."""

    INVALID_IDENTIFIER = "invalid_identifier"  # details in InvalidSearch.identifier_error
    TOO_MANY_DIGITS = "too_many_digits"
    NO_SUCH_DATE = "no_such_date"
    DATE_IN_FUTURE = "date_in_future"
    DATE_TOO_EARLY = "date_too_early"
    LETTERS_AND_DIGITS = "letters_and_digits"
    UNRECOGNISED = "unrecognised"


@dataclass(frozen=True)
class NameSearch:
    """Search by name: ``words`` are the normalised words, in the order typed."""

    kind: ClassVar[SearchKind] = SearchKind.NAME
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(self.words)


@dataclass(frozen=True)
class IdentifierSearch:
    """Search by a validated person identifier."""

    kind: ClassVar[SearchKind] = SearchKind.IDENTIFIER
    identifier: PersonIdentifier


@dataclass(frozen=True)
class BirthDateSearch:
    """Search by birth date."""

    kind: ClassVar[SearchKind] = SearchKind.BIRTH_DATE
    birth_date: date


@dataclass(frozen=True)
class IncompleteSearch:
    """Not searchable yet; the user is probably still typing."""

    kind: ClassVar[SearchKind] = SearchKind.INCOMPLETE
    reason: IncompleteReason


@dataclass(frozen=True)
class InvalidSearch:
    """Not searchable. ``identifier_error`` is set for ``INVALID_IDENTIFIER``."""

    kind: ClassVar[SearchKind] = SearchKind.INVALID
    reason: InvalidReason
    identifier_error: IdentifierError | None = None


SearchQuery = NameSearch | IdentifierSearch | BirthDateSearch | IncompleteSearch | InvalidSearch


def classify_search(text: str, today: date) -> SearchQuery:
    """Classify the search field's text; ``today`` bounds birth dates (pass the local date)."""
    stripped = unicodedata.normalize("NFC", text).strip()
    if not stripped:
        return IncompleteSearch(IncompleteReason.EMPTY)
    has_digit = any(char in _DIGITS for char in stripped)
    has_letter = any(char.isalpha() for char in stripped)
    if has_digit and has_letter:
        return InvalidSearch(InvalidReason.LETTERS_AND_DIGITS)
    if has_digit:
        if "." in stripped:
            return _classify_dotted_date(stripped, today)
        return _classify_digits(stripped, today)
    if has_letter:
        return _classify_name(stripped)
    return InvalidSearch(InvalidReason.UNRECOGNISED)


def _classify_digits(stripped: str, today: date) -> SearchQuery:
    digits = compact_digits(stripped)
    if digits is None:
        return InvalidSearch(InvalidReason.UNRECOGNISED)
    if len(digits) == IDENTIFIER_LENGTH:
        parsed = parse_person_identifier(digits, today=today)
        if isinstance(parsed, IdentifierError):
            return InvalidSearch(InvalidReason.INVALID_IDENTIFIER, identifier_error=parsed)
        return IdentifierSearch(parsed)
    if len(digits) > IDENTIFIER_LENGTH:
        return InvalidSearch(InvalidReason.TOO_MANY_DIGITS)
    if len(digits) == 6:
        born = _six_digit_date(digits, today)
        if born is not None:
            return BirthDateSearch(born)
    return IncompleteSearch(IncompleteReason.PARTIAL_NUMBER)


def _six_digit_date(digits: str, today: date) -> date | None:
    """ddmmyy in the latest century that does not put it after ``today``, or ``None``."""
    day, month, two_digit_year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    century = today.year // 100 * 100
    for year in (century + two_digit_year, century - 100 + two_digit_year):
        try:
            born = date(year, month, day)
        except ValueError:
            continue
        if born <= today:
            return born
    return None


def _classify_dotted_date(stripped: str, today: date) -> SearchQuery:
    compact = "".join(char for char in stripped if not char.isspace())
    match = _DOTTED_DATE.fullmatch(compact)
    if match is None:
        partial = _PARTIAL_DOTTED_DATE.fullmatch(compact)
        if partial is None:
            return InvalidSearch(InvalidReason.UNRECOGNISED)
        if _partial_date_impossible(*partial.groups()):
            return InvalidSearch(InvalidReason.NO_SUCH_DATE)
        return IncompleteSearch(IncompleteReason.PARTIAL_DATE)
    day, month, year = (int(part) for part in match.groups())
    try:
        born = date(year, month, day)
    except ValueError:
        return InvalidSearch(InvalidReason.NO_SUCH_DATE)
    if born > today:
        return InvalidSearch(InvalidReason.DATE_IN_FUTURE)
    if year < EARLIEST_BIRTH_YEAR:
        return InvalidSearch(InvalidReason.DATE_TOO_EARLY)
    return BirthDateSearch(born)


def _partial_date_impossible(day: str, month: str | None, year: str | None) -> bool:
    """True if no year typed after this "dd.mm." start can make a real date.

    A part counts once it has two digits or the dot after it has been typed ("3" may become
    "31", "3." may not).
    """
    if (len(day) == 2 or month is not None) and not 1 <= int(day) <= 31:
        return True
    if month is None or (len(month) < 2 and year is None):
        return False
    try:
        date(2000, int(month), int(day))  # a leap year, so 29.02 passes
    except ValueError:
        return True
    return False


def _classify_name(stripped: str) -> SearchQuery:
    words: list[str] = []
    for raw_word in _WORD_SEPARATORS.split(stripped.translate(_TYPOGRAPHIC)):
        # A hyphen or apostrophe at either end is a word being typed ("Berg-"): search without it.
        word = raw_word.strip(_INNER_PUNCTUATION)
        if not word:
            continue
        if not all(_is_name_character(char) for char in word):
            return InvalidSearch(InvalidReason.UNRECOGNISED)
        words.append(word)
    letters = sum(char.isalpha() for word in words for char in word)
    if letters < MIN_NAME_LETTERS:
        return IncompleteSearch(IncompleteReason.NAME_TOO_SHORT)
    return NameSearch(tuple(words))


def _is_name_character(char: str) -> bool:
    # Combining marks stay legal for letters NFC cannot compose into one character.
    return char.isalpha() or char in _INNER_PUNCTUATION or unicodedata.category(char) == "Mn"
