"""Decoding generated barcodes, clean and spoilt the ways photos spoil them, with the zxing-cpp decoder."""

from __future__ import annotations

import pytest
from PIL import Image

from mobile_app.domain.wristband import WristbandPayload, parse_wristband
from mobile_app.scanning import DecodedBarcode, ZxingDecoder, scan_image
from tests.support.barcode_images import CODES, DISTORTIONS, FNR, GSRN, Code, code_image, cover, photo, symbol

DECODER = ZxingDecoder()


@pytest.fixture(scope="module", params=CODES, ids=[code.name for code in CODES])
def clean(request: pytest.FixtureRequest) -> tuple[Code, Image.Image]:
    code: Code = request.param
    return code, code_image(code)


def test_a_clean_symbol_decodes_to_the_payload_a_hardware_scanner_would_type(
    clean: tuple[Code, Image.Image],
) -> None:
    code, image = clean
    assert DECODER.decode(image) == [DecodedBarcode(code.format, code.text)]


@pytest.mark.parametrize("distortion", list(DISTORTIONS), ids=list(DISTORTIONS))
def test_a_spoilt_symbol_still_decodes_to_the_exact_payload_and_identifier(
    clean: tuple[Code, Image.Image], distortion: str,
) -> None:
    code, image = clean
    found = DECODER.decode(DISTORTIONS[distortion](image))
    assert [barcode.text for barcode in found] == [code.text]
    parsed = parse_wristband(found[0].text)
    assert isinstance(parsed, WristbandPayload)
    assert (parsed.identifier.value, parsed.identifier.system) == (code.identifier, code.system)


@pytest.mark.parametrize("where", ["left", "middle", "right"])
def test_a_symbol_40_percent_covered_gives_nothing_or_the_right_identifier_never_another(
    clean: tuple[Code, Image.Image], where: str,
) -> None:
    code, image = clean
    outcome = scan_image(cover(image, 0.4, where), DECODER)
    for read in outcome.codes:
        if read.identifier is not None:
            assert read.identifier.value == code.identifier
    assert outcome.valid is False or (outcome.payload is not None
                                      and outcome.payload.identifier.value == code.identifier)


def test_retries_are_what_rescue_a_noisy_datamatrix() -> None:
    from tests.support.barcode_images import salt_and_pepper

    noisy = salt_and_pepper(symbol(f"(8018){GSRN}", "DataMatrix", gs1=True))
    assert ZxingDecoder(retries=False).decode(noisy) == []
    assert [b.text for b in ZxingDecoder().decode(noisy)] == [f"]d28018{GSRN}"]


def test_gs1_payloads_keep_their_group_separators() -> None:
    image = symbol(f"(8018){GSRN}(10)AB12(01)07080000000019", "DataMatrix", gs1=True)
    (found,) = DECODER.decode(image)
    assert found.text == f"]d28018{GSRN}\x1d10AB12\x1d0107080000000019"
    assert found.gs1
    parsed = parse_wristband(found.text)
    assert isinstance(parsed, WristbandPayload)
    assert parsed.identifier.value == GSRN


def test_a_non_gs1_datamatrix_comes_without_a_symbology_identifier() -> None:
    (found,) = DECODER.decode(symbol(FNR, "DataMatrix"))
    assert found == DecodedBarcode("DataMatrix", FNR)
    assert not found.gs1


def test_other_symbologies_are_not_read() -> None:
    assert DECODER.decode(symbol("5901234123457", "EAN13", module=3)) == []


def test_a_blank_image_gives_no_barcode() -> None:
    assert DECODER.decode(Image.new("L", (640, 480), 255)) == []


def test_both_codes_of_a_band_in_a_photo_are_read() -> None:
    band = Image.new("L", (1200, 300), 255)
    band.paste(symbol(FNR, "Code128"), (400, 40))
    band.paste(symbol(f"(8018){GSRN}", "DataMatrix", gs1=True, module=9), (930, 40))
    found = DECODER.decode(photo(band))
    assert sorted(barcode.text for barcode in found) == sorted([FNR, f"]d28018{GSRN}"])
