"""The server's own reading of a request head and writing of an answer (server.py), over raw sockets."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.support.mock_server import Server


def _exchange(server: Server, raw: bytes) -> tuple[bytes, bool]:
    """The server's answer to ``raw`` and whether it then closed the connection."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        while len(body) < length:
            body += sock.recv(65536)
        sock.settimeout(2)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return head + b"\r\n\r\n" + body, closed


def test_header_names_are_read_whatever_their_case(shared_server: Server) -> None:
    answer, closed = _exchange(shared_server, b"GET /fhir/Patient HTTP/1.1\r\nHOST: x\r\n"
                                              b"AUTHORIZATION: Bearer not-a-token\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 401 ")
    assert b"not valid" in answer  # the token was read: not "carries no bearer token"
    assert b"\r\nDate: " in answer and b"\r\nContent-Type: application/fhir+json" in answer
    assert not closed  # keep-alive by default in HTTP/1.1


def test_connection_close_and_http_1_0_end_the_connection(shared_server: Server) -> None:
    _, closed = _exchange(shared_server, b"GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert closed
    answer, closed = _exchange(shared_server, b"GET /fhir/metadata HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ") and closed


def test_a_malformed_header_line_is_a_400(shared_server: Server) -> None:
    answer, closed = _exchange(shared_server, b"GET /fhir/metadata HTTP/1.1\r\nHost x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert closed
