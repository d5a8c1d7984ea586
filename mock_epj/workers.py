"""One mock EPJ served by several processes over the same database (``mock-epj serve --workers N``).

Python runs one thread at a time per process, so one process uses one core. Here the parent opens
(and on first start seeds) the database, logs everyone out, writes the fault settings and binds the
listening socket; then it forks N worker processes that each run the HTTP server on that one
socket (each new connection is accepted by one of them) over the same SQLite database in WAL mode.

What the workers must agree on is in the database: sessions and wrong-PIN counts (auth.py), the
fault settings and their countdowns (faults.py), break-the-glass grants and the counter that
tells every process's access cache to recompute (store.py's triggers), the usage log (collector.py). Writes
from all processes are serialised by SQLite's own lock. The lab simulator runs in one process of
its own. A worker that dies is started again; SIGTERM or Ctrl+C stops them all.

The parent runs no threads and holds no database connection when it forks (POSIX only: fork).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from mock_epj.app import MockEPJ, ServerConfig

LABS = -1  # the index of the lab simulator's process


def supported() -> bool:
    return hasattr(os, "fork")


def _worker(config: ServerConfig, sock: socket.socket) -> int:
    epj = MockEPJ.open(config, worker=True)
    httpd = epj.http_server(sock=sock)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


def _labs(config: ServerConfig) -> int:
    epj = MockEPJ.open(config, worker=True)
    assert config.simulate_labs
    epj.labs.start(config.simulate_labs)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    stopped.wait()
    epj.labs.stop()
    return 0


def serve(config: ServerConfig, announce: Callable[[str], None]) -> int:
    """Serve until SIGTERM or Ctrl+C; ``announce`` gets the base URL once the workers run."""
    if not supported():
        print("mock-epj: --workers above 1 needs fork (Linux or macOS)", file=sys.stderr)
        return 1
    epj = MockEPJ.open(config)
    sock = socket.create_server((config.host, config.port), backlog=1024)
    host, port = sock.getsockname()[:2]
    epj.close()
    children: dict[int, int] = {}

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches all; the parent decides
                code = _labs(config) if index == LABS else _worker(config, sock)
            except BaseException as error:  # a worker must never return into the parent's code
                print(f"mock-epj worker: {error!r}", file=sys.stderr)
            finally:
                os._exit(code)
        children[pid] = index

    for index in range(config.workers):
        spawn(index)
    if config.simulate_labs:
        spawn(LABS)
    announce(f"http://{host}:{port}")
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, stop), signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                time.sleep(0.2)
                continue
            if pid in children:
                index = children.pop(pid)
                print(f"mock-epj: worker {pid} ended (status {status}); starting another", file=sys.stderr)
                time.sleep(0.5)
                spawn(index)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        for pid in children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while children and time.monotonic() < deadline:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid:
                children.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in children:
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        sock.close()
    return 0


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
