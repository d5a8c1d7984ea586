"""Reading wristband barcodes from images: decoders, and what the codes on a band say together.

``decode_bytes`` / a :class:`BarcodeDecoder` give the raw payloads (as a hardware scanner would type
them); ``scan_bytes`` / ``scan_image`` also parse them and check that a band's codes agree.
"""

from mobile_app.scanning.decoder import (
    BarcodeDecoder,
    DecodedBarcode,
    DecoderUnavailable,
    PyzbarDecoder,
    ScanningError,
    UnavailableDecoder,
    UnreadableImage,
    ZxingDecoder,
    decode_bytes,
    default_decoder,
    open_image,
)
from mobile_app.scanning.result import (
    CodesDisagree,
    ReadCode,
    Resolution,
    ScannedIdentifier,
    ScanOutcome,
    ScanProblem,
    scan_bytes,
    scan_image,
    scan_outcome,
    wristband_texts,
)

__all__ = [
    "BarcodeDecoder",
    "CodesDisagree",
    "DecodedBarcode",
    "DecoderUnavailable",
    "PyzbarDecoder",
    "ReadCode",
    "Resolution",
    "ScanOutcome",
    "ScanProblem",
    "ScannedIdentifier",
    "ScanningError",
    "UnavailableDecoder",
    "UnreadableImage",
    "ZxingDecoder",
    "decode_bytes",
    "default_decoder",
    "open_image",
    "scan_bytes",
    "scan_image",
    "scan_outcome",
    "wristband_texts",
]
