"""The break-the-glass reason: how long it must be, counted in characters a reader can see.

A reason of ten zero-width spaces, NULs or byte-order marks is no reason: only visible characters
count. Spaces, controls, format characters (zero-width spaces and joiners, the BOM, bidi marks),
combining marks and letters that are drawn blank are left out. The mock EPJ applies the same rule
on its side (mock_epj/access.py); the app and the mock never import each other.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MIN_REASON_VISIBLE = 10  # visible characters
MAX_REASON_LENGTH = 500  # characters in all; a longer reason is refused with its count, never cut

# Unicode categories that show nothing by themselves: C* (controls, format characters, surrogates,
# private use, unassigned), Z* (spaces and separators) and M* (combining marks, which only decorate
# the character before them).
_INVISIBLE_CATEGORIES = ("C", "Z", "M")
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, the blank Braille pattern


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader can see."""
    return sum(1 for char in text
               if not unicodedata.category(char).startswith(_INVISIBLE_CATEGORIES) and char not in _BLANKS)


@dataclass(frozen=True)
class ReasonCheck:
    """A reason's verdict: ``problem`` is None (it may be sent), "too_short" or "too_long"."""

    visible: int
    length: int
    problem: str | None


def check_reason(text: str) -> ReasonCheck:
    """Whether a break-the-glass reason (already stripped or not) may be sent."""
    reason = text.strip()
    visible = visible_length(reason)
    problem = None
    if len(reason) > MAX_REASON_LENGTH:
        problem = "too_long"
    elif visible < MIN_REASON_VISIBLE:
        problem = "too_short"
    return ReasonCheck(visible, len(reason), problem)
