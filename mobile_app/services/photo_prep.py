"""A clinical photo made safe to send: decoded, turned upright, scaled down and re-encoded as a
JPEG with no metadata at all (no EXIF, so no GPS position, camera serial or time stamp), and
checked against the size cap. Nothing is written to disk: the bytes go to the outbox.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from mobile_app.domain.media import PHOTO_LIMIT_BYTES

MAX_SIDE = 1600  # pixels: enough to see a wound's edge, a few hundred kB as JPEG
QUALITY = 82
RAW_LIMIT_BYTES = 30 * 1024 * 1024  # a picked file larger than this is refused before decoding
MAX_PIXELS = 60_000_000  # a decompression bomb is refused


class PhotoProblem(Exception):
    """The picture cannot be used; ``reason`` is its message key (photo.problem.*)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class PreparedPhoto:
    jpeg: bytes
    width: int
    height: int


def prepare_photo(raw: bytes, *, mirrored: bool = False) -> PreparedPhoto:
    """The photo as it may be sent (PhotoProblem when it cannot be). ``mirrored``: the picture came
    flipped left to right (a browser's camera does that for any camera not facing away from the
    user) and is turned back, so left is the patient's left as the camera saw it and text reads."""
    if not raw:
        raise PhotoProblem("photo.problem.empty")
    if len(raw) > RAW_LIMIT_BYTES:
        raise PhotoProblem("photo.problem.too_large", f"{len(raw)} bytes; at most {RAW_LIMIT_BYTES}")
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise PhotoProblem("photo.problem.too_large", f"{opened.width} x {opened.height} pixels")
            upright = ImageOps.exif_transpose(opened)  # the EXIF orientation applied, then dropped
            image = upright.convert("RGB")
            if mirrored:
                image = ImageOps.mirror(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoProblem("photo.problem.unreadable", str(error)) from error
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= given: none is written
    jpeg = out.getvalue()
    if len(jpeg) > PHOTO_LIMIT_BYTES:
        raise PhotoProblem("photo.problem.too_large", f"{len(jpeg)} bytes after re-encoding")
    return PreparedPhoto(jpeg=jpeg, width=image.width, height=image.height)
