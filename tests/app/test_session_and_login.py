"""Login, idle lock, unlock and logout: the session state machine and the login/lock screens' state."""

from __future__ import annotations

import asyncio
import json
import time

import keyring
import pytest

from mobile_app.epj.errors import AccountLocked, IdTokenInvalid, LoginRefused, Offline, ServerError
from mobile_app.services.browser_login import OpenUrl, SignedIn
from mobile_app.services.login_redirect import LoginTimedOut
from mobile_app.services.session import Phase, Session
from mobile_app.services.token_store import (
    ACCOUNT,
    SERVICE,
    KeyringTokenStore,
    MemoryTokenStore,
    secure_store_available,
)
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.login import LoginStep
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.app_sessions import SESSION_PIN, begun, no_browser, sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.memory_keyring import MemoryKeyring


async def login(app: AppState) -> None:
    await sign_in(app, "lege1")


async def test_successful_login_enters_home_and_loads_lists(app: AppState, client: FakeClient) -> None:
    opened: list[str] = []

    async def browser(url: str) -> None:
        opened.append(url)

    await app.open_login_page(browser)
    assert opened == ["http://fake/fhir/authorize"]  # the EPJ's own page: the app never sees the EPJ's PIN
    login_state = app.flow.login
    assert login_state.step is LoginStep.CHOOSE_PIN and app.flow.phase is Phase.LOGGED_OUT
    assert login_state.who == "Kari Nordmann"
    login_state.pin, login_state.pin_again = SESSION_PIN, SESSION_PIN
    await app.submit_login()
    assert app.flow.phase is Phase.ACTIVE
    assert app.flow.user_name == "Kari Nordmann"
    assert client.token == "tok-lege1"
    assert login_state.pin == "" and login_state.pin_again == ""  # the PIN does not linger in state
    assert login_state.step is LoginStep.START
    assert [w.id for w in app.ward.wards] == ["ward-med", "ward-kir"]
    assert app.my.in_care


@pytest.mark.parametrize(("pin", "again", "key"), [
    ("", "", "login.pin_too_short"),
    ("258", "258", "login.pin_too_short"),
    ("123456789", "123456789", "login.pin_too_long"),
    ("25a0", "25a0", "login.pin_not_digits"),
    ("٢٥٨٠", "٢٥٨٠", "login.pin_not_digits"),  # Arabic-Indic digits: not what the lock screen's keypad types
    ("1234", "1234", "login.pin_guessable"),
    ("7777", "7777", "login.pin_guessable"),
    ("2580", "2581", "login.pin_mismatch"),
])
async def test_a_session_pin_that_will_not_do_has_its_own_message(app: AppState, pin: str, again: str,
                                                                   key: str) -> None:
    await sign_in(app, pin=pin, again=again)
    assert app.flow.phase is Phase.LOGGED_OUT and app.ctx.session.user is None
    assert app.flow.login.problem is not None and app.flow.login.problem.key == key
    assert app.flow.login.step is LoginStep.CHOOSE_PIN  # the EPJ's login is kept: only the PIN again
    assert app.flow.login.pin == "" and app.flow.login.pin_again == ""
    app.flow.login.pin = app.flow.login.pin_again = SESSION_PIN
    await app.submit_login()
    assert app.flow.phase is Phase.ACTIVE


@pytest.mark.parametrize(("error", "key"), [
    (AccountLocked("locked", retry_after=120), "login.locked"),
    (Offline("refused"), "login.offline"),
    (ServerError("500"), "login.server_error"),
    (LoginRefused("cancelled", 400, error="access_denied"), "login.cancelled"),
    (LoginRefused("no", 400, error="invalid_scope"), "login.refused"),
    (IdTokenInvalid("bad signature"), "login.refused"),
])
async def test_login_server_failures(app: AppState, client: FakeClient, error: Exception, key: str) -> None:
    client.fail = error  # type: ignore[assignment]
    await app.open_login_page(no_browser)
    assert app.flow.login.problem is not None
    assert app.flow.login.problem.key == key
    assert app.flow.login.step is LoginStep.START and app.flow.phase is Phase.LOGGED_OUT
    if key == "login.locked":
        assert app.flow.login.problem.params["minutes"] == 2
    await sign_in(app)  # and the button works again
    assert app.flow.phase is Phase.ACTIVE


async def test_a_login_page_left_unanswered_times_out_with_a_message(app: AppState) -> None:
    async def unanswered(open_url: OpenUrl) -> SignedIn:
        raise LoginTimedOut("no answer")

    app.ctx.sign_in = unanswered
    await app.open_login_page(no_browser)
    assert app.flow.login.problem is not None and app.flow.login.problem.key == "login.timed_out"
    assert app.flow.login.step is LoginStep.START


async def test_cancel_while_the_page_is_open_gives_the_login_up(app: AppState) -> None:
    waiting = asyncio.Event()
    given_up = asyncio.Event()

    async def slow(open_url: OpenUrl) -> SignedIn:
        waiting.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            given_up.set()
            raise
        raise AssertionError("not reached")

    app.ctx.sign_in = slow
    task = asyncio.ensure_future(app.open_login_page(no_browser))
    await waiting.wait()
    assert app.flow.login.step is LoginStep.WAITING
    await app.flow.login.cancel()
    await task
    assert given_up.is_set()  # the login's listener is closed with it
    assert app.flow.login.step is LoginStep.START and app.flow.login.problem is None
    assert app.flow.phase is Phase.LOGGED_OUT


async def test_cancel_at_the_pin_step_revokes_the_epjs_login(app: AppState, client: FakeClient) -> None:
    await app.open_login_page(no_browser)
    assert app.flow.login.step is LoginStep.CHOOSE_PIN
    await app.flow.login.cancel()
    assert client.revoked == ["tok-lege1"] and client.token is None
    assert app.flow.login.step is LoginStep.START and app.ctx.session.user is None


async def test_idle_time_locks_and_the_pin_unlocks(app: AppState, clock: MonotonicClock) -> None:
    await login(app)
    app.nav.select_tab(Tab.WARD)
    clock.now += 299
    assert not app.flow.check_idle()
    app.touch()
    clock.now += 299
    assert not app.flow.check_idle()
    clock.now += 2
    assert app.flow.check_idle()
    assert app.flow.phase is Phase.LOCKED
    app.flow.lock.pin = "9999"
    await app.flow.submit_unlock()
    assert app.flow.phase is Phase.LOCKED
    assert app.flow.lock.problem is not None and app.flow.lock.problem.key == "lock.wrong"
    app.flow.lock.pin = SESSION_PIN
    await app.flow.submit_unlock()
    assert app.flow.phase is Phase.ACTIVE
    assert app.nav.tab is Tab.WARD  # back where the user was
    assert app.ward.beds  # and the data is still there


async def test_unlock_works_offline(app: AppState, client: FakeClient) -> None:
    await login(app)
    app.flow.lock_now()
    client.fail = Offline("down")
    app.flow.lock.pin = SESSION_PIN
    await app.flow.submit_unlock()
    assert app.flow.phase is Phase.ACTIVE


async def test_logout_clears_every_piece_of_patient_data(app: AppState, client: FakeClient) -> None:
    await login(app)
    app.search.change("Hansen")
    await app.search.search_now()
    await app.open_patient("p1")
    assert app.search.results and app.nav.stack and app.ward.beds and app.my.recent
    old_patient_screen = app.nav.top(PatientState)
    assert old_patient_screen is not None
    await app.flow.logout()
    assert app.flow.phase is Phase.LOGGED_OUT
    assert client.token is None
    assert app.nav.stack == []
    assert app.search.results == [] and app.search.text == ""
    assert app.ward.beds == [] and app.my.in_care == [] and app.my.recent == []
    assert old_patient_screen.overview is None and old_patient_screen.summary is None
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.logged_out"
    assert client.revoked == ["tok-lege1"]  # the login is revoked at the EPJ


async def test_expired_session_returns_to_login_with_a_message(app: AppState, client: FakeClient) -> None:
    from mobile_app.epj.errors import SessionExpired

    await login(app)
    client.fail = SessionExpired("expired")
    await app.ward.refresh()
    assert app.flow.phase is Phase.LOGGED_OUT
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.expired"
    assert app.ward.beds == []


async def test_the_store_notes_the_session_without_its_token_and_forgets_it_on_logout(session: Session) -> None:
    store = session.token_store
    await begun(session)
    stored = store.load()
    assert stored is not None and stored.username == "lege1" and stored.epj_url == session.client.base_url
    assert "tok-lege1" not in repr(stored) and not hasattr(stored, "token")
    await session.logout()
    assert store.load() is None


async def test_keyring_store_round_trip_and_a_restart_asks_for_a_new_login(clock: MonotonicClock) -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        assert secure_store_available()
        first = Session(FakeClient(), KeyringTokenStore(), clock=clock)
        await begun(first, "spl1")
        assert any('"spl1"' in v for v in backend.values.values())  # the session is noted ...
        assert not any("tok-spl1" in v for v in backend.values.values())  # ... and no token is left on the phone
        # a restarted app finds the session, forgets it and opens nothing: its PIN was in memory only
        again = Session(FakeClient(), KeyringTokenStore(), clock=clock)
        assert again.forget_previous()
        assert again.phase is Phase.LOGGED_OUT and again.user is None
        assert backend.values == {}
    finally:
        keyring.set_keyring(previous)


async def test_an_older_apps_entry_with_its_token_is_found_and_forgotten_at_start(clock: MonotonicClock) -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        client = FakeClient()
        older = {"token": "tok-old", "username": "spl1", "practitioner_id": "prac-spl1", "name": "Sykepleier",
                 "role": "nurse", "expires_at": "2026-12-04T10:00:00+00:00", "epj_url": client.base_url,
                 "failed_unlocks": 2}
        keyring.set_password(SERVICE, ACCOUNT, json.dumps(older))
        again = Session(client, KeyringTokenStore(), clock=clock)
        assert again.forget_previous()  # "the app was restarted and the session has ended"
        assert backend.values == {} and again.user is None
    finally:
        keyring.set_keyring(previous)


def test_no_secure_store_is_detected_and_reported(app: AppState) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        assert not secure_store_available()
    finally:
        keyring.set_keyring(previous)
    assert isinstance(app.ctx.session.token_store, MemoryTokenStore)
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.no_secure_store"


async def test_the_session_gives_the_client_its_break_the_glass_exchange_until_logout(
        session: Session, client: FakeClient) -> None:
    """Break-the-glass tokens come from the login's authorization server (token exchange with the
    login's token); a logged-out session offers none."""
    assert client.exchange is None
    await begun(session)
    assert client.exchange is not None
    token, ends = await client.exchange("p7", "Akutt forverring, tilkalt på vakt")
    assert token == "btg-p7" and ends > time.time() + 3 * 3600
    assert ("break_glass", "p7") in client.calls
    await session.logout()
    assert client.exchange is None
