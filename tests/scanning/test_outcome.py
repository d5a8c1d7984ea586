"""Judging the codes read from one image: choosing one, refusing disagreements, resolving through the record."""

from __future__ import annotations

from collections.abc import Callable, Collection

import pytest
from PIL import Image

from mobile_app.domain.identifiers import FNR_SYSTEM, RejectionReason
from mobile_app.domain.wristband import GSRN_SYSTEM, PayloadKind, gs1_check_digit
from mobile_app.scanning import (
    CodesDisagree,
    DecodedBarcode,
    ScannedIdentifier,
    ScanProblem,
    scan_outcome,
    wristband_texts,
)
from tests.support.barcode_images import FNR, GSRN, encode, symbol

OTHER_FNR = "15838000956"
OTHER_GSRN = "70800000000000008" + str(gs1_check_digit("70800000000000008"))
BAD_FNR = FNR[:10] + str((int(FNR[10]) + 1) % 10)

FNR_CODE = DecodedBarcode("Code128", FNR)
GSRN_CODE = DecodedBarcode("DataMatrix", f"]d28018{GSRN}")
MEDICINE = DecodedBarcode("DataMatrix", "]d201070800000000191721123110AB12")  # GTIN, expiry, batch
URL = DecodedBarcode("QRCode", "https://example.org/menu")


def test_nothing_read_is_no_barcode() -> None:
    outcome = scan_outcome([])
    assert (outcome.problem, outcome.code, outcome.valid) == (ScanProblem.NO_BARCODE, None, False)


def test_a_band_whose_two_codes_decode_reports_both_and_chooses_the_gsrn() -> None:
    outcome = scan_outcome([FNR_CODE, GSRN_CODE])
    assert outcome.valid
    assert outcome.code is not None and outcome.code.barcode == GSRN_CODE
    assert outcome.payload is not None and outcome.payload.identifier.value == GSRN
    assert outcome.identifiers == (
        ScannedIdentifier(FNR_SYSTEM, FNR, PayloadKind.PERSON_IDENTIFIER),
        ScannedIdentifier(GSRN_SYSTEM, GSRN, PayloadKind.GSRN),
    )
    assert [code.barcode for code in outcome.codes] == [FNR_CODE, GSRN_CODE]


def test_the_same_code_read_twice_is_one_identifier() -> None:
    outcome = scan_outcome([FNR_CODE, DecodedBarcode("QRCode", FNR)])
    assert outcome.valid and len(outcome.identifiers) == 1


@pytest.mark.parametrize(("first", "second"), [
    (FNR_CODE, DecodedBarcode("QRCode", OTHER_FNR)),
    (GSRN_CODE, DecodedBarcode("Code128", f"]C18018{OTHER_GSRN}")),
], ids=["two-person-numbers", "two-gsrns"])
def test_two_different_identifiers_of_one_kind_are_a_conflict_never_a_choice(
    first: DecodedBarcode, second: DecodedBarcode,
) -> None:
    outcome = scan_outcome([first, second])
    assert outcome.problem is ScanProblem.CONFLICT
    assert outcome.payload is None
    assert outcome.conflict is not None
    assert [code.barcode for code in outcome.conflict] == [first, second]


def test_a_valid_code_beside_an_invalid_wristband_code_is_a_conflict() -> None:
    outcome = scan_outcome([DecodedBarcode("Code128", BAD_FNR), GSRN_CODE])
    assert outcome.problem is ScanProblem.CONFLICT
    assert outcome.conflict is not None
    broken = outcome.conflict[1]
    assert broken.error is not None and broken.error.reason is RejectionReason.CHECK_DIGIT_2
    assert broken.kind is PayloadKind.PERSON_IDENTIFIER
    assert outcome.error is broken.error


@pytest.mark.parametrize("stranger", [MEDICINE, URL], ids=["medicine-pack", "url"])
def test_codes_that_are_not_wristband_codes_are_ignored_beside_a_valid_one(stranger: DecodedBarcode) -> None:
    outcome = scan_outcome([stranger, FNR_CODE])
    assert outcome.valid
    assert outcome.code is not None and outcome.code.barcode == FNR_CODE
    assert not outcome.codes[0].ours


def test_only_invalid_codes_report_the_most_telling_error() -> None:
    outcome = scan_outcome([URL, DecodedBarcode("Code128", BAD_FNR)])
    assert outcome.problem is ScanProblem.INVALID
    assert outcome.code is not None and outcome.code.error is not None
    assert outcome.code.error.reason is RejectionReason.CHECK_DIGIT_2
    assert (outcome.format, outcome.raw) == ("Code128", BAD_FNR)
    assert outcome.error is outcome.code.error


def test_only_strange_codes_report_the_first() -> None:
    outcome = scan_outcome([URL, MEDICINE])
    assert outcome.problem is ScanProblem.INVALID
    assert outcome.code is not None and outcome.code.barcode == URL


def record(owners: dict[str, set[str]]) -> Callable[[str | None, str], Collection[str]]:
    return lambda system, value: owners.get(value, set())


def test_resolving_accepts_codes_that_name_the_same_patient() -> None:
    resolution = scan_outcome([FNR_CODE, GSRN_CODE]).resolve(record({FNR: {"p1"}, GSRN: {"p1"}}))
    assert (resolution.patient, resolution.problem) == ("p1", None)


@pytest.mark.parametrize(("owners", "problem", "culprit"), [
    ({FNR: {"p1"}, GSRN: {"p2"}}, ScanProblem.CONFLICT, GSRN),
    ({FNR: {"p1"}}, ScanProblem.NOT_FOUND, GSRN),
    ({FNR: {"p1", "p2"}, GSRN: {"p1"}}, ScanProblem.AMBIGUOUS, FNR),
], ids=["different-patients", "gsrn-unknown", "fnr-on-two-patients"])
def test_resolving_refuses_anything_but_one_common_patient(
    owners: dict[str, set[str]], problem: ScanProblem, culprit: str,
) -> None:
    resolution = scan_outcome([FNR_CODE, GSRN_CODE]).resolve(record(owners))
    assert resolution.patient is None
    assert resolution.problem is problem
    assert resolution.identifier is not None and resolution.identifier.value == culprit


def test_resolving_an_invalid_outcome_asks_nothing() -> None:
    def never(system: str | None, value: str) -> Collection[str]:
        raise AssertionError("looked up")

    assert scan_outcome([]).resolve(never).problem is ScanProblem.NO_BARCODE


def band(*symbols: Image.Image) -> bytes:
    strip = Image.new("L", (1200, 300), 255)
    x = 20
    for image in symbols:
        strip.paste(image, (x, (300 - image.height) // 2))
        x += image.width + 20
    return encode(strip)


def test_texts_for_screens_put_the_chosen_payload_first() -> None:
    data = band(symbol(FNR, "Code128"), symbol(f"(8018){GSRN}", "DataMatrix", gs1=True))
    assert wristband_texts(data) == [f"]d28018{GSRN}", FNR]


def test_texts_for_screens_refuse_a_band_whose_codes_disagree() -> None:
    data = band(symbol(FNR, "Code128"), symbol(OTHER_FNR, "QRCode"))
    with pytest.raises(CodesDisagree) as raised:
        wristband_texts(data)
    assert isinstance(raised.value, ValueError)  # what the scan screen catches today
