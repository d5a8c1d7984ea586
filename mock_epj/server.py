"""HTTP plumbing only: a threading HTTP/1.1 keep-alive server that hands requests to the Api.

Fault injection happens here, because it is about the connection: a delay before answering, a
503, or closing the connection without any answer (before or after the request was carried out).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mock_epj.errors import FhirError, operation_outcome
from mock_epj.routes import MAX_BODY, Api, Request, Response, error_response, json_response

_DRAIN_LIMIT = 32 * 1024 * 1024


class EPJHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api_factory: Any, verbose: bool = False) -> None:
        super().__init__(address, RequestHandler)
        self.verbose = verbose
        self.api: Api = api_factory(self.base_url)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every keep-alive answer waits ~40 ms
    timeout = 120  # seconds an idle keep-alive connection is kept
    server_version = "VisittMockEPJ/0.1"
    server: EPJHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(json_response(411, operation_outcome(
                "structure", "Send a Content-Length; chunked bodies are not accepted")), close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send(json_response(400, operation_outcome("structure", "Bad Content-Length")),
                       close=True)
            return
        if length > MAX_BODY:
            if length <= _DRAIN_LIMIT:  # read it so the client sees the answer, not a reset
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            error = FhirError(413, "too-long", f"The body is larger than {MAX_BODY} bytes (1 MiB)")
            self._send(error_response(error), close=True)
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        decision = None
        if not url.path.startswith("/_admin/"):
            decision = self.server.api.faults.decide(self.command, url.path)
            if decision.delay_s:
                time.sleep(decision.delay_s)
            if decision.drop_before:
                self._drop()
                return
            if decision.error:
                self._send(json_response(503, operation_outcome(
                    "transient", "Injected fault: the service is unavailable, try again"),
                    headers={"Retry-After": "1"}))
                return
        try:
            params = parse_qsl(url.query, keep_blank_values=True, strict_parsing=False)
        except ValueError:
            params = []
        request = Request(
            method=self.command,
            path=url.path,
            params=params,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client=self.client_address[0],
        )
        response = self.server.api.handle(request)
        if decision is not None and decision.drop_after:
            self._drop()
            return
        self._send(response)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = b"" if self.command == "HEAD" else response.body
        self.send_header("Content-Length", str(len(response.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)


@dataclass
class RunningServer:
    """A server started on a background thread (for tests and for embedding in the app)."""

    httpd: EPJHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.httpd.base_url

    @property
    def fhir_url(self) -> str:
        return f"{self.httpd.base_url}/fhir"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def start_in_thread(httpd: EPJHTTPServer) -> RunningServer:
    thread = threading.Thread(target=httpd.serve_forever, name="mock-epj", daemon=True)
    thread.start()
    return RunningServer(httpd, thread)
