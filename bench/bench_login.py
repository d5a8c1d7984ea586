"""Login time for a known username with a wrong PIN, an unknown username, and a right PIN.

Usage: ``uv run python bench/bench_login.py [--rounds 200]``.

The time of a refused login must not tell whether the username exists (issue 12): an unknown
user's PIN goes through the same key derivation (PBKDF2) with a dummy salt. This calls the
Authenticator directly (no HTTP) over a small seeded database, alternating the kinds, and prints
the median and the 10th/90th percentiles of each in ms. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from mock_epj.app import seed_database
    from mock_epj.auth import AuthConfig, Authenticator
    from mock_epj.errors import FhirError
    from mock_epj.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "epj.sqlite3")
        seed_database(store, 42, 20)
        authenticator = Authenticator(store, AuthConfig(max_failures=10**9))
        kinds = {"known user, wrong PIN": ("lege1", "9999"), "unknown user": ("ingen-slik-bruker", "9999"),
                 "known user, right PIN": ("lege2", "1234")}
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind, (username, pin) in kinds.items():
                started = time.perf_counter()
                with contextlib.suppress(FhirError):
                    authenticator.login(username, pin)
                times[kind].append((time.perf_counter() - started) * 1000)
        store.close()
    print(f"login time over {args.rounds} rounds (ms): median [p10 - p90]")
    for kind, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(f"  {kind:<24} {statistics.median(values):6.2f}  [{deciles[0]:.2f} - {deciles[-1]:.2f}]")


if __name__ == "__main__":
    main()
