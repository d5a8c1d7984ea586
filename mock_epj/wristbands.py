"""Printable patient wristbands for the seeded inpatients: PNG strips with a Code 128 and a GS1 DataMatrix.

Each band (1200 x 300 px, about 10 x 2.5 cm at 300 dpi) shows the patient's name, birth date
(dd.mm.yyyy), person number, ward and bed as text; a Code 128 of the fødselsnummer or D-number; and
a GS1 DataMatrix of the GSRN, encoded as GS1 (FNC1 first, element string "(8018)" + 18 digits) so
that readers report it with the symbology identifier "]d2". Everything printed comes from the
database, nothing is made up here.

Barcodes are drawn by zxing-cpp's writer (``zxingcpp.create_barcode(text, format, gs1=True)`` for
the GS1 symbols; it takes the bracketed element string and checks the AI's data length, not the
GSRN's check digit). Layout is Pillow. Fonts are DejaVu Sans or Liberation Sans where installed
(Linux, or Arial on macOS and Windows), else Pillow's built-in scalable font, so no system font is
required; the built-in one has no letters beyond ASCII, so with it names are printed in the
Norwegian ASCII spelling (ø -> oe, æ -> ae, å -> aa, accents dropped). zxing-cpp is imported only
when a band is drawn: the server itself does not need it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from mock_epj.store import Store
from mock_epj.terminology import DNR, FNR, GSRN

WIDTH, HEIGHT = 1200, 300
MARGIN = 40
GAP = 28
INK, PAPER, EDGE = 0, 255, 175
# (regular, bold) font files, tried in order.
_FONT_FILES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)
_ASCII_SPELLING = str.maketrans({"Æ": "Ae", "Ø": "Oe", "Å": "Aa", "æ": "ae", "ø": "oe", "å": "aa"})

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Inpatient:
    """What a wristband shows about one patient in a current stay."""

    patient_id: str
    family: str
    given: str
    birth_date: date | None
    person_number: str
    person_system: str  # fødselsnummer or D-number system
    gsrn: str | None
    ward: str
    bed: str | None

    @property
    def band_name(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class Symbol:
    """One barcode to print: ``content`` is the text, or for GS1 the bracketed element string."""

    format: str  # "Code128", "DataMatrix" or "QRCode"
    content: str
    gs1: bool = False
    caption: str | None = None  # human-readable text printed under it


@dataclass(frozen=True)
class Band:
    """A drawn wristband and where each symbol landed (left, top, right, bottom)."""

    image: Image.Image
    boxes: tuple[tuple[Symbol, tuple[int, int, int, int]], ...]


class NoDatabase(Exception):
    """The database file does not exist or was never seeded."""


def spaced_person_number(number: str) -> str:
    """``01018012345`` as printed: ``010180 12345``."""
    return f"{number[:6]} {number[6:]}" if len(number) == 11 else number


def standard_symbols(patient: Inpatient) -> list[Symbol]:
    """Code 128 of the person number and, when the patient has one, a GS1 DataMatrix of the GSRN."""
    symbols = [Symbol("Code128", patient.person_number, caption=spaced_person_number(patient.person_number))]
    if patient.gsrn is not None:
        symbols.append(Symbol("DataMatrix", f"(8018){patient.gsrn}", gs1=True))
    return symbols


# ------------------------------------------------------------------ reading the record

def inpatients(store: Store, count: int | None = None) -> list[Inpatient]:
    """Patients in a current (in-progress) stay, in the order the stays were stored."""
    found: dict[str, Inpatient] = {}
    for stay in store.queries.current_stays():
        patient_id = str(stay.patient)
        if patient_id in found:
            continue
        stored = store.read("Patient", patient_id)
        if stored is None or stored.deleted:
            continue
        patient = _inpatient(stored.resource(), stay.resource())
        if patient is not None:
            found[patient_id] = patient
        if count is not None and len(found) >= count:
            break
    return list(found.values())


def _inpatient(patient: dict[str, Any], encounter: dict[str, Any]) -> Inpatient | None:
    identifiers = patient.get("identifier", [])
    person = next((i for i in identifiers if i.get("system") == FNR), None) or next(
        (i for i in identifiers if i.get("system") == DNR), None)
    if person is None:
        return None  # no person number to print: not a band this generator can make
    gsrn = next((i["value"] for i in identifiers if i.get("system") == GSRN), None)
    names = patient.get("name", [])
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    family = name.get("family") or name.get("text") or "(uten navn)"
    born = patient.get("birthDate")
    ward, bed = _place(encounter)
    return Inpatient(
        patient_id=patient["id"], family=family, given=" ".join(name.get("given", [])),
        birth_date=date.fromisoformat(born[:10]) if born else None,
        person_number=person["value"], person_system=person["system"], gsrn=gsrn, ward=ward, bed=bed)


def _place(encounter: dict[str, Any]) -> tuple[str, str | None]:
    ward, bed = "", None
    for entry in encounter.get("location", []):
        if entry.get("status", "active") != "active":
            continue
        codes = {c.get("code") for c in entry.get("physicalType", {}).get("coding", [])}
        display = entry.get("location", {}).get("display", "")
        if "wa" in codes:
            ward = display
        elif "bd" in codes:
            bed = display
    return ward, bed


# ------------------------------------------------------------------ drawing

@lru_cache(maxsize=1)
def font_files() -> tuple[str, str] | None:
    """The first installed (regular, bold) pair of :data:`_FONT_FILES`, or None."""
    return next((pair for pair in _FONT_FILES if all(Path(path).is_file() for path in pair)), None)


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> Font:
    """An installed sans-serif (bold) at ``size`` px, else Pillow's built-in scalable font."""
    files = font_files()
    if files is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(files[1] if bold else files[0], size)


def printable(text: str) -> str:
    """``text`` as the font in use can print it: unchanged, or in ASCII for the built-in font."""
    if font_files() is not None or text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_SPELLING))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _fitting_font(text: str, size: int, width: int, bold: bool = False) -> Font:
    while size > 14 and font(size, bold).getlength(printable(text)) > width:
        size -= 2
    return font(size, bold)


def symbol_image(symbol: Symbol, height: int) -> Image.Image:
    """The symbol drawn at whole-pixel module sizes: linear codes ``height`` px tall, 2D ones square."""
    import zxingcpp

    barcode = zxingcpp.create_barcode(symbol.content, getattr(zxingcpp.BarcodeFormat, symbol.format),
                                      gs1=symbol.gs1)
    linear = symbol.format == "Code128"
    # Linear codes get a 3 px module (readable by phone cameras at arm's length), 2D ones the
    # largest whole module that fits ``height``.
    scale = 3 if linear else max(1, height // barcode.to_image(scale=1).shape[0])
    image = Image.fromarray(barcode.to_image(scale=scale))  # 8-bit grayscale, via __array_interface__
    if linear:
        image = image.resize((image.width, height), Image.Resampling.NEAREST)
    return image


def render_wristband(patient: Inpatient, symbols: Sequence[Symbol] | None = None) -> Band:
    """Draw one band: text on the left, the symbols side by side on the right."""
    symbols = standard_symbols(patient) if symbols is None else symbols
    image = Image.new("L", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, WIDTH - 3, HEIGHT - 3), radius=70, outline=EDGE, width=3)
    caption_font = font(24)
    right = WIDTH - MARGIN - 20
    boxes: list[tuple[Symbol, tuple[int, int, int, int]]] = []
    for symbol in reversed(symbols):
        linear = symbol.format == "Code128"
        drawn = symbol_image(symbol, 150 if linear else 210)
        caption_height = 34 if symbol.caption else 0
        top = (HEIGHT - drawn.height - caption_height) // 2
        left = right - drawn.width
        image.paste(drawn, (left, top))
        boxes.append((symbol, (left, top, right, top + drawn.height)))
        if symbol.caption:
            caption = printable(symbol.caption)
            width = caption_font.getlength(caption)
            draw.text((left + (drawn.width - width) / 2, top + drawn.height + 4), caption,
                      font=caption_font, fill=INK)
        right = left - GAP
    _draw_text(draw, patient, MARGIN + 24, right - MARGIN // 2)
    return Band(image, tuple(reversed(boxes)))


def _draw_text(draw: ImageDraw.ImageDraw, patient: Inpatient, left: int, right: int) -> None:
    width = right - left
    born = patient.birth_date.strftime("%d.%m.%Y") if patient.birth_date else "ukjent"
    label = "D-nr." if patient.person_system == DNR else "Fnr."
    lines: list[tuple[str, Font]] = [
        (patient.band_name, _fitting_font(patient.band_name, 40, width, bold=True)),
        (f"Født {born}", font(28)),
        (f"{label} {spaced_person_number(patient.person_number)}", font(28)),
        (patient.ward, _fitting_font(patient.ward, 26, width)),
    ]
    if patient.bed:
        lines.append((patient.bed, _fitting_font(patient.bed, 24, width)))
    y = 44
    for text, face in lines:
        draw.text((left, y), printable(text), font=face, fill=INK)
        y += int(face.size if isinstance(face, ImageFont.FreeTypeFont) else 24) + 14


# ------------------------------------------------------------------ writing files

def open_seeded(db: Path) -> Store:
    """The store at ``db``; raises :class:`NoDatabase` rather than creating an empty one."""
    if not db.is_file():
        raise NoDatabase(f"no database at {db}; run `mock-epj seed --db {db}` first")
    store = Store(db)
    if not store.get_setting("seeded"):
        store.close()
        raise NoDatabase(f"{db} has not been seeded; run `mock-epj seed --db {db}` first")
    return store


def index_entry(patient: Inpatient) -> dict[str, Any]:
    return {"patient": patient.patient_id, "fnr": patient.person_number,
            "system": patient.person_system, "gsrn": patient.gsrn,
            "name": patient.band_name, "ward": patient.ward}


def save_png(image: Image.Image, path: Path) -> None:
    image.save(path, format="PNG", optimize=True, dpi=(300, 300))


def write_wristbands(store: Store, out: Path, count: int | None = None) -> dict[str, dict[str, Any]]:
    """Write ``wristband-<patient id>.png`` for (up to ``count``) inpatients and ``index.json``.

    Returns the index: file name -> patient id, person number ("fnr", with its "system"), GSRN,
    name and ward.
    """
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, Any]] = {}
    for patient in inpatients(store, count):
        name = f"wristband-{patient.patient_id}.png"
        save_png(render_wristband(patient).image, out / name)
        index[name] = index_entry(patient)
    (out / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return index
