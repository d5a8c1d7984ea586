"""The app's login in the EPJ's login page (services/browser_login.py, login_redirect.py) and the
session it starts (Session.begin): against a running mock EPJ in both modes, with the browser
played over plain HTTP (tests/support/smart_login.py) and sent back to the app's loopback listener."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio

from mobile_app.domain.models import Role
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import InputRejected, LoginRefused, NotLoggedIn, Unavailable, WrongCredentials
from mobile_app.services.browser_login import login_in_browser
from mobile_app.services.login_redirect import LoginTimedOut, LoopbackRedirect
from mobile_app.services.session import Phase, Session
from mobile_app.services.token_store import MemoryTokenStore
from tests.support.mock_server import Server
from tests.support.restartable_epj import restartable_epj
from tests.support.smart_login import request_id, submit

SESSION_PIN = "2580"


def user_in_browser(username: str = "lege1", pin: str = "1234", action: str = "login",
                    pages: list[httpx.Response] | None = None) -> Callable[[str], Awaitable[None]]:
    """What a user does with the page the app opens: log in (or cancel) there, and the browser
    follows the redirect back to the app; ``pages`` collects what the app's listener answered."""

    async def open_url(url: str) -> None:
        def browse() -> None:
            page = httpx.get(url, follow_redirects=False)
            answer = submit(url.split("/auth/authorize")[0], request_id(page), username, pin, action)
            assert answer.status_code == 303, answer.text[:300]
            back = httpx.get(answer.headers["Location"], follow_redirects=False)
            if pages is not None:
                pages.append(back)
        await asyncio.to_thread(browse)

    return open_url


@pytest_asyncio.fixture
async def client(epj_server: Server) -> AsyncIterator[EpjClient]:
    epj = EpjClient(epj_server.fhir)
    yield epj
    await epj.aclose()


async def test_a_login_in_the_page_starts_a_session_with_the_role_from_fhir(client: EpjClient,
                                                                           epj_server: Server) -> None:
    pages: list[httpx.Response] = []
    signed_in = await login_in_browser(epj_server.fhir, user_in_browser("spl1", pages=pages))
    session = Session(client, MemoryTokenStore())
    user = await session.begin(signed_in, SESSION_PIN)
    assert (user.username, user.role, session.phase) == ("spl1", Role.NURSE, Phase.ACTIVE)
    assert user.name and user.practitioner_id == signed_in.tokens.practitioner_id
    assert [w.name for w in await client.my_wards(user.practitioner_id)] == ["Medisinsk sengepost"]
    assert pages[0].status_code == 200 and "Innloggingen er fullført" in pages[0].text
    assert pages[0].headers["Cache-Control"] == "no-store"
    session.lock()
    with pytest.raises(WrongCredentials):
        await session.unlock("1234")  # the EPJ's PIN is not the phone's
    await session.unlock(SESSION_PIN)  # checked on the phone: no request
    assert session.phase is Phase.ACTIVE
    await session.logout()


async def test_a_login_cancelled_in_the_page_is_refused(epj_server: Server) -> None:
    with pytest.raises(LoginRefused) as refused:
        await login_in_browser(epj_server.fhir, user_in_browser(action="cancel"))
    assert refused.value.error == "access_denied"


async def test_the_access_token_is_renewed_mid_session_and_the_login_revoked_at_logout(
        client: EpjClient, epj_server: Server) -> None:
    offset = [0.0]
    signed_in = await login_in_browser(epj_server.fhir, user_in_browser(),
                                       clock=lambda: time.time() + offset[0])
    session = Session(client, MemoryTokenStore())
    user = await session.begin(signed_in, SESSION_PIN)
    first = client.token
    await client.my_wards(user.practitioner_id)
    assert client.token == first  # far from its end: not renewed
    offset[0] = 850.0  # within a minute of its end
    assert await client.my_wards(user.practitioner_id)
    renewed = client.token
    assert renewed is not None and renewed != first
    assert session.token_store.load() is not None and renewed not in repr(session.token_store.load())
    await session.logout()
    for token in (first, renewed):
        answer = httpx.get(f"{epj_server.fhir}/Patient?_count=1", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, token
    assert client.token is None and session.token_store.load() is None


async def test_a_renewal_while_the_epj_is_down_keeps_the_session_and_renews_once_it_is_back(
        seeded_db: Path, tmp_path: Path) -> None:
    """Ward Wi-Fi drops just as the access token nears its end. With the login server out of reach,
    the old token is used while it lasts (the request goes through) and after it has ended the
    request says the EPJ cannot be reached; with the whole EPJ out of reach the same; the session is
    never ended for it. When the EPJ answers again the token is renewed and the request goes
    through, with no new login."""
    offset = [0.0]
    async with restartable_epj(seeded_db, tmp_path) as epj:
        signed_in = await login_in_browser(epj.fhir, user_in_browser(), clock=lambda: time.time() + offset[0])
        client = EpjClient(epj.fhir, timeout=5)
        epj.clients.append(client)
        session = Session(client, MemoryTokenStore())
        user = await session.begin(signed_in, SESSION_PIN)
        first = client.token
        epj.faults(drop_rate=1.0, path_prefix="/auth/token")  # the login server does not answer
        offset[0] = 850.0  # within a minute of its end: the old token still serves
        assert [w.name for w in await client.my_wards(user.practitioner_id)]
        assert client.token == first
        offset[0] = 1000.0  # past its end (by the phone's clock): nothing to send
        with pytest.raises(Unavailable):
            await client.my_wards(user.practitioner_id)
        assert session.phase is Phase.ACTIVE and session.user == user
        epj.faults(drop_rate=0.0, path_prefix="")
        epj.stop()  # now nothing answers at all
        with pytest.raises(Unavailable):
            await client.my_wards(user.practitioner_id)
        assert session.phase is Phase.ACTIVE and session.user == user and client.token == first
        epj.restart()
        assert [w.name for w in await client.my_wards(user.practitioner_id)]
        assert client.token not in (None, first) and session.phase is Phase.ACTIVE
        await session.logout()


async def test_a_login_over_a_slow_network_succeeds_and_one_whose_token_answer_is_lost_says_so(
        seeded_db: Path, tmp_path: Path) -> None:
    """Every answer of the EPJ 400 ms late (discovery, the page, the token exchange, the role): the
    login still goes through. The token endpoint's answer lost: the login ends with the EPJ out of
    reach (the screen's "Journalsystemet svarer ikke"), and the app's listener is closed."""
    async with restartable_epj(seeded_db, tmp_path) as epj:
        epj.faults(latency_ms=400)
        signed_in = await login_in_browser(epj.fhir, user_in_browser("spl1"))
        client = EpjClient(epj.fhir, timeout=5)
        epj.clients.append(client)
        session = Session(client, MemoryTokenStore())
        user = await session.begin(signed_in, SESSION_PIN)
        assert user.role is Role.NURSE and session.phase is Phase.ACTIVE
        await session.logout()
        epj.faults(latency_ms=0, drop_rate=1.0, path_prefix="/auth/token")
        opened: list[str] = []
        browse = user_in_browser()

        async def open_url(url: str) -> None:
            opened.append(dict(parse_qsl(urlsplit(url).query))["redirect_uri"])
            await browse(url)

        with pytest.raises(Unavailable):
            await login_in_browser(epj.fhir, open_url)
        with pytest.raises(httpx.ConnectError):
            httpx.get(opened[0], timeout=2)  # nobody listens for an answer any more


async def test_a_revoked_login_ends_with_a_clear_error(client: EpjClient, epj_server: Server) -> None:
    signed_in = await login_in_browser(epj_server.fhir, user_in_browser())
    session = Session(client, MemoryTokenStore())
    user = await session.begin(signed_in, SESSION_PIN)
    await signed_in.smart.revoke(signed_in.tokens)  # e.g. the hospital ended the login
    with pytest.raises(NotLoggedIn):
        await client.my_wards(user.practitioner_id)
    await session.logout()


@pytest.mark.parametrize("pin", ["", "12a4", "123", "123456789", "1111", "1234", "9876"])
async def test_a_session_pin_that_will_not_do_starts_nothing(client: EpjClient, epj_server: Server, pin: str) -> None:
    signed_in = await login_in_browser(epj_server.fhir, user_in_browser())
    session = Session(client, MemoryTokenStore())
    with pytest.raises(InputRejected):
        await session.begin(signed_in, pin)
    assert session.phase is Phase.LOGGED_OUT and client.token is None
    await signed_in.smart.aclose()


async def test_an_unanswered_login_times_out_and_stops_listening(epj_server: Server) -> None:
    opened: list[str] = []

    async def leave_it_open(url: str) -> None:
        opened.append(url)

    with pytest.raises(LoginTimedOut):
        await login_in_browser(epj_server.fhir, leave_it_open, timeout=0.3)
    redirect_uri = dict(parse_qsl(urlsplit(opened[0]).query))["redirect_uri"]
    assert redirect_uri.startswith("http://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):
        httpx.get(redirect_uri)


async def test_the_listener_takes_only_this_logins_answer() -> None:
    async with LoopbackRedirect() as redirect:
        redirect.expect("the-state")
        uri = redirect.redirect_uri
        assert urlsplit(uri).hostname == "127.0.0.1"
        for stranger in (f"{uri}?{urlencode({'state': 'another', 'code': 'x'})}", f"{uri}?code=x",
                         uri.replace("/oauth_callback", "/favicon.ico")):
            assert (await asyncio.to_thread(httpx.get, stranger)).status_code == 400, stranger
        with pytest.raises(LoginTimedOut):
            await redirect.answer(0.1)
        ours = f"{uri}?{urlencode({'code': 'c0de', 'state': 'the-state'})}"
        assert (await asyncio.to_thread(httpx.get, ours)).status_code == 200
        assert await redirect.answer(5) == ours

