"""EPJ clients logged in to a mock EPJ, as the client, lab and write tests use them.

The login is the mock's SMART code flow driven from a script (``mock-epj token``'s
``get_token``), as a tester without a browser does; the app itself logs in through the EPJ's page
(browser_login.py, tested in tests/epj/test_login_in_browser.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from mobile_app.domain.models import Practitioner, Role
from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import AccountLocked, WrongCredentials
from mobile_app.epj.smart import DEFAULT_SCOPE
from mock_epj.token_cli import TokenError, get_token
from tests.support.mock_server import Server

PIN = "1234"


@dataclass(frozen=True)
class LoginResult:
    """Who a scripted login is for: its token, the clinician and the role from FHIR."""

    token: str
    practitioner_id: str
    name: str
    role: Role
    expires_at: datetime


async def token_login(client: EpjClient, username: str, pin: str = PIN) -> LoginResult:
    """Log ``client`` in as ``username`` with the SMART code flow (scripted); who it is comes from
    the id_token, the role from FHIR. WrongCredentials / AccountLocked as the page would say."""
    try:
        answer = await asyncio.to_thread(get_token, client.server_url, username, pin, DEFAULT_SCOPE)
    except TokenError as error:
        if "locked" in str(error):
            raise AccountLocked(str(error)) from None
        raise WrongCredentials(str(error)) from None
    claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
    practitioner_id = str(claims["fhirUser"]).rsplit("/", 1)[-1]
    client.set_token(answer["access_token"], practitioner_id)
    role = await client.my_role(practitioner_id)
    return LoginResult(answer["access_token"], practitioner_id, str(claims.get("name") or ""), role or Role.OTHER,
                       datetime.now(UTC) + timedelta(seconds=float(answer.get("expires_in", 900))))


@dataclass
class Session:
    """A logged-in client and what the login said."""

    client: EpjClient
    login: LoginResult

    @property
    def practitioner_id(self) -> str:
        return self.login.practitioner_id


Login = Callable[..., Awaitable[Session]]


async def logins_to(server: Server) -> AsyncIterator[Login]:
    """A fixture's ``log_in(username)``: EPJ clients logged in to ``server``, closed afterwards."""
    clients: list[EpjClient] = []

    async def log_in(username: str, pin: str = PIN) -> Session:
        client = EpjClient(server.fhir)
        clients.append(client)
        return Session(client, await token_login(client, username, pin))

    yield log_in
    for client in clients:
        await client.aclose()


def practitioner(session: Session) -> Practitioner:
    return Practitioner(id=session.practitioner_id, name=session.login.name, role=session.login.role)
