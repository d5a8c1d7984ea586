"""Flags, critical limits, grouping and "new since you last looked" (mobile_app.domain.labs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.domain.labs import (
    ANALYTES,
    critical_limit,
    display_order,
    interpretation_flag,
    is_new,
    lab_flag,
    lab_group,
    needs_signing,
    new_since,
    normalize_unit,
    parse_compared,
    parse_range_text,
    range_flag,
)
from mobile_app.domain.models import LabFlag, LabGroup, LabPanel, LabResult, Signature

F = LabFlag
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def result(code: str = "NPU03230", name: str = "P-Kalium", *, value: float | None = 4.0,
           issued: datetime | None = None, time: datetime | None = None, flag: LabFlag = F.NORMAL,
           group: LabGroup = LabGroup.CHEMISTRY, signed: bool = False, status: str = "final",
           result_id: str = "o1") -> LabResult:
    return LabResult(id=result_id, code=code, name=name, value=value, flag=flag, group=group,
                     issued=issued, time=time or NOW - timedelta(hours=2), status=status,
                     signature=Signature(name="Kari Nordmann") if signed else None)


@pytest.mark.parametrize(("code", "expected"), [
    ("N", F.NORMAL), ("L", F.LOW), ("H", F.HIGH), ("LL", F.CRITICAL_LOW), ("HH", F.CRITICAL_HIGH),
    ("A", F.ABNORMAL), ("AA", F.CRITICAL), ("LU", F.LOW), ("HU", F.HIGH), ("POS", F.ABNORMAL),
    ("NEG", F.NORMAL), ("DET", F.ABNORMAL), ("ND", F.NORMAL), ("hh", F.CRITICAL_HIGH),
    ("<", None), (">", None), ("U", None), ("IND", None), ("", None), (None, None),
])
def test_interpretation_codes_of_v3_and_v2_map_to_flags(code: str | None, expected: LabFlag | None) -> None:
    assert interpretation_flag(code) is expected


@pytest.mark.parametrize(("value", "comparator", "low", "high", "expected"), [
    (4.0, None, 3.5, 5.0, F.NORMAL),
    (3.5, None, 3.5, 5.0, F.NORMAL),  # the limits belong to the range
    (5.0, None, 3.5, 5.0, F.NORMAL),
    (3.4, None, 3.5, 5.0, F.LOW),
    (5.1, None, 3.5, 5.0, F.HIGH),
    (46, None, None, 5.0, F.HIGH),  # only an upper limit (CRP)
    (2, None, None, 5.0, F.NORMAL),
    (0.2, None, 0.5, None, F.LOW),  # only a lower limit
    (5, "<", None, 5.0, F.NORMAL),  # "<5" against "< 5" is normal
    (5, "<", 3.5, 5.0, F.UNKNOWN),  # "<5" might be below 3.5: cannot tell
    (2, "<", 3.5, 5.0, F.LOW),
    (3.5, "<", 3.5, None, F.LOW),  # strictly below the lower limit
    (3.5, "<=", 3.5, None, F.UNKNOWN),
    (200, ">", None, 5.0, F.HIGH),
    (5, ">", None, 5.0, F.HIGH),
    (5, ">=", None, 5.0, F.UNKNOWN),
    (60, ">", 45, None, F.NORMAL),
])
def test_a_value_is_judged_against_its_range_with_the_comparator(
        value: float, comparator: str | None, low: float | None, high: float | None, expected: LabFlag) -> None:
    assert range_flag(value, comparator, low, high) is expected


def test_no_range_gives_no_range_flag() -> None:
    assert range_flag(4.0, None, None, None) is None


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"value": None, "status": "registered"}, F.PENDING),
    ({"value": None, "status": "preliminary"}, F.PENDING),
    ({"value": 4.0, "status": "registered"}, F.PENDING),
    ({"value": None, "status": "cancelled"}, F.UNKNOWN),
    ({"value": 4.0, "low": 3.5, "high": 5.0}, F.NORMAL),
    ({"value": 4.0}, F.UNKNOWN),  # nothing to judge by
    ({"value": 4.0, "interpretation": "H"}, F.HIGH),  # the lab's word wins over the range
    ({"value": 4.0, "low": 3.5, "high": 5.0, "interpretation": "L"}, F.LOW),
    ({"value": 7.1, "interpretation": "HH"}, F.CRITICAL_HIGH),
    ({"value": 7.1, "low": 3.5, "high": 5.0, "interpretation": "AA"}, F.CRITICAL_HIGH),
    ({"value": 1.1, "low": 3.5, "high": 5.0, "interpretation": "AA"}, F.CRITICAL_LOW),
    ({"value": 4.0, "interpretation": "AA"}, F.CRITICAL),
    ({"value": 5.5, "low": 3.5, "high": 5.0, "interpretation": "A"}, F.HIGH),
    ({"value": 4.5, "low": 3.5, "high": 5.0, "interpretation": "A"}, F.ABNORMAL),
    ({"value": None, "has_text": True}, F.UNKNOWN),
    ({"value": None, "has_text": True, "interpretation": "A"}, F.ABNORMAL),
    ({"value": None, "has_text": True, "interpretation": "N"}, F.NORMAL),
    ({"value": 4.0, "interpretation": "W", "low": 3.5, "high": 5.0}, F.NORMAL),  # unknown code: the range
])
def test_lab_flag(kwargs: dict[str, object], expected: LabFlag) -> None:
    assert lab_flag(**kwargs) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "interpretation", "low", "high", "expected"), [
    (6.5, "H", 3.5, 5.0, F.CRITICAL_HIGH),  # the lab said high; above 6.2 is critical for us
    (6.5, None, 3.5, 5.0, F.CRITICAL_HIGH),
    (6.5, None, None, None, F.CRITICAL_HIGH),
    (2.5, None, None, 5.0, F.CRITICAL_LOW),  # the range has no lower limit, ours does
    (2.5, "L", 3.5, 5.0, F.CRITICAL_LOW),
    (6.1, "H", 3.5, 5.0, F.HIGH),  # within our limit: the lab's high stands
    (2.8, None, 3.5, 5.0, F.LOW),  # the limit itself is not critical
    (6.5, "N", 3.5, 5.0, F.NORMAL),  # the lab's explicit normal is never overruled
    (6.5, "L", 3.5, 5.0, F.LOW),  # nor turned around
    (2.5, "LL", 3.5, 5.0, F.CRITICAL_LOW),
])
def test_our_critical_limits_escalate_potassium_in_the_same_direction(
        value: float, interpretation: str | None, low: float | None, high: float | None,
        expected: LabFlag) -> None:
    assert lab_flag(value=value, interpretation=interpretation, low=low, high=high, code="NPU03230",
                    unit="mmol/L") is expected


@pytest.mark.parametrize(("code", "name", "unit", "value", "expected"), [
    ("NPU03429", "P-Natrium", "mmol/L", 124, F.CRITICAL_LOW),
    ("NPU03429", "P-Natrium", "mmol/L", 156, F.CRITICAL_HIGH),
    ("NPU03429", "P-Natrium", "mmol/L", 125, F.LOW),
    ("NOR05172", "B-Hemoglobin", "g/dL", 6.9, F.CRITICAL_LOW),
    ("NOR05172", "B-Hemoglobin", "g/dL", 7.0, F.LOW),
    ("NOR05172", "B-Hemoglobin", "g/L", 69, F.CRITICAL_LOW),  # the limit for the unit used
    ("NOR05172", "B-Hemoglobin", "mmol/L", 4.0, F.LOW),  # no limit in this unit: the range decides
    ("NOR05172", "B-Hemoglobin", None, 5.0, F.LOW),  # no unit: ours is not applied
    ("NPU19748", "P-CRP", "mg/L", 450, F.HIGH),  # CRP has no critical limit
    ("NPU18016", "P-Kreatinin", "µmol/L", 900, F.HIGH),
    ("X1", "P-Kalium", "mmol/L", 7.0, F.CRITICAL_HIGH),  # known by its name
    ("LAKTAT", "P-Laktat", "mmol/L", 4.5, F.CRITICAL_HIGH),
    ("GLUKOSE", "P-Glukose", "mmol/L", 2.2, F.CRITICAL_LOW),
    ("NPU03568", "B-Trombocytter", "10*9/L", 15, F.CRITICAL_LOW),
])
def test_critical_limits_apply_to_their_analyte_and_unit(
        code: str, name: str, unit: str | None, value: float, expected: LabFlag) -> None:
    ranges = {"NPU03429": (137, 145), "NOR05172": (11.7, 15.3), "NPU19748": (None, 5),
              "NPU18016": (45, 90), "X1": (3.5, 5.0), "LAKTAT": (0.5, 2.2), "GLUKOSE": (4.0, 7.8),
              "NPU03568": (145, 390)}
    if unit == "g/L":
        ranges["NOR05172"] = (117, 153)
    if unit == "mmol/L" and code == "NOR05172":
        ranges["NOR05172"] = (7.3, 9.5)
    low, high = ranges[code]
    assert lab_flag(value=value, low=low, high=high, code=code, name=name, unit=unit) is expected


def test_every_critical_limit_is_outside_the_seeded_reference_ranges() -> None:
    from mock_epj.seed.labs import ANALYTES as SEEDED

    for seeded in SEEDED.values():
        limit = critical_limit(seeded.code, seeded.display, seeded.unit)
        if limit is None:
            continue
        assert limit.low is None or seeded.low is None or limit.low < seeded.low
        assert limit.high is None or seeded.high is None or limit.high > seeded.high


@pytest.mark.parametrize(("unit", "expected"), [
    ("g/dL", "g/dl"), (" mmol/L ", "mmol/l"), ("µmol/L", "umol/l"), ("10*9/L", "10^9/l"),
    ("x10^9/L", "10^9/l"), ("", None), (None, None),
])
def test_units_are_compared_in_one_form(unit: str | None, expected: str | None) -> None:
    assert normalize_unit(unit) == expected


@pytest.mark.parametrize(("code", "name", "group"), [
    ("NOR05172", "B-Hemoglobin", LabGroup.HAEMATOLOGY),
    ("NPU02593", "B-Leukocytter", LabGroup.HAEMATOLOGY),
    ("?", "B-Trombocytter", LabGroup.HAEMATOLOGY),
    ("NPU03429", "P-Natrium", LabGroup.CHEMISTRY),
    ("NPU03230", "P-Kalium", LabGroup.CHEMISTRY),
    ("NPU18016", "P-Kreatinin", LabGroup.CHEMISTRY),
    ("NPU19748", "P-CRP", LabGroup.CHEMISTRY),
    ("GLUKOSE", "P-Glukose", LabGroup.CHEMISTRY),
    ("TNTHS", "P-Troponin T (hs)", LabGroup.CARDIAC),
    ("NTPROBNP", "P-NT-proBNP", LabGroup.CARDIAC),
    ("?", "NT-proBNP", LabGroup.CARDIAC),
    ("?", "S-Troponin I", LabGroup.CARDIAC),
    ("LAKTAT", "P-Laktat", LabGroup.BLOOD_GAS),
    ("?", "aB-pH", LabGroup.BLOOD_GAS),
    ("?", "aB-pCO2", LabGroup.BLOOD_GAS),
    ("?", "P-Ferritin", LabGroup.OTHER),
    ("?", "", LabGroup.OTHER),
    ("?", "Phenytoin", LabGroup.OTHER),  # "ph" must match a whole name, not a prefix of a word
    (None, None, LabGroup.OTHER),
])
def test_tests_are_grouped_by_code_else_by_name(code: str | None, name: str | None, group: LabGroup) -> None:
    assert lab_group(code, name) is group


def test_a_hospitals_local_code_names_its_analyte_only_when_mapped() -> None:
    """Local lab codes are not in the catalogue: the terminology profile maps them to an analyte."""
    local = {"TROP-T": "tnt", "LAKT": "lactate"}
    assert lab_group("TROP-T", None) is LabGroup.OTHER
    assert lab_group("TROP-T", None, local) is LabGroup.CARDIAC
    assert lab_flag(value=4.5, low=0.5, high=4.6, code="LAKT", unit="mmol/L") is F.NORMAL
    assert lab_flag(value=4.5, low=0.5, high=4.6, code="LAKT", unit="mmol/L", local_codes=local) is F.CRITICAL_HIGH
    made = [result("TROP-T", "", group=LabGroup.CARDIAC, result_id="tnt"),
            result("X", "P-NT-proBNP", group=LabGroup.CARDIAC, result_id="bnp")]
    assert [r.id for r in display_order(made)] == ["bnp", "tnt"]  # an unknown test after the known ones
    assert [r.id for r in display_order(made, local)] == ["tnt", "bnp"]  # the catalogue's order
    assert critical_limit("LAKT", None, "mmol/L") is None
    assert critical_limit("LAKT", None, "mmol/L", local) is not None


def test_the_catalogue_names_each_code_once() -> None:
    codes = [code for analyte in ANALYTES for code in analyte.codes]
    assert len(codes) == len(set(codes))


def test_display_order_is_by_group_then_catalogue_then_name_whatever_the_input_order() -> None:
    made = [
        result("X", "P-Zink", group=LabGroup.OTHER, result_id="zn"),
        result("NPU19748", "P-CRP", result_id="crp"),
        result("TNTHS", "P-Troponin T (hs)", group=LabGroup.CARDIAC, result_id="tnt"),
        result("Y", "P-Ferritin", group=LabGroup.OTHER, result_id="ferritin"),
        result("NPU03429", "P-Natrium", result_id="na"),
        result("NOR05172", "B-Hemoglobin", group=LabGroup.HAEMATOLOGY, result_id="hb"),
        result("NPU03230", "P-Kalium", result_id="k"),
    ]
    expected = ["hb", "na", "k", "crp", "tnt", "ferritin", "zn"]
    assert [r.id for r in display_order(made)] == expected
    assert [r.id for r in display_order(reversed(made))] == expected


def test_a_panel_lists_its_groups_in_order_and_only_those_with_results() -> None:
    panel = LabPanel(patient_id="p", fetched_at=NOW, latest=(
        result("NOR05172", "B-Hemoglobin", group=LabGroup.HAEMATOLOGY, result_id="hb"),
        result("TNTHS", "P-Troponin T (hs)", group=LabGroup.CARDIAC, result_id="tnt")))
    assert [g for g, _ in panel.groups()] == [LabGroup.HAEMATOLOGY, LabGroup.CARDIAC]


@pytest.mark.parametrize(("text", "expected"), [
    ("<5", ("<", 5.0)), ("< 5", ("<", 5.0)), (">200", (">", 200.0)), ("<=0,5", ("<=", 0.5)),
    ("≤14", ("<=", 14.0)), ("≥ 60", (">=", 60.0)), ("5", None), ("Negativ", None), ("", None), (None, None),
])
def test_a_compared_value_is_read_from_text(text: str | None, expected: tuple[str, float] | None) -> None:
    assert parse_compared(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("3.5-5.0", (3.5, 5.0)), ("3,5 - 5,0", (3.5, 5.0)), ("137–145", (137.0, 145.0)), ("<5", (None, 5.0)),
    ("<= 14", (None, 14.0)), (">60", (60.0, None)), ("Negativ", (None, None)), ("5-3", (None, None)),
    ("", (None, None)), (None, (None, None)),
])
def test_a_reference_range_is_read_from_text(text: str | None, expected: tuple[float | None, float | None]) -> None:
    assert parse_range_text(text) == expected


def test_a_result_is_new_when_it_arrived_after_the_last_look() -> None:
    looked = NOW - timedelta(hours=1)
    before = result(issued=NOW - timedelta(hours=2), result_id="old")
    after = result(issued=NOW - timedelta(minutes=5), time=NOW - timedelta(hours=3), result_id="new")
    pending = result(value=None, flag=F.PENDING, issued=None, time=NOW, result_id="pending")
    assert not is_new(before, looked)
    assert is_new(after, looked)  # issued counts, not when the sample was taken
    assert not is_new(pending, looked)  # nothing to see yet
    assert [r.id for r in new_since([before, after, pending], looked)] == ["new"]


def test_every_result_is_new_to_someone_who_never_looked() -> None:
    assert is_new(result(issued=NOW - timedelta(days=300)), None)


def test_without_an_issued_time_the_sampling_time_counts() -> None:
    assert is_new(result(issued=None, time=NOW), NOW - timedelta(minutes=1))


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, True),
    ({"signed": True}, False),
    ({"value": None, "flag": F.PENDING}, False),
    ({"status": "cancelled"}, False),
    ({"time": NOW - timedelta(hours=49)}, False),
    ({"time": NOW - timedelta(hours=47)}, True),
])
def test_an_unsigned_recent_result_needs_signing(kwargs: dict[str, object], expected: bool) -> None:
    assert needs_signing(result(**kwargs), NOW) is expected  # type: ignore[arg-type]
