"""The session PIN's rules (mobile_app/domain/session_pin.py)."""

from __future__ import annotations

import pytest

from mobile_app.domain.session_pin import PinProblem, pin_problem


@pytest.mark.parametrize("pin", ["2580", "1357", "13579246", "0451", "1123", "9870"])
def test_a_pin_that_is_hard_to_guess_will_do(pin: str) -> None:
    assert pin_problem(pin) is None
    assert pin_problem(pin, pin) is None


@pytest.mark.parametrize(("pin", "problem"), [
    ("", PinProblem.TOO_SHORT), ("258", PinProblem.TOO_SHORT), ("258013579", PinProblem.TOO_LONG),
    ("25a0", PinProblem.NOT_DIGITS), ("2 58", PinProblem.NOT_DIGITS),
    ("\uff12\uff15\uff18\uff10", PinProblem.NOT_DIGITS),
    ("٢٥٨٠", PinProblem.NOT_DIGITS), ("0000", PinProblem.GUESSABLE), ("777777", PinProblem.GUESSABLE),
    ("1234", PinProblem.GUESSABLE), ("3456789", PinProblem.GUESSABLE), ("4321", PinProblem.GUESSABLE),
])
def test_a_pin_that_will_not_do_says_why(pin: str, problem: PinProblem) -> None:
    assert pin_problem(pin) is problem


def test_the_second_entry_must_match() -> None:
    assert pin_problem("2580", "2581") is PinProblem.MISMATCH
    assert pin_problem("1111", "2581") is PinProblem.GUESSABLE  # the PIN's own problem first
