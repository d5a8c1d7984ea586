"""A keyring backend that lives in this process: a secure store for tests and benchmarks that need
one without a desktop secret service. It is marked as secure explicitly (``trust_backend``): the
app trusts no keyring backend it does not know to encrypt."""

from __future__ import annotations

import keyring.backend

from mobile_app.services.token_store import trust_backend


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


trust_backend(MemoryKeyring)
