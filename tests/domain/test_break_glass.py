"""The break-the-glass reason counts visible characters only (domain/break_glass.py)."""

from __future__ import annotations

import pytest

from mobile_app.domain.break_glass import MAX_REASON_LENGTH, MIN_REASON_VISIBLE, check_reason, visible_length

INVISIBLE = ["\u200b", "\x00", "\ufeff", "\u200d", "\u2060", "\u00ad", "\u202e", "\u3000", "\u00a0", "\t",
             "\u0301", "\u3164", "\u2800", "\ue000", "\x7f"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_ten_invisible_characters_are_no_reason(char: str) -> None:
    check = check_reason(char * 10)
    assert check.visible == 0
    assert check.problem == "too_short"


def test_padding_a_short_reason_with_invisible_characters_does_not_help() -> None:
    reason = "akutt" + "".join(INVISIBLE) * 3
    assert visible_length(reason) == 5
    assert check_reason(reason).problem == "too_short"


def test_visible_letters_count_whatever_the_script() -> None:
    assert visible_length("Hjertestans på gangen") == 19  # spaces do not count, æøå do
    assert visible_length("心停止、至急対応") == 8
    assert visible_length("e\u0301") == 1  # a letter and its accent are one visible character
    assert check_reason("Akutt tilsyn").problem is None
    assert check_reason("a b c d e f g h i j").problem is None  # ten letters with spaces between


def test_the_rule_is_at_least_ten_visible_and_at_most_five_hundred_in_all() -> None:
    assert check_reason("x" * (MIN_REASON_VISIBLE - 1)).problem == "too_short"
    assert check_reason("x" * MIN_REASON_VISIBLE).problem is None
    assert check_reason("x" * MAX_REASON_LENGTH).problem is None
    too_long = check_reason("x" * (MAX_REASON_LENGTH + 1))
    assert too_long.problem == "too_long" and too_long.length == MAX_REASON_LENGTH + 1
