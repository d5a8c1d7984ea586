"""Where the user is: the selected tab and the stack of screens pushed over it.

Moving logs ``screen_shown`` with the tab's or the screen's usage name; what a screen does when it
is closed, what Back does inside it and how it forgets patient data are its own declarations
(see ``pushed.py``), so the navigator never names a screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

import flet as ft

from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.pushed import PushedScreen

S = TypeVar("S", bound=PushedScreen)


class Tab(StrEnum):
    MY_PATIENTS = "my"
    WARD = "ward"
    SEARCH = "search"
    TASKS = "tasks"
    NOTIFICATIONS = "notifications"


TAB_ORDER = (Tab.MY_PATIENTS, Tab.WARD, Tab.SEARCH, Tab.TASKS, Tab.NOTIFICATIONS)
# The usage log's name of each tab.
TAB_USAGE_NAMES = {Tab.MY_PATIENTS: "my_patients", Tab.WARD: "ward_list", Tab.SEARCH: "search",
                   Tab.TASKS: "my_tasks", Tab.NOTIFICATIONS: "notifications"}


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class Navigator:
    ctx: AppContext
    tab: Tab = Tab.MY_PATIENTS
    stack: list[PushedScreen] = field(default_factory=list)
    _moved: list[Callable[[], None]] = field(default_factory=list)  # called on each tab change and push

    def __repr__(self) -> str:  # no screen's repr: it could hold patient data
        return f"Navigator(tab={self.tab.value}, screens={len(self.stack)})"

    def on_move(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the user goes somewhere new (a tab or a pushed screen)."""
        self._moved.append(listener)

    def _move(self) -> None:
        for listener in self._moved:
            listener()

    def select_tab(self, tab: Tab) -> None:
        self._move()
        for screen in self.stack:
            screen.leave()
        self.stack = []
        self.tab = tab
        self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=TAB_USAGE_NAMES[tab], cached=True)

    def push(self, screen: S) -> S:
        self._move()
        self.stack = [*self.stack, screen]
        if screen.USAGE_NAME is not None:
            self.ctx.event("screen_shown", duration_ms=0.0, outcome="success", screen=screen.USAGE_NAME, cached=True)
        return screen

    def back(self) -> bool:
        """Back: inside the top screen first, then close it; False when at a tab already."""
        if not self.stack:
            return False
        top = self.stack[-1]
        if top.step_back():
            return True
        top.leave()
        self.stack = self.stack[:-1]
        return True

    def close(self, screen: PushedScreen) -> None:
        """Take a screen off the stack without Back (it has done its job)."""
        self.stack = [s for s in self.stack if s is not screen]

    def drop(self, kind: type[PushedScreen]) -> None:
        """Take every screen of a kind off the stack (e.g. the scan screen once its patient is open)."""
        self.stack = [s for s in self.stack if not isinstance(s, kind)]

    def top(self, kind: type[S]) -> S | None:
        """The top screen when it is of this kind."""
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, kind) else None

    def reset(self) -> None:
        """The first tab with nothing pushed (a new login)."""
        self.stack = []
        self.tab = Tab.MY_PATIENTS

    def forget(self) -> None:
        """Logout or switch user: every open screen drops its patient data, then the stack goes."""
        for screen in self.stack:
            screen.forget()
        self.reset()
