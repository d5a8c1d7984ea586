"""What a scanned image says about the patient: every code on it, the one to use, and whether they agree.

A wristband may carry several codes (typically a Code 128 of the fødselsnummer and a GS1
DataMatrix of the GSRN), and a photo may also catch codes that are not the band's (a medicine
pack). :func:`scan_outcome` reads them all with
:func:`~mobile_app.domain.wristband.parse_wristband` and decides, never guessing:

- no barcode at all: ``NO_BARCODE``;
- two valid codes of the same identifier system with different values: ``CONFLICT``;
- a valid code beside one that looks like a wristband code but is invalid (a wrong check digit, a
  GSRN of the wrong length): ``CONFLICT`` too, since one of the band's codes is wrong and nothing
  says which;
- otherwise a valid code is chosen, a GSRN before a person identifier (national guidance makes the
  GSRN the wristband's identifier); codes that are not ours (unrecognised, GS1 without AI 8018)
  are ignored;
- codes found but none valid: ``INVALID``, with the most telling error.

A GSRN and a fødselsnummer cannot be compared without the record; :meth:`ScanOutcome.resolve`
takes the record's answers for every identifier read and accepts only when all of them name the
same single patient.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image

from mobile_app.domain.identifiers import RejectionReason
from mobile_app.domain.wristband import (
    PayloadKind,
    WristbandError,
    WristbandPayload,
    WristbandReason,
    parse_wristband,
)
from mobile_app.scanning.decoder import (
    BarcodeDecoder,
    DecodedBarcode,
    ScanningError,
    decode_bytes,
    default_decoder,
)

__all__ = [
    "CodesDisagree",
    "ReadCode",
    "Resolution",
    "ScanOutcome",
    "ScanProblem",
    "ScannedIdentifier",
    "scan_bytes",
    "scan_image",
    "scan_outcome",
    "wristband_texts",
]

# Rejections that only a wristband code can earn: the payload had the shape of one of ours.
_GSRN_REASONS = frozenset({WristbandReason.GSRN_CHECK_DIGIT, WristbandReason.GSRN_WRONG_LENGTH})


class ScanProblem(StrEnum):
    """Why a scan gave no patient; keys for the UI's message catalogue."""

    NO_BARCODE = "no_barcode"  # nothing decoded in the image
    INVALID = "invalid"  # codes decoded, none holds a valid identifier
    CONFLICT = "conflict"  # the codes disagree (on the band, or in the record)
    NOT_FOUND = "not_found"  # an identifier read is not in the record
    AMBIGUOUS = "ambiguous"  # an identifier read belongs to several patients


@dataclass(frozen=True)
class ScannedIdentifier:
    """A valid identifier read from a code: FHIR system (None for a local H-number) and value."""

    system: str | None
    value: str
    kind: PayloadKind


@dataclass(frozen=True)
class ReadCode:
    """One decoded barcode and what :func:`parse_wristband` made of it."""

    barcode: DecodedBarcode
    parsed: WristbandPayload | WristbandError

    @property
    def valid(self) -> bool:
        return isinstance(self.parsed, WristbandPayload)

    @property
    def payload(self) -> WristbandPayload | None:
        return self.parsed if isinstance(self.parsed, WristbandPayload) else None

    @property
    def error(self) -> WristbandError | None:
        return self.parsed if isinstance(self.parsed, WristbandError) else None

    @property
    def kind(self) -> PayloadKind | None:
        """What the code identifies by, for valid codes and invalid ones of a wristband's shape."""
        if isinstance(self.parsed, WristbandPayload):
            return self.parsed.kind
        if isinstance(self.parsed.reason, RejectionReason):
            return PayloadKind.PERSON_IDENTIFIER  # eleven digits that fail as a person identifier
        return PayloadKind.GSRN if self.parsed.reason in _GSRN_REASONS else None

    @property
    def ours(self) -> bool:
        """True if this looks like a wristband code, valid or not."""
        return self.kind is not None

    @property
    def identifier(self) -> ScannedIdentifier | None:
        payload = self.payload
        if payload is None:
            return None
        return ScannedIdentifier(payload.identifier.system, payload.identifier.value, payload.kind)


@dataclass(frozen=True)
class Resolution:
    """The record's verdict on a scan: one patient id, or the problem and the identifier concerned."""

    patient: str | None
    problem: ScanProblem | None = None
    identifier: ScannedIdentifier | None = None


@dataclass(frozen=True)
class ScanOutcome:
    """Every code read from one image, the one that counts, and the problem if there is one.

    ``code`` is the code the outcome is about: the chosen valid code; for ``CONFLICT`` the first
    of the two that disagree (``conflict`` holds both); for ``INVALID`` the most telling invalid
    code; ``None`` for ``NO_BARCODE``.
    """

    codes: tuple[ReadCode, ...]
    code: ReadCode | None
    problem: ScanProblem | None
    conflict: tuple[ReadCode, ReadCode] | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def payload(self) -> WristbandPayload | None:
        """The chosen payload; ``None`` unless the outcome is valid."""
        return self.code.payload if self.valid and self.code is not None else None

    @property
    def format(self) -> str | None:
        """The format of ``code`` ("Code128", "DataMatrix", "QRCode"), if there is one."""
        return self.code.barcode.format if self.code is not None else None

    @property
    def raw(self) -> str | None:
        """The raw payload of ``code``, as a hardware scanner would type it."""
        return self.code.barcode.text if self.code is not None else None

    @property
    def error(self) -> WristbandError | None:
        """Why ``code`` is not a valid identifier (for ``INVALID``, and the broken side of a conflict)."""
        if self.conflict is not None:
            return next((code.error for code in self.conflict if code.error is not None), None)
        return self.code.error if self.code is not None else None

    @property
    def identifiers(self) -> tuple[ScannedIdentifier, ...]:
        """Each distinct valid identifier read, in reading order."""
        seen: dict[ScannedIdentifier, None] = {}
        for code in self.codes:
            if code.identifier is not None:
                seen.setdefault(code.identifier)
        return tuple(seen)

    def resolve(self, lookup: Callable[[str | None, str], Collection[str]]) -> Resolution:
        """Check every identifier read against the record and accept only one common patient.

        ``lookup(system, value)`` returns the ids of the patients holding that identifier (the
        caller asks the EPJ beforehand when that is asynchronous). An identifier found nowhere,
        or on several patients, or codes naming different patients, give no patient.
        """
        if not self.valid:
            return Resolution(None, self.problem)
        patient: str | None = None
        for identifier in self.identifiers:
            owners = set(lookup(identifier.system, identifier.value))
            if not owners:
                return Resolution(None, ScanProblem.NOT_FOUND, identifier)
            if len(owners) > 1:
                return Resolution(None, ScanProblem.AMBIGUOUS, identifier)
            (owner,) = owners
            if patient is not None and owner != patient:
                return Resolution(None, ScanProblem.CONFLICT, identifier)
            patient = owner
        return Resolution(patient)


class CodesDisagree(ScanningError, ValueError):
    """The codes on one wristband name different identifiers, or one of them is invalid."""


def scan_outcome(barcodes: Sequence[DecodedBarcode]) -> ScanOutcome:
    """Parse every decoded barcode and decide which one counts (see the module docstring)."""
    codes = tuple(ReadCode(barcode, parse_wristband(barcode.text)) for barcode in barcodes)
    if not codes:
        return ScanOutcome((), None, ScanProblem.NO_BARCODE)
    valid = [code for code in codes if code.valid]
    if not valid:
        telling = next((code for code in codes if code.ours), codes[0])
        return ScanOutcome(codes, telling, ScanProblem.INVALID)
    by_system: dict[str | None, ReadCode] = {}
    for code in valid:
        assert code.identifier is not None
        first = by_system.setdefault(code.identifier.system, code)
        if first.identifier != code.identifier:
            return ScanOutcome(codes, first, ScanProblem.CONFLICT, (first, code))
    broken = next((code for code in codes if code.ours and not code.valid), None)
    if broken is not None:
        return ScanOutcome(codes, valid[0], ScanProblem.CONFLICT, (valid[0], broken))
    chosen = next((code for code in valid if code.kind is PayloadKind.GSRN), valid[0])
    return ScanOutcome(codes, chosen, None)


def scan_image(image: Image.Image, decoder: BarcodeDecoder | None = None) -> ScanOutcome:
    """Decode and judge the barcodes in a Pillow image."""
    return scan_outcome((decoder or default_decoder()).decode(image))


def scan_bytes(data: bytes, decoder: BarcodeDecoder | None = None) -> ScanOutcome:
    """Decode and judge the barcodes in an encoded image; raises ``UnreadableImage`` for bad data."""
    return scan_outcome(decode_bytes(data, decoder))


def wristband_texts(data: bytes, decoder: BarcodeDecoder | None = None) -> list[str]:
    """The raw payloads in an encoded image, the one to use first: an ``ImageDecoder`` for screens.

    Raises ``UnreadableImage`` (a ``ValueError``) for data that is not an image, and
    :class:`CodesDisagree` (also a ``ValueError``) when the band's codes disagree, so that a caller
    that looks up the first payload can never pick one side of a conflict.
    """
    outcome = scan_bytes(data, decoder)
    if outcome.problem is ScanProblem.CONFLICT and outcome.conflict is not None:
        first, second = outcome.conflict
        raise CodesDisagree(
            f"the wristband's codes disagree: {first.barcode.format} and {second.barcode.format}")
    ordered = [outcome.code] if outcome.code is not None else []
    ordered += [code for code in outcome.codes if code is not outcome.code]
    return [code.barcode.text for code in ordered]
