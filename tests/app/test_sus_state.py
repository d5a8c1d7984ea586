"""The SUS questionnaire's state: incomplete forms are refused, answers are scored and logged, a
dismissal is logged, and without a usage log nothing breaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mobile_app.services.session import Session
from mobile_app.services.usage import SusSchedule, UsageConfig, UsageLog
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.sus import SusState, dismiss_offer, offer_if_due
from tests.support.fake_epj import FakeClient

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BEST = [5, 1, 5, 1, 5, 1, 5, 1, 5, 1]


@pytest.fixture
def usage(tmp_path: Path) -> Iterator[UsageLog]:
    log = UsageLog(UsageConfig(directory=tmp_path, strict=True, write_interval_s=0.05))
    yield log
    log.close()


@pytest.fixture
def schedule(tmp_path: Path) -> SusSchedule:
    return SusSchedule.in_directory(tmp_path, every_sessions=2, min_days_between=30)


@pytest.fixture
def ctx(client: FakeClient, session: Session, usage: UsageLog) -> AppContext:
    return AppContext(client=client, session=session, usage=usage, now=lambda: NOW)


def records(usage: UsageLog, event: str) -> list[dict[str, Any]]:
    assert usage.flush(5.0)
    found = [json.loads(line) for path in sorted(usage.config.directory.glob("usage-*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    return [record for record in found if record["event"] == event]


def fill(state: SusState, answers: list[int]) -> None:
    for index, value in enumerate(answers):
        state.answer(index, value)


def test_a_new_questionnaire_has_ten_unanswered_statements(ctx: AppContext) -> None:
    state = SusState(ctx)
    assert state.answers == [None] * 10
    assert state.missing == list(range(1, 11))


def test_an_incomplete_form_is_refused_naming_the_missing_statements(ctx: AppContext, usage: UsageLog) -> None:
    state = SusState(ctx)
    for index in (0, 1, 2, 4, 5, 6, 8):
        state.answer(index, 3)
    assert state.submit() is None
    assert state.problem is not None and state.problem.key == "sus.incomplete"
    assert state.problem.params == {"items": "4, 8, 10"}
    assert Messages("nb")(state.problem.key, **state.problem.params) == "Svar på alle utsagnene. Mangler: 4, 8, 10."
    assert not state.done and state.score is None
    assert records(usage, "sus_submitted") == []


def test_the_missing_list_shrinks_as_answers_come_and_clears_when_complete(ctx: AppContext) -> None:
    state = SusState(ctx)
    fill(state, [3] * 8)
    state.submit()
    state.answer(8, 2)
    assert state.problem is not None and state.problem.params == {"items": "10"}
    state.answer(9, 2)
    assert state.problem is None


@pytest.mark.parametrize(("answers", "score"), [([3] * 10, 50.0), (BEST, 100.0), ([1, 5] * 5, 0.0),
                                                ([4, 1, 4, 2, 3, 2, 5, 1, 4, 3], 77.5)])
def test_a_complete_form_is_scored_and_logged(ctx: AppContext, usage: UsageLog, answers: list[int],
                                              score: float) -> None:
    state = SusState(ctx)
    fill(state, answers)
    assert state.submit() == score
    assert state.done and state.score == score and state.problem is None
    [record] = records(usage, "sus_submitted")
    assert record["attrs"] == {"score": score, **{f"q{n}": a for n, a in enumerate(answers, 1)}}
    assert record["duration_ms"] >= 0


def test_submitting_twice_logs_once(ctx: AppContext, usage: UsageLog) -> None:
    state = SusState(ctx)
    fill(state, BEST)
    assert state.submit() == state.submit() == 100.0
    assert len(records(usage, "sus_submitted")) == 1


def test_an_answer_replaces_the_answer_given_before(ctx: AppContext) -> None:
    state = SusState(ctx)
    fill(state, [3] * 10)
    state.answer(0, 5)
    state.answer(0, 4)  # statement 1 scores 4 - 1 = 3 instead of 2
    assert state.answers[0] == 4
    assert state.submit() == 52.5


@pytest.mark.parametrize(("index", "value"), [(-1, 3), (10, 3), (0, 0), (0, 6), (0, True)])
def test_answers_outside_the_scale_are_refused(ctx: AppContext, index: int, value: int) -> None:
    with pytest.raises(ValueError):
        SusState(ctx).answer(index, value)


def test_an_answer_marks_the_schedule_so_it_is_not_asked_again_soon(ctx: AppContext, schedule: SusSchedule) -> None:
    for _ in range(2):
        schedule.session_completed()
    state = SusState(ctx, schedule)
    fill(state, [3] * 10)
    state.submit()
    for _ in range(5):
        schedule.session_completed()
    assert not schedule.due(NOW + timedelta(days=29))
    assert schedule.due(NOW + timedelta(days=30))


def test_dismissing_is_logged_once_and_marks_the_schedule(ctx: AppContext, usage: UsageLog,
                                                          schedule: SusSchedule) -> None:
    for _ in range(3):
        schedule.session_completed()
    state = SusState(ctx, schedule)
    state.dismiss()
    state.dismiss()
    assert len(records(usage, "sus_dismissed")) == 1
    assert records(usage, "sus_submitted") == []
    assert schedule.sessions == 0 and not schedule.due(NOW + timedelta(days=31))


def test_dismissing_after_submitting_logs_nothing(ctx: AppContext, usage: UsageLog) -> None:
    state = SusState(ctx)
    fill(state, BEST)
    state.submit()
    state.dismiss()
    assert records(usage, "sus_dismissed") == []


def test_the_offer_is_logged_when_due_and_a_dismissed_offer_waits(ctx: AppContext, usage: UsageLog,
                                                                  schedule: SusSchedule) -> None:
    assert not offer_if_due(ctx, schedule)
    assert not offer_if_due(ctx, None)
    for _ in range(2):
        schedule.session_completed()
    assert offer_if_due(ctx, schedule)
    assert not offer_if_due(ctx, schedule)  # the offer restarted the count
    dismiss_offer(ctx, schedule)
    assert len(records(usage, "sus_offered")) == 1
    assert len(records(usage, "sus_dismissed")) == 1


def test_without_a_usage_log_or_schedule_nothing_breaks(client: FakeClient, session: Session) -> None:
    ctx = AppContext(client=client, session=session)
    state = SusState(ctx)
    fill(state, BEST)
    assert state.submit() == 100.0 and state.done
    other = SusState(ctx)
    other.dismiss()
    assert other.dismissed
    dismiss_offer(ctx, None)
