"""The probes' shared set-up: a small Flet script served as a web app on a free loopback port, and
a phone-sized Chromium page on it with Flutter's accessibility tree switched on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(script: Path, *args: str) -> Iterator[str]:
    """Run ``script PORT *args`` (it calls ft.run on that port) and yield its URL once it answers."""
    port = free_port()
    env = {**os.environ, "FLET_FORCE_WEB_SERVER": "1", "FLET_WEB_NO_CDN": "1"}
    app = subprocess.Popen([sys.executable, str(script), str(port), *args], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        app.terminate()
        app.wait(10)


def open_page(browser: Any, url: str) -> Any:
    """A 390x844 page on ``url`` with the accessibility tree on (controls found by their labels)."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.route("**/*rive*", lambda route: route.abort())
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=30_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    return page
