"""HTTP plumbing only: a threading HTTP/1.1 keep-alive server that hands requests to the Api.

Each connection has a thread that reads a request, carries it out and writes the answer. A
request is carried out on a database connection leased from a small pool (Store.leases, sized
by ``--threads``): a server with 500 phones connected has only a few SQLite connections, each
with a warm page cache, only a few threads at a time take turns at Python's lock, and no request
is handed from one thread to another (a hand-over cost about 100 us of CPU a request).

Fault injection happens here, because it is about the connection: a delay before answering, a
503, or closing the connection without any answer (before or after the request was carried out).
"""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mock_epj.errors import FhirError, operation_outcome
from mock_epj.routes import MAX_BODY, Api, Request, Response, error_response, json_response

_DRAIN_LIMIT = 32 * 1024 * 1024
DEFAULT_HANDLERS = 4
DEFAULT_MAX_CONNECTIONS = 2000  # open connections per process (each has a thread); bench_load: 500 phones x 2
_REFUSED_LINGER_S = 2.0  # how long a refused connection is kept to read what its client sends


Lease = Callable[[], AbstractContextManager[None]]


@contextlib.contextmanager
def _no_lease() -> Iterator[None]:
    yield


class EPJHTTPServer(ThreadingHTTPServer):
    """``sock``: an already listening socket to serve (a worker process shares its parent's).
    ``lease``: what a request is carried out within (Store.leases: one of a few pooled database
    connections, waiting while all are in use). ``max_connections``: how many connections this
    process keeps open at once (each has a thread); one more is answered 503 with Retry-After and
    closed, without a thread of its own."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], api_factory: Any, verbose: bool = False,
                 sock: socket.socket | None = None, lease: Lease = _no_lease,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        super().__init__(address, RequestHandler, bind_and_activate=sock is None)
        if sock is not None:
            self.socket.close()
            self.socket = sock
            self.server_address = sock.getsockname()
        self.verbose = verbose
        self.lease = lease
        self.max_connections = max_connections
        self._open = 0
        self._open_lock = threading.Lock()
        self._refused = _Refused()
        self.api: Api = api_factory(self.base_url)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            full = self._open >= self.max_connections
            if not full:
                self._open += 1
        if full:
            self._refused.refuse(request, self.max_connections)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._closed()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._closed()

    def _closed(self) -> None:
        with self._open_lock:
            self._open -= 1

    def server_close(self) -> None:
        super().server_close()
        self._refused.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a phone losing Wi-Fi, a closed keep-alive) is not an error."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Refused:
    """Connections over the cap: answered 503 at once (on the accepting thread: a few hundred bytes
    into an empty socket buffer), then kept by one thread for up to two seconds, reading and
    dropping what the client sends, so that closing does not reset the connection before the
    client has read the answer."""

    _MAX_KEPT = 256

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._wake = threading.Event()

    def refuse(self, sock: socket.socket, cap: int) -> None:
        body = json.dumps(operation_outcome(
            "throttled", f"The server has {cap} connections open, its limit: try again shortly")).encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nDate: {_DATE.now()}\r\n"
                f"Content-Type: application/fhir+json; charset=utf-8\r\nRetry-After: 2\r\n"
                f"Cache-Control: no-store\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            sock.setblocking(False)
            sock.send(head.encode("latin-1") + body)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        with self._lock:
            if self._stopped or len(self._selector.get_map()) >= self._MAX_KEPT:
                sock.close()
                return
            self._selector.register(sock, selectors.EVENT_READ, time.monotonic() + _REFUSED_LINGER_S)
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mock-epj-refused", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopped:
                    return
                keys = list(self._selector.get_map().values())
            now = time.monotonic()
            for key in keys:
                if key.data < now:
                    self._close(key.fileobj)  # type: ignore[arg-type]
            if not keys:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                ready = self._selector.select(timeout=0.1)
            except (OSError, ValueError):  # closed by stop()
                return
            for key, _ in ready:
                try:
                    if key.fileobj.recv(65536) == b"":  # type: ignore[union-attr]
                        self._close(key.fileobj)  # type: ignore[arg-type]
                except BlockingIOError:
                    pass
                except OSError:
                    self._close(key.fileobj)  # type: ignore[arg-type]

    def _close(self, sock: socket.socket) -> None:
        with self._lock, contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        sock.close()

    def stop(self) -> None:
        """Close what is kept (a second call, as a server closed twice makes, does nothing)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            for key in list(self._selector.get_map().values()):
                key.fileobj.close()  # type: ignore[union-attr]
            self._selector.close()
        self._wake.set()


_MAX_HEADERS = 100
_CONTENT_LENGTH = re.compile("[0-9]{1,18}")
_MAX_LINE = 65536


class Headers(dict[str, str]):
    """Request headers by lower-case name (a repeated header's values joined by commas)."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


class _Date:
    """The Date header's value, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._text, self._second = formatdate(second, usegmt=True), second
        return self._text


_DATE = _Date()


class RequestHandler(BaseHTTPRequestHandler):
    """http.server's connection loop, with the request head read and the answer written by hand:
    its own header parsing goes through the email package and its answer through a header buffer
    (a tenth of the CPU of a small request)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every keep-alive answer waits ~40 ms
    timeout = 120  # seconds an idle keep-alive connection is kept
    server_version = "VisittMockEPJ/0.1"
    server: EPJHTTPServer
    headers: Headers  # type: ignore[assignment]
    raw_requestline: bytes

    def parse_request(self) -> bool:
        """The request line and headers; False (with an answer sent, where one is due) when bad."""
        self.command = None  # type: ignore[assignment]  # in case of an error on the first line
        # Not http.server's default "HTTP/0.9", under which an error is sent without a status line
        # (as for a request line that str.split() cuts at a latin-1 no-break space).
        self.request_version = "HTTP/1.0"
        self.close_connection = True
        self.requestline = line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            if words:
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request line ({line[:100]!r})")
            return False
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):  # as http.server: not an absolute URI without a scheme
            self.path = "/" + self.path.lstrip("/")
        headers = Headers()
        for _ in range(_MAX_HEADERS + 1):
            raw = self.rfile.readline(_MAX_LINE + 1)
            if len(raw) > _MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            name, colon, value = str(raw, "iso-8859-1").partition(":")
            if not colon or not name or name != name.strip():
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad header line ({raw[:100]!r})")
                return False
            name, value = name.lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue" and self.request_version != "HTTP/1.0":
            return self.handle_expect_100()
        return True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        length = self._body_length()
        if length is None:
            return
        if length > MAX_BODY:
            if length <= _DRAIN_LIMIT:  # read it so the client sees the answer, not a reset
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            error = FhirError(413, "too-long", f"The body is larger than {MAX_BODY} bytes ({MAX_BODY // 1048576} MiB)")
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
        with self.server.lease():
            response = self.server.api.handle(request)
        if decision is not None and decision.drop_after:
            self._drop()
            return
        self._send(response)

    def _body_length(self) -> int | None:
        """The body's length from a single, plain Content-Length (RFC 9112: several, or one that
        is not digits, is a 400; a request with Transfer-Encoding is not taken); None when
        refused (the answer sent and the connection closed, as its framing cannot be trusted)."""
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            status, text = ((411, "Send a Content-Length; chunked bodies are not accepted")
                            if "chunked" in encoding.lower() else
                            (501, f"Transfer-Encoding {encoding[:40]!r} is not supported; send a Content-Length"))
            self._send(json_response(status, operation_outcome("structure", text)), close=True)
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        if not _CONTENT_LENGTH.fullmatch(raw):
            text = ("Several Content-Length headers" if "," in raw
                    else f"Bad Content-Length {raw[:40]!r}: it must be a number of bytes")
            self._send(json_response(400, operation_outcome("structure", text)), close=True)
            return None
        return int(raw)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response, close: bool = False) -> None:
        """The answer in one write (its head joined to a body of up to 64 KiB)."""
        status = response.status
        phrase = self.responses[status][0] if status in self.responses else ""
        head = [f"HTTP/1.1 {status} {phrase}\r\nServer: {self.server_version}\r\nDate: {_DATE.now()}\r\n"]
        head.extend(f"{name}: {value}\r\n" for name, value in response.headers.items())
        if "Cache-Control" not in response.headers:  # answers carry patient data: never kept by a cache
            head.append("Cache-Control: no-store\r\n")
        head.append(f"Content-Length: {len(response.body)}\r\n")
        if close:
            head.append("Connection: close\r\n")
            self.close_connection = True
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        body = b"" if self.command == "HEAD" else response.body
        if self.server.verbose:
            self.log_request(status, len(response.body))
        if len(body) <= 65536:
            self.wfile.write(data + body)
        else:
            self.wfile.write(data)
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
