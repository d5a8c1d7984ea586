"""The login's way back into the app: a one-login redirect URI on the loopback address (RFC 8252).

A native app cannot receive the authorize page's redirect itself, so for one login it listens on
``http://127.0.0.1:<free port>/oauth_callback`` (the mock EPJ registers that URI with any port, as
RFC 8252 §7.3 asks of an authorization server). The browser is sent there with the code; this
answers it with a short page ("go back to Visitt") and hands the URL to the login, which checks
everything in it (smart.py). Only an answer carrying this login's ``state`` is taken: anything else
on the port (another local program guessing, a stale tab of an earlier login) gets 400 and is
ignored. Nothing is written to disk, and the listener closes as soon as the login has its answer.

On a phone the same role is played by the app's registered scheme (``no.visitt.app:/oauth2redirect``).
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from functools import partial
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CALLBACK_PATH = "/oauth_callback"

_DONE_PAGE = """<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;margin:2rem;font-size:1.2rem;color:#1b1b1b;background:#fff}}</style>
</head><body><main><h1>{title}</h1><p>{text}</p></main>
<script>window.close()</script></body></html>
"""


POLL_SECONDS = 0.02  # how often the listener's loop checks whether it is being closed


class LoginTimedOut(Exception):
    """No answer from the browser within the time the login allows."""


class LoopbackRedirect:
    """Listen for one login's answer on 127.0.0.1; ``await answer()`` gives the full callback URL.

    Use as an async context manager (the listener closes on leaving it), or ``start``/``close``.
    """

    def __init__(self, *, done_title: str = "Innloggingen er fullført",
                 done_text: str = "Gå tilbake til Visitt. Dette vinduet kan lukkes.") -> None:
        self._page = _DONE_PAGE.format(title=escape(done_title), text=escape(done_text)).encode()
        self._state: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._answer: asyncio.Future[str] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def redirect_uri(self) -> str:
        if self._server is None:
            raise RuntimeError("The redirect listener has not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def expect(self, state: str) -> None:
        """The ``state`` of the login under way: only an answer carrying it is taken."""
        self._state = state

    async def start(self) -> LoopbackRedirect:
        self._loop = asyncio.get_running_loop()
        self._answer = self._loop.create_future()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll: closing the listener waits for the serving loop to notice (0.5 s by default,
        # which the user would wait for after every login).
        self._thread = threading.Thread(target=partial(self._server.serve_forever, poll_interval=POLL_SECONDS),
                                        name="login-redirect", daemon=True)
        self._thread.start()
        return self

    async def answer(self, timeout: float) -> str:
        """The URL the browser came back to; LoginTimedOut after ``timeout`` seconds."""
        if self._answer is None:
            raise RuntimeError("The redirect listener has not started")
        try:
            return await asyncio.wait_for(asyncio.shield(self._answer), timeout)
        except TimeoutError:
            raise LoginTimedOut(f"No answer from the login page within {timeout:.0f} s") from None

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.shutdown)
            server.server_close()
        if self._answer is not None and not self._answer.done():
            self._answer.cancel()

    async def __aenter__(self) -> LoopbackRedirect:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # Called on the listener's thread.
    def _take(self, path: str) -> bool:
        """True when ``path`` is this login's answer (then handed to the waiting login)."""
        parts = urlsplit(path)
        if parts.path != CALLBACK_PATH or self._state is None or self._server is None:
            return False
        state = dict(parse_qsl(parts.query, keep_blank_values=True)).get("state", "")
        if not hmac.compare_digest(state.encode(), self._state.encode()):
            return False
        url = f"{self.redirect_uri}?{parts.query}"
        loop, answer = self._loop, self._answer
        if loop is None or answer is None:
            return False
        loop.call_soon_threadsafe(_settle, answer, url)
        return True


def _settle(answer: asyncio.Future[str], url: str) -> None:
    if not answer.done():  # the first answer counts; a second tab's is ignored
        answer.set_result(url)


def _handler_for(redirect: LoopbackRedirect) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "Visitt-login"

        def do_GET(self) -> None:
            taken = redirect._take(self.path)
            body = redirect._page if taken else b"Not this app's login.\n"
            self.send_response(200 if taken else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8" if taken else "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")  # the code never leaves in a Referer
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the URL holds the code: never logged

    return Handler
