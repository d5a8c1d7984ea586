"""Keystroke bursts: a scanner's fast keys plus Enter are a scan; a person's typing is not."""

from __future__ import annotations

from mobile_app.domain.scanner_burst import ScannerBurst


def feed(burst: ScannerBurst, keys: list[str], start: float = 10.0, gap: float = 0.005) -> str | None:
    result = None
    for index, key in enumerate(keys):
        result = burst.key(key, start + index * gap)
    return result


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    assert feed(ScannerBurst(), [*"04835012345", "Enter"]) == "04835012345"


def test_slow_typing_is_not_a_scan() -> None:
    assert feed(ScannerBurst(), [*"04835012345", "Enter"], gap=0.15) is None


def test_one_key_held_back_by_the_network_does_not_break_a_burst() -> None:
    burst = ScannerBurst()
    times = [10.0 + i * 0.004 for i in range(11)]
    times[6] += 0.12  # the connection held one key back
    result = None
    for key, at in zip([*"04835012345"], times, strict=True):
        result = burst.key(key, at)
    assert result is None
    assert burst.key("Enter", times[-1] + 0.004 + 0.12) == "04835012345"


def test_fast_human_typing_is_not_a_scan() -> None:
    assert feed(ScannerBurst(), [*"04835012345", "Enter"], gap=0.07) is None


def test_short_bursts_are_ignored() -> None:
    assert feed(ScannerBurst(), [*"1234", "Enter"]) is None


def test_a_pause_restarts_the_burst() -> None:
    burst = ScannerBurst()
    feed(burst, list("99"), start=1.0)
    assert feed(burst, [*"04835012345", "Enter"], start=5.0) == "04835012345"


def test_group_separator_keys_and_shift_are_handled() -> None:
    keys = ["]", "d", "2", "Shift", *"8018708000000000001280", "Enter"]
    assert feed(ScannerBurst(), keys) == "]d28018708000000000001280"
    assert feed(ScannerBurst(), [*"0107", "GroupSeparator", *"8018708000000000001280", "Enter"]) == \
        "0107\x1d8018708000000000001280"


def test_navigation_keys_break_a_burst() -> None:
    assert feed(ScannerBurst(), [*"048350", "Backspace", *"12345", "Enter"]) is None


def test_enter_alone_or_twice_gives_nothing() -> None:
    burst = ScannerBurst()
    assert feed(burst, ["Enter", "Enter"]) is None
