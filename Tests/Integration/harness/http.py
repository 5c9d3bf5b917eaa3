"""The one HTTP client: plain HTTP/1.1 to loopback servers (nginx, the fake), no proxies, no redirects,
raw headers kept, optionally from a chosen loopback source address.

The shipped nginx config limits each client address (5 r/s, burst 10). All of 127/8 is local on
Linux, so a test that is not about the rate limit sends each request from an address of its own
(`fresh_source()`), which is also what many real visitors look like.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
from urllib.parse import urlsplit

from typing import Mapping

from .response import Headers, Response

_sources = itertools.count()
_sources_lock = threading.Lock()


def fresh_source() -> str:
    """A loopback address no other request of this process used (127.1.0.1, 127.1.0.2, …)."""
    with _sources_lock:
        i = next(_sources)
    return f"127.{1 + (i // 65024) % 254}.{(i // 254) % 256}.{1 + i % 254}"


def http_request(url: str, method: str = "GET", headers: Mapping[str, str] | None = None,
                 body: bytes | None = None, timeout: float = 15.0, source: str | None = None) -> Response:
    """One request; `source` binds the client side to that loopback address."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, target, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        payload = response.read()
        return Response(response.status, Headers(response.getheaders()), payload,
                        source=f"{method} {target[:60]} via {source or 'default'}")
    finally:
        conn.close()


def parse_http_response(raw: bytes, source: str = "") -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = Headers()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    if (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2:]
        body = decoded
    return Response(status, headers, body, source=source)


def raw_exchange(port: int, request: bytes, timeout: float = 15.0, source: str = "127.0.0.1") -> bytes:
    """Writes `request` byte for byte (non-UTF-8 paths, odd methods; it should carry
    `Connection: close`) and returns everything the server sent until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def raw_http(port: int, request: bytes, timeout: float = 15.0, source: str = "127.0.0.1") -> Response:
    """`raw_exchange`, parsed."""
    return parse_http_response(raw_exchange(port, request, timeout, source), repr(request[:60]))
