"""``python -m mobile_app.scan IMAGE...``: read wristband barcodes from image files, one JSON line each.

Each line is ``{"file", "format", "text", "kind", "identifier", "system", "valid", "error"}``:
``text`` is the raw payload with control characters spelled out (``<GS>``), ``kind`` is
"person_identifier", "gsrn" or "unknown", ``system`` the FHIR identifier system, ``error`` an
English reason or null. A folder stands for the PNG and JPEG files in it. The exit status is 0 when
every image gave a valid identifier, 1 otherwise, 2 for bad usage.

Only the codes themselves are checked: whether a band's fødselsnummer and GSRN belong to the same
patient needs the record (see ``ScanOutcome.resolve``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mobile_app.domain.identifiers import IdentifierError, RejectionReason
from mobile_app.domain.wristband import WristbandError, WristbandReason, visible_text
from mobile_app.scanning import (
    BarcodeDecoder,
    ReadCode,
    ScanningError,
    ScanOutcome,
    ScanProblem,
    default_decoder,
    scan_bytes,
)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

_IDENTIFIER_REASONS = {
    RejectionReason.EMPTY: "it is empty",
    RejectionReason.NOT_DIGITS: "it holds a character that is not a digit",
    RejectionReason.WRONG_LENGTH: "it does not have 11 digits",
    RejectionReason.CHECK_DIGIT_1: "the first check digit (digit 10) is wrong",
    RejectionReason.CHECK_DIGIT_2: "the second check digit (digit 11) is wrong",
    RejectionReason.INDIVIDUAL_NUMBER_OUT_OF_RANGE: "its individual number fits no birth century",
    RejectionReason.NO_SUCH_DATE: "its birth date does not exist",
    RejectionReason.BIRTH_DATE_IN_FUTURE: "its birth date is in the future",
}
_WRISTBAND_REASONS = {
    WristbandReason.EMPTY: "the code is empty",
    WristbandReason.TOO_LONG: "the code is far too long for a wristband",
    WristbandReason.UNRECOGNISED: "the code holds neither a person number nor a GSRN",
    WristbandReason.GS1_MALFORMED: "the GS1 code cannot be read",
    WristbandReason.GS1_WITHOUT_GSRN: "the GS1 code has no GSRN (AI 8018): not a wristband",
    WristbandReason.GSRN_WRONG_LENGTH: "the GSRN does not have 18 digits",
    WristbandReason.GSRN_CHECK_DIGIT: "the GSRN's check digit is wrong",
}


def describe_error(error: WristbandError) -> str:
    """One English sentence for a rejected payload."""
    if isinstance(error.reason, RejectionReason):
        detail = _identifier_detail(error.identifier_error)
        return f"not a valid person number: {_IDENTIFIER_REASONS[error.reason]}{detail}"
    text = _WRISTBAND_REASONS[error.reason]
    if error.reason is WristbandReason.GSRN_CHECK_DIGIT:
        text += f" (found {error.found}, expected {error.expected})"
    return text


def _identifier_detail(error: IdentifierError | None) -> str:
    if error is None:
        return ""
    if error.reason in (RejectionReason.CHECK_DIGIT_1, RejectionReason.CHECK_DIGIT_2):
        expected = "no digit fits" if error.expected is None else f"expected {error.expected}"
        return f" (found {error.found}, {expected})"
    if error.reason in (RejectionReason.NO_SUCH_DATE, RejectionReason.BIRTH_DATE_IN_FUTURE):
        return f" ({error.found})"
    return ""


def _describe_code(code: ReadCode) -> str:
    identifier = code.identifier
    shown = identifier.value if identifier is not None else visible_text(code.barcode.text, 40)
    return f"{code.barcode.format} {shown}"


def outcome_error(outcome: ScanOutcome) -> str | None:
    """Why the scan gave no identifier, in English; ``None`` when it gave one."""
    if outcome.problem is None:
        return None
    if outcome.problem is ScanProblem.NO_BARCODE:
        return "no Code 128, DataMatrix or QR code found in the image"
    if outcome.problem is ScanProblem.CONFLICT and outcome.conflict is not None:
        first, second = outcome.conflict
        why = f"; {describe_error(second.error)}" if second.error is not None else ""
        return (f"the wristband's codes disagree: {_describe_code(first)} vs "
                f"{_describe_code(second)}{why}")
    if outcome.code is not None and outcome.code.error is not None:
        return describe_error(outcome.code.error)
    return f"no patient identifier ({outcome.problem})"


def scan_file(path: Path, decoder: BarcodeDecoder) -> dict[str, Any]:
    """The JSON record for one file; problems become an ``error``, never an exception."""
    record: dict[str, Any] = {"file": str(path), "format": None, "text": None, "kind": "unknown",
                              "identifier": None, "system": None, "valid": False, "error": None}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {**record, "error": "file not found"}
    except IsADirectoryError:
        return {**record, "error": "is a folder with no images"}
    except OSError as error:
        return {**record, "error": f"cannot read the file ({error.strerror or error})"}
    try:
        outcome = scan_bytes(data, decoder)
    except ScanningError as error:
        return {**record, "error": str(error)}
    code = outcome.code
    if code is not None:
        identifier = code.identifier if outcome.valid else None
        record.update(
            format=code.barcode.format,
            text=visible_text(code.barcode.text, limit=200),
            kind=str(code.kind) if code.kind is not None else "unknown",
            identifier=identifier.value if identifier else None,
            system=identifier.system if identifier else None,
        )
    record.update(valid=outcome.valid, error=outcome_error(outcome))
    return record


def expand(paths: Sequence[Path]) -> Iterator[Path]:
    """Files as given; a folder stands for its image files, sorted by name."""
    for path in paths:
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            yield from images or [path]
        else:
            yield path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mobile_app.scan",
        description="Read wristband barcodes (Code 128, DataMatrix, QR) from images; one JSON line each.")
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                        help="image files (PNG, JPEG ...) or folders of them")
    args = parser.parse_args(argv)
    decoder = default_decoder()
    all_valid = True
    for path in expand(args.images):
        record = scan_file(path, decoder)
        all_valid &= bool(record["valid"])
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0 if all_valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
