"""The PIN a user picks at login for unlocking this phone while the session lasts.

It never leaves the phone and is never stored (session.py keeps a salted hash in memory), and the
lock screen allows five wrong tries; still, a PIN a colleague guesses at the first try is refused:
4 to 8 digits, not one digit repeated and not a straight run up or down ("1234", "9876").
"""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

MIN_DIGITS = 4
MAX_DIGITS = 8


class PinProblem(StrEnum):
    NOT_DIGITS = "not_digits"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    GUESSABLE = "guessable"  # one digit repeated, or a straight run
    MISMATCH = "mismatch"  # the second entry differs from the first


def pin_problem(pin: str, again: str | None = None) -> PinProblem | None:
    """What is wrong with ``pin`` as a session PIN (None: it will do); with ``again``, the second
    entry that must match it."""
    if not pin.isascii() or not pin.isdigit():
        return PinProblem.NOT_DIGITS if pin else PinProblem.TOO_SHORT
    if len(pin) < MIN_DIGITS:
        return PinProblem.TOO_SHORT
    if len(pin) > MAX_DIGITS:
        return PinProblem.TOO_LONG
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        return PinProblem.GUESSABLE
    if again is not None and again != pin:
        return PinProblem.MISMATCH
    return None
