"""HTTP plumbing only: a threading HTTP/1.1 keep-alive server that hands requests to the SpeechApi.

Refusals (address, secret, size, queue) are decided from the request line and headers before the
body is read; a refused body up to the size limit is still read and dropped, so the client sees
the answer instead of a reset connection. Streamed answers use chunked transfer encoding.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from speech_service.api import Request, Response, SpeechApi, error

log = logging.getLogger("speech_service")
_DRAIN_LIMIT = 64 * 1024 * 1024


class SpeechHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: SpeechApi, verbose: bool = False) -> None:
        super().__init__(address, RequestHandler)
        self.api = api
        self.verbose = verbose

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every keep-alive answer waits ~40 ms
    timeout = 60  # seconds a silent connection (idle, or stalled mid-upload) is kept
    server_version = "VisittSpeech/0.1"
    server: SpeechHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(error(411, "length-required", "Send a Content-Length; chunked uploads are not accepted"),
                       close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send(error(400, "bad-request", "Bad Content-Length"), close=True)
            return
        url = urlsplit(self.path)
        try:
            params = parse_qsl(url.query, keep_blank_values=True, max_num_fields=20)
        except ValueError:
            params = []
        request = Request(self.command, url.path, params, {k.lower(): v for k, v in self.headers.items()},
                          self.client_address[0], length)
        read = False

        def read_body() -> bytes:
            nonlocal read
            read = True
            return self._read(length)

        try:
            response = self.server.api.handle(request, read_body)
        except (OSError, TimeoutError):  # the client went away or stalled mid-upload
            self.close_connection = True
            return
        if not read and length:
            drained = length <= _DRAIN_LIMIT and self._drain(length)
            self._send(response, close=not drained)
        else:
            self._send(response)

    def _read(self, length: int) -> bytes:
        data = self.rfile.read(length)
        if len(data) != length:
            raise ConnectionError("the upload ended early")
        return data

    def _drain(self, length: int) -> bool:
        remaining = length
        with contextlib.suppress(OSError):
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        return remaining == 0

    def _send(self, response: Response, close: bool = False) -> None:
        try:
            self._write(response, close)
        except OSError:  # the client hung up mid-answer: stop transcribing for it
            self.close_connection = True
        finally:
            close_body = getattr(response.body, "close", None)
            if close_body is not None:  # a generator: runs its finally (the engine slot is given back)
                with contextlib.suppress(Exception):
                    close_body()
            if response.on_close is not None:
                response.on_close()
            log.info("%s %s %s -> %d %s", self.client_address[0], self.command, urlsplit(self.path).path,
                     response.status, " ".join(f"{k}={v}" for k, v in response.note.items()))

    def _write(self, response: Response, close: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.body and self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in response.body:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


@dataclass
class RunningSpeechServer:
    """A server started on a background thread (for tests and for embedding in ``visitt``)."""

    httpd: SpeechHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.httpd.base_url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_in_thread(httpd: SpeechHTTPServer) -> RunningSpeechServer:
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="speech-service",
                              daemon=True)
    thread.start()
    return RunningSpeechServer(httpd, thread)
