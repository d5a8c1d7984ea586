"""The lock screen's PIN attempts: after 5 wrong PINs the session ends (a full logout) and the right
PIN no longer opens anything, however the attempts are made (one by one, at the same time, or after
the lock screen's form was made anew); a restart of the app ends the session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_store import MemoryOutboxStore
from mobile_app.services.session import MAX_UNLOCK_ATTEMPTS, LockedOut, Phase, Session, SessionEnded
from mobile_app.services.token_store import KeyringTokenStore
from mobile_app.services.usage import UsageConfig, UsageLog
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from mobile_app.ui.viewmodels.login import LockState
from tests.support.app_sessions import SESSION_PIN, begun, sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.memory_keyring import MemoryKeyring
from tests.support.usage_logs import day_records

WRONG = "0000"


async def login(app: AppState) -> None:
    await sign_in(app, "lege1")


async def try_pin(app: AppState, pin: str) -> None:
    app.flow.lock.pin = pin
    await app.flow.submit_unlock()


def test_five_attempts() -> None:
    assert MAX_UNLOCK_ATTEMPTS == 5


async def test_each_wrong_pin_says_how_many_are_left(app: AppState) -> None:
    await login(app)
    app.flow.lock_now()
    for left in range(MAX_UNLOCK_ATTEMPTS - 1, 0, -1):
        await try_pin(app, WRONG)
        assert app.flow.phase is Phase.LOCKED
        assert app.flow.lock.problem is not None
        assert (app.flow.lock.problem.key, app.flow.lock.problem.params) == ("lock.wrong", {"left": left})


async def test_the_fifth_wrong_pin_logs_out_and_the_right_pin_then_opens_nothing(
        client: FakeClient, session: Session) -> None:
    outbox = Outbox.for_client(client, MemoryOutboxStore())
    app = AppState(AppContext(client=client, session=session, outbox=outbox))
    await login(app)
    store = session.token_store
    await app.open_patient("p1")
    app.search.change("Hansen")
    await app.search.search_now()
    app.flow.lock_now()
    for _ in range(MAX_UNLOCK_ATTEMPTS):
        await try_pin(app, WRONG)
    # a full logout: the token revoked and forgotten, no patient data, no open screens
    assert app.flow.phase is Phase.LOGGED_OUT
    assert session.phase is Phase.LOGGED_OUT and session.user is None
    assert ("revoke", None) in client.calls and client.revoked == ["tok-lege1"]
    assert client.token is None and store.load() is None
    assert app.nav.stack == [] and app.search.results == [] and app.ward.beds == [] and app.my.recent == []
    assert outbox.author is None
    # the login screen says why
    assert app.flow.login.notice is not None
    assert (app.flow.login.notice.key, app.flow.login.notice.params) == (
        "login.locked_out", {"attempts": MAX_UNLOCK_ATTEMPTS})
    # and the right PIN opens nothing now: only a new login does
    await try_pin(app, SESSION_PIN)
    assert app.flow.phase is Phase.LOGGED_OUT and client.token is None


async def test_four_wrong_then_the_right_pin_unlocks_and_starts_the_count_again(app: AppState) -> None:
    await login(app)
    app.flow.lock_now()
    for _ in range(MAX_UNLOCK_ATTEMPTS - 1):
        await try_pin(app, WRONG)
    await try_pin(app, SESSION_PIN)
    assert app.flow.phase is Phase.ACTIVE
    app.flow.lock_now()
    await try_pin(app, WRONG)
    assert app.flow.lock.problem is not None and app.flow.lock.problem.params == {"left": MAX_UNLOCK_ATTEMPTS - 1}


async def test_a_new_lock_form_does_not_start_the_count_again(app: AppState) -> None:
    await login(app)
    app.flow.lock_now()
    for _ in range(MAX_UNLOCK_ATTEMPTS - 1):
        await try_pin(app, WRONG)
        app.flow.lock = LockState(app.ctx)  # the lock screen built anew (another screen, a re-render)
    await try_pin(app, WRONG)
    assert app.flow.phase is Phase.LOGGED_OUT


async def test_a_restart_ends_the_session_and_the_login_screen_says_why(
        clock: MonotonicClock, memory_keyring: MemoryKeyring) -> None:
    """The session PIN's hash lives in memory only: a restarted app cannot check it, so it does not
    resume the session (with its count of wrong PINs), forgets the stored token and asks for a login."""
    first = Session(FakeClient(), KeyringTokenStore(), clock=clock)
    await begun(first)
    first.lock()
    for _ in range(MAX_UNLOCK_ATTEMPTS - 2):
        with pytest.raises(Exception, match="PIN"):
            await first.unlock(WRONG)
    assert memory_keyring.values  # the token is kept in the secure store while the app runs
    client = FakeClient()
    again = AppState(AppContext(client=client, session=Session(client, KeyringTokenStore(), clock=clock)))
    assert again.flow.phase is Phase.LOGGED_OUT and again.ctx.session.user is None
    assert again.flow.login.notice is not None and again.flow.login.notice.key == "login.restarted"
    assert memory_keyring.values == {}
    with pytest.raises(SessionEnded):
        await again.ctx.session.unlock(SESSION_PIN)
    # the next start has nothing to say
    assert not Session(FakeClient(), KeyringTokenStore(), clock=clock).forget_previous()


async def test_attempts_made_at_the_same_time_are_counted_one_by_one(client: FakeClient, session: Session) -> None:
    """Many PINs submitted at once: at most five are checked, and the right PIN among the later ones
    opens nothing."""
    await begun(session)
    session.lock()
    outcomes = await asyncio.gather(*[session.unlock(WRONG) for _ in range(MAX_UNLOCK_ATTEMPTS + 3)],
                                    session.unlock(SESSION_PIN), return_exceptions=True)
    assert session.phase is Phase.LOGGED_OUT
    assert all(isinstance(outcome, Exception) for outcome in outcomes)
    assert sum(isinstance(outcome, LockedOut) for outcome in outcomes) == 1
    assert isinstance(outcomes[-1], SessionEnded)


async def test_a_lock_out_is_logged_and_ends_the_usage_session(client: FakeClient, session: Session,
                                                                tmp_path: Path) -> None:
    usage = UsageLog(UsageConfig(directory=tmp_path / "usage", key=b"k" * 32, strict=True, write_interval_s=0.05))
    try:
        app = AppState(AppContext(client=client, session=session, usage=usage))
        await login(app)
        app.flow.lock_now()
        for _ in range(MAX_UNLOCK_ATTEMPTS):
            await try_pin(app, WRONG)
        assert usage.flush(5.0)
    finally:
        usage.close()
    records = day_records(tmp_path / "usage")
    unlocks = [r for r in records if r["event"] == "unlock"]
    assert [r["attrs"]["reason"] for r in unlocks] == ["wrong_pin"] * 4 + ["too_many_attempts"]
    ends = [r for r in records if r["event"] == "session_end"]
    assert [r["attrs"]["reason"] for r in ends] == ["locked_out"]


async def test_unsent_writes_wait_encrypted_for_the_authors_next_login(
        client: FakeClient, session: Session, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """Locked out with a note still waiting: it is gone from the app's memory, stays encrypted on
    disk, and is there (and sent) when its author logs in again."""
    from mobile_app.epj.errors import Offline
    from mobile_app.services.outbox_items import ItemState
    from mobile_app.services.outbox_store import EncryptedOutboxStore

    store = EncryptedOutboxStore(tmp_path / "outbox")
    outbox = Outbox.for_client(client, store)
    app = AppState(AppContext(client=client, session=session, outbox=outbox))
    await login(app)
    editor = app.open_note_editor(await app.open_patient("p1"))
    assert editor is not None
    client.write_fail = Offline("no network")
    editor.set_text("Skrevet før låsing")
    item = await editor.save(sign=True)
    assert item is not None and item.state is ItemState.WAITING
    app.flow.lock_now()
    for _ in range(MAX_UNLOCK_ATTEMPTS):
        await try_pin(app, WRONG)
    assert app.flow.phase is Phase.LOGGED_OUT and outbox.items == []
    [stored] = list((tmp_path / "outbox").glob("*.outbox"))
    assert b"Skrevet" not in stored.read_bytes()
    await login(app)
    assert [i.id for i in outbox.items] == [item.id]
    await outbox.run_due()
    assert outbox.items[0].state is ItemState.SENT
