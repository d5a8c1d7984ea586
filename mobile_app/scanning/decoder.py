"""Barcode decoders: from an image (a camera frame, an uploaded photo) to the raw payloads on it.

One small interface, :class:`BarcodeDecoder`, and the implementations behind it:

- :class:`ZxingDecoder` (zxing-cpp): Code 128, DataMatrix and QR, GS1 included. The default.
- :class:`PyzbarDecoder` (pyzbar + the zbar C library): a fallback where zxing-cpp will not install.
  zbar reads Code 128 and QR but not DataMatrix, so the GSRN on a GS1 DataMatrix is lost with it;
  it also does not report symbology identifiers, so GS1-128 is recognised by its shape only.
- :class:`UnavailableDecoder`: neither is installed; every call raises :class:`DecoderUnavailable`.

Payload text is what a hardware scanner would type, so that
:func:`~mobile_app.domain.wristband.parse_wristband` reads camera and scanner input alike: the
symbology identifier is kept in front of GS1 payloads (``]d2`` GS1 DataMatrix, ``]C1`` GS1-128,
``]Q3`` GS1 QR) and the group separators (ASCII 29) between element strings are kept. Non-GS1
payloads come bare, as scanners send them by default.

zxing-cpp is read in ``TextMode.Plain``: the raw element strings with ASCII 29 separators and no
leading FNC1 (``TextMode.HRI``, its default, would give the bracketed form "(8018)..."; ``Escaped``
would spell ASCII 29 as "<GS>"). ``Barcode.content_type`` is ``ContentType.GS1`` exactly when the
symbol starts with FNC1, and ``Barcode.symbology_identifier`` then holds the GS1 identifier.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from mobile_app.scanning.preprocess import decode_with_retries

if TYPE_CHECKING:
    import zxingcpp

__all__ = [
    "BarcodeDecoder",
    "DecodedBarcode",
    "DecoderUnavailable",
    "PyzbarDecoder",
    "ScanningError",
    "UnavailableDecoder",
    "UnreadableImage",
    "ZxingDecoder",
    "decode_bytes",
    "default_decoder",
    "grayscale",
    "open_image",
]

# Format names as reported in DecodedBarcode.format (zxing-cpp's BarcodeFormat names).
CODE128 = "Code128"
DATAMATRIX = "DataMatrix"
QRCODE = "QRCode"
# A GS1 symbol whose reader gave no symbology identifier gets the standard one for its format.
_GS1_SYMBOLOGY = {DATAMATRIX: "]d2", CODE128: "]C1", QRCODE: "]Q3"}
# Photos beyond this many pixels are refused rather than decoded for seconds (a 12 MP phone photo
# is well inside it).
MAX_PIXELS = 40_000_000


class ScanningError(Exception):
    """Base of the errors raised while reading barcodes from images."""


class DecoderUnavailable(ScanningError, RuntimeError):
    """No barcode library is installed on this device."""


class UnreadableImage(ScanningError, ValueError):
    """The bytes or file are not an image that can be read (empty, truncated, not an image...)."""


@dataclass(frozen=True)
class DecodedBarcode:
    """One barcode found in an image.

    ``format`` is "Code128", "DataMatrix" or "QRCode". ``text`` is the raw payload as a hardware
    scanner would send it: GS1 payloads start with their symbology identifier and keep ASCII 29
    between element strings.
    """

    format: str
    text: str

    @property
    def gs1(self) -> bool:
        """True if the payload announces GS1 element strings."""
        return self.text[:3] in _GS1_SYMBOLOGY.values()


class BarcodeDecoder(Protocol):
    """Finds the wristband barcodes (Code 128, DataMatrix, QR) in an image."""

    def decode(self, image: Image.Image) -> list[DecodedBarcode]:
        """Every barcode found, in reading order; empty if there is none."""
        ...


def grayscale(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grayscale; transparent pixels become white, 16-bit values are scaled."""
    if image.mode == "L":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        extrema = image.getextrema()
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        span = high - low or 1.0
        return image.convert("F").point(lambda v: (v - low) * 255.0 / span).convert("L")
    return image.convert("L")


@dataclass(frozen=True)
class _RetryingDecoder:
    """A decoder made of one library pass (``read_once``) and the preprocessing retries around it.

    With ``retries`` (the default) an image in which nothing decodes is tried again after cheap
    preprocessing (see :mod:`mobile_app.scanning.preprocess`). A live camera stream, where most
    frames hold no code at all, may prefer ``retries=False`` and simply wait for the next frame.
    """

    retries: bool = True

    def decode(self, image: Image.Image) -> list[DecodedBarcode]:
        gray = grayscale(image)
        if self.retries:
            return decode_with_retries(self.read_once, gray)
        return self.read_once(gray)

    def read_once(self, image: Image.Image, linear_only: bool = False) -> list[DecodedBarcode]:
        """One pass over a grayscale image; only Code 128 is looked for with ``linear_only``."""
        raise NotImplementedError


@dataclass(frozen=True)
class ZxingDecoder(_RetryingDecoder):
    """zxing-cpp, restricted to Code 128, DataMatrix and QR (see the module docstring for GS1)."""

    def __post_init__(self) -> None:
        import zxingcpp  # noqa: F401  (fail here, not at the first image, if it is missing)

    def read_once(self, image: Image.Image, linear_only: bool = False) -> list[DecodedBarcode]:
        """One zxing-cpp pass over a grayscale image, without preprocessing."""
        import zxingcpp

        wanted = [zxingcpp.BarcodeFormat.Code128]
        if not linear_only:
            wanted += [zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode]
        found = zxingcpp.read_barcodes(
            image,
            formats=zxingcpp.BarcodeFormats(wanted),
            text_mode=zxingcpp.TextMode.Plain,
            try_rotate=True,
            try_downscale=True,
            try_invert=False,  # light-on-dark is one of the retries instead: it costs half a pass more
        )
        return [_from_zxing(barcode) for barcode in found if barcode.valid]


def _from_zxing(barcode: zxingcpp.Barcode) -> DecodedBarcode:
    import zxingcpp

    fmt = barcode.format.name
    text = barcode.text
    if barcode.content_type == zxingcpp.ContentType.GS1:
        text = (barcode.symbology_identifier or _GS1_SYMBOLOGY.get(fmt, "")) + text
    return DecodedBarcode(fmt, text)


_PYZBAR_FORMATS = {"CODE128": CODE128, "QRCODE": QRCODE}


@dataclass(frozen=True)
class PyzbarDecoder(_RetryingDecoder):
    """pyzbar (zbar): Code 128 and QR only; it cannot read DataMatrix at all.

    zbar gives no symbology identifier, so a GS1-128 payload arrives as bare element strings
    ("8018..."), which ``parse_wristband`` still recognises by their shape.
    """

    def __post_init__(self) -> None:
        from pyzbar import pyzbar  # noqa: F401  (ImportError also when the zbar library is missing)

    def read_once(self, image: Image.Image, linear_only: bool = False) -> list[DecodedBarcode]:
        from pyzbar import pyzbar

        symbols = [pyzbar.ZBarSymbol.CODE128]
        if not linear_only:
            symbols.append(pyzbar.ZBarSymbol.QRCODE)
        return [
            DecodedBarcode(_PYZBAR_FORMATS.get(found.type, found.type),
                           found.data.decode("utf-8", errors="replace"))
            for found in pyzbar.decode(image, symbols=symbols)
        ]


@dataclass(frozen=True)
class UnavailableDecoder:
    """Stands in when no barcode library is installed: every call raises :class:`DecoderUnavailable`."""

    reason: str = "no barcode library is installed (install zxing-cpp)"

    def decode(self, image: Image.Image) -> list[DecodedBarcode]:
        raise DecoderUnavailable(self.reason)


def default_decoder() -> BarcodeDecoder:
    """The best decoder this device has: zxing-cpp, else pyzbar (no DataMatrix), else none.

    "None" is an :class:`UnavailableDecoder`, which raises :class:`DecoderUnavailable` with a
    clear message when used, so that screens can say so instead of failing at import time.
    """
    candidates: Sequence[Callable[[], BarcodeDecoder]] = (ZxingDecoder, PyzbarDecoder)
    for make in candidates:
        try:
            return make()
        except ImportError:  # the module, or the C library under pyzbar, is missing
            continue
    return UnavailableDecoder()


def open_image(data: bytes) -> Image.Image:
    """Decode JPEG/PNG/... bytes into a loaded image, turned upright by its EXIF orientation.

    Raises :class:`UnreadableImage` with a one-line reason for empty, truncated, huge or non-image
    data.
    """
    if not data:
        raise UnreadableImage("the image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableImage(
                    f"the image is too large ({image.width} x {image.height} pixels)")
            image.load()
    except UnreadableImage:
        raise
    except UnidentifiedImageError:
        raise UnreadableImage("not an image (no known image format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnreadableImage("the image is too large") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise UnreadableImage(f"the image is damaged or truncated ({error})") from None
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):  # a broken EXIF block: use the pixels as stored
        return image


def decode_bytes(data: bytes, decoder: BarcodeDecoder | None = None) -> list[DecodedBarcode]:
    """The barcodes in an encoded image (camera frame, uploaded file).

    Raises :class:`UnreadableImage` for data that is not a readable image, and
    :class:`DecoderUnavailable` when no decoder is installed.
    """
    image = open_image(data)
    return (decoder or default_decoder()).decode(image)
