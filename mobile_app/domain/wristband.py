"""Patient wristband payloads: what a scanner or camera decoder returns, turned into an identifier.

A wristband code holds either a bare person identifier (fødselsnummer or a help number, as
printed on the band, possibly with a space or dash), or GS1 element strings with the patient's
GSRN under application identifier (AI) 8018. GS1 payloads come in two shapes:

- raw element strings as a scanner sends them, optionally after a symbology identifier such as
  ``]d2`` (GS1 DataMatrix), ``]C1`` (GS1-128) or ``]Q3`` (GS1 QR), with the group separator
  (ASCII 29, FNC1) ending each variable-length field. Keyboard-wedge scanners that cannot type
  ASCII 29 are often set to send ``<GS>`` or a literal ``\\x1d`` instead; both are accepted.
- the bracketed human-readable form ``(8018)708000123456789017(01)...``.

Fields of the predefined fixed lengths (00, 01, 11-17, 20, 31xx-36xx, 41x, ...) are skipped by
length; other fields end at a group separator or the end of the payload. A GSRN is not a person
identifier: it must be resolved to a patient through the record. Rejections carry a reason and
the raw payload; :attr:`WristbandError.raw_visible` shows control characters for a message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.domain.identifiers import (
    IDENTIFIER_LENGTH,
    IdentifierError,
    PersonIdentifier,
    RejectionReason,
    compact_digits,
    parse_person_identifier,
)

__all__ = [
    "GROUP_SEPARATOR",
    "GSRN_AI",
    "GSRN_SYSTEM",
    "MAX_PAYLOAD_LENGTH",
    "Gsrn",
    "PayloadKind",
    "WristbandError",
    "WristbandPayload",
    "WristbandReason",
    "gs1_check_digit",
    "parse_wristband",
    "visible_text",
]

GSRN_SYSTEM = "https://www.gs1.org/gsrn"
GSRN_AI = "8018"
GSRN_LENGTH = 18
GROUP_SEPARATOR = "\x1d"
# A wristband payload is a few dozen characters; anything far longer is not one, and is not
# worth parsing (or echoing in full) at all.
MAX_PAYLOAD_LENGTH = 512

# Spellings of the group separator emitted by readers that cannot send ASCII 29 itself.
_GS_SPELLINGS = re.compile(r"<gs>|\\x1d|\\u001d", re.IGNORECASE)
# Symbology identifiers (ISO/IEC 15424): "]" + code letter + modifier character.
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# The ones that announce GS1 element strings: DataMatrix, GS1-128, QR, DataBar, composite.
_GS1_SYMBOLOGIES = frozenset({"]d2", "]C1", "]Q3", "]e0", "]e1", "]e2"})
_BRACKETED_ELEMENT = re.compile(r"\((\d{2,4})\)([^()]*)")

# Length of the AI itself, by its first two digits (GS1 General Specifications).
_AI_LENGTH: dict[str, int] = {
    **dict.fromkeys(("00", "01", "02", "03", "04"), 2),
    **{f"{n:02d}": 2 for n in range(10, 23)},
    "30": 2,
    "37": 2,
    **{f"{n:02d}": 2 for n in range(90, 100)},
    **dict.fromkeys(("23", "24", "25", "40", "41", "42"), 3),
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "39", "43"), 4),
    **dict.fromkeys(("70", "71", "72", "80", "81", "82"), 4),
}
# Data length of the AIs with a predefined fixed length, by the AI's first two digits: these are
# never followed by a group separator, so they must be skipped by length.
_PREDEFINED_DATA_LENGTH: dict[str, int] = {
    "00": 18,
    "01": 14,
    "02": 14,
    "03": 14,
    "04": 16,
    **{f"{n}": 6 for n in range(11, 20)},
    "20": 2,
    **{f"{n}": 6 for n in range(31, 37)},
    "41": 13,
}

_CONTROL_NAMES = {
    GROUP_SEPARATOR: "<GS>",
    "\x1e": "<RS>",
    "\x04": "<EOT>",
    "\r": "<CR>",
    "\n": "<LF>",
    "\t": "<TAB>",
}


class PayloadKind(StrEnum):
    """What a recognised wristband payload identifies the patient by."""

    PERSON_IDENTIFIER = "person_identifier"
    GSRN = "gsrn"


class WristbandReason(StrEnum):
    """Why a payload gave no patient; keys for the UI's message catalogue.

    A bare 11-digit payload that fails as a person identifier is reported with the identifier's
    own :class:`~mobile_app.domain.identifiers.RejectionReason` instead.
    """

    EMPTY = "empty"
    TOO_LONG = "too_long"
    UNRECOGNISED = "unrecognised"  # neither an identifier nor GS1 element strings
    GS1_MALFORMED = "gs1_malformed"  # announced or shaped as GS1, but not parseable
    GS1_WITHOUT_GSRN = "gs1_without_gsrn"  # valid GS1 (e.g. a medicine pack), no AI 8018
    GSRN_WRONG_LENGTH = "gsrn_wrong_length"
    GSRN_CHECK_DIGIT = "gsrn_check_digit"


@dataclass(frozen=True)
class Gsrn:
    """A GS1 Global Service Relation Number (18 digits, last one a GS1 mod-10 check digit)."""

    value: str

    @property
    def system(self) -> str:
        """The FHIR identifier system for GSRNs."""
        return GSRN_SYSTEM

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class WristbandPayload:
    """A recognised payload: the identifier it carries and the raw text it came from.

    ``gs1_elements`` lists every (AI, value) pair of a GS1 payload in order; empty otherwise.
    """

    identifier: PersonIdentifier | Gsrn
    raw: str
    gs1_elements: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> PayloadKind:
        if isinstance(self.identifier, Gsrn):
            return PayloadKind.GSRN
        return PayloadKind.PERSON_IDENTIFIER


@dataclass(frozen=True)
class WristbandError:
    """A payload that gave no patient.

    ``identifier_error`` is set when the reason came from the person-identifier check.
    ``expected`` / ``found`` as strings: for ``GSRN_CHECK_DIGIT`` the digits, for
    ``GSRN_WRONG_LENGTH`` and ``TOO_LONG`` the lengths, for ``GS1_MALFORMED`` ``found`` is the
    part that could not be read.
    """

    reason: WristbandReason | RejectionReason
    raw: str
    identifier_error: IdentifierError | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def raw_visible(self) -> str:
        """The raw payload with control characters spelled out and long text shortened."""
        return visible_text(self.raw)


def visible_text(text: str, limit: int = 80) -> str:
    """``text`` with control characters shown as ``<GS>``, ``<CR>``, ``<U+0007>`` ...

    Output longer than ``limit`` characters is cut and ends with an ellipsis.
    """
    parts: list[str] = []
    for char in text:
        if char in _CONTROL_NAMES:
            parts.append(_CONTROL_NAMES[char])
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            parts.append(f"<U+{ord(char):04X}>")
        else:
            parts.append(char)
    shown = "".join(parts)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def gs1_check_digit(data: str) -> int:
    """The GS1 mod-10 check digit for ``data`` (all digits of the key except the check digit).

    Weights 3, 1, 3, ... from the rightmost data digit. Raises ``ValueError`` on non-digits.
    """
    if not data.isascii() or not data.isdigit():
        raise ValueError(f"expected digits, got {data!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def parse_wristband(raw: str) -> WristbandPayload | WristbandError:
    """Read a scanned wristband payload.

    Surrounding whitespace (a keyboard-wedge scanner's Enter) is ignored. A leading symbology
    identifier is dropped; a GS1 one (``]d2``, ``]C1``, ``]Q3`` ...) means the rest must be GS1
    element strings, a non-GS1 one (``]C0``, ``]d1`` ...) that it must be a bare identifier.
    """
    if len(raw) > MAX_PAYLOAD_LENGTH:
        return WristbandError(
            WristbandReason.TOO_LONG, raw, expected=str(MAX_PAYLOAD_LENGTH), found=str(len(raw))
        )
    text = _GS_SPELLINGS.sub(GROUP_SEPARATOR, raw).strip()
    symbology = _SYMBOLOGY.match(text)
    announced_gs1: bool | None = None  # None: no symbology identifier, decide by shape
    if symbology is not None:
        announced_gs1 = symbology.group() in _GS1_SYMBOLOGIES
        text = text[symbology.end() :]
    # A leading group separator is FNC1 in first position, sent by some readers.
    text = text.strip().lstrip(GROUP_SEPARATOR)
    if not text:
        return WristbandError(WristbandReason.EMPTY, raw)

    if text.startswith("("):
        return _from_elements(_bracketed_elements(text), raw, declared_gs1=True)

    bare = compact_digits(text)
    if announced_gs1 is not True and bare is not None and len(bare) == IDENTIFIER_LENGTH:
        return _from_identifier(text, raw)
    if announced_gs1 is False:
        return WristbandError(WristbandReason.UNRECOGNISED, raw)
    # Plain text with neither a GS1 symbology identifier nor a separator may be any other code
    # (an EAN, a URL): only a GSRN found in it makes it ours.
    declared_gs1 = announced_gs1 is True or GROUP_SEPARATOR in text
    if not declared_gs1 and not text[:1].isdigit():
        return WristbandError(WristbandReason.UNRECOGNISED, raw)
    if not all((char.isascii() and char.isprintable()) or char == GROUP_SEPARATOR for char in text):
        reason = WristbandReason.GS1_MALFORMED if declared_gs1 else WristbandReason.UNRECOGNISED
        return WristbandError(reason, raw)
    return _from_elements(_raw_elements(text), raw, declared_gs1=declared_gs1)


def _from_identifier(text: str, raw: str) -> WristbandPayload | WristbandError:
    parsed = parse_person_identifier(text)
    if isinstance(parsed, IdentifierError):
        return WristbandError(parsed.reason, raw, identifier_error=parsed)
    return WristbandPayload(parsed, raw)


@dataclass(frozen=True)
class _Unreadable:
    """Where GS1 parsing stopped: the rest of the payload from that point."""

    rest: str


def _from_elements(
    elements: list[tuple[str, str]] | _Unreadable,
    raw: str,
    *,
    declared_gs1: bool,
) -> WristbandPayload | WristbandError:
    """The GSRN among ``elements``, or why there is none.

    ``declared_gs1`` says whether the payload announced itself as GS1; if not, a payload that
    cannot be read as GS1 or has no GSRN is simply unrecognised.
    """
    if isinstance(elements, _Unreadable):
        after_ai = elements.rest[len(GSRN_AI) :].split(GROUP_SEPARATOR)[0]
        if elements.rest.startswith(GSRN_AI) and all(char in "0123456789" for char in after_ai):
            reason = WristbandReason.GSRN_WRONG_LENGTH  # too few digits before GS or the end
        elif declared_gs1:
            reason = WristbandReason.GS1_MALFORMED
        else:
            reason = WristbandReason.UNRECOGNISED
        return WristbandError(reason, raw, found=visible_text(elements.rest, limit=40))
    gsrn = next((value for ai, value in elements if ai == GSRN_AI), None)
    if gsrn is None:
        if declared_gs1:
            return WristbandError(WristbandReason.GS1_WITHOUT_GSRN, raw)
        return WristbandError(WristbandReason.UNRECOGNISED, raw)
    if not (gsrn.isascii() and gsrn.isdigit()):
        return WristbandError(WristbandReason.GS1_MALFORMED, raw, found=visible_text(gsrn, 40))
    if len(gsrn) != GSRN_LENGTH:
        return WristbandError(
            WristbandReason.GSRN_WRONG_LENGTH, raw, expected=str(GSRN_LENGTH), found=str(len(gsrn))
        )
    expected = gs1_check_digit(gsrn[:-1])
    if int(gsrn[-1]) != expected:
        return WristbandError(
            WristbandReason.GSRN_CHECK_DIGIT, raw, expected=str(expected), found=gsrn[-1]
        )
    return WristbandPayload(Gsrn(gsrn), raw, gs1_elements=tuple(elements))


def _raw_elements(text: str) -> list[tuple[str, str]] | _Unreadable:
    """Split raw element strings (AIs, values and group separators) into (AI, value) pairs."""
    elements: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text[i] == GROUP_SEPARATOR:
            i += 1
            continue
        ai_length = _AI_LENGTH.get(text[i : i + 2])
        ai = text[i : i + ai_length] if ai_length else ""
        if not ai_length or len(ai) != ai_length or GROUP_SEPARATOR in ai:
            return _Unreadable(text[i:])
        start = i + ai_length
        next_separator = text.find(GROUP_SEPARATOR, start)
        field_end = len(text) if next_separator == -1 else next_separator
        fixed = _PREDEFINED_DATA_LENGTH.get(ai[:2])
        if ai == GSRN_AI:
            # Fixed length, but not predefined: encoders should end it with a separator when
            # more follows, yet some do not. Take up to 18 digits either way.
            end = min(field_end, start + GSRN_LENGTH)
            if end - start != GSRN_LENGTH:
                return _Unreadable(text[i:])
        elif fixed is not None:
            end = start + fixed
            if end > field_end:
                return _Unreadable(text[i:])
        else:
            end = field_end
        elements.append((ai, text[start:end]))
        i = end
    return elements


def _bracketed_elements(text: str) -> list[tuple[str, str]] | _Unreadable:
    """Split ``(AI)value(AI)value...`` into (AI, value) pairs; the parts must cover the text."""
    elements: list[tuple[str, str]] = []
    position = 0
    for match in _BRACKETED_ELEMENT.finditer(text):
        if match.start() != position:
            break
        value = match.group(2).strip(" " + GROUP_SEPARATOR)
        elements.append((match.group(1), value))
        position = match.end()
    if position != len(text) or not elements:
        return _Unreadable(text[position:] or text)
    return elements
