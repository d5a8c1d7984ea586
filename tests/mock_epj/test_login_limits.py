"""Wrong-PIN limits under attack (issue 12): concurrent guesses at one user, guesses spread over
many users from one address, and how an administrator lifts a lock-out."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx

from mock_epj.app import DEMO_LOGINS
from mock_epj.auth import AuthConfig
from tests.support.mock_server import Server, outcome_text

ATTEMPTS = 80


def _try(url: str, username: str, pin: str) -> int:
    return httpx.post(url, json={"username": username, "pin": pin}, timeout=60).status_code


def test_concurrent_wrong_pins_evaluate_exactly_five(server: Server) -> None:
    url = f"{server.url}/auth/token"
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = list(pool.map(lambda _: _try(url, "lege2", "9999"), range(ATTEMPTS)))
    assert statuses.count(401) == AuthConfig().max_failures
    assert statuses.count(429) == ATTEMPTS - AuthConfig().max_failures
    assert _try(url, "lege2", "1234") == 429  # the right PIN is refused too while locked


def test_guesses_spread_over_many_users_lock_the_address(server: Server) -> None:
    url = f"{server.url}/auth/token"
    limit = AuthConfig().max_address_failures
    users = [name for name, *_ in DEMO_LOGINS if name != "revisor"]
    users += [f"spl{n}" for n in range(2, 20)] + [f"lege{n}" for n in range(3, 20)]
    statuses = [_try(url, user, "0000") for user in users[:limit]]
    assert statuses == [401] * limit  # never more than one wrong PIN per user: no user is locked
    refused = httpx.post(url, json={"username": users[limit], "pin": "1234"})
    assert refused.status_code == 429
    assert "address" in outcome_text(refused)
    assert int(refused.headers["Retry-After"]) > 0
    assert _try(url, "revisor", "1234") == 429  # whoever it is, from this address


def test_an_administrator_unlocks_a_user_and_an_address(server: Server) -> None:
    url = f"{server.url}/auth/token"
    for _ in range(AuthConfig().max_failures):
        _try(url, "spl1", "9999")
    assert _try(url, "spl1", "1234") == 429
    db = str(server.epj.config.db)
    done = subprocess.run([sys.executable, "-m", "mock_epj", "unlock", "spl1", "--db", db],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Unlocked user 'spl1'" in done.stdout
    assert _try(url, "spl1", "1234") == 200
    for n in range(AuthConfig().max_address_failures):
        _try(url, f"nobody{n}", "0000")
    assert _try(url, "spl1", "1234") == 429
    done = subprocess.run([sys.executable, "-m", "mock_epj", "unlock", "--address", "127.0.0.1", "--db", db],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _try(url, "spl1", "1234") == 200
    nothing = subprocess.run([sys.executable, "-m", "mock_epj", "unlock", "lege1", "--db", db],
                             capture_output=True, text=True, timeout=60)
    assert "was not locked" in nothing.stdout
