"""The sample wristbands kept in ``assets/wristbands``: good bands, faulty ones and other code layouts.

``mock-epj wristbands --samples --out assets/wristbands`` rewrites them from a seeded database
(the committed ones come from seed 42 with 300 patients), together with ``expected.json``: for each
file, the codes a reader must find (format -> exact payload, GS1 ones with their symbology
identifier) and the outcome the app's scanner must reach. The person numbers depend on the day the
database was seeded (birth dates are relative to it); names and GSRNs do not.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from mock_epj.store import Store
from mock_epj.terminology import GSRN
from mock_epj.wristbands import (
    Band,
    Inpatient,
    Symbol,
    inpatients,
    render_wristband,
    save_png,
    spaced_person_number,
)

GS1_IDS = {"DataMatrix": "]d2", "Code128": "]C1", "QRCode": "]Q3"}


def _raw(symbol: Symbol) -> str:
    """The payload a reader reports for ``symbol``: GS1 as symbology identifier + element strings."""
    if not symbol.gs1:
        return symbol.content
    return GS1_IDS[symbol.format] + symbol.content.replace("(", "").replace(")", "")


def _expect(patient: Inpatient, band: Band, what: str, *, problem: str | None = None,
            reason: str | None = None) -> dict[str, Any]:
    codes = {} if problem == "no_barcode" else {symbol.format: _raw(symbol) for symbol, _ in band.boxes}
    entry: dict[str, Any] = {"what": what, "patient": patient.patient_id, "codes": codes,
                             "valid": problem is None, "problem": problem, "reason": reason}
    if problem is None:  # the scanner prefers the GSRN when the band has one
        gsrn = next((s for s, _ in band.boxes if s.gs1), None)
        entry["kind"] = "gsrn" if gsrn else "person_identifier"
        entry["identifier"] = patient.gsrn if gsrn else patient.person_number
        entry["system"] = GSRN if gsrn else patient.person_system
        entry["format"] = gsrn.format if gsrn else band.boxes[0][0].format
    return entry


def smudge(band: Band) -> Image.Image:
    """The band with a grey smear over more than half of every code, so that none of them decodes."""
    image = band.image.copy()
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for _symbol, (left, top, right, bottom) in band.boxes:
        width, height = right - left, bottom - top
        # across the middle of a linear code; over a corner, finder pattern included, of a 2D one
        draw.ellipse((left + width * 0.22, top - 12, left + width * 0.80, bottom + 12), fill=255)
        draw.ellipse((left - 10, top + height * 0.35, left + width * 0.6, bottom + 14), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(6))
    stain = Image.new("L", image.size, 140)
    return Image.composite(stain, image, mask)


def write_samples(store: Store, out: Path) -> dict[str, dict[str, Any]]:
    """Write the sample set and ``expected.json`` into ``out``; returns the expectations."""
    import zxingcpp

    patients = [p for p in inpatients(store) if p.gsrn is not None]
    if len(patients) < 7:
        raise ValueError(f"need 7 inpatients with a GSRN for the samples, found {len(patients)}")
    out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, Any]] = {}

    for position, patient in enumerate(patients[:3], start=1):
        band = render_wristband(patient)
        name = f"good-{position}.png"
        save_png(band.image, out / name)
        expected[name] = _expect(patient, band, "Code 128 fødselsnummer + GS1 DataMatrix GSRN")

    patient = patients[3]
    band = render_wristband(patient)
    damaged = smudge(band)
    if zxingcpp.read_barcodes(damaged):
        raise RuntimeError("the smudged sample still decodes; smudge it more")
    save_png(damaged, out / "damaged.png")
    expected["damaged.png"] = _expect(patient, band, "both codes smeared: nothing must decode",
                                      problem="no_barcode")

    patient = patients[4]
    number = patient.person_number
    wrong = number[:10] + str((int(number[10]) + 1) % 10)  # the second check digit off by one
    misprinted = dataclasses.replace(patient, person_number=wrong, gsrn=None)
    band = render_wristband(misprinted, [Symbol("Code128", wrong, caption=spaced_person_number(wrong))])
    save_png(band.image, out / "wrong-check-digit.png")
    expected["wrong-check-digit.png"] = _expect(
        patient, band, "Code 128 of a fødselsnummer with a wrong second check digit, no DataMatrix",
        problem="invalid", reason="check_digit_2")

    patient = patients[5]
    gs1_128 = Symbol("Code128", f"(8018){patient.gsrn}", gs1=True, caption=f"(8018) {patient.gsrn}")
    band = render_wristband(patient, [gs1_128])
    save_png(band.image, out / "gs1-128.png")
    expected["gs1-128.png"] = _expect(patient, band, "GS1-128 (Code 128 with FNC1) of AI 8018 + GSRN")

    patient = patients[6]
    band = render_wristband(patient, [Symbol("QRCode", patient.person_number)])
    save_png(band.image, out / "qr-fnr.png")
    expected["qr-fnr.png"] = _expect(patient, band, "QR code holding the bare fødselsnummer")

    text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    (out / "expected.json").write_text(text, encoding="utf-8")
    return expected
