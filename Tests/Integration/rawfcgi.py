"""A raw FastCGI client over a socket, for what cgi-fcgi cannot do: connect now and send later (so many
requests hit the responder at one instant), abort a connection half-way, hold a worker on a stalled
request, or talk to a TCP listener. Answers are parsed like fcgiclient's (same FcgiResponse type)."""

from __future__ import annotations

import socket
import struct
from typing import Mapping

from fcgiclient import FcgiError, FcgiResponse, cgi_params, parse_cgi_output

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER = 1
REQUEST_ID = 1


def record(record_type: int, content: bytes = b"", request_id: int = REQUEST_ID) -> bytes:
    """One record, padded to a multiple of 8 bytes as libfcgi's own writer does."""
    padding = -len(content) % 8
    return struct.pack("!BBHHBx", FCGI_VERSION, record_type, request_id, len(content), padding) + content + bytes(padding)


def _length(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(params: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in params.items():
        # surrogateescape lets a test send bytes that are not UTF-8 ("\udcff" -> b"\xff").
        key, val = name.encode(), value.encode("utf-8", "surrogateescape")
        out += _length(len(key)) + _length(len(val)) + key + val
    return bytes(out)


def begin_record() -> bytes:
    return record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0))


def params_records(params: Mapping[str, str]) -> bytes:
    data = encode_params(params)
    out = bytearray()
    for start in range(0, len(data), 65535):
        out += record(PARAMS, data[start:start + 65535])
    return bytes(out + record(PARAMS))


def request_bytes(method: str = "GET", path: str = "/api/trakt/last", headers: Mapping[str, str] | None = None,
                  body: bytes = b"", params: Mapping[str, str | None] | None = None) -> bytes:
    """A complete request as nginx would send it (stock fastcgi_params)."""
    env = cgi_params(method, path, "", headers or {}, body)
    for name, value in (params or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    stdin = record(STDIN, body) if body else b""
    return begin_record() + params_records(env) + stdin + record(STDIN)


def connect(address: str | tuple[str, int], timeout: float = 15.0) -> socket.socket:
    """`address` is a unix socket path or a (host, port) pair."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


def read_records(sock: socket.socket) -> tuple[bytes, bytes]:
    """Reads records until FCGI_END_REQUEST; returns (stdout, stderr). FcgiError on EOF before it."""
    buffer = bytearray()
    streams = {STDOUT: bytearray(), STDERR: bytearray()}
    while True:
        while len(buffer) >= 8:
            _, kind, _, length, padding = struct.unpack("!BBHHBx", bytes(buffer[:8]))
            if len(buffer) < 8 + length + padding:
                break
            content = bytes(buffer[8:8 + length])
            del buffer[:8 + length + padding]
            if kind in streams:
                streams[kind] += content
            elif kind == END_REQUEST:
                return bytes(streams[STDOUT]), bytes(streams[STDERR])
        chunk = sock.recv(65536)
        if not chunk:
            raise FcgiError(f"connection closed before FCGI_END_REQUEST (got {len(streams[STDOUT])} stdout bytes)")
        buffer += chunk


def raw_stdout(sock: socket.socket) -> bytes:
    """The unparsed CGI output (Status line, headers, body), for byte-level checks."""
    return read_records(sock)[0]


def read_response(sock: socket.socket) -> FcgiResponse:
    stdout, stderr = read_records(sock)
    status, headers, body = parse_cgi_output(stdout)
    return FcgiResponse(status, headers, body, stderr.decode("utf-8", "replace"))


def request(address: str | tuple[str, int], method: str = "GET", path: str = "/api/trakt/last",
            headers: Mapping[str, str] | None = None, timeout: float = 15.0, **kwargs) -> FcgiResponse:
    with connect(address, timeout) as sock:
        sock.sendall(request_bytes(method, path, headers, **kwargs))
        return read_response(sock)
