"""Login, idle lock, unlock and logout: the session state machine and the login/lock screens' state."""

from __future__ import annotations

import keyring
import pytest

from mobile_app.epj.errors import AccountLocked, Offline, ServerError
from mobile_app.services.session import Phase, Session
from mobile_app.services.token_store import KeyringTokenStore, MemoryTokenStore, secure_store_available
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.memory_keyring import MemoryKeyring


async def login(app: AppState, username: str = "lege1", pin: str = "1234") -> None:
    app.flow.login.username = username
    app.flow.login.pin = pin
    await app.submit_login()


async def test_successful_login_enters_home_and_loads_lists(app: AppState, client: FakeClient) -> None:
    await login(app)
    assert app.flow.phase is Phase.ACTIVE
    assert app.flow.user_name == "Kari Nordmann"
    assert client.token == "tok-lege1"
    assert app.flow.login.pin == ""  # the PIN does not linger in state
    assert [w.id for w in app.ward.wards] == ["ward-med", "ward-kir"]
    assert app.my.in_care


@pytest.mark.parametrize(("username", "pin", "key"), [
    ("", "1234", "login.missing_username"),
    ("lege1", "", "login.missing_pin"),
    ("lege1", "0000", "login.wrong"),
])
async def test_login_problems_have_their_own_message(app: AppState, username: str, pin: str, key: str) -> None:
    await login(app, username, pin)
    assert app.flow.phase is Phase.LOGGED_OUT
    assert app.flow.login.problem is not None
    assert app.flow.login.problem.key == key


@pytest.mark.parametrize(("error", "key"), [
    (AccountLocked("locked", retry_after=120), "login.locked"),
    (Offline("refused"), "login.offline"),
    (ServerError("500"), "login.server_error"),
])
async def test_login_server_failures(app: AppState, client: FakeClient, error: Exception, key: str) -> None:
    client.fail = error  # type: ignore[assignment]
    await login(app)
    assert app.flow.login.problem is not None
    assert app.flow.login.problem.key == key
    if key == "login.locked":
        assert app.flow.login.problem.params["minutes"] == 2


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
    app.flow.lock.pin = "1234"
    await app.flow.submit_unlock()
    assert app.flow.phase is Phase.ACTIVE
    assert app.nav.tab is Tab.WARD  # back where the user was
    assert app.ward.beds  # and the data is still there


async def test_unlock_works_offline(app: AppState, client: FakeClient) -> None:
    await login(app)
    app.flow.lock_now()
    client.fail = Offline("down")
    app.flow.lock.pin = "1234"
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
    assert ("logout", None) in client.calls


async def test_expired_session_returns_to_login_with_a_message(app: AppState, client: FakeClient) -> None:
    from mobile_app.epj.errors import SessionExpired

    await login(app)
    client.fail = SessionExpired("expired")
    await app.ward.refresh()
    assert app.flow.phase is Phase.LOGGED_OUT
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.expired"
    assert app.ward.beds == []


async def test_token_is_kept_in_the_token_store_and_removed_on_logout(session: Session) -> None:
    store = session.token_store
    await session.login("lege1", "1234")
    stored = store.load()
    assert stored is not None and stored.token == "tok-lege1"
    await session.logout()
    assert store.load() is None




async def test_keyring_store_round_trip_and_restore_after_restart(clock: MonotonicClock) -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        assert secure_store_available()
        first = Session(FakeClient(), KeyringTokenStore(), clock=clock)
        await first.login("spl1", "1234")
        assert any("tok-spl1" in v for v in backend.values.values())
        # a restarted app finds the session and opens it locked, for the same user only
        again = Session(FakeClient(), KeyringTokenStore(), clock=clock)
        assert again.restore()
        assert again.phase is Phase.LOCKED
        assert again.user is not None and again.user.username == "spl1"
        await again.unlock("1234")  # no PIN hash in memory: the server checks the PIN
        assert again.phase is Phase.ACTIVE
        await again.logout()
        assert backend.values == {}
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
