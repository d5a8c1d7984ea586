"""EPJ clients logged in to a mock EPJ, as the client, lab and write tests use them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from mobile_app.domain.models import Practitioner
from mobile_app.epj.client import EpjClient
from mobile_app.epj.protocol import LoginResult
from tests.support.mock_server import Server

PIN = "1234"


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
        return Session(client, await client.login(username, pin))

    yield log_in
    for client in clients:
        await client.aclose()


def practitioner(session: Session) -> Practitioner:
    return Practitioner(id=session.practitioner_id, name=session.login.name, role=session.login.role)
