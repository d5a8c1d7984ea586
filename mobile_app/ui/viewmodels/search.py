"""Patient search as you type: classify the input, debounce, and never let a stale answer win.

An invalid identifier is reported inline and nothing is sent. Each request carries a sequence
number; an answer whose number is not the latest is dropped, so a slow response to "han" can
never overwrite the results for "hansen".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.domain.search_query import (
    BirthDateSearch,
    IdentifierSearch,
    IncompleteSearch,
    InvalidReason,
    InvalidSearch,
    NameSearch,
    SearchKind,
    SearchQuery,
    classify_search,
)
from mobile_app.domain.ward_list import PatientMarkers
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, guarded
from mobile_app.ui.viewmodels.markers import fetch_markers

DEBOUNCE_SECONDS = 0.06  # short enough for a 300 ms answer under 80 ms latency
RESULT_LIMIT = 30


def input_problem(query: SearchQuery) -> Problem | None:
    """The inline message for input that cannot be searched (yet)."""
    if isinstance(query, IncompleteSearch):
        key = f"search.incomplete.{query.reason}"
        return Problem(key) if query.reason != "empty" else None
    if isinstance(query, InvalidSearch):
        if query.reason is InvalidReason.INVALID_IDENTIFIER and query.identifier_error is not None:
            return Problem("search.invalid.invalid_identifier",
                           {"reason_key": f"identifier.{query.identifier_error.reason}"})
        return Problem(f"search.invalid.{query.reason}")
    return None


@ft.observable
@dataclass(eq=False)
class SearchState:
    ctx: AppContext
    text: str = ""
    kind: SearchKind | None = None
    input_problem: Problem | None = None
    status: Status = Status.IDLE
    results: list[PatientSummary] = field(default_factory=list)
    problem: Problem | None = None
    fetched_at: datetime | None = None
    searched_text: str = ""  # the input the shown results belong to
    markers: dict[str, PatientMarkers] = field(default_factory=dict)  # as on the ward list
    debounce_seconds: float = DEBOUNCE_SECONDS
    _seq: int = 0
    _task: asyncio.Task[None] | None = None

    def change(self, text: str) -> None:
        """Called on every keystroke; schedules a search after a short pause in typing."""
        self.text = text
        query = classify_search(text, self.ctx.today())
        self.kind = query.kind
        self.input_problem = input_problem(query)
        self._seq += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if not isinstance(query, NameSearch | IdentifierSearch | BirthDateSearch):
            if not text.strip():
                self.clear()
            return
        self.status = Status.LOADING
        self._task = asyncio.get_running_loop().create_task(self._run(query, self._seq, debounce=True,
                                                                      started=time.perf_counter()))

    async def retry(self) -> None:
        query = classify_search(self.text, self.ctx.today())
        if isinstance(query, NameSearch | IdentifierSearch | BirthDateSearch):
            self._seq += 1
            self.status = Status.LOADING
            await self._run(query, self._seq, debounce=False, started=time.perf_counter())

    async def search_now(self) -> None:
        """Enter pressed: search at once, without waiting for the debounce."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self.retry()

    async def _run(self, query: SearchQuery, seq: int, *, debounce: bool, started: float) -> None:
        """Search after the debounce; the usage event times it from the last keystroke (never the text)."""
        if debounce:
            await asyncio.sleep(self.debounce_seconds)
        client = self.ctx.client
        if isinstance(query, NameSearch):
            words = list(query.words)
            result, problem = await guarded(self.ctx, lambda: client.search_patients_by_name(words, RESULT_LIMIT))
        elif isinstance(query, IdentifierSearch):
            value = query.identifier.value
            result, problem = await guarded(self.ctx, lambda: client.search_patients_by_identifier(value))
        else:
            assert isinstance(query, BirthDateSearch)
            born = query.birth_date
            result, problem = await guarded(
                self.ctx, lambda: client.search_patients_by_birth_date(born, RESULT_LIMIT))
        if seq != self._seq:
            return  # a newer keystroke owns the screen now
        if problem is None:
            self.ctx.event("search", duration_ms=elapsed_ms(started), outcome="success", kind=str(query.kind),
                           result_count=len(result))
        else:
            self.ctx.event("search", duration_ms=elapsed_ms(started), outcome="failure", kind=str(query.kind))
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR  # earlier results stay visible, marked as old
            return
        self.results = list(result)
        self.problem = None
        self.searched_text = self.text
        self.fetched_at = self.ctx.now()
        self.status = Status.READY
        markers = await fetch_markers(self.ctx, self.results)  # after the results are on screen
        if seq == self._seq and markers is not None:
            self.markers = markers

    def clear(self) -> None:
        self._seq += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.text = ""
        self.kind = None
        self.input_problem = None
        self.results = []
        self.markers = {}
        self.problem = None
        self.status = Status.IDLE
        self.searched_text = ""

    @property
    def capped(self) -> bool:
        return len(self.results) >= RESULT_LIMIT
