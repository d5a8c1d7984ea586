"""The patient's lab tab: newest results by group, what is new to this user, signing, following
and microbiology.

Results load when the tab opens (not with the overview). "New" compares each result with when
this user last opened this patient's lab tab; those times live in ``LabSeen``, in memory only, and
are dropped at logout. Signing is all or nothing: a ``SignConflict`` becomes a message naming the
result, who changed it and when, and the user reloads before signing again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import flet as ft

from mobile_app.domain.labs import is_new
from mobile_app.domain.models import (
    ChangedResult,
    LabGroup,
    LabPanel,
    LabResult,
    MicroReport,
    Practitioner,
    SignedResult,
)
from mobile_app.domain.roles import Action
from mobile_app.epj.errors import AuthError, EpjError
from mobile_app.epj.signing import SignConflict
from mobile_app.ui import format as fmt
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, guarded, log_error, problem_for

BLOOD, MICRO = "blood", "micro"  # the two sections of the lab tab


class LabSeen:
    """When each user last opened each patient's lab tab. In memory only; ``clear`` at logout."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    def get(self, user_id: str, patient_id: str) -> datetime | None:
        return self._seen.get((user_id, patient_id))

    def mark(self, user_id: str, patient_id: str, at: datetime) -> None:
        self._seen[(user_id, patient_id)] = at

    def clear(self) -> None:
        self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


def with_signatures(panel: LabPanel, signed: list[SignedResult]) -> LabPanel:
    """The panel with freshly signed results showing their signature and new version."""
    by_id = {s.id: s for s in signed}

    def sign(result: LabResult) -> LabResult:
        found = by_id.get(result.id)
        if found is None:
            return result
        return result.model_copy(update={"signature": found.signature, "version": found.version or result.version})

    return panel.model_copy(update={
        "latest": tuple(sign(r) for r in panel.latest),
        "history": {key: tuple(sign(r) for r in results) for key, results in panel.history.items()},
    })


def conflict_problem(error: SignConflict, panel: LabPanel | None) -> Problem:
    """'P-Kalium was changed by NAME at HH:MM': what changed, who and when."""
    names = {r.id: r.name for r in panel.latest} if panel else {}
    changed: tuple[ChangedResult, ...] = error.changed
    first = changed[0] if changed else None
    name = ", ".join(c.name or names.get(c.id) or c.id for c in changed) or "?"
    when = first.changed_at if first else None
    return Problem("lab.sign_conflict", {
        "name": name, "who": (first.changed_by if first else None) or "?",
        "when": fmt.day_time(when) if when else "?",
    })


@ft.observable
@dataclass(eq=False, repr=False)
class LabState:
    ctx: AppContext
    patient_id: str
    seen: LabSeen
    panel: LabPanel | None = None
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    last_looked: datetime | None = None  # this user's previous visit: results after it are new
    section: str = BLOOD
    selected: frozenset[str] = frozenset()
    signing: bool = False
    sign_problem: Problem | None = None
    conflict: Problem | None = None
    signed_now: int = 0  # how many were signed by the last press of "Signer"
    following: bool | None = None  # None until the server has said
    follow_busy: bool = False
    follow_problem: Problem | None = None
    micro: list[MicroReport] | None = None
    micro_status: Status = Status.IDLE
    micro_problem: Problem | None = None

    def __repr__(self) -> str:  # short and without patient data: Flet logs its messages with repr
        return f"LabState(status={self.status.value})"

    # ------------------------------------------------------------ what is shown

    def groups(self) -> tuple[tuple[LabGroup, tuple[LabResult, ...]], ...]:
        return self.panel.groups() if self.panel else ()

    @property
    def pending(self) -> tuple[LabResult, ...]:
        return self.panel.pending if self.panel else ()

    def is_new(self, result: LabResult) -> bool:
        return is_new(result, self.last_looked)

    @property
    def new_count(self) -> int:
        return sum(1 for r in (self.panel.latest if self.panel else ()) if self.is_new(r))

    @property
    def may_sign(self) -> bool:
        """Only doctors sign results: for other roles nothing is offered for signing."""
        return self.ctx.may(Action.SIGN_RESULTS)

    def signable(self) -> tuple[LabResult, ...]:
        """The shown results this user can sign: newest per analyte, with a value, unsigned (none
        when the user's role does not sign results)."""
        if not self.may_sign:
            return ()
        return tuple(r for r in (self.panel.latest if self.panel else ())
                     if not r.signed and not r.pending and r.version and r.status != "cancelled")

    def result(self, result_id: str) -> LabResult | None:
        if self.panel is None:
            return None
        return next((r for r in self.panel.latest if r.id == result_id), None)

    # ------------------------------------------------------------ loading

    async def opened(self) -> None:
        """The user opened the lab tab: this visit's "new" is relative to the previous visit."""
        user = self.ctx.session.user
        if user is None:
            return
        started, timer = self.ctx.now(), time.perf_counter()
        self.last_looked = self.seen.get(user.practitioner_id, self.patient_id)
        self.seen.mark(user.practitioner_id, self.patient_id, started)
        self.conflict = None
        self.signed_now = 0
        await asyncio.gather(self.reload(), self.load_following())
        if self.panel is not None and self.problem is None:
            self.ctx.event("lab_view", duration_ms=elapsed_ms(timer), outcome="success", patient_id=self.patient_id,
                           result_count=len(self.panel.latest), new_count=self.new_count)
        else:
            self.ctx.event("lab_view", duration_ms=elapsed_ms(timer), outcome="failure", patient_id=self.patient_id)
        if self.section == MICRO:
            await self.load_micro()

    async def reload(self) -> None:
        """Fetch the results again (after a conflict, or on "Oppdater"); keeps this visit's "new"."""
        self.status = Status.LOADING
        panel, problem = await guarded(self.ctx, lambda: self.ctx.client.lab_results(self.patient_id))
        if problem is not None:
            self.problem = problem
            self.status = Status.ERROR  # the results already shown stay, marked with their time
            return
        self.panel = panel
        self.fetched_at = self.ctx.now()
        self.problem = None
        self.conflict = None
        still = {r.id for r in self.signable()}
        self.selected = frozenset(i for i in self.selected if i in still)
        self.status = Status.READY

    async def load_following(self) -> None:
        user = self.ctx.session.user
        if user is None:
            return
        followed, problem = await guarded(self.ctx, lambda: self.ctx.client.following(user.practitioner_id))
        if problem is None:
            self.following = self.patient_id in followed
        self.follow_problem = problem

    async def show_section(self, section: str) -> None:
        self.section = section
        if section == MICRO:
            started, cached = time.perf_counter(), self.micro is not None
            if self.micro is None:
                await self.load_micro()
            outcome = "failure" if self.micro is None else "success" if self.micro else "empty"
            self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), outcome=outcome, screen="microbiology",
                           cached=cached)

    async def load_micro(self) -> None:
        self.micro_status = Status.LOADING
        reports, problem = await guarded(self.ctx, lambda: self.ctx.client.microbiology(self.patient_id))
        if problem is not None:
            self.micro_problem = problem
            self.micro_status = Status.ERROR
            return
        self.micro = list(reports)
        self.micro_problem = None
        self.micro_status = Status.READY

    # ------------------------------------------------------------ signing

    def toggle(self, result_id: str) -> None:
        if result_id in self.selected:
            self.selected = self.selected - {result_id}
        elif any(r.id == result_id for r in self.signable()):
            self.selected = self.selected | {result_id}
        self.signed_now = 0

    def select_all(self) -> None:
        every = frozenset(r.id for r in self.signable())
        self.selected = frozenset() if self.selected == every else every
        self.signed_now = 0

    async def sign(self) -> bool:
        """Sign the selected results; True when they are signed. Nothing is signed on a conflict."""
        user = self.ctx.session.user
        chosen = [r for r in self.signable() if r.id in self.selected]
        if user is None or not chosen or self.signing or self.panel is None:
            return False
        signer = Practitioner(id=user.practitioner_id, name=user.name, role=user.role)
        self.signing, self.sign_problem, self.conflict = True, None, None
        started, outcome = time.perf_counter(), "failure"
        try:
            signed = await self.ctx.client.sign_results(chosen, signer)
            outcome = "success"
        except SignConflict as error:
            outcome = "conflict"
            self.conflict = conflict_problem(error, self.panel)
            return False
        except AuthError as error:
            log_error(self.ctx, error, "labs")
            self.ctx.on_auth_error(error)
            return False
        except EpjError as error:
            log_error(self.ctx, error, "labs")
            self.sign_problem = problem_for(error)
            return False
        finally:
            self.signing = False
            self.ctx.event("result_signed", duration_ms=elapsed_ms(started), outcome=outcome,
                           patient_id=self.patient_id, count=len(chosen))
        if self.panel is not None:
            self.panel = with_signatures(self.panel, signed)
        self.selected = frozenset()
        self.signed_now = len(signed)
        return True

    # ------------------------------------------------------------ following

    async def set_following(self, follow: bool) -> None:
        """Follow or stop following this patient's results; the switch shows what the server did."""
        user = self.ctx.session.user
        if self.follow_busy or user is None:
            return
        me = user.practitioner_id
        before = self.following
        self.following, self.follow_busy, self.follow_problem = follow, True, None
        client = self.ctx.client
        _, problem = await guarded(self.ctx, lambda: client.follow(me, self.patient_id) if follow
                                   else client.unfollow(me, self.patient_id))
        self.follow_busy = False
        if problem is not None:
            self.following = before
            self.follow_problem = problem

