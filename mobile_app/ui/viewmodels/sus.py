"""The System Usability Scale questionnaire for evaluators: offered now and then, optional, anonymous.

``offer_if_due`` decides whether the offer card shows (and logs ``sus_offered``); ``SusOffer`` is the
card's state on the home screen; ``SusState`` holds the ten answers, refuses an incomplete form, and
logs the score (``sus_submitted``) or the dismissal (``sus_dismissed``). Nothing here knows about
Flet controls or the page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import flet as ft

from mobile_app.services.usage import SUS_ITEMS_EN, SusSchedule, sus_score
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms
from mobile_app.ui.viewmodels.navigator import Navigator
from mobile_app.ui.viewmodels.pushed import PushedScreen

SUS_ITEM_COUNT = len(SUS_ITEMS_EN)
SUS_SCALE = (1, 2, 3, 4, 5)  # 1 strongly disagree ... 5 strongly agree


def offer_if_due(ctx: AppContext, schedule: SusSchedule | None) -> bool:
    """True when the offer card should show now; then the offer is logged and the count restarts."""
    if schedule is None or not schedule.due(ctx.now()):
        return False
    schedule.offered(ctx.now())
    ctx.event("sus_offered")
    return True


def dismiss_offer(ctx: AppContext, schedule: SusSchedule | None) -> None:
    """The evaluator said "not now" (on the offer card or in the questionnaire): logged, and not asked
    again for a while."""
    ctx.event("sus_dismissed")
    if schedule is not None:
        schedule.dismissed(ctx.now())


@ft.observable
@dataclass(eq=False, repr=False)
class SusState(PushedScreen):
    """One filling-in of the questionnaire: ten answers from 1 to 5, then a score or a dismissal."""

    TITLE = "sus.title"
    USAGE_NAME = "sus_questionnaire"

    ctx: AppContext
    schedule: SusSchedule | None = None
    answers: list[int | None] = field(default_factory=lambda: [None] * SUS_ITEM_COUNT)
    problem: Problem | None = None
    done: bool = False  # submitted: the screen thanks the evaluator
    dismissed: bool = False
    score: float | None = None
    _started: float = field(default_factory=time.perf_counter)

    def forget(self) -> None:
        """The answers are about the app, not about patients: nothing to drop."""

    @property
    def missing(self) -> list[int]:
        """The numbers (1 to 10) of the statements not answered yet."""
        return [number for number, answer in enumerate(self.answers, start=1) if answer is None]

    def answer(self, item_index: int, value: int) -> None:
        """Answer statement ``item_index`` (0 to 9) with ``value`` (1 to 5)."""
        if not 0 <= item_index < SUS_ITEM_COUNT:
            raise ValueError(f"SUS item index must be from 0 to {SUS_ITEM_COUNT - 1}")
        if isinstance(value, bool) or value not in SUS_SCALE:
            raise ValueError("A SUS answer must be a whole number from 1 to 5")
        answers = list(self.answers)
        answers[item_index] = value
        self.answers = answers
        if self.problem is not None:  # keep the list of what is missing up to date, or clear it
            self.problem = self._incomplete()

    def submit(self) -> float | None:
        """Score and log the answers; None (with a problem naming the gaps) while any is missing."""
        if self.done:
            return self.score
        self.problem = self._incomplete()
        if self.problem is not None:
            return None
        answers = [answer for answer in self.answers if answer is not None]
        duration = elapsed_ms(self._started)
        usage = self.ctx.usage
        score = usage.record_sus(answers, duration_ms=duration) if usage is not None else sus_score(answers)
        if self.schedule is not None:
            self.schedule.answered(self.ctx.now())
        self.score = score
        self.done = True
        return score

    def dismiss(self) -> None:
        """Leave without answering (once; nothing happens after a submit)."""
        if self.done or self.dismissed:
            return
        self.dismissed = True
        dismiss_offer(self.ctx, self.schedule)

    def _incomplete(self) -> Problem | None:
        missing = self.missing
        if not missing:
            return None
        return Problem("sus.incomplete", {"items": ", ".join(str(number) for number in missing)}, retryable=False)


@ft.observable
@dataclass(eq=False, repr=False)
class SusOffer:
    """The offer card on the home screen: shown after a login when the schedule says so."""

    ctx: AppContext
    nav: Navigator
    schedule: SusSchedule | None = None  # when to offer the questionnaire (None: never)
    shown: bool = False

    def __repr__(self) -> str:
        return f"SusOffer(shown={self.shown})"

    def offer_if_due(self) -> None:
        self.shown = offer_if_due(self.ctx, self.schedule)

    def open(self) -> SusState:
        """The questionnaire, from the card."""
        self.shown = False
        return self.nav.push(SusState(self.ctx, self.schedule))

    def dismiss(self) -> None:
        self.shown = False
        dismiss_offer(self.ctx, self.schedule)

    def session_completed(self) -> None:
        """A usage session ended: one more towards the next offer."""
        if self.schedule is not None:
            self.schedule.session_completed()

    def forget(self) -> None:
        self.shown = False
