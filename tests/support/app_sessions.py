"""App-state helpers for view-model tests: a logged-in AppState, and a valid fødselsnummer to type."""

from __future__ import annotations

from mobile_app.domain.identifiers import check_digits
from mobile_app.ui.viewmodels.app_state import AppState


async def logged_in(app: AppState) -> AppState:
    """Log the demo doctor in on the fake client."""
    app.flow.login.username, app.flow.login.pin = "lege1", "1234"
    await app.submit_login()
    return app


def valid_fnr() -> str:
    """A fødselsnummer with valid check digits (some individual numbers need a check digit of 10)."""
    for individual in range(100, 500):
        digits = check_digits(f"048350{individual}")
        if digits is not None:
            return f"048350{individual}" + "".join(map(str, digits))
    raise AssertionError("no valid number")
