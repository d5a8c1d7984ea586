"""Downsampling trend charts: properties over generated series, and the points a chart draws."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobile_app.domain.models import LabFlag, LabResult
from mobile_app.domain.trend import TrendPoint, downsample, trend_points

START = datetime(2020, 1, 1, tzinfo=UTC)


def point(seconds: float, value: float, flag: LabFlag = LabFlag.NORMAL, result_id: str = "") -> TrendPoint:
    return TrendPoint(START + timedelta(seconds=seconds), value, flag, result_id or f"{seconds}:{value}")


@st.composite
def series(draw: st.DrawFn, max_size: int = 2000) -> list[TrendPoint]:
    """Time-sorted series, with repeated times and values, spread over minutes to years."""
    offsets = draw(st.lists(st.integers(0, 10**8), max_size=max_size))
    values = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, 4.0, 4.0, 140.0])
    points = [point(o, draw(values), result_id=str(i)) for i, o in enumerate(sorted(offsets))]
    return points


targets = st.integers(2, 400)


@settings(max_examples=300, deadline=None)
@given(series(), targets)
def test_the_global_minimum_and_maximum_are_always_kept(points: list[TrendPoint], target: int) -> None:
    kept = downsample(points, target)
    if points:
        assert min(p.value for p in kept) == min(p.value for p in points)
        assert max(p.value for p in kept) == max(p.value for p in points)


@settings(max_examples=300, deadline=None)
@given(series(), targets)
def test_the_output_is_time_sorted_and_no_larger_than_the_target(points: list[TrendPoint], target: int) -> None:
    kept = downsample(points, target)
    assert len(kept) <= max(target, 0)
    assert all(a.time <= b.time for a, b in itertools.pairwise(kept))


@settings(max_examples=200, deadline=None)
@given(series(), targets)
def test_only_points_of_the_input_are_kept_each_once(points: list[TrendPoint], target: int) -> None:
    kept = downsample(points, target)
    ids = [p.result_id for p in kept]
    assert len(ids) == len(set(ids))
    assert set(ids) <= {p.result_id for p in points}


@settings(max_examples=200, deadline=None)
@given(series(max_size=300), st.integers(300, 1000))
def test_a_series_within_the_target_is_returned_unchanged(points: list[TrendPoint], target: int) -> None:
    assert downsample(points, target) == points


@settings(max_examples=200, deadline=None)
@given(series(), st.integers(4, 400))
def test_the_first_and_last_points_are_kept(points: list[TrendPoint], target: int) -> None:
    kept = downsample(points, target)
    if points:
        assert kept[0] == points[0]
        assert kept[-1] == points[-1]


@settings(max_examples=200, deadline=None)
@given(series(max_size=1500), st.integers(10, 300))
def test_every_time_bucket_keeps_its_own_extremes(points: list[TrendPoint], target: int) -> None:
    """So a spike between two kept points is never hidden: each bucket's min and max remain."""
    kept = {p.result_id for p in downsample(points, target)}
    if len(points) <= target:
        return
    buckets = (target - 2) // 2
    start, end = points[0].time.timestamp(), points[-1].time.timestamp()
    span = end - start
    grouped: dict[int, list[TrendPoint]] = {}
    for i, p in enumerate(points):
        b = min(int((p.time.timestamp() - start) / span * buckets), buckets - 1) if span else i * buckets // len(points)
        grouped.setdefault(b, []).append(p)
    for members in grouped.values():
        assert any(p.result_id in kept and p.value == min(m.value for m in members) for p in members)
        assert any(p.result_id in kept and p.value == max(m.value for m in members) for p in members)


def test_unsorted_input_comes_out_sorted() -> None:
    points = [point(30, 1), point(10, 5), point(20, 3)]
    assert [p.value for p in downsample(points, 10)] == [5, 3, 1]


def test_a_lone_spike_among_thousands_of_normal_values_is_kept() -> None:
    points = [point(i * 3600, 4.0 + (i % 7) * 0.05) for i in range(5000)]
    points[3217] = point(3217 * 3600, 6.9, LabFlag.CRITICAL_HIGH, "spike")
    points[4444] = point(4444 * 3600, 2.1, LabFlag.CRITICAL_LOW, "dip")
    kept = downsample(points, 300)
    assert len(kept) <= 300
    assert {"spike", "dip"} <= {p.result_id for p in kept}


def test_points_all_at_one_instant_are_cut_by_position() -> None:
    points = [point(0, float(v), result_id=str(i)) for i, v in enumerate(range(1000))]
    kept = downsample(points, 50)
    assert len(kept) <= 50
    assert kept[0].value == 0 and kept[-1].value == 999


@pytest.mark.parametrize("target", [2, 3])
def test_a_tiny_target_keeps_the_minimum_and_maximum(target: int) -> None:
    points = [point(i, v) for i, v in enumerate([5, 9, 1, 7, 3])]
    assert [p.value for p in downsample(points, target)] == [9, 1]


def test_a_target_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        downsample([point(0, 1)], 1)


def test_trend_points_are_the_numeric_results_oldest_first() -> None:
    def lab(result_id: str, hours: int, value: float | None, text: str | None = None) -> LabResult:
        return LabResult(id=result_id, code="NPU19748", name="P-CRP", value=value, value_text=text,
                         time=START + timedelta(hours=hours), flag=LabFlag.HIGH, comparator="<" if value == 5 else None)

    points = trend_points([lab("b", 2, 40), lab("a", 1, 5), lab("c", 3, None, "Hemolysert")])
    assert [(p.result_id, p.value, p.comparator, p.flag) for p in points] == [
        ("a", 5, "<", LabFlag.HIGH), ("b", 40, None, LabFlag.HIGH)]
