"""Wristband decoding time for a 1280 x 720 camera-like photo (target: p50 under 30 ms).

Usage: ``uv run python bench/bench_decode.py [--runs 200]``. Draws a wristband with
``mock_epj.wristbands``, pastes it slightly turned onto a noisy background, and times over ``--runs``
runs: the decoder on the Pillow image, ``decode_bytes`` on the JPEG (JPEG decoding included), and a
photo with no barcode at all, which pays for every preprocessing retry. Prints p50 and p95. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.scanning import ZxingDecoder, decode_bytes
from mock_epj.terminology import FNR
from mock_epj.wristbands import Inpatient, render_wristband

PATIENT = Inpatient(
    patient_id="pat-000001", family="Strand", given="Gerd", birth_date=date(1960, 9, 4),
    person_number="04896008620", person_system=FNR, gsrn="708000000000000012",
    ward="Ortopedisk sengepost", bed="Rom 9 seng 4")


def photo(band: Image.Image | None, degrees: float = 6.0, seed: int = 1) -> Image.Image:
    """1280 x 720 RGB: noise, the band turned by ``degrees`` at a random spot, a slight blur."""
    rng = random.Random(seed)
    background = Image.effect_noise((1280, 720), 50).point(lambda v: 70 + v // 3).convert("RGB")
    if band is not None:
        turned = band.convert("RGB").rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True,
                                            fillcolor=(80, 80, 80))
        background.paste(turned, (rng.randrange(1280 - turned.width), rng.randrange(720 - turned.height)))
    return background.filter(ImageFilter.GaussianBlur(0.8))


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def percentiles(action: Callable[[], object], runs: int) -> str:
    action()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {statistics.median(times):6.1f} ms   p95 {cuts[94]:6.1f} ms   (n={runs})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    band = render_wristband(PATIENT).image
    picture = photo(band)
    data = jpeg(picture)
    empty = photo(None)
    decoder = ZxingDecoder()
    found = decoder.decode(picture)
    print(f"1280 x 720 photo, band turned 6 degrees; found: {[b.text for b in found]}")
    print(f"  decoder, Pillow image          {percentiles(lambda: decoder.decode(picture), args.runs)}")
    print(f"  decode_bytes, JPEG {len(data) // 1024} kB       "
          f"{percentiles(lambda: decode_bytes(data, decoder), args.runs)}")
    print(f"  no barcode (all retries)       {percentiles(lambda: decoder.decode(empty), args.runs // 4)}")
    quick = ZxingDecoder(retries=False)
    print(f"  no barcode, retries=False      {percentiles(lambda: quick.decode(empty), args.runs // 4)}")


if __name__ == "__main__":
    main()
