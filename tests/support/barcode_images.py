"""Barcode images for the scanning tests: clean symbols drawn by zxing-cpp and the ways photos spoil them."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageFilter

from mobile_app.domain.identifiers import FNR_SYSTEM
from mobile_app.domain.wristband import GSRN_SYSTEM

FNR = "04896008620"  # synthetic (month + 80), valid check digits
GSRN = "708000000000000012"  # the seed's first GSRN
QUIET = 40  # white label around each symbol, in pixels


@dataclass(frozen=True)
class Code:
    """A symbol to draw and what a reader must report for it."""

    name: str
    format: str
    content: str
    gs1: bool
    text: str  # the exact DecodedBarcode.text expected
    identifier: str
    system: str


CODES = (
    Code("code128-fnr", "Code128", FNR, False, FNR, FNR, FNR_SYSTEM),
    Code("gs1-datamatrix-gsrn", "DataMatrix", f"(8018){GSRN}", True, f"]d28018{GSRN}", GSRN, GSRN_SYSTEM),
    Code("gs1-128-gsrn", "Code128", f"(8018){GSRN}", True, f"]C18018{GSRN}", GSRN, GSRN_SYSTEM),
    Code("qr-fnr", "QRCode", FNR, False, FNR, FNR, FNR_SYSTEM),
)


def symbol(content: str, fmt: str, *, gs1: bool = False, module: int | None = None) -> Image.Image:
    """A printed-size symbol on a white label: 3 px modules and 150 px tall for Code 128."""
    barcode = zxingcpp.create_barcode(content, getattr(zxingcpp.BarcodeFormat, fmt), gs1=gs1)
    linear = fmt == "Code128"
    scale = module or (3 if linear else 8)
    image = Image.fromarray(barcode.to_image(scale=scale))
    if linear:
        image = image.resize((image.width, 150), Image.Resampling.NEAREST)
    label = Image.new("L", (image.width + 2 * QUIET, image.height + 2 * QUIET), 255)
    label.paste(image, (QUIET, QUIET))
    return label


def code_image(code: Code) -> Image.Image:
    return symbol(code.content, code.format, gs1=code.gs1)


def rotate(degrees: float) -> Callable[[Image.Image], Image.Image]:
    def turn(image: Image.Image) -> Image.Image:
        return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)

    return turn


def scale_third(image: Image.Image) -> Image.Image:
    return image.resize((image.width // 3, image.height // 3), Image.Resampling.BILINEAR)


def blur(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(2.0))


def low_contrast(image: Image.Image) -> Image.Image:
    """Dark grey on light grey: 40 levels apart instead of 255."""
    return image.point(lambda v: 110 + v * 40 // 255)


def salt_and_pepper(image: Image.Image, share: float = 0.08, seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    noisy = image.copy()
    pixels = noisy.load()
    assert pixels is not None
    for _ in range(int(noisy.width * noisy.height * share)):
        pixels[rng.randrange(noisy.width), rng.randrange(noisy.height)] = rng.choice((0, 255))
    return noisy


def jpeg(image: Image.Image, quality: int = 20) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, "JPEG", quality=quality)))


def encode(image: Image.Image, fmt: str = "PNG", **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


DISTORTIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "rotated-90": rotate(90),
    "rotated-180": rotate(180),
    "rotated-270": rotate(270),
    "rotated-15": rotate(15),
    "rotated-minus-15": rotate(-15),
    "scaled-to-a-third": scale_third,
    "gaussian-blur": blur,
    "low-contrast": low_contrast,
    "salt-and-pepper": salt_and_pepper,
    "jpeg-quality-20": jpeg,
}


def cover(image: Image.Image, share: float, where: str) -> Image.Image:
    """``share`` of the symbol (inside the quiet zone) covered by a grey strip at left/middle/right."""
    covered = image.copy()
    left, right = QUIET, image.width - QUIET
    width = int((right - left) * share)
    start = {"left": left, "middle": left + (right - left - width) // 2, "right": right - width}[where]
    covered.paste(190, (start, 0, start + width, image.height))
    return covered


def photo(band: Image.Image, *, degrees: float = 4.0, seed: int = 3) -> Image.Image:
    """A 1280 x 720 'photo': the band, slightly turned, on a noisy background, a little blurred."""
    rng = random.Random(seed)
    background = Image.effect_noise((1280, 720), 60).point(lambda v: 60 + v // 3).convert("RGB")
    turned = band.convert("RGB").rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True,
                                        fillcolor=(70, 70, 70))
    background.paste(turned, (rng.randrange(0, max(1, 1280 - turned.width)),
                              rng.randrange(0, max(1, 720 - turned.height))))
    return background.filter(ImageFilter.GaussianBlur(0.8))
