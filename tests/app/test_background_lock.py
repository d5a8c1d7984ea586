"""Away from the app: a browser tab that disconnects comes back locked (Flet keeps its session, and
"reopen closed tab" would otherwise show it again as it was), and an app in the background for a
while is locked when it comes back."""

from __future__ import annotations

from mobile_app.services.session import Phase
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.session_flow import BACKGROUND_LOCK_SECONDS
from tests.support.app_sessions import logged_in


async def test_a_disconnected_tab_comes_back_locked(app: AppState) -> None:
    await logged_in(app)
    await app.open_patient("p1")
    app.flow.disconnected()
    assert app.flow.phase is Phase.LOCKED and app.ctx.session.phase is Phase.LOCKED
    app.flow.disconnected()  # again: nothing more happens
    assert app.flow.phase is Phase.LOCKED


async def test_a_short_look_away_does_not_lock_a_long_one_does(app: AppState) -> None:
    await logged_in(app)
    app.flow.hidden(100.0)
    app.flow.shown(100.0 + BACKGROUND_LOCK_SECONDS - 1)  # the camera or a file picker
    assert app.flow.phase is Phase.ACTIVE
    app.flow.hidden(200.0)
    app.flow.shown(200.0 + BACKGROUND_LOCK_SECONDS)
    assert app.flow.phase is Phase.LOCKED


async def test_shown_without_having_been_hidden_changes_nothing(app: AppState) -> None:
    await logged_in(app)
    app.flow.shown(10_000.0)
    assert app.flow.phase is Phase.ACTIVE


def test_logged_out_stays_logged_out(app: AppState) -> None:
    app.flow.disconnected()
    app.flow.hidden(0.0)
    app.flow.shown(1000.0)
    assert app.flow.phase is Phase.LOGGED_OUT
