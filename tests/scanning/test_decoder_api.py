"""The decoder's edges: bytes that are no image, unusual pixel formats, and devices without zxing-cpp."""

from __future__ import annotations

import struct
import sys
import types
import zlib
from typing import Any

import pytest
from PIL import Image

from mobile_app.scanning import (
    DecodedBarcode,
    DecoderUnavailable,
    PyzbarDecoder,
    UnavailableDecoder,
    UnreadableImage,
    ZxingDecoder,
    decode_bytes,
    default_decoder,
)
from mobile_app.scanning.decoder import grayscale
from tests.support.barcode_images import FNR, GSRN, encode, symbol

GSRN_TEXT = f"]d28018{GSRN}"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but holds almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"Pasientliste\nGerd Strand 04896008620\n", "not an image"),
    (encode(symbol(FNR, "QRCode"))[:300], "damaged or truncated"),
    (png_header_only(20_000, 20_000), "too large"),
], ids=["empty", "text", "truncated-png", "huge"])
def test_unreadable_bytes_give_a_clear_error_that_is_also_a_value_error(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableImage, match=message) as raised:
        decode_bytes(data)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_common_image_formats_decode(fmt: str) -> None:
    image = symbol(f"(8018){GSRN}", "DataMatrix", gs1=True).convert("RGB")
    assert decode_bytes(encode(image, fmt)) == [DecodedBarcode("DataMatrix", GSRN_TEXT)]


def test_black_on_transparent_is_read_as_black_on_white() -> None:
    ink = symbol(FNR, "QRCode")
    transparent = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    transparent.putalpha(ink.point(lambda v: 255 - v))  # alpha where the ink is; RGB is black everywhere
    assert decode_bytes(encode(transparent)) == [DecodedBarcode("QRCode", FNR)]


def test_sixteen_bit_grayscale_is_scaled_not_clipped() -> None:
    deep = symbol(FNR, "Code128").point(lambda v: v * 257, mode="I")
    assert grayscale(deep).getextrema() == (0, 255)
    assert ZxingDecoder().decode(deep) == [DecodedBarcode("Code128", FNR)]


def test_a_photo_taken_sideways_is_turned_by_its_exif_orientation() -> None:
    image = symbol(FNR, "Code128").convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    data = encode_with_exif(image, exif)
    assert decode_bytes(data) == [DecodedBarcode("Code128", FNR)]


def encode_with_exif(image: Image.Image, exif: Image.Exif) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def test_the_default_decoder_is_zxing_cpp_here() -> None:
    assert isinstance(default_decoder(), ZxingDecoder)


def test_without_any_barcode_library_decoding_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # makes `import zxingcpp` fail
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    decoder = default_decoder()
    assert isinstance(decoder, UnavailableDecoder)
    with pytest.raises(DecoderUnavailable, match="zxing-cpp"):
        decode_bytes(encode(symbol(FNR, "QRCode")), decoder)


def test_pyzbar_is_the_fallback_and_its_results_are_named_like_zxing_cpp_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []

    def fake_decode(image: Image.Image, symbols: list[str]) -> list[Any]:
        calls.append(symbols)
        return [types.SimpleNamespace(type="CODE128", data=b"8018" + GSRN.encode()),
                types.SimpleNamespace(type="QRCODE", data=FNR.encode())]

    inner = types.SimpleNamespace(decode=fake_decode,
                                  ZBarSymbol=types.SimpleNamespace(CODE128="CODE128", QRCODE="QRCODE"))
    package = types.ModuleType("pyzbar")
    package.pyzbar = inner  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    monkeypatch.setitem(sys.modules, "pyzbar", package)
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", inner)
    decoder = default_decoder()
    assert isinstance(decoder, PyzbarDecoder)
    found = decoder.decode(Image.new("L", (10, 10), 255))
    assert found == [DecodedBarcode("Code128", "8018" + GSRN), DecodedBarcode("QRCode", FNR)]
    assert calls == [["CODE128", "QRCODE"]]  # DataMatrix is not among zbar's symbologies
