"""Second chances for hard images: cheap preprocessing tried only when a plain read finds nothing.

Each retry targets one way photos of wristbands go wrong; they are tried in order and the first
that yields a barcode wins, so a clean image costs one pass and a hopeless one costs all of them
(about 0.1 s for a 1280 x 720 photo, against about 10 ms for one pass). What each one is for was
measured on generated wristband codes (see ``tests/scanning``):

===============  ==========================================================================
smooth           salt-and-pepper noise: a 3 x 3 mean dilutes the specks that break DataMatrix
                 and QR modules (as well as a median does, at a fifteenth of its cost)
sharpen          blur: an unsharp mask restores edges of thin Code 128 bars
stretch          low contrast and glare: autocontrast, then a hard threshold (binarize)
upscale          small codes (a band photographed from afar): twice the size, bicubic
rotate +-15 deg  skewed linear codes: zxing-cpp reads Code 128 along rows and columns only,
                 so a long, short code tilted by more than its height fits is missed; 2D
                 codes do not need this, so these passes look for Code 128 only
invert           light-on-dark prints
===============  ==========================================================================

Barcode decoders check their own data (Code 128 checksum, Reed-Solomon in DataMatrix and QR),
so a retry cannot turn a damaged code into a different valid one any more easily than a plain
read: it either decodes the right payload or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from PIL import Image, ImageFilter, ImageOps

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["RETRIES", "Read", "Retry", "decode_with_retries", "variants"]

T = TypeVar("T")
# One decoding pass: the barcodes in a grayscale image; Code 128 only when the flag is set.
Read = Callable[[Image.Image, bool], list[T]]

SMALL_SIDE = 1000  # images whose longer side is below this are also tried at twice the size


class Retry(NamedTuple):
    """A preprocessing step: a new grayscale image, or None when the step does not apply."""

    name: str
    transform: Callable[[Image.Image], Image.Image | None]
    linear_only: bool = False  # only Code 128 can benefit, so only Code 128 is looked for


def _smooth(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.BoxBlur(1))


def _sharpen(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.UnsharpMask(radius=3, percent=200, threshold=0))


def _stretch(image: Image.Image) -> Image.Image:
    stretched = ImageOps.autocontrast(image, cutoff=1)
    return stretched.point(lambda v: 255 if v >= 128 else 0)


def _upscale(image: Image.Image) -> Image.Image | None:
    if max(image.size) >= SMALL_SIDE:
        return None
    return image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC)


def _rotate(degrees: float) -> Callable[[Image.Image], Image.Image]:
    def rotate(image: Image.Image) -> Image.Image:
        return image.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)

    return rotate


def _invert(image: Image.Image) -> Image.Image:
    return ImageOps.invert(image)


RETRIES: Sequence[Retry] = (
    Retry("smooth", _smooth),
    Retry("sharpen", _sharpen),
    Retry("stretch", _stretch),
    Retry("upscale", _upscale),
    Retry("rotate+15", _rotate(15), linear_only=True),
    Retry("rotate-15", _rotate(-15), linear_only=True),
    Retry("invert", _invert),
)


def variants(image: Image.Image, retries: Sequence[Retry] = RETRIES) -> Iterator[tuple[Retry, Image.Image]]:
    """The preprocessed versions of a grayscale image, made one at a time as they are asked for."""
    for retry in retries:
        variant = retry.transform(image)
        if variant is not None:
            yield retry, variant


def decode_with_retries(read: Read[T], image: Image.Image, retries: Sequence[Retry] = RETRIES) -> list[T]:
    """``read(image)``, or if that finds nothing, ``read`` of the first variant that finds something."""
    found = read(image, False)
    if found:
        return found
    for retry, variant in variants(image, retries):
        found = read(variant, retry.linear_only)
        if found:
            return found
    return []
