"""Which keyring backends count as a secure store: only those known to encrypt at rest. A plaintext
or password-prompting backend (keyrings.alt), a chainer that could fall through to one, and the
fail and null backends are refused, and the app keeps its token and outbox in memory only and says
so. The backends here are stand-ins named as the real ones are (module and class)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, fail, null

from mobile_app.domain.writing import NoteDraft
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import Delivered, ItemState, OutboxItem
from mobile_app.services.outbox_store import EncryptedOutboxStore, MemoryOutboxStore, default_outbox_store
from mobile_app.services.session import Session
from mobile_app.services.token_store import (
    KeyringTokenStore,
    MemoryTokenStore,
    default_token_store,
    is_secure_backend,
    secure_store_available,
)
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from tests.support.app_sessions import sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.memory_keyring import MemoryKeyring


def backend_named(module: str, name: str, priority: float = 5) -> type[MemoryKeyring]:
    """A keyring backend that keeps values in memory but carries a real backend's name."""
    return type(name, (MemoryKeyring,), {"__module__": module, "__qualname__": name, "priority": priority})


PLAINTEXT = backend_named("keyrings.alt.file", "PlaintextKeyring", 0.5)
ENCRYPTED_ALT = backend_named("keyrings.alt.file", "EncryptedKeyring", 0.6)
ALT_WINDOWS_FILE = backend_named("keyrings.alt.Windows", "EncryptedKeyring", 0.8)
SECRET_SERVICE = backend_named("keyring.backends.SecretService", "Keyring")
LIBSECRET = backend_named("keyring.backends.libsecret", "Keyring")
KWALLET = backend_named("keyring.backends.kwallet", "DBusKeyring")
MACOS = backend_named("keyring.backends.macOS", "Keyring")
WINDOWS = backend_named("keyring.backends.Windows", "WinVaultKeyring")


class SneakyMemory(MemoryKeyring):
    """A subclass of a trusted backend may change what it does with a secret: not trusted."""


def chain_of(*backends: keyring.backend.KeyringBackend) -> chainer.ChainerBackend:
    chained = type("ChainerBackend", (chainer.ChainerBackend,), {"backends": list(backends)})
    return chained()  # type: ignore[no-any-return]


REFUSED: dict[str, Any] = {
    "plaintext file (keyrings.alt)": lambda: PLAINTEXT(),
    "encrypted file asking for a password (keyrings.alt)": lambda: ENCRYPTED_ALT(),
    "keyrings.alt on Windows": lambda: ALT_WINDOWS_FILE(),
    "fail": lambda: fail.Keyring(),  # type: ignore[no-untyped-call]
    "null": lambda: null.Keyring(),  # type: ignore[no-untyped-call]
    "a subclass of a trusted backend": lambda: SneakyMemory(),
    "chainer falling through to plaintext": lambda: chain_of(SECRET_SERVICE(), PLAINTEXT()),
    "chainer with nothing": lambda: chain_of(),
    "unknown third-party backend": lambda: backend_named("keyring_pass", "PasswordStoreBackend")(),
    "a listed backend that is not viable": lambda: backend_named("keyring.backends.macOS", "Keyring", -1)(),
}
ACCEPTED: dict[str, Any] = {
    "Secret Service": lambda: SECRET_SERVICE(),
    "libsecret": lambda: LIBSECRET(),
    "KWallet": lambda: KWALLET(),
    "macOS Keychain": lambda: MACOS(),
    "Windows Credential Locker": lambda: WINDOWS(),
    "the tests' memory keyring, trusted explicitly": lambda: MemoryKeyring(),
    "chainer of secure backends": lambda: chain_of(SECRET_SERVICE(), MemoryKeyring()),
}


@pytest.fixture
def use_backend() -> Iterator[Any]:
    previous = keyring.get_keyring()

    def use(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_backends_that_do_not_encrypt_are_not_a_secure_store(make: Any, use_backend: Any) -> None:
    use_backend(make())
    assert not secure_store_available()
    assert isinstance(default_token_store(), MemoryTokenStore)
    assert isinstance(default_outbox_store(), MemoryOutboxStore)


@pytest.mark.parametrize("make", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_backends_that_encrypt_are(make: Any, use_backend: Any) -> None:
    use_backend(make())
    assert secure_store_available()
    assert isinstance(default_token_store(), KeyringTokenStore)
    assert isinstance(default_outbox_store(), EncryptedOutboxStore)


def test_the_app_says_memory_only_with_a_plaintext_keyring(use_backend: Any) -> None:
    backend = use_backend(PLAINTEXT())
    from mobile_app.ui.app import AppConfig, build_state

    app = build_state(AppConfig(epj_url="http://127.0.0.1:9/fhir"))
    assert isinstance(app.ctx.session.token_store, MemoryTokenStore)
    assert app.ctx.outbox is not None and not app.ctx.outbox.persistent
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.no_secure_store"
    assert backend.values == {}


async def test_a_keyring_that_turns_plaintext_gets_no_token(use_backend: Any, clock: MonotonicClock) -> None:
    """The backend changed after the app chose its store: the token goes to memory, not to it."""
    use_backend(MemoryKeyring())
    store = KeyringTokenStore()
    plaintext = use_backend(PLAINTEXT())
    app = AppState(AppContext(client=FakeClient(), session=Session(FakeClient(), store, clock=clock)))
    await sign_in(app, "lege1")
    assert plaintext.values == {}
    assert isinstance(app.ctx.session.token_store, MemoryTokenStore)
    assert app.flow.login.notice is not None and app.flow.login.notice.key == "login.no_secure_store"


async def test_no_outbox_key_goes_into_a_plaintext_keyring(use_backend: Any, tmp_path: Path) -> None:
    use_backend(MemoryKeyring())
    store = EncryptedOutboxStore(tmp_path / "outbox")
    plaintext = use_backend(PLAINTEXT())

    async def deliver(sent: OutboxItem) -> Delivered:
        from mobile_app.epj.errors import Offline

        raise Offline("no network")

    outbox = Outbox(deliver, store, rng=random.Random(1))
    outbox.open("prac-001")
    item = await outbox.submit(NoteDraft(patient_id="pat-000001", author_id="prac-001", text="Venter"))
    assert item.state is ItemState.WAITING
    assert plaintext.values == {}
    assert not outbox.persistent and outbox.storage_error is not None
    assert not list((tmp_path / "outbox").glob("*.outbox"))


def test_is_secure_backend_takes_the_exact_class() -> None:
    assert is_secure_backend(MemoryKeyring())
    assert not is_secure_backend(SneakyMemory())
