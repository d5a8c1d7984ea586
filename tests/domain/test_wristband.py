"""Wristband payloads: bare identifiers, raw and bracketed GS1 with AI 8018, and junk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile_app.domain.identifiers import IdentifierKind, PersonIdentifier, RejectionReason
from mobile_app.domain.wristband import (
    GSRN_SYSTEM,
    MAX_PAYLOAD_LENGTH,
    Gsrn,
    PayloadKind,
    WristbandError,
    WristbandPayload,
    WristbandReason,
    gs1_check_digit,
    parse_wristband,
    visible_text,
)
from tests.support.identifier_strategies import gs1_check

GS = "\x1d"
FNR = "01019022443"
GSRN = "708000123456789017"  # 17 data digits + check digit 7 (see the test below)
BAD_GSRN = "708000123456789018"
GTIN = "07080001234567"  # AI 01, 14 digits (not validated here, only skipped)


def payload(raw: str) -> WristbandPayload:
    result = parse_wristband(raw)
    assert isinstance(result, WristbandPayload), result
    return result


def error(raw: str) -> WristbandError:
    result = parse_wristband(raw)
    assert isinstance(result, WristbandError), result
    return result


def test_hand_checked_gsrn_check_digit() -> None:
    # 70800012345678901 read from the right: 1,0,9,8,7,6,5,4,3,2,1,0,0,0,8,0,7. Weight 3 on
    # 1,9,7,5,3,1,0,8,7 (sum 41 -> 123), weight 1 on 0,8,6,4,2,0,0,0 (sum 20): 143, so 7 to 150.
    assert gs1_check_digit("70800012345678901") == gs1_check("70800012345678901") == 7


@pytest.mark.parametrize(
    ("data", "check"),
    [("629104150021", 3), ("400638133393", 1), ("00000000000000000", 0)],  # published GTIN-13s
)
def test_gs1_check_digit_matches_published_examples(data: str, check: int) -> None:
    assert gs1_check_digit(data) == check


def test_gs1_check_digit_refuses_non_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        gs1_check_digit("12a4")


@pytest.mark.parametrize(
    "raw",
    [
        FNR,
        f" {FNR}\r\n",
        "010190 22443",
        "010190-22443",
        f"]C0{FNR}",
        f"]d1{FNR}",
        f"{FNR}\n",
    ],
)
def test_bare_identifier_is_read_as_person_identifier(raw: str) -> None:
    result = payload(raw)
    assert result.kind is PayloadKind.PERSON_IDENTIFIER
    assert isinstance(result.identifier, PersonIdentifier)
    assert result.identifier.value == FNR
    assert result.raw == raw
    assert result.gs1_elements == ()


def test_bare_fh_number_is_read_as_person_identifier() -> None:
    result = payload("81234567802")
    assert isinstance(result.identifier, PersonIdentifier)
    assert result.identifier.kind is IdentifierKind.FHN


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("01019022453", RejectionReason.CHECK_DIGIT_1),
        ("01019022444", RejectionReason.CHECK_DIGIT_2),
        ("010190 22444", RejectionReason.CHECK_DIGIT_2),
        ("29020030052", RejectionReason.NO_SUCH_DATE),
    ],
)
def test_bare_identifier_with_an_error_gives_the_identifier_reason(
    raw: str, reason: RejectionReason
) -> None:
    result = error(raw)
    assert result.reason is reason
    assert result.identifier_error is not None
    assert result.identifier_error.reason is reason


@pytest.mark.parametrize(
    "raw",
    [
        f"8018{GSRN}",
        f"]d28018{GSRN}",
        f"]C18018{GSRN}",
        f"]Q38018{GSRN}",
        f"]d2{GS}8018{GSRN}",  # FNC1 in first position sent as GS
        f"8018{GSRN}\r\n",
        f"]d201{GTIN}8018{GSRN}",  # predefined fixed length before: no separator needed
        f"]d28018{GSRN}{GS}10ABC123",  # separator after, then a variable field
        f"]d28018{GSRN}10ABC123",  # no separator after the fixed 18 digits: tolerated
        f"]d210LOT42{GS}8018{GSRN}",  # variable field before, ended by GS
        f"]d217251231{GS}8018{GSRN}",  # expiry date (predefined 6), stray GS after it
        f"]d23103000123{GS}8018{GSRN}",  # net weight 31xx, predefined 6
        f"]d200012345678901234567{GS}8018{GSRN}",  # SSCC
        f"]d28018{GSRN}<GS>10ABC",
        f"]d28018{GSRN}<gs>10ABC",
        f"]d28018{GSRN}\\x1d10ABC",
        f"]d2<GS>8018{GSRN}",
        f"]d291internal{GS}8018{GSRN}{GS}92more",
    ],
)
def test_raw_gs1_payload_with_ai_8018_gives_the_gsrn(raw: str) -> None:
    result = payload(raw)
    assert result.kind is PayloadKind.GSRN
    assert result.identifier == Gsrn(GSRN)
    assert result.raw == raw
    assert ("8018", GSRN) in result.gs1_elements


def test_gs1_elements_are_listed_in_order() -> None:
    result = payload(f"]d201{GTIN}10LOT{GS}8018{GSRN}{GS}21SERIAL")
    assert result.gs1_elements == (("01", GTIN), ("10", "LOT"), ("8018", GSRN), ("21", "SERIAL"))


@pytest.mark.parametrize(
    "raw",
    [
        f"(8018){GSRN}",
        f"(8018) {GSRN}",
        f"(01){GTIN}(8018){GSRN}",
        f"(8018){GSRN}(10)ABC123(21)X",
        f"]d2(8018){GSRN}",
        f" (8018){GSRN} \n",
    ],
)
def test_bracketed_human_readable_form_gives_the_gsrn(raw: str) -> None:
    result = payload(raw)
    assert result.identifier == Gsrn(GSRN)


def test_gsrn_has_the_gs1_fhir_system() -> None:
    gsrn = payload(f"]d28018{GSRN}").identifier
    assert isinstance(gsrn, Gsrn)
    assert gsrn.system == GSRN_SYSTEM == "https://www.gs1.org/gsrn"
    assert str(gsrn) == GSRN


@pytest.mark.parametrize(
    "raw", [f"]d28018{BAD_GSRN}", f"8018{BAD_GSRN}", f"(8018){BAD_GSRN}", f"]C1{GS}8018{BAD_GSRN}"]
)
def test_gsrn_with_a_wrong_check_digit_is_rejected(raw: str) -> None:
    result = error(raw)
    assert result.reason is WristbandReason.GSRN_CHECK_DIGIT
    assert (result.expected, result.found) == ("7", "8")


@pytest.mark.parametrize(
    "raw",
    [f"]d28018{GSRN[:-1]}", f"(8018){GSRN[:-1]}", f"(8018){GSRN}0", f"]d28018{GSRN[:-1]}{GS}10X"],
)
def test_gsrn_of_the_wrong_length_is_rejected(raw: str) -> None:
    assert error(raw).reason is WristbandReason.GSRN_WRONG_LENGTH


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", WristbandReason.EMPTY),
        ("   \r\n", WristbandReason.EMPTY),
        ("]d2", WristbandReason.EMPTY),
        (f"]d2{GS}", WristbandReason.EMPTY),
        ("hello", WristbandReason.UNRECOGNISED),
        ("abcdefghijk", WristbandReason.UNRECOGNISED),
        ("0101902244A", WristbandReason.UNRECOGNISED),
        ("010190224", WristbandReason.UNRECOGNISED),  # too short for anything
        ("7080001234567", WristbandReason.UNRECOGNISED),  # an EAN-13 off a pack, no AI
        (f"]C0{GSRN}", WristbandReason.UNRECOGNISED),  # non-GS1 Code 128, not 11 digits
        ("https://example.org/patient/1", WristbandReason.UNRECOGNISED),
        (f"]d201{GTIN}17251231", WristbandReason.GS1_WITHOUT_GSRN),  # a medicine pack
        (f"(01){GTIN}", WristbandReason.GS1_WITHOUT_GSRN),
        (f"]d2{FNR}", WristbandReason.GS1_MALFORMED),  # AI 01 needs 14 digits
        (f"]d2{GS}5501234", WristbandReason.GS1_MALFORMED),  # no AI starts with 55
        ("]d2ABC", WristbandReason.GS1_MALFORMED),  # announced as GS1, no AI
        ("]d2801870800012345678901\u00e6", WristbandReason.GS1_MALFORMED),  # not GS1 characters
        ("8018 Kari Nordmann", WristbandReason.UNRECOGNISED),
        ("(8018", WristbandReason.GS1_MALFORMED),
        (f"(8018){GSRN}junk(", WristbandReason.GS1_MALFORMED),
        (f"(8018){GSRN[:-1]}X", WristbandReason.GS1_MALFORMED),
    ],
)
def test_other_payloads_are_rejected_with_a_reason(raw: str, reason: WristbandReason) -> None:
    result = error(raw)
    assert result.reason is reason
    assert result.raw == raw


def test_very_long_payload_is_rejected_without_parsing() -> None:
    raw = "8018" + "1" * 10_000
    result = error(raw)
    assert result.reason is WristbandReason.TOO_LONG
    assert (result.expected, result.found) == (str(MAX_PAYLOAD_LENGTH), "10004")
    assert len(result.raw_visible) <= 80


def test_control_characters_are_made_visible_for_messages() -> None:
    result = error(f"]d2{GS}55\x07AB\r\n")
    assert result.raw_visible == "]d2<GS>55<U+0007>AB<CR><LF>"


def test_visible_text_shortens_long_text_with_an_ellipsis() -> None:
    shown = visible_text("x" * 200, limit=10)
    assert shown == "x" * 9 + "…"


@given(st.text(max_size=100))
def test_any_text_gives_a_payload_or_a_reason_never_an_exception(raw: str) -> None:
    result = parse_wristband(raw)
    assert isinstance(result, WristbandPayload | WristbandError)
    assert result.raw == raw


@given(st.text("0123456789", min_size=17, max_size=17))
def test_any_well_formed_gsrn_round_trips(data: str) -> None:
    gsrn = data + str(gs1_check(data))
    for raw in (f"]d28018{gsrn}", f"(8018){gsrn}", f"8018{gsrn}"):
        assert payload(raw).identifier == Gsrn(gsrn)
