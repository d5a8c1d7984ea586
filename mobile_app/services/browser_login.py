"""The app's login in the EPJ's own login page (SMART App Launch, standalone, with OpenID Connect).

The app never sees the user's EPJ password or PIN: ``login_in_browser`` opens the authorize page
found from the FHIR base alone (smart.py), waits on a loopback redirect for the answer
(login_redirect.py), and exchanges the code with its PKCE verifier for tokens whose ``id_token``
has been checked. Who logged in comes from that ``id_token`` (``fhirUser``, ``name``); the role and
wards come from FHIR afterwards (session.py). The ``SmartClient`` goes on with the session: it
refreshes the access token, revokes the login at logout and asks for break-the-glass tokens.

``open_url`` is how the page is shown (the UI's URL launcher; a test's scripted browser).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import httpx

from mobile_app.epj.smart import DEFAULT_SCOPE, SmartClient, Tokens
from mobile_app.services.login_redirect import LoopbackRedirect

LOGIN_TIMEOUT = 600.0  # seconds the authorize page may stay open before the login is given up

OpenUrl = Callable[[str], Awaitable[None]]


class TokenKeeper(Protocol):
    """What a session needs of the client that issued its tokens (SmartClient; a test's fake)."""

    clock: Callable[[], float]

    async def fresh(self, tokens: Tokens) -> Tokens: ...

    async def revoke(self, tokens: Tokens) -> None: ...

    async def offers_break_glass(self) -> bool: ...

    async def break_glass(self, tokens: Tokens, patient_id: str, reason: str) -> Tokens: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class SignedIn:
    """A finished login: checked tokens, and the server's SMART client that issued them."""

    tokens: Tokens
    smart: TokenKeeper


SignIn = Callable[[OpenUrl], Awaitable[SignedIn]]  # one login, shown with the given URL opener


def sign_in_at(fhir_base: str, **options: object) -> SignIn:
    """The login of the EPJ at ``fhir_base``, for the login screen (options as login_in_browser's)."""
    return partial(login_in_browser, fhir_base, **options)  # type: ignore[arg-type]


async def login_in_browser(fhir_base: str, open_url: OpenUrl, *,
                           timeout: float = LOGIN_TIMEOUT, scope: str = DEFAULT_SCOPE,
                           http_transport: httpx.AsyncBaseTransport | None = None,
                           clock: Callable[[], float] = time.time) -> SignedIn:
    """Log in through the EPJ's authorize page. Raises the EPJ's errors (LoginRefused for a refused
    or foreign answer, IdTokenInvalid, Offline, ...) and LoginTimedOut; cancelling the task that
    awaits it gives the login up (the listener closes)."""
    async with LoopbackRedirect() as redirect:
        smart = SmartClient(fhir_base, redirect.redirect_uri, http_transport=http_transport, clock=clock)
        try:
            pending = await smart.begin_login(scope)
            redirect.expect(pending.state)
            await open_url(pending.url)
            tokens = await smart.finish_login(pending, await redirect.answer(timeout))
        except BaseException:
            await smart.aclose()
            raise
    return SignedIn(tokens, smart)
