"""Telling a hardware scanner from a person: a burst of keystrokes ending in Enter is a scan.

Role phones' built-in scanners type the wristband's payload as keystrokes (keyboard wedge) far
faster than anyone types. ``ScannerBurst`` collects characters with their times and, on Enter,
returns the text when it came fast enough and long enough to be a scan. Pure logic: the caller
passes the time of each key, so it is tested without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Scanners send a key every few ms; people rarely average under 80 ms a key. The keys reach the
# app over a network connection that can hold one back for a moment, so a single long gap is
# forgiven and the burst is judged by its average pace.
MAX_AVERAGE_SECONDS = 0.04
MAX_GAP_SECONDS = 0.3  # a pause this long ends whatever came before
MIN_LENGTH = 8  # the shortest payload worth looking up (identifiers are 11, GSRN 18 digits)

# Keys a wedge scanner may send besides printable characters, and what they stand for.
_SPECIAL = {"GroupSeparator": "\x1d", "F8": "\x1d"}
_ENTER = {"Enter", "NumpadEnter", "\r", "\n"}


@dataclass
class ScannerBurst:
    max_average: float = MAX_AVERAGE_SECONDS
    max_gap: float = MAX_GAP_SECONDS
    min_length: int = MIN_LENGTH
    _chars: list[str] = field(default_factory=list)
    _first: float | None = None
    _last: float | None = None

    def key(self, key: str, at: float) -> str | None:
        """Feed one key (its name as the UI reports it) at time ``at`` in seconds.

        Returns the scanned text when this key (Enter) completes a burst, else None.
        """
        if self._last is not None and at - self._last > self.max_gap:
            self.reset()  # a pause: whatever came before was typed by a person
        if key in _ENTER:
            text = "".join(self._chars)
            fast = self._first is not None and (at - self._first) / max(len(text), 1) <= self.max_average
            self.reset()
            return text if len(text) >= self.min_length and fast else None
        char = _SPECIAL.get(key, key)
        if len(char) == 1:
            if not self._chars:
                self._first = at
            self._chars.append(char)
            self._last = at
        elif key not in ("Shift", "Shift Left", "Shift Right", "Control", "Alt"):
            self.reset()  # arrows, Backspace, ...: not a scanner
        return None

    def reset(self) -> None:
        self._chars.clear()
        self._first = None
        self._last = None
