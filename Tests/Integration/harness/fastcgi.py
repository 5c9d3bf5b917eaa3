"""The one FastCGI client: records written to a socket by hand, as nginx writes them.

`fcgi_request` sends one request and parses the answer. The lower-level pieces are for what a
one-shot call cannot do: connect now and send later (so many requests hit the responder at one
instant), abort a connection half-way, hold a worker on a stalled request, read the raw CGI bytes,
or probe readiness with a management record (`app_answers`).
"""

from __future__ import annotations

import socket
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping

from .response import Headers, Response

FCGI_VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
GET_VALUES, GET_VALUES_RESULT = 9, 10
RESPONDER = 1
REQUEST_ID = 1


class FcgiError(RuntimeError):
    pass


# --- encoding --------------------------------------------------------------------------------------


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


def cgi_params(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The parameters nginx's stock fastcgi_params would send for this request."""
    params = {
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "CONTENT_TYPE": "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "SCRIPT_NAME": path,
        "REQUEST_URI": f"{path}?{query}" if query else path,
        "DOCUMENT_URI": path,
        "DOCUMENT_ROOT": "/var/www/html",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_SCHEME": "http",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "nginx/1.22.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_NAME": "localhost",
        "REDIRECT_STATUS": "200",
        "HTTP_HOST": "localhost",
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            params[key] = value
        else:
            params["HTTP_" + key] = value
    return params


FCGI_KEEP_CONN = 1


def begin_record(keep_conn: bool = False) -> bytes:
    """keep_conn sets FCGI_KEEP_CONN, as nginx's fastcgi_keep_conn and Apache's enablereuse do: the
    app leaves the connection open for the client's next request."""
    return record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, FCGI_KEEP_CONN if keep_conn else 0))


def params_records(params: Mapping[str, str]) -> bytes:
    data = encode_params(params)
    out = bytearray()
    for start in range(0, len(data), 65535):
        out += record(PARAMS, data[start:start + 65535])
    return bytes(out + record(PARAMS))


def request_bytes(method: str = "GET", path: str = "/api/trakt/last", headers: Mapping[str, str] | None = None,
                  body: bytes = b"", params: Mapping[str, str | None] | None = None, query: str = "",
                  keep_conn: bool = False) -> bytes:
    """A complete request as nginx would send it. `params` adds or overrides raw parameters; a None
    value removes one (e.g. to send a request without REQUEST_METHOD)."""
    env = cgi_params(method, path, query, headers or {}, body)
    for name, value in (params or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    stdin = record(STDIN, body) if body else b""
    return begin_record(keep_conn) + params_records(env) + stdin + record(STDIN)


# --- decoding --------------------------------------------------------------------------------------


def parse_cgi_output(raw: bytes) -> tuple[int, Headers, bytes]:
    """Split `Status: 200 OK\\r\\nName: value\\r\\n\\r\\nbody`; no Status header means 200 (CGI/1.1)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            break
    else:
        raise FcgiError(f"no header/body separator in the responder output: {raw[:200]!r}")
    status = 200
    headers = Headers()
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise FcgiError(f"malformed header line {line!r}")
        value = value.strip()
        if name.strip().lower() == "status":
            status = int(value.split()[0])
        else:
            headers.add(name.strip(), value)
    return status, headers, body


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


def read_response(sock: socket.socket) -> Response:
    """The next response on an open connection (one sent with `request_bytes`), parsed."""
    stdout, stderr = read_records(sock)
    status, headers, body = parse_cgi_output(stdout)
    return Response(status, headers, body, stderr.decode("utf-8", "replace"), "via a kept fastcgi connection")


def raw_stdout(sock: socket.socket) -> bytes:
    """The unparsed CGI output (Status line, headers, body), for byte-level checks."""
    return read_records(sock)[0]


# --- the client ------------------------------------------------------------------------------------


def connect(address: str | tuple[str, int], timeout: float = 15.0) -> socket.socket:
    """`address` is a unix socket path or a (host, port) pair."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def exchange(address: str | tuple[str, int], method: str = "GET", path: str = "/api/trakt/last",
             headers: Mapping[str, str] | None = None, *, query: str = "", body: bytes = b"",
             params: Mapping[str, str | None] | None = None, timeout: float = 15.0) -> tuple[bytes, bytes]:
    """One request to `address` (unix socket path or (host, port)); returns the raw (stdout, stderr)."""
    try:
        with connect(address, timeout) as sock:
            sock.sendall(request_bytes(method, path, headers, body, params, query))
            return read_records(sock)
    except socket.timeout as err:
        raise FcgiError(f"no answer from {address} within {timeout}s") from err


def fcgi_request(address: str | tuple[str, int], method: str = "GET", path: str = "/api/trakt/last",
                 headers: Mapping[str, str] | None = None, **kwargs: Any) -> Response:
    """`exchange`, parsed into a Response (query, body, params and timeout as there)."""
    stdout, stderr = exchange(address, method, path, headers, **kwargs)
    status, parsed_headers, body = parse_cgi_output(stdout)
    uri = (kwargs.get("params") or {}).get("REQUEST_URI") or path
    return Response(status, parsed_headers, body, stderr.decode("utf-8", "replace"), f"{method} {uri[:60]!r} via fastcgi")


def fcgi_concurrent(address: str | tuple[str, int], count: int, workers: int | None = None,
                    **kwargs: Any) -> list[Response]:
    """`count` identical requests, `workers` (default: all) at a time; results in submission order."""
    with ThreadPoolExecutor(max_workers=workers or count) as pool:
        return list(pool.map(lambda _: fcgi_request(address, **kwargs), range(count)))


def app_answers(path: str) -> bool:
    """True once a FastCGI app on `path` answers an FCGI_GET_VALUES management record.

    A bare connect is not enough with spawn-fcgi: the socket exists (and the kernel queues
    connections) before the app has even started. libfcgi answers GET_VALUES inside its accept
    loop without running the app's handler, so the probe proves the loop runs and costs no
    upstream call.
    """
    query = bytes([14, 0]) + b"FCGI_MAX_CONNS"  # name length, value length, name
    with connect(path, timeout=1.0) as sock:
        # Request id 0 (a management record), and the explicit padding matters: libfcgi 2.4.2 only
        # notices the end of a record that ends exactly at the end of what it has read after one more
        # read(), so an unpadded probe would block until EOF.
        probe = struct.pack("!BBHHBx", FCGI_VERSION, GET_VALUES, 0, len(query), 8) + query + bytes(8)
        sock.sendall(probe)
        try:
            header = sock.recv(8)
        except socket.timeout:
            return False
    return len(header) == 8 and header[1] == GET_VALUES_RESULT
