"""System Usability Scale scoring: odd items answer - 1, even items 5 - answer, sum x 2.5."""

from __future__ import annotations

import pytest

from mobile_app.services.usage import sus_score
from tests.support.usage_logs import MakeLog, day_records


@pytest.mark.parametrize(("answers", "score"), [
    ([5, 1, 5, 1, 5, 1, 5, 1, 5, 1], 100.0),  # the best possible
    ([1, 5, 1, 5, 1, 5, 1, 5, 1, 5], 0.0),  # the worst possible
    ([3] * 10, 50.0),  # neutral everywhere
    ([4, 2, 4, 2, 4, 2, 4, 2, 4, 2], 75.0),
    ([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 50.0),  # agreeing with everything
    ([4, 1, 4, 2, 3, 2, 5, 1, 4, 3], 77.5),  # (3+4+3+3+2+3+4+4+3+2) x 2.5
])
def test_standard_scoring(answers: list[int], score: float) -> None:
    assert sus_score(answers) == score


@pytest.mark.parametrize("answers", [
    [3] * 9, [3] * 11, [], [0, 3, 3, 3, 3, 3, 3, 3, 3, 3], [3, 3, 3, 3, 3, 3, 3, 3, 3, 6],
    [3.0, 3, 3, 3, 3, 3, 3, 3, 3, 3], [True, 3, 3, 3, 3, 3, 3, 3, 3, 3], ["3"] * 10, "3333333333",
])
def test_invalid_answers_are_refused(answers: list[int]) -> None:
    with pytest.raises(ValueError):
        sus_score(answers)


def test_record_sus_logs_the_score_and_the_ten_answers(make_log: MakeLog) -> None:
    usage = make_log()
    usage.start_session("prac-001", "nurse", "ward-med")
    assert usage.record_sus([4, 2, 4, 2, 4, 2, 4, 2, 4, 2], duration_ms=61_000) == 75.0
    assert usage.flush(2)
    [record] = [r for r in day_records(usage.config.directory) if r["event"] == "sus_submitted"]
    assert record["attrs"] == {"score": 75.0, **{f"q{i}": 4 if i % 2 else 2 for i in range(1, 11)}}
    assert record["duration_ms"] == 61_000.0
