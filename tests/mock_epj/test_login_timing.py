"""A login costs the same key derivation whether the username exists or not, so its time does not
tell (counted, not timed: bench/bench_login.py prints the times)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_epj import auth
from mock_epj.auth import AuthConfig, Authenticator
from mock_epj.errors import FhirError
from mock_epj.store import Store
from tests.support.database import copy_db


@pytest.fixture
def authenticator(seeded_db: Path, tmp_path: Path) -> Iterator[Authenticator]:
    store = Store(copy_db(seeded_db, tmp_path / "epj.sqlite3"))
    yield Authenticator(store, AuthConfig(max_failures=1000))
    store.close()


def _kdf_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    real = hashlib.pbkdf2_hmac

    def counting(name: str, password: bytes, salt: bytes, iterations: int, dklen: int | None = None) -> bytes:
        calls.append((name, iterations, len(salt), dklen))
        return real(name, password, salt, iterations, dklen)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)  # what auth.hash_pin calls
    return calls


def _attempt(authenticator: Authenticator, username: str, pin: str) -> int:
    try:
        authenticator.login(username, pin)
    except FhirError as error:
        return error.status
    return 200


@pytest.mark.parametrize("unknown", ["ingen-slik-bruker", "lege999", "", "x" * 200, "LEGE1x"])
def test_an_unknown_username_costs_the_same_key_derivation_as_a_known_one(
        authenticator: Authenticator, monkeypatch: pytest.MonkeyPatch, unknown: str) -> None:
    calls = _kdf_calls(monkeypatch)
    assert _attempt(authenticator, "lege1", "9999") == 401
    known = list(calls)
    calls.clear()
    assert _attempt(authenticator, unknown, "9999") == 401
    assert calls == known, "an unknown user must go through the same hash, at the same cost"
    assert len(known) == 1 and known[0][1] == auth._ITERATIONS
    calls.clear()
    assert _attempt(authenticator, "lege1", "1234") == 200
    assert calls == known
