"""Which component shows each screen pushed over the tabs, found by the class of the screen's state.

A screen module registers its component where it is defined::

    @shows(ScanState)
    @ft.component
    def ScanScreen(app: AppState, scan: ScanState, t: Messages) -> ft.Control: ...

The shell asks ``view_for(type(screen))``; every module in ``mobile_app/ui/screens/`` is imported once
before the first look-up, so a new screen module needs no line anywhere else.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

import flet as ft

from mobile_app.ui import screens
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.pushed import PushedScreen

S = TypeVar("S", bound=PushedScreen)
View = Callable[[AppState, S, Messages], ft.Control]  # a component: (app, the screen's state, t)
ScreenView = View[Any]

_VIEWS: dict[type[PushedScreen], ScreenView] = {}


def shows(state: type[S]) -> Callable[[View[S]], View[S]]:
    """Register the decorated component as the view of screens whose state is ``state``."""
    def register(view: View[S]) -> View[S]:
        if _VIEWS.get(state, view) is not view:
            raise ValueError(f"{state.__name__} already has a view: {_VIEWS[state].__name__}")
        _VIEWS[state] = view
        return view
    return register


@functools.cache
def load_screens() -> None:
    """Import every screen module (once), so that each has registered its view."""
    for module in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"{screens.__name__}.{module.name}")


def view_for(kind: type[PushedScreen]) -> ScreenView:
    """The component that shows screens of this state class (registered for it or a base class)."""
    load_screens()
    for base in kind.__mro__:
        view = _VIEWS.get(base)
        if view is not None:
            return view
    raise LookupError(f"No view shows {kind.__name__}: decorate its component with @shows({kind.__name__})")
