"""App-state helpers for view-model tests: a logged-in AppState, and a valid fødselsnummer to type."""

from __future__ import annotations

from mobile_app.domain.identifiers import check_digits
from mobile_app.services.session import Session, User
from mobile_app.ui.viewmodels.app_state import AppState
from tests.support.fake_epj import FakeClient

SESSION_PIN = "2580"  # the PIN the tests' users pick for the session (1234 is too easy to guess)


async def no_browser(url: str) -> None:
    """A URL opener for tests: the fake EPJ's login page needs no browser."""


async def sign_in(app: AppState, user: str = "lege1", pin: str = SESSION_PIN, again: str | None = None) -> None:
    """Log ``user`` in through the fake EPJ's login page and choose a session PIN, as the login
    screen does."""
    client = app.ctx.client
    assert isinstance(client, FakeClient), "sign_in drives the fake EPJ's login page"
    client.page_user = user
    if app.ctx.sign_in is None:
        app.ctx.sign_in = client.sign_in
    await app.open_login_page(no_browser)
    app.flow.login.pin, app.flow.login.pin_again = pin, pin if again is None else again
    await app.submit_login()


async def begun(session: Session, user: str = "lege1", pin: str = SESSION_PIN) -> User:
    """A services-level session begun for ``user`` after the fake EPJ's login page."""
    client = session.client
    assert isinstance(client, FakeClient), "begun drives the fake EPJ's login page"
    client.page_user = user
    return await session.begin(await client.sign_in(no_browser), pin)


async def logged_in(app: AppState) -> AppState:
    """Log the demo doctor in on the fake client."""
    await sign_in(app)
    return app


def valid_fnr() -> str:
    """A fødselsnummer with valid check digits (some individual numbers need a check digit of 10)."""
    for individual in range(100, 500):
        digits = check_digits(f"048350{individual}")
        if digits is not None:
            return f"048350{individual}" + "".join(map(str, digits))
    raise AssertionError("no valid number")
