"""Store.leases: requests on many threads share a few database connections, one thread at a time."""

from __future__ import annotations

import threading
from pathlib import Path

from mock_epj.store import Store


def test_at_most_size_threads_hold_a_connection_and_each_is_lent_to_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "epj.sqlite3")
    lease = store.leases(2)
    inside, most, used = 0, 0, set()
    lock = threading.Lock()
    start = threading.Barrier(8)

    def request() -> None:
        nonlocal inside, most
        start.wait()
        for _ in range(20):
            with lease():
                conn = store.conn()
                with lock:
                    inside += 1
                    most = max(most, inside)
                    used.add(id(conn))
                conn.execute("SELECT COUNT(*) FROM resources").fetchone()
                with lock:
                    inside -= 1
            assert getattr(store._local, "conn", None) is None  # given back after the request

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most <= 2
    assert len(used) <= 2


def test_a_thread_with_its_own_connection_keeps_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "epj.sqlite3")
    own = store.conn()
    with store.leases(1)():
        assert store.conn() is own
    assert store.conn() is own
